//! ISTIO003: a DestinationRule subset whose labels select none of the host's pods.

use foldhash::{HashMap, HashMapExt, HashSet};

use crate::finding::Severity;
use crate::model::Model;
use crate::model::k8s::selects;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO003",
    check,
};

/// Locality labels come from the node, not the pod template: unknown here.
fn node_label(key: &str) -> bool {
    key.starts_with("topology.kubernetes.io/")
        || key.starts_with("topology.istio.io/")
        || key.starts_with("failure-domain.beta.kubernetes.io/")
        || key == "kubernetes.io/hostname"
}

/// FQDN -> subsets that some VirtualService routes traffic to (a mirror or a
/// zero weight sends none).
type Routed<'a> = HashMap<String, HashSet<&'a str>>;

/// Every routed subset, found once instead of scanning every VirtualService
/// per subset.
fn routed_subsets<'a>(m: &Model<'a>) -> Routed<'a> {
    let mut routed = Routed::new();
    for vs in &m.istio.virtual_services {
        let ns = m.k8s.object(vs.object).map(|o| o.namespace).unwrap_or("");
        for d in &vs.destinations {
            if let Some((subset, _)) = d.subset
                && !d.mirror
                && d.weight != Some(0)
            {
                routed
                    .entry(m.istio_fqdn(d.host, ns))
                    .or_default()
                    .insert(subset);
            }
        }
    }
    routed
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
    // Only needed once a subset selects no pods.
    let mut routed_subsets_found: Option<Routed<'_>> = None;
    for (dr, obj, svc) in m.destination_rules_on_services() {
        let templates = m.k8s.service_templates(svc);
        // With no pods of the Service in the tree, no subset can be judged
        // for sure: say so as a note.
        let pods_known = !templates.is_empty();
        let svc_name = m
            .k8s
            .service_object(svc)
            .map(|o| format!("{}/{}", o.namespace, o.name))
            .unwrap_or_default();
        let fqdn = m.istio_fqdn(dr.host, obj.namespace);
        for subset in &dr.subsets {
            let pod_labels: Vec<(&str, &str)> = subset
                .labels
                .iter()
                .copied()
                .filter(|(k, _)| !node_label(k))
                .collect();
            let empty_locality = subset
                .labels
                .iter()
                .any(|(k, v)| node_label(k) && v.is_empty());
            // Empty locality labels never match; otherwise judge the pod labels.
            if !empty_locality
                && (pod_labels.is_empty()
                    || templates.iter().any(|t| selects(&pod_labels, &t.labels)))
            {
                continue;
            }
            let routed = routed_subsets_found
                .get_or_insert_with(|| routed_subsets(m))
                .get(&fqdn)
                .is_some_and(|subsets| subsets.contains(subset.name));
            let wanted: Vec<String> = subset
                .labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let f = emit
                .at(
                    subset.labels_node.unwrap_or(subset.name_node).loc(),
                    format!(
                        "subset `{}` of DestinationRule {}/{} selects {}, but no pod of Service {svc_name} has these labels{}{}",
                        subset.name,
                        obj.namespace,
                        obj.name,
                        wanted.join(","),
                        if routed { "; routes to it get `no healthy upstream`" } else { "" },
                        if pods_known { "" } else { " (the tree holds no pods of that Service)" }
                    ),
                )
                .resource(obj.resource())
                .severity(match (pods_known, routed) {
                    (false, _) => Severity::Info,
                    (true, true) => Severity::Error,
                    (true, false) => Severity::Warning,
                });
            for t in templates.iter().take(3) {
                if let Some(o) = m.k8s.template_object(t) {
                    let labels: Vec<String> =
                        t.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    let at = t.template_labels_loc.or(o.labels_loc).unwrap_or(o.loc);
                    f.related(
                        at,
                        format!("{} {} has {}", o.kind, o.name, labels.join(",")),
                    );
                }
            }
            f.help("make the subset labels match a workload's pod template labels (often the `version` label)");
        }
    }
}

//! K8S003: a Service selector that selects no pod template.

use crate::finding::Severity;
use crate::model::k8s::{CONTROLLER_LABELS, selects};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "K8S003",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let k = &ctx.model.k8s;
    for svc in &k.services {
        let (Some(obj), Some(selector), Some(sel_node)) =
            (k.service_object(svc), &svc.selector, svc.selector_loc)
        else {
            continue;
        };
        if svc.type_ == "ExternalName"
            || selector
                .iter()
                .all(|(key, _)| CONTROLLER_LABELS.contains(key))
        {
            continue;
        }
        if k.selected_templates(obj.namespace, selector)
            .next()
            .is_some()
        {
            continue;
        }
        let ns_has_workloads = k.template_namespaces.contains(obj.namespace);
        let wanted: Vec<String> = selector.iter().map(|(a, b)| format!("{a}={b}")).collect();
        let elsewhere = if ns_has_workloads {
            ""
        } else {
            " (the tree holds no workloads in that namespace: they may live elsewhere)"
        };
        let f = emit
            .at(
                sel_node,
                format!(
                    "Service {}/{} selects {}, but no pod template in namespace {} has these labels{elsewhere}",
                    obj.namespace,
                    obj.name,
                    wanted.join(","),
                    obj.namespace
                ),
            )
            .resource(obj.resource());
        if !ns_has_workloads {
            f.severity(Severity::Info);
        }
        // The nearest miss: the template that shares the most selector pairs.
        if let Some(t) = k.nearest_miss(obj.namespace, selector) {
            let missing: Vec<String> = selector
                .iter()
                .filter(|p| !selects(&[**p], &t.labels))
                .map(|(key, v)| match t.label(key) {
                    Some(have) => format!("{key}={have} (not {v})"),
                    None => format!("no label {key}"),
                })
                .collect();
            if let Some(o) = k.template_object(t) {
                let labels_loc = t.template_labels_loc.or(o.labels_loc).unwrap_or(t.spec_loc);
                f.related(
                    labels_loc,
                    format!(
                        "{} {} comes closest: {}",
                        o.kind,
                        o.name,
                        missing.join(", ")
                    ),
                );
                f.help("make the selector match the pod template labels (or the labels match the selector)");
            }
        } else {
            f.help("set the selector to the labels of the pods that serve this Service");
        }
    }
}

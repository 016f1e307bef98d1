//! NGX001: an NGINX upstream host that names a Kubernetes Service the tree
//! does not define.

use foldhash::{HashMap, HashMapExt};

use super::{config_endpoints, service_label};
use crate::model::Model;
use crate::model::hosts::ServiceName;
use crate::model::k8s::PodTemplate;
use crate::model::nginx::k8s::HostService;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX001",
    check,
};

/// The pod templates of each workload, by (namespace, name), in order.
type Workloads<'m, 'a> = HashMap<(&'a str, &'a str), Vec<&'m PodTemplate<'a>>>;

fn workloads<'m, 'a>(model: &'m Model<'a>) -> Workloads<'m, 'a> {
    let k = &model.k8s;
    let mut by_name: Workloads<'m, 'a> = HashMap::new();
    for t in &k.templates {
        if let Some(o) = k.template_object(t) {
            by_name.entry((o.namespace, o.name)).or_default().push(t);
        }
    }
    by_name
}

/// A Service whose selector picks the pods of a workload named like the
/// host (the classic slip: the Deployment's name used as a DNS name).
fn service_for_workload(
    model: &Model<'_>,
    workloads: &Workloads<'_, '_>,
    sn: &ServiceName,
) -> Option<String> {
    let k = &model.k8s;
    for t in workloads.get(&(sn.namespace.as_str(), sn.name.as_str()))? {
        let Some(o) = k.template_object(t) else {
            continue;
        };
        if let Some(s) = k.services_selecting(t).next()
            && let Some(so) = k.service_object(s)
        {
            return Some(format!(
                "did you mean Service `{}`? It selects the pods of {} `{}`; a DNS name resolves to a Service, not to a workload",
                so.name, o.kind, o.name
            ));
        }
    }
    None
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    // One budget for the suggestions of all this check's findings.
    let mut suggest = crate::util::Suggest::default();
    let model = ctx.model;
    // Made on the first finding and kept: each finding scanned every pod
    // template and every Service (8,000 misses among 8,000 Services: 1.5 s).
    let mut by_workload: Option<Workloads<'_, '_>> = None;
    let mut names_in: HashMap<String, Vec<&str>> = HashMap::new();
    for (c, endpoints) in config_endpoints(ctx) {
        for e in endpoints {
            let HostService::Missing(sn) = &e.service else {
                continue;
            };
            let f = emit
                .at(
                    e.loc,
                    format!(
                        "{} sends to `{}`, which names Service {}, but no such Service is in the analysed files: nginx fails with `host not found in upstream`",
                        e.what,
                        e.host,
                        service_label(model, c, e.host, sn)
                    ),
                )
                .resource(e.resource.clone());
            let names = names_in
                .entry(sn.namespace.clone())
                .or_insert_with(|| model.k8s.service_names_in(&sn.namespace).collect());
            let workloads = by_workload.get_or_insert_with(|| workloads(model));
            if let Some(h) = service_for_workload(model, workloads, sn) {
                f.help(h);
            } else if let Some(near) = suggest.closest(&sn.name, names.iter().copied()) {
                f.help(format!("did you mean Service `{near}`?"));
            } else {
                f.help(format!(
                    "use the name of a Service in namespace {} ({}), or add the Service",
                    sn.namespace,
                    crate::util::listed(names.iter(), crate::util::LISTED)
                ));
            }
        }
    }
}

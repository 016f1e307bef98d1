//! NGX001: an NGINX upstream host that names a Kubernetes Service the tree
//! does not define.

use super::{config_endpoints, service_label};
use crate::model::Model;
use crate::model::hosts::ServiceName;
use crate::model::nginx::k8s::HostService;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX001",
    check,
};

/// A Service whose selector picks the pods of a workload named like the
/// host (the classic slip: the Deployment's name used as a DNS name).
fn service_for_workload(model: &Model<'_>, sn: &ServiceName) -> Option<String> {
    let k = &model.k8s;
    for t in &k.templates {
        let Some(o) = k.template_object(t) else {
            continue;
        };
        if o.name != sn.name || o.namespace != sn.namespace {
            continue;
        }
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
    for (c, endpoints) in config_endpoints(ctx) {
        for e in endpoints {
            let HostService::Missing(sn) = model.nginx_host_service(c, e.host) else {
                continue;
            };
            let f = emit
                .at(
                    e.loc,
                    format!(
                        "{} sends to `{}`, which names Service {}, but no such Service is in the analysed files: nginx fails with `host not found in upstream`",
                        e.what,
                        e.host,
                        service_label(model, c, e.host, &sn)
                    ),
                )
                .resource(e.resource.clone());
            let k = &model.k8s;
            let names: Vec<&str> = k
                .services
                .iter()
                .filter_map(|s| k.service_object(s))
                .filter(|o| o.namespace == sn.namespace)
                .map(|o| o.name)
                .collect();
            if let Some(h) = service_for_workload(model, &sn) {
                f.help(h);
            } else if let Some(near) = suggest.closest(&sn.name, names.iter().copied()) {
                f.help(format!("did you mean Service `{near}`?"));
            } else {
                f.help(format!(
                    "use the name of a Service in namespace {} ({}), or add the Service",
                    sn.namespace,
                    crate::util::listed(&names, crate::util::LISTED)
                ));
            }
        }
    }
}

//! ENV009: an endpoint whose host is a Service in the tree, on a port that
//! Service does not expose (often the pod's port used as the Service port).

use super::service_of_host;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ENV009",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let env = &ctx.model.envoy;
    let k = &ctx.model.k8s;
    for c in &env.clusters {
        let Some(eps) = env.endpoints_of(c) else {
            continue;
        };
        for ep in eps {
            let (Some(host), Some(port)) = (ep.address, ep.port) else {
                continue;
            };
            if !ep.is_dns_name() {
                continue;
            }
            let Some(svc) = service_of_host(ctx.model, host) else {
                continue;
            };
            // Headless Services resolve to pod IPs (the pod's ports apply); ExternalName to another host.
            if svc.headless || svc.external_name.is_some() || svc.ports.is_empty() {
                continue;
            }
            if svc.port_numbered(port).is_some() {
                continue;
            }
            let Some(obj) = k.service_object(svc) else {
                continue;
            };
            let target_of = svc.ports.iter().find(|p| {
                matches!(p.effective_target(), Some(crate::model::k8s::PortRef::Number(n)) if n == port)
            });
            let hint = match target_of {
                Some(p) => format!(
                    "; {port} is the pod's port behind Service port {}: use that",
                    p.describe()
                ),
                None => String::new(),
            };
            let f = emit
                .at(
                    ep.port_node.unwrap_or(ep.node).loc(),
                    format!(
                        "cluster `{}` connects to {host}:{port}, but Service {}/{} exposes only {}{hint}; the connection is refused or times out (`reset reason: connection failure`)",
                        c.name,
                        obj.namespace,
                        obj.name,
                        svc.ports_list()
                    ),
                )
                .resource(c.resource());
            for p in svc.ports.iter().take(4) {
                f.related(p.port_or_entry(), format!("Service port {}", p.describe()));
            }
            match (target_of, svc.ports.as_slice()) {
                (Some(p), _) | (None, [p]) => {
                    if let Some(n) = p.port {
                        f.help(format!("set port_value to {n}"));
                    }
                }
                _ => {
                    f.help("set port_value to one of the Service's ports");
                }
            }
        }
    }
}

//! NGX002: an NGINX upstream that reaches a Kubernetes Service on a port the
//! Service does not expose (a `server` without a port uses 80).

use super::{config_endpoints, service_label, service_port};
use crate::model::k8s::PortRef;
use crate::model::nginx::k8s::HostService;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX002",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let model = ctx.model;
    for (c, endpoints) in config_endpoints(ctx) {
        for e in endpoints {
            let HostService::Found(svc, sn) = &e.service else {
                continue;
            };
            let Some(port) = e.port else { continue };
            if svc.type_ == "ExternalName"
                || svc.ports.is_empty()
                || service_port(svc, port).is_some()
            {
                continue;
            }
            let implied = if e.port_explicit {
                String::new()
            } else {
                format!(" (no port is written, so nginx uses {port})")
            };
            let f = emit
                .at(
                    e.loc,
                    format!(
                        "{} connects to port {port} of Service {}{implied}, which exposes only {}: connections are refused or time out",
                        e.what,
                        service_label(model, c, e.host, sn),
                        svc.ports_list()
                    ),
                )
                .resource(e.resource.clone());
            for p in svc.ports.iter().take(4) {
                let at = p.port_or_entry();
                f.related(at, format!("Service {} exposes {}", sn.name, p.describe()));
            }
            let via_target = svc.ports.iter().find(|p| {
                matches!(p.effective_target(), Some(PortRef::Number(t)) if t == i64::from(port))
            });
            let host = e.host;
            match (via_target.and_then(|p| p.port), svc.ports.as_slice()) {
                (Some(p), _) => f.help(format!(
                    "{port} is the pods' port; through the Service use `{host}:{p}`"
                )),
                (None, [only]) => match only.port {
                    Some(p) => f.help(format!("use `{host}:{p}`")),
                    None => f.help("use a port the Service exposes"),
                },
                _ => f.help(format!(
                    "use one of the Service ports: {}",
                    svc.ports_list()
                )),
            };
        }
    }
}

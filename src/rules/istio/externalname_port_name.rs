//! ISTIO022: ExternalName Service ports that Istio forwards badly.

use crate::model::protocol::{Protocol, service_port_protocol};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO022",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
    // Without any sign of Istio in the tree this is only a note.
    let in_mesh = m.mesh_in_use();
    for svc in m.k8s.services.iter().filter(|s| s.type_ == "ExternalName") {
        let Some(obj) = m.k8s.service_object(svc) else {
            continue;
        };
        for sp in &svc.ports {
            let (p, _) = service_port_protocol(sp);
            if !matches!(p, Protocol::Tcp | Protocol::Unknown) {
                continue;
            }
            emit.at(sp.name_or_entry(), format!(
                "ExternalName Service {}/{} port {} is {}: sidecars send TCP traffic for ExternalName hosts through a port-wide listener that can swallow other destinations on the same port",
                obj.namespace, obj.name, sp.describe(), if p == Protocol::Tcp { "named tcp" } else { "unnamed" }
            ))
            .resource(obj.resource())
            .severity(if in_mesh { crate::finding::Severity::Warning } else { crate::finding::Severity::Info })
            .help("name the port after its real protocol (http, https, tls, ...); for TCP use a ServiceEntry with addresses");
        }
    }
}

//! ISTIO011: a Service port whose protocol Istio must guess.

use crate::finding::Severity;
use crate::model::protocol::{ProtocolSource, server_first_hint, service_port_protocol};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO011",
    check,
};

const SYSTEM_NAMESPACES: [&str; 4] = [
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "istio-system",
];

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
    // Outside a mesh, port names mean nothing to anyone: stay quiet.
    if !m.mesh_in_use() {
        return;
    }
    for svc in &m.k8s.services {
        let Some(obj) = m.k8s.service_object(svc) else {
            continue;
        };
        if SYSTEM_NAMESPACES.contains(&obj.namespace)
            || obj
                .labels
                .iter()
                .any(|(k, v)| *k == "istio" || (*k == "release" && *v == "istio"))
            || svc.type_ == "ExternalName"
        {
            continue;
        }
        for sp in &svc.ports {
            let (_, src) = service_port_protocol(sp);
            if src != ProtocolSource::Detected {
                continue;
            }
            let at = sp.name_or_entry();
            let f = match server_first_hint(sp.name, sp.port) {
                Some(proto) => emit
                    .at(at, format!(
                        "Service {}/{} port {} declares no protocol, and {proto} is server-first: protocol sniffing waits for the client, the server waits too, and connections time out",
                        obj.namespace, obj.name, sp.describe()
                    ))
                    .severity(Severity::Warning),
                None => emit.at(at, format!(
                    "Service {}/{} port {} declares no protocol; Istio sniffs the first bytes, adding latency and treating anything but HTTP as opaque TCP",
                    obj.namespace, obj.name, sp.describe()
                )),
            };
            f.resource(obj.resource())
                .help("name the port `<protocol>[-suffix]` (http, http2, grpc, tcp, tls, mysql, ...) or set `appProtocol`");
        }
    }
}

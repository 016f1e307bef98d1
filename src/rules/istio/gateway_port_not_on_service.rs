//! ISTIO005: a Gateway server port that the gateway's Service does not expose.

use crate::finding::Severity;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO005",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
    let mut workloads = crate::model::mesh::WorkloadsBySelector::new(m);
    for gw in &m.istio.gateways {
        let Some(obj) = m.k8s.object(gw.object) else {
            continue;
        };
        let w = workloads.get(gw);
        if w.templates.is_empty() && !w.implicit {
            continue; // ISTIO006 reports the selector.
        }
        let ports: Vec<String> = w.service_ports.iter().map(|p| p.to_string()).collect();
        for s in &gw.servers {
            let (Some(port), Some(node)) = (s.port, s.port_node) else {
                continue;
            };
            if w.service_ports.contains(&port) {
                continue;
            }
            let whose = if w.implicit {
                "the default istio-system/istio-ingressgateway Service (assumed: the tree has no ingress gateway Service)".to_string()
            } else {
                "the Services of the gateway pods".to_string()
            };
            emit.at(
                node.loc(),
                format!(
                    "Gateway {}/{} listens on port {port}, but {whose} expose{} only {}; traffic never reaches this server",
                    obj.namespace,
                    obj.name,
                    if w.implicit { "s" } else { "" },
                    if ports.is_empty() { "no ports".to_string() } else { ports.join(", ") }
                ),
            )
            .resource(obj.resource())
            // Without the real Service in the tree this is an educated guess.
            .severity(if w.implicit { Severity::Warning } else { Severity::Error })
            .help("use a port the gateway Service exposes (as `port` or `targetPort`), or add it to the Service");
        }
    }
}

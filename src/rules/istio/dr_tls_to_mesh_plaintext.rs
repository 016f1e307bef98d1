//! ISTIO013: SIMPLE or MUTUAL TLS toward an in-mesh plaintext port, replacing ISTIO_MUTUAL.

use crate::model::protocol::service_port_protocol;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO013",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
    for (dr, obj, svc) in m.destination_rules_on_services() {
        let templates = m.k8s.service_templates(svc);
        if templates.is_empty() || !templates.iter().all(|t| m.sidecar_injected(t)) {
            continue;
        }
        for (policy, _, port) in dr.policies() {
            let Some(mode_node) = policy.path(&["tls", "mode"]) else {
                continue;
            };
            let Some(mode) = mode_node
                .as_str()
                .filter(|m| *m == "SIMPLE" || *m == "MUTUAL")
            else {
                continue;
            };
            // Ports this policy covers that the application serves in plaintext.
            let plaintext: Vec<String> = svc
                .ports
                .iter()
                .filter(|p| port.is_none() || p.port == port)
                .filter(|p| {
                    let proto = service_port_protocol(p).0;
                    proto.is_http() || proto.is_opaque()
                })
                .map(|p| p.describe())
                .collect();
            if plaintext.is_empty() {
                continue;
            }
            emit.at(mode_node.loc(), format!(
                "DestinationRule {}/{} sets tls.mode {mode} toward `{}`, an in-mesh Service whose port {} is plaintext: this replaces Istio mTLS, the sidecar originates TLS the application does not speak, and handshakes fail",
                obj.namespace, obj.name, dr.host, plaintext.join(", ")
            ))
            .resource(obj.resource())
            .help("use `tls.mode: ISTIO_MUTUAL` for in-mesh destinations (SIMPLE/MUTUAL are for servers that terminate TLS themselves)");
        }
    }
}

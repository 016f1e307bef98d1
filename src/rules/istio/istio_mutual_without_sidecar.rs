//! ISTIO014: ISTIO_MUTUAL toward workloads that have no sidecar.

use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO014",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
    for (dr, obj, svc) in m.destination_rules_on_services() {
        let templates = m.k8s.service_templates(svc);
        let without: Vec<_> = templates
            .iter()
            .filter(|t| m.sidecar_known_absent(t) == Some(true))
            .collect();
        if templates.is_empty() || without.len() != templates.len() {
            continue;
        }
        for (policy, _, _) in dr.policies() {
            let Some(mode_node) = policy.path(&["tls", "mode"]) else {
                continue;
            };
            if mode_node.as_str() != Some("ISTIO_MUTUAL") {
                continue;
            }
            let f = emit
                .at(mode_node.loc(), format!(
                    "DestinationRule {}/{} sends Istio mTLS to `{}`, but its pods run without a sidecar: they receive a TLS handshake they cannot answer and the connection is reset",
                    obj.namespace, obj.name, dr.host
                ))
                .resource(obj.resource());
            if let Some(o) = without.first().and_then(|t| m.k8s.template_object(t)) {
                f.related(
                    o.name_loc(),
                    format!("{} {} has no sidecar", o.kind, o.name),
                );
            }
            f.help("inject the sidecar into those pods, or set `tls.mode: DISABLE` for this host");
        }
    }
}

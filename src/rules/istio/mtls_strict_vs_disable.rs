//! ISTIO012: STRICT mTLS on the server while a DestinationRule disables TLS.

use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO012",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
    for (dr, obj, svc) in m.destination_rules_on_services() {
        let templates = m.k8s.service_templates(svc);
        for (policy, subset, port) in dr.policies() {
            let Some(mode_node) = policy.path(&["tls", "mode"]) else {
                continue;
            };
            if mode_node.as_str() != Some("DISABLE") {
                continue;
            }
            // The server ports this policy covers (all, or one).
            let ports: Vec<i64> = match port {
                Some(p) => vec![p],
                None => svc.ports.iter().filter_map(|p| p.port).collect(),
            };
            let strict = ports.iter().find_map(|p| {
                let target = svc
                    .port_numbered(*p)
                    .and_then(|sp| match sp.effective_target() {
                        Some(crate::model::k8s::PortRef::Number(n)) => Some(n),
                        _ => None,
                    });
                templates
                    .iter()
                    .find_map(|t| m.effective_mtls(t, target))
                    .filter(|s| s.mode == "STRICT")
                    .map(|s| (*p, s))
            });
            let Some((p, s)) = strict else { continue };
            let scope = subset
                .map(|s| format!(" (subset `{s}`)"))
                .unwrap_or_default();
            let f = emit
                .at(mode_node.loc(), format!(
                    "DestinationRule {}/{}{scope} sends plaintext to `{}`, but PeerAuthentication {} requires mTLS on port {p}: the server resets every connection",
                    obj.namespace, obj.name, dr.host, s.source
                ))
                .resource(obj.resource());
            if let Some(loc) = s.loc {
                f.related(loc, "STRICT set here");
            }
            f.help("use `tls.mode: ISTIO_MUTUAL` (or remove the tls block: auto mTLS applies), or relax the PeerAuthentication to PERMISSIVE");
        }
    }
}

//! ISTIO023: client TLS without server certificate verification.

use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO023",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
    for dr in &m.istio.destination_rules {
        let Some(obj) = m.k8s.object(dr.object) else {
            continue;
        };
        for (policy, _, port) in dr.policies() {
            let Some(tls) = policy.get("tls") else {
                continue;
            };
            let Some(mode_node) = tls
                .get("mode")
                .filter(|n| matches!(n.as_str(), Some("SIMPLE" | "MUTUAL")))
            else {
                continue;
            };
            let has_ca = tls.get("caCertificates").is_some() || tls.get("caCrl").is_some();
            // A credentialName secret carries the CA only for gateways (workloadSelector set).
            let ca_from_secret =
                tls.get("credentialName").is_some() && dr.workload_selector.is_some();
            let opted_out = tls.get("insecureSkipVerify").and_then(|n| n.as_bool()) == Some(true);
            if has_ca || ca_from_secret || opted_out {
                continue;
            }
            let level = port.map(|p| format!(" for port {p}")).unwrap_or_default();
            emit.at(mode_node.loc(), format!(
                "DestinationRule {}/{} originates TLS{level} without caCertificates: the upstream certificate is verified only against the proxy's default roots when VERIFY_CERTIFICATE_AT_CLIENT is on, and not at all otherwise",
                obj.namespace, obj.name
            ))
            .resource(obj.resource())
            .help("set tls.caCertificates (or a credentialName with ca.crt on a gateway) and tls.sni");
        }
    }
}

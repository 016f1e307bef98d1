//! ENV007: upstream TLS to a DNS-named host without SNI.

use crate::model::envoy::Discovery;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ENV007",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let env = &ctx.model.envoy;
    for c in &env.clusters {
        let Some(tls) = &c.transport.tls else {
            continue;
        };
        if tls.sni.is_some() || tls.auto_host_sni || c.auto_sni || tls.is_istio_mtls() {
            continue;
        }
        if !matches!(
            c.discovery,
            Discovery::StrictDns | Discovery::LogicalDns | Discovery::Eds | Discovery::Static
        ) {
            continue;
        }
        let Some(eps) = env.endpoints_of(c) else {
            continue;
        };
        // A dotted name (a one-label name is a local service with one certificate).
        let Some(host) = eps.iter().find(|e| {
            e.is_dns_name()
                && e.address
                    .is_some_and(|a| a.trim_end_matches('.').contains('.'))
        }) else {
            continue;
        };
        let name = host.address.unwrap_or("");
        emit.at(
            tls.node.loc(),
            format!(
                "cluster `{}` opens TLS to `{name}` without SNI (no `sni`, `auto_host_sni` or `auto_sni`): servers that host several names, and most CDNs and ingress controllers, answer with the wrong certificate or a handshake alert",
                c.name
            ),
        )
        .resource(c.resource())
        .related(host.address_node.unwrap_or(host.node).loc(), "the upstream host")
        .help(format!("add `sni: {name}` to the UpstreamTlsContext (or `auto_host_sni: true`)"));
    }
}

//! ENV017: a filter chain matching `server_names` or `transport_protocol: tls`
//! on a listener without the tls_inspector listener filter.

use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ENV017",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    for l in &ctx.model.envoy.listeners {
        if l.has_tls_inspector || l.udp {
            continue;
        }
        for fc in &l.filter_chains {
            let (node, what) = if let Some(s) = fc.server_names {
                (s, "server_names")
            } else if let Some((p, n)) = fc.transport_protocol {
                if p != "tls" {
                    continue;
                }
                (n, "transport_protocol: tls")
            } else {
                continue;
            };
            let f = emit
                .at(
                    node.loc(),
                    format!(
                        "listener `{}` matches a filter chain on {what}, but has no envoy.filters.listener.tls_inspector: the SNI is never read, the chain never matches, and TLS clients are disconnected (connection termination, or a handshake failure)",
                        l.name
                    ),
                )
                .resource(l.resource());
            if let Some(lf) = l.listener_filters_node {
                f.related(lf.loc(), "the listener filters");
            }
            f.help("add `listener_filters: [{name: envoy.filters.listener.tls_inspector, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector}}]`");
            break;
        }
    }
}

//! ENV006: upstream TLS `alpn_protocols` that contradict the cluster's HTTP codec.

use super::routed_by_http;
use crate::model::envoy::cluster::ProtocolKind;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ENV006",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    for c in &ctx.model.envoy.clusters {
        let Some(tls) = &c.transport.tls else {
            continue;
        };
        let Some(alpn_node) = tls.alpn_node else {
            continue;
        };
        if tls.alpn.is_empty() || tls.is_istio_mtls() || c.has_socket_matches {
            continue;
        }
        let has = |p: &str| tls.alpn.iter().any(|a| a.eq_ignore_ascii_case(p));
        let http_family = has("h2") || has("http/1.1") || has("http/1.0");
        if !http_family {
            continue;
        }
        let list = tls.alpn.join(", ");
        let problem = match c.protocol.kind {
            ProtocolKind::Http1 if has("h2") => Some(format!(
                "offers ALPN [{list}] but the cluster speaks HTTP/1.1 (explicit): a server that picks h2 receives HTTP/1.1 bytes"
            )),
            ProtocolKind::Http1Default if has("h2") && routed_by_http(ctx.model, c) => {
                Some(format!(
                    "offers ALPN [{list}] but the cluster speaks HTTP/1.1 (no HTTP/2 configured): a server that picks h2 receives HTTP/1.1 bytes"
                ))
            }
            ProtocolKind::Http2 if !has("h2") => Some(format!(
                "offers ALPN [{list}] without h2 but the cluster speaks HTTP/2: the server negotiates HTTP/1.1 (or refuses), then receives the HTTP/2 preface"
            )),
            _ => None,
        };
        let Some(problem) = problem else { continue };
        let f = emit
            .at(
                alpn_node.loc(),
                format!(
                    "cluster `{}` {problem}; `reset reason: protocol error`",
                    c.name
                ),
            )
            .resource(c.resource());
        if let Some(p) = c.protocol.node {
            f.related(p.loc(), "the cluster's protocol");
        }
        f.help("make alpn_protocols match the codec (`h2` for HTTP/2, `http/1.1` for HTTP/1.1), leave it empty to let Envoy add the codec's own ALPN, or use auto_config to follow the negotiated protocol");
    }
}

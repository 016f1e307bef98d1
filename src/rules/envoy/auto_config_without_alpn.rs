//! ENV005: `auto_config` on a cluster whose transport socket cannot do ALPN.

use crate::model::envoy::cluster::ProtocolKind;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ENV005",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    for c in &ctx.model.envoy.clusters {
        if c.protocol.kind != ProtocolKind::Auto
            || c.has_socket_matches
            || c.transport.alpn_capable()
        {
            continue;
        }
        let socket = match c.transport.node {
            None => "no transport_socket (plaintext)".to_string(),
            Some(_) => format!(
                "transport socket `{}`",
                if c.transport.type_name.is_empty() {
                    "?"
                } else {
                    c.transport.type_name
                }
            ),
        };
        let f = emit
            .at(
                c.protocol.node.unwrap_or(c.node).loc(),
                format!(
                    "cluster `{}` uses HttpProtocolOptions auto_config with {socket}: auto_config picks the protocol by ALPN and needs a TLS (or QUIC) transport socket; Envoy rejects the cluster",
                    c.name
                ),
            )
            .resource(c.resource());
        if let Some(ts) = c.transport.node {
            f.related(ts.loc(), "the transport socket");
        }
        f.help("for a plaintext upstream pick the protocol with explicit_http_config (http_protocol_options or http2_protocol_options); or add an UpstreamTlsContext transport socket");
    }
}

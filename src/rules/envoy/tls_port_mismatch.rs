//! ENV008: TLS toward a plaintext port (80), or plaintext toward a TLS port (443, 8443).

use super::routed_by_tcp_proxy;
use crate::model::envoy::TransportKind;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ENV008",
    check,
};

const TLS_PORTS: [i64; 2] = [443, 8443];

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let env = &ctx.model.envoy;
    for c in &env.clusters {
        if c.has_socket_matches {
            continue;
        }
        let Some(eps) = env.endpoints_of(c) else {
            continue;
        };
        match c.transport.kind {
            TransportKind::Tls => {
                if c.transport.tls.as_ref().is_some_and(|t| t.is_istio_mtls()) {
                    continue;
                }
                let Some(ep) = eps.iter().find(|e| e.port == Some(80)) else {
                    continue;
                };
                emit.at(
                    ep.port_node.unwrap_or(ep.node).loc(),
                    format!(
                        "cluster `{}` speaks TLS to {}, a plaintext HTTP port: the handshake fails (`TLS error: ... WRONG_VERSION_NUMBER`), `reset reason: connection failure`",
                        c.name,
                        ep.describe()
                    ),
                )
                .resource(c.resource())
                .related(c.transport.node.unwrap_or(c.node).loc(), "the TLS transport socket")
                .help("point the endpoint at the upstream's TLS port (443), or drop the transport socket if the upstream is plaintext");
            }
            TransportKind::Plain => {
                let Some(ep) = eps
                    .iter()
                    .find(|e| e.port.is_some_and(|p| TLS_PORTS.contains(&p)))
                else {
                    continue;
                };
                // Only where HTTP routes send plaintext HTTP: tcp_proxy (TLS
                // passthrough) and CONNECT tunnels carry the client's own TLS, and
                // a cluster whose users are not visible may be one of those.
                let u = env.usage(c);
                if !u.http || routed_by_tcp_proxy(ctx.model, c) || u.tunnel {
                    continue;
                }
                emit.at(
                    ep.port_node.unwrap_or(ep.node).loc(),
                    format!(
                        "cluster `{}` sends plaintext to {}, a TLS port, without a TLS transport socket: the upstream answers 400 or closes the connection, `reset reason: connection termination` or protocol error",
                        c.name,
                        ep.describe()
                    ),
                )
                .resource(c.resource())
                .help("add a transport_socket with an UpstreamTlsContext (with `sni`), or use the upstream's plaintext port");
            }
            _ => {}
        }
    }
}

//! ENV004: HTTP/2 forced toward an upstream known to speak HTTP/1 only.

use super::{port_speaks_h2, service_port_of};
use crate::model::envoy::cluster::ProtocolKind;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ENV004",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let env = &ctx.model.envoy;
    for c in &env.clusters {
        if c.protocol.kind != ProtocolKind::Http2 {
            continue;
        }
        let Some(eps) = env.endpoints_of(c) else {
            continue;
        };
        let mut evidence = None;
        for ep in eps {
            if let Some((svc, port)) = service_port_of(ctx.model, ep)
                && port_speaks_h2(port) == Some(false)
            {
                let name = ctx
                    .model
                    .k8s
                    .service_object(svc)
                    .map(|o| format!("{}/{}", o.namespace, o.name))
                    .unwrap_or_default();
                evidence = Some((
                    port.loc,
                    format!(
                        "Service {name} port {} declares appProtocol `{}`",
                        port.describe(),
                        port.app_protocol.unwrap_or("")
                    ),
                ));
                break;
            }
            // The proxy's own listener on loopback (a second hop inside one Envoy).
            if ep.is_loopback()
                && let Some(l) = env
                    .listeners_in(c.scope)
                    .find(|l| l.port.is_some() && l.port == ep.port)
            {
                let h1 = l
                    .filter_chains
                    .iter()
                    .filter_map(|fc| fc.hcm.as_ref())
                    .find(|h| h.codec_type == "HTTP1");
                if let Some(h) = h1 {
                    evidence = Some((
                        h.codec_node.unwrap_or(h.node).loc(),
                        format!(
                            "listener `{}` on port {} accepts only HTTP/1 (codec_type HTTP1)",
                            l.name,
                            ep.port.unwrap_or(0)
                        ),
                    ));
                    break;
                }
            }
        }
        let Some((loc, why)) = evidence else { continue };
        emit.at(
            c.protocol.node.unwrap_or(c.node).loc(),
            format!(
                "cluster `{}` forces HTTP/2 toward an upstream that speaks HTTP/1 only ({why}): the upstream rejects the HTTP/2 preface, `reset reason: protocol error` or connection termination",
                c.name
            ),
        )
        .resource(c.resource())
        .related(loc, why)
        .help("drop http2_protocol_options (HTTP/1.1 is the default), or use auto_config with TLS and ALPN");
    }
}

//! NGX005: a gRPC (or HTTP/2-only) backend reached through `proxy_pass`,
//! which speaks HTTP/1.x, instead of `grpc_pass`.

use super::{declared_service_ports, http_version};
use crate::model::nginx::PassKind;
use crate::model::protocol::Protocol;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX005",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let model = ctx.model;
    for d in declared_service_ports(ctx) {
        let (c, proto) = (d.config, d.protocol);
        if !proto.is_http2() {
            continue;
        }
        for p in d
            .endpoint
            .passes
            .iter()
            .filter(|p| p.kind == PassKind::Proxy)
        {
            let Some(node) = c.tree.node(p.node) else {
                continue;
            };
            // `proxy_http_version 2` (1.29.4+) speaks HTTP/2 to plain h2c.
            let v = http_version(model, &c.tree, p.level);
            if v == Some("2") && proto == Protocol::Http2 {
                continue;
            }
            if v.is_none() && proto == Protocol::Http2 {
                continue;
            }
            let (msg_proto, fix) = if proto == Protocol::Grpc {
                (
                    "gRPC",
                    format!(
                        "use `grpc_pass grpc://{}` (grpcs:// for TLS) in a server with `http2 on`",
                        node.arg(0)
                            .unwrap_or("")
                            .split("://")
                            .nth(1)
                            .unwrap_or("host:port")
                    ),
                )
            } else {
                (
                    "HTTP/2 (h2c)",
                    "use `grpc_pass` for gRPC, or `proxy_http_version 2` (nginx 1.29.4+)"
                        .to_string(),
                )
            };
            emit.at(
                    node.name_loc(),
                    format!(
                        "`proxy_pass` speaks HTTP/1.x, but port {} of Service {}/{} is {msg_proto}: nginx logs `upstream sent no valid HTTP/1.0 header while reading response header from upstream` (502)",
                        d.port, d.service_name.namespace, d.service_name.name
                    ),
                )
                .resource(super::level_resource(c, p.level))
                .related(d.service_port.loc, format!("Service port {}", d.service_port.describe()))
                .help(fix);
        }
    }
}

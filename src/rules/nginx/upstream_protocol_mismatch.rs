//! NGX003: NGINX speaks to a Service port in another protocol than the
//! port declares: plaintext to a TLS port, TLS to a plaintext port, HTTP to
//! a database port.

use super::{DeclaredPort, declared_service_ports};
use crate::model::nginx::{PassKind, Scheme};
use crate::model::protocol::{Protocol, ProtocolSource};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX003",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    for d in declared_service_ports(ctx) {
        let DeclaredPort {
            config: c,
            endpoint: e,
            service_name: sn,
            port,
            service_port: sp,
            protocol: proto,
            source,
        } = d;
        let how = match source {
            ProtocolSource::AppProtocol => "its appProtocol",
            _ => "its name",
        };
        for p in &e.passes {
            let Some(node) = c.tree.node(p.node) else {
                continue;
            };
            let tls = p.scheme.tls();
            let problem = match p.kind {
                PassKind::Proxy | PassKind::Grpc if !tls && proto.is_tls() => Some((
                    "plaintext",
                    "`SSL`-less bytes reach a TLS server: the backend resets the connection or nginx logs `upstream sent no valid HTTP/1.0 header` / `upstream prematurely closed connection`",
                    match p.kind {
                        PassKind::Grpc => "use `grpcs://`",
                        _ => "use `https://` (and `proxy_ssl_server_name on`)",
                    },
                )),
                PassKind::Proxy | PassKind::Grpc if tls && proto.is_http() => Some((
                    "TLS",
                    "nginx starts a TLS handshake with a plaintext server: `SSL_do_handshake() failed (... wrong version number) while SSL handshaking to upstream`",
                    match p.kind {
                        PassKind::Grpc => "use `grpc://`",
                        _ => "use `http://`",
                    },
                )),
                PassKind::Proxy if proto.is_opaque() && proto != Protocol::Tcp => Some((
                    "HTTP",
                    "the backend does not speak HTTP: `upstream sent invalid header` / `upstream sent no valid HTTP/1.0 header`",
                    "point the proxy at the HTTP port, or proxy this port with the stream module",
                )),
                _ => None,
            };
            let Some((speaks, effect, fix)) = problem else {
                continue;
            };
            let scheme = match p.scheme {
                Scheme::Other => p.kind.directive().to_string(),
                s => format!("{}://", s.as_str()),
            };
            emit.at(
                    node.arg_loc(0),
                    format!(
                        "{} sends {speaks} traffic (`{scheme}`) to port {port} of Service {}/{}, which {how} declares {}: {effect}",
                        e.what,
                        sn.namespace,
                        sn.name,
                        proto.as_str()
                    ),
                )
                .resource(super::level_resource(c, p.level))
                .related(sp.loc, format!("Service port {}", sp.describe()))
                .help(fix);
        }
    }
}

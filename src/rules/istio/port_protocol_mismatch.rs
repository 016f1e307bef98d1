//! ISTIO010: a Service port's protocol contradicts the container port it targets.

use foldhash::{HashMap, HashMapExt};

use super::template_classes::TemplateClasses;
use crate::finding::Severity;
use crate::model::k8s::PortRef;
use crate::model::protocol::{Protocol, ProtocolSource, port_protocol, service_port_protocol};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO010",
    check,
};

/// How bad is it when the proxy treats `declared` traffic as `actual`?
fn clash(declared: Protocol, actual: Protocol) -> Option<(Severity, &'static str)> {
    use Protocol::*;
    match (declared, actual) {
        (Http, Http2 | Grpc) => Some((
            Severity::Error,
            "the proxy speaks HTTP/1.1 to an HTTP/2 server: `protocol error` / resets",
        )),
        (Http | Http2 | Grpc | GrpcWeb, Https | Tls) => Some((
            Severity::Error,
            "the proxy sends plaintext HTTP to a TLS server: the handshake fails and the connection is reset",
        )),
        (Https | Tls, Http | Http2 | Grpc | GrpcWeb) => Some((
            Severity::Error,
            "clients are told to expect TLS from a plaintext server",
        )),
        (Http2 | Grpc, Http) => Some((
            Severity::Error,
            "the proxy speaks HTTP/2 to an HTTP/1.1 server: `protocol error`",
        )),
        (Tcp, Http2 | Grpc) => Some((
            Severity::Warning,
            "gRPC/HTTP/2 through a TCP port loses per-request balancing: one connection pins every call to one pod",
        )),
        (Udp, p) if p != Udp && p != Unknown => Some((
            Severity::Error,
            "a UDP Service port in front of a TCP server never connects",
        )),
        _ => None,
    }
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
    // A template answers as every copy of it does: ask one of each.
    let classes = TemplateClasses::by_ports(m);
    let mut selected = HashMap::new();
    for svc in &m.k8s.services {
        let Some(obj) = m.k8s.service_object(svc) else {
            continue;
        };
        let templates = classes.distinct_templates(m, svc, &mut selected);
        for sp in &svc.ports {
            let (declared, src) = service_port_protocol(sp);
            if src == ProtocolSource::Detected {
                continue;
            }
            for &t in &templates {
                let cport = match sp.effective_target() {
                    Some(PortRef::Name(n)) => t.port_for_name(n, sp.protocol),
                    Some(PortRef::Number(n)) => t
                        .declared_ports()
                        .map(|(_, p)| p)
                        .find(|p| p.number == Some(n)),
                    Some(PortRef::OutOfRange(_)) | None => None,
                };
                let Some(cport) = cport else { continue };
                let (actual, csrc) = port_protocol(cport.name, None);
                if csrc == ProtocolSource::Detected {
                    continue;
                }
                let Some((severity, why)) = clash(declared, actual) else {
                    continue;
                };
                emit.at(
                    sp.app_protocol_loc.or(sp.name_loc).unwrap_or(sp.loc),
                    format!(
                        "Service {}/{} declares port {} as {}, but it targets the container port `{}`, which is {}: {why}",
                        obj.namespace,
                        obj.name,
                        sp.describe(),
                        declared.as_str(),
                        cport.name.unwrap_or(""),
                        actual.as_str()
                    ),
                )
                .resource(obj.resource())
                .severity(severity)
                .related(cport.name_or_entry(), format!("container port `{}`", cport.name.unwrap_or("")))
                .help(format!("name the Service port after the protocol the server speaks (e.g. `{}`), or set appProtocol", actual.as_str().to_ascii_lowercase().replace('/', "")));
                break;
            }
        }
    }
}

//! GWAPI008: an HTTPRoute or GRPCRoute sending HTTP to a Service port that
//! explicitly declares a non-HTTP protocol (TCP, TLS, UDP, a database).

use foldhash::{HashMap, HashMapExt};

use super::common::{GROUP, backend_namespace, routes, services_named};
use crate::model::Model;
use crate::model::k8s::{Service, ServicePort};
use crate::model::protocol::{Protocol, ProtocolSource, service_port_protocol};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "GWAPI008",
    check,
};

/// Protocols an HTTP proxy cannot speak to; `None` for HTTP and unknown.
fn non_http(p: &ServicePort<'_>) -> Option<Protocol> {
    let (proto, source) = service_port_protocol(p);
    if source == ProtocolSource::Detected {
        return None;
    }
    matches!(
        proto,
        Protocol::Tcp
            | Protocol::Tls
            | Protocol::Udp
            | Protocol::Mongo
            | Protocol::Mysql
            | Protocol::Redis
    )
    .then_some(proto)
}

/// Does something in the tree make the gateway originate TLS to this
/// Service (a BackendTLSPolicy or an Istio DestinationRule for it)?
fn backend_tls_configured(model: &Model<'_>, ns: &str, name: &str) -> bool {
    let policy = model.k8s.objects.iter().any(|o| {
        o.kind == "BackendTLSPolicy"
            && o.group() == GROUP
            && o.namespace == ns
            && o.get("spec").is_some_and(|s| {
                s.get("targetRefs")
                    .into_iter()
                    .flat_map(|t| t.items())
                    .chain(s.get("targetRef"))
                    .any(|t| t.str_at("name") == Some(name))
            })
    });
    policy
        || model.istio.destination_rules.iter().any(|d| {
            model.k8s.object(d.object).is_some_and(|o| {
                model
                    .istio_service_name(d.host, o.namespace)
                    .is_some_and(|s| s.namespace == ns && s.name == name)
            })
        })
}

fn help(proto: Protocol, kind: &str) -> String {
    match proto {
        Protocol::Udp => format!(
            "the gateway connects over TCP and a UDP port refuses it; route UDP with a UDPRoute, or point the {kind} at the Service's TCP port"
        ),
        Protocol::Tls => "the gateway sends cleartext to a port that expects TLS; use a TLSRoute (passthrough), or a BackendTLSPolicy so the gateway originates TLS".to_string(),
        _ => format!(
            "if the backend speaks HTTP, declare it (name the port `http-…`/`grpc-…` or set `appProtocol`); otherwise route it with a TCPRoute instead of the {kind}"
        ),
    }
}

/// The first Service port of that namespace, name and number and its
/// non-HTTP protocol, when every such port declares one and the gateway
/// does not originate TLS to it.
fn verdict<'m, 'a>(
    model: &'m Model<'a>,
    ns: &str,
    name: &str,
    n: i64,
) -> Option<(&'m ServicePort<'a>, Protocol)> {
    let svcs: Vec<&Service<'_>> = services_named(model, ns, name);
    let ports: Vec<&ServicePort<'_>> = svcs
        .iter()
        .flat_map(|s| s.ports.iter().filter(|p| p.port == Some(n)))
        .collect();
    // Every port with that number must be non-HTTP (53/TCP next to
    // 53/UDP is fine).
    let protos: Vec<Option<Protocol>> = ports.iter().map(|p| non_http(p)).collect();
    let (Some(first), Some(Some(proto))) = (ports.first(), protos.first()) else {
        return None;
    };
    if protos.iter().any(|p| p.is_none()) {
        return None;
    }
    if *proto == Protocol::Tls && backend_tls_configured(model, ns, name) {
        return None;
    }
    Some((first, *proto))
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let model = ctx.model;
    let mut verdicts = HashMap::new();
    for (route, obj) in routes(model) {
        if !matches!(obj.kind, "HTTPRoute" | "GRPCRoute") {
            continue;
        }
        for b in route.backend_refs.iter().filter(|b| b.is_service()) {
            let (Some(n), Some(port_node)) = (b.port, b.port_node) else {
                continue;
            };
            let ns = backend_namespace(obj, b);
            // The same for every route naming that Service port: found once
            // (thousands of routes to a Service defined thousands of times
            // compared every copy's ports per route).
            let found = *verdicts
                .entry((ns, b.name, n))
                .or_insert_with(|| verdict(model, ns, b.name, n));
            let Some((first, proto)) = found else {
                continue;
            };
            let declared = match (first.app_protocol, first.name) {
                _ if proto == Protocol::Udp => "protocol: UDP".to_string(),
                (Some(a), _) if Protocol::parse(a).is_some() => format!("appProtocol `{a}`"),
                (_, Some(name)) => format!("port name `{name}`"),
                _ => "its declaration".to_string(),
            };
            let speaks = if obj.kind == "GRPCRoute" {
                "gRPC"
            } else {
                "HTTP"
            };
            let f = emit
                .at(
                    port_node.loc(),
                    format!(
                        "{} {}/{} sends {speaks} to port {n} of Service {ns}/{}, which is declared {} ({declared})",
                        obj.kind,
                        obj.namespace,
                        obj.name,
                        b.name,
                        proto.as_str()
                    ),
                )
                .resource(obj.resource())
                .help(help(proto, obj.kind));
            f.related(
                first.loc,
                format!("Service {} port {}", b.name, first.describe()),
            );
        }
    }
}

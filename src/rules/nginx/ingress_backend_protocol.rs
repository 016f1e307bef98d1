//! NGX004: ingress-nginx `backend-protocol` (default HTTP) against the
//! protocol the Service port declares.

use crate::model::k8s::Object;
use crate::model::protocol::{Protocol, ProtocolSource, service_port_protocol};
use crate::rules::{Ctx, Emit, Pass, Rule};

pub static RULE: Rule = Rule {
    id: "NGX004",
    check,
};

pub(crate) const PREFIX: &str = "nginx.ingress.kubernetes.io/";

/// Is this Ingress served by ingress-nginx? (Its class, or its annotations.)
pub(crate) fn ingress_nginx(o: &Object<'_>) -> bool {
    let class = o
        .path(&["spec", "ingressClassName"])
        .and_then(|n| n.as_str())
        .or_else(|| o.annotation("kubernetes.io/ingress.class"));
    match class {
        Some(c) => c == "nginx" || c.contains("ingress-nginx"),
        None => o.annotations.iter().any(|(k, _)| k.starts_with(PREFIX)),
    }
}

/// The ingress-nginx Ingresses of the tree. They are read in the model pass
/// only: a rule that also reads NGINX configurations runs once per
/// configuration as well, and would report each annotation again.
pub(crate) fn nginx_ingresses<'m, 'a>(ctx: &Ctx<'m, 'a>) -> impl Iterator<Item = &'m Object<'a>> {
    let objects: &'m [Object<'a>] = match ctx.pass {
        Pass::Model => &ctx.model.k8s.objects,
        Pass::NginxConfig => &[],
    };
    objects
        .iter()
        .filter(|o| o.kind == "Ingress" && ingress_nginx(o))
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let k = &ctx.model.k8s;
    for b in &k.ingress_backends {
        let (Some(obj), Some(port)) = (k.object(b.object), b.port) else {
            continue;
        };
        if obj.kind != "Ingress" || !ingress_nginx(obj) {
            continue;
        }
        // Passed-through TLS reaches the backend untouched: no protocol choice.
        if obj.annotation(&format!("{PREFIX}ssl-passthrough")) == Some("true") {
            continue;
        }
        let Some(svc) = k.service(obj.namespace, b.service) else {
            continue;
        };
        let Some(sp) = svc.port_by_ref(port) else {
            continue;
        };
        let (proto, source) = service_port_protocol(sp);
        if source == ProtocolSource::Detected {
            continue;
        }
        let key = format!("{PREFIX}backend-protocol");
        let set = obj.annotation(&key);
        let bp = set.unwrap_or("HTTP").to_ascii_uppercase();
        let wrong = match bp.as_str() {
            "HTTP" => proto.is_tls() || proto.is_http2(),
            "HTTPS" => matches!(
                proto,
                Protocol::Http | Protocol::Http2 | Protocol::Grpc | Protocol::GrpcWeb
            ),
            "GRPC" => proto.is_tls() || proto == Protocol::Http,
            "GRPCS" => matches!(
                proto,
                Protocol::Http | Protocol::Http2 | Protocol::Grpc | Protocol::GrpcWeb
            ),
            _ => false,
        };
        if !wrong {
            continue;
        }
        let want = match proto {
            Protocol::Grpc | Protocol::Http2 => "GRPC",
            Protocol::Https | Protocol::Tls => {
                if bp.starts_with("GRPC") {
                    "GRPCS"
                } else {
                    "HTTPS"
                }
            }
            _ => "HTTP",
        };
        let at = match set {
            Some(_) => obj
                .path(&["metadata", "annotations", key.as_str()])
                .map(|n| n.loc())
                .unwrap_or_else(|| obj.name_loc()),
            None => b
                .port_node
                .map(|n| n.loc())
                .unwrap_or_else(|| b.service_node.loc()),
        };
        let said = match set {
            Some(v) => format!("`backend-protocol: {v}`"),
            None => "no `backend-protocol` annotation (ingress-nginx then speaks HTTP)".to_string(),
        };
        emit.at(
            at,
            format!(
                "Ingress {}/{} has {said}, but port {} of Service {} declares {}: requests fail with 502 (`upstream sent invalid header` / `SSL_do_handshake() failed` / `upstream prematurely closed connection`)",
                obj.namespace,
                obj.name,
                sp.describe(),
                b.service,
                proto.as_str()
            ),
        )
        .resource(obj.resource())
        .related(sp.loc, format!("Service port {}", sp.describe()))
        .help(format!("set the annotation `{key}: \"{want}\"`"));
    }
}

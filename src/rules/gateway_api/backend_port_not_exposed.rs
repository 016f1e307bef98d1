//! GWAPI002: a Service backendRef port that the Service does not expose.

use super::common::{backend_namespace, routes, services_named};
use crate::model::Model;
use crate::model::k8s::{PortRef, Service, ServicePort};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "GWAPI002",
    check,
};

/// The Service port whose target (number, or a name resolved through the
/// selected pods) is `n`: the container port used instead of the Service port.
fn port_targeting<'s, 'a>(
    model: &Model<'a>,
    svc: &'s Service<'a>,
    n: i64,
) -> Option<&'s ServicePort<'a>> {
    svc.ports.iter().find(|p| match p.effective_target() {
        Some(PortRef::Number(t)) => t == n,
        Some(PortRef::Name(name)) => model
            .k8s
            .service_templates(svc)
            .iter()
            .any(|t| t.port_for_name(name, p.protocol).and_then(|c| c.number) == Some(n)),
        Some(PortRef::OutOfRange(_)) | None => false,
    })
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let model = ctx.model;
    for (route, obj) in routes(model) {
        for b in route.backend_refs.iter().filter(|b| b.is_service()) {
            let (Some(n), Some(port_node)) = (b.port, b.port_node) else {
                continue;
            };
            let ns = backend_namespace(obj, b);
            let svcs = services_named(model, ns, b.name);
            if svcs
                .iter()
                .any(|s| s.type_ == "ExternalName" || s.port_numbered(n).is_some())
            {
                continue;
            }
            let Some(svc) = svcs.first() else {
                continue;
            };
            let f = emit
                .at(
                    port_node.loc(),
                    format!(
                        "{} {}/{} sends traffic to port {n} of Service {ns}/{}, which exposes only {}",
                        obj.kind,
                        obj.namespace,
                        obj.name,
                        b.name,
                        if svc.ports.is_empty() {
                            "no ports".to_string()
                        } else {
                            svc.ports_list()
                        }
                    ),
                )
                .resource(obj.resource());
            for p in svc.ports.iter().take(4) {
                let at = p.port_or_entry();
                f.related(at, format!("Service {} exposes {}", b.name, p.describe()));
            }
            let service_port = |p: &ServicePort<'_>| {
                p.port
                    .map(|x| x.to_string())
                    .unwrap_or_else(|| p.describe())
            };
            match (port_targeting(model, svc, n), svc.ports.as_slice()) {
                (Some(p), _) => f.help(format!(
                    "{n} is the pod's port (the targetPort behind Service port {}); a backendRef needs the Service port: use `port: {}`",
                    p.describe(),
                    service_port(p)
                )),
                (None, [only]) => f.help(format!("use the Service port: `port: {}`", service_port(only))),
                (None, []) => f.help("add the port to the Service, or point the backendRef at a Service that exposes it"),
                _ => f.help(format!("use one of the Service ports: {}", svc.ports_list())),
            };
        }
    }
}

//! GWAPI003: a Service backendRef without `port`.

use super::common::{backend_namespace, routes, services_named};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "GWAPI003",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let model = ctx.model;
    for (route, obj) in routes(model) {
        for b in route.backend_refs.iter().filter(|b| b.is_service()) {
            if b.port_node.is_some() {
                continue;
            }
            let ns = backend_namespace(obj, b);
            let f = emit
                .at(
                    b.name_node.loc(),
                    format!(
                        "{} {}/{} names Service `{}` without a port; Gateway API requires `port` for Service backends",
                        obj.kind, obj.namespace, obj.name, b.name
                    ),
                )
                .resource(obj.resource());
            let svcs = services_named(model, ns, b.name);
            match svcs.first().map(|s| s.ports.as_slice()) {
                Some([only]) => f.help(format!(
                    "add `port: {}` (the Service port, not the targetPort)",
                    only.port
                        .map(|p| p.to_string())
                        .unwrap_or_else(|| only.describe())
                )),
                Some(ports) if !ports.is_empty() => f.help(format!(
                    "add `port:` with one of the Service ports: {}",
                    svcs.first().map(|s| s.ports_list()).unwrap_or_default()
                )),
                _ => f.help("add `port:` with the Service port (not the targetPort)"),
            };
        }
    }
}

//! K8S002: a named targetPort that no selected container declares.

use crate::model::k8s::PortRef;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "K8S002",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let k = &ctx.model.k8s;
    for svc in &k.services {
        let Some(obj) = k.service_object(svc) else {
            continue;
        };
        let templates = k.service_templates(svc);
        if templates.is_empty() {
            continue;
        }
        for port in &svc.ports {
            let Some(PortRef::Name(name)) = port.target else {
                continue;
            };
            if templates
                .iter()
                .any(|t| t.port_for_name(name, port.protocol).is_some())
            {
                continue;
            }
            let f = emit
                .at(
                    port.target_or_port(),
                    format!(
                        "Service {}/{} targets the port name `{name}` ({}), but no container of its pods declares a port with that name",
                        obj.namespace, obj.name, port.protocol
                    ),
                )
                .resource(obj.resource());
            for t in &templates {
                for (c, p) in t.ports_named(name) {
                    f.related(
                        p.loc,
                        format!(
                            "container {} names a {} port `{name}`; the protocols differ",
                            c.name, p.protocol
                        ),
                    );
                }
            }
            // Four are shown; a fifth says there was not just one.
            let candidates: Vec<_> = templates
                .iter()
                .flat_map(|t| t.declared_ports())
                .filter_map(|(_, p)| Some((p.name.filter(|n| *n != name)?, p.number, p.loc)))
                .take(5)
                .collect();
            for (n, num, loc) in candidates.iter().take(4) {
                let num = num.map(|x| format!(" ({x})")).unwrap_or_default();
                f.related(*loc, format!("declared port name `{n}`{num}"));
            }
            match candidates.as_slice() {
                [(only, _, _)] => f.help(format!("set targetPort to `{only}`, or name the container port `{name}`")),
                _ => f.help(format!("name the container port `{name}` (ports[].name), or set targetPort to a declared name or number")),
            };
        }
    }
}

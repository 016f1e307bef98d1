//! K8S001: a numeric targetPort that no selected container declares.

use crate::model::k8s::PortRef;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "K8S001",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let k = &ctx.model.k8s;
    for svc in &k.services {
        let Some(obj) = k.service_object(svc) else {
            continue;
        };
        let templates = k.service_templates(svc);
        // containerPort is optional: only a template that declares ports tells us anything.
        if templates.is_empty()
            || templates
                .iter()
                .any(|t| t.declared_ports().next().is_none())
        {
            continue;
        }
        for port in &svc.ports {
            let Some(PortRef::Number(n)) = port.effective_target() else {
                continue;
            };
            // A port outside 1-65535 is K8S007's finding (the API rejects it).
            if !(1..=65535).contains(&n) || templates.iter().any(|t| t.may_listen_on(n)) {
                continue;
            }
            let Some(t) = templates.first() else { continue };
            let owner = k
                .template_object(t)
                .map(|o| format!("{} {}", o.kind, o.name))
                .unwrap_or_default();
            let which = if port.target.is_some() {
                "targets port"
            } else {
                "has no targetPort, so it targets its port"
            };
            let f = emit
                .at(
                    port.target_or_port(),
                    format!(
                        "Service {}/{} {which} {n}, but no container of its pods ({owner}) declares that port",
                        obj.namespace, obj.name
                    ),
                )
                .resource(obj.resource());
            // Four are shown; one alone is suggested.
            let declared: Vec<_> = t.declared_ports().take(5).collect();
            for (c, p) in declared.iter().take(4) {
                let what = match (p.number, p.name) {
                    (Some(num), Some(name)) => {
                        format!("container {} listens on {num} (`{name}`)", c.name)
                    }
                    (Some(num), None) => format!("container {} listens on {num}", c.name),
                    _ => format!("container {} declares a port without a number", c.name),
                };
                f.related(p.number_or_entry(), what);
            }
            if let [(_, only)] = declared.as_slice() {
                if let Some(num) = only.number {
                    let by_name = only
                        .name
                        .map(|nm| format!(" (or to the port name `{nm}`)"))
                        .unwrap_or_default();
                    f.help(format!("set targetPort to {num}{by_name}"));
                }
            } else {
                f.help("set targetPort to the containerPort the application listens on, or to its port name");
            }
        }
    }
}

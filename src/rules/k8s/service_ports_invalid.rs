//! K8S007: Service ports the API rejects, or that collide.

use std::borrow::Cow;

use foldhash::{HashMap, HashMapExt};

use crate::model::k8s::{PortRef, port_name_problem};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "K8S007",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let k = &ctx.model.k8s;
    for svc in &k.services {
        let Some(obj) = k.service_object(svc) else {
            continue;
        };
        // Written only into a finding's message (most Services have none).
        let who = std::fmt::from_fn(|f| write!(f, "Service {}/{}", obj.namespace, obj.name));
        let mut numbers: HashMap<(i64, Cow<'_, str>), &crate::model::k8s::ServicePort<'_>> =
            HashMap::new();
        let mut names: HashMap<&str, &crate::model::k8s::ServicePort<'_>> = HashMap::new();
        let several = svc.ports.len() > 1;
        for p in &svc.ports {
            match (p.port, p.port_field) {
                (Some(n), Some((at, _))) if !(1..=65535).contains(&n) => {
                    emit.at(
                        at,
                        format!("{who}: port {n} is outside 1-65535; the API rejects it"),
                    )
                    .resource(obj.resource());
                }
                (None, Some((at, text))) => {
                    emit.at(
                        at,
                        format!("{who}: port must be a number; the API rejects `{text}`"),
                    )
                    .resource(obj.resource());
                }
                (None, None) if svc.type_ != "ExternalName" || !svc.ports.is_empty() => {
                    emit.at(
                        p.loc,
                        format!("{who}: a port entry without `port`; the API rejects it"),
                    )
                    .resource(obj.resource())
                    .help("add `port:` (the port clients connect to)");
                }
                _ => {}
            }
            if let (Some(t), Some(at)) = (p.target, p.target_loc) {
                match t {
                    t if t.outside_port_range() => {
                        emit.at(
                            at,
                            format!("{who}: targetPort {t} is outside 1-65535; the API rejects it"),
                        )
                        .resource(obj.resource());
                    }
                    PortRef::Name(name) => {
                        if let Some(why) = port_name_problem(name) {
                            emit.at(
                                at,
                                format!(
                                    "{who}: targetPort name `{name}` {why}; the API rejects it"
                                ),
                            )
                            .resource(obj.resource());
                        }
                    }
                    _ => {}
                }
            }
            if several && p.name.is_none() {
                emit.at(
                    p.loc,
                    format!(
                        "{who} has several ports, so each needs a name; the API rejects this one"
                    ),
                )
                .resource(obj.resource())
                .help("add `name:` (for example `http`)");
            }
            if let Some(n) = p.port {
                // Protocols are compared ignoring case; most are written uppercase.
                let protocol: Cow<'_, str> = if p.protocol.bytes().any(|b| b.is_ascii_lowercase()) {
                    p.protocol.to_ascii_uppercase().into()
                } else {
                    p.protocol.into()
                };
                let key = (n, protocol);
                if let Some(first) = numbers.get(&key) {
                    emit.at(
                        p.port_or_entry(),
                        format!(
                            "{who} exposes port {n}/{} twice; the API rejects the duplicate",
                            p.protocol
                        ),
                    )
                    .resource(obj.resource())
                    .related(first.loc, "first defined here");
                } else {
                    numbers.insert(key, p);
                }
            }
            if let Some(name) = p.name {
                if let Some(first) = names.get(name) {
                    emit.at(
                        p.name_or_entry(),
                        format!(
                            "{who} has two ports named `{name}`; the API rejects the duplicate"
                        ),
                    )
                    .resource(obj.resource())
                    .related(first.loc, "first defined here");
                } else {
                    names.insert(name, p);
                }
            }
        }
    }
}

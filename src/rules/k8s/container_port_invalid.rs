//! K8S010: container ports the API rejects (bad names, numbers out of range,
//! duplicate names), which break every named reference to them.

use foldhash::{HashMap, HashMapExt};

use crate::model::k8s::port_name_problem;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "K8S010",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let k = &ctx.model.k8s;
    for t in &k.templates {
        let Some(obj) = k.template_object(t) else {
            continue;
        };
        let mut names: HashMap<&str, crate::source::Loc> = HashMap::new();
        for c in &t.containers {
            for p in &c.ports {
                // Written only into a finding's message (most ports have none).
                let who = std::fmt::from_fn(|f| {
                    write!(f, "container `{}` of {} {}", c.name, obj.kind, obj.name)
                });
                if let Some(at) = p.number_loc {
                    match p.number {
                        Some(n) if !(1..=65535).contains(&n) => {
                            emit.at(at, format!("{who}: containerPort {n} is outside 1-65535; the API rejects it")).resource(obj.resource());
                        }
                        None => {
                            emit.at(at, format!("{who}: containerPort must be a number"))
                                .resource(obj.resource());
                        }
                        _ => {}
                    }
                }
                let (Some(name), Some(at)) = (p.name, p.name_loc) else {
                    continue;
                };
                if let Some(why) = port_name_problem(name) {
                    emit.at(
                        at,
                        format!("{who}: port name `{name}` {why}; the API rejects it"),
                    )
                    .resource(obj.resource());
                } else if let Some(first) = names.get(name) {
                    emit.at(
                        at,
                        format!(
                            "{who}: port name `{name}` is used twice in the pod; the API rejects it"
                        ),
                    )
                    .resource(obj.resource())
                    .related(*first, "first used here");
                } else {
                    names.insert(name, at);
                }
            }
        }
    }
}

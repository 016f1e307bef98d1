//! ISTIO017: an application running as UID 1337, whose traffic bypasses the proxy.

use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO017",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
    for t in &m.k8s.templates {
        if !m.sidecar_injected(t) {
            continue;
        }
        let Some(obj) = m.k8s.template_object(t) else {
            continue;
        };
        for c in t.containers.iter().filter(|c| c.name != "istio-proxy") {
            let uid = c.run_as_user.or(t.run_as_user);
            let Some(uid) = uid.filter(|u| u.value == Some(1337)) else {
                continue;
            };
            emit.at(uid.loc, format!(
                "container `{}` of {} {} runs as UID 1337, the proxy's own UID: iptables lets its traffic bypass the sidecar, so it gets no mTLS and mTLS-only servers reset it",
                c.name, obj.kind, obj.name
            ))
            .resource(obj.resource())
            .help("run the application as any other UID");
            break;
        }
    }
}

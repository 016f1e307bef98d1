//! K8S008: pods behind a Service that are killed without draining.

use crate::finding::Severity;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "K8S008",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let k = &ctx.model.k8s;
    for t in &k.templates {
        let Some((0, node)) = t.grace_period else {
            continue;
        };
        let Some(obj) = k.template_object(t) else {
            continue;
        };
        let Some(svc) = k.services_selecting(t).next() else {
            continue;
        };
        let svc_name = k.service_object(svc).map(|o| o.name).unwrap_or("");
        let injected = ctx.model.sidecar_injected(t);
        let proxy_too = if injected {
            "; the injected proxy is killed at once too, dropping in-flight requests"
        } else {
            ""
        };
        let f = emit
            .at(
                node,
                format!(
                    "{} {}: terminationGracePeriodSeconds is 0, so pods behind Service {svc_name} are killed with connections open; clients see resets on every rollout{proxy_too}",
                    obj.kind, obj.name
                ),
            )
            .resource(obj.resource())
            .help("give the pods time to drain: 30 seconds is the default; add a preStop sleep longer than the endpoint propagation delay");
        if injected {
            f.severity(Severity::Error);
        }
    }
}

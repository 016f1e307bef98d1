//! ISTIO016: sidecar-injected pods that drop connections on rollout.

use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO016",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
    // Envoy's default drain (terminationDrainDuration) is 5 s.
    let drain = ctx.thresholds.get("istio_drain_seconds", 5.0) as i64;
    for t in &m.k8s.templates {
        let Some((grace, node)) = t.grace_period else {
            continue;
        };
        // 0 is K8S008's case; longer than the drain is fine.
        if grace <= 0
            || grace >= drain
            || !m.sidecar_injected(t)
            || m.k8s.services_selecting(t).next().is_none()
        {
            continue;
        }
        if t.serving_containers().any(|c| c.has_pre_stop) {
            continue;
        }
        let Some(obj) = m.k8s.template_object(t) else {
            continue;
        };
        emit.at(node, format!(
            "{} {}: terminationGracePeriodSeconds {grace} is shorter than the sidecar's {drain} s drain, and no container has a preStop hook: in-flight requests are reset on every rollout",
            obj.kind, obj.name
        ))
        .resource(obj.resource())
        .help("raise terminationGracePeriodSeconds above the drain duration (30 is the default) and add a preStop sleep");
    }
}

//! ENV013: circuit breaker thresholds that overflow at trivial load.

use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ENV013",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let min = ctx.thresholds.get("envoy_circuit_breaker_min", 10.0);
    for c in &ctx.model.envoy.clusters {
        for t in &c.thresholds {
            for (field, value, node) in &t.limits {
                if *field == "max_retries" || (*value as f64) >= min {
                    continue;
                }
                emit.at(
                    node.loc(),
                    format!(
                        "cluster `{}` allows {field} = {value} ({} priority): beyond {value} at once, Envoy rejects with 503 `x-envoy-overloaded`, `reset reason: overflow` (UO)",
                        c.name,
                        t.priority,
                    ),
                )
                .resource(c.resource())
                .help(format!(
                    "size {field} for peak concurrency (Envoy's default is 1024); the floor for this check is the threshold `envoy_circuit_breaker_min` ({min})"
                ));
            }
        }
    }
}

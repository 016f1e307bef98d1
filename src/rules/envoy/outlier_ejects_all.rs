//! ENV014: outlier detection that can eject every host.

use crate::finding::Severity;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ENV014",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    for c in &ctx.model.envoy.clusters {
        let Some(o) = &c.outlier else { continue };
        let (pct, pct_node) = o.max_ejection_percent;
        if pct < 100 {
            continue;
        }
        let Some((n, field, trigger_node)) = o.trigger else {
            continue;
        };
        let severity = if n <= 2 {
            Severity::Error
        } else {
            Severity::Warning
        };
        let panic = if c.healthy_panic_threshold <= 0.0 {
            "and with healthy_panic_threshold 0 no host is left: 503 `no healthy upstream` (UH)"
        } else {
            "then Envoy falls into panic routing and sends to failing hosts anyway"
        };
        let f = emit
            .at(
                pct_node.unwrap_or(o.node).loc(),
                format!(
                    "cluster `{}` may eject 100% of its hosts after {n} consecutive error{} ({field}): one bad deploy or a brief upstream restart empties the cluster, {panic}",
                    c.name,
                    if n == 1 { "" } else { "s" }
                ),
            )
            .resource(c.resource())
            .severity(severity);
        if let Some(t) = trigger_node {
            f.related(t.loc(), format!("{field}: {n}"));
        }
        f.help("keep max_ejection_percent well below 100 (default 10) and require at least 5 consecutive errors");
    }
}

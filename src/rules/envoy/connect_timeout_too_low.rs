//! ENV012: `connect_timeout` below a sane floor.

use crate::finding::Severity;
use crate::model::envoy::fields::fmt_secs;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ENV012",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let warn_ms = ctx.thresholds.get("envoy_connect_timeout_warn_ms", 250.0);
    let error_ms = ctx.thresholds.get("envoy_connect_timeout_error_ms", 50.0);
    for c in &ctx.model.envoy.clusters {
        let Some(node) = c.connect_timeout.node else {
            continue;
        };
        let ms = c.connect_timeout.ms();
        if ms >= warn_ms {
            continue;
        }
        let severity = if ms < error_ms {
            Severity::Error
        } else {
            Severity::Warning
        };
        let tls = if c.transport.is_tls() {
            " plus a TLS handshake"
        } else {
            ""
        };
        emit.at(
            node.loc(),
            format!(
                "cluster `{}` gives a connection {} to open (TCP{tls}): under load, across zones or after a SYN retransmit (1 s) connects fail with `reset reason: connection timeout`",
                c.name,
                fmt_secs(c.connect_timeout.secs)
            ),
        )
        .resource(c.resource())
        .severity(severity)
        .help(format!(
            "raise connect_timeout to at least {} (Envoy's default is 5s)",
            fmt_secs(warn_ms.max(1000.0) / 1000.0)
        ));
    }
}

//! ENV015: upstream `idle_timeout` at or above the upstream's keep-alive
//! timeout: Envoy reuses connections the server is closing.

use super::routed_by_http;
use crate::model::envoy::Cluster;
use crate::model::envoy::fields::fmt_secs;
use crate::rules::{Ctx, Emit, Rule};
use crate::source::Loc;

pub static RULE: Rule = Rule {
    id: "ENV015",
    check,
};

/// The upstream's keep-alive timeout in seconds, with where it is written.
///
/// Today it comes from the threshold `envoy_upstream_keepalive_s`. Hook for
/// the NGINX model: when an endpoint resolves to an NGINX server in the tree,
/// return its `keepalive_timeout` (default 75 s) and the directive's location.
fn upstream_keepalive(ctx: &Ctx<'_, '_>, _c: &Cluster<'_>) -> Option<(f64, Option<Loc>, String)> {
    let v = ctx.thresholds.get("envoy_upstream_keepalive_s", 0.0);
    (v > 0.0).then(|| {
        (
            v,
            None,
            "the configured upstream keep-alive (threshold `envoy_upstream_keepalive_s`)"
                .to_string(),
        )
    })
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    for c in &ctx.model.envoy.clusters {
        let Some((keepalive, at, source)) = upstream_keepalive(ctx, c) else {
            continue;
        };
        if !routed_by_http(ctx.model, c) {
            continue;
        }
        let idle = c.idle_timeout.secs;
        // 0 disables the idle timeout: connections are kept forever.
        if idle > 0.0 && idle < keepalive {
            continue;
        }
        let idle_text = if idle == 0.0 {
            "disabled (0)".to_string()
        } else if c.idle_timeout.is_set() {
            fmt_secs(idle)
        } else {
            format!("{} (the default)", fmt_secs(idle))
        };
        let f = emit
            .at(
                c.idle_timeout.node.unwrap_or(c.name_node.unwrap_or(c.node)).loc(),
                format!(
                    "cluster `{}` keeps idle upstream connections {idle_text}, not less than {source} of {}: Envoy sends requests on connections the server is closing, intermittent `reset reason: connection termination` (UC)",
                    c.name,
                    fmt_secs(keepalive)
                ),
            )
            .resource(c.resource());
        if let Some(loc) = at {
            f.related(loc, "the upstream's keep-alive timeout");
        }
        f.help(format!(
            "set HttpProtocolOptions common_http_protocol_options.idle_timeout below {} (for example {}), and add a retry_policy with retry_on: reset",
            fmt_secs(keepalive),
            fmt_secs((keepalive * 0.75).max(0.5).floor().max(1.0))
        ));
    }
}

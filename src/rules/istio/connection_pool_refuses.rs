//! ISTIO015: connection pool and outlier settings that refuse traffic at any load.

use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO015",
    check,
};

/// Milliseconds of an Istio duration (`1s`, `250ms`, `1m`, `1h`).
fn millis(s: &str) -> Option<f64> {
    let s = s.trim();
    for (unit, mult) in [
        ("ms", 1.0),
        ("us", 0.001),
        ("µs", 0.001),
        ("ns", 0.000_001),
        ("s", 1000.0),
        ("m", 60_000.0),
        ("h", 3_600_000.0),
    ] {
        if let Some(num) = s.strip_suffix(unit) {
            return num.parse::<f64>().ok().map(|n| n * mult);
        }
    }
    None
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
    let max_conn_floor = ctx.thresholds.get("istio_min_max_connections", 2.0);
    let pending_floor = ctx.thresholds.get("istio_min_pending_requests", 2.0);
    let connect_floor_ms = ctx.thresholds.get("istio_min_connect_timeout_ms", 50.0);
    for dr in &m.istio.destination_rules {
        let Some(obj) = m.k8s.object(dr.object) else {
            continue;
        };
        let who = format!("DestinationRule {}/{}", obj.namespace, obj.name);
        for (policy, _, _) in dr.policies() {
            let pool = policy.get("connectionPool");
            let int_at = |path: &[&str]| {
                pool.and_then(|p| p.path(path))
                    .and_then(|n| n.as_int().map(|v| (v, n)))
            };
            if let Some((v, n)) =
                int_at(&["tcp", "maxConnections"]).filter(|(v, _)| (*v as f64) < max_conn_floor)
            {
                emit.at(n.loc(), format!("{who} allows {v} connection(s) per upstream host: the next concurrent request overflows (503 UO, `reset reason: overflow`)"))
                    .resource(obj.resource())
                    .help("size maxConnections for peak concurrency (threshold: istio_min_max_connections)");
            }
            for key in ["http1MaxPendingRequests", "http2MaxRequests"] {
                if let Some((v, n)) =
                    int_at(&["http", key]).filter(|(v, _)| (*v as f64) < pending_floor)
                {
                    emit.at(n.loc(), format!("{who} sets {key} to {v}: a second request in flight overflows the circuit breaker (503 UO)"))
                        .resource(obj.resource())
                        .help("raise the limit well above normal concurrency (threshold: istio_min_pending_requests)");
                }
            }
            if let Some(n) = pool.and_then(|p| p.path(&["tcp", "connectTimeout"]))
                && let Some(ms) = n.as_str().and_then(millis)
                && ms < connect_floor_ms
            {
                emit.at(n.loc(), format!("{who} gives connections {ms} ms to be established: ordinary network latency fails them (`connection timeout`)"))
                    .resource(obj.resource())
                    .help("use at least a few hundred milliseconds (threshold: istio_min_connect_timeout_ms)");
            }
            let outlier = policy.get("outlierDetection");
            let eject_all = outlier
                .and_then(|o| o.get("maxEjectionPercent"))
                .and_then(|n| n.as_int().map(|v| (v, n)))
                .filter(|(v, _)| *v >= 100);
            let errors = outlier.and_then(|o| {
                [
                    "consecutive5xxErrors",
                    "consecutiveGatewayErrors",
                    "consecutiveErrors",
                ]
                .iter()
                .filter_map(|k| o.get(k).and_then(|n| n.as_int()))
                .min()
            });
            if let (Some((_, n)), Some(e)) = (eject_all, errors)
                && e <= 2
            {
                emit.at(n.loc(), format!("{who} may eject 100% of hosts after {e} consecutive error(s): one bad moment empties the pool (`no healthy upstream`)"))
                    .resource(obj.resource())
                    .help("keep maxEjectionPercent below 100 (or require more consecutive errors)");
            }
        }
    }
}

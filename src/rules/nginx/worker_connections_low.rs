//! NGX023: `worker_connections` too low for proxying. Every proxied request
//! holds two connections (client and upstream), idle upstream keepalive
//! connections count too, and the open-file limit caps them all.

use super::keepalive_on;
use crate::model::nginx::BlockKind;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX023",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let model = ctx.model;
    let floor = ctx.thresholds.get("nginx_min_worker_connections", 256.0);
    for c in ctx.nginx_configs.iter().filter(|c| c.tree.is_main) {
        let cfg = &c.tree;
        let proxies = !c.facts.passes.is_empty();
        let events = cfg.own(None, "events").map(|(i, _)| i).next();
        let wc = events.and_then(|e| {
            cfg.own(Some(e), "worker_connections")
                .map(|(_, n)| n)
                .next()
        });
        let value = wc
            .and_then(|n| n.arg(0))
            .and_then(|v| v.parse::<u64>().ok());
        let connections = value.unwrap_or(512);
        if let (Some(n), Some(v)) = (wc, value)
            && proxies
        {
            // Idle upstream connections each worker may keep cached.
            let cached: i64 = c
                .facts
                .upstreams
                .iter()
                .filter(|u| !u.stream && keepalive_on(model, u))
                .map(|u| u.keepalive.map(|k| k.1).unwrap_or(32))
                .sum();
            let cached = u64::try_from(cached).unwrap_or(0);
            if (v as f64) < floor || (cached > 0 && cached * 2 >= v) {
                let why = if cached * 2 >= v && cached > 0 {
                    format!(
                        "upstream keepalive may hold {cached} idle connections per worker, leaving {} for clients and their upstream connections",
                        v.saturating_sub(cached)
                    )
                } else {
                    format!(
                        "a proxied request holds two connections, so a worker serves at most {} clients at once",
                        v / 2
                    )
                };
                emit.at(
                    n.loc(),
                    format!("`worker_connections {v}` is low for a proxy: {why}; beyond that nginx logs `worker_connections are not enough while connecting to upstream`"),
                )
                .help("raise `worker_connections` (e.g. 4096) together with `worker_rlimit_nofile`");
            }
        }
        if let Some(r) = cfg.own(None, "worker_rlimit_nofile").map(|(_, n)| n).next()
            && let Some(limit) = r.arg(0).and_then(|v| v.parse::<u64>().ok())
            && limit < 2 * connections
            && proxies
            && cfg.kind(None) == BlockKind::Main
        {
            emit.at(
                r.loc(),
                format!(
                    "`worker_rlimit_nofile {limit}` is below twice `worker_connections` ({connections}): a proxying worker needs a descriptor per client and per upstream connection, and runs out first (`(24: Too many open files)`)"
                ),
            )
            .help(format!("set `worker_rlimit_nofile` to at least {}", 2 * connections));
        }
    }
}

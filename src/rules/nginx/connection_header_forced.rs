//! NGX011: a `Connection` header forced for every request: `upgrade` on
//! plain requests, or `close` (directly or from the usual WebSocket map)
//! that switches upstream keepalive off.

use foldhash::{HashSet, HashSetExt};

use super::{keepalive_on, websocket_upgrade_missing::ws_location};
use crate::model::nginx::{PassKind, SetAt, vars};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX011",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let model = ctx.model;
    for c in ctx.nginx_configs {
        let cfg = &c.tree;
        let mut seen = HashSet::new();
        for p in c.facts.passes.iter().filter(|p| p.kind == PassKind::Proxy) {
            let SetAt::Level { level, .. } = cfg.effective_at(p.level, "proxy_set_header") else {
                continue;
            };
            let Some(hdr) = cfg.proxy_header_at(level, "Connection") else {
                continue;
            };
            let value = hdr.arg(1).unwrap_or("");
            let group = c.facts.group(p).filter(|g| keepalive_on(model, g));
            // The value plain requests get, and the map that gives it.
            let (plain, mapped) = if let Some(var) = value.strip_prefix('$').map(|_| value) {
                let Some(map) = vars::map_of(cfg, var) else {
                    continue;
                };
                if map.source != "$http_upgrade" {
                    continue;
                }
                match map.value_for("") {
                    Some(v) => (v, Some(var)),
                    None => continue,
                }
            } else {
                (value, None)
            };
            // Spelled out only for a finding (most values are neither).
            let how = || match mapped {
                Some(var) => format!("`{var}` maps a request without `Upgrade` to `{plain}`"),
                None => format!("`Connection: {value}` is sent with every request"),
            };
            let msg = if plain.eq_ignore_ascii_case("upgrade") {
                if ws_location(cfg, p.level) {
                    continue;
                }
                format!(
                    "{}: plain requests reach the backend as upgrade requests, and some backends close the connection (`upstream prematurely closed connection`)",
                    how()
                )
            } else if plain.eq_ignore_ascii_case("close") {
                match group {
                    Some(g) => format!(
                        "{}, which closes each connection to upstream `{}` after one request: its keepalive is silently off",
                        how(),
                        g.name
                    ),
                    None => continue,
                }
            } else {
                continue;
            };
            if !seen.insert(hdr.loc()) {
                continue;
            }
            let help = if value.starts_with('$') {
                "map the empty `$http_upgrade` to `''` instead of `close` (`'' '';`) so plain requests keep the connection"
            } else {
                "use a map on `$http_upgrade` (`default upgrade; '' '';`) and `proxy_set_header Connection $connection_upgrade;`"
            };
            emit.at(hdr.loc(), msg)
                .resource(super::level_resource(c, p.level))
                .help(help);
        }
    }
}

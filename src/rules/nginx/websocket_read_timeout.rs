//! NGX015: a WebSocket location with the default 60 s `proxy_read_timeout`:
//! an idle socket is closed after a minute.

use super::websocket_upgrade_missing::{ws_location, ws_setup};
use crate::model::nginx::{PassKind, Setting};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX015",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let model = ctx.model;
    for c in ctx.nginx_configs {
        let cfg = &c.tree;
        for p in c.facts.passes.iter().filter(|p| p.kind == PassKind::Proxy) {
            // Cheapest first: most locations set a timeout or are not
            // WebSocket ones.
            if !matches!(
                cfg.effective(p.level, "proxy_read_timeout"),
                Setting::Default
            ) {
                continue;
            }
            // A location that only allows an upgrade among ordinary requests
            // is not a long-lived stream; a WebSocket path or unbuffered
            // streaming is.
            let streaming = || cfg.effective(p.level, "proxy_buffering").flag(true) == Some(false);
            if !(ws_location(cfg, p.level) || streaming()) {
                continue;
            }
            let Some(s) = ws_setup(model, cfg, p.level) else {
                continue;
            };
            if !(s.upgrade && s.connection) {
                continue;
            }
            let Some(node) = cfg.node(p.node) else {
                continue;
            };
            emit.at(
                node.loc(),
                "WebSocket location with the default `proxy_read_timeout` of 60 s: a connection on which the backend sends nothing for a minute is closed (`upstream timed out (110: Connection timed out) while reading upstream`)",
            )
            .resource(super::level_resource(c, p.level))
            .help("raise `proxy_read_timeout` for this location (e.g. `proxy_read_timeout 1h;`), or have the backend send pings more often than every 60 s");
        }
    }
}

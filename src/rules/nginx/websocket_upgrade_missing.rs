//! NGX014: a WebSocket location that does not pass the upgrade on:
//! `Upgrade` and `Connection` are hop-by-hop, and HTTP/1.0 has no upgrade.

use super::{header, http_version};
use crate::model::nginx::{BlockKind, Config, Level, PassKind, vars};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX014",
    check,
};

/// Is the location's path one that serves WebSockets (`/ws`, `/websocket`,
/// `/socket.io/`, `/cable`, `/sockjs`)?
pub(crate) fn ws_location(cfg: &Config<'_>, level: Level) -> bool {
    let Some(loc) = cfg
        .enclosing(level, BlockKind::Location)
        .flatten()
        .and_then(|id| cfg.node(id))
    else {
        return false;
    };
    const WORDS: [&str; 7] = [
        "ws",
        "wss",
        "websocket",
        "websockets",
        "socket",
        "sockjs",
        "cable",
    ];
    loc.d.args.iter().any(|a| {
        a.value
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| WORDS.iter().any(|ws| w.eq_ignore_ascii_case(ws)))
    })
}

/// A Socket.IO or SockJS path, whose clients fall back to polling.
fn polling_fallback(cfg: &Config<'_>, level: Level) -> bool {
    cfg.enclosing(level, BlockKind::Location)
        .flatten()
        .and_then(|id| cfg.node(id))
        .is_some_and(|l| {
            l.d.args.iter().any(|a| {
                let v = a.value.to_ascii_lowercase();
                v.contains("socket.io") || v.contains("sockjs")
            })
        })
}

/// Does a `Connection` value pass `upgrade` for upgrade requests?
pub(crate) fn connection_upgrades(cfg: &Config<'_>, value: &str) -> bool {
    if value.starts_with('$') {
        return match vars::map_of(cfg, value) {
            Some(m) => {
                m.default.eq_ignore_ascii_case("upgrade")
                    || m.entries
                        .iter()
                        .any(|e| e.value.eq_ignore_ascii_case("upgrade"))
            }
            // `$http_connection` passes the client's own header on.
            None => value == "$http_connection",
        };
    }
    value.to_ascii_lowercase().contains("upgrade")
}

/// The WebSocket set-up of a location that looks like a WebSocket one (by
/// its path, or an `Upgrade` or `Connection: upgrade` it passes on).
pub(crate) struct WsSetup {
    pub upgrade: bool,
    pub connection: bool,
    pub http11: bool,
}

/// `None` when the location does not look like a WebSocket one, or its
/// headers or HTTP version are unknown (its HTTP version is only looked up
/// for a WebSocket location).
pub(crate) fn ws_setup(
    model: &crate::model::Model<'_>,
    cfg: &Config<'_>,
    level: Level,
) -> Option<WsSetup> {
    let up = header(cfg, level, "Upgrade")?;
    let conn = header(cfg, level, "Connection")?;
    let upgrade = up.is_some_and(|v| !v.is_empty());
    let connection = conn.is_some_and(|v| connection_upgrades(cfg, v));
    if !(upgrade || connection || ws_location(cfg, level)) {
        return None;
    }
    let version = http_version(model, cfg, level)?;
    Some(WsSetup {
        upgrade,
        connection,
        http11: version == "1.1",
    })
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let model = ctx.model;
    for c in ctx.nginx_configs {
        let cfg = &c.tree;
        for p in c.facts.passes.iter().filter(|p| p.kind == PassKind::Proxy) {
            let Some(s) = ws_setup(model, cfg, p.level) else {
                continue;
            };
            let mut missing = Vec::new();
            if !s.http11 {
                missing.push("`proxy_http_version 1.1;`");
            }
            if !s.upgrade {
                missing.push("`proxy_set_header Upgrade $http_upgrade;`");
            }
            if !s.connection {
                missing.push("`proxy_set_header Connection $connection_upgrade;` (or \"upgrade\")");
            }
            if missing.is_empty() {
                continue;
            }
            let Some(node) = cfg.node(p.node) else {
                continue;
            };
            // Socket.IO and SockJS fall back to long polling: degraded, not down.
            let fallback = !s.upgrade && !s.connection && polling_fallback(cfg, p.level);
            let f = emit.at(
                node.loc(),
                format!(
                    "WebSocket location without {}: `Upgrade` and `Connection` are hop-by-hop headers, so the backend never sees the upgrade and the handshake fails (400/426, or no 101){}",
                    missing.join(", "),
                    if fallback {
                        " (Socket.IO/SockJS clients fall back to long polling)"
                    } else {
                        ""
                    }
                ),
            )
            .resource(super::level_resource(c, p.level))
            .help(format!("add {}", missing.join(" ")));
            if fallback {
                f.severity(crate::finding::Severity::Warning);
            }
        }
    }
}

//! NGX010: upstream `keepalive` that never takes effect: before nginx
//! 1.29.7 the proxy speaks HTTP/1.0 and sends `Connection: close` unless
//! told otherwise (FastCGI needs `fastcgi_keep_conn on`).

use super::{header, http_version};
use crate::model::nginx::{PassKind, SetAt, Setting};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX010",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let model = ctx.model;
    if model.nginx.version.keepalive_by_default() {
        return;
    }
    for c in ctx.nginx_configs {
        let cfg = &c.tree;
        for u in &c.facts.upstreams {
            let Some((ka_id, n)) = u.keepalive else {
                continue;
            };
            if n <= 0 || u.stream {
                continue;
            }
            let Some(ka) = cfg.node(ka_id) else { continue };
            for p in c.facts.passes_to(u) {
                let Some(node) = cfg.node(p.node) else {
                    continue;
                };
                let missing: Vec<&str> = match p.kind {
                    PassKind::Proxy => {
                        let mut m = Vec::new();
                        if http_version(model, cfg, p.level) == Some("1.0") {
                            m.push("`proxy_http_version 1.1`");
                        }
                        match header(cfg, p.level, "Connection") {
                            Some(None) if !dropped_by_inner_level(cfg, p.level) => {
                                m.push("`proxy_set_header Connection \"\"`")
                            }
                            Some(None) => {}
                            Some(Some(v)) if v.is_empty() || v.starts_with('$') => {}
                            Some(Some(_)) => {} // forced values: NGX011
                            None => {}
                        }
                        m
                    }
                    PassKind::Fastcgi => match cfg.effective(p.level, "fastcgi_keep_conn") {
                        Setting::Unknown => Vec::new(),
                        s if s.flag(false) == Some(false) => vec!["`fastcgi_keep_conn on`"],
                        _ => Vec::new(),
                    },
                    _ => Vec::new(),
                };
                if missing.is_empty() {
                    continue;
                }
                emit.at(
                    node.loc(),
                    format!(
                        "upstream `{}` keeps {n} idle connections (`keepalive {n}`), but this {} lacks {}: nginx {} closes every upstream connection after one request, so under load connections churn (TIME_WAIT, `connect() failed (99: Cannot assign requested address)`)",
                        u.name,
                        p.kind.directive(),
                        missing.join(" and "),
                        model.nginx.version
                    ),
                )
                .resource(super::level_resource(c, p.level))
                .related(ka.loc(), "keepalive is enabled here")
                .help(format!(
                    "add {} in this location (or the server/http block); nginx 1.29.7+ does this by default (--nginx-version)",
                    missing.join(" and ")
                ));
            }
        }
    }
}

/// Is `Connection ""` set further out but dropped by an inner
/// `proxy_set_header`? (NGX012 reports that, at the line to change.)
fn dropped_by_inner_level(
    cfg: &crate::model::nginx::Config<'_>,
    level: crate::model::nginx::Level,
) -> bool {
    let SetAt::Level { level: at, .. } = cfg.effective_at(level, "proxy_set_header") else {
        return false;
    };
    let Some(outer) = cfg.parent(at) else {
        return false;
    };
    header(cfg, outer, "Connection") == Some(Some(""))
}

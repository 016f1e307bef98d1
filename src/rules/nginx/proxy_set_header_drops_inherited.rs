//! NGX012: a `proxy_set_header` at an inner level drops every inherited one,
//! including `Host` and the `Connection ""` that upstream keepalive needs.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use crate::model::nginx::{Level, Node, PassKind, SetAt};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX012",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let model = ctx.model;
    let connection_matters = !model.nginx.version.keepalive_by_default();
    for c in ctx.nginx_configs {
        let cfg = &c.tree;
        // Levels whose own header set a proxying location uses.
        // Levels whose own header set a proxying location uses, and whether
        // one of those locations proxies to a group with keepalive.
        let mut levels: Vec<(Level, bool)> = Vec::new();
        let mut seen = HashSet::new();
        for p in c.facts.passes.iter().filter(|p| p.kind == PassKind::Proxy) {
            let ka = c
                .facts
                .group(p)
                .is_some_and(|g| super::keepalive_on(model, g));
            let SetAt::Level {
                level,
                complete: true,
            } = cfg.effective_at(p.level, "proxy_set_header")
            else {
                continue;
            };
            if seen.insert(level) {
                levels.push((level, ka));
            } else if let Some(e) = levels.iter_mut().find(|(l, _)| *l == level) {
                e.1 |= ka;
            }
        }
        // The `Host` and `Connection` headers of each outer level, read
        // once: a level may set thousands of headers for as many locations.
        let mut notable_at: HashMap<Level, Vec<&Node<'_>>> = HashMap::new();
        for (level, keepalive) in levels {
            let Some(outer_level) = cfg.parent(level) else {
                continue;
            };
            let SetAt::Level { level: from, .. } =
                cfg.effective_at(outer_level, "proxy_set_header")
            else {
                continue;
            };
            let outer = notable_at.entry(from).or_insert_with(|| {
                cfg.own(from, "proxy_set_header")
                    .map(|(_, n)| n)
                    .filter(|n| {
                        n.arg(0).is_some_and(|h| {
                            h.eq_ignore_ascii_case("Host") || h.eq_ignore_ascii_case("Connection")
                        })
                    })
                    .collect()
            });
            let own: Vec<_> = cfg.own(level, "proxy_set_header").map(|(_, n)| n).collect();
            let has = |h: &str| {
                own.iter()
                    .any(|n| n.arg(0).is_some_and(|x| x.eq_ignore_ascii_case(h)))
            };
            let mut dropped = Vec::new();
            for n in outer.iter() {
                let (Some(h), v) = (n.arg(0), n.arg(1).unwrap_or("")) else {
                    continue;
                };
                // `Host $proxy_host` is the default anyway; `Connection ""`
                // only matters for keepalive, before 1.29.7.
                let wanted = (h.eq_ignore_ascii_case("Host") && v != "$proxy_host")
                    || (h.eq_ignore_ascii_case("Connection")
                        && v.is_empty()
                        && connection_matters
                        && keepalive);
                if wanted && !has(h) {
                    dropped.push(*n);
                }
            }
            let (Some(first), Some(d0)) = (own.first(), dropped.first()) else {
                continue;
            };
            let list: Vec<String> = dropped
                .iter()
                .map(|n| {
                    let v = n.arg(1).unwrap_or("");
                    format!(
                        "`{} {}`",
                        n.arg(0).unwrap_or(""),
                        if v.is_empty() { "\"\"" } else { v }
                    )
                })
                .collect();
            let effect = if dropped
                .iter()
                .any(|n| n.arg(0).is_some_and(|h| h.eq_ignore_ascii_case("Host")))
            {
                "the backend gets `Host: $proxy_host` (the upstream name) instead"
            } else {
                "nginx sends `Connection: close` again, so upstream keepalive stops working"
            };
            let outer_kind = match cfg.kind(from) {
                crate::model::nginx::BlockKind::Http => "http block",
                crate::model::nginx::BlockKind::Server => "server",
                _ => "enclosing block",
            };
            let f = emit
                .at(
                    first.loc(),
                    format!(
                        "this level's `proxy_set_header` replaces every inherited one: {} from the {outer_kind} {} not sent here, and {effect}",
                        list.join(" and "),
                        if list.len() > 1 { "are" } else { "is" }
                    ),
                )
                .resource(super::level_resource(c, level));
            f.related(d0.loc(), "inherited header dropped here");
            f.help(format!("repeat {} at this level (nginx inherits proxy_set_header only when a level sets none)", list.join(" and ")));
        }
    }
}

//! NGX013: an upstream keepalive connection kept idle longer than the
//! backend keeps it: nginx reuses a socket the backend is closing.

use super::{config_endpoints, keepalive_on};
use crate::model::k8s::Container;
use crate::model::nginx::k8s::HostService;
use crate::model::nginx::values::show_secs;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX013",
    check,
};

/// Words of a container's command, args and `GUNICORN_CMD_ARGS`.
fn words(c: &Container<'_>) -> Vec<String> {
    let mut out: Vec<String> = c
        .command_args
        .iter()
        .flat_map(|s| s.split_whitespace().map(str::to_string))
        .collect();
    for e in &c.env {
        if e.name == Some("GUNICORN_CMD_ARGS")
            && let Some(v) = e.value
        {
            out.extend(v.split_whitespace().map(str::to_string));
        }
    }
    out
}

/// A `--flag N` / `--flag=N` value.
fn flag(words: &[String], name: &str) -> Option<f64> {
    let mut it = words.iter();
    while let Some(w) = it.next() {
        if w == name {
            return it.next().and_then(|v| v.parse().ok());
        }
        if let Some(v) = w.strip_prefix(name).and_then(|r| r.strip_prefix('=')) {
            return v.parse().ok();
        }
    }
    None
}

/// The word after one of `names` (`-k gevent`, `--worker-class=gevent`).
fn word_after<'w>(words: &'w [String], names: &[&str]) -> Option<&'w str> {
    let mut it = words.iter();
    while let Some(w) = it.next() {
        for n in names {
            if w == n {
                return it.next().map(String::as_str);
            }
            if let Some(v) = w.strip_prefix(n).and_then(|r| r.strip_prefix('=')) {
                return Some(v);
            }
        }
    }
    None
}

/// The idle keep-alive timeout of a known server in this container:
/// (seconds, what says so).
fn backend_idle(c: &Container<'_>) -> Option<(f64, String)> {
    let w = words(c);
    let has = |s: &str| w.iter().any(|x| x.ends_with(s)) || c.image.contains(s);
    if has("gunicorn") {
        // The default `sync` worker closes every connection: no reuse race.
        let class = word_after(&w, &["-k", "--worker-class"]);
        let threads = flag(&w, "--threads").is_some_and(|t| t > 1.0);
        if !threads && class.is_none_or(|c| c == "sync") {
            return None;
        }
        return Some(match flag(&w, "--keep-alive") {
            Some(t) => (t, format!("gunicorn `--keep-alive {t}`")),
            None => (
                5.0,
                "gunicorn's default `--keep-alive` (2 s; 5 s in newer releases)".into(),
            ),
        });
    }
    if has("uvicorn") {
        return Some(match flag(&w, "--timeout-keep-alive") {
            Some(t) => (t, format!("uvicorn `--timeout-keep-alive {t}`")),
            None => (5.0, "uvicorn's default `--timeout-keep-alive 5`".into()),
        });
    }
    let image = c.image.rsplit('/').next().unwrap_or(c.image);
    if image.starts_with("node:") || image == "node" || w.first().is_some_and(|x| x == "node") {
        return Some((
            5.0,
            "Node.js's default `server.keepAliveTimeout` of 5 s".into(),
        ));
    }
    None
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let model = ctx.model;
    for (c, endpoints) in config_endpoints(ctx) {
        let cfg = &c.tree;
        for e in endpoints {
            let (Some(u), Some(_)) = (e.upstream, e.server) else {
                continue;
            };
            if !keepalive_on(model, u) {
                continue;
            }
            let HostService::Found(svc, sn) = &e.service else {
                continue;
            };
            let timeout = u.keepalive_timeout.map(|(_, t)| t).unwrap_or(60.0);
            let backend = model
                .k8s
                .service_templates(svc)
                .into_iter()
                .flat_map(|t| t.serving_containers())
                .find_map(backend_idle);
            let Some((idle, source)) = backend else {
                continue;
            };
            if timeout < idle {
                continue;
            }
            let (at, set) = match (u.keepalive_timeout, u.keepalive) {
                (Some((id, _)), _) => (
                    cfg.node(id).map(|n| n.loc()),
                    "`keepalive_timeout`".to_string(),
                ),
                (None, Some((id, _))) => (
                    cfg.node(id).map(|n| n.loc()),
                    "the default `keepalive_timeout 60s`".to_string(),
                ),
                (None, None) => (
                    cfg.node(u.node).map(|n| n.name_loc()),
                    format!(
                        "the default keepalive of nginx {} (`keepalive_timeout 60s`)",
                        model.nginx.version
                    ),
                ),
            };
            let Some(at) = at else { continue };
            emit.at(
                at,
                format!(
                    "upstream `{}` keeps idle connections for {} ({set}), but Service {}/{} is served by {source}: nginx reuses connections the backend is closing, and those requests fail with `upstream prematurely closed connection` / `recv() failed (104: Connection reset by peer)`",
                    u.name,
                    show_secs(timeout),
                    sn.namespace,
                    sn.name
                ),
            )
            .resource(super::upstream_resource(u))
            .help(format!(
                "set `keepalive_timeout` in the upstream below {} (e.g. `keepalive_timeout {}s;`), or raise the backend's idle timeout above nginx's",
                show_secs(idle),
                ((idle - 1.0).max(1.0)) as i64
            ));
        }
    }
}

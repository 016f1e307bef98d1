//! NGX006: `grpc_pass` in a server whose listeners do not speak HTTP/2.

use crate::model::nginx::{PassKind, Setting};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX006",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    for c in ctx.nginx_configs {
        let cfg = &c.tree;
        let mut seen = foldhash::HashSet::default();
        for p in c.facts.passes.iter().filter(|p| p.kind == PassKind::Grpc) {
            let Some(server) = c.facts.server_of(cfg, p.level) else {
                continue;
            };
            if !seen.insert(server.node) {
                continue;
            }
            let level = Some(server.node);
            // `http2 on` (1.25.1+) at server or http level.
            match cfg.effective(level, "http2") {
                Setting::Unknown => continue,
                s if s.flag(false) == Some(true) => continue,
                _ => {}
            }
            if server.listens.is_empty() || server.listens.iter().any(|l| l.http2 || l.quic) {
                continue;
            }
            // `listen ... http2` enables HTTP/2 for the whole address:port.
            let ports: Vec<Option<u16>> = server.listens.iter().map(|l| l.port).collect();
            let shared = c
                .facts
                .servers
                .iter()
                .any(|s| s.listens.iter().any(|l| l.http2 && ports.contains(&l.port)));
            if shared || cfg.level_unknown(level) {
                continue;
            }
            let (Some(pass), Some(listen)) = (
                cfg.node(p.node),
                server.listens.first().and_then(|l| cfg.node(l.node)),
            ) else {
                continue;
            };
            emit.at(
                listen.loc(),
                format!(
                    "server `{}` passes gRPC (`grpc_pass`) but does not enable HTTP/2: gRPC clients send the HTTP/2 preface, which HTTP/1 rejects (400, client `UNAVAILABLE`)",
                    server.label()
                ),
            )
            .resource(super::server_resource(server))
            .related(pass.loc(), "gRPC is passed here")
            .help("add `http2 on;` to the server (nginx 1.25.1+; before that, `listen ... http2`)");
        }
    }
}

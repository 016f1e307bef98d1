//! NGX020: `*_next_upstream ... non_idempotent` retries POST, PATCH and
//! LOCK on another server, repeating their side effects.

use super::ingress_backend_protocol::{PREFIX, nginx_ingresses};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX020",
    check,
};

const DIRECTIVES: &[&str] = &[
    "proxy_next_upstream",
    "grpc_next_upstream",
    "fastcgi_next_upstream",
    "uwsgi_next_upstream",
    "scgi_next_upstream",
];

const WHY: &str = "requests with a non-idempotent method (POST, PATCH, LOCK) that already reached one server are sent to the next one too, so their side effects (payments, writes) can happen twice";

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let mut seen = foldhash::HashSet::default();
    for c in ctx.nginx_configs {
        for n in &c.tree.nodes {
            if !DIRECTIVES.contains(&n.name()) {
                continue;
            }
            let Some(i) = n.d.args.iter().position(|a| a.value == "non_idempotent") else {
                continue;
            };
            if !seen.insert(n.loc()) {
                continue;
            }
            emit.at(n.arg_loc(i), format!("`{} ... non_idempotent`: {WHY}", n.name()))
                .resource_opt(super::level_resource_opt(c, n.parent()))
                .help("remove `non_idempotent` unless every POST/PATCH of this location is safe to repeat");
        }
    }
    for o in nginx_ingresses(ctx) {
        let key = format!("{PREFIX}proxy-next-upstream");
        let Some(v) = o.annotation(&key) else {
            continue;
        };
        if !v.split_whitespace().any(|w| w == "non_idempotent") {
            continue;
        }
        let at = o
            .path(&["metadata", "annotations", key.as_str()])
            .map(|n| n.loc())
            .unwrap_or_else(|| o.name_loc());
        emit.at(at, format!("`{key}: {v}`: {WHY}"))
            .resource(o.resource())
            .help("remove `non_idempotent` from the annotation");
    }
}

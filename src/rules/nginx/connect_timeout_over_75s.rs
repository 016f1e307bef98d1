//! NGX021: a connect timeout above 75 s, which the operating system caps:
//! the setting has no effect.

use super::ingress_backend_protocol::{PREFIX, nginx_ingresses};
use crate::model::nginx::values::{parse_time, show_secs};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX021",
    check,
};

const DIRECTIVES: &[&str] = &[
    "proxy_connect_timeout",
    "grpc_connect_timeout",
    "fastcgi_connect_timeout",
    "uwsgi_connect_timeout",
    "scgi_connect_timeout",
    "memcached_connect_timeout",
];

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let mut seen = foldhash::HashSet::default();
    for c in ctx.nginx_configs {
        for n in &c.tree.nodes {
            if !DIRECTIVES.contains(&n.name()) {
                continue;
            }
            let Some(t) = n.arg(0).and_then(parse_time) else {
                continue;
            };
            if t <= 75.0 || !seen.insert(n.loc()) {
                continue;
            }
            emit.at(
                n.arg_loc(0),
                format!(
                    "`{} {}`: a connect timeout cannot usually exceed 75 s (the kernel gives up on the TCP handshake first), so this has no effect beyond that",
                    n.name(),
                    show_secs(t)
                ),
            )
            .resource_opt(super::level_resource_opt(c, n.parent()))
            .help("set it to 75s or less; use the read/send timeouts for slow responses");
        }
    }
    for o in nginx_ingresses(ctx) {
        let key = format!("{PREFIX}proxy-connect-timeout");
        let Some(v) = o.annotation(&key) else {
            continue;
        };
        let Some(t) = parse_time(v) else { continue };
        if t <= 75.0 {
            continue;
        }
        let at = o
            .path(&["metadata", "annotations", key.as_str()])
            .map(|n| n.loc())
            .unwrap_or_else(|| o.name_loc());
        emit.at(
            at,
            format!("`{key}: \"{v}\"`: a connect timeout cannot usually exceed 75 s, so this has no effect beyond that"),
        )
        .resource(o.resource())
        .help("set it to 75 or less; `proxy-read-timeout` covers slow responses");
    }
}

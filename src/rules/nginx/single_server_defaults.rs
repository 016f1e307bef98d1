//! NGX019: a one-server upstream whose name resolves to several addresses
//! (a headless Service) with the default `max_fails=1 fail_timeout=10s`:
//! one failed attempt takes a pod out for 10 s. (nginx ignores max_fails
//! for a group of a single address, so only multi-address names count.)

use crate::model::nginx::Host;
use crate::model::nginx::k8s::HostService;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX019",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let model = ctx.model;
    for c in &model.nginx.configs {
        for u in &c.facts.upstreams {
            let [s] = u.servers.as_slice() else { continue };
            if u.unknown || s.max_fails.is_some() || s.fail_timeout.is_some() || s.backup {
                continue;
            }
            let Some(Host::Name(host)) = s.addr.as_ref().map(|a| &a.host) else {
                continue;
            };
            let HostService::Found(svc, sn) = model.nginx_host_service(c, host) else {
                continue;
            };
            if !svc.headless {
                continue;
            }
            let Some(node) = c.tree.node(s.node) else {
                continue;
            };
            emit.at(
                node.loc(),
                format!(
                    "upstream `{}` has one server line, but `{host}` is headless Service {}/{} and resolves to every pod: with the defaults `max_fails=1 fail_timeout=10s` one failed attempt takes a pod out for 10 s, and when all are out nginx answers `no live upstreams while connecting to upstream`",
                    u.name, sn.namespace, sn.name
                ),
            )
            .resource(super::upstream_resource(u))
            .help("set `max_fails` and `fail_timeout` deliberately (e.g. `max_fails=3 fail_timeout=5s`), or use the ClusterIP Service");
        }
    }
}

//! NGX019: a one-server upstream named by a host name that may resolve to
//! several addresses, with the default `max_fails=1 fail_timeout=10s`: one
//! failed attempt takes an address out for 10 s. (nginx ignores max_fails
//! for a group of a single address; a name with several addresses, such as a
//! headless Service or a scaled compose service, defines several servers.)

use crate::model::nginx::Host;
use crate::model::nginx::k8s::HostService;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX019",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let model = ctx.model;
    for c in ctx.nginx_configs {
        for u in c.facts.upstreams.iter().filter(|u| !u.stream) {
            let [s] = u.servers.as_slice() else { continue };
            if u.unknown || s.max_fails.is_some() || s.fail_timeout.is_some() || s.backup {
                continue;
            }
            let Some(Host::Name(host)) = s.addr.as_ref().map(|a| &a.host) else {
                continue;
            };
            // localhost is NGX018's.
            if host.eq_ignore_ascii_case("localhost") {
                continue;
            }
            let resolves_to = match model.nginx_host_service(c, host) {
                // A ClusterIP Service has one address: the defaults are ignored.
                HostService::Found(svc, _) if !svc.headless => continue,
                // A Service that does not exist is NGX001's.
                HostService::Missing(_) => continue,
                HostService::Found(_, sn) => {
                    format!(
                        "headless Service {}/{}, which resolves to every pod",
                        sn.namespace, sn.name
                    )
                }
                _ => "a name that can resolve to several addresses (replicas, DNS round robin)"
                    .to_string(),
            };
            let Some(node) = c.tree.node(s.node) else {
                continue;
            };
            emit.at(
                node.loc(),
                format!(
                    "upstream `{}` has one server line, `{host}`, {resolves_to}: with the defaults `max_fails=1 fail_timeout=10s` one failed attempt takes an address out for 10 s, and when all are out nginx answers `no live upstreams while connecting to upstream` (a single address is never marked down)",
                    u.name
                ),
            )
            .resource(super::upstream_resource(u))
            .help("set `max_fails` and `fail_timeout` deliberately (e.g. `max_fails=3 fail_timeout=5s`, or `max_fails=0` to never mark it down)");
        }
    }
}

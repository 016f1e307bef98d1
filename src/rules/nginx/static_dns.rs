//! NGX016: a host name resolved once, when nginx starts: no `resolve` on the
//! upstream server and no variable with a `resolver`.

use super::config_endpoints;
use crate::model::nginx::k8s::HostService;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX016",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    for (_, endpoints) in config_endpoints(ctx) {
        for e in endpoints {
            if e.server.is_some_and(|s| s.resolve) || e.host.eq_ignore_ascii_case("localhost") {
                continue;
            }
            match &e.service {
                // A ClusterIP Service keeps its address; a missing one is NGX001.
                HostService::Found(svc, _) if !svc.headless => continue,
                HostService::Missing(_) => continue,
                _ => {}
            }
            let fix = match e.upstream {
                Some(u) => format!(
                    "add `resolve` to the server and a `resolver` (in http or upstream `{}`, with `zone`), nginx 1.27.3+",
                    u.name
                ),
                None => "use a variable with a `resolver` (`set $up http://name:port; proxy_pass $up;`), or an upstream server with `resolve`".to_string(),
            };
            emit.at(
                e.loc,
                format!(
                    "{}: `{}` is resolved once, when nginx starts or reloads; when its address changes (container or pod restart, load balancer) nginx keeps connecting to the old one (`connect() failed (111/113/110) while connecting to upstream`), and if it does not resolve at start nginx does not start (`host not found in upstream`)",
                    e.what, e.host
                ),
            )
            .resource(e.resource.clone())
            .help(fix);
        }
    }
}

//! ISTIO008: a VirtualService host that its Gateway does not serve.

use crate::model::istio::host_matches;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO008",
    check,
};

/// Does a server host (`ns/host`, `./host`, `*/host`, `host`) admit this VS host?
fn server_admits(server_host: &str, gw_ns: &str, vs_ns: &str, host: &str) -> bool {
    let (ns, h) = server_host.split_once('/').unwrap_or(("*", server_host));
    let ns_ok = ns == "*" || (ns == "." && gw_ns == vs_ns) || ns == vs_ns;
    ns_ok && (host_matches(h, host) || host_matches(host, h))
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
    for vs in &m.istio.virtual_services {
        let Some(obj) = m.k8s.object(vs.object) else {
            continue;
        };
        for (gw_ref, _) in &vs.gateways {
            let (ns, name) = gw_ref
                .split_once('/')
                .unwrap_or((obj.namespace.as_str(), gw_ref));
            let Some((gw, gw_obj)) = m.istio.gateways.iter().find_map(|g| {
                let o = m.k8s.object(g.object)?;
                (o.namespace == ns && o.name == name).then_some((g, o))
            }) else {
                continue;
            };
            for (host, node) in &vs.hosts {
                let served = gw
                    .servers
                    .iter()
                    .flat_map(|s| s.hosts.iter())
                    .any(|(sh, _)| server_admits(sh, &gw_obj.namespace, &obj.namespace, host));
                if served {
                    continue;
                }
                let all: Vec<&str> = gw
                    .servers
                    .iter()
                    .flat_map(|s| s.hosts.iter().map(|(h, _)| *h))
                    .collect();
                let f = emit
                    .at(node.loc(), format!(
                        "VirtualService {}/{} serves host `{host}` on Gateway {ns}/{name}, whose servers admit only {}; requests for it get 404 (no route)",
                        obj.namespace,
                        obj.name,
                        all.join(", ")
                    ))
                    .resource(obj.resource());
                if let Some(first) = gw.servers.iter().flat_map(|s| s.hosts.iter()).next() {
                    f.related(first.1.loc(), "the Gateway's hosts");
                }
                f.help("add the host to a Gateway server (mind the `namespace/` prefix), or fix the VirtualService host");
            }
        }
    }
}

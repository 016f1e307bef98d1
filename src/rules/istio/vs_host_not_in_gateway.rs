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
            let (ns, name) = gw_ref.split_once('/').unwrap_or((obj.namespace, gw_ref));
            // (host pattern as `ns/host`, where it is written) of the named Gateway:
            // an Istio Gateway's server hosts, or a Gateway API Gateway's listener hostnames.
            let istio_gw = m
                .istio
                .gateways_named(ns, name)
                .find_map(|g| Some((g, m.k8s.object(g.object)?)));
            let (gw_ns, admitted): (&str, Vec<(&str, crate::source::Loc)>) = match istio_gw {
                Some((gw, o)) => (
                    o.namespace,
                    gw.servers
                        .iter()
                        .flat_map(|s| s.hosts.iter().map(|(h, n)| (*h, n.loc())))
                        .collect(),
                ),
                None => {
                    let Some((gw, o)) = m
                        .gateway_api
                        .gateways_named(ns, name)
                        .find_map(|g| Some((g, m.k8s.object(g.object)?)))
                    else {
                        continue;
                    };
                    let hosts = gw
                        .listeners
                        .iter()
                        .map(|l| (l.hostname.unwrap_or("*"), l.node.loc()))
                        .collect();
                    // Listener hostnames carry no `namespace/` prefix: any namespace.
                    (o.namespace, hosts)
                }
            };
            for (host, node) in &vs.hosts {
                let served = admitted
                    .iter()
                    .any(|(sh, _)| server_admits(sh, gw_ns, obj.namespace, host));
                if served {
                    continue;
                }
                let all: Vec<&str> = admitted.iter().map(|(h, _)| *h).collect();
                let f = emit
                    .at(node.loc(), format!(
                        "VirtualService {}/{} serves host `{host}` on Gateway {ns}/{name}, which admits only {}; requests for it get 404 (no route)",
                        obj.namespace,
                        obj.name,
                        crate::util::listed(&all, crate::util::LISTED)
                    ))
                    .resource(obj.resource());
                if let Some((_, loc)) = admitted.first() {
                    f.related(*loc, "the Gateway's hosts");
                }
                f.help("add the host to a Gateway server (mind the `namespace/` prefix), or fix the VirtualService host");
            }
        }
    }
}

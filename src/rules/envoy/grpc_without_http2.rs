//! ENV003: gRPC traffic sent to a cluster that speaks only HTTP/1.1.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use super::{port_speaks_h2, service_port_of};
use crate::model::envoy::cluster::HealthCheckKind;
use crate::model::envoy::{Action, Cluster, Lookup, Owner, RouteSource};
use crate::rules::{Ctx, Emit, Rule};
use crate::source::Loc;

pub static RULE: Rule = Rule {
    id: "ENV003",
    check,
};

type Evidence = Vec<(Loc, String)>;

/// gRPC evidence from routes and connection managers, by cluster index.
fn route_evidence(ctx: &Ctx<'_, '_>) -> HashMap<usize, Evidence> {
    let env = &ctx.model.envoy;
    let mut out: HashMap<usize, Evidence> = HashMap::new();
    for (c, site) in env.routed_clusters() {
        if let Owner::Route(_, r) = site.owner {
            let e = if let Some(g) = r.grpc_match {
                (
                    g.loc(),
                    "a route that matches only gRPC requests (`match.grpc`)".to_string(),
                )
            } else if let Some(h) = r.grpc_content_type {
                (
                    h.loc(),
                    "a route that matches `content-type: application/grpc`".to_string(),
                )
            } else {
                continue;
            };
            out.entry(c.idx).or_default().push(e);
        }
    }
    // Connection managers with a gRPC-producing filter whose routes all go to one cluster.
    for l in &env.listeners {
        for fc in &l.filter_chains {
            let Some(hcm) = &fc.hcm else { continue };
            let Some(filter) = hcm.http_filters.iter().find(|f| f.makes_grpc_upstream()) else {
                continue;
            };
            let rc = match hcm.routes {
                RouteSource::Inline(i) => env.route_configs.get(i),
                RouteSource::Rds { name, .. } => env.find_route_config(l.scope, name),
                RouteSource::Other => None,
            };
            let Some(rc) = rc else { continue };
            let mut targets = HashSet::new();
            let mut dynamic = false;
            for vh in &rc.virtual_hosts {
                for r in &vh.routes {
                    if let Action::Route {
                        targets: t,
                        dynamic: d,
                        ..
                    } = &r.action
                    {
                        dynamic |= *d;
                        targets.extend(t.iter().map(|t| t.name));
                    }
                }
            }
            let targets: Vec<&str> = targets.into_iter().collect();
            let (false, [only]) = (dynamic, targets.as_slice()) else {
                continue;
            };
            if let Lookup::Found(c) = env.find_cluster(rc.scope, only) {
                out.entry(c.idx).or_default().push((
                    filter.node.loc(),
                    format!("the `{}` filter, which sends gRPC upstream", filter.name),
                ));
            }
        }
    }
    out
}

/// Why a cluster must speak HTTP/2, with where that is written, and whether Envoy refuses it.
fn reasons(
    ctx: &Ctx<'_, '_>,
    c: &Cluster<'_>,
    routed: &HashMap<usize, Evidence>,
) -> (Evidence, bool) {
    let env = &ctx.model.envoy;
    let mut out = Vec::new();
    let mut fatal = false;
    for h in &c.health_checks {
        if h.kind == HealthCheckKind::Grpc {
            out.push((
                h.checker.unwrap_or(h.node).loc(),
                "a gRPC health check (Envoy refuses it: \"cluster must support HTTP/2 for gRPC healthchecking\")".to_string(),
            ));
            fatal = true;
        }
    }
    if let Some(e) = routed.get(&c.idx) {
        out.extend(e.iter().cloned());
    }
    if let Some(eps) = env.endpoints_of(c) {
        for ep in eps {
            // The endpoint's Service port; when the port is wrong (see ENV009),
            // a Service whose every port is gRPC still says what the app speaks.
            let found = service_port_of(ctx.model, ep).or_else(|| {
                let svc = super::service_of_host(ctx.model, ep.address?)?;
                let all_h2 = !svc.ports.is_empty()
                    && svc.ports.iter().all(|p| port_speaks_h2(p) == Some(true));
                all_h2
                    .then(|| svc.ports.first().map(|p| (svc, p)))
                    .flatten()
            });
            if let Some((svc, port)) = found
                && port_speaks_h2(port) == Some(true)
            {
                let name = ctx
                    .model
                    .k8s
                    .service_object(svc)
                    .map(|o| format!("{}/{}", o.namespace, o.name))
                    .unwrap_or_default();
                out.push((
                    port.loc,
                    format!(
                        "Service {name} port {} is declared gRPC/HTTP2",
                        port.describe()
                    ),
                ));
                break;
            }
        }
    }
    (out, fatal)
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let routed = route_evidence(ctx);
    for c in &ctx.model.envoy.clusters {
        if c.protocol.supports_h2() {
            continue;
        }
        let (why, fatal) = reasons(ctx, c, &routed);
        let Some((_, first)) = why.first() else {
            continue;
        };
        let effect = if fatal {
            "Envoy rejects the cluster"
        } else {
            "gRPC requests fail with `reset reason: protocol error` (or connection termination)"
        };
        let at = c
            .protocol
            .node
            .unwrap_or(c.name_node.unwrap_or(c.node))
            .loc();
        let f = emit
            .at(
                at,
                format!(
                    "cluster `{}` speaks {} but carries gRPC ({first}); {effect}",
                    c.name,
                    c.protocol.describe()
                ),
            )
            .resource(c.resource());
        for (loc, msg) in why.iter().take(4) {
            f.related(*loc, msg.clone());
        }
        f.help("add typed_extension_protocol_options: {envoy.extensions.upstreams.http.v3.HttpProtocolOptions: {\"@type\": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions, explicit_http_config: {http2_protocol_options: {}}}}");
    }
}

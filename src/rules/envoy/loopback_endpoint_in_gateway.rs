//! ENV010: a front proxy or gateway that routes to `localhost`/`127.0.0.1`.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use crate::model::envoy::{Owner, ScopeKind};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ENV010",
    check,
};

/// A proxy that fans out to other hosts: it routes to at least two clusters
/// whose endpoints are remote (a sidecar routes to its own app on loopback).
fn is_gateway(ctx: &Ctx<'_, '_>, scope: usize) -> bool {
    let env = &ctx.model.envoy;
    if env.scope(scope).is_some_and(|s| {
        s.kind == ScopeKind::Dump && s.node_id.is_some_and(|n| n.starts_with("router~"))
    }) {
        return true;
    }
    let mut remote = HashSet::new();
    for (c, site) in env.routed_clusters() {
        if site.scope != scope || !matches!(site.owner, Owner::Route(..)) {
            continue;
        }
        if env.endpoints_of(c).is_some_and(|eps| {
            !eps.is_empty() && eps.iter().all(|e| !e.is_loopback() && !e.not_network)
        }) {
            remote.insert(c.name);
        }
    }
    remote.len() >= 2
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let env = &ctx.model.envoy;
    let mut seen = HashSet::new();
    let mut gateways: HashMap<usize, bool> = HashMap::new();
    for (c, site) in env.routed_clusters() {
        if !matches!(site.owner, Owner::Route(..)) || !seen.insert(c as *const _) {
            continue;
        }
        let Some(eps) = env.endpoints_of(c) else {
            continue;
        };
        let Some(ep) = eps.iter().find(|e| e.is_loopback()) else {
            continue;
        };
        let Some(scope) = env.scope(c.scope) else {
            continue;
        };
        if scope.dynamic_listeners {
            continue;
        }
        // Loopback to Envoy itself: its admin interface or another of its listeners.
        if ep.port.is_some()
            && (ep.port == scope.admin_port || env.listeners_in(c.scope).any(|l| l.port == ep.port))
        {
            continue;
        }
        if !*gateways
            .entry(c.scope)
            .or_insert_with(|| is_gateway(ctx, c.scope))
        {
            continue;
        }
        emit.at(
            ep.address_node.unwrap_or(ep.node).loc(),
            format!(
                "cluster `{}` of a proxy that routes to several remote services sends to {}: inside a container or pod, loopback is the proxy itself, not another service, so connections are refused (`reset reason: connection failure`, `delayed connect error: 111`)",
                c.name,
                ep.describe()
            ),
        )
        .resource(c.resource())
        .help("use the upstream's service name (Docker Compose service, Kubernetes Service) instead of localhost, unless the app really shares this network namespace");
    }
}

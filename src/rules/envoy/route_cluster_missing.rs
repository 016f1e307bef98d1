//! ENV001: a route, weighted cluster or tcp_proxy names a cluster that does not exist.

use crate::model::envoy::{Lookup, Owner, ScopeKind};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ENV001",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    // One budget for the suggestions of all this check's findings.
    let mut suggest = crate::util::Suggest::default();
    let env = &ctx.model.envoy;
    for site in env.cluster_refs() {
        let name = site.target.name;
        if name.is_empty() || !matches!(env.find_cluster(site.scope, name), Lookup::Missing) {
            continue;
        }
        let Some(scope) = env.scope(site.scope) else {
            continue;
        };
        let (what, effect) = match site.owner {
            Owner::Route(rc, _) => {
                let static_rc = rc.listener.is_some() && scope.kind == ScopeKind::Bootstrap;
                let validates = rc.validate_clusters.unwrap_or(static_rc);
                let effect = if validates {
                    "Envoy rejects the configuration at load (`unknown cluster`)"
                } else {
                    "matching requests get 503 with response flag NC (no cluster)"
                };
                let what = if site.target.weighted {
                    "a weighted cluster of a route"
                } else {
                    "a route"
                };
                (
                    format!("{what} in RouteConfiguration `{}`", rc.name),
                    effect,
                )
            }
            Owner::TcpProxy(l) => (
                format!("tcp_proxy in Listener `{}`", l.name),
                "connections are closed at once (no cluster)",
            ),
        };
        let where_ = match scope.kind {
            ScopeKind::Dump => "in this config dump",
            ScopeKind::Bootstrap => "in this bootstrap",
            ScopeKind::Files => "in the resource files of this directory",
        };
        let f = emit
            .at(
                site.target.node.loc(),
                format!(
                    "{what} sends to cluster `{name}`, which is not defined {where_}; {effect}"
                ),
            )
            .resource(site.resource());
        let candidates = env
            .clusters
            .iter()
            .filter(|c| c.scope == site.scope)
            .map(|c| c.name);
        match suggest.closest(name, candidates) {
            Some(c) => {
                f.help(format!("did you mean `{c}`?"));
            }
            None => {
                f.help("define the cluster, or point the route at an existing one");
            }
        }
    }
}

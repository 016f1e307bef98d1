//! ENV011: a STATIC, STRICT_DNS or LOGICAL_DNS cluster with no endpoints.

use crate::finding::Severity;
use crate::model::envoy::{Discovery, ScopeKind};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ENV011",
    check,
};

/// In a dump with EDS state: a routed EDS cluster whose assignment is missing or empty.
fn eds_without_endpoints(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let env = &ctx.model.envoy;
    for c in &env.clusters {
        let u = env.usage(c);
        if c.discovery != Discovery::Eds
            || !(u.http || u.tcp)
            || !env
                .scope(c.scope)
                .is_some_and(|s| s.kind == ScopeKind::Dump && s.has_endpoint_dump && !s.excerpt)
        {
            continue;
        }
        let known = env.endpoints_of(c);
        if known.is_some_and(|e| !e.is_empty()) {
            continue;
        }
        let what = if known.is_some() {
            "has an empty ClusterLoadAssignment"
        } else {
            "has no ClusterLoadAssignment"
        };
        emit.at(
            c.name_loc(),
            format!(
                "EDS cluster `{}` {what} in this dump: routes to it get 503 `no healthy upstream` (UH) until endpoints arrive",
                c.name
            ),
        )
        .resource(c.resource())
        .severity(Severity::Warning)
        .help("check that the backing Service has ready pods (or the ServiceEntry/Backend endpoints), and that the control plane pushes EDS");
    }
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    eds_without_endpoints(ctx, emit);
    let env = &ctx.model.envoy;
    for c in &env.clusters {
        if !matches!(c.discovery, Discovery::Static | Discovery::StrictDns | Discovery::LogicalDns)
            || !c.endpoints.is_empty()
            || c.v2_hosts.is_some()
            || c.is_blackhole()
            // A cluster with nothing but a name is an elided example, not a config.
            || c.node.entries().count() <= 1
        {
            continue;
        }
        let routed = env.usage(c).http || env.usage(c).tcp;
        let effect = if c.discovery == Discovery::LogicalDns {
            "Envoy rejects a LOGICAL_DNS cluster without exactly one endpoint"
        } else if routed {
            "every request routed to it fails with 503 `no healthy upstream` (UH)"
        } else {
            "anything that uses it gets `no healthy upstream` (UH)"
        };
        emit.at(
            c.type_node.or(c.load_assignment).unwrap_or(c.name_node.unwrap_or(c.node)).loc(),
            format!(
                "cluster `{}` is {} but lists no endpoints (`load_assignment`); {effect}",
                c.name,
                c.discovery.name()
            ),
        )
        .resource(c.resource())
        .help("add load_assignment.endpoints[].lb_endpoints[].endpoint.address.socket_address, or make it an EDS cluster");
    }
}

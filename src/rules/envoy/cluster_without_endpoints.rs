//! ENV011: a STATIC, STRICT_DNS or LOGICAL_DNS cluster with no endpoints.

use crate::model::envoy::Discovery;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ENV011",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
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

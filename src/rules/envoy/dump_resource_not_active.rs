//! ENV002: in a config dump, a resource Envoy rejected (`error_state`,
//! NACKED), or a routed cluster that is only warming.

use crate::model::envoy::State;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ENV002",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let env = &ctx.model.envoy;
    for r in &env.rejections {
        let status = r
            .client_status
            .map(|s| format!(" (client_status {s})"))
            .unwrap_or_default();
        let text = match r.details {
            Some(d) => format!(": \"{}\"", d.trim()),
            None => String::new(),
        };
        emit.at(
            r.node.loc(),
            format!(
                "Envoy rejected the last update of {} `{}`{status}{text}; it keeps serving the previous version, or nothing if there was none",
                r.kind, r.name
            ),
        )
        .resource(crate::model::envoy::resource(r.kind, r.name))
        .help("fix the resource in the control plane's input; the error text says which field Envoy refused");
    }
    for (c, site) in env.routed_clusters() {
        if c.state != State::Warming {
            continue;
        }
        emit.at(
            site.target.node.loc(),
            format!(
                "cluster `{}` is only warming (not active) in this dump: requests routed to it get 503 NC until it warms, and it never does if its endpoints or secrets never arrive",
                c.name
            ),
        )
        .resource(site.resource())
        .related(c.name_loc(), "the warming cluster")
        .help("check that EDS delivers endpoints and SDS delivers the cluster's secrets (initial_fetch_timeout, control-plane logs)");
    }
}

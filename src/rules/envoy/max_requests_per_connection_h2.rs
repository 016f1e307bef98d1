//! ENV016: `max_requests_per_connection: 1` on an HTTP/2 cluster.

use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ENV016",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    for c in &ctx.model.envoy.clusters {
        let Some((1, node)) = c.max_requests_per_connection else {
            continue;
        };
        // Long-lived gRPC streams (xDS, ALS) over one connection each are fine.
        if !c.protocol.supports_h2() || !super::routed_by_http(ctx.model, c) {
            continue;
        }
        emit.at(
            node.loc(),
            format!(
                "cluster `{}` speaks {} but allows one request per connection: every stream opens and drains a connection, multiplexing is lost and streams are reset during the churn",
                c.name,
                c.protocol.describe()
            ),
        )
        .resource(c.resource())
        .help("remove max_requests_per_connection (unlimited), or use max_connection_duration to recycle connections");
    }
}

//! NGX025: ingress-nginx `service-upstream: "true"` proxies to the
//! Service's ClusterIP, one upstream server: retries to the next upstream
//! and session affinity have nothing to choose from.

use super::ingress_backend_protocol::{PREFIX, nginx_ingresses};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "NGX025",
    check,
};

const NEEDS_ENDPOINTS: &[&str] = &[
    "proxy-next-upstream",
    "proxy-next-upstream-tries",
    "proxy-next-upstream-timeout",
    "affinity",
    "upstream-hash-by",
    "load-balance",
];

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    for o in nginx_ingresses(ctx) {
        let key = format!("{PREFIX}service-upstream");
        if o.annotation(&key) != Some("true") {
            continue;
        }
        let used: Vec<&str> = NEEDS_ENDPOINTS
            .iter()
            .copied()
            .filter(|a| o.annotation(&format!("{PREFIX}{a}")).is_some())
            .collect();
        let Some(first) = used.first() else { continue };
        let at = o
            .path(&["metadata", "annotations", &format!("{PREFIX}{first}")])
            .map(|n| n.loc())
            .unwrap_or_else(|| o.name_loc());
        emit.at(
            at,
            format!(
                "Ingress {}/{} sets `service-upstream: \"true\"`: nginx has one upstream server, the Service's ClusterIP, so {} cannot pick another pod (no retry on a failed pod, no stickiness)",
                o.namespace,
                o.name,
                used.join(", ")
            ),
        )
        .resource(o.resource())
        .help("drop `service-upstream` to let ingress-nginx balance over the endpoints, or drop the annotations that need them");
    }
}

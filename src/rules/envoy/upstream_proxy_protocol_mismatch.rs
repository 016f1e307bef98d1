//! ENV019: the upstream PROXY protocol header sent to a listener that does
//! not expect it, or expected by a listener and not sent.

use crate::model::envoy::{Cluster, Listener};
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ENV019",
    check,
};

/// The receiving side of an endpoint, when it is in the tree: today another
/// listener of the same Envoy (over loopback). Hook for the NGINX model: an
/// endpoint that resolves to an NGINX `listen ... proxy_protocol` server.
fn receiving_listener<'m, 'a>(ctx: &'m Ctx<'_, 'a>, c: &Cluster<'_>) -> Option<&'m Listener<'a>> {
    let env = &ctx.model.envoy;
    let eps = env.endpoints_of(c)?;
    eps.iter().filter(|e| e.is_loopback()).find_map(|e| {
        env.listeners_in(c.scope)
            .find(|l| l.port.is_some() && l.port == e.port)
    })
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    for c in &ctx.model.envoy.clusters {
        let Some(l) = receiving_listener(ctx, c) else {
            continue;
        };
        match (c.transport.proxy_protocol, l.proxy_protocol) {
            (Some(pp), None) => {
                emit.at(
                    pp.loc(),
                    format!(
                        "cluster `{}` sends a PROXY protocol header to listener `{}`, which has no proxy_protocol listener filter: the header is read as the request, HTTP parsing fails and the connection is closed (protocol error / connection termination)",
                        c.name, l.name
                    ),
                )
                .resource(c.resource())
                .related(l.name_loc(), "the receiving listener")
                .help("add envoy.filters.listener.proxy_protocol to the listener, or drop the upstream_proxy_protocol transport socket");
            }
            (None, Some((lf, false))) => {
                emit.at(
                    c.name_loc(),
                    format!(
                        "listener `{}` requires a PROXY protocol header but cluster `{}` does not send one: every connection is closed (`reset reason: connection termination`)",
                        l.name, c.name
                    ),
                )
                .resource(c.resource())
                .related(lf.loc(), "the proxy_protocol listener filter")
                .help("wrap the cluster's transport socket in envoy.transport_sockets.upstream_proxy_protocol, or set allow_requests_without_proxy_protocol on the listener filter");
            }
            _ => {}
        }
    }
}

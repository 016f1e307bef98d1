//! ISTIO009: two Gateways with the same workloads, port and host.

use crate::finding::Severity;
use crate::model::istio::{Server, host_matches};
use crate::model::k8s::selects;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO009",
    check,
};

fn bare(h: &str) -> &str {
    h.split_once('/').map(|(_, h)| h).unwrap_or(h)
}

fn terminates_tls(s: &Server<'_>) -> bool {
    s.tls_mode.is_some()
        || s.protocol
            .is_some_and(|p| p.eq_ignore_ascii_case("HTTPS") || p.eq_ignore_ascii_case("TLS"))
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
    let gws = &m.istio.gateways;
    for (i, a) in gws.iter().enumerate() {
        let Some(ao) = m.k8s.object(a.object) else {
            continue;
        };
        for (j, b) in gws.iter().enumerate() {
            if i == j || a.selector.is_empty() || b.selector.is_empty() {
                continue;
            }
            // One selector within the other: both select the same pods.
            if !(selects(&a.selector, &b.selector) || selects(&b.selector, &a.selector)) {
                continue;
            }
            let Some(bo) = m.k8s.object(b.object) else {
                continue;
            };
            let clash = a.servers.iter().find_map(|sa| {
                b.servers.iter().find_map(|sb| {
                    let (pa, pb) = (sa.port?, sb.port?);
                    if pa != pb {
                        return None;
                    }
                    sa.hosts.iter().find_map(|(ha, node)| {
                        sb.hosts
                            .iter()
                            .any(|(hb, _)| {
                                host_matches(bare(ha), bare(hb)) || host_matches(bare(hb), bare(ha))
                            })
                            .then_some((pa, *ha, *node, terminates_tls(sa) || terminates_tls(sb)))
                    })
                })
            });
            if let Some((port, host, node, tls)) = clash {
                let effect = if tls {
                    "only one server's TLS settings and certificate take effect, and clients of the other fail the handshake or get 404"
                } else {
                    "their routes are merged into one virtual host, so VirtualServices of one can shadow the other's"
                };
                emit.at(node.loc(), format!(
                    "Gateway {}/{} and Gateway {}/{} select the same gateway pods and both serve `{host}` on port {port}: {effect}",
                    ao.namespace, ao.name, bo.namespace, bo.name
                ))
                .severity(if tls { Severity::Error } else { Severity::Warning })
                .resource(ao.resource())
                .related(bo.name_loc(), format!("Gateway {}/{}", bo.namespace, bo.name))
                .help("merge the servers into one Gateway, or give them different hosts or ports");
            }
        }
    }
}

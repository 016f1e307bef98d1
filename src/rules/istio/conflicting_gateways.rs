//! ISTIO009: two Gateways with the same workloads, port and host.

use std::collections::{BTreeSet, HashMap};

use crate::finding::Severity;
use crate::model::istio::{Gateway, Server};
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

/// Where a host is listed: the Gateway, its server and the host's position
/// among the server's hosts (in that order, so the least is the first listed).
type At = (usize, usize, usize);

/// The hosts served on one port, for finding the overlapping ones without
/// comparing every pair: two hosts overlap (`host_matches` either way) when
/// they are equal (ASCII case aside), or one is `*X` and the other ends with
/// `X` (`*` ends the same way with an empty `X`).
#[derive(Default)]
struct PortHosts {
    /// Each host, ASCII lowercase: the first place each Gateway lists it.
    hosts: HashMap<Vec<u8>, Vec<At>>,
    /// Each `*X` pattern by its `X`, ASCII lowercase, the same way.
    wildcards: HashMap<Vec<u8>, Vec<At>>,
    /// The lengths of those `X`: the only suffixes of a host to look up.
    suffix_lens: BTreeSet<usize>,
}

/// Adds a place to a host's list, unless its Gateway is there already: places
/// come in order, so each Gateway's first place is the one kept.
fn add(list: &mut Vec<At>, at: At) {
    if list.last().is_none_or(|last| last.0 != at.0) {
        list.push(at);
    }
}

/// The hosts of the Gateways that select workloads, by port.
fn hosts_by_port(gws: &[Gateway<'_>]) -> HashMap<i64, PortHosts> {
    let mut ports: HashMap<i64, PortHosts> = HashMap::new();
    for (g, gw) in gws.iter().enumerate() {
        if gw.selector.is_empty() {
            continue;
        }
        for (s, server) in gw.servers.iter().enumerate() {
            let Some(port) = server.port else { continue };
            let on_port = ports.entry(port).or_default();
            for (k, (host, _)) in server.hosts.iter().enumerate() {
                let host = bare(host).as_bytes().to_ascii_lowercase();
                if let Some(suffix) = host.strip_prefix(b"*") {
                    on_port.suffix_lens.insert(suffix.len());
                    add(
                        on_port.wildcards.entry(suffix.to_vec()).or_default(),
                        (g, s, k),
                    );
                }
                add(on_port.hosts.entry(host).or_default(), (g, s, k));
            }
        }
    }
    ports
}

/// For each ordered pair of Gateways with overlapping hosts on a port, the
/// first overlap as the pairwise scan met it: the first server of the one,
/// then the first server of the other, then the first host of the one's
/// server. Work is the hosts plus their overlaps, not Gateways² x hosts²
/// (50 Gateways of 500 hosts each took 20 s).
fn first_overlaps(gws: &[Gateway<'_>]) -> HashMap<(usize, usize), (usize, usize, usize)> {
    let mut first: HashMap<(usize, usize), (usize, usize, usize)> = HashMap::new();
    let mut note = |a: At, b: At| {
        if a.0 != b.0 {
            let seen = first.entry((a.0, b.0)).or_insert((a.1, b.1, a.2));
            *seen = (*seen).min((a.1, b.1, a.2));
        }
    };
    for on_port in hosts_by_port(gws).values() {
        for (host, places) in &on_port.hosts {
            for &a in places {
                for &b in places {
                    note(a, b);
                }
            }
            for &len in on_port.suffix_lens.range(..=host.len()) {
                let tail = host.get(host.len() - len..).unwrap_or_default();
                for &w in on_port.wildcards.get(tail).into_iter().flatten() {
                    for &a in places {
                        note(a, w);
                        note(w, a);
                    }
                }
            }
        }
    }
    first
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
    let gws = &m.istio.gateways;
    let overlaps = first_overlaps(gws);
    let mut pairs: Vec<_> = overlaps.into_iter().collect();
    // The order of the pairwise scan this replaces.
    pairs.sort_unstable();
    for ((i, j), (s, t, k)) in pairs {
        let (Some(a), Some(b)) = (gws.get(i), gws.get(j)) else {
            continue;
        };
        // One selector within the other: both select the same pods.
        if !(selects(&a.selector, &b.selector) || selects(&b.selector, &a.selector)) {
            continue;
        }
        let (Some(ao), Some(bo)) = (m.k8s.object(a.object), m.k8s.object(b.object)) else {
            continue;
        };
        let (Some(sa), Some(sb)) = (a.servers.get(s), b.servers.get(t)) else {
            continue;
        };
        let (Some(port), Some((host, node))) = (sa.port, sa.hosts.get(k)) else {
            continue;
        };
        let tls = terminates_tls(sa) || terminates_tls(sb);
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

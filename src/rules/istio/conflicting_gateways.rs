//! ISTIO009: two Gateways with the same workloads, port and host.

use std::collections::BTreeSet;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use crate::finding::Severity;
use crate::model::istio::{Gateway, Server};
use crate::model::k8s::selects;
use crate::rules::{Ctx, Emit, Rule};
use crate::source::Loc;

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
    /// Every host reversed, sorted: the hosts that end with `X` are the
    /// run that starts with `X` reversed.
    reversed: Vec<(Vec<u8>, Vec<u8>)>,
}

impl PortHosts {
    /// The places of the hosts that end with `suffix`.
    fn ending_with<'s>(&'s self, suffix: &[u8]) -> impl Iterator<Item = &'s At> + 's {
        let rev: Vec<u8> = suffix.iter().rev().copied().collect();
        let from = self
            .reversed
            .partition_point(|(r, _)| r.as_slice() < rev.as_slice());
        self.reversed
            .get(from..)
            .unwrap_or_default()
            .iter()
            .take_while(move |(r, _)| r.starts_with(&rev))
            .filter_map(|(_, host)| self.hosts.get(host))
            .flatten()
    }
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
    for on_port in ports.values_mut() {
        on_port.reversed = on_port
            .hosts
            .keys()
            .map(|h| (h.iter().rev().copied().collect(), h.clone()))
            .collect();
        on_port.reversed.sort_unstable();
    }
    ports
}

/// For one Gateway `g`, each other Gateway with a host that overlaps one
/// of its hosts on a port, with the first overlap as the pairwise scan met
/// it: the first server of `g`, then the first server of the other, then
/// the first host of `g`'s server. Gateway by Gateway, so that work and
/// memory follow the hosts and their overlaps, not Gateways² x hosts²
/// (50 Gateways of 500 hosts each took 20 s), and no map of every pair is
/// held (10,000 Gateways serving `*` took 8 GB).
struct Overlaps {
    ports: HashMap<i64, PortHosts>,
    /// Gateway -> first overlap with the one asked about (reset after each).
    first: Vec<Option<(usize, usize, usize)>>,
    touched: Vec<usize>,
}

impl Overlaps {
    fn new(gws: &[Gateway<'_>]) -> Overlaps {
        Overlaps {
            ports: hosts_by_port(gws),
            first: vec![None; gws.len()],
            touched: Vec::new(),
        }
    }

    /// The other Gateways whose hosts overlap `g`'s, ascending, with the first overlap.
    fn of(&mut self, g: usize, gw: &Gateway<'_>) -> Vec<(usize, (usize, usize, usize))> {
        let Overlaps {
            ports,
            first,
            touched,
        } = self;
        let mut note = |other: &At, s: usize, k: usize| {
            if other.0 == g {
                return;
            }
            if let Some(slot) = first.get_mut(other.0) {
                let v = (s, other.1, k);
                match slot {
                    Some(seen) => *seen = (*seen).min(v),
                    None => {
                        *slot = Some(v);
                        touched.push(other.0);
                    }
                }
            }
        };
        let mut seen: HashSet<(i64, Vec<u8>)> = HashSet::new();
        for (s, server) in gw.servers.iter().enumerate() {
            let Some(on_port) = server.port.and_then(|p| ports.get(&p)) else {
                continue;
            };
            for (k, (host, _)) in server.hosts.iter().enumerate() {
                let host = bare(host).as_bytes().to_ascii_lowercase();
                // Only the first place a Gateway lists a host counts.
                if !seen.insert((server.port.unwrap_or_default(), host.clone())) {
                    continue;
                }
                for other in on_port.hosts.get(&host).into_iter().flatten() {
                    note(other, s, k);
                }
                for &len in on_port.suffix_lens.range(..=host.len()) {
                    let tail = host.get(host.len() - len..).unwrap_or_default();
                    for w in on_port.wildcards.get(tail).into_iter().flatten() {
                        note(w, s, k);
                    }
                }
                if let Some(suffix) = host.strip_prefix(b"*") {
                    for other in on_port.ending_with(suffix) {
                        note(other, s, k);
                    }
                }
            }
        }
        // Ascending: sorted, or (when most Gateways overlap) in one pass.
        let dense = touched.len().saturating_mul(8) > first.len();
        let out = if dense {
            first
                .iter_mut()
                .enumerate()
                .filter_map(|(j, slot)| Some((j, slot.take()?)))
                .collect()
        } else {
            touched.sort_unstable();
            touched
                .iter()
                .filter_map(|&j| Some((j, first.get_mut(j)?.take()?)))
                .collect()
        };
        touched.clear();
        out
    }
}

/// Numbers for the Gateways: of their namespace and name when another
/// shares it (their findings' messages may repeat), and of their selector
/// (as a set), so that pairs are told apart and compared by number.
struct Numbers {
    shared_name: Vec<Option<usize>>,
    selector: Vec<usize>,
}

impl Numbers {
    fn of(m: &crate::model::Model<'_>) -> Numbers {
        let gws = &m.istio.gateways;
        let mut names: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        let mut selectors: HashMap<Vec<(&str, &str)>, usize> = HashMap::new();
        let mut selector = Vec::with_capacity(gws.len());
        for (g, gw) in gws.iter().enumerate() {
            if let Some(o) = m.k8s.object(gw.object) {
                names.entry((o.namespace, o.name)).or_default().push(g);
            }
            let mut key = gw.selector.clone();
            key.sort_unstable();
            key.dedup();
            let next = selectors.len();
            selector.push(*selectors.entry(key).or_insert(next));
        }
        let mut shared_name = vec![None; gws.len()];
        for (id, members) in names.into_values().filter(|g| g.len() > 1).enumerate() {
            for g in members {
                if let Some(slot) = shared_name.get_mut(g) {
                    *slot = Some(id);
                }
            }
        }
        Numbers {
            shared_name,
            selector,
        }
    }
}

/// A place of one Gateway's findings (one of its hosts): whether it is
/// full, and what was counted there instead of built.
struct Place {
    at: (usize, usize),
    loc: Loc,
    full: bool,
    counted: usize,
    /// (shared name, TLS) of the findings there whose name is shared.
    keys: HashSet<(usize, bool)>,
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
    let gws = &m.istio.gateways;
    let mut overlaps = Overlaps::new(gws);
    let numbers = Numbers::of(m);
    let tls_of: Vec<Vec<bool>> = gws
        .iter()
        .map(|g| g.servers.iter().map(terminates_tls).collect())
        .collect();
    // In the order of the pairwise scan this replaces: by Gateway, then by
    // the other.
    for (i, a) in gws.iter().enumerate() {
        if a.selector.is_empty() {
            continue;
        }
        let Some(ao) = m.k8s.object(a.object) else {
            continue;
        };
        // Selector number -> one within the other (both select the same pods).
        let mut same_pods: HashMap<usize, bool> = HashMap::new();
        let mut places: Vec<Place> = Vec::new();
        let mut place_of: HashMap<(usize, usize), usize> = HashMap::new();
        for (j, (s, t, k)) in overlaps.of(i, a) {
            let Some(b) = gws.get(j) else { continue };
            let other = numbers.selector.get(j).copied().unwrap_or_default();
            let same = *same_pods.entry(other).or_insert_with(|| {
                selects(&a.selector, &b.selector) || selects(&b.selector, &a.selector)
            });
            let (true, Some(sa)) = (same, a.servers.get(s)) else {
                continue;
            };
            let (Some(port), Some((host, node))) = (sa.port, sa.hosts.get(k)) else {
                continue;
            };
            let Some(bo) = m.k8s.object(b.object) else {
                continue;
            };
            let tls_at = |g: usize, s: usize| tls_of.get(g).and_then(|v| v.get(s)).copied();
            let tls = tls_at(i, s).unwrap_or(false) || tls_at(j, t).unwrap_or(false);
            // Most overlaps of a Gateway are at one place: the last one is
            // looked at first.
            let at = match places.last() {
                Some(last) if last.at == (s, k) => places.len() - 1,
                _ => *place_of.entry((s, k)).or_insert_with(|| {
                    let loc = node.loc();
                    places.push(Place {
                        at: (s, k),
                        loc,
                        full: emit.full_at(loc),
                        counted: 0,
                        keys: HashSet::new(),
                    });
                    places.len() - 1
                }),
            };
            let Some(place) = places.get_mut(at) else {
                continue;
            };
            // The message names `b` and says whether TLS is involved: two
            // findings repeat only when `b` shares its name.
            let new = match numbers.shared_name.get(j).copied().flatten() {
                Some(name) => place.keys.insert((name, tls)),
                None => true,
            };
            if place.full {
                place.counted += usize::from(new);
                continue;
            }
            let effect = if tls {
                "only one server's TLS settings and certificate take effect, and clients of the other fail the handshake or get 404"
            } else {
                "their routes are merged into one virtual host, so VirtualServices of one can shadow the other's"
            };
            emit.at(place.loc, format!(
                "Gateway {}/{} and Gateway {}/{} select the same gateway pods and both serve `{host}` on port {port}: {effect}",
                ao.namespace, ao.name, bo.namespace, bo.name
            ))
            .severity(if tls { Severity::Error } else { Severity::Warning })
            .resource(ao.resource())
            .related(bo.name_loc(), format!("Gateway {}/{}", bo.namespace, bo.name))
            .help("merge the servers into one Gateway, or give them different hosts or ports");
            place.full = emit.full_at(place.loc);
        }
        for place in places {
            emit.not_listed(place.loc, place.counted);
        }
    }
}

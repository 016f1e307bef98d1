//! Istio facts: VirtualServices, DestinationRules, Gateways, PeerAuthentications,
//! ServiceEntries and Sidecars, read from the Kubernetes-style objects.

use foldhash::{HashMap, HashMapExt};

use super::k8s::Object;
use crate::parse::tree::NodeRef;

/// Where a destination appears in a VirtualService.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteKind {
    Http,
    Tcp,
    Tls,
}

/// One `destination` (a route target or a mirror).
#[derive(Clone, Debug)]
pub struct Destination<'a> {
    pub host: &'a str,
    pub host_node: NodeRef<'a>,
    pub subset: Option<(&'a str, NodeRef<'a>)>,
    pub port: Option<(i64, NodeRef<'a>)>,
    pub node: NodeRef<'a>,
    pub kind: RouteKind,
    pub mirror: bool,
    /// `weight: 0` destinations get no traffic.
    pub weight: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct VirtualService<'a> {
    pub object: usize,
    pub hosts: Vec<(&'a str, NodeRef<'a>)>,
    /// `mesh` when the list is empty.
    pub gateways: Vec<(&'a str, NodeRef<'a>)>,
    pub export_to: Vec<&'a str>,
    pub destinations: Vec<Destination<'a>>,
    /// Gateways named inside `match` blocks (route-level).
    pub match_gateways: Vec<(&'a str, NodeRef<'a>)>,
}

impl VirtualService<'_> {
    /// Does the VirtualService apply to sidecars (the `mesh` gateway)?
    pub fn applies_to_mesh(&self) -> bool {
        self.gateways.is_empty() || self.gateways.iter().any(|(g, _)| *g == "mesh")
    }
}

#[derive(Clone, Debug)]
pub struct Subset<'a> {
    pub name: &'a str,
    pub name_node: NodeRef<'a>,
    pub labels: Vec<(&'a str, &'a str)>,
    pub labels_node: Option<NodeRef<'a>>,
    pub traffic_policy: Option<NodeRef<'a>>,
}

#[derive(Clone, Debug)]
pub struct DestinationRule<'a> {
    pub object: usize,
    pub host: &'a str,
    pub host_node: NodeRef<'a>,
    /// Sorted, without repeats ([`exported_to`]).
    pub export_to: Vec<&'a str>,
    pub traffic_policy: Option<NodeRef<'a>>,
    pub subsets: Vec<Subset<'a>>,
    pub workload_selector: Option<Vec<(&'a str, &'a str)>>,
}

impl<'a> DestinationRule<'a> {
    /// Every trafficPolicy of the rule: top, port-level, subsets (with their port levels).
    pub fn policies(&self) -> Vec<(NodeRef<'a>, Option<&'a str>, Option<i64>)> {
        let mut out = Vec::new();
        let mut add = |tp: NodeRef<'a>, subset: Option<&'a str>| {
            out.push((tp, subset, None));
            for pl in tp
                .get("portLevelSettings")
                .into_iter()
                .flat_map(|p| p.items())
            {
                let port = pl.path(&["port", "number"]).and_then(|n| n.as_int());
                out.push((pl, subset, port));
            }
        };
        if let Some(tp) = self.traffic_policy {
            add(tp, None);
        }
        for s in &self.subsets {
            if let Some(tp) = s.traffic_policy {
                add(tp, Some(s.name));
            }
        }
        out
    }
}

#[derive(Clone, Debug)]
pub struct Server<'a> {
    pub node: NodeRef<'a>,
    pub port: Option<i64>,
    pub port_node: Option<NodeRef<'a>>,
    pub protocol: Option<&'a str>,
    pub hosts: Vec<(&'a str, NodeRef<'a>)>,
    pub tls_mode: Option<&'a str>,
    pub credential_name: Option<(&'a str, NodeRef<'a>)>,
}

#[derive(Clone, Debug)]
pub struct Gateway<'a> {
    pub object: usize,
    pub selector: Vec<(&'a str, &'a str)>,
    pub selector_node: Option<NodeRef<'a>>,
    pub servers: Vec<Server<'a>>,
}

#[derive(Clone, Debug)]
pub struct PeerAuthentication<'a> {
    pub object: usize,
    pub selector: Option<Vec<(&'a str, &'a str)>>,
    pub mode: Option<(&'a str, NodeRef<'a>)>,
    pub port_modes: Vec<(i64, &'a str, NodeRef<'a>)>,
}

#[derive(Clone, Debug)]
pub struct SePort<'a> {
    pub number: Option<i64>,
    pub name: Option<&'a str>,
    pub protocol: Option<&'a str>,
    pub target_port: Option<i64>,
    pub node: NodeRef<'a>,
}

#[derive(Clone, Debug)]
pub struct ServiceEntry<'a> {
    pub object: usize,
    pub hosts: Vec<(&'a str, NodeRef<'a>)>,
    pub addresses: Vec<&'a str>,
    pub ports: Vec<SePort<'a>>,
    pub resolution: &'a str,
    pub location: &'a str,
    /// Sorted, without repeats ([`exported_to`]).
    pub export_to: Vec<&'a str>,
    pub workload_selector: Option<Vec<(&'a str, &'a str)>>,
}

#[derive(Clone, Debug)]
pub struct Sidecar<'a> {
    pub object: usize,
    pub selector: Option<Vec<(&'a str, &'a str)>>,
    pub selector_node: Option<NodeRef<'a>>,
}

#[derive(Debug, Default)]
pub struct Istio<'a> {
    pub virtual_services: Vec<VirtualService<'a>>,
    pub destination_rules: Vec<DestinationRule<'a>>,
    pub gateways: Vec<Gateway<'a>>,
    pub peer_authentications: Vec<PeerAuthentication<'a>>,
    pub service_entries: Vec<ServiceEntry<'a>>,
    pub sidecars: Vec<Sidecar<'a>>,
    /// Indexes into `gateways` by name: rules look a Gateway up per reference.
    pub(crate) gateway_index: NameIndex<'a>,
    /// PeerAuthentications by namespace and selector (`effective_mtls`).
    pub(crate) peer_auth_index: super::mesh::PaIndex<'a>,
}

impl<'a> Istio<'a> {
    /// Gateways of that namespace and name, in tree order.
    pub fn gateways_named<'s>(
        &'s self,
        ns: &str,
        name: &str,
    ) -> impl Iterator<Item = &'s Gateway<'a>> + use<'s, 'a> {
        named(&self.gateway_index, &self.gateways, ns, name).into_iter()
    }
}

/// (namespace, name) -> indexes into a list of resources, ascending (a tree
/// may define one twice).
pub(crate) type NameIndex<'a> = HashMap<(&'a str, &'a str), Vec<usize>>;

/// Index resources by the name of their object (`object_ids` in list order).
pub(crate) fn name_index<'a>(
    objects: &[Object<'a>],
    object_ids: impl Iterator<Item = usize>,
) -> NameIndex<'a> {
    let mut index = NameIndex::new();
    for (i, object) in object_ids.enumerate() {
        if let Some(o) = objects.get(object) {
            index.entry((o.namespace, o.name)).or_default().push(i);
        }
    }
    index
}

/// The resources of `list` filed under a name, in list order (collected:
/// the key borrows `ns` and `name` no longer than the call).
pub(crate) fn named<'s, T>(
    index: &NameIndex<'_>,
    list: &'s [T],
    ns: &str,
    name: &str,
) -> Vec<&'s T> {
    index
        .get(&(ns, name))
        .into_iter()
        .flatten()
        .filter_map(|&i| list.get(i))
        .collect()
}

fn strs<'a>(n: Option<NodeRef<'a>>) -> Vec<&'a str> {
    n.into_iter()
        .flat_map(|l| l.items())
        .filter_map(|i| i.as_str())
        .collect()
}

/// An `exportTo` list, sorted and without repeats: looked up per host lookup
/// (lists of 20,000 namespaces were scanned per VirtualService).
fn export_list<'a>(n: Option<NodeRef<'a>>) -> Vec<&'a str> {
    let mut list = strs(n);
    list.sort_unstable();
    list.dedup();
    list
}

fn str_nodes<'a>(n: Option<NodeRef<'a>>) -> Vec<(&'a str, NodeRef<'a>)> {
    n.into_iter()
        .flat_map(|l| l.items())
        .filter_map(|i| Some((i.as_str()?, i)))
        .collect()
}

fn destination<'a>(
    d: NodeRef<'a>,
    kind: RouteKind,
    mirror: bool,
    weight: Option<i64>,
) -> Option<Destination<'a>> {
    let host_node = d.get("host")?;
    Some(Destination {
        host: host_node.as_str()?,
        host_node,
        subset: d.get("subset").and_then(|s| Some((s.as_str()?, s))),
        port: d
            .path(&["port", "number"])
            .and_then(|n| Some((n.as_int()?, n))),
        node: d,
        kind,
        mirror,
        weight,
    })
}

fn virtual_service<'a>(o: &Object<'a>, index: usize) -> VirtualService<'a> {
    let spec = o.get("spec");
    let mut destinations = Vec::new();
    let mut match_gateways = Vec::new();
    for (key, kind) in [
        ("http", RouteKind::Http),
        ("tcp", RouteKind::Tcp),
        ("tls", RouteKind::Tls),
    ] {
        for route in spec
            .and_then(|s| s.get(key))
            .into_iter()
            .flat_map(|r| r.items())
        {
            for m in route.get("match").into_iter().flat_map(|m| m.items()) {
                match_gateways.extend(str_nodes(m.get("gateways")));
            }
            for r in route.get("route").into_iter().flat_map(|r| r.items()) {
                let weight = r.get("weight").and_then(|w| w.as_int());
                if let Some(d) = r
                    .get("destination")
                    .and_then(|d| destination(d, kind, false, weight))
                {
                    destinations.push(d);
                }
            }
            if let Some(d) = route
                .get("mirror")
                .and_then(|d| destination(d, kind, true, None))
            {
                destinations.push(d);
            }
            for m in route.get("mirrors").into_iter().flat_map(|m| m.items()) {
                if let Some(d) = m
                    .get("destination")
                    .and_then(|d| destination(d, kind, true, None))
                {
                    destinations.push(d);
                }
            }
        }
    }
    VirtualService {
        object: index,
        hosts: str_nodes(spec.and_then(|s| s.get("hosts"))),
        gateways: str_nodes(spec.and_then(|s| s.get("gateways"))),
        export_to: strs(spec.and_then(|s| s.get("exportTo"))),
        destinations,
        match_gateways,
    }
}

fn destination_rule<'a>(o: &Object<'a>, index: usize) -> Option<DestinationRule<'a>> {
    let spec = o.get("spec")?;
    let host_node = spec.get("host")?;
    Some(DestinationRule {
        object: index,
        host: host_node.as_str()?,
        host_node,
        export_to: export_list(spec.get("exportTo")),
        traffic_policy: spec.get("trafficPolicy"),
        subsets: spec
            .get("subsets")
            .into_iter()
            .flat_map(|s| s.items())
            .filter_map(|s| {
                let name_node = s.get("name")?;
                Some(Subset {
                    name: name_node.as_str()?,
                    name_node,
                    labels: s
                        .get("labels")
                        .map(|l| l.string_pairs())
                        .unwrap_or_default(),
                    labels_node: s.get("labels"),
                    traffic_policy: s.get("trafficPolicy"),
                })
            })
            .collect(),
        workload_selector: spec
            .path(&["workloadSelector", "matchLabels"])
            .map(|l| l.string_pairs()),
    })
}

fn gateway<'a>(o: &Object<'a>, index: usize) -> Gateway<'a> {
    let spec = o.get("spec");
    let selector_node = spec.and_then(|s| s.get("selector"));
    Gateway {
        object: index,
        selector: selector_node.map(|s| s.string_pairs()).unwrap_or_default(),
        selector_node,
        servers: spec
            .and_then(|s| s.get("servers"))
            .into_iter()
            .flat_map(|s| s.items())
            .map(|s| {
                let port_node = s.path(&["port", "number"]);
                Server {
                    node: s,
                    port: port_node.and_then(|n| n.as_int()),
                    port_node,
                    protocol: s.path(&["port", "protocol"]).and_then(|p| p.as_str()),
                    hosts: str_nodes(s.get("hosts")),
                    tls_mode: s.path(&["tls", "mode"]).and_then(|m| m.as_str()),
                    credential_name: s
                        .path(&["tls", "credentialName"])
                        .and_then(|c| Some((c.as_str()?, c))),
                }
            })
            .collect(),
    }
}

fn peer_authentication<'a>(o: &Object<'a>, index: usize) -> PeerAuthentication<'a> {
    let spec = o.get("spec");
    PeerAuthentication {
        object: index,
        selector: spec
            .and_then(|s| s.path(&["selector", "matchLabels"]))
            .map(|l| l.string_pairs()),
        mode: spec
            .and_then(|s| s.path(&["mtls", "mode"]))
            .and_then(|m| Some((m.as_str()?, m))),
        port_modes: spec
            .and_then(|s| s.get("portLevelMtls"))
            .into_iter()
            .flat_map(|p| p.entries())
            .filter_map(|(k, v)| {
                let port = k.as_str()?.parse().ok().or_else(|| k.as_int())?;
                let m = v.get("mode")?;
                Some((port, m.as_str()?, m))
            })
            .collect(),
    }
}

fn service_entry<'a>(o: &Object<'a>, index: usize) -> ServiceEntry<'a> {
    let spec = o.get("spec");
    let get = |k: &str| spec.and_then(|s| s.get(k));
    ServiceEntry {
        object: index,
        hosts: str_nodes(get("hosts")),
        addresses: strs(get("addresses")),
        ports: get("ports")
            .into_iter()
            .flat_map(|p| p.items())
            .map(|p| SePort {
                number: p.get("number").and_then(|n| n.as_int()),
                name: p.str_at("name"),
                protocol: p.str_at("protocol"),
                target_port: p.get("targetPort").and_then(|n| n.as_int()),
                node: p,
            })
            .collect(),
        resolution: get("resolution").and_then(|r| r.as_str()).unwrap_or("NONE"),
        location: get("location")
            .and_then(|r| r.as_str())
            .unwrap_or("MESH_EXTERNAL"),
        export_to: export_list(get("exportTo")),
        workload_selector: get("workloadSelector")
            .and_then(|w| w.get("labels"))
            .map(|l| l.string_pairs()),
    }
}

/// Istio's facts from the objects; `templates_by_label` tells how common
/// each pod label is (to file selectors by their rarest pair).
pub fn build<'a>(
    objects: &[Object<'a>],
    templates_by_label: &super::selection::PairIndex<'_>,
) -> Istio<'a> {
    let mut m = Istio::default();
    for (i, o) in objects.iter().enumerate() {
        match (o.group(), o.kind) {
            ("networking.istio.io", "VirtualService") => {
                m.virtual_services.push(virtual_service(o, i))
            }
            ("networking.istio.io", "DestinationRule") => {
                m.destination_rules.extend(destination_rule(o, i))
            }
            ("networking.istio.io", "Gateway") => m.gateways.push(gateway(o, i)),
            ("networking.istio.io", "ServiceEntry") => m.service_entries.push(service_entry(o, i)),
            ("networking.istio.io", "Sidecar") => {
                let sel = o.path(&["spec", "workloadSelector", "labels"]);
                m.sidecars.push(Sidecar {
                    object: i,
                    selector: sel.map(|l| l.string_pairs()),
                    selector_node: sel,
                });
            }
            ("security.istio.io", "PeerAuthentication") => {
                m.peer_authentications.push(peer_authentication(o, i))
            }
            _ => {}
        }
    }
    m.gateway_index = name_index(objects, m.gateways.iter().map(|g| g.object));
    m.peer_auth_index =
        super::mesh::PaIndex::of(&m.peer_authentications, objects, templates_by_label);
    m
}

/// Does an Istio host pattern (`*.example.com`, `*`) match a host?
pub fn host_matches(pattern: &str, host: &str) -> bool {
    // ASCII case ignored, without lowercase copies: rules call this for
    // every pair of hosts they compare.
    if pattern == "*" || pattern.eq_ignore_ascii_case(host) {
        return true;
    }
    match pattern.strip_prefix('*') {
        Some(suffix) => crate::util::ends_with_ignore_case(host, suffix),
        None => false,
    }
}

/// Is an object visible from a namespace under its `exportTo` (sorted;
/// empty = everywhere)?
pub fn exported_to(export_to: &[&str], owner_ns: &str, from_ns: &str) -> bool {
    let has = |e: &str| export_to.binary_search(&e).is_ok();
    export_to.is_empty() || has("*") || has(from_ns) || (owner_ns == from_ns && has("."))
}

/// [`exported_to`] of a list in any order, read once.
pub fn exported_to_unsorted<'x>(
    export_to: impl Iterator<Item = &'x str>,
    owner_ns: &str,
    from_ns: &str,
) -> bool {
    let mut empty = true;
    for e in export_to {
        if e == "*" || e == from_ns || (e == "." && owner_ns == from_ns) {
            return true;
        }
        empty = false;
    }
    empty
}

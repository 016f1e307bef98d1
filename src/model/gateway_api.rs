//! Gateway API facts: Gateways, routes (HTTP, GRPC, TCP, TLS) and ReferenceGrants.

use foldhash::{HashMap, HashMapExt};

use super::istio::{NameIndex, name_index, named};
use super::k8s::Object;
use crate::parse::tree::NodeRef;

#[derive(Clone, Debug)]
pub struct Listener<'a> {
    pub name: Option<&'a str>,
    pub port: Option<i64>,
    pub protocol: Option<&'a str>,
    pub hostname: Option<&'a str>,
    pub node: NodeRef<'a>,
}

#[derive(Clone, Debug)]
pub struct GwGateway<'a> {
    pub object: usize,
    pub class: Option<&'a str>,
    pub listeners: Vec<Listener<'a>>,
    /// Positions of the listeners of each name and of each port, ascending,
    /// so that a parentRef finds its listeners without a scan of every
    /// listener (a route per listener of a Gateway with thousands).
    by_name: HashMap<&'a str, Vec<usize>>,
    by_port: HashMap<i64, Vec<usize>>,
}

impl<'a> GwGateway<'a> {
    fn new(object: usize, class: Option<&'a str>, listeners: Vec<Listener<'a>>) -> Self {
        let mut by_name: HashMap<&'a str, Vec<usize>> = HashMap::new();
        let mut by_port: HashMap<i64, Vec<usize>> = HashMap::new();
        for (i, l) in listeners.iter().enumerate() {
            if let Some(name) = l.name {
                by_name.entry(name).or_default().push(i);
            }
            if let Some(port) = l.port {
                by_port.entry(port).or_default().push(i);
            }
        }
        GwGateway {
            object,
            class,
            listeners,
            by_name,
            by_port,
        }
    }

    /// The listeners a parentRef selects, in order: all of them, narrowed by
    /// `sectionName` and `port` when set (both must match when both are set).
    pub fn selected(
        &self,
        name: Option<&str>,
        port: Option<i64>,
    ) -> impl Iterator<Item = &Listener<'a>> + '_ {
        let positions: Box<dyn Iterator<Item = usize> + '_> = match (name, port) {
            (Some(s), _) => Box::new(self.by_name.get(s).into_iter().flatten().copied()),
            (None, Some(n)) => Box::new(self.by_port.get(&n).into_iter().flatten().copied()),
            (None, None) => Box::new(0..self.listeners.len()),
        };
        positions
            .filter_map(|i| self.listeners.get(i))
            .filter(move |l| port.is_none_or(|n| l.port == Some(n)))
    }

    /// Is there a listener with this name and port (each when given)?
    pub fn has_listener(&self, name: Option<&str>, port: Option<i64>) -> bool {
        self.selected(name, port).next().is_some()
    }
}

#[derive(Clone, Debug)]
pub struct ParentRef<'a> {
    pub name: &'a str,
    pub namespace: Option<&'a str>,
    pub kind: &'a str,
    pub section_name: Option<&'a str>,
    pub port: Option<i64>,
    pub node: NodeRef<'a>,
}

#[derive(Clone, Debug)]
pub struct BackendRef<'a> {
    pub name: &'a str,
    pub name_node: NodeRef<'a>,
    pub namespace: Option<&'a str>,
    pub kind: &'a str,
    pub group: &'a str,
    pub port: Option<i64>,
    pub port_node: Option<NodeRef<'a>>,
    pub node: NodeRef<'a>,
}

impl BackendRef<'_> {
    pub fn is_service(&self) -> bool {
        self.kind == "Service" && self.group.is_empty()
    }
}

#[derive(Clone, Debug)]
pub struct Route<'a> {
    pub object: usize,
    pub parent_refs: Vec<ParentRef<'a>>,
    pub backend_refs: Vec<BackendRef<'a>>,
}

#[derive(Clone, Debug)]
pub struct ReferenceGrant<'a> {
    pub object: usize,
    /// (group, kind, namespace) allowed to refer.
    pub from: Vec<(&'a str, &'a str, &'a str)>,
    /// (group, kind, optional name) that may be referred to.
    pub to: Vec<(&'a str, &'a str, Option<&'a str>)>,
}

#[derive(Debug, Default)]
pub struct GatewayApi<'a> {
    pub gateways: Vec<GwGateway<'a>>,
    pub routes: Vec<Route<'a>>,
    pub grants: Vec<ReferenceGrant<'a>>,
    /// Indexes into `gateways` by name: rules look a Gateway up per parentRef.
    pub(crate) gateway_index: NameIndex<'a>,
    /// Namespace -> indexes into `gateways`, ascending.
    pub(crate) gateways_by_ns: HashMap<&'a str, Vec<usize>>,
}

impl<'a> GatewayApi<'a> {
    /// Gateways of that namespace and name, in tree order.
    pub fn gateways_named<'s>(
        &'s self,
        ns: &str,
        name: &str,
    ) -> impl Iterator<Item = &'s GwGateway<'a>> + use<'s, 'a> {
        named(&self.gateway_index, &self.gateways, ns, name).into_iter()
    }

    /// Gateways of a namespace, in tree order.
    pub fn gateways_in<'s>(&'s self, ns: &str) -> impl Iterator<Item = &'s GwGateway<'a>> + 's {
        self.gateways_by_ns
            .get(ns)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.gateways.get(i))
    }
}

fn route<'a>(o: &Object<'a>, index: usize) -> Route<'a> {
    let spec = o.get("spec");
    let parent_refs = spec
        .and_then(|s| s.get("parentRefs"))
        .into_iter()
        .flat_map(|p| p.items())
        .filter_map(|p| {
            Some(ParentRef {
                name: p.str_at("name")?,
                namespace: p.str_at("namespace"),
                kind: p.str_at("kind").unwrap_or("Gateway"),
                section_name: p.str_at("sectionName"),
                port: p.get("port").and_then(|n| n.as_int()),
                node: p,
            })
        })
        .collect();
    let mut backend_refs = Vec::new();
    for rule in spec
        .and_then(|s| s.get("rules"))
        .into_iter()
        .flat_map(|r| r.items())
    {
        let mut refs: Vec<NodeRef<'a>> = rule
            .get("backendRefs")
            .into_iter()
            .flat_map(|b| b.items())
            .collect();
        // Request mirrors name backends too.
        for f in rule.get("filters").into_iter().flat_map(|f| f.items()) {
            refs.extend(f.path(&["requestMirror", "backendRef"]));
        }
        for b in refs {
            let Some(name_node) = b.get("name") else {
                continue;
            };
            let Some(name) = name_node.as_str() else {
                continue;
            };
            let port_node = b.get("port");
            backend_refs.push(BackendRef {
                name,
                name_node,
                namespace: b.str_at("namespace"),
                kind: b.str_at("kind").unwrap_or("Service"),
                group: b.str_at("group").unwrap_or(""),
                port: port_node.and_then(|n| n.as_int()),
                port_node,
                node: b,
            });
        }
    }
    Route {
        object: index,
        parent_refs,
        backend_refs,
    }
}

pub fn build<'a>(objects: &[Object<'a>]) -> GatewayApi<'a> {
    let mut m = GatewayApi::default();
    for (i, o) in objects.iter().enumerate() {
        if o.group() != "gateway.networking.k8s.io" {
            continue;
        }
        match o.kind {
            "Gateway" => {
                let spec = o.get("spec");
                let listeners = spec
                    .and_then(|s| s.get("listeners"))
                    .into_iter()
                    .flat_map(|l| l.items())
                    .map(|l| Listener {
                        name: l.str_at("name"),
                        port: l.get("port").and_then(|n| n.as_int()),
                        protocol: l.str_at("protocol"),
                        hostname: l.str_at("hostname"),
                        node: l,
                    })
                    .collect();
                let class = spec.and_then(|s| s.str_at("gatewayClassName"));
                m.gateways.push(GwGateway::new(i, class, listeners));
            }
            "HTTPRoute" | "GRPCRoute" | "TCPRoute" | "TLSRoute" | "UDPRoute" => {
                m.routes.push(route(o, i))
            }
            "ReferenceGrant" => {
                let spec = o.get("spec");
                let list = |k: &str| {
                    spec.and_then(|s| s.get(k))
                        .into_iter()
                        .flat_map(|l| l.items())
                };
                m.grants.push(ReferenceGrant {
                    object: i,
                    from: list("from")
                        .filter_map(|f| {
                            Some((
                                f.str_at("group").unwrap_or(""),
                                f.str_at("kind")?,
                                f.str_at("namespace")?,
                            ))
                        })
                        .collect(),
                    to: list("to")
                        .filter_map(|t| {
                            Some((
                                t.str_at("group").unwrap_or(""),
                                t.str_at("kind")?,
                                t.str_at("name"),
                            ))
                        })
                        .collect(),
                });
            }
            _ => {}
        }
    }
    m.gateway_index = name_index(objects, m.gateways.iter().map(|g| g.object));
    for (i, g) in m.gateways.iter().enumerate() {
        if let Some(o) = objects.get(g.object) {
            m.gateways_by_ns.entry(o.namespace).or_default().push(i);
        }
    }
    m
}

//! Listeners: address, listener filters, filter chains with their match,
//! downstream TLS, the HTTP connection manager and tcp_proxy.

use super::fields::{Dur, Typed, ext_name, get, get_entry, int_at, list, path, str_at, typed};
use super::route::ClusterRef;
use super::{Deprecated, State};
use crate::finding::Resource;
use crate::parse::tree::NodeRef;

/// How an HTTP connection manager gets its routes.
#[derive(Clone, Copy, Debug)]
pub enum RouteSource<'a> {
    /// Index into [`super::Envoy::route_configs`].
    Inline(usize),
    Rds {
        name: &'a str,
        node: NodeRef<'a>,
    },
    /// Scoped RDS or nothing we model.
    Other,
}

/// One `http_filters[]` entry.
#[derive(Clone, Copy, Debug)]
pub struct HttpFilter<'a> {
    pub node: NodeRef<'a>,
    pub name: &'a str,
    pub type_name: &'a str,
}

impl HttpFilter<'_> {
    fn is(&self, short: &str, type_suffix: &str) -> bool {
        self.name == format!("envoy.filters.http.{short}")
            || self.name == format!("envoy.{short}")
            || (!self.type_name.is_empty() && self.type_name.ends_with(type_suffix))
    }
    /// A filter that turns requests into gRPC toward the upstream (which then must speak h2).
    pub fn makes_grpc_upstream(&self) -> bool {
        // (grpc_http1_bridge only fixes up responses for HTTP/1.1 clients; the
        // protocol upstream is the cluster's, often another Envoy.)
        self.is("grpc_web", ".GrpcWeb") || self.is("grpc_json_transcoder", ".GrpcJsonTranscoder")
    }
}

#[derive(Clone, Debug)]
pub struct Hcm<'a> {
    pub node: NodeRef<'a>,
    /// AUTO when unset.
    pub codec_type: &'a str,
    pub codec_node: Option<NodeRef<'a>>,
    pub routes: RouteSource<'a>,
    /// Default 5 min.
    pub stream_idle_timeout: Dur<'a>,
    /// Default 0 (disabled).
    pub request_timeout: Dur<'a>,
    pub http_filters: Vec<HttpFilter<'a>>,
}

#[derive(Clone, Debug)]
pub struct TcpProxy<'a> {
    pub node: NodeRef<'a>,
    pub targets: Vec<ClusterRef<'a>>,
}

#[derive(Clone, Debug)]
pub struct FilterChain<'a> {
    pub node: NodeRef<'a>,
    pub is_default: bool,
    pub match_node: Option<NodeRef<'a>>,
    pub server_names: Option<NodeRef<'a>>,
    pub transport_protocol: Option<(&'a str, NodeRef<'a>)>,
    /// A DownstreamTlsContext terminates TLS here.
    pub terminates_tls: bool,
    pub hcm: Option<Hcm<'a>>,
    pub tcp_proxy: Option<TcpProxy<'a>>,
}

#[derive(Clone, Debug)]
pub struct Listener<'a> {
    pub scope: usize,
    pub node: NodeRef<'a>,
    pub name: &'a str,
    pub name_node: Option<NodeRef<'a>>,
    pub state: State,
    pub address: Option<&'a str>,
    pub port: Option<i64>,
    pub address_node: Option<NodeRef<'a>>,
    /// An internal listener (`internal_listener`, `envoy_internal_address`).
    pub internal: bool,
    pub listener_filters_node: Option<NodeRef<'a>>,
    pub has_tls_inspector: bool,
    /// The PROXY protocol listener filter, and whether it lets connections without a header through.
    pub proxy_protocol: Option<(NodeRef<'a>, bool)>,
    /// A UDP (QUIC) listener: QUIC reads SNI itself.
    pub udp: bool,
    pub filter_chains: Vec<FilterChain<'a>>,
    /// Chains picked by the `filter_chain_matcher` tree instead of `filter_chain_match`.
    pub uses_matcher: bool,
}

impl Listener<'_> {
    pub fn resource(&self) -> Resource {
        super::resource("Listener", self.name)
    }
    pub fn name_loc(&self) -> crate::source::Loc {
        self.name_node.unwrap_or(self.node).loc()
    }
}

fn filter_is(f: NodeRef<'_>, t: Option<&Typed<'_>>, short: &str, type_suffix: &str) -> bool {
    let name = ext_name(f);
    name == format!("envoy.filters.network.{short}")
        || name == format!("envoy.{short}")
        || t.is_some_and(|t| !t.type_name.is_empty() && t.type_name.ends_with(type_suffix))
}

fn listener_filter_is(f: NodeRef<'_>, short: &str, type_suffix: &str) -> bool {
    let name = ext_name(f);
    name == format!("envoy.filters.listener.{short}")
        || name == format!("envoy.listener.{short}")
        || typed(f).is_some_and(|t| t.type_name.ends_with(type_suffix))
}

fn cluster_refs_of_tcp_proxy(tp: NodeRef<'_>) -> Vec<ClusterRef<'_>> {
    let mut out = Vec::new();
    if let Some(c) = get(tp, "cluster")
        && let Some(name) = c.as_str()
    {
        out.push(ClusterRef {
            name,
            node: c,
            weighted: false,
        });
    }
    for w in path(tp, &["weighted_clusters", "clusters"])
        .into_iter()
        .flat_map(|l| l.items())
    {
        if let Some(n) = get(w, "name")
            && let Some(name) = n.as_str()
        {
            out.push(ClusterRef {
                name,
                node: n,
                weighted: true,
            });
        }
    }
    out
}

pub(super) struct ListenerParts<'a> {
    pub listener: Listener<'a>,
    /// Inline route configurations, by (filter chain index) to link after indexing.
    pub inline_routes: Vec<(usize, NodeRef<'a>)>,
}

fn parse_chain<'a>(
    fc: NodeRef<'a>,
    scope: usize,
    is_default: bool,
    listener_name: &'a str,
    deprecated: &mut Vec<Deprecated<'a>>,
) -> (FilterChain<'a>, Option<NodeRef<'a>>) {
    let m = get(fc, "filter_chain_match");
    let mut hcm = None;
    let mut tcp_proxy = None;
    let mut inline = None;
    for f in list(fc, "filters") {
        let t = typed(f);
        if let Some((k, _)) = get_entry(f, "config")
            && get(f, "typed_config").is_none()
        {
            deprecated.push(Deprecated {
                scope,
                node: k,
                what: format!("v2 `config:` on network filter `{}`", ext_name(f)),
                rejected: true,
                instead: "typed_config with an `@type`",
                resource: Some(("Listener", listener_name)),
            });
        }
        if filter_is(
            f,
            t.as_ref(),
            "http_connection_manager",
            ".HttpConnectionManager",
        ) {
            let Some(t) = t else { continue };
            let h = t.node;
            let routes = if let Some(rc) = get(h, "route_config") {
                inline = Some(rc);
                RouteSource::Other
            } else if let Some(rds) = get(h, "rds") {
                match get(rds, "route_config_name") {
                    Some(n) => RouteSource::Rds {
                        name: n.as_str().unwrap_or(""),
                        node: n,
                    },
                    None => RouteSource::Other,
                }
            } else {
                RouteSource::Other
            };
            if let Some(provider) = path(h, &["tracing", "provider"]) {
                Deprecated::removed(
                    deprecated,
                    scope,
                    provider,
                    "config",
                    "v2 tracing provider field",
                    "typed_config with an `@type`",
                    Some(("Listener", listener_name)),
                );
            }
            let codec_node = get(h, "codec_type");
            hcm = Some(Hcm {
                node: h,
                codec_type: codec_node.and_then(|n| n.as_str()).unwrap_or("AUTO"),
                codec_node,
                routes,
                stream_idle_timeout: Dur::at(h, "stream_idle_timeout", 300.0),
                request_timeout: Dur::at(h, "request_timeout", 0.0),
                http_filters: list(h, "http_filters")
                    .inspect(|hf| {
                        if let Some((k, _)) = get_entry(*hf, "config")
                            && get(*hf, "typed_config").is_none()
                        {
                            deprecated.push(Deprecated {
                                scope,
                                node: k,
                                what: format!("v2 `config:` on HTTP filter `{}`", ext_name(*hf)),
                                rejected: true,
                                instead: "typed_config with an `@type`",
                                resource: Some(("Listener", listener_name)),
                            });
                        }
                    })
                    .map(|hf| HttpFilter {
                        node: hf,
                        name: ext_name(hf),
                        type_name: typed(hf).map(|t| t.type_name).unwrap_or(""),
                    })
                    .collect(),
            });
        } else if filter_is(f, t.as_ref(), "tcp_proxy", ".TcpProxy")
            && let Some(t) = t
        {
            tcp_proxy = Some(TcpProxy {
                node: t.node,
                targets: cluster_refs_of_tcp_proxy(t.node),
            });
        }
    }
    let terminates_tls = get(fc, "transport_socket").is_some_and(|ts| {
        typed(ts).is_some_and(|t| t.type_name.ends_with("DownstreamTlsContext"))
            || matches!(ext_name(ts), "envoy.transport_sockets.tls" | "tls")
    }) || get(fc, "tls_context").is_some();
    if let Some((k, _)) = get_entry(fc, "tls_context") {
        deprecated.push(Deprecated {
            scope,
            node: k,
            what: "v2 filter chain field `tls_context`".into(),
            rejected: true,
            instead: "transport_socket with a DownstreamTlsContext typed_config",
            resource: Some(("Listener", listener_name)),
        });
    }
    let chain = FilterChain {
        node: fc,
        is_default,
        match_node: m,
        server_names: m
            .and_then(|m| get(m, "server_names"))
            .filter(|s| s.items().next().is_some() || s.as_str().is_some()),
        transport_protocol: m
            .and_then(|m| get(m, "transport_protocol"))
            .and_then(|n| n.as_str().map(|s| (s, n))),
        terminates_tls,
        hcm,
        tcp_proxy,
    };
    (chain, inline)
}

pub(super) fn parse<'a>(
    l: NodeRef<'a>,
    scope: usize,
    state: State,
    deprecated: &mut Vec<Deprecated<'a>>,
) -> ListenerParts<'a> {
    let name_node = get(l, "name");
    let name = name_node.and_then(|n| n.as_str()).unwrap_or("");
    let addr = get(l, "address");
    let sock = addr.and_then(|a| get(a, "socket_address"));
    let lf_node = get(l, "listener_filters");
    let lfs: Vec<NodeRef<'a>> = lf_node.into_iter().flat_map(|x| x.items()).collect();
    let mut chains = Vec::new();
    let mut inline_routes = Vec::new();
    for fc in list(l, "filter_chains") {
        let (c, r) = parse_chain(fc, scope, false, name, deprecated);
        if let Some(r) = r {
            inline_routes.push((chains.len(), r));
        }
        chains.push(c);
    }
    if let Some(fc) = get(l, "default_filter_chain") {
        let (c, r) = parse_chain(fc, scope, true, name, deprecated);
        if let Some(r) = r {
            inline_routes.push((chains.len(), r));
        }
        chains.push(c);
    }
    let listener = Listener {
        scope,
        node: l,
        name,
        name_node,
        state,
        address: sock.and_then(|s| str_at(s, "address")),
        port: sock.and_then(|s| int_at(s, "port_value")).map(|p| p.0),
        address_node: addr,
        internal: get(l, "internal_listener").is_some()
            || addr.is_some_and(|a| get(a, "envoy_internal_address").is_some()),
        listener_filters_node: lf_node,
        has_tls_inspector: lfs
            .iter()
            .any(|f| listener_filter_is(*f, "tls_inspector", ".TlsInspector")),
        proxy_protocol: lfs
            .iter()
            .find(|f| listener_filter_is(**f, "proxy_protocol", ".ProxyProtocol"))
            .map(|f| {
                let optional = typed(*f)
                    .and_then(|t| {
                        super::fields::bool_at(t.node, "allow_requests_without_proxy_protocol")
                    })
                    .unwrap_or(false);
                (*f, optional)
            }),
        udp: sock.and_then(|s| str_at(s, "protocol")) == Some("UDP")
            || get(l, "udp_listener_config").is_some(),
        filter_chains: chains,
        uses_matcher: get(l, "filter_chain_matcher").is_some(),
    };
    ListenerParts {
        listener,
        inline_routes,
    }
}

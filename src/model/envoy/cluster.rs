//! Clusters: discovery type, endpoints, upstream protocol, transport socket,
//! circuit breakers, outlier detection and health checks, with proto defaults.

use super::fields::{Dur, Fields, bool_at, get, int_at, list, path, str_at};
use super::{Deprecated, State};
use crate::finding::Resource;
use crate::parse::tree::NodeRef;

pub use super::endpoint::{Endpoint, endpoints_of_assignment};
pub use super::transport::{Tls, Transport, TransportKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Discovery {
    Static,
    StrictDns,
    LogicalDns,
    Eds,
    OriginalDst,
    /// `cluster_type` (aggregate, dynamic forward proxy, ...).
    Custom,
    Unknown,
}

impl Discovery {
    pub fn name(self) -> &'static str {
        match self {
            Discovery::Static => "STATIC",
            Discovery::StrictDns => "STRICT_DNS",
            Discovery::LogicalDns => "LOGICAL_DNS",
            Discovery::Eds => "EDS",
            Discovery::OriginalDst => "ORIGINAL_DST",
            Discovery::Custom => "custom cluster_type",
            Discovery::Unknown => "unknown",
        }
    }
}

/// The HTTP protocol a cluster speaks upstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtocolKind {
    /// No protocol configured: HTTP/1.1.
    Http1Default,
    Http1,
    Http2,
    Http3,
    /// `auto_config`: ALPN picks h2 or http/1.1.
    Auto,
    /// `use_downstream_protocol_config` (or the deprecated `protocol_selection`).
    Downstream {
        http2: bool,
    },
}

#[derive(Clone, Copy, Debug)]
pub struct Protocol<'a> {
    pub kind: ProtocolKind,
    /// The node that chose it (`explicit_http_config`, `http2_protocol_options`, ...).
    pub node: Option<NodeRef<'a>>,
    /// Chosen with the deprecated cluster-level fields.
    pub deprecated: bool,
}

impl Protocol<'_> {
    /// Can requests reach the upstream over HTTP/2 (Envoy's HTTP2 cluster feature)?
    pub fn supports_h2(&self) -> bool {
        match self.kind {
            ProtocolKind::Http2 | ProtocolKind::Http3 | ProtocolKind::Auto => true,
            ProtocolKind::Downstream { http2 } => http2,
            ProtocolKind::Http1Default | ProtocolKind::Http1 => false,
        }
    }
    /// Only HTTP/2 (or above) is ever spoken.
    pub fn forces_h2(&self) -> bool {
        matches!(self.kind, ProtocolKind::Http2 | ProtocolKind::Http3)
    }
    pub fn describe(&self) -> &'static str {
        match self.kind {
            ProtocolKind::Http1Default => "HTTP/1.1 (no protocol options configured)",
            ProtocolKind::Http1 => "HTTP/1.1 (explicit)",
            ProtocolKind::Http2 => "HTTP/2",
            ProtocolKind::Http3 => "HTTP/3",
            ProtocolKind::Auto => "ALPN auto (h2 or http/1.1)",
            ProtocolKind::Downstream { .. } => "the downstream's protocol",
        }
    }
}

/// One `circuit_breakers.thresholds[]` entry with defaults applied.
#[derive(Clone, Debug)]
pub struct Thresholds<'a> {
    pub node: NodeRef<'a>,
    pub priority: &'a str,
    /// (field name, value, node) of the limits that were written.
    pub limits: Vec<(&'static str, i64, NodeRef<'a>)>,
}

#[derive(Clone, Debug)]
pub struct Outlier<'a> {
    pub node: NodeRef<'a>,
    /// Default 10.
    pub max_ejection_percent: (i64, Option<NodeRef<'a>>),
    /// The smallest consecutive-error trigger that is enforced, with its field.
    pub trigger: Option<(i64, &'static str, Option<NodeRef<'a>>)>,
    pub always_eject_one_host: bool,
}

fn outlier(n: NodeRef<'_>) -> Outlier<'_> {
    let pct = int_at(n, "max_ejection_percent");
    let enforced = |field: &str, default: i64| int_at(n, field).map(|x| x.0).unwrap_or(default) > 0;
    let mut triggers = Vec::new();
    if enforced("enforcing_consecutive_5xx", 100) {
        let v = int_at(n, "consecutive_5xx");
        triggers.push((
            v.map(|x| x.0).unwrap_or(5),
            "consecutive_5xx",
            v.map(|x| x.1),
        ));
    }
    if enforced("enforcing_consecutive_gateway_failure", 0) {
        let v = int_at(n, "consecutive_gateway_failure");
        triggers.push((
            v.map(|x| x.0).unwrap_or(5),
            "consecutive_gateway_failure",
            v.map(|x| x.1),
        ));
    }
    if bool_at(n, "split_external_local_origin_errors").unwrap_or(false)
        && enforced("enforcing_consecutive_local_origin_failure", 100)
    {
        let v = int_at(n, "consecutive_local_origin_failure");
        triggers.push((
            v.map(|x| x.0).unwrap_or(5),
            "consecutive_local_origin_failure",
            v.map(|x| x.1),
        ));
    }
    // A zero trigger never ejects.
    let trigger = triggers.into_iter().filter(|t| t.0 > 0).min_by_key(|t| t.0);
    Outlier {
        node: n,
        max_ejection_percent: (pct.map(|x| x.0).unwrap_or(10), pct.map(|x| x.1)),
        trigger,
        always_eject_one_host: bool_at(n, "always_eject_one_host").unwrap_or(false),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HealthCheckKind {
    Http,
    Grpc,
    Tcp,
    Other,
}

#[derive(Clone, Copy, Debug)]
pub struct HealthCheck<'a> {
    pub node: NodeRef<'a>,
    pub kind: HealthCheckKind,
    /// The checker's own node (`grpc_health_check`, ...).
    pub checker: Option<NodeRef<'a>>,
}

#[derive(Clone, Debug)]
pub struct Cluster<'a> {
    /// Index in [`super::Envoy::clusters`].
    pub idx: usize,
    pub scope: usize,
    pub node: NodeRef<'a>,
    pub name: &'a str,
    pub name_node: Option<NodeRef<'a>>,
    pub state: State,
    pub discovery: Discovery,
    pub type_node: Option<NodeRef<'a>>,
    /// Default 5 s.
    pub connect_timeout: Dur<'a>,
    pub dns_lookup_family: Option<(&'a str, NodeRef<'a>)>,
    pub eds_service_name: Option<&'a str>,
    /// ROUND_ROBIN when unset.
    pub lb_policy: &'a str,
    pub load_assignment: Option<NodeRef<'a>>,
    pub endpoints: Vec<Endpoint<'a>>,
    pub transport: Transport<'a>,
    /// `transport_socket_matches` / `transport_socket_matcher` choose per endpoint.
    pub has_socket_matches: bool,
    /// The HttpProtocolOptions extension.
    pub hpo: Option<NodeRef<'a>>,
    pub protocol: Protocol<'a>,
    /// `common_http_protocol_options.idle_timeout`, default 1 h.
    pub idle_timeout: Dur<'a>,
    pub max_requests_per_connection: Option<(i64, NodeRef<'a>)>,
    /// `upstream_http_protocol_options.auto_sni`.
    pub auto_sni: bool,
    pub thresholds: Vec<Thresholds<'a>>,
    pub outlier: Option<Outlier<'a>>,
    pub health_checks: Vec<HealthCheck<'a>>,
    /// `common_lb_config.healthy_panic_threshold` in percent (default 50).
    pub healthy_panic_threshold: f64,
    /// v2 `hosts` given instead of `load_assignment`.
    pub v2_hosts: Option<NodeRef<'a>>,
}

const HPO_KEY: &str = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

fn protocol_of<'a>(hpo: Option<NodeRef<'a>>, c: &Fields<'a>) -> Protocol<'a> {
    if let Some(h) = hpo {
        if let Some(e) = get(h, "explicit_http_config") {
            let kind = if get(e, "http2_protocol_options").is_some() {
                ProtocolKind::Http2
            } else if get(e, "http3_protocol_options").is_some() {
                ProtocolKind::Http3
            } else {
                ProtocolKind::Http1
            };
            return Protocol {
                kind,
                node: Some(e),
                deprecated: false,
            };
        }
        if let Some(a) = get(h, "auto_config") {
            return Protocol {
                kind: ProtocolKind::Auto,
                node: Some(a),
                deprecated: false,
            };
        }
        if let Some(d) = get(h, "use_downstream_protocol_config") {
            let http2 = get(d, "http2_protocol_options").is_some();
            return Protocol {
                kind: ProtocolKind::Downstream { http2 },
                node: Some(d),
                deprecated: false,
            };
        }
    }
    let h2 = c.get("http2_protocol_options");
    if let Some(sel) = c.get("protocol_selection")
        && sel.as_str() == Some("USE_DOWNSTREAM_PROTOCOL")
    {
        return Protocol {
            kind: ProtocolKind::Downstream {
                http2: h2.is_some(),
            },
            node: Some(sel),
            deprecated: true,
        };
    }
    if let Some(n) = h2 {
        return Protocol {
            kind: ProtocolKind::Http2,
            node: Some(n),
            deprecated: true,
        };
    }
    if let Some(n) = c.get("http_protocol_options") {
        return Protocol {
            kind: ProtocolKind::Http1,
            node: Some(n),
            deprecated: true,
        };
    }
    Protocol {
        kind: ProtocolKind::Http1Default,
        node: None,
        deprecated: false,
    }
}

fn discovery_of<'a>(c: &Fields<'a>) -> (Discovery, Option<NodeRef<'a>>) {
    if let Some(t) = c.get("type") {
        let d = match t.as_str().unwrap_or("") {
            "STATIC" => Discovery::Static,
            "STRICT_DNS" => Discovery::StrictDns,
            "LOGICAL_DNS" => Discovery::LogicalDns,
            "EDS" => Discovery::Eds,
            "ORIGINAL_DST" => Discovery::OriginalDst,
            _ => Discovery::Unknown,
        };
        return (d, Some(t));
    }
    if let Some(t) = c.get("cluster_type") {
        return (Discovery::Custom, Some(t));
    }
    // The proto default.
    (Discovery::Static, None)
}

/// Cluster-level fields that HttpProtocolOptions replaced (deprecated since v3.0).
const DEPRECATED_FIELDS: [(&str, &str); 6] = [
    (
        "http2_protocol_options",
        "typed_extension_protocol_options HttpProtocolOptions.explicit_http_config.http2_protocol_options",
    ),
    (
        "http_protocol_options",
        "typed_extension_protocol_options HttpProtocolOptions.explicit_http_config.http_protocol_options",
    ),
    (
        "common_http_protocol_options",
        "HttpProtocolOptions.common_http_protocol_options",
    ),
    (
        "upstream_http_protocol_options",
        "HttpProtocolOptions.upstream_http_protocol_options",
    ),
    (
        "max_requests_per_connection",
        "HttpProtocolOptions.common_http_protocol_options.max_requests_per_connection",
    ),
    (
        "protocol_selection",
        "HttpProtocolOptions.use_downstream_protocol_config",
    ),
];

/// Fields removed with the v2 API: current Envoy rejects them.
const REMOVED_FIELDS: [(&str, &str); 3] = [
    ("hosts", "load_assignment"),
    (
        "tls_context",
        "transport_socket with an UpstreamTlsContext typed_config",
    ),
    (
        "extension_protocol_options",
        "typed_extension_protocol_options",
    ),
];

impl<'a> Cluster<'a> {
    pub fn resource(&self) -> Resource {
        super::resource("Cluster", self.name)
    }

    /// Where to point for the cluster as a whole.
    pub fn name_loc(&self) -> crate::source::Loc {
        self.name_node.unwrap_or(self.node).loc()
    }

    /// A cluster that is an Envoy-internal helper (admin, xDS, stats sinks) rather than an app.
    pub fn is_blackhole(&self) -> bool {
        self.name.to_ascii_lowercase().contains("blackhole")
    }

    pub fn parse(
        c: NodeRef<'a>,
        scope: usize,
        state: State,
        deprecated: &mut Vec<Deprecated<'a>>,
    ) -> Option<Cluster<'a>> {
        // The cluster's keys, read once for the ~30 lookups below.
        let fields = Fields::of(c);
        let name_node = fields.get("name");
        let name = name_node.and_then(|n| n.as_str()).unwrap_or("");
        let (discovery, type_node) = discovery_of(&fields);
        let hpo = fields
            .get("typed_extension_protocol_options")
            .and_then(|m| {
                get(m, HPO_KEY).or_else(|| {
                    m.entries().map(|(_, v)| v).find(|v| {
                        v.str_at("@type")
                            .is_some_and(|t| t.ends_with("upstreams.http.v3.HttpProtocolOptions"))
                    })
                })
            });
        let common = hpo
            .and_then(|h| get(h, "common_http_protocol_options"))
            .or_else(|| fields.get("common_http_protocol_options"));
        let max_rpc = common
            .and_then(|co| int_at(co, "max_requests_per_connection"))
            .or_else(|| fields.int_at("max_requests_per_connection"));
        let auto_sni = hpo
            .and_then(|h| path(h, &["upstream_http_protocol_options", "auto_sni"]))
            .or_else(|| fields.path("upstream_http_protocol_options", &["auto_sni"]))
            .and_then(|n| n.as_bool())
            .unwrap_or(false);
        let load_assignment = fields.get("load_assignment");
        let endpoints = load_assignment
            .map(endpoints_of_assignment)
            .unwrap_or_default();
        let transport = fields
            .get("transport_socket")
            .map(Transport::parse)
            .unwrap_or_else(Transport::plain);
        let thresholds = fields
            .get("circuit_breakers")
            .into_iter()
            .flat_map(|cb| list(cb, "thresholds"))
            .map(|t| Thresholds {
                node: t,
                priority: str_at(t, "priority").unwrap_or("DEFAULT"),
                limits: [
                    "max_connections",
                    "max_pending_requests",
                    "max_requests",
                    "max_retries",
                ]
                .into_iter()
                .filter_map(|f| int_at(t, f).map(|(v, n)| (f, v, n)))
                .collect(),
            })
            .collect();
        let health_checks = fields
            .list("health_checks")
            .map(|h| {
                let (kind, checker) = if let Some(g) = get(h, "grpc_health_check") {
                    (HealthCheckKind::Grpc, Some(g))
                } else if let Some(x) = get(h, "http_health_check") {
                    (HealthCheckKind::Http, Some(x))
                } else if let Some(x) = get(h, "tcp_health_check") {
                    (HealthCheckKind::Tcp, Some(x))
                } else {
                    (HealthCheckKind::Other, None)
                };
                HealthCheck {
                    node: h,
                    kind,
                    checker,
                }
            })
            .collect();
        let panic = fields
            .path("common_lb_config", &["healthy_panic_threshold"])
            .and_then(|p| {
                get(p, "value").and_then(|v| v.as_f64().or_else(|| v.as_int().map(|i| i as f64)))
            })
            .unwrap_or(50.0);

        for (field, instead) in DEPRECATED_FIELDS {
            if let Some((k, _)) = fields.get_entry(field) {
                deprecated.push(Deprecated {
                    scope,
                    node: k,
                    what: format!("cluster-level `{field}`"),
                    rejected: false,
                    instead,
                    resource: Some(("Cluster", name)),
                });
            }
        }
        for (field, instead) in REMOVED_FIELDS {
            if let Some((k, _)) = fields.get_entry(field) {
                deprecated.push(Deprecated {
                    scope,
                    node: k,
                    what: format!("v2 cluster field `{field}`"),
                    rejected: true,
                    instead,
                    resource: Some(("Cluster", name)),
                });
            }
        }

        Some(Cluster {
            idx: 0,
            scope,
            node: c,
            name,
            name_node,
            state,
            discovery,
            type_node,
            connect_timeout: Dur::of(fields.get("connect_timeout"), 5.0),
            dns_lookup_family: fields
                .get("dns_lookup_family")
                .and_then(|n| n.as_str().map(|s| (s, n))),
            lb_policy: fields.str_at("lb_policy").unwrap_or("ROUND_ROBIN"),
            eds_service_name: fields
                .path("eds_cluster_config", &["service_name"])
                .and_then(|n| n.as_str()),
            load_assignment,
            endpoints,
            transport,
            has_socket_matches: fields
                .get("transport_socket_matches")
                .is_some_and(|m| m.items().next().is_some())
                || fields.get("transport_socket_matcher").is_some(),
            hpo,
            protocol: protocol_of(hpo, &fields),
            idle_timeout: common
                .map(|co| Dur::at(co, "idle_timeout", 3600.0))
                .unwrap_or(Dur {
                    secs: 3600.0,
                    node: None,
                }),
            max_requests_per_connection: max_rpc,
            auto_sni,
            thresholds,
            outlier: fields.get("outlier_detection").map(outlier),
            health_checks,
            healthy_panic_threshold: panic,
            v2_hosts: fields.get("hosts"),
        })
    }
}

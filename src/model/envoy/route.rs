//! Route configurations: virtual hosts, routes, their match and action.

use super::fields::{Dur, Fields, get, list, str_at};
use super::{Deprecated, State};
use crate::finding::Resource;
use crate::parse::tree::NodeRef;

/// A cluster named by a route, a weighted cluster or a tcp_proxy.
#[derive(Clone, Copy, Debug)]
pub struct ClusterRef<'a> {
    pub name: &'a str,
    /// The name's node.
    pub node: NodeRef<'a>,
    pub weighted: bool,
}

#[derive(Clone, Debug)]
pub enum Action<'a> {
    Route {
        node: NodeRef<'a>,
        targets: Vec<ClusterRef<'a>>,
        /// `cluster_header` / cluster specifier plugins pick the cluster at run time.
        dynamic: bool,
    },
    Redirect,
    DirectResponse,
    Other,
}

#[derive(Clone, Debug)]
pub struct Route<'a> {
    pub node: NodeRef<'a>,
    pub name: Option<&'a str>,
    pub match_node: Option<NodeRef<'a>>,
    /// `match.grpc` (only gRPC requests match).
    pub grpc_match: Option<NodeRef<'a>>,
    /// A header matcher requiring `content-type: application/grpc`.
    pub grpc_content_type: Option<NodeRef<'a>>,
    pub action: Action<'a>,
    /// Default 15 s (0 disables).
    pub timeout: Dur<'a>,
    pub idle_timeout: Option<Dur<'a>>,
    pub retry_policy: Option<NodeRef<'a>>,
    /// CONNECT termination (`connect_matcher`, `upgrade_configs` CONNECT):
    /// the payload is the client's own byte stream, often TLS.
    pub tunnel: bool,
}

#[derive(Clone, Debug)]
pub struct VirtualHost<'a> {
    pub node: NodeRef<'a>,
    pub name: &'a str,
    pub domains: Vec<&'a str>,
    pub routes: Vec<Route<'a>>,
    pub retry_policy: Option<NodeRef<'a>>,
}

#[derive(Clone, Debug)]
pub struct RouteConfig<'a> {
    pub scope: usize,
    pub node: NodeRef<'a>,
    pub name: &'a str,
    pub name_node: Option<NodeRef<'a>>,
    pub state: State,
    /// Index of the listener that holds it inline.
    pub listener: Option<usize>,
    pub virtual_hosts: Vec<VirtualHost<'a>>,
    /// `validate_clusters`, when written.
    pub validate_clusters: Option<bool>,
}

impl RouteConfig<'_> {
    pub fn resource(&self) -> Resource {
        super::resource("RouteConfiguration", self.name)
    }
}

fn is_grpc_content_type(h: NodeRef<'_>) -> bool {
    let name = str_at(h, "name").unwrap_or("");
    if !name.eq_ignore_ascii_case("content-type") {
        return false;
    }
    let direct = ["exact_match", "prefix_match"]
        .iter()
        .filter_map(|k| str_at(h, k))
        .any(|v| v.starts_with("application/grpc"));
    let sm = get(h, "string_match").is_some_and(|m| {
        ["exact", "prefix"]
            .iter()
            .filter_map(|k| str_at(m, k))
            .any(|v| v.starts_with("application/grpc"))
    });
    direct || sm
}

/// The action of a route (`r`: its fields; `ra`: its `route`'s fields).
fn action_of<'a>(r: &Fields<'a>, ra: Option<(NodeRef<'a>, &Fields<'a>)>) -> Action<'a> {
    if let Some((node, ra)) = ra {
        let mut targets = Vec::new();
        if let Some(c) = ra.get("cluster")
            && let Some(name) = c.as_str()
        {
            targets.push(ClusterRef {
                name,
                node: c,
                weighted: false,
            });
        }
        for w in ra
            .path("weighted_clusters", &["clusters"])
            .into_iter()
            .flat_map(|l| l.items())
        {
            // A weighted entry may itself pick by header (`cluster_header`).
            if let Some(n) = get(w, "name")
                && let Some(name) = n.as_str()
            {
                targets.push(ClusterRef {
                    name,
                    node: n,
                    weighted: true,
                });
            }
        }
        let dynamic = ra.get("cluster_header").is_some()
            || ra.get("cluster_specifier_plugin").is_some()
            || ra.get("inline_cluster_specifier_plugin").is_some();
        return Action::Route {
            node,
            targets,
            dynamic,
        };
    }
    if r.get("redirect").is_some() {
        return Action::Redirect;
    }
    if r.get("direct_response").is_some() {
        return Action::DirectResponse;
    }
    Action::Other
}

/// A route (`r`: its fields; `ra`: its `route` and that one's fields).
fn parse_route<'a>(
    node: NodeRef<'a>,
    r: &Fields<'a>,
    ra: Option<(NodeRef<'a>, &Fields<'a>)>,
) -> Route<'a> {
    let m = r.get("match");
    let ra_fields = ra.map(|(_, f)| f);
    Route {
        node,
        name: r.str_at("name"),
        match_node: m,
        grpc_match: m.and_then(|m| get(m, "grpc")),
        grpc_content_type: m.and_then(|m| list(m, "headers").find(|h| is_grpc_content_type(*h))),
        action: action_of(r, ra),
        timeout: ra_fields
            .map(|a| Dur::of(a.get("timeout"), 15.0))
            .unwrap_or(Dur {
                secs: 15.0,
                node: None,
            }),
        idle_timeout: ra_fields.and_then(|a| {
            let d = Dur::of(a.get("idle_timeout"), 0.0);
            d.is_set().then_some(d)
        }),
        retry_policy: ra_fields.and_then(|a| a.get("retry_policy")),
        tunnel: m.is_some_and(|m| get(m, "connect_matcher").is_some())
            || ra_fields.is_some_and(|a| {
                a.list("upgrade_configs").any(|u| {
                    get(u, "connect_config").is_some()
                        || str_at(u, "upgrade_type").is_some_and(|t| {
                            t.eq_ignore_ascii_case("CONNECT")
                                || t.eq_ignore_ascii_case("CONNECT-UDP")
                        })
                })
            }),
    }
}

/// CorsPolicy fields the v3 API removed.
fn removed_cors<'a>(
    out: &mut Vec<Deprecated<'a>>,
    scope: usize,
    cors: NodeRef<'a>,
    res: Option<(&'static str, &'a str)>,
) {
    for field in ["allow_origin", "allow_origin_regex", "enabled"] {
        Deprecated::removed(
            out,
            scope,
            cors,
            field,
            "v2 CORS field",
            "allow_origin_string_match / filter_enabled (or the CORS filter's typed_per_filter_config)",
            res,
        );
    }
}

pub(super) fn parse<'a>(
    rc: NodeRef<'a>,
    scope: usize,
    state: State,
    listener: Option<usize>,
    deprecated: &mut Vec<Deprecated<'a>>,
) -> RouteConfig<'a> {
    let name_node = get(rc, "name");
    let name = name_node.and_then(|n| n.as_str()).unwrap_or("");
    let mut vhs = Vec::new();
    for vh in list(rc, "virtual_hosts") {
        let res = Some(("RouteConfiguration", name));
        Deprecated::removed(
            deprecated,
            scope,
            vh,
            "per_filter_config",
            "v2 virtual host field",
            "typed_per_filter_config",
            res,
        );
        if let Some(cors) = get(vh, "cors") {
            removed_cors(deprecated, scope, cors, res);
        }
        let routes = list(vh, "routes")
            .map(|r| {
                // A route's and its action's keys, read once for their
                // ~20 lookups (a tree can hold thousands of routes).
                let fields = Fields::of(r);
                let removed = |f: &Fields<'a>, field| f.get_entry(field).map(|(k, _)| k);
                Deprecated::removed_key(
                    deprecated,
                    scope,
                    removed(&fields, "per_filter_config"),
                    "per_filter_config",
                    "v2 route field",
                    "typed_per_filter_config",
                    res,
                );
                let ra = fields.get("route");
                let ra_fields = ra.map(Fields::of);
                if let Some(raf) = &ra_fields {
                    Deprecated::removed_key(
                        deprecated,
                        scope,
                        removed(raf, "request_mirror_policy"),
                        "request_mirror_policy",
                        "v2 route action field",
                        "request_mirror_policies (a list)",
                        res,
                    );
                    if let Some(cors) = raf.get("cors") {
                        removed_cors(deprecated, scope, cors, res);
                    }
                }
                parse_route(r, &fields, ra.zip(ra_fields.as_ref()))
            })
            .collect();
        vhs.push(VirtualHost {
            node: vh,
            name: str_at(vh, "name").unwrap_or(""),
            domains: list(vh, "domains").filter_map(|d| d.as_str()).collect(),
            routes,
            retry_policy: get(vh, "retry_policy"),
        });
    }
    RouteConfig {
        scope,
        node: rc,
        name,
        name_node,
        state,
        listener,
        virtual_hosts: vhs,
        validate_clusters: get(rc, "validate_clusters").and_then(|v| {
            v.as_bool()
                .or_else(|| get(v, "value").and_then(|x| x.as_bool()))
        }),
    }
}

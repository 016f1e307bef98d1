//! Facts read from a configuration tree: upstream groups and their servers,
//! `*_pass` targets, virtual servers and their `listen` sockets.

use std::collections::HashMap;
use std::net::IpAddr;

use super::tree::{BlockKind, Config, Level, Node, NodeId};
use super::values::parse_time;

/// The host part of an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host {
    Name(String),
    Ip(String),
    Unix(String),
}

impl Host {
    fn of(s: &str) -> Host {
        let bare = s.trim_start_matches('[').trim_end_matches(']');
        if bare.parse::<IpAddr>().is_ok() {
            Host::Ip(bare.to_string())
        } else {
            Host::Name(s.to_string())
        }
    }
    pub fn name(&self) -> Option<&str> {
        match self {
            Host::Name(n) => Some(n),
            _ => None,
        }
    }
    pub fn is_localhost(&self) -> bool {
        matches!(self, Host::Name(n) if n.eq_ignore_ascii_case("localhost"))
    }
}

impl std::fmt::Display for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Host::Name(n) | Host::Ip(n) => f.write_str(n),
            Host::Unix(p) => write!(f, "unix:{p}"),
        }
    }
}

/// `host[:port]`, `[v6]:port`, `unix:/path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Addr {
    pub host: Host,
    /// As written; `None` when left out.
    pub port: Option<u16>,
}

/// Parse an address; `None` for what is not one (`*`, bad ports, variables).
pub fn parse_addr(s: &str) -> Option<Addr> {
    if let Some(path) = s.strip_prefix("unix:") {
        return Some(Addr {
            host: Host::Unix(path.to_string()),
            port: None,
        });
    }
    if s.is_empty() || s.contains('$') {
        return None;
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (v6, tail) = rest.split_once(']')?;
        let port = match tail.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if tail.is_empty() => None,
            None => return None,
        };
        return Some(Addr {
            host: Host::Ip(v6.to_string()),
            port,
        });
    }
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, Some(p.parse::<u16>().ok()?)),
        Some(_) => (s, None), // a bare IPv6 address
        None => (s, None),
    };
    if host.is_empty() || host == "*" {
        return None;
    }
    Some(Addr {
        host: Host::of(host),
        port,
    })
}

/// A `server` line of an `upstream` block.
#[derive(Clone, Debug)]
pub struct UpstreamServer {
    pub node: NodeId,
    pub addr: Option<Addr>,
    pub max_fails: Option<i64>,
    pub fail_timeout: Option<f64>,
    pub backup: bool,
    pub down: bool,
    pub resolve: bool,
}

#[derive(Clone, Debug)]
pub struct Upstream {
    pub node: NodeId,
    pub name: String,
    /// A `stream { upstream ... }` group.
    pub stream: bool,
    pub servers: Vec<UpstreamServer>,
    /// `keepalive N`: the directive and N.
    pub keepalive: Option<(NodeId, i64)>,
    /// `keepalive_timeout T`: the directive and T in seconds.
    pub keepalive_timeout: Option<(NodeId, f64)>,
    pub resolver: Option<NodeId>,
    /// Holds an include whose contents are not known.
    pub unknown: bool,
}

/// Which module passes the request on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PassKind {
    Proxy,
    Grpc,
    Fastcgi,
    Uwsgi,
    Scgi,
    Memcached,
    /// `proxy_pass` in a `stream` server.
    Stream,
}

impl PassKind {
    pub fn of(name: &str, stream: bool) -> Option<PassKind> {
        Some(match name {
            "proxy_pass" if stream => PassKind::Stream,
            "proxy_pass" => PassKind::Proxy,
            "grpc_pass" => PassKind::Grpc,
            "fastcgi_pass" => PassKind::Fastcgi,
            "uwsgi_pass" => PassKind::Uwsgi,
            "scgi_pass" => PassKind::Scgi,
            "memcached_pass" => PassKind::Memcached,
            _ => return None,
        })
    }
    pub fn directive(self) -> &'static str {
        match self {
            PassKind::Proxy | PassKind::Stream => "proxy_pass",
            PassKind::Grpc => "grpc_pass",
            PassKind::Fastcgi => "fastcgi_pass",
            PassKind::Uwsgi => "uwsgi_pass",
            PassKind::Scgi => "scgi_pass",
            PassKind::Memcached => "memcached_pass",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
    Grpc,
    Grpcs,
    Uwsgi,
    Suwsgi,
    Other,
}

impl Scheme {
    pub fn tls(self) -> bool {
        matches!(self, Scheme::Https | Scheme::Grpcs | Scheme::Suwsgi)
    }
    /// The port nginx uses when the URL names none (`None`: nginx wants one).
    pub fn default_port(self) -> Option<u16> {
        match self {
            Scheme::Http => Some(80),
            Scheme::Https => Some(443),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
            Scheme::Grpc => "grpc",
            Scheme::Grpcs => "grpcs",
            Scheme::Uwsgi => "uwsgi",
            Scheme::Suwsgi => "suwsgi",
            Scheme::Other => "",
        }
    }
}

/// Where a `*_pass` sends requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A literal address, or the name of an upstream group (port `None`).
    Addr(Addr),
    /// Computed at run time; `var` is the variable when the host (or the
    /// whole URL) is exactly one variable.
    Variable { var: Option<String> },
}

#[derive(Clone, Debug)]
pub struct Pass {
    pub node: NodeId,
    /// The location (or `if`, `limit_except`, stream server) it is in.
    pub level: Level,
    pub kind: PassKind,
    pub scheme: Scheme,
    pub target: Target,
    pub uri: Option<String>,
}

/// Variables whose value is a URI, not a host.
const URI_VARS: &[&str] = &[
    "$request_uri",
    "$uri",
    "$document_uri",
    "$is_args",
    "$args",
    "$query_string",
];

/// Parse a `*_pass` argument.
pub fn parse_pass(kind: PassKind, value: &str) -> (Scheme, Target, Option<String>) {
    let lower = value.to_ascii_lowercase();
    let schemes: &[(&str, Scheme)] = &[
        ("http://", Scheme::Http),
        ("https://", Scheme::Https),
        ("grpc://", Scheme::Grpc),
        ("grpcs://", Scheme::Grpcs),
        ("uwsgi://", Scheme::Uwsgi),
        ("suwsgi://", Scheme::Suwsgi),
    ];
    let (scheme, rest) = match schemes.iter().find(|(p, _)| lower.starts_with(p)) {
        Some((p, s)) => (*s, value.get(p.len()..).unwrap_or("")),
        None => (
            match kind {
                PassKind::Grpc => Scheme::Grpc,
                PassKind::Uwsgi => Scheme::Uwsgi,
                _ => Scheme::Other,
            },
            value,
        ),
    };
    let variable = |s: &str| Target::Variable {
        var: (s.starts_with('$')
            && s.len() > 1
            && s.get(1..)
                .is_some_and(|v| v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')))
        .then(|| s.to_string()),
    };
    if rest.starts_with('$') {
        let (host, uri) = match rest.find('/') {
            Some(i) => (rest.get(..i).unwrap_or(rest), rest.get(i..)),
            None => (rest, None),
        };
        return (scheme, variable(host), uri.map(str::to_string));
    }
    if let Some(unix) = rest.strip_prefix("unix:") {
        let (path, uri) = match unix.split_once(':') {
            Some((p, u)) => (p, Some(u.to_string())),
            None => (unix, None),
        };
        return (
            scheme,
            Target::Addr(Addr {
                host: Host::Unix(path.to_string()),
                port: None,
            }),
            uri,
        );
    }
    let (mut authority, mut uri) = match rest.find('/') {
        Some(i) => (
            rest.get(..i).unwrap_or(rest),
            rest.get(i..).map(str::to_string),
        ),
        None => (rest, None),
    };
    if let Some(i) = authority.find('$') {
        let tail = authority.get(i..).unwrap_or("");
        if !URI_VARS.iter().any(|v| tail.starts_with(v)) {
            return (scheme, Target::Variable { var: None }, uri);
        }
        uri = Some(format!("{tail}{}", uri.unwrap_or_default()));
        authority = authority.get(..i).unwrap_or("");
    }
    match parse_addr(authority) {
        Some(a) => (scheme, Target::Addr(a), uri),
        None => (scheme, Target::Variable { var: None }, uri),
    }
}

/// A `listen` of a virtual server.
#[derive(Clone, Debug)]
pub struct Listen {
    pub node: NodeId,
    /// The address as written (`80`, `127.0.0.1:8080`, `[::]:443`).
    pub address: String,
    pub port: Option<u16>,
    pub ssl: bool,
    pub http2: bool,
    pub quic: bool,
    pub proxy_protocol: bool,
}

#[derive(Clone, Debug)]
pub struct ServerBlock {
    pub node: NodeId,
    pub listens: Vec<Listen>,
    pub names: Vec<String>,
}

impl ServerBlock {
    /// `server_name`, else the first listen, else `_`.
    pub fn label(&self) -> String {
        self.names
            .first()
            .cloned()
            .or_else(|| self.listens.first().map(|l| l.address.clone()))
            .unwrap_or_else(|| "_".to_string())
    }
}

fn parse_listen(id: NodeId, n: &Node<'_>) -> Option<Listen> {
    let address = n.arg(0)?.to_string();
    let port = if address.starts_with("unix:") {
        None
    } else if let Ok(p) = address.parse::<u16>() {
        Some(p)
    } else {
        match address.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(':') => p.parse().ok(),
            _ => Some(80),
        }
    };
    let has = |w: &str| n.d.args.iter().skip(1).any(|a| a.value == w);
    Some(Listen {
        node: id,
        port,
        ssl: has("ssl"),
        http2: has("http2"),
        quic: has("quic"),
        proxy_protocol: has("proxy_protocol"),
        address,
    })
}

fn upstream_server(id: NodeId, n: &Node<'_>) -> UpstreamServer {
    let param = |key: &str| {
        n.d.args
            .iter()
            .skip(1)
            .find_map(|a| a.value.strip_prefix(key).map(str::to_string))
    };
    let flag = |w: &str| n.d.args.iter().skip(1).any(|a| a.value == w);
    UpstreamServer {
        node: id,
        addr: n.arg(0).and_then(parse_addr),
        max_fails: param("max_fails=").and_then(|v| v.parse().ok()),
        fail_timeout: param("fail_timeout=").and_then(|v| parse_time(&v)),
        backup: flag("backup"),
        down: flag("down"),
        resolve: flag("resolve"),
    }
}

/// The facts of one configuration.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub upstreams: Vec<Upstream>,
    pub passes: Vec<Pass>,
    pub servers: Vec<ServerBlock>,
    /// (stream, lower-case name) -> index in `upstreams` (the first wins).
    upstream_index: HashMap<(bool, String), usize>,
    /// Index in `upstreams` of the group each pass names.
    pass_group: Vec<Option<usize>>,
    /// Server block node -> index in `servers`.
    server_index: HashMap<NodeId, usize>,
    /// Pass node -> index in `passes`.
    pass_index: HashMap<NodeId, usize>,
    /// Upstream node -> indexes of the passes naming it.
    group_passes: HashMap<NodeId, Vec<usize>>,
}

pub fn read(cfg: &Config<'_>) -> Facts {
    let mut f = Facts::default();
    for (id, n) in cfg.nodes.iter().enumerate() {
        match n.kind {
            BlockKind::Upstream | BlockKind::StreamUpstream => {
                let level = Some(id);
                let mut u = Upstream {
                    node: id,
                    name: n.arg(0).unwrap_or("").to_string(),
                    stream: n.kind == BlockKind::StreamUpstream,
                    servers: Vec::new(),
                    keepalive: None,
                    keepalive_timeout: None,
                    resolver: cfg.own(level, "resolver").map(|(i, _)| i).next(),
                    unknown: cfg.level_unknown(level),
                };
                for (cid, c) in cfg.own(level, "server") {
                    u.servers.push(upstream_server(cid, c));
                }
                if let Some((cid, c)) = cfg.own(level, "keepalive").next() {
                    u.keepalive = c.arg(0).and_then(|v| v.parse().ok()).map(|k| (cid, k));
                }
                if let Some((cid, c)) = cfg.own(level, "keepalive_timeout").next() {
                    u.keepalive_timeout = c.arg(0).and_then(parse_time).map(|t| (cid, t));
                }
                f.upstreams.push(u);
            }
            BlockKind::Server => {
                let level = Some(id);
                f.servers.push(ServerBlock {
                    node: id,
                    listens: cfg
                        .own(level, "listen")
                        .filter_map(|(i, l)| parse_listen(i, l))
                        .collect(),
                    names: cfg
                        .own(level, "server_name")
                        .flat_map(|(_, s)| s.d.args.iter().map(|a| a.value.clone()))
                        .filter(|s| !s.is_empty())
                        .collect(),
                });
            }
            BlockKind::Simple => {
                let parent_kind = cfg.kind(n.parent);
                let stream = parent_kind == BlockKind::StreamServer;
                let in_http = matches!(
                    parent_kind,
                    BlockKind::Location | BlockKind::If | BlockKind::LimitExcept
                );
                if !(stream || in_http) {
                    continue;
                }
                let (Some(kind), Some(arg)) = (PassKind::of(&n.d.name, stream), n.arg(0)) else {
                    continue;
                };
                let (scheme, target, uri) = parse_pass(kind, arg);
                f.passes.push(Pass {
                    node: id,
                    level: n.parent,
                    kind,
                    scheme,
                    target,
                    uri,
                });
            }
            _ => {}
        }
    }
    for (i, u) in f.upstreams.iter().enumerate() {
        f.upstream_index
            .entry((u.stream, u.name.to_ascii_lowercase()))
            .or_insert(i);
    }
    f.pass_group = f
        .passes
        .iter()
        .map(|p| match &p.target {
            Target::Addr(Addr {
                host: Host::Name(name),
                port: None,
            }) => f
                .upstream_index
                .get(&(p.kind == PassKind::Stream, name.to_ascii_lowercase()))
                .copied(),
            _ => None,
        })
        .collect();
    f.server_index = f
        .servers
        .iter()
        .enumerate()
        .map(|(i, s)| (s.node, i))
        .collect();
    f.pass_index = f
        .passes
        .iter()
        .enumerate()
        .map(|(i, p)| (p.node, i))
        .collect();
    for (i, g) in f.pass_group.iter().enumerate() {
        if let Some(u) = g.and_then(|g| f.upstreams.get(g)) {
            f.group_passes.entry(u.node).or_default().push(i);
        }
    }
    f
}

impl Facts {
    /// The upstream group a pass names (names compare case-insensitively).
    pub fn group(&self, pass: &Pass) -> Option<&Upstream> {
        let i = *self.pass_index.get(&pass.node)?;
        self.group_of(i)
    }

    /// The group of the pass at index `i` of `passes`.
    pub fn group_of(&self, i: usize) -> Option<&Upstream> {
        self.pass_group
            .get(i)
            .copied()
            .flatten()
            .and_then(|g| self.upstreams.get(g))
    }

    pub fn upstream_named(&self, name: &str, stream: bool) -> Option<&Upstream> {
        self.upstream_index
            .get(&(stream, name.to_ascii_lowercase()))
            .and_then(|&i| self.upstreams.get(i))
    }

    /// Passes that send to an upstream group.
    pub fn passes_to<'s>(&'s self, u: &'s Upstream) -> impl Iterator<Item = &'s Pass> + 's {
        self.group_passes
            .get(&u.node)
            .map(|v| v.as_slice())
            .unwrap_or(&[])
            .iter()
            .filter_map(|&i| self.passes.get(i))
    }

    /// The server block a level is in.
    pub fn server_of(&self, cfg: &Config<'_>, level: Level) -> Option<&ServerBlock> {
        let s = cfg.enclosing(level, BlockKind::Server)??;
        self.server_index.get(&s).and_then(|&i| self.servers.get(i))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn addr(h: &str, p: Option<u16>) -> Target {
        Target::Addr(Addr {
            host: Host::of(h),
            port: p,
        })
    }

    #[test]
    fn pass_urls() {
        let p = |v: &str| parse_pass(PassKind::Proxy, v);
        assert_eq!(
            p("http://backend"),
            (Scheme::Http, addr("backend", None), None)
        );
        assert_eq!(
            p("https://api.example.com:8443/v1/"),
            (
                Scheme::Https,
                addr("api.example.com", Some(8443)),
                Some("/v1/".into())
            )
        );
        assert_eq!(p("http://[::1]:80").1, addr("::1", Some(80)));
        assert_eq!(p("http://127.0.0.1:8000").1, addr("127.0.0.1", Some(8000)));
        assert_eq!(
            p("$proxpass").1,
            Target::Variable {
                var: Some("$proxpass".into())
            }
        );
        assert_eq!(
            p("http://$host$request_uri").1,
            Target::Variable { var: None }
        );
        assert_eq!(
            p("http://$backend").1,
            Target::Variable {
                var: Some("$backend".into())
            }
        );
        assert_eq!(p("http://app$request_uri").1, addr("app", None));
        assert_eq!(p("http://app$suffix").1, Target::Variable { var: None });
        assert_eq!(
            p("http://unix:/tmp/s.sock:/uri/").1,
            Target::Addr(Addr {
                host: Host::Unix("/tmp/s.sock".into()),
                port: None
            })
        );
        let g = parse_pass(PassKind::Grpc, "grpc-svc:50051");
        assert_eq!((g.0, g.1), (Scheme::Grpc, addr("grpc-svc", Some(50051))));
        assert_eq!(parse_pass(PassKind::Grpc, "grpcs://x:443").0, Scheme::Grpcs);
    }

    #[test]
    fn addresses() {
        assert_eq!(parse_addr("backend").unwrap().port, None);
        assert_eq!(parse_addr("backend:8080").unwrap().port, Some(8080));
        assert!(parse_addr("backend:x").is_none());
        assert_eq!(parse_addr("::1").unwrap().host, Host::Ip("::1".into()));
        assert!(parse_addr("$x").is_none());
    }
}

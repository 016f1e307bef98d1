//! Facts read from a configuration tree: upstream groups and their servers,
//! `*_pass` targets, virtual servers and their `listen` sockets.

use foldhash::HashMap;

pub use super::addr::{Addr, Host, PassKind, Scheme, Target, parse_addr, parse_pass};

use super::tree::{BlockKind, Config, Level, Node, NodeId};
use super::values::parse_time;

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
                u.servers.shrink_to_fit();
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
                        .flat_map(|(_, s)| s.d.args.iter().map(|a| a.value.to_string()))
                        .filter(|s| !s.is_empty())
                        .collect(),
                });
            }
            BlockKind::Simple => {
                let parent_kind = cfg.kind(n.parent());
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
                    level: n.parent(),
                    kind,
                    scheme,
                    target,
                    uri,
                });
            }
            _ => {}
        }
    }
    // Read once per configuration and kept to the end of the run.
    f.upstreams.shrink_to_fit();
    f.passes.shrink_to_fit();
    f.servers.shrink_to_fit();
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

//! Envoy facts: clusters, listeners and route configurations from bootstraps,
//! xDS resource files, single typed resources, admin `/config_dump`s and
//! `istioctl proxy-config ... -o json` arrays, with proto defaults applied.
//!
//! Resources live in *scopes*: one per bootstrap, one per config dump (one
//! proxy's view), and one per directory for loose xDS resource files. A route
//! resolves its clusters in its own scope; see [`Envoy::find_cluster`].

mod build;
pub mod cluster;
mod dump;
pub mod endpoint;
pub mod fields;
pub mod listener;
pub mod route;
pub mod transport;

use foldhash::{HashMap, HashMapExt};

use crate::parse::tree::{Doc, NodeRef};
use crate::source::{FileId, Loc};

pub use cluster::{Cluster, Discovery, Endpoint, Protocol, Transport, TransportKind};
pub use fields::Dur;
pub use listener::{FilterChain, Hcm, Listener, RouteSource, TcpProxy};
pub use route::{Action, ClusterRef, Route, RouteConfig, VirtualHost};

/// Where a resource sits in a config dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// A bootstrap's static resource, a file's resource, or a dump's static entry.
    Static,
    Active,
    Warming,
    Draining,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    Bootstrap,
    Dump,
    /// Loose xDS resources (resource files, istioctl arrays) of one directory.
    Files,
}

/// One proxy's (or one directory's) set of resources.
#[derive(Debug)]
pub struct Scope<'a> {
    pub kind: ScopeKind,
    pub file: FileId,
    /// The directory of the files (for `Files` scopes and bootstraps).
    pub dir: String,
    /// A bootstrap receives clusters over CDS/ADS.
    pub dynamic_clusters: bool,
    /// ... from files (`cds_config.path_config_source`), which sit in its directory.
    pub clusters_from_files: bool,
    /// A dump that holds a ClustersConfigDump that looks complete (not a
    /// trimmed excerpt: more of the names its routes use resolve than not).
    pub has_cluster_dump: bool,
    /// A dump that holds an EndpointsConfigDump (`?include_eds`): EDS state is known.
    pub has_endpoint_dump: bool,
    /// A bootstrap receives listeners over LDS (its own ports are not all visible).
    pub dynamic_listeners: bool,
    /// Most cluster names its routes use are not defined here: an excerpt.
    pub excerpt: bool,
    pub node_id: Option<&'a str>,
    /// The bootstrap's admin port.
    pub admin_port: Option<i64>,
    pub(crate) cluster_index: HashMap<&'a str, usize>,
    pub(crate) route_index: HashMap<&'a str, usize>,
    pub(crate) cla_index: HashMap<&'a str, usize>,
}

/// `error_state` or `client_status: NACKED` on a dump entry: Envoy rejected
/// this version of the resource.
#[derive(Clone, Debug)]
pub struct Rejection<'a> {
    pub scope: usize,
    pub kind: &'static str,
    pub name: &'a str,
    /// `error_state.details` (or the `error_state` / `client_status` node).
    pub node: NodeRef<'a>,
    /// Envoy's own error text (`error_state.details`).
    pub details: Option<&'a str>,
    pub client_status: Option<&'a str>,
}

/// A `ClusterLoadAssignment` delivered separately (EDS files and dumps).
#[derive(Clone, Debug)]
pub struct LoadAssignment<'a> {
    pub scope: usize,
    pub cluster_name: &'a str,
    pub node: NodeRef<'a>,
    pub endpoints: Vec<Endpoint<'a>>,
}

/// Where a deprecated or removed field was written.
#[derive(Clone, Debug)]
pub struct Deprecated<'a> {
    pub scope: usize,
    /// The key node to point at.
    pub node: NodeRef<'a>,
    pub what: String,
    /// Current Envoy rejects it (`true`) or only warns (`false`).
    pub rejected: bool,
    pub instead: &'static str,
    pub resource: Option<(&'static str, &'a str)>,
}

impl<'a> Deprecated<'a> {
    /// Note a field of `node` that the v3 API removed (reserved): Envoy rejects it.
    pub(crate) fn removed(
        out: &mut Vec<Deprecated<'a>>,
        scope: usize,
        node: NodeRef<'a>,
        field: &str,
        what: &str,
        instead: &'static str,
        resource: Option<(&'static str, &'a str)>,
    ) {
        let key = fields::get_entry(node, field).map(|(k, _)| k);
        Deprecated::removed_key(out, scope, key, field, what, instead, resource);
    }

    /// As [`Deprecated::removed`], the field looked up already (`key`: its
    /// key node, if written).
    pub(crate) fn removed_key(
        out: &mut Vec<Deprecated<'a>>,
        scope: usize,
        key: Option<NodeRef<'a>>,
        field: &str,
        what: &str,
        instead: &'static str,
        resource: Option<(&'static str, &'a str)>,
    ) {
        if let Some(k) = key {
            out.push(Deprecated {
                scope,
                node: k,
                what: format!("{what} `{field}`"),
                rejected: true,
                instead,
                resource,
            });
        }
    }
}

/// Everything known about Envoy in the tree.
#[derive(Debug, Default)]
pub struct Envoy<'a> {
    pub scopes: Vec<Scope<'a>>,
    pub clusters: Vec<Cluster<'a>>,
    pub listeners: Vec<Listener<'a>>,
    pub route_configs: Vec<RouteConfig<'a>>,
    pub load_assignments: Vec<LoadAssignment<'a>>,
    pub rejections: Vec<Rejection<'a>>,
    pub deprecated: Vec<Deprecated<'a>>,
    /// How each cluster is used (parallel to `clusters`).
    pub usage: Vec<Usage>,
    /// Scopes by directory.
    pub(crate) by_dir: HashMap<String, DirScopes>,
}

/// The scopes of one directory.
#[derive(Debug, Default)]
pub(crate) struct DirScopes {
    pub files: Option<usize>,
    pub bootstraps: Vec<usize>,
}

/// What sends traffic to a cluster, in its own scope.
#[derive(Clone, Copy, Debug, Default)]
pub struct Usage {
    /// An HTTP route (or weighted cluster) sends to it.
    pub http: bool,
    /// A tcp_proxy sends to it (raw TCP, TLS passthrough).
    pub tcp: bool,
    /// A CONNECT-terminating route tunnels to it.
    pub tunnel: bool,
}

/// The answer to "does this cluster exist here?".
#[derive(Debug)]
pub enum Lookup<'s, 'a> {
    Found(&'s Cluster<'a>),
    /// The scope's cluster list is complete and the name is not in it.
    Missing,
    /// Clusters come from somewhere we cannot see (CDS from a control plane).
    Unknown,
}

impl<'a> Envoy<'a> {
    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty() && self.listeners.is_empty() && self.route_configs.is_empty()
    }

    pub fn scope(&self, i: usize) -> Option<&Scope<'a>> {
        self.scopes.get(i)
    }

    /// The `Files` scope of a directory.
    fn files_scope(&self, dir: &str) -> Option<usize> {
        self.by_dir.get(dir).and_then(|d| d.files)
    }

    fn in_scope(&self, scope: usize, name: &str) -> Option<&Cluster<'a>> {
        let i = *self.scopes.get(scope)?.cluster_index.get(name)?;
        self.clusters.get(i)
    }

    /// Resolve a cluster name from a resource of a scope.
    ///
    /// - bootstrap: its static clusters, plus the files of its directory when
    ///   it reads CDS from files; unknown when CDS comes from a server;
    /// - dump: the dump's clusters (unknown when it holds no ClustersConfigDump);
    /// - files: the directory's resource files plus the static clusters of the
    ///   bootstraps beside them; unknown when none of them defines a cluster.
    pub fn find_cluster(&self, scope: usize, name: &str) -> Lookup<'_, 'a> {
        let Some(s) = self.scopes.get(scope) else {
            return Lookup::Unknown;
        };
        if let Some(c) = self.in_scope(scope, name) {
            return Lookup::Found(c);
        }
        match s.kind {
            ScopeKind::Dump => {
                if s.has_cluster_dump {
                    Lookup::Missing
                } else {
                    Lookup::Unknown
                }
            }
            ScopeKind::Bootstrap => {
                if !s.dynamic_clusters {
                    return Lookup::Missing;
                }
                if !s.clusters_from_files {
                    return Lookup::Unknown;
                }
                match self.files_scope(&s.dir) {
                    Some(f) => match self.in_scope(f, name) {
                        Some(c) => Lookup::Found(c),
                        None if self.scope_has_clusters(f) => Lookup::Missing,
                        None => Lookup::Unknown,
                    },
                    None => Lookup::Unknown,
                }
            }
            ScopeKind::Files if s.excerpt => Lookup::Unknown,
            ScopeKind::Files => {
                let beside: &[usize] = self
                    .by_dir
                    .get(&s.dir)
                    .map(|d| d.bootstraps.as_slice())
                    .unwrap_or(&[]);
                if let Some(c) = beside.iter().find_map(|&b| self.in_scope(b, name)) {
                    return Lookup::Found(c);
                }
                // Bootstraps beside the files that take CDS from a server hide clusters.
                let hidden = beside.iter().any(|&b| {
                    self.scopes
                        .get(b)
                        .is_some_and(|x| x.dynamic_clusters && !x.clusters_from_files)
                });
                if !hidden && self.scope_has_clusters(scope) {
                    Lookup::Missing
                } else {
                    Lookup::Unknown
                }
            }
        }
    }

    fn scope_has_clusters(&self, scope: usize) -> bool {
        self.scopes
            .get(scope)
            .is_some_and(|s| !s.cluster_index.is_empty())
    }

    /// A route configuration named by RDS, seen from a scope.
    pub fn find_route_config(&self, scope: usize, name: &str) -> Option<&RouteConfig<'a>> {
        let s = self.scopes.get(scope)?;
        let own = s
            .route_index
            .get(name)
            .and_then(|&i| self.route_configs.get(i));
        own.or_else(|| {
            let f = self.files_scope(&s.dir)?;
            let i = *self.scopes.get(f)?.route_index.get(name)?;
            self.route_configs.get(i)
        })
    }

    /// Endpoints of a cluster: its own `load_assignment`, else the EDS
    /// assignment known in its scope (or its directory's files). `None` when
    /// they are not known.
    pub fn endpoints_of<'s>(&'s self, c: &'s Cluster<'a>) -> Option<&'s [Endpoint<'a>]> {
        if c.load_assignment.is_some() {
            return Some(&c.endpoints);
        }
        if c.discovery != Discovery::Eds {
            return None;
        }
        let key = c.eds_service_name.unwrap_or(c.name);
        let s = self.scopes.get(c.scope)?;
        let idx = s.cla_index.get(key).copied().or_else(|| {
            let f = self.files_scope(&s.dir)?;
            self.scopes.get(f)?.cla_index.get(key).copied()
        })?;
        self.load_assignments
            .get(idx)
            .map(|l| l.endpoints.as_slice())
    }

    pub fn usage(&self, c: &Cluster<'_>) -> Usage {
        self.usage.get(c.idx).copied().unwrap_or_default()
    }

    /// After loading: mark excerpts (dumps or directories whose routes mostly
    /// name clusters they do not hold) and record how each cluster is used.
    fn analyse(&mut self) {
        // A dump or a directory of files where most cluster names used by its
        // routes are absent is an excerpt: its cluster list is not complete.
        let mut found: HashMap<usize, foldhash::HashSet<&'a str>> = HashMap::new();
        let mut missing: HashMap<usize, foldhash::HashSet<&'a str>> = HashMap::new();
        for site in self.cluster_refs() {
            let scope = site.scope;
            let name = site.target.name;
            match self.find_cluster(scope, name) {
                Lookup::Found(_) => found.entry(scope).or_default().insert(name),
                Lookup::Missing => missing.entry(scope).or_default().insert(name),
                Lookup::Unknown => false,
            };
        }
        for (i, s) in self.scopes.iter_mut().enumerate() {
            let f = found.get(&i).map_or(0, |x| x.len());
            let m = missing.get(&i).map_or(0, |x| x.len());
            // A dump is one running proxy: a missing cluster is rare, a trimmed
            // dump common. A directory of files keeps a lone typo reportable.
            let excerpt = match s.kind {
                ScopeKind::Bootstrap => false,
                ScopeKind::Dump => m > 0 && m >= f,
                ScopeKind::Files => m >= 2 && m > f,
            };
            if excerpt {
                s.has_cluster_dump = false;
                s.excerpt = true;
            }
        }
        let mut usage = vec![Usage::default(); self.clusters.len()];
        for site in self.cluster_refs() {
            if let Lookup::Found(c) = self.find_cluster(site.scope, site.target.name)
                && let Some(u) = usage.get_mut(c.idx)
            {
                match site.owner {
                    Owner::Route(_, r) => {
                        u.http = true;
                        u.tunnel |= r.tunnel;
                    }
                    Owner::TcpProxy(_) => u.tcp = true,
                }
            }
        }
        self.usage = usage;
    }

    /// Listeners of the same scope (the same proxy).
    pub fn listeners_in(&self, scope: usize) -> impl Iterator<Item = &Listener<'a>> {
        self.listeners.iter().filter(move |l| l.scope == scope)
    }

    /// Every cluster reference (routes, weighted clusters, tcp_proxy) with the
    /// scope it resolves in and the resource it belongs to.
    pub fn cluster_refs(&self) -> Vec<RefSite<'_, 'a>> {
        let mut out = Vec::new();
        for rc in &self.route_configs {
            for vh in &rc.virtual_hosts {
                for r in &vh.routes {
                    if let Action::Route { targets, .. } = &r.action {
                        for t in targets {
                            out.push(RefSite {
                                scope: rc.scope,
                                target: t,
                                owner: Owner::Route(rc, r),
                            });
                        }
                    }
                }
            }
        }
        for l in &self.listeners {
            for fc in &l.filter_chains {
                if let Some(tp) = &fc.tcp_proxy {
                    for t in &tp.targets {
                        out.push(RefSite {
                            scope: l.scope,
                            target: t,
                            owner: Owner::TcpProxy(l),
                        });
                    }
                }
            }
        }
        out
    }

    /// Clusters that some route or tcp_proxy of their own scope sends to.
    pub fn routed_clusters(&self) -> Vec<(&Cluster<'a>, RefSite<'_, 'a>)> {
        let mut out = Vec::new();
        for site in self.cluster_refs() {
            if let Lookup::Found(c) = self.find_cluster(site.scope, site.target.name) {
                out.push((c, site));
            }
        }
        out
    }
}

/// Which resource holds a cluster reference.
#[derive(Clone, Copy, Debug)]
pub enum Owner<'s, 'a> {
    Route(&'s RouteConfig<'a>, &'s Route<'a>),
    TcpProxy(&'s Listener<'a>),
}

/// One cluster reference.
#[derive(Clone, Copy, Debug)]
pub struct RefSite<'s, 'a> {
    pub scope: usize,
    pub target: &'s ClusterRef<'a>,
    pub owner: Owner<'s, 'a>,
}

impl RefSite<'_, '_> {
    pub fn resource(&self) -> crate::finding::Resource {
        match self.owner {
            Owner::Route(rc, _) => rc.resource(),
            Owner::TcpProxy(l) => l.resource(),
        }
    }
}

/// The resource field of a finding about an Envoy object.
pub fn resource(kind: &str, name: &str) -> crate::finding::Resource {
    crate::finding::Resource {
        kind: kind.to_string(),
        namespace: None,
        name: name.to_string(),
    }
}

/// Where to point for a node that may be absent.
pub fn loc_or(n: Option<NodeRef<'_>>, fallback: NodeRef<'_>) -> Loc {
    n.unwrap_or(fallback).loc()
}

/// Build the Envoy model from the documents classified as Envoy.
/// `path_of` gives a file's display path (its directory groups resource files).
pub fn build<'a>(
    docs: impl IntoIterator<Item = &'a Doc>,
    path_of: &dyn Fn(FileId) -> String,
) -> Envoy<'a> {
    let mut b = build::Builder::new(path_of);
    for d in docs {
        b.add_doc(d);
    }
    b.finish()
}

#[cfg(test)]
mod tests;

//! Building the model from every input shape: bootstraps, xDS resource files
//! and DiscoveryResponses, single typed resources, bare arrays of resources
//! (`istioctl proxy-config ... -o json`); config dumps are unwrapped in
//! `dump.rs`.

use foldhash::{HashMap, HashMapExt};

use super::cluster::{Cluster, endpoints_of_assignment};
use super::fields::{get, get_entry, list, path, str_at, type_name, unwrap_typed};
use super::listener::{self, RouteSource};
use super::route;
use super::{Deprecated, Envoy, LoadAssignment, Scope, ScopeKind, State};
use crate::parse::tree::{Doc, NodeKind, NodeRef};
use crate::source::FileId;

/// How deep the walk for v2 `@type`s goes (typed configs nest).
const MAX_WALK_DEPTH: usize = 48;

/// How deep nested dumps (`{namespace: {pod: {configs: [...]}}}`) are searched.
pub(super) const NESTED_DUMP_DEPTH: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Cluster,
    Listener,
    RouteConfig,
    Assignment,
    Ignored,
}

/// Dump entry status: `error_state` and `client_status`.
#[derive(Clone, Copy, Default)]
pub(super) struct Status<'a> {
    pub(super) error_state: Option<NodeRef<'a>>,
    pub(super) client_status: Option<NodeRef<'a>>,
}

impl<'a> Status<'a> {
    pub(super) fn of(entry: NodeRef<'a>) -> Status<'a> {
        Status {
            error_state: get(entry, "error_state"),
            client_status: get(entry, "client_status"),
        }
    }
}

pub(super) struct Builder<'a, 'p> {
    pub(super) env: Envoy<'a>,
    path_of: &'p dyn Fn(FileId) -> String,
    listener_names: Vec<HashMap<&'a str, usize>>,
    /// The v2 `@type` walk's nodes still to see (kept between resources:
    /// one allocation, not a few per resource).
    v2_walk: Vec<(NodeRef<'a>, usize)>,
}

fn dir_of(path: &str) -> String {
    match path.rsplit_once('/') {
        Some((d, _)) => d.to_string(),
        None => String::new(),
    }
}

/// The kind of a resource by its `@type`, or by its fields when untyped.
fn kind_of(n: NodeRef<'_>, type_name: &str) -> Kind {
    if !type_name.is_empty() {
        return if type_name.ends_with(".Cluster") {
            Kind::Cluster
        } else if type_name.ends_with(".Listener") {
            Kind::Listener
        } else if type_name.ends_with(".RouteConfiguration") {
            Kind::RouteConfig
        } else if type_name.ends_with(".ClusterLoadAssignment") {
            Kind::Assignment
        } else {
            Kind::Ignored
        };
    }
    let has = |k: &str| get(n, k).is_some();
    if has("filter_chains") || has("default_filter_chain") || has("listener_filters") {
        Kind::Listener
    } else if has("virtual_hosts") || has("vhds") {
        Kind::RouteConfig
    } else if has("cluster_name") && has("endpoints") {
        Kind::Assignment
    } else if has("name")
        && (has("connect_timeout")
            || has("type")
            || has("eds_cluster_config")
            || has("load_assignment")
            || has("lb_policy")
            || has("cluster_type"))
    {
        Kind::Cluster
    } else if has("name") && has("address") {
        Kind::Listener
    } else {
        Kind::Ignored
    }
}

pub(super) fn is_admin_dump(type_name: &str) -> bool {
    type_name.starts_with("envoy.admin.") && type_name.ends_with("ConfigDump")
}

impl<'a, 'p> Builder<'a, 'p> {
    pub(super) fn new(path_of: &'p dyn Fn(FileId) -> String) -> Self {
        Builder {
            env: Envoy::default(),
            path_of,
            listener_names: Vec::new(),
            v2_walk: Vec::new(),
        }
    }

    pub(super) fn new_scope(&mut self, kind: ScopeKind, file: FileId) -> usize {
        let dir = dir_of(&(self.path_of)(file));
        let idx = self.env.scopes.len();
        let entry = self.env.by_dir.entry(dir.clone()).or_default();
        match kind {
            ScopeKind::Files => entry.files = Some(idx),
            ScopeKind::Bootstrap => entry.bootstraps.push(idx),
            ScopeKind::Dump => {}
        }
        self.env.scopes.push(Scope {
            kind,
            file,
            dir,
            dynamic_clusters: false,
            clusters_from_files: false,
            has_cluster_dump: false,
            has_endpoint_dump: false,
            dynamic_listeners: false,
            excerpt: false,
            node_id: None,
            admin_port: None,
            cluster_index: HashMap::new(),
            route_index: HashMap::new(),
            cla_index: HashMap::new(),
        });
        self.listener_names.push(HashMap::new());
        self.env.scopes.len() - 1
    }

    fn files_scope(&mut self, file: FileId) -> usize {
        let dir = dir_of(&(self.path_of)(file));
        match self.env.by_dir.get(&dir).and_then(|d| d.files) {
            Some(i) => i,
            None => self.new_scope(ScopeKind::Files, file),
        }
    }

    pub(super) fn add_doc(&mut self, doc: &'a Doc) {
        let Some(root) = doc.root() else { return };
        if root.is_seq() {
            // `[{version_info, cluster: {...}}]`: entries cut from a config dump.
            let entries = root.items().next().is_some_and(|i| {
                get(i, "name").is_none()
                    && ["cluster", "listener", "route_config", "endpoint_config"]
                        .iter()
                        .any(|k| get(i, k).is_some_and(|r| r.is_map()))
            });
            let scope = if entries {
                self.new_scope(ScopeKind::Dump, doc.file)
            } else {
                self.files_scope(doc.file)
            };
            for item in root.items() {
                self.add_resource(item, scope, State::Static, Status::default());
            }
            return;
        }
        if !root.is_map() {
            return;
        }
        if get(root, "configs").is_some_and(|c| c.is_seq()) {
            let scope = self.new_scope(ScopeKind::Dump, doc.file);
            self.add_dump(
                get(root, "configs").into_iter().flat_map(|c| c.items()),
                scope,
            );
            return;
        }
        let ty = type_name(root.str_at("@type").unwrap_or(""));
        if is_admin_dump(ty) {
            let scope = self.new_scope(ScopeKind::Dump, doc.file);
            self.add_dump(std::iter::once(root), scope);
            return;
        }
        if ty.is_empty()
            && let Some(b) = get(root, "bootstrap").filter(|b| is_bootstrap(*b))
        {
            // `{"bootstrap": {...}}`: a BootstrapConfigDump without its `@type`.
            let scope = self.new_scope(ScopeKind::Dump, doc.file);
            self.add_bootstrap(b, scope);
            if let Some(s) = self.env.scopes.get_mut(scope) {
                s.dynamic_clusters = false;
            }
            return;
        }
        if ty.ends_with(".Bootstrap") || is_bootstrap(root) {
            let scope = self.new_scope(ScopeKind::Bootstrap, doc.file);
            self.add_bootstrap(root, scope);
            return;
        }
        if let Some(res) = get(root, "resources").filter(|r| r.is_seq()) {
            let scope = self.files_scope(doc.file);
            for item in res.items() {
                self.add_resource(item, scope, State::Static, Status::default());
            }
            return;
        }
        if !ty.is_empty() {
            let scope = self.files_scope(doc.file);
            self.add_resource(root, scope, State::Static, Status::default());
            return;
        }
        self.find_nested_dumps(root, doc.file, 0, &mut Default::default());
    }

    pub(super) fn add_bootstrap(&mut self, b: NodeRef<'a>, scope: usize) {
        if let Some(s) = self.env.scopes.get_mut(scope) {
            s.node_id = path(b, &["node", "id"]).and_then(|n| n.as_str());
            s.admin_port = path(b, &["admin", "address", "socket_address", "port_value"])
                .and_then(super::fields::int_of);
            if let Some(dr) = get(b, "dynamic_resources") {
                let cds = get(dr, "cds_config");
                s.dynamic_clusters = cds.is_some() || get(dr, "cds_resources_locator").is_some();
                s.dynamic_listeners =
                    get(dr, "lds_config").is_some() || get(dr, "lds_resources_locator").is_some();
                s.clusters_from_files = cds.is_some_and(|c| {
                    get(c, "path").is_some() || get(c, "path_config_source").is_some()
                });
            }
        }
        if self
            .env
            .scopes
            .get(scope)
            .is_some_and(|s| s.kind == ScopeKind::Bootstrap)
        {
            Deprecated::removed(
                &mut self.env.deprecated,
                scope,
                b,
                "runtime",
                "v2 bootstrap field",
                "layered_runtime",
                None,
            );
            if let Some(http) = path(b, &["tracing", "http"]) {
                Deprecated::removed(
                    &mut self.env.deprecated,
                    scope,
                    http,
                    "config",
                    "v2 tracing provider field",
                    "typed_config with an `@type`",
                    None,
                );
            }
        }
        if let Some(sr) = get(b, "static_resources") {
            for c in list(sr, "clusters") {
                self.add_typed(c, Kind::Cluster, scope, State::Static, Status::default());
            }
            for l in list(sr, "listeners") {
                self.add_typed(l, Kind::Listener, scope, State::Static, Status::default());
            }
        }
    }

    /// A resource whose kind is not known from its place: by `@type` or fields.
    fn add_resource(&mut self, n: NodeRef<'a>, scope: usize, state: State, status: Status<'a>) {
        // `Resource` wrappers (delta xDS) nest once; allow a few, never unbounded.
        let mut n = n;
        for _ in 0..4 {
            if !n.is_map() {
                return;
            }
            let t = unwrap_typed(n, false);
            match get(n, "resource") {
                Some(inner) if t.type_name.ends_with("discovery.v3.Resource") => n = inner,
                _ => break,
            }
        }
        if !n.is_map() {
            return;
        }
        // A dump entry outside its dump: `{version_info, cluster: {...}}`.
        if get(n, "name").is_none() {
            for (field, kind) in [
                ("cluster", Kind::Cluster),
                ("listener", Kind::Listener),
                ("route_config", Kind::RouteConfig),
                ("endpoint_config", Kind::Assignment),
            ] {
                if let Some(r) = get(n, field).filter(|r| r.is_map()) {
                    self.add_typed(r, kind, scope, state, Status::of(n));
                    return;
                }
            }
        }
        let t = unwrap_typed(n, false);
        let kind = kind_of(n, t.type_name);
        self.add_typed(n, kind, scope, state, status);
    }

    /// `@type`s from the removed v2 API (`envoy.api.v2.*`, `envoy.config.filter.*`,
    /// `*.v2alpha`) anywhere in a resource: current Envoy rejects them. A dump
    /// shows what its Envoy accepted, so dumps are not searched.
    fn note_v2_types(&mut self, n: NodeRef<'a>, kind: &'static str, scope: usize) {
        if self
            .env
            .scopes
            .get(scope)
            .is_none_or(|s| s.kind == ScopeKind::Dump)
        {
            return;
        }
        let name = str_at(n, "name").unwrap_or("");
        let mut stack = std::mem::take(&mut self.v2_walk);
        stack.push((n, 0usize));
        while let Some((cur, depth)) = stack.pop() {
            if depth > MAX_WALK_DEPTH {
                continue;
            }
            // A node's kind read once: most nodes are scalars, with nothing to see.
            match cur.kind() {
                Some(NodeKind::Seq(_)) => stack.extend(cur.items().map(|c| (c, depth + 1))),
                Some(NodeKind::Map(_)) => {
                    if let Some((k, v)) = get_entry(cur, "@type")
                        && let Some(t) = v.as_str()
                        && is_v2_type(type_name(t))
                    {
                        self.env.deprecated.push(Deprecated {
                            scope,
                            node: k,
                            what: format!("v2 API type `{}`", type_name(t)),
                            rejected: true,
                            instead: "its v3 replacement (`envoy.config.*.v3` / `envoy.extensions.*.v3`)",
                            resource: Some((kind, name)),
                        });
                        continue;
                    }
                    stack.extend(cur.entries().map(|(_, v)| (v, depth + 1)));
                }
                _ => {}
            }
        }
        self.v2_walk = stack;
    }

    pub(super) fn add_typed(
        &mut self,
        n: NodeRef<'a>,
        kind: Kind,
        scope: usize,
        state: State,
        status: Status<'a>,
    ) {
        match kind {
            Kind::Cluster => {
                let name = str_at(n, "name").unwrap_or("");
                self.reject(scope, "Cluster", name, status);
                if self.seen(scope, |s| s.cluster_index.contains_key(name)) {
                    return;
                }
                self.note_v2_types(n, "Cluster", scope);
                let Some(mut c) = Cluster::parse(n, scope, state, &mut self.env.deprecated) else {
                    return;
                };
                let idx = self.env.clusters.len();
                c.idx = idx;
                if let Some(s) = self.env.scopes.get_mut(scope) {
                    s.cluster_index.entry(c.name).or_insert(idx);
                }
                self.env.clusters.push(c);
            }
            Kind::Listener => {
                let name = str_at(n, "name").unwrap_or("");
                self.reject(scope, "Listener", name, status);
                let li = self.env.listeners.len();
                let files = self.is_files(scope);
                match self.listener_names.get_mut(scope) {
                    Some(names) if files || !names.contains_key(name) => {
                        names.entry(name).or_insert(li);
                    }
                    _ => return,
                }
                self.note_v2_types(n, "Listener", scope);
                let parts = listener::parse(n, scope, state, &mut self.env.deprecated);
                let mut l = parts.listener;
                for (chain, rc) in parts.inline_routes {
                    let ri = self.add_route_config(rc, scope, state, Some(li));
                    if let Some(h) = l.filter_chains.get_mut(chain).and_then(|c| c.hcm.as_mut()) {
                        h.routes = RouteSource::Inline(ri);
                    }
                }
                self.env.listeners.push(l);
            }
            Kind::RouteConfig => {
                let name = str_at(n, "name").unwrap_or("");
                self.reject(scope, "RouteConfiguration", name, status);
                if self.seen(scope, |s| s.route_index.contains_key(name)) {
                    return;
                }
                self.note_v2_types(n, "RouteConfiguration", scope);
                self.add_route_config(n, scope, state, None);
            }
            Kind::Assignment => {
                let name = str_at(n, "cluster_name").unwrap_or("");
                let idx = self.env.load_assignments.len();
                if self.seen(scope, |s| s.cla_index.contains_key(name)) {
                    return;
                }
                if let Some(s) = self.env.scopes.get_mut(scope) {
                    s.cla_index.entry(name).or_insert(idx);
                }
                self.env.load_assignments.push(LoadAssignment {
                    scope,
                    cluster_name: name,
                    node: n,
                    endpoints: endpoints_of_assignment(n),
                });
            }
            Kind::Ignored => {}
        }
    }

    fn add_route_config(
        &mut self,
        n: NodeRef<'a>,
        scope: usize,
        state: State,
        listener: Option<usize>,
    ) -> usize {
        let rc = route::parse(n, scope, state, listener, &mut self.env.deprecated);
        let idx = self.env.route_configs.len();
        if let Some(s) = self.env.scopes.get_mut(scope) {
            s.route_index.entry(rc.name).or_insert(idx);
        }
        self.env.route_configs.push(rc);
        idx
    }

    fn is_files(&self, scope: usize) -> bool {
        self.env
            .scopes
            .get(scope)
            .is_some_and(|s| s.kind == ScopeKind::Files)
    }

    /// Is this resource a repeat within one proxy's view (a dump's static
    /// resources appear in the bootstrap and again in the per-type dump)?
    /// Files of a directory may legitimately reuse names: keep them all.
    fn seen(&self, scope: usize, has: impl Fn(&Scope<'a>) -> bool) -> bool {
        match self.env.scopes.get(scope) {
            Some(s) => s.kind != ScopeKind::Files && has(s),
            None => true,
        }
    }

    pub(super) fn finish(mut self) -> Envoy<'a> {
        self.env.analyse();
        // Held to the end of the run: give back what doubling reserved.
        let e = &mut self.env;
        e.scopes.shrink_to_fit();
        e.clusters.shrink_to_fit();
        e.listeners.shrink_to_fit();
        e.route_configs.shrink_to_fit();
        e.load_assignments.shrink_to_fit();
        e.rejections.shrink_to_fit();
        e.deprecated.shrink_to_fit();
        e.usage.shrink_to_fit();
        self.env
    }
}

fn is_v2_type(t: &str) -> bool {
    t.starts_with("envoy.")
        && (t.starts_with("envoy.api.v2.")
            || t.starts_with("envoy.config.filter.")
            || t.contains(".v2.")
            || t.contains(".v2alpha."))
}

fn is_bootstrap(root: NodeRef<'_>) -> bool {
    [
        "static_resources",
        "dynamic_resources",
        "admin",
        "node",
        "layered_runtime",
        "cluster_manager",
    ]
    .iter()
    .any(|k| get(root, k).is_some())
}

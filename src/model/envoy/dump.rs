//! Unwrapping admin `/config_dump`s (also nested under namespace/pod keys, as
//! `egctl` writes them, and entries cut from a dump): static and dynamic
//! active/warming/draining entries, `error_state` and `client_status`.

use super::build::{Builder, Kind, NESTED_DUMP_DEPTH, Status, is_admin_dump};
use super::fields::{get, list, path, str_at, type_name};
use super::{Rejection, ScopeKind, State};
use crate::parse::tree::{NodeRef, Visited};
use crate::source::FileId;

impl<'a> Builder<'a, '_> {
    /// `egctl config envoy-proxy all -o json`: dumps keyed by namespace and
    /// pod. A map reached twice (through an alias) is read once.
    pub(super) fn find_nested_dumps(
        &mut self,
        n: NodeRef<'a>,
        file: FileId,
        depth: usize,
        visited: &mut Visited,
    ) {
        if depth > NESTED_DUMP_DEPTH || !visited.enter(n.id, depth) {
            return;
        }
        for (_, v) in n.entries() {
            if !v.is_map() {
                continue;
            }
            let dump = get(v, "configs").is_some_and(|c| c.is_seq())
                || is_admin_dump(type_name(v.str_at("@type").unwrap_or("")));
            // A dump is entered at depth 0, the shallowest: it is read once
            // however many paths reach it.
            if dump && !visited.enter(v.id, 0) {
                continue;
            }
            if let Some(c) = get(v, "configs").filter(|c| c.is_seq()) {
                let scope = self.new_scope(ScopeKind::Dump, file);
                self.add_dump(c.items(), scope);
            } else if is_admin_dump(type_name(v.str_at("@type").unwrap_or(""))) {
                let scope = self.new_scope(ScopeKind::Dump, file);
                self.add_dump(std::iter::once(v), scope);
            } else {
                self.find_nested_dumps(v, file, depth + 1, visited);
            }
        }
    }
    pub(super) fn add_dump(&mut self, configs: impl Iterator<Item = NodeRef<'a>>, scope: usize) {
        let configs: Vec<NodeRef<'a>> = configs.collect();
        let mut routes_last = Vec::new();
        for c in configs {
            let ty = type_name(c.str_at("@type").unwrap_or(""));
            match ty.rsplit('.').next().unwrap_or("") {
                "BootstrapConfigDump" => {
                    if let Some(b) = get(c, "bootstrap") {
                        self.add_bootstrap(b, scope);
                        // A dump's bootstrap says CDS; the dump itself lists what arrived.
                        if let Some(s) = self.env.scopes.get_mut(scope) {
                            s.dynamic_clusters = false;
                        }
                    }
                }
                "ClustersConfigDump" => {
                    if let Some(s) = self.env.scopes.get_mut(scope) {
                        s.has_cluster_dump = true;
                    }
                    for e in list(c, "static_clusters") {
                        self.add_entry(e, "cluster", Kind::Cluster, scope, State::Static);
                    }
                    for e in list(c, "dynamic_active_clusters") {
                        self.add_entry(e, "cluster", Kind::Cluster, scope, State::Active);
                    }
                    for e in list(c, "dynamic_warming_clusters") {
                        self.add_entry(e, "cluster", Kind::Cluster, scope, State::Warming);
                    }
                }
                "ListenersConfigDump" => {
                    for e in list(c, "static_listeners") {
                        self.add_entry(e, "listener", Kind::Listener, scope, State::Static);
                    }
                    for e in list(c, "dynamic_listeners") {
                        let status = Status::of(e);
                        let states = [
                            ("active_state", State::Active),
                            ("warming_state", State::Warming),
                            ("draining_state", State::Draining),
                        ];
                        let found = states.iter().find_map(|(k, st)| {
                            get(e, k).and_then(|s| get(s, "listener")).map(|l| (l, *st))
                        });
                        match found {
                            Some((l, st)) => self.add_typed(l, Kind::Listener, scope, st, status),
                            None => self.reject(
                                scope,
                                "Listener",
                                str_at(e, "name").unwrap_or(""),
                                status,
                            ),
                        }
                    }
                }
                "RoutesConfigDump" => routes_last.push(c),
                "EndpointsConfigDump" => {
                    if let Some(s) = self.env.scopes.get_mut(scope) {
                        s.has_endpoint_dump = true;
                    }
                    for e in list(c, "static_endpoint_configs") {
                        self.add_entry(
                            e,
                            "endpoint_config",
                            Kind::Assignment,
                            scope,
                            State::Static,
                        );
                    }
                    for e in list(c, "dynamic_endpoint_configs") {
                        self.add_entry(
                            e,
                            "endpoint_config",
                            Kind::Assignment,
                            scope,
                            State::Active,
                        );
                    }
                }
                _ => {}
            }
        }
        // Static route configurations repeat the listeners' inline ones: add them last, once.
        for c in routes_last {
            for e in list(c, "static_route_configs") {
                self.add_entry(e, "route_config", Kind::RouteConfig, scope, State::Static);
            }
            for e in list(c, "dynamic_route_configs") {
                self.add_entry(e, "route_config", Kind::RouteConfig, scope, State::Active);
            }
        }
    }
    /// A dump entry `{<field>: resource, error_state, client_status}`.
    fn add_entry(&mut self, e: NodeRef<'a>, field: &str, kind: Kind, scope: usize, state: State) {
        let status = Status::of(e);
        match get(e, field) {
            Some(r) => self.add_typed(r, kind, scope, state, status),
            None => {
                let what = match kind {
                    Kind::Cluster => "Cluster",
                    Kind::Listener => "Listener",
                    Kind::RouteConfig => "RouteConfiguration",
                    _ => "ClusterLoadAssignment",
                };
                self.reject(scope, what, str_at(e, "name").unwrap_or(""), status);
            }
        }
    }
    pub(super) fn reject(
        &mut self,
        scope: usize,
        kind: &'static str,
        name: &'a str,
        status: Status<'a>,
    ) {
        let client = status.client_status.and_then(|n| n.as_str());
        let node = match (status.error_state, status.client_status) {
            // Point at Envoy's own words when there are some.
            (Some(e), _) => get(e, "details").unwrap_or(e),
            (None, Some(c)) if client == Some("NACKED") => c,
            _ => return,
        };
        let details = status
            .error_state
            .and_then(|e| str_at(e, "details"))
            .filter(|d| !d.is_empty());
        let name = if name.is_empty() {
            status
                .error_state
                .and_then(|e| path(e, &["failed_configuration", "name"]))
                .and_then(|n| n.as_str())
                .unwrap_or("")
        } else {
            name
        };
        self.env.rejections.push(Rejection {
            scope,
            kind,
            name,
            node,
            details,
            client_status: client,
        });
    }
}

//! Loading every input shape into the model (JSON cannot carry `# expect:`
//! comments, so the dump and xDS shapes are tested here).
#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use crate::load::{self, DocKind};

fn model_of(files: &[(&str, &str)], f: impl FnOnce(&Envoy<'_>)) {
    let loaded: Vec<_> = files
        .iter()
        .enumerate()
        .map(|(i, (path, text))| load::load(i as u32, path, text))
        .collect();
    for (lf, (path, _)) in loaded.iter().zip(files) {
        assert!(lf.problems.is_empty(), "{path}: {:?}", lf.problems);
        assert!(
            lf.doc_kinds.iter().all(|k| *k == DocKind::Envoy),
            "{path} is not classified as Envoy: {:?}",
            lf.doc_kinds
        );
    }
    let paths: Vec<String> = files.iter().map(|(p, _)| p.to_string()).collect();
    let env = build(loaded.iter().flat_map(|l| l.docs.iter()), &|id| {
        paths.get(id as usize).cloned().unwrap_or_default()
    });
    f(&env);
}

const DUMP: &str = r#"{
 "configs": [
  {"@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump",
   "bootstrap": {
    "node": {"id": "router~10.0.0.1~gw.ns~ns.svc.cluster.local"},
    "dynamic_resources": {"cds_config": {"ads": {}}},
    "static_resources": {"clusters": [{"name": "xds", "type": "STRICT_DNS",
      "connect_timeout": "1s",
      "load_assignment": {"cluster_name": "xds", "endpoints": [{"lb_endpoints": [
        {"endpoint": {"address": {"socket_address": {"address": "istiod", "port_value": 15010}}}}]}]}}]}}},
  {"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
   "static_clusters": [{"cluster": {"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
      "name": "xds", "type": "STRICT_DNS", "connect_timeout": "1s"}}],
   "dynamic_active_clusters": [
    {"version_info": "1", "cluster": {"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
      "name": "outbound|80||web.shop.svc.cluster.local", "type": "EDS",
      "connect_timeout": "0.250s",
      "circuit_breakers": {"thresholds": [{"max_connections": "4294967295"}]}}}],
   "dynamic_warming_clusters": [
    {"version_info": "2", "cluster": {"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
      "name": "outbound|80||new.shop.svc.cluster.local", "type": "EDS"},
     "error_state": {"details": "cluster: unknown field", "last_update_attempt": "2024-01-01T00:00:00Z"},
     "client_status": "NACKED"}]},
  {"@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump",
   "dynamic_listeners": [{"name": "0.0.0.0_8080", "active_state": {"listener": {
     "@type": "type.googleapis.com/envoy.config.listener.v3.Listener",
     "name": "0.0.0.0_8080",
     "address": {"socket_address": {"address": "0.0.0.0", "port_value": 8080}},
     "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager",
       "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        "rds": {"route_config_name": "http.8080"}}}]}]}}},
    {"name": "bad", "error_state": {"details": "duplicate listener"}}]},
  {"@type": "type.googleapis.com/envoy.admin.v3.RoutesConfigDump",
   "dynamic_route_configs": [{"route_config": {
     "@type": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
     "name": "http.8080",
     "virtual_hosts": [{"name": "web", "domains": ["*"], "routes": [
       {"match": {"prefix": "/"}, "route": {"cluster": "outbound|80||web.shop.svc.cluster.local", "timeout": "0s"}}]}]}}]},
  {"@type": "type.googleapis.com/envoy.admin.v3.EndpointsConfigDump",
   "dynamic_endpoint_configs": [{"endpoint_config": {
     "@type": "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
     "cluster_name": "outbound|80||web.shop.svc.cluster.local",
     "endpoints": [{"lb_endpoints": [{"endpoint": {"address": {"socket_address": {"address": "10.1.2.3", "port_value": 8080}}}}]}]}}]}
 ]
}"#;

#[test]
fn config_dump_loads_with_state_defaults_and_dedup() {
    model_of(&[("dump.json", DUMP)], |env| {
        assert_eq!(env.scopes.len(), 1);
        let s = &env.scopes[0];
        assert_eq!(s.kind, ScopeKind::Dump);
        assert!(s.has_cluster_dump);
        assert_eq!(
            s.node_id,
            Some("router~10.0.0.1~gw.ns~ns.svc.cluster.local")
        );
        // `xds` is in the bootstrap and in static_clusters: one resource.
        let names: Vec<_> = env.clusters.iter().map(|c| c.name).collect();
        assert_eq!(
            names,
            [
                "xds",
                "outbound|80||web.shop.svc.cluster.local",
                "outbound|80||new.shop.svc.cluster.local"
            ]
        );
        let web = &env.clusters[1];
        assert_eq!(web.state, State::Active);
        assert_eq!(web.connect_timeout.ms(), 250.0);
        assert_eq!(web.thresholds[0].limits[0].1, 4_294_967_295);
        assert_eq!(env.clusters[2].state, State::Warming);
        // The proto default where the field is absent.
        assert_eq!(env.clusters[2].connect_timeout.secs, 5.0);
        assert_eq!(env.clusters[2].idle_timeout.secs, 3600.0);
        // EDS endpoints from the EndpointsConfigDump.
        let eps = env.endpoints_of(web).unwrap();
        assert_eq!(eps[0].describe(), "10.1.2.3:8080");
        // The RDS route resolves in the dump.
        let rc = env.find_route_config(0, "http.8080").unwrap();
        assert_eq!(rc.virtual_hosts[0].routes[0].timeout.secs, 0.0);
        assert!(matches!(
            env.find_cluster(0, "outbound|80||web.shop.svc.cluster.local"),
            Lookup::Found(_)
        ));
        assert!(matches!(env.find_cluster(0, "nope"), Lookup::Missing));
        // error_state on a warming cluster and on a listener that never became active.
        let rej: Vec<_> = env
            .rejections
            .iter()
            .map(|r| (r.kind, r.name, r.details))
            .collect();
        assert_eq!(
            rej,
            [
                (
                    "Cluster",
                    "outbound|80||new.shop.svc.cluster.local",
                    Some("cluster: unknown field")
                ),
                ("Listener", "bad", Some("duplicate listener"))
            ]
        );
        assert_eq!(env.listeners.len(), 1);
        assert!(matches!(
            env.listeners[0].filter_chains[0]
                .hcm
                .as_ref()
                .unwrap()
                .routes,
            RouteSource::Rds {
                name: "http.8080",
                ..
            }
        ));
    });
}

#[test]
fn istioctl_arrays_in_lower_camel_case() {
    let clusters = r#"[{"name": "outbound|9080|v1|reviews.default.svc.cluster.local", "type": "EDS"},
      {"name": "outbound|9080||reviews.default.svc.cluster.local", "type": "EDS",
      "connectTimeout": "10s", "edsClusterConfig": {"serviceName": "outbound|9080||reviews.default.svc.cluster.local"},
      "typedExtensionProtocolOptions": {"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
        "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
        "commonHttpProtocolOptions": {"idleTimeout": "30s", "maxRequestsPerConnection": 1},
        "explicitHttpConfig": {"http2ProtocolOptions": {}}}},
      "outlierDetection": {"consecutive5xx": 1, "maxEjectionPercent": 100}}]"#;
    let routes = r#"[{"name": "9080", "virtualHosts": [{"name": "reviews", "domains": ["*"],
      "routes": [{"match": {"prefix": "/"}, "route": {"weightedClusters": {"clusters": [
        {"name": "outbound|9080||reviews.default.svc.cluster.local", "weight": 80},
        {"name": "outbound|9080|v1|reviews.default.svc.cluster.local", "weight": 10},
        {"name": "outbound|9080|v2|reviews.default.svc.cluster.local", "weight": 10}]}}}]}]}]"#;
    model_of(
        &[("pc/clusters.json", clusters), ("pc/routes.json", routes)],
        |env| {
            assert_eq!(env.scopes.len(), 1, "one directory, one scope");
            let c = &env.clusters[1];
            assert_eq!(c.connect_timeout.secs, 10.0);
            assert_eq!(c.idle_timeout.secs, 30.0);
            assert_eq!(c.max_requests_per_connection.map(|x| x.0), Some(1));
            assert!(c.protocol.forces_h2());
            let o = c.outlier.as_ref().unwrap();
            assert_eq!(o.max_ejection_percent.0, 100);
            assert_eq!(o.trigger.map(|t| t.0), Some(1));
            let refs = env.cluster_refs();
            assert_eq!(refs.len(), 3);
            assert!(refs.iter().all(|r| r.target.weighted));
            assert!(matches!(
                env.find_cluster(0, "outbound|9080|v2|reviews.default.svc.cluster.local"),
                Lookup::Missing
            ));
        },
    );
}

#[test]
fn nested_dumps_and_discovery_responses() {
    let egctl = r#"{"default": {"eg": {"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
      "dynamicActiveClusters": [{"cluster": {"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
        "name": "backend", "type": "STATIC"}}]}}}"#;
    let ds = "version_info: \"1\"\nresources:\n- \"@type\": type.googleapis.com/envoy.config.cluster.v3.Cluster\n  name: a\n  connect_timeout: 0.25s\n";
    model_of(&[("eg/out.json", egctl), ("xds/cds.yaml", ds)], |env| {
        assert_eq!(env.clusters.len(), 2);
        assert_eq!(env.scopes[0].kind, ScopeKind::Dump);
        assert_eq!(env.scopes[1].kind, ScopeKind::Files);
        assert_eq!(env.clusters[1].connect_timeout.ms(), 250.0);
    });
}

#[test]
fn nested_dumps_reached_through_aliases_are_read_once_and_quickly() {
    // The pod's map is first entered at the classifier's last level, where
    // its dump is out of reach, then again higher up, where it is in reach:
    // the dump is found, and read once though two paths lead to it.
    let dump = "{\"@type\": type.googleapis.com/envoy.admin.v3.ClustersConfigDump, dynamicActiveClusters: [{cluster: {\"@type\": type.googleapis.com/envoy.config.cluster.v3.Cluster, name: backend, type: STATIC}}]}";
    let shared = format!("a:\n  b:\n    c: &pod {{x: {{eg: &dump {dump}}}}}\nns:\n  pod: *pod\n");
    model_of(&[("eg/out.yaml", &shared)], |env| {
        assert_eq!(env.clusters.len(), 1);
    });
    let twice = format!("ns:\n  pod: {{eg: &dump {dump}}}\n  again: {{eg: *dump}}\n");
    model_of(&[("eg/out.yaml", &twice)], |env| {
        assert_eq!(env.clusters.len(), 1);
    });
    // Fan-out 300 over four levels of aliases: 300^4 paths, ~1,200 maps.
    let mut fan = String::from("l0: &l0 {k: 1}\n");
    for level in 1..=4 {
        fan.push_str(&format!("l{level}: &l{level} {{"));
        for i in 0..300 {
            fan.push_str(&format!(
                "{}k{i}: *l{}",
                if i > 0 { ", " } else { "" },
                level - 1
            ));
        }
        fan.push_str("}\n");
    }
    fan.push_str(&format!("eg: {dump}\n"));
    model_of(&[("eg/fan.yaml", &fan)], |env| {
        assert_eq!(env.clusters.len(), 1);
    });
}

#[test]
fn bootstrap_with_cds_from_files_resolves_in_its_directory() {
    let boot = "node: {id: a, cluster: b}\ndynamic_resources:\n  cds_config:\n    path_config_source: {path: /etc/envoy/cds.yaml}\n  lds_config:\n    path_config_source: {path: /etc/envoy/lds.yaml}\n";
    let cds = "resources:\n- \"@type\": type.googleapis.com/envoy.config.cluster.v3.Cluster\n  name: web\n";
    let lds = r#"resources:
- "@type": type.googleapis.com/envoy.config.listener.v3.Listener
  name: l
  address: {socket_address: {address: 0.0.0.0, port_value: 80}}
  filter_chains:
  - filters:
    - name: envoy.filters.network.http_connection_manager
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
        route_config:
          virtual_hosts: [{name: a, domains: ["*"], routes: [{match: {prefix: /}, route: {cluster: webb}}]}]
"#;
    model_of(
        &[
            ("e/envoy.yaml", boot),
            ("e/cds.yaml", cds),
            ("e/lds.yaml", lds),
        ],
        |env| {
            let boot = &env.scopes[0];
            assert!(boot.dynamic_clusters && boot.clusters_from_files);
            assert!(matches!(env.find_cluster(0, "web"), Lookup::Found(_)));
            assert!(matches!(env.find_cluster(0, "webb"), Lookup::Missing));
            let refs = env.cluster_refs();
            assert_eq!(refs.len(), 1);
            assert!(matches!(
                env.find_cluster(refs[0].scope, "webb"),
                Lookup::Missing
            ));
        },
    );
}

#[test]
fn bootstrap_with_cds_from_a_server_is_unknown() {
    let boot = "dynamic_resources:\n  cds_config: {ads: {}}\nstatic_resources:\n  clusters:\n  - name: xds\n";
    model_of(&[("envoy.yaml", boot)], |env| {
        assert!(matches!(env.find_cluster(0, "xds"), Lookup::Found(_)));
        assert!(matches!(env.find_cluster(0, "other"), Lookup::Unknown));
    });
}

#[test]
fn odd_shapes_do_not_panic() {
    let inputs = [
        "configs: [1, \"x\", {\"@type\": type.googleapis.com/envoy.admin.v3.ClustersConfigDump, static_clusters: 5}]\n",
        "resources: [{\"@type\": x}, 3, [1]]\n",
        "static_resources: {clusters: {name: a}, listeners: [{name: l, filter_chains: 7, address: 1}]}\n",
        "static_resources:\n  clusters:\n  - name: c\n    connect_timeout: {seconds: x}\n    circuit_breakers: {thresholds: [1]}\n    load_assignment: {endpoints: [{lb_endpoints: [{endpoint: 3}]}]}\n    transport_socket: {name: t, typed_config: {\"@type\": a/b.UpstreamTlsContext, common_tls_context: {alpn_protocols: 5}}}\n",
        "- cluster: 5\n- {name: x, filter_chains: [{filters: [{name: envoy.filters.network.http_connection_manager, typed_config: {route_config: {virtual_hosts: [{routes: [{route: {weighted_clusters: {clusters: 1}}}]}]}}}]}]}\n",
        "resources:\n- \"@type\": type.googleapis.com/envoy.service.discovery.v3.Resource\n  resource:\n    \"@type\": type.googleapis.com/envoy.service.discovery.v3.Resource\n    resource: {\"@type\": type.googleapis.com/envoy.config.cluster.v3.Cluster, name: deep}\n",
    ];
    for text in inputs {
        let lf = load::load(0, "odd.yaml", text);
        let env = build(lf.docs.iter(), &|_| "odd.yaml".to_string());
        let _ = env.cluster_refs();
        for c in &env.clusters {
            let _ = env.endpoints_of(c);
        }
        // Every rule over the odd shape.
        let _ = crate::pipeline::analyze(
            vec![crate::pipeline::Input::Text {
                display: "odd.yaml".into(),
                text: text.to_string(),
            }],
            Vec::new(),
            &crate::pipeline::Options::default(),
        );
    }
}

#[test]
fn trimmed_dumps_are_not_judged() {
    // A dump excerpt: its routes use three clusters, only one is in the dump.
    let dump = r#"{"configs": [
      {"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
       "dynamic_active_clusters": [{"cluster": {"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster", "name": "a", "type": "EDS"}}]},
      {"@type": "type.googleapis.com/envoy.admin.v3.RoutesConfigDump",
       "dynamic_route_configs": [{"route_config": {"@type": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
         "name": "r", "virtual_hosts": [{"name": "v", "domains": ["*"], "routes": [
           {"match": {"prefix": "/a"}, "route": {"cluster": "a"}},
           {"match": {"prefix": "/b"}, "route": {"cluster": "b"}},
           {"match": {"prefix": "/c"}, "route": {"cluster": "c"}}]}]}}]}]}"#;
    model_of(&[("d.json", dump)], |env| {
        assert!(env.scopes[0].excerpt);
        assert!(matches!(env.find_cluster(0, "b"), Lookup::Unknown));
    });
}

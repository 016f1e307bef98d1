//! Deterministic synthetic corpus for benchmarks and recall checks.
//!
//! ```sh
//! cargo run --release --example gen_corpus -- --seed 42 --size 10MB --out /tmp/corpus10
//! ```
//!
//! Writes a mixed deploy tree — Kubernetes workloads and Services (YAML and
//! JSON `List`s), Ingresses, Istio VirtualServices and DestinationRules,
//! Gateway API HTTPRoutes, Envoy bootstraps (YAML and JSON), NGINX configs
//! with `include`s and extension-less `sites-enabled/` files, and a few large
//! rendered bundles — until the tree holds `--size` bytes. About 3% of the
//! applications carry one planted mistake that confaudit's rules find; each
//! is listed in `PLANTED.tsv` at the root (rule, path, line, what). The same
//! seed and size always give the same bytes.

use std::fmt::Write as _;
use std::path::PathBuf;

/// SplitMix64: small, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs.get(self.below(xs.len() as u64) as usize)
            .copied()
            .unwrap_or("x")
    }
}

const TEAMS: &[&str] = &[
    "shop",
    "payments",
    "search",
    "identity",
    "media",
    "ads",
    "logistics",
    "support",
    "data",
    "platform",
    "growth",
    "mobile",
];
const WORDS: &[&str] = &[
    "cart",
    "checkout",
    "inventory",
    "catalog",
    "orders",
    "users",
    "auth",
    "billing",
    "ledger",
    "reviews",
    "ratings",
    "search",
    "index",
    "feed",
    "notify",
    "email",
    "images",
    "thumbs",
    "pricing",
    "quotes",
    "tax",
    "shipping",
    "tracking",
    "returns",
    "wallet",
    "points",
    "session",
    "profile",
    "gateway",
    "reports",
];
const IMAGES: &[&str] = &[
    "ghcr.io/acme/{}:1.4.2",
    "registry.example.com/{}:2025.11.3",
    "acme/{}:v3.1.0",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mistake {
    None,
    /// Service targetPort number no container declares (K8S001).
    TargetPortNumber,
    /// Service targetPort names a port no container declares (K8S002).
    TargetPortName,
    /// Service selector typo (K8S003).
    SelectorTypo,
    /// Ingress backend port the Service does not expose (K8S005).
    IngressPort,
    /// readinessProbe on an undeclared port name (K8S006).
    ProbePort,
    /// Deployment selector does not select its template (K8S009).
    WorkloadSelector,
    /// VirtualService subset no DestinationRule defines (ISTIO002).
    IstioSubset,
    /// HTTPRoute backendRef port not on the Service (GWAPI002).
    RoutePort,
    /// HTTPRoute backendRef to a Service that does not exist (GWAPI001).
    RouteService,
}

const MISTAKES: &[Mistake] = &[
    Mistake::TargetPortNumber,
    Mistake::TargetPortName,
    Mistake::SelectorTypo,
    Mistake::IngressPort,
    Mistake::ProbePort,
    Mistake::WorkloadSelector,
    Mistake::IstioSubset,
    Mistake::RoutePort,
    Mistake::RouteService,
];

#[derive(Clone)]
struct App {
    name: String,
    ns: String,
    /// `http` or `grpc`.
    proto: &'static str,
    container_port: u16,
    service_port: u16,
    replicas: u64,
    image: String,
    mistake: Mistake,
}

struct Gen {
    rng: Rng,
    out: PathBuf,
    bytes: u64,
    files: u64,
    planted: Vec<(String, String, usize, String)>,
}

/// 1-based line number of the next line to be written to `s`.
fn next_line(s: &str) -> usize {
    s.bytes().filter(|&b| b == b'\n').count() + 1
}

impl Gen {
    fn write(&mut self, rel: &str, text: &str) {
        let path = self.out.join(rel);
        if let Some(dir) = path.parent()
            && let Err(e) = std::fs::create_dir_all(dir)
        {
            eprintln!("gen_corpus: {}: {e}", dir.display());
            std::process::exit(2);
        }
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("gen_corpus: {}: {e}", path.display());
            std::process::exit(2);
        }
        self.bytes += text.len() as u64;
        self.files += 1;
    }

    fn plant(&mut self, rule: &str, rel: &str, line: usize, what: String) {
        self.planted
            .push((rule.to_string(), rel.to_string(), line, what));
    }

    fn app(&mut self, index: usize, ns: &str, mistake: Mistake) -> App {
        let word = self.rng.pick(WORDS);
        let grpc = self.rng.chance(20);
        let container_port = if grpc {
            50051
        } else {
            *[8080u16, 8000, 3000, 5000, 9000]
                .get(self.rng.below(5) as usize)
                .unwrap_or(&8080)
        };
        App {
            name: format!("{word}-{index}"),
            ns: ns.to_string(),
            proto: if grpc { "grpc" } else { "http" },
            container_port,
            service_port: if grpc { 9090 } else { 80 },
            replicas: 1 + self.rng.below(6),
            image: self.rng.pick(IMAGES).replace("{}", word),
            mistake,
        }
    }

    /// Deployment + Service (+ ConfigMap, PodDisruptionBudget) as YAML.
    /// Returns the text; planted lines are recorded against `rel`.
    fn workload_yaml(&mut self, a: &App, rel: &str) -> String {
        let mut s = String::with_capacity(4096);
        let n = &a.name;
        let ns = &a.ns;
        let p = a.proto;
        let _ = write!(
            s,
            "# {n}: generated by confaudit gen_corpus\n\
apiVersion: apps/v1\n\
kind: Deployment\n\
metadata:\n  name: {n}\n  namespace: {ns}\n  labels:\n    app: {n}\n    team: {ns}\n    app.kubernetes.io/name: {n}\n    app.kubernetes.io/part-of: {ns}\n  annotations:\n    deployment.kubernetes.io/revision: \"{rev}\"\n\
spec:\n  replicas: {r}\n  revisionHistoryLimit: 5\n  strategy:\n    type: RollingUpdate\n    rollingUpdate: {{maxSurge: 25%, maxUnavailable: 0}}\n  selector:\n    matchLabels:\n",
            rev = 1 + self.rng.below(40),
            r = a.replicas,
        );
        if a.mistake == Mistake::WorkloadSelector {
            // The finding points at `matchLabels:`, the line before.
            let line = next_line(&s) - 1;
            let _ = writeln!(s, "      app: {n}-api");
            self.plant(
                "K8S009",
                rel,
                line,
                format!("Deployment {ns}/{n} selects app={n}-api, template has app={n}"),
            );
        } else {
            let _ = writeln!(s, "      app: {n}");
        }
        let _ = write!(
            s,
            "  template:\n    metadata:\n      labels:\n        app: {n}\n        version: v1\n        team: {ns}\n      annotations:\n        prometheus.io/scrape: \"true\"\n        prometheus.io/port: \"{cp}\"\n    spec:\n      serviceAccountName: {n}\n      terminationGracePeriodSeconds: 30\n      securityContext:\n        runAsNonRoot: true\n        runAsUser: 10001\n        fsGroup: 10001\n      containers:\n        - name: {n}\n          image: {img}\n          imagePullPolicy: IfNotPresent\n          args: [\"--listen=:{cp}\", \"--log-format=json\"]\n          ports:\n            - name: {p}\n              containerPort: {cp}\n              protocol: TCP\n            - name: metrics\n              containerPort: 9102\n          env:\n",
            cp = a.container_port,
            img = a.image,
        );
        for i in 0..(3 + self.rng.below(6)) {
            let _ = writeln!(
                s,
                "            - name: {}_{}\n              value: \"{}\"",
                n.to_ascii_uppercase().replace('-', "_"),
                i,
                self.rng.next() % 100_000
            );
        }
        let _ = write!(
            s,
            "            - name: POD_NAME\n              valueFrom:\n                fieldRef: {{fieldPath: metadata.name}}\n          resources:\n            requests: {{cpu: {c}m, memory: {m}Mi}}\n            limits: {{memory: {m2}Mi}}\n",
            c = 50 + self.rng.below(20) * 25,
            m = 64 + self.rng.below(8) * 32,
            m2 = 256 + self.rng.below(8) * 64,
        );
        if p == "http" {
            if a.mistake == Mistake::ProbePort {
                let _ = write!(
                    s,
                    "          readinessProbe:\n            httpGet:\n              path: /ready\n"
                );
                let line = next_line(&s);
                let _ = writeln!(s, "              port: healthz");
                self.plant(
                    "K8S006",
                    rel,
                    line,
                    format!("readinessProbe of {ns}/{n} on undeclared port name healthz"),
                );
                let _ = writeln!(s, "            periodSeconds: 5");
            } else {
                let _ = write!(
                    s,
                    "          readinessProbe:\n            httpGet: {{path: /ready, port: http}}\n            periodSeconds: 5\n          livenessProbe:\n            httpGet: {{path: /live, port: {}}}\n            initialDelaySeconds: 10\n",
                    a.container_port
                );
            }
        } else {
            let _ = write!(
                s,
                "          readinessProbe:\n            grpc: {{port: {}}}\n            periodSeconds: 5\n",
                a.container_port
            );
        }
        let _ = write!(
            s,
            "          volumeMounts:\n            - {{name: config, mountPath: /etc/{n}}}\n      volumes:\n        - name: config\n          configMap: {{name: {n}-config}}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {n}\n  namespace: {ns}\n  labels: {{app: {n}}}\nspec:\n  type: ClusterIP\n  selector:\n"
        );
        if a.mistake == Mistake::SelectorTypo {
            let line = next_line(&s);
            let _ = writeln!(s, "    app: {}", typo(n));
            self.plant(
                "K8S003",
                rel,
                line,
                format!("Service {ns}/{n} selector app={}", typo(n)),
            );
        } else {
            let _ = writeln!(s, "    app: {n}");
        }
        let _ = write!(
            s,
            "  ports:\n    - name: {p}\n      port: {sp}\n      protocol: TCP\n",
            sp = a.service_port
        );
        let line = next_line(&s);
        match a.mistake {
            Mistake::TargetPortNumber => {
                let wrong = a.container_port + 1;
                let _ = writeln!(s, "      targetPort: {wrong}");
                self.plant(
                    "K8S001",
                    rel,
                    line,
                    format!(
                        "Service {ns}/{n} targetPort {wrong}, container listens on {}",
                        a.container_port
                    ),
                );
            }
            Mistake::TargetPortName => {
                let _ = writeln!(s, "      targetPort: {}", typo(p));
                self.plant(
                    "K8S002",
                    rel,
                    line,
                    format!("Service {ns}/{n} targetPort name {}", typo(p)),
                );
            }
            _ if self.rng.chance(50) => {
                let _ = writeln!(s, "      targetPort: {p}");
            }
            _ => {
                let _ = writeln!(s, "      targetPort: {}", a.container_port);
            }
        }
        let _ = write!(
            s,
            "    - name: http-metrics\n      port: 9102\n      targetPort: metrics\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {n}-config\n  namespace: {ns}\ndata:\n  app.yaml: |\n    server:\n      port: {cp}\n      shutdownGrace: 20s\n    upstreams:\n",
            cp = a.container_port
        );
        for _ in 0..(2 + self.rng.below(5)) {
            let _ = writeln!(
                s,
                "      - name: {w}\n        url: http://{w}.{t}.svc.cluster.local\n        timeout: {ms}ms",
                w = self.rng.pick(WORDS),
                t = self.rng.pick(TEAMS),
                ms = 100 + self.rng.below(50) * 20
            );
        }
        if a.replicas > 1 {
            let _ = write!(
                s,
                "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: {n}\n  namespace: {ns}\nspec:\n  maxUnavailable: 1\n  selector:\n    matchLabels: {{app: {n}}}\n"
            );
        }
        s
    }

    /// The same objects as a `kind: List` in JSON (kubectl get -o json).
    fn workload_json(&mut self, a: &App, rel: &str) -> String {
        let n = &a.name;
        let ns = &a.ns;
        let wrong = a.mistake == Mistake::TargetPortNumber;
        let target = if wrong {
            a.container_port + 1
        } else {
            a.container_port
        };
        let env: Vec<serde_json::Value> = (0..(3 + self.rng.below(5)))
            .map(|i| serde_json::json!({"name": format!("OPT_{i}"), "value": (self.rng.next() % 1000).to_string()}))
            .collect();
        let v = serde_json::json!({
            "apiVersion": "v1",
            "kind": "List",
            "items": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": n, "namespace": ns, "labels": {"app": n, "team": ns}},
                    "spec": {
                        "replicas": a.replicas,
                        "selector": {"matchLabels": {"app": n}},
                        "template": {
                            "metadata": {"labels": {"app": n, "version": "v1"}},
                            "spec": {
                                "terminationGracePeriodSeconds": 30,
                                "containers": [{
                                    "name": n,
                                    "image": a.image,
                                    "ports": [
                                        {"name": a.proto, "containerPort": a.container_port, "protocol": "TCP"},
                                        {"name": "metrics", "containerPort": 9102, "protocol": "TCP"}
                                    ],
                                    "env": env,
                                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}
                                }]
                            }
                        }
                    }
                },
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": n, "namespace": ns},
                    "spec": {
                        "selector": {"app": n},
                        "ports": [
                            {"name": a.proto, "port": a.service_port, "targetPort": target, "protocol": "TCP"},
                            {"name": "http-metrics", "port": 9102, "targetPort": "metrics"}
                        ]
                    }
                }
            ]
        });
        let text = serde_json::to_string_pretty(&v).unwrap_or_default() + "\n";
        if wrong {
            let needle = format!("\"targetPort\": {target}");
            if let Some(at) = text.find(&needle) {
                let line = next_line(&text[..at]);
                self.plant(
                    "K8S001",
                    rel,
                    line,
                    format!("Service {ns}/{n} targetPort {target} (JSON)"),
                );
            }
        }
        text
    }

    fn ingress(&mut self, a: &App, rel: &str) -> String {
        let n = &a.name;
        let ns = &a.ns;
        let mut s = format!(
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {n}\n  namespace: {ns}\n  annotations:\n    nginx.ingress.kubernetes.io/proxy-read-timeout: \"60\"\n{grpc}spec:\n  ingressClassName: nginx\n  tls:\n    - hosts: [{n}.{ns}.example.com]\n      secretName: {n}-tls\n  rules:\n    - host: {n}.{ns}.example.com\n      http:\n        paths:\n          - path: /\n            pathType: Prefix\n            backend:\n              service:\n                name: {n}\n                port:\n",
            // ingress-nginx speaks HTTP/1 to a backend unless told otherwise.
            grpc = if a.proto == "grpc" {
                "    nginx.ingress.kubernetes.io/backend-protocol: \"GRPC\"\n"
            } else {
                ""
            }
        );
        let line = next_line(&s);
        if a.mistake == Mistake::IngressPort {
            let _ = writeln!(s, "                  number: {}", a.container_port);
            self.plant(
                "K8S005",
                rel,
                line,
                format!(
                    "Ingress {ns}/{n} to port {} of Service {n}",
                    a.container_port
                ),
            );
        } else {
            let _ = writeln!(s, "                  number: {}", a.service_port);
        }
        s
    }

    fn istio(&mut self, a: &App, rel: &str) -> String {
        let n = &a.name;
        let ns = &a.ns;
        let mut s = format!(
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: {n}\n  namespace: {ns}\nspec:\n  hosts: [{n}]\n  http:\n    - match:\n        - headers:\n            x-canary: {{exact: \"true\"}}\n      route:\n        - destination:\n            host: {n}\n"
        );
        let line = next_line(&s);
        if a.mistake == Mistake::IstioSubset {
            s.push_str("            subset: v2\n");
            self.plant(
                "ISTIO002",
                rel,
                line,
                format!("VirtualService {ns}/{n} routes to subset v2"),
            );
        } else {
            s.push_str("            subset: v1\n");
        }
        let _ = write!(
            s,
            "            port: {{number: {sp}}}\n      timeout: {t}s\n      retries: {{attempts: 2, perTryTimeout: 2s, retryOn: \"connect-failure,refused-stream\"}}\n    - route:\n        - destination: {{host: {n}, subset: v1, port: {{number: {sp}}}}}\n---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: {n}\n  namespace: {ns}\nspec:\n  host: {n}.{ns}.svc.cluster.local\n  trafficPolicy:\n    connectionPool:\n      tcp: {{maxConnections: {mc}, connectTimeout: 2s}}\n      http: {{http1MaxPendingRequests: {mp}, http2MaxRequests: 1000, idleTimeout: 60s}}\n    outlierDetection:\n      consecutive5xxErrors: 5\n      interval: 10s\n      baseEjectionTime: 30s\n      maxEjectionPercent: 50\n  subsets:\n    - name: v1\n      labels: {{version: v1}}\n",
            sp = a.service_port,
            t = 5 + self.rng.below(25),
            mc = 100 + self.rng.below(10) * 100,
            mp = 256 + self.rng.below(4) * 256,
        );
        s
    }

    fn route(&mut self, a: &App, rel: &str) -> String {
        let n = &a.name;
        let ns = &a.ns;
        let mut s = format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: {n}\n  namespace: {ns}\nspec:\n  parentRefs:\n    - name: shared-gateway\n      namespace: infra\n      sectionName: http\n  hostnames: [\"{n}.{ns}.apps.example.com\"]\n  rules:\n    - matches:\n        - path: {{type: PathPrefix, value: /}}\n      backendRefs:\n"
        );
        let line = next_line(&s);
        match a.mistake {
            Mistake::RouteService => {
                let _ = writeln!(
                    s,
                    "        - name: {}\n          port: {}",
                    typo(n),
                    a.service_port
                );
                self.plant(
                    "GWAPI001",
                    rel,
                    line,
                    format!("HTTPRoute {ns}/{n} backendRef {}", typo(n)),
                );
            }
            Mistake::RoutePort => {
                let _ = writeln!(
                    s,
                    "        - name: {n}\n          port: {}",
                    a.container_port
                );
                self.plant(
                    "GWAPI002",
                    rel,
                    line + 1,
                    format!("HTTPRoute {ns}/{n} backendRef port {}", a.container_port),
                );
            }
            _ => {
                let _ = writeln!(s, "        - name: {n}\n          port: {}", a.service_port);
            }
        }
        s
    }

    fn envoy(&mut self, edge: usize, apps: &[App], json: bool) -> String {
        let mut routes = Vec::new();
        let mut clusters = Vec::new();
        for a in apps {
            routes.push(serde_json::json!({
                "match": {"prefix": format!("/{}/", a.name)},
                "route": {"cluster": a.name, "timeout": "15s"}
            }));
            let mut c = serde_json::json!({
                "name": a.name,
                "type": "STRICT_DNS",
                "connect_timeout": "1s",
                "lb_policy": "ROUND_ROBIN",
                "load_assignment": {
                    "cluster_name": a.name,
                    "endpoints": [{"lb_endpoints": [{"endpoint": {"address": {"socket_address": {
                        "address": format!("{}.{}.svc.cluster.local", a.name, a.ns),
                        "port_value": a.service_port
                    }}}}]}]
                },
                "circuit_breakers": {"thresholds": [{"max_connections": 1024, "max_pending_requests": 1024, "max_requests": 1024}]}
            });
            if a.proto == "grpc"
                && let Some(obj) = c.as_object_mut()
            {
                obj.insert(
                    "typed_extension_protocol_options".into(),
                    serde_json::json!({"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                        "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                        "explicit_http_config": {"http2_protocol_options": {}}
                    }}),
                );
            }
            clusters.push(c);
        }
        let v = serde_json::json!({
            "node": {"id": format!("edge-{edge}"), "cluster": "edge"},
            "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 9901}}},
            "static_resources": {
                "listeners": [{
                    "name": "ingress_http",
                    "address": {"socket_address": {"address": "0.0.0.0", "port_value": 8080}},
                    "filter_chains": [{"filters": [{
                        "name": "envoy.filters.network.http_connection_manager",
                        "typed_config": {
                            "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                            "stat_prefix": "ingress_http",
                            "codec_type": "AUTO",
                            "route_config": {"name": "local", "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": routes}]},
                            "http_filters": [{"name": "envoy.filters.http.router", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}]
                        }
                    }]}]
                }],
                "clusters": clusters
            }
        });
        if json {
            serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
        } else {
            let mut s = String::from("# Envoy bootstrap (generated)\n");
            to_yaml(&v, 0, &mut s);
            s
        }
    }

    fn nginx_site(&mut self, site: usize, apps: &[App]) {
        let dir = format!("nginx/site-{site}");
        let main = "user nginx;\nworker_processes auto;\nerror_log /var/log/nginx/error.log warn;\npid /var/run/nginx.pid;\n\nevents {\n    worker_connections 4096;\n}\n\nhttp {\n    default_type application/octet-stream;\n    log_format main '$remote_addr - $remote_user [$time_local] \"$request\" '\n                    '$status $body_bytes_sent \"$http_referer\" \"$http_user_agent\"';\n    access_log /var/log/nginx/access.log main;\n    sendfile on;\n    keepalive_timeout 65;\n    proxy_connect_timeout 5s;\n    proxy_read_timeout 60s;\n    client_max_body_size 10m;\n    map $http_upgrade $connection_upgrade {\n        default upgrade;\n        ''      '';\n    }\n    include conf.d/*.conf;\n";
        // Debian-style sites (no extension) only where the site has some:
        // an include that matches nothing is worth an NGX000 note.
        let debian = apps
            .iter()
            .enumerate()
            .any(|(i, a)| i % 4 == 3 && a.proto != "grpc");
        let main = format!(
            "{main}{}}}\n",
            if debian {
                "    include sites-enabled/*;\n"
            } else {
                ""
            }
        );
        self.write(&format!("{dir}/nginx.conf"), &main);
        for (i, a) in apps.iter().enumerate() {
            let n = &a.name;
            if a.proto == "grpc" {
                // gRPC needs HTTP/2 on both sides: grpc_pass, not proxy_pass.
                let s = format!(
                    "# {n} ({ns}), gRPC\nupstream {u} {{\n    server {n}.{ns}.svc.cluster.local:{sp};\n    keepalive 16;\n}}\n\nserver {{\n    listen 80;\n    http2 on;\n    server_name {n}.{ns}.example.com;\n\n    location / {{\n        grpc_pass grpc://{u};\n        grpc_read_timeout 300s;\n    }}\n}}\n",
                    ns = a.ns,
                    u = format!("{}_{}", n.replace('-', "_"), a.ns),
                    sp = a.service_port,
                );
                self.write(&format!("{dir}/conf.d/{n}.conf"), &s);
                continue;
            }
            let mut s = format!(
                "# {n} ({ns})\nupstream {u} {{\n    zone {u} 64k;\n    server {n}.{ns}.svc.cluster.local:{sp} max_fails=3 fail_timeout=10s;\n    keepalive 32;\n}}\n\nserver {{\n    listen 80;\n    listen [::]:80;\n    server_name {n}.{ns}.example.com;\n\n    location / {{\n        proxy_pass http://{u};\n        proxy_http_version 1.1;\n        proxy_set_header Connection \"\";\n        proxy_set_header Host $host;\n        proxy_set_header X-Real-IP $remote_addr;\n        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n        proxy_set_header X-Forwarded-Proto $scheme;\n    }}\n\n    location /ws/ {{\n        proxy_pass http://{u};\n        proxy_http_version 1.1;\n        proxy_set_header Upgrade $http_upgrade;\n        proxy_set_header Connection $connection_upgrade;\n        proxy_read_timeout 3600s;\n    }}\n\n    location ~* \\.(css|js|png|jpg|svg)$ {{\n        root /var/www/{n};\n        expires 7d;\n        add_header Cache-Control \"public\";\n    }}\n\n    location = /healthz {{\n        access_log off;\n        return 200 \"ok\\n\";\n    }}\n",
                ns = a.ns,
                u = format!("{}_{}", n.replace('-', "_"), a.ns),
                sp = a.service_port,
            );
            if self.rng.chance(30) {
                let _ = write!(
                    s,
                    "\n    location /api/ {{\n        limit_except GET POST {{ deny all; }}\n        proxy_pass http://{}.{}.svc.cluster.local:{}/;\n        proxy_next_upstream error timeout http_502;\n    }}\n",
                    n, a.ns, a.service_port
                );
            }
            s.push_str("}\n");
            if i % 4 == 3 {
                // Debian-style: no extension.
                self.write(&format!("{dir}/sites-enabled/{n}"), &s);
            } else {
                self.write(&format!("{dir}/conf.d/{n}.conf"), &s);
            }
        }
    }
}

/// A one-character typo that keeps the name valid.
fn typo(s: &str) -> String {
    let mut t = s.to_string();
    t.insert(1.min(t.len()), 'x');
    t
}

/// A small YAML emitter for the JSON values above (block style).
fn to_yaml(v: &serde_json::Value, indent: usize, out: &mut String) {
    use serde_json::Value;
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let key = if k.starts_with('@') {
                    format!("\"{k}\"")
                } else {
                    k.clone()
                };
                match v {
                    Value::Object(o) if !o.is_empty() => {
                        let _ = writeln!(out, "{pad}{key}:");
                        to_yaml(v, indent + 2, out);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        let _ = writeln!(out, "{pad}{key}:");
                        to_yaml(v, indent + 2, out);
                    }
                    _ => {
                        let _ = writeln!(out, "{pad}{key}: {}", scalar(v));
                    }
                }
            }
        }
        Value::Array(a) => {
            for item in a {
                let mut inner = String::new();
                to_yaml(item, indent + 2, &mut inner);
                // First line gets the dash in place of two spaces of indentation.
                let trimmed = inner.get(indent + 2..).unwrap_or("");
                if item.is_object() || item.is_array() {
                    let _ = write!(out, "{pad}- {trimmed}");
                } else {
                    let _ = writeln!(out, "{pad}- {}", scalar(item));
                }
            }
        }
        _ => {
            let _ = writeln!(out, "{pad}{}", scalar(v));
        }
    }
}

fn scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => {
            if s.is_empty()
                || s.contains([
                    '*', ':', '#', '{', '}', '[', ']', ',', '&', '!', '|', '>', '\'', '"', '%',
                    '@', '`',
                ])
                || s.starts_with(['-', '?', ' '])
            {
                format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
            } else {
                s.clone()
            }
        }
        serde_json::Value::Object(_) => "{}".into(),
        serde_json::Value::Array(_) => "[]".into(),
        other => other.to_string(),
    }
}

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        _ => return None,
    };
    Some(n * mult)
}

fn usage() -> ! {
    eprintln!("usage: gen_corpus --seed N --size 10MB --out DIR");
    std::process::exit(2);
}

fn main() {
    let mut seed = 42u64;
    let mut size = 10_000_000u64;
    let mut out: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let val = args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--seed" => seed = val.parse().unwrap_or_else(|_| usage()),
            "--size" => size = parse_size(&val).unwrap_or_else(|| usage()),
            "--out" => out = Some(PathBuf::from(val)),
            _ => usage(),
        }
    }
    let Some(out) = out else { usage() };
    if out.exists() {
        let _ = std::fs::remove_dir_all(&out);
    }
    let mut g = Gen {
        rng: Rng(seed),
        out: out.clone(),
        bytes: 0,
        files: 0,
        planted: Vec::new(),
    };
    generate(&mut g, size);
    let mut tsv = String::from("rule\tpath\tline\twhat\n");
    for (rule, path, line, what) in &g.planted {
        let _ = writeln!(tsv, "{rule}\t{path}\t{line}\t{what}");
    }
    if let Err(e) = std::fs::write(out.join("PLANTED.tsv"), tsv) {
        eprintln!("gen_corpus: {e}");
        std::process::exit(2);
    }
    println!(
        "{}: {} files, {} bytes, {} planted mistakes (seed {seed})",
        out.display(),
        g.files,
        g.bytes,
        g.planted.len()
    );
}

fn shared_objects(g: &mut Gen) {
    g.write(
        "infra/gateway.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: infra\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata:\n  name: envoy\nspec:\n  controllerName: gateway.envoyproxy.io/gatewayclass-controller\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: shared-gateway\n  namespace: infra\nspec:\n  gatewayClassName: envoy\n  listeners:\n    - name: http\n      protocol: HTTP\n      port: 80\n      allowedRoutes:\n        namespaces: {from: All}\n",
    );
}

fn generate(g: &mut Gen, size: u64) {
    shared_objects(g);
    let mut index = 0usize;
    let mut team_round = 0usize;
    let mut edge = 0usize;
    let mut site = 0usize;
    let mut bundle = 0usize;
    let mut since_bundle = 0u64;
    while g.bytes < size {
        // A namespace of 20-40 applications.
        let team = TEAMS
            .get(team_round % TEAMS.len())
            .copied()
            .unwrap_or("team");
        let ns = if team_round < TEAMS.len() {
            team.to_string()
        } else {
            format!("{team}-{}", team_round / TEAMS.len())
        };
        team_round += 1;
        g.write(
            &format!("apps/{ns}/namespace.yaml"),
            &format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels:\n    team: {team}\n"),
        );
        let count = 20 + g.rng.below(21) as usize;
        let mut apps = Vec::with_capacity(count);
        for _ in 0..count {
            index += 1;
            let mistake = if g.rng.chance(3) {
                *MISTAKES
                    .get(g.rng.below(MISTAKES.len() as u64) as usize)
                    .unwrap_or(&Mistake::TargetPortNumber)
            } else {
                Mistake::None
            };
            let a = g.app(index, &ns, mistake);
            let base = format!("apps/{ns}/{}", a.name);
            // Mistakes in YAML only (except K8S001, also planted in JSON).
            let json =
                g.rng.chance(10) && matches!(a.mistake, Mistake::None | Mistake::TargetPortNumber);
            if json {
                let rel = format!("{base}/resources.json");
                let t = g.workload_json(&a, &rel);
                g.write(&rel, &t);
            } else {
                let rel = format!("{base}/deployment.yaml");
                let t = g.workload_yaml(&a, &rel);
                g.write(&rel, &t);
            }
            if a.mistake == Mistake::IngressPort || (a.mistake == Mistake::None && g.rng.chance(30))
            {
                let rel = format!("{base}/ingress.yaml");
                let t = g.ingress(&a, &rel);
                g.write(&rel, &t);
            }
            if a.mistake == Mistake::IstioSubset || (a.mistake == Mistake::None && g.rng.chance(35))
            {
                let rel = format!("istio/{ns}/{}.yaml", a.name);
                let t = g.istio(&a, &rel);
                g.write(&rel, &t);
            }
            if matches!(a.mistake, Mistake::RoutePort | Mistake::RouteService)
                || (a.mistake == Mistake::None && g.rng.chance(20))
            {
                let rel = format!("gateway-api/{ns}/{}-route.yaml", a.name);
                let t = g.route(&a, &rel);
                g.write(&rel, &t);
            }
            apps.push(a);
        }
        // Envoy fronts and NGINX sites for some of the namespace's apps.
        let clean: Vec<&App> = apps.iter().filter(|a| a.mistake == Mistake::None).collect();
        for chunk in clean.chunks(12) {
            let owned: Vec<App> = chunk.iter().map(|a| (*a).clone()).collect();
            edge += 1;
            let json = edge.is_multiple_of(3);
            let t = g.envoy(edge, &owned, json);
            let ext = if json { "json" } else { "yaml" };
            g.write(&format!("envoy/edge-{edge}/envoy.{ext}"), &t);
        }
        for chunk in clean.chunks(8) {
            let owned: Vec<App> = chunk.iter().map(|a| (*a).clone()).collect();
            site += 1;
            g.nginx_site(site, &owned);
        }
        // Every ~5 MB, a large rendered bundle (what `helm template` writes):
        // the big files a tree also holds.
        since_bundle += 1;
        if since_bundle * 250_000 >= 5_000_000 {
            since_bundle = 0;
            bundle += 1;
            let bns = format!("bundle-{bundle}");
            let mut s = String::new();
            let rel = format!("rendered/{bns}.yaml");
            for i in 0..400 {
                index += 1;
                let a = g.app(index, &bns, Mistake::None);
                let _ = writeln!(s, "---\n# Source: {bns}/templates/{}-{i}.yaml", a.name);
                let t = g.workload_yaml(&a, &rel);
                s.push_str(&t);
            }
            g.write(&rel, &s);
        }
    }
}

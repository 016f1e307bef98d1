//! Deterministic in-memory inputs for the benchmarks (the same shapes as
//! `examples/gen_corpus.rs` writes, without touching the disk).
#![allow(dead_code)]

use std::fmt::Write as _;

/// One application: Deployment + Service + ConfigMap, as YAML.
pub fn workload_yaml(i: usize) -> String {
    let n = format!("app-{i}");
    let ns = format!("team-{}", i / 25);
    let cp = [8080, 8000, 3000, 5000][i % 4];
    let mut s = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {n}\n  namespace: {ns}\n  labels: {{app: {n}, team: {ns}}}\nspec:\n  replicas: 3\n  selector:\n    matchLabels:\n      app: {n}\n  template:\n    metadata:\n      labels:\n        app: {n}\n        version: v1\n      annotations:\n        prometheus.io/scrape: \"true\"\n    spec:\n      terminationGracePeriodSeconds: 30\n      containers:\n        - name: {n}\n          image: ghcr.io/acme/{n}:1.2.3\n          args: [\"--listen=:{cp}\"]\n          ports:\n            - name: http\n              containerPort: {cp}\n            - name: metrics\n              containerPort: 9102\n          readinessProbe:\n            httpGet: {{path: /ready, port: http}}\n          resources:\n            requests: {{cpu: 100m, memory: 128Mi}}\n          env:\n"
    );
    for k in 0..6 {
        let _ = writeln!(
            s,
            "            - name: OPT_{k}\n              value: \"{}\"",
            i * 7 + k
        );
    }
    let _ = write!(
        s,
        "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {n}\n  namespace: {ns}\nspec:\n  selector:\n    app: {n}\n  ports:\n    - name: http\n      port: 80\n      targetPort: http\n    - name: http-metrics\n      port: 9102\n      targetPort: metrics\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {n}-config\n  namespace: {ns}\ndata:\n  app.yaml: |\n    server:\n      port: {cp}\n    upstreams:\n      - url: http://other.{ns}.svc.cluster.local\n        timeout: 250ms\n"
    );
    s
}

/// The same objects as a JSON `kind: List`.
pub fn workload_json(i: usize) -> String {
    let n = format!("app-{i}");
    let ns = format!("team-{}", i / 25);
    let v = serde_json::json!({
        "apiVersion": "v1", "kind": "List",
        "items": [
            {"apiVersion": "apps/v1", "kind": "Deployment",
             "metadata": {"name": n, "namespace": ns, "labels": {"app": n}},
             "spec": {"replicas": 3, "selector": {"matchLabels": {"app": n}},
                      "template": {"metadata": {"labels": {"app": n, "version": "v1"}},
                                   "spec": {"containers": [{"name": n, "image": format!("acme/{n}:1"),
                                            "ports": [{"name": "http", "containerPort": 8080}, {"name": "metrics", "containerPort": 9102}],
                                            "env": (0..6).map(|k| serde_json::json!({"name": format!("OPT_{k}"), "value": format!("{}", i + k)})).collect::<Vec<_>>()}]}}}},
            {"apiVersion": "v1", "kind": "Service",
             "metadata": {"name": n, "namespace": ns},
             "spec": {"selector": {"app": n}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}
        ]
    });
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

/// One NGINX site: upstream + server with several locations.
pub fn nginx_site(i: usize) -> String {
    format!(
        "upstream app_{i} {{\n    server app-{i}.team-{t}.svc.cluster.local:80 max_fails=3 fail_timeout=10s;\n    keepalive 32;\n}}\n\nserver {{\n    listen 80;\n    server_name app-{i}.example.com;\n\n    location / {{\n        proxy_pass http://app_{i};\n        proxy_http_version 1.1;\n        proxy_set_header Connection \"\";\n        proxy_set_header Host $host;\n        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n    }}\n\n    location ~* \\.(css|js|png)$ {{\n        root /var/www/app-{i};\n        expires 7d;\n    }}\n\n    location = /healthz {{\n        access_log off;\n        return 200 \"ok\\n\";\n    }}\n}}\n",
        t = i / 25
    )
}

/// Concatenate `count` generated units into one text.
pub fn many(count: usize, f: fn(usize) -> String, sep: &str) -> String {
    let mut s = String::new();
    for i in 0..count {
        if i > 0 {
            s.push_str(sep);
        }
        s.push_str(&f(i));
    }
    s
}

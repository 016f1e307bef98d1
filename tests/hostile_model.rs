//! Hostile shapes for the model and the mesh rules: lookups that were
//! scans are indexed and report what the scans reported, counts at crowded
//! places stay right, and odd values are reported as written.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{findings, report};

fn gateway(name: &str, ns: &str, protocol: &str, host: &str) -> String {
    format!(
        "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  selector: {{istio: ingressgateway}}\n  servers:\n  - port: {{number: 80, name: http, protocol: {protocol}}}\n    hosts: ['{host}']\n---\n"
    )
}

#[test]
fn crowded_gateway_places_count_each_different_message_once() {
    // 50 Gateways named apart, then 10 named alike (their findings repeat
    // unless TLS differs): each place lists 32 and counts the rest, as the
    // comparison of every pair did; the pairs past 32 are now counted, not
    // built (10,000 Gateways serving `*` took 8 GB).
    let text: String = (0..60)
        .map(|g| {
            let name = if g < 50 {
                format!("u{g}")
            } else {
                "dup".into()
            };
            let protocol = if g % 2 == 0 { "HTTPS" } else { "HTTP" };
            gateway(&name, "a", protocol, "*")
        })
        .collect();
    let found = findings("ISTIO009", &text);
    // One note at each Gateway's host, in tree order.
    let counts: Vec<usize> = found
        .iter()
        .filter(|m| m.contains("findings at this place are not listed"))
        .map(|m| m.split(' ').nth(1).unwrap().parse().unwrap())
        .collect();
    assert_eq!(counts.len(), 60);
    // u0 (TLS): 49 named apart + `dup` once; u1: `dup` with and without
    // TLS; the last `dup` (no TLS): 50 named apart + `dup` both ways.
    assert_eq!(counts[0], 50 - 32);
    assert_eq!(counts[1], 51 - 32);
    assert_eq!(counts[59], 52 - 32);
    assert_eq!(found.len(), 60 * 33);
}

#[test]
fn a_gateway_of_the_same_name_elsewhere_is_named_in_the_help() {
    let mut text = String::new();
    for i in 0..30 {
        text.push_str(&gateway(&format!("gw{i}"), "edge", "HTTP", "*"));
    }
    text.push_str(&gateway("gw7", "later", "HTTP", "*"));
    text.push_str("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs, namespace: shop}\nspec:\n  hosts: ['*']\n  gateways: [gw7, missing, edge/gw3]\n  http: [{route: [{destination: {host: ext.example.com}}]}]\n");
    let helps: Vec<String> = report(&text)
        .findings
        .iter()
        .filter(|f| f.rule == "ISTIO007")
        .map(|f| f.help.clone().unwrap_or_default())
        .collect();
    assert_eq!(helps.len(), 2, "{helps:?}");
    // The first Gateway of that name in tree order.
    assert!(helps[0].contains("write `edge/gw7`"), "{}", helps[0]);
    assert!(
        helps[1].starts_with("name an existing Gateway"),
        "{}",
        helps[1]
    );
}

#[test]
fn ports_past_any_number_are_reported_as_written() {
    let text = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  selector: {app: w}\n  ports:\n  - {name: a, port: 80, targetPort: 99999999999999999999}\n  - {name: b, port: 81, targetPort: '-123456789012345678901'}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\nspec:\n  selector: {matchLabels: {app: w}}\n  template:\n    metadata: {labels: {app: w}}\n    spec:\n      containers:\n      - name: c\n        ports: [{containerPort: 8080}]\n        livenessProbe: {httpGet: {port: 99999999999999999999}}\n";
    let k8s007 = findings("K8S007", text);
    assert_eq!(k8s007.len(), 2, "{k8s007:?}");
    assert!(k8s007[0].contains("targetPort 99999999999999999999 is outside 1-65535"));
    assert!(k8s007[1].contains("targetPort -123456789012345678901 is outside 1-65535"));
    let k8s006 = findings("K8S006", text);
    assert_eq!(k8s006.len(), 1);
    assert!(
        k8s006[0].contains("probes port 99999999999999999999, outside 1-65535"),
        "{}",
        k8s006[0]
    );
    for m in k8s007.iter().chain(&k8s006) {
        assert!(!m.contains("922337203685477580"), "{m}");
    }
}

#[test]
fn copies_of_services_and_deployments_are_judged_once_each_place() {
    // ISTIO010 and ISTIO019 ask one template of each set of copies, GWAPI008
    // one Service port per name and number: the findings are those of
    // asking every copy (each Service copy is its own place).
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    metadata: {labels: {app: a}, annotations: {sidecar.istio.io/inject: 'true'}}\n    spec: {containers: [{name: c, image: x, ports: [{name: http, containerPort: 8080}]}]}\n---\n";
    let grpc = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  selector: {app: a}\n  ports: [{name: grpc, port: 80, targetPort: http}]\n---\n";
    let web = "apiVersion: v1\nkind: Service\nmetadata: {name: w}\nspec:\n  selector: {app: a}\n  ports: [{name: http-web, port: 81, targetPort: 8080}]\n---\n";
    let tcp = "apiVersion: v1\nkind: Service\nmetadata: {name: t}\nspec:\n  ports: [{name: tcp-db, port: 5432}]\n---\n";
    let route = |i: usize| {
        format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: r{i}}}\nspec:\n  rules: [{{backendRefs: [{{name: t, port: 5432}}]}}]\n---\n"
        )
    };
    let text = [
        deployment.repeat(3),
        grpc.repeat(2),
        web.to_string(),
        tcp.repeat(2),
        (0..3).map(route).collect(),
    ]
    .concat();
    let istio010 = findings("ISTIO010", &text);
    assert_eq!(istio010.len(), 2, "{istio010:?}");
    assert!(
        istio010
            .iter()
            .all(|m| m.contains("Service default/s declares port"))
    );
    let istio019 = findings("ISTIO019", &text);
    assert_eq!(istio019.len(), 1, "{istio019:?}");
    assert!(
        istio019[0].contains("Service s and as HTTP by Service w"),
        "{}",
        istio019[0]
    );
    let gwapi008 = findings("GWAPI008", &text);
    assert_eq!(gwapi008.len(), 3, "{gwapi008:?}");
}

#[test]
fn a_namespace_of_many_gateways_lists_some_in_the_help() {
    // 30 Gateway API Gateways in one namespace and a route to a missing one
    // named like none of them: the help names 20 and says how many there are.
    let mut text: String = (0..30)
        .map(|g| {
            format!(
                "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: gw{g:02}, namespace: a}}\nspec:\n  gatewayClassName: c\n  listeners: [{{name: http, port: 80, protocol: HTTP}}]\n---\n"
            )
        })
        .collect();
    text.push_str("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: a}\nspec:\n  parentRefs: [{name: something-else-entirely}]\n");
    let r = report(&text);
    let help = r
        .findings
        .iter()
        .find(|f| f.rule == "GWAPI005")
        .and_then(|f| f.help.clone())
        .unwrap();
    assert!(
        help.starts_with("Gateways in namespace a: gw00, gw01,"),
        "{help}"
    );
    assert!(help.contains("gw19, ... (30 in all); "), "{help}");
    assert!(!help.contains("gw20"), "{help}");
}

/// A DestinationRule for `reviews` in namespace `a`, up to its subset list.
const REVIEWS_RULE_SUBSETS: &str = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: dr, namespace: a}\nspec:\n  host: reviews\n  subsets:\n";

#[test]
fn routes_to_missing_subsets_of_a_crowded_rule_list_some_subsets() {
    // A DestinationRule of 300 subsets and 40 routes, 30 to subsets it does
    // not define: each of those gets one finding whose list of subsets stops
    // at 20 and says how many there are; the 10 others get none.
    let mut text = String::from(REVIEWS_RULE_SUBSETS);
    for s in 0..300 {
        text.push_str(&format!("  - {{name: s{s:03}, labels: {{v: s{s:03}}}}}\n"));
    }
    for v in 0..40 {
        let subset = if v < 30 {
            format!("gone-{v}")
        } else {
            format!("s{v:03}")
        };
        text.push_str(&format!(
            "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: vs{v}, namespace: a}}\nspec:\n  hosts: [reviews]\n  http: [{{route: [{{destination: {{host: reviews, subset: {subset}}}}}]}}]\n"
        ));
    }
    let r = report(&text);
    let found: Vec<_> = r.findings.iter().filter(|f| f.rule == "ISTIO002").collect();
    assert_eq!(found.len(), 30);
    for f in found {
        let listed = &f.related[0].message;
        assert!(
            listed.starts_with("defined subsets: s000, s001,"),
            "{listed}"
        );
        assert!(listed.ends_with("s019, ... (300 in all)"), "{listed}");
        let help = f.help.as_deref().unwrap();
        assert!(help.ends_with("s019, ... (300 in all)"), "{help}");
    }
}

#[test]
fn many_leading_zero_names_are_each_reported_once() {
    // 500 subset names written as numbers with leading zeros: a name must be
    // a string, and each is reported once, as an octal trap that explains
    // the type error (SCH005), never also as a type error (SCH002).
    let mut text = String::from(REVIEWS_RULE_SUBSETS);
    for s in 0..500 {
        text.push_str(&format!("  - {{name: 0{s:04}}}\n"));
    }
    let r = report(&text);
    let octal: Vec<_> = r.findings.iter().filter(|f| f.rule == "SCH005").collect();
    assert_eq!(octal.len(), 500);
    assert!(
        octal.iter().all(|f| f
            .message
            .ends_with("this field needs a string, so kubectl rejects the object")),
        "{}",
        octal[0].message
    );
    assert!(!r.findings.iter().any(|f| f.rule == "SCH002"));
}

#[test]
fn routes_to_a_gateway_of_many_listeners_are_judged_by_kind_and_namespace() {
    // 30 listeners that allow only HTTPRoutes from the Gateway's namespace
    // (the default), and 40 routes of both kinds from that namespace and
    // another: the judgement made once per kind and namespace is the one
    // each route gets.
    let mut text = String::from(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: edge}\nspec:\n  gatewayClassName: c\n  listeners:\n",
    );
    for l in 0..30 {
        text.push_str(&format!(
            "  - {{name: l{l}, port: {}, protocol: HTTP, allowedRoutes: {{kinds: [{{kind: HTTPRoute}}]}}}}\n",
            8000 + l
        ));
    }
    for i in 0..40 {
        let kind = if i % 2 == 0 { "HTTPRoute" } else { "GRPCRoute" };
        let ns = if i % 4 < 2 { "edge" } else { "app" };
        text.push_str(&format!(
            "---\napiVersion: gateway.networking.k8s.io/v1\nkind: {kind}\nmetadata: {{name: r{i}, namespace: {ns}}}\nspec:\n  parentRefs: [{{name: gw, namespace: edge}}]\n"
        ));
    }
    let r = report(&text);
    let refused: Vec<_> = r.findings.iter().filter(|f| f.rule == "GWAPI007").collect();
    assert_eq!(refused.len(), 30);
    for f in refused {
        let help = f.help.as_deref().unwrap();
        let by_namespace = f.message.starts_with("HTTPRoute app/");
        assert_eq!(
            help.contains("allowedRoutes.namespaces.from: All"),
            by_namespace,
            "{}: {help}",
            f.message
        );
        assert_eq!(f.related.len(), 4);
    }
}

#[test]
fn parent_refs_select_listeners_by_section_name_and_port() {
    // Listener names and ports repeat (as no valid Gateway does): the
    // indexed selection picks what a filter of every listener picks.
    let mut text = String::from(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: edge}\nspec:\n  gatewayClassName: c\n  listeners:\n  - {name: a, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}\n  - {name: b, port: 80, protocol: HTTP}\n  - {name: b, port: 81, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}\n  - {name: c, port: 82, protocol: HTTP}\n",
    );
    let refs = [
        "sectionName: a",
        "sectionName: b",
        "sectionName: b, port: 80",
        "port: 82",
        "sectionName: c, port: 80",
        "sectionName: z",
        "port: 80",
        "sectionName: b, port: 81",
    ];
    for (i, r) in refs.iter().enumerate() {
        text.push_str(&format!(
            "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: r{i}, namespace: app}}\nspec:\n  parentRefs: [{{name: gw, namespace: edge, {r}}}]\n"
        ));
    }
    let routes_of = |rule: &str| -> Vec<String> {
        findings(rule, &text)
            .iter()
            .map(|m| m.split(' ').nth(2).unwrap().to_string())
            .collect()
    };
    assert_eq!(routes_of("GWAPI007"), ["app/r2", "app/r3"]);
    assert_eq!(routes_of("GWAPI006").len(), 2);
    let missing = findings("GWAPI006", &text).join("\n");
    assert!(
        missing.contains("r4") && missing.contains("r5"),
        "{missing}"
    );
}

#[test]
fn ports_of_crowded_services_and_pods_are_found_by_number_and_name() {
    // 40 container ports (p5 is UDP) and a Service of 42 ports: past 16
    // ports lookups go through an index, which must find what a scan finds.
    let mut text = String::from(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: big, namespace: app}\nspec:\n  selector: {matchLabels: {app: big}}\n  template:\n    metadata: {labels: {app: big}}\n    spec:\n      containers:\n      - name: c\n        image: x\n        ports:\n",
    );
    for i in 0..40 {
        let protocol = if i == 5 { "UDP" } else { "TCP" };
        text.push_str(&format!(
            "        - {{containerPort: {}, name: p{i}, protocol: {protocol}}}\n",
            1000 + i
        ));
    }
    text.push_str("---\napiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: app}\nspec:\n  selector: {app: big}\n  ports:\n");
    for i in 0..40 {
        let target = if i < 20 {
            format!("p{i}")
        } else {
            (1000 + i).to_string()
        };
        text.push_str(&format!(
            "  - {{name: s{i}, port: {}, targetPort: {target}}}\n",
            80 + i
        ));
    }
    text.push_str("  - {name: gone, port: 200, targetPort: 2000}\n  - {name: unnamed, port: 201, targetPort: zz}\n");
    text.push_str("---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: ing, namespace: app}\nspec:\n  rules:\n  - http:\n      paths:\n");
    for port in [80, 119, 201, 300, 1020, 301] {
        text.push_str(&format!(
            "      - {{path: /p{port}, pathType: Prefix, backend: {{service: {{name: s, port: {{number: {port}}}}}}}}}\n"
        ));
    }
    let r = report(&text);
    let of = |rule: &str| -> Vec<_> { r.findings.iter().filter(|f| f.rule == rule).collect() };
    let named = of("K8S002");
    assert_eq!(named.len(), 2);
    assert!(named[0].message.contains("`p5`"), "{}", named[0].message);
    assert!(
        named[0].related[0].message.contains("the protocols differ"),
        "{:?}",
        named[0].related
    );
    assert!(named[1].message.contains("`zz`"), "{}", named[1].message);
    let numbered = of("K8S001");
    assert_eq!(numbered.len(), 1);
    assert!(numbered[0].message.contains("targets port 2000"));
    let ingress = of("K8S005");
    assert_eq!(ingress.len(), 3);
    let helps: Vec<&str> = ingress.iter().filter_map(|f| f.help.as_deref()).collect();
    assert_eq!(
        helps
            .iter()
            .filter(|h| h
                .starts_with("1020 is the pod's port; the Ingress needs the Service port: use 100"))
            .count(),
        1,
        "{helps:?}"
    );
}

#[test]
fn an_nginx_host_named_like_a_workload_points_at_its_service() {
    // Hosts that name workloads, not Services (NGX001): the help names the
    // Service of the first workload of that name that one selects; the
    // workloads are found by name once, not by a scan per host.
    let mut text = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: proxy, namespace: shop}\ndata:\n  nginx.conf: |\n    events {}\n    http {\n      server {\n        listen 80;\n        location /a { proxy_pass http://api.shop.svc.cluster.local:80; }\n        location /w { proxy_pass http://web.shop.svc.cluster.local:80; }\n        location /n { proxy_pass http://nothing-like-it.shop.svc.cluster.local:80; }\n      }\n    }\n",
    );
    let workload = |kind: &str, name: &str, app: &str| {
        format!(
            "---\napiVersion: apps/v1\nkind: {kind}\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  selector: {{matchLabels: {{app: {app}}}}}\n  template:\n    metadata: {{labels: {{app: {app}}}}}\n    spec: {{containers: [{{name: c, image: x}}]}}\n"
        )
    };
    let service = |name: &str, app: &str| {
        format!(
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  selector: {{app: {app}}}\n  ports: [{{port: 80}}]\n"
        )
    };
    // `api`: a Deployment no Service selects, then a StatefulSet one does.
    text.push_str(&workload("Deployment", "api", "api-old"));
    text.push_str(&workload("StatefulSet", "api", "api-new"));
    text.push_str(&service("api-internal", "api-new"));
    text.push_str(&workload("Deployment", "web", "web"));
    text.push_str(&service("frontend", "web"));
    let helps: Vec<String> = report(&text)
        .findings
        .iter()
        .filter(|f| f.rule == "NGX001")
        .filter_map(|f| f.help.clone())
        .collect();
    assert_eq!(helps.len(), 3, "{helps:?}");
    assert!(
        helps[0].starts_with(
            "did you mean Service `api-internal`? It selects the pods of StatefulSet `api`"
        ),
        "{}",
        helps[0]
    );
    assert!(
        helps[1].starts_with(
            "did you mean Service `frontend`? It selects the pods of Deployment `web`"
        ),
        "{}",
        helps[1]
    );
    assert!(
        helps[2]
            .starts_with("use the name of a Service in namespace shop (api-internal, frontend)"),
        "{}",
        helps[2]
    );
}

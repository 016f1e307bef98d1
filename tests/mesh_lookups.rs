//! Rules whose lookups are indexed (Sidecars by selector pair, routed
//! subsets found once) report what a comparison of every pair reports, in
//! the same order.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::findings;

fn deployment(name: &str, ns: &str, labels: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  template:\n    metadata: {{labels: {labels}}}\n    spec: {{containers: [{{name: c, image: x}}]}}\n---\n"
    )
}

fn sidecar(name: &str, ns: &str, selector: Option<&str>) -> String {
    let spec = match selector {
        Some(sel) => format!("{{workloadSelector: {{labels: {sel}}}}}"),
        None => "{}".to_string(),
    };
    format!(
        "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {{name: {name}, namespace: {ns}}}\nspec: {spec}\n---\n"
    )
}

#[test]
fn sidecars_that_share_pods_are_paired_with_the_first_rival() {
    let text = [
        deployment("web", "a", "{team: t, app: web, tier: front}"),
        deployment("api", "a", "{team: t, app: api}"),
        deployment("web", "b", "{team: t, app: web}"),
        sidecar("s1", "a", Some("{team: t, app: web}")),
        sidecar("s2", "a", Some("{team: t}")),
        sidecar("s3", "a", Some("{tier: front, team: t}")),
        sidecar("s4", "a", Some("{pod-template-hash: h}")),
        sidecar("s5", "a", Some("{team: t, app: none}")),
        sidecar("s6", "b", Some("{team: t, app: web}")),
        sidecar("w1", "a", None),
        sidecar("w2", "b", None),
        sidecar("w3", "a", None),
    ]
    .concat();
    assert_eq!(
        findings("ISTIO018", &text),
        [
            "Warning Sidecar a/s1 and Sidecar a/s2 both select Deployment web; Istio applies one of them arbitrarily",
            "Warning Sidecar a/s2 and Sidecar a/s1 both select Deployment web; Istio applies one of them arbitrarily",
            "Warning Sidecar a/s3 and Sidecar a/s1 both select Deployment web; Istio applies one of them arbitrarily",
            "Warning Sidecar a/s4 and Sidecar a/s1 both select Deployment web; Istio applies one of them arbitrarily",
            "Warning Sidecar a/s5 selects no pod in namespace a; its egress and ingress settings apply to nothing",
            "Warning Sidecar a/w1 and Sidecar a/w3 both apply to the whole namespace; Istio uses one of them arbitrarily",
            "Warning Sidecar a/w3 and Sidecar a/w1 both apply to the whole namespace; Istio uses one of them arbitrarily",
        ]
    );
}

#[test]
fn unmatched_subsets_are_routed_only_by_a_weighted_route_to_their_host() {
    let text = [
        deployment("reviews", "shop", "{app: reviews, version: v1}"),
        "apiVersion: v1\nkind: Service\nmetadata: {name: reviews, namespace: shop}\nspec: {selector: {app: reviews}, ports: [{port: 80}]}\n---\n".to_string(),
        "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews, namespace: shop}\nspec:\n  host: reviews\n  subsets:\n  - {name: v2, labels: {version: v2}}\n  - {name: v3, labels: {version: v3}}\n  - {name: v4, labels: {version: v4}}\n  - {name: v5, labels: {version: v5}}\n---\n".to_string(),
        // v2 routed by its short name, v3 only mirrored or with weight 0,
        // v4 routed to another host only, v5 routed by its full name.
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r, namespace: shop}\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - {destination: {host: reviews, subset: v2}, weight: 100}\n    - {destination: {host: reviews, subset: v3}, weight: 0}\n    - {destination: {host: ratings, subset: v4}}\n    mirror: {host: reviews, subset: v3}\n---\n".to_string(),
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: full, namespace: other}\nspec:\n  hosts: [x]\n  http:\n  - route:\n    - destination: {host: reviews.shop.svc.cluster.local, subset: v5}\n---\n".to_string(),
    ]
    .concat();
    let got = findings("ISTIO003", &text);
    let routed: Vec<bool> = got
        .iter()
        .map(|f| f.contains("no healthy upstream"))
        .collect();
    assert_eq!(routed, [true, false, false, true], "{got:#?}");
    assert!(got[0].starts_with("Error subset `v2`"), "{got:#?}");
    assert!(got[1].starts_with("Warning subset `v3`"), "{got:#?}");
}

#[test]
fn gateway_hosts_found_by_index_admit_what_a_comparison_admits() {
    // Namespace prefixes, ASCII case and wildcards on either side, through
    // the per-Gateway host index (ISTIO008).
    let text = "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: edge}\nspec:\n  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [./a.example.com, other/b.example.com, '*/C.Example.com', '*.w.example.com', 'app/*.x.example.com']\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs, namespace: app}\nspec:\n  hosts: [a.example.com, b.example.com, c.example.com, q.w.example.com, q.x.example.com, '*.example.com', z.example.com]\n  gateways: [edge/gw]\n  http: [{route: [{destination: {host: web}}]}]\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs2, namespace: edge}\nspec:\n  hosts: [a.example.com, b.example.com, q.x.example.com]\n  gateways: [gw]\n  http: [{route: [{destination: {host: web}}]}]\n";
    let refused: Vec<String> = findings("ISTIO008", text)
        .iter()
        .map(|m| {
            let host = m.split('`').nth(1).unwrap();
            format!("{} {host}", m.split(' ').nth(2).unwrap())
        })
        .collect();
    assert_eq!(
        refused,
        [
            "app/vs a.example.com",
            "app/vs b.example.com",
            "app/vs z.example.com",
            "edge/vs2 b.example.com",
            "edge/vs2 q.x.example.com",
        ]
    );
}

//! Tests of the mesh-wide lookups: each index against a linear scan.

use crate::model::read_k8s::FileFacts;
use crate::model::{Model, ModelOptions};
use crate::parse::yaml;

fn with_model(text: &str, f: impl FnOnce(&Model<'_>)) {
    let loaded = yaml::load(text, 0);
    let m = Model::build(
        ModelOptions::default(),
        FileFacts::of_docs(&loaded.docs, "default"),
        Default::default,
        Default::default(),
    );
    f(&m);
}

fn dr_names(m: &Model<'_>, fqdn: &str, from: &str) -> Vec<String> {
    m.destination_rules_for(fqdn, from)
        .iter()
        .filter_map(|dr| m.k8s.object(dr.object).map(|o| o.name.to_string()))
        .collect()
}

#[test]
fn destination_rules_by_host_exact_then_wildcard_case_insensitive() {
    let text = "\
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: star, namespace: shop}
spec: {host: '*.svc.cluster.local'}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: short, namespace: shop}
spec: {host: Reviews}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: fqdn, namespace: other}
spec: {host: reviews.shop.svc.cluster.local}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: hidden, namespace: other}
spec: {host: reviews.shop.svc.cluster.local, exportTo: ['.']}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: unrelated, namespace: shop}
spec: {host: ratings}
";
    with_model(text, |m| {
        assert_eq!(
            dr_names(m, "reviews.shop.svc.cluster.local", "shop"),
            ["short", "fqdn", "star"]
        );
        assert_eq!(
            dr_names(m, "REVIEWS.shop.svc.cluster.local", "shop"),
            ["short", "fqdn", "star"]
        );
        assert_eq!(
            dr_names(m, "reviews.shop.svc.cluster.local", "other"),
            ["short", "fqdn", "hidden", "star"]
        );
        assert_eq!(dr_names(m, "api.example.com", "shop"), Vec::<String>::new());
        assert_eq!(dr_names(m, "x.y.svc.cluster.local", "shop"), ["star"]);
    });
}

#[test]
fn selected_templates_stay_in_namespace_and_keep_order() {
    let deploy = |name: &str, ns: &str, labels: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  template:\n    metadata: {{labels: {labels}}}\n    spec: {{containers: [{{name: c}}]}}\n---\n"
        )
    };
    let text = [
        deploy("a1", "a", "{app: web, tier: x}"),
        deploy("b1", "b", "{app: web}"),
        deploy("a2", "a", "{app: web, app: web}"),
        deploy("a3", "a", "{app: api, pod-template-hash: h}"),
    ]
    .concat();
    with_model(&text, |m| {
        let names = |ns: &str, sel: &[(&str, &str)]| -> Vec<String> {
            m.k8s
                .selected_templates(ns, sel)
                .filter_map(|t| m.k8s.template_object(t).map(|o| o.name.to_string()))
                .collect()
        };
        assert_eq!(names("a", &[("app", "web")]), ["a1", "a2"]);
        assert_eq!(names("b", &[("app", "web")]), ["b1"]);
        assert_eq!(names("a", &[("app", "web"), ("tier", "x")]), ["a1"]);
        assert_eq!(
            names("a", &[("tier", "x"), ("app", "api")]),
            Vec::<String>::new()
        );
        // Controller labels match anything; an empty selector selects all in the namespace.
        assert_eq!(
            names("a", &[("pod-template-hash", "zzz")]),
            ["a1", "a2", "a3"]
        );
        assert_eq!(names("a", &[]), ["a1", "a2", "a3"]);
        assert_eq!(names("c", &[]), Vec::<String>::new());
    });
}

/// Deployments and Services whose selectors share a first pair (`team:
/// a`), with overlapping, missing and controller pairs mixed in.
fn shared_first_label_tree() -> String {
    let mut text = String::new();
    for i in 0..24 {
        let ns = if i % 5 == 0 { "other" } else { "default" };
        let app = i % 7;
        let labels = match i % 4 {
            0 => format!("{{team: a, app: app{app}}}"),
            1 => format!("{{team: a, app: app{app}, tier: t{}}}", i % 3),
            2 => format!("{{tier: t{}, team: a}}", i % 3),
            _ => format!("{{app: app{app}}}"),
        };
        text.push_str(&format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{i}, namespace: {ns}}}\nspec:\n  template:\n    metadata: {{labels: {labels}}}\n    spec: {{containers: [{{name: c}}]}}\n---\n"
        ));
        let selector = match i % 5 {
            0 => format!("{{team: a, app: app{app}}}"),
            1 => "{team: a}".to_string(),
            2 => format!("{{team: a, tier: t{}}}", i % 3),
            3 => format!("{{pod-template-hash: h, app: app{app}, team: a}}"),
            _ => "{pod-template-hash: h}".to_string(),
        };
        text.push_str(&format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: s{i}, namespace: {ns}}}\nspec: {{selector: {selector}}}\n---\n"
        ));
    }
    text
}

#[test]
fn selector_lookups_equal_a_linear_scan() {
    use crate::model::k8s::selects;
    let text = shared_first_label_tree();
    with_model(&text, |m| {
        let k = &m.k8s;
        let ns_of = |object| k.object(object).map(|o| o.namespace);
        let mut pairs = 0;
        for s in &k.services {
            let (Some(sel), Some(ns)) = (&s.selector, ns_of(s.object)) else {
                continue;
            };
            let scan: Vec<*const _> = k
                .templates
                .iter()
                .filter(|t| ns_of(t.object) == Some(ns) && selects(sel, &t.labels))
                .map(|t| t as *const _)
                .collect();
            let indexed: Vec<*const _> = k
                .service_templates(s)
                .into_iter()
                .map(|t| t as *const _)
                .collect();
            assert_eq!(indexed, scan);
            pairs += scan.len();
        }
        for t in &k.templates {
            let ns = ns_of(t.object);
            let scan: Vec<*const _> = k
                .services
                .iter()
                .filter(|s| {
                    ns_of(s.object) == ns
                        && s.selector
                            .as_ref()
                            .is_some_and(|sel| selects(sel, &t.labels))
                })
                .map(|s| s as *const _)
                .collect();
            let indexed: Vec<*const _> = k.services_selecting(t).map(|s| s as *const _).collect();
            assert_eq!(indexed, scan);
        }
        assert!(pairs > 24, "the tree should select many templates: {pairs}");
        // The nearest miss (K8S003) equals the old scan: most shared
        // pairs, the last of equals, controller labels shared by all.
        let mut found = 0;
        for s in &k.services {
            let (Some(sel), Some(ns)) = (&s.selector, ns_of(s.object)) else {
                continue;
            };
            let scan = k
                .templates
                .iter()
                .filter(|t| ns_of(t.object) == Some(ns))
                .map(|t| (sel.iter().filter(|p| selects(&[**p], &t.labels)).count(), t))
                .filter(|(n, _)| *n > 0)
                .max_by_key(|(n, _)| *n)
                .map(|(_, t)| t as *const _);
            let indexed = k.nearest_miss(ns, sel).map(|t| t as *const _);
            assert_eq!(indexed, scan);
            found += usize::from(scan.is_some());
        }
        assert!(found > 12, "{found}");
    });
}

#[test]
fn service_entry_lookup_equals_a_linear_scan() {
    use crate::model::istio::{exported_to_unsorted, host_matches};
    let hosts = [
        "api.example.com",
        "API.Example.com",
        "*.example.com",
        "*",
        "db.internal",
        "*.internal",
        "web.shop.svc.cluster.local",
        "",
    ];
    let mut text = String::new();
    for i in 0..40 {
        let ns = ["shop", "other", "mesh"][i % 3];
        let first = hosts[i * 7 % hosts.len()];
        let second = hosts[i * 3 % hosts.len()];
        let export = ["[]", "['.']", "['*']", "[shop]"][i % 4];
        let list = if i % 2 == 0 {
            format!("['{first}']")
        } else {
            format!("['{first}', '{second}']")
        };
        text.push_str(&format!(
            "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {{name: se{i}, namespace: {ns}}}\nspec: {{hosts: {list}, exportTo: {export}}}\n---\n"
        ));
    }
    with_model(&text, |m| {
        assert_eq!(m.istio.service_entries.len(), 40);
        let queries =
            hosts
                .iter()
                .copied()
                .chain(["Db.Internal", "x.example.com", "*.com", "nowhere.org"]);
        for q in queries {
            for from in ["shop", "other", "mesh", "elsewhere"] {
                let scan = m.istio.service_entries.iter().find(|se| {
                    let ns = m.k8s.object(se.object).map_or("", |o| o.namespace);
                    exported_to_unsorted(se.export_to.iter().copied(), ns, from)
                        && se
                            .hosts
                            .iter()
                            .any(|(h, _)| host_matches(h, q) || host_matches(q, h))
                });
                let indexed = m.service_entry_for(q, from);
                assert_eq!(
                    indexed.map(|se| se.object),
                    scan.map(|se| se.object),
                    "{q} from {from}"
                );
            }
        }
    });
}

#[test]
fn gateways_by_name_equal_a_linear_scan() {
    let mut text = String::new();
    for i in 0..30 {
        let ns = ["a", "b", "c"][i % 3];
        let name = format!("gw{}", i % 4);
        let (api, kind) = if i % 2 == 0 {
            ("networking.istio.io/v1", "Gateway")
        } else {
            ("gateway.networking.k8s.io/v1", "Gateway")
        };
        text.push_str(&format!(
            "apiVersion: {api}\nkind: {kind}\nmetadata: {{name: {name}, namespace: {ns}}}\nspec: {{}}\n---\n"
        ));
    }
    with_model(&text, |m| {
        for ns in ["a", "b", "c", "d"] {
            for name in ["gw0", "gw1", "gw2", "gw3", "gw4"] {
                let named = |o: Option<&crate::model::k8s::Object<'_>>| {
                    o.is_some_and(|o| o.namespace == ns && o.name == name)
                };
                let scan: Vec<usize> = m
                    .istio
                    .gateways
                    .iter()
                    .filter(|g| named(m.k8s.object(g.object)))
                    .map(|g| g.object)
                    .collect();
                let indexed: Vec<usize> =
                    m.istio.gateways_named(ns, name).map(|g| g.object).collect();
                assert_eq!(indexed, scan);
                let scan: Vec<usize> = m
                    .gateway_api
                    .gateways
                    .iter()
                    .filter(|g| named(m.k8s.object(g.object)))
                    .map(|g| g.object)
                    .collect();
                let indexed: Vec<usize> = m
                    .gateway_api
                    .gateways_named(ns, name)
                    .map(|g| g.object)
                    .collect();
                assert_eq!(indexed, scan);
            }
        }
        assert!(m.istio.gateways_named("a", "gw0").count() >= 2);
    });
}

#[test]
fn templates_selected_anywhere_equal_a_linear_scan() {
    use crate::model::k8s::selects;
    let text = shared_first_label_tree();
    with_model(&text, |m| {
        let k = &m.k8s;
        let selectors: [&[(&str, &str)]; 7] = [
            &[("team", "a")],
            &[("team", "a"), ("app", "app3")],
            &[("app", "app3"), ("team", "a")],
            &[("tier", "t1")],
            &[("pod-template-hash", "h")],
            &[("pod-template-hash", "h"), ("app", "app2")],
            &[("nothing", "here")],
        ];
        for sel in selectors {
            let scan: Vec<*const _> = k
                .templates
                .iter()
                .filter(|t| selects(sel, &t.labels))
                .map(|t| t as *const _)
                .collect();
            let indexed: Vec<*const _> = k
                .selected_templates_anywhere(sel)
                .into_iter()
                .map(|t| t as *const _)
                .collect();
            assert_eq!(indexed, scan, "{sel:?}");
        }
    });
}

#[test]
fn istio_reads_short_names_and_full_names_only() {
    let name = |host: &str, domain: &str| {
        let opts = ModelOptions {
            cluster_domain: domain.to_string(),
            ..ModelOptions::default()
        };
        let m = Model {
            options: opts,
            ..Model::default()
        };
        m.istio_service_name(host, "shop")
            .map(|s| format!("{}/{}", s.namespace, s.name))
    };
    assert_eq!(
        name("reviews", "cluster.local").as_deref(),
        Some("shop/reviews")
    );
    let full = Some("web/reviews");
    assert_eq!(
        name("reviews.web.svc.cluster.local", "cluster.local").as_deref(),
        full
    );
    // Case aside, in the host and in the domain alike.
    assert_eq!(
        name("Reviews.Web.SVC.Cluster.Local", "cluster.local").as_deref(),
        full
    );
    assert_eq!(
        name("reviews.web.svc.cluster.local", "Cluster.Local").as_deref(),
        full
    );
    // Istio does not expand a partly qualified name; other domains are not Services.
    assert_eq!(name("reviews.web", "cluster.local"), None);
    assert_eq!(name("reviews.web.svc", "cluster.local"), None);
    assert_eq!(name("reviews.web.svc.example.org", "cluster.local"), None);
    assert_eq!(name("*.web.svc.cluster.local", "cluster.local"), None);
    assert_eq!(name("local", "cluster.local"), Some("shop/local".into()));
}

#[test]
fn wildcard_destination_rules_are_found_as_a_scan_finds_them() {
    use crate::model::istio::{exported_to_unsorted, host_matches};
    let patterns = [
        "*",
        "*.example.com",
        "*.Example.COM",
        "*example.com",
        "*.a.example.com",
        "**.com",
        "*.svc.cluster.local",
        "*.ünï.example.com",
        "*ünï.example.com",
        "*.com",
        "reviews",
        "a.example.com",
    ];
    let mut text = String::new();
    for (i, host) in patterns.iter().cycle().take(40).enumerate() {
        let ns = ["shop", "other"][i % 2];
        let export = ["[]", "['.']"][i / 7 % 2];
        text.push_str(&format!(
            "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: dr{i}, namespace: {ns}}}\nspec: {{host: '{host}', exportTo: {export}}}\n---\n"
        ));
    }
    let queries = [
        "a.example.com",
        "A.EXAMPLE.COM",
        "x.a.example.com",
        "example.com",
        "xexample.com",
        "*.example.com",
        "*.com",
        "*",
        "b.ünï.example.com",
        "xünï.example.com",
        "ünï.example.com",
        "reviews.shop.svc.cluster.local",
        "",
        "é",
    ];
    with_model(&text, |m| {
        for q in queries {
            for from in ["shop", "other"] {
                let mut scan: Vec<usize> = m
                    .istio
                    .destination_rules
                    .iter()
                    .filter(|dr| {
                        let o = m.k8s.object(dr.object).unwrap();
                        host_matches(&m.istio_fqdn(dr.host, o.namespace), q)
                            && exported_to_unsorted(dr.export_to.iter().copied(), o.namespace, from)
                    })
                    .map(|dr| dr.object)
                    .collect();
                // The most specific first: exact hosts, then wildcards.
                scan.sort_by_key(|&o| {
                    let dr = m.istio.destination_rules.iter().find(|d| d.object == o);
                    (dr.is_some_and(|d| d.host.contains('*')), o)
                });
                let indexed: Vec<usize> = m
                    .destination_rules_for(q, from)
                    .iter()
                    .map(|dr| dr.object)
                    .collect();
                assert_eq!(indexed, scan, "{q} from {from}");
            }
        }
    });
}

#[test]
fn effective_mtls_equals_a_scan_of_every_policy() {
    use crate::model::k8s::selects;
    let mut text = String::new();
    for (i, ns) in ["a", "b", "istio-system"].iter().enumerate() {
        for app in 0..3 {
            text.push_str(&format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{i}{app}, namespace: {ns}}}\nspec:\n  template:\n    metadata: {{labels: {{app: a{app}, tier: t{}}}}}\n    spec: {{containers: [{{name: c}}]}}\n---\n",
                app % 2
            ));
        }
    }
    let modes = ["STRICT", "PERMISSIVE", "UNSET", "DISABLE"];
    let selectors = [
        "",
        "selector: {matchLabels: {app: a1}}, ",
        "selector: {matchLabels: {tier: t0}}, ",
        "selector: {matchLabels: {app: a2, tier: t0}}, ",
        "selector: {matchLabels: {pod-template-hash: h}}, ",
        "selector: {matchLabels: {}}, ",
    ];
    for i in 0..36 {
        let ns = ["a", "b", "istio-system"][i % 3];
        let sel = selectors[i * 5 % selectors.len()];
        let mode = modes[i * 7 % modes.len()];
        let ports = [
            "",
            "portLevelMtls: {8080: {mode: STRICT}}, ",
            "portLevelMtls: {8080: {mode: UNSET}, 8080: {mode: DISABLE}}, ",
        ][i % 3];
        let mtls = if i % 5 == 4 {
            String::new()
        } else {
            format!("mtls: {{mode: {mode}}}")
        };
        text.push_str(&format!(
            "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {{name: pa{i}, namespace: {ns}}}\nspec: {{{sel}{ports}{mtls}}}\n---\n"
        ));
    }
    with_model(&text, |m| {
        let root = m.options.istio_root_namespace.as_str();
        let mut decided = 0;
        for t in &m.k8s.templates {
            let ns = m.k8s.template_object(t).unwrap().namespace;
            for port in [None, Some(8080), Some(9090)] {
                // The scan this replaced: every policy, by level, in tree order.
                let mut levels: Vec<(u8, usize)> = Vec::new();
                for (i, pa) in m.istio.peer_authentications.iter().enumerate() {
                    let o = m.k8s.object(pa.object).unwrap();
                    let level = match &pa.selector {
                        Some(sel) if o.namespace == ns && selects(sel, &t.labels) => 0,
                        None if o.namespace == ns && ns != root => 1,
                        None if o.namespace == root => 2,
                        _ => continue,
                    };
                    levels.push((level, i));
                }
                levels.sort_by_key(|(l, _)| *l);
                let scan = levels.into_iter().find_map(|(level, i)| {
                    let pa = &m.istio.peer_authentications[i];
                    let port_mode = pa
                        .port_modes
                        .iter()
                        .find(|(n, _, _)| level == 0 && Some(*n) == port)
                        .filter(|(_, mode, _)| *mode != "UNSET")
                        .map(|(_, mode, _)| *mode);
                    port_mode
                        .or(pa.mode.map(|(mode, _)| mode).filter(|m| *m != "UNSET"))
                        .map(|mode| (mode.to_string(), m.k8s.object(pa.object).unwrap().name))
                });
                let indexed = m.effective_mtls(t, port).map(|s| {
                    let name = s.source.split_once('/').unwrap().1.to_string();
                    (s.mode, name)
                });
                assert_eq!(
                    indexed,
                    scan.map(|(mode, name)| (mode, name.to_string())),
                    "{ns} {:?} {port:?}",
                    t.labels
                );
                decided += usize::from(indexed.is_some());
            }
        }
        assert!(decided > 10, "{decided}");
    });
}

#[test]
fn export_lists_are_read_sorted_as_they_were_read_in_order() {
    use crate::model::istio::{exported_to, exported_to_unsorted};
    let names = ["*", ".", "a", "b", "", "c", "a"];
    for n in 0..200usize {
        // Lists of up to 4 names, picked by the digits of n.
        let list: Vec<&str> = (0..n % 5)
            .map(|k| names[(n / 5 + k * 3) % names.len()])
            .collect();
        let mut sorted = list.clone();
        sorted.sort_unstable();
        sorted.dedup();
        for owner in ["a", "b"] {
            for from in ["a", "b", "c", "", "*"] {
                assert_eq!(
                    exported_to(&sorted, owner, from),
                    exported_to_unsorted(list.iter().copied(), owner, from),
                    "{list:?} {owner} {from}"
                );
            }
        }
    }
}

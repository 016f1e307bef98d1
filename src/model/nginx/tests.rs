//! Include resolution, root selection and inheritance lookups.
#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use crate::parse::nginx::parse;

fn model<P: AsRef<str>, T: AsRef<str>>(files: &[(P, T)]) -> (Vec<NginxText>, Vec<String>) {
    let texts = files
        .iter()
        .map(|(_, t)| NginxText::read(t.as_ref(), None, &parse(t.as_ref())))
        .collect();
    let paths = files.iter().map(|(p, _)| p.as_ref().to_string()).collect();
    (texts, paths)
}

/// Every configuration, as the rules see them one at a time.
struct Built<'a> {
    configs: Vec<NginxConfig<'a>>,
}

impl Built<'_> {
    fn notes(&self) -> Vec<&IncludeNote> {
        unique_notes(self.configs.iter().flat_map(|c| c.tree.notes.iter()))
    }
}

/// The files as the model takes them (file ids in order).
fn inputs<'a>(texts: &'a [NginxText], paths: &[String]) -> Vec<NginxInput<'a>> {
    texts
        .iter()
        .zip(paths)
        .enumerate()
        .map(|(i, (text, path))| NginxInput {
            file: i as u32,
            path: path.clone(),
            text,
            configmap: None,
        })
        .collect()
}

/// Trees of every file and the configurations built from them.
fn build_all<'a>(texts: &'a [NginxText], paths: &[String]) -> (Trees, Nginx<'a>) {
    let n = Nginx::new(Version::DEFAULT, inputs(texts, paths));
    (n.parse_all(), n)
}

fn configs<'p>(built: &'p (Trees, Nginx<'_>)) -> Built<'p> {
    Built {
        configs: built.1.all_configs(&built.0),
    }
}

/// Root paths of the configurations.
fn roots(n: &Built<'_>) -> Vec<String> {
    n.configs.iter().map(|c| c.tree.root_path.clone()).collect()
}

/// `listen` ports in tree order.
fn listens(c: &NginxConfig<'_>) -> Vec<String> {
    c.tree
        .nodes
        .iter()
        .filter(|n| n.name() == "listen")
        .filter_map(|n| n.arg(0).map(str::to_string))
        .collect()
}

const MAIN: &str = "events {}\nhttp {\n    include conf.d/*.conf;\n}\n";

#[test]
fn globs_expand_sorted_and_fragments_are_not_roots() {
    let (p, paths) = model(&[
        ("deploy/nginx/nginx.conf", MAIN),
        ("deploy/nginx/conf.d/b.conf", "server { listen 82; }"),
        ("deploy/nginx/conf.d/a.conf", "server { listen 81; }"),
        ("deploy/nginx/conf.d/sub/c.conf", "server { listen 83; }"),
    ]);
    let built = build_all(&p, &paths);
    let n = configs(&built);
    // sub/c.conf is not matched by conf.d/*.conf, so it is a root of its own.
    assert_eq!(
        roots(&n),
        ["deploy/nginx/nginx.conf", "deploy/nginx/conf.d/sub/c.conf"]
    );
    let main = &n.configs[0];
    assert_eq!(listens(main), ["81", "82"]);
    assert!(main.tree.notes.is_empty());
    // The included servers sit inside `http`.
    assert_eq!(main.facts.servers.len(), 2);
    let s = main.facts.servers[0].node;
    assert_eq!(
        main.tree.kind(main.tree.parent(Some(s)).unwrap()),
        BlockKind::Http
    );
}

#[test]
fn relative_includes_resolve_against_the_main_config_directory() {
    let (p, paths) = model(&[
        (
            "n/nginx.conf",
            "events {}\nhttp { include conf.d/server.conf; }",
        ),
        (
            "n/conf.d/server.conf",
            "server { listen 80; include foo.conf; }",
        ),
        ("n/foo.conf", "location /foo { return 200; }"),
        ("n/conf.d/foo.conf", "location /decoy { return 404; }"),
    ]);
    let built = build_all(&p, &paths);
    let n = configs(&built);
    let main = &n.configs[0];
    let locs: Vec<&str> = main
        .tree
        .blocks(BlockKind::Location)
        .filter_map(|(_, l)| l.arg(0))
        .collect();
    assert_eq!(locs, ["/foo"]);
    // The decoy is included by nothing: analysed on its own.
    assert_eq!(roots(&n), ["n/nginx.conf", "n/conf.d/foo.conf"]);
}

#[test]
fn missing_outside_and_empty_globs_are_noted_not_fatal() {
    let (p, paths) = model(&[(
        "nginx.conf",
        "events {}\nhttp {\n include mime.types;\n include /srv/extra.conf;\n include sites/*;\n server { listen 80; }\n}\n",
    )]);
    let built = build_all(&p, &paths);
    let n = configs(&built);
    let kinds: Vec<NoteKind> = n.notes().iter().map(|x| x.kind).collect();
    assert_eq!(
        kinds,
        [NoteKind::Missing, NoteKind::Outside, NoteKind::EmptyGlob]
    );
    assert_eq!(n.configs[0].facts.servers.len(), 1);
}

#[test]
fn absolute_etc_nginx_includes_map_onto_the_tree() {
    let (p, paths) = model(&[
        (
            "nginx.conf",
            "events {}\nhttp { include /etc/nginx/conf.d/*.conf; }",
        ),
        ("conf.d/app.conf", "server { listen 8080; }"),
    ]);
    let built = build_all(&p, &paths);
    let n = configs(&built);
    assert_eq!(roots(&n), ["nginx.conf"]);
    assert_eq!(listens(&n.configs[0]), ["8080"]);
}

#[test]
fn cycles_and_depth_are_bounded() {
    let (p, paths) = model(&[
        ("nginx.conf", "events {}\nhttp { include a.conf; }"),
        ("a.conf", "include b.conf;\nserver { listen 1; }"),
        ("b.conf", "include a.conf;\nserver { listen 2; }"),
    ]);
    let built = build_all(&p, &paths);
    let n = configs(&built);
    assert_eq!(roots(&n), ["nginx.conf"]);
    assert!(n.notes().iter().any(|x| x.kind == NoteKind::Cycle));
    assert_eq!(listens(&n.configs[0]), ["2", "1"]);

    // A chain deeper than the limit stops with a note.
    let mut files = vec![(
        "nginx.conf".to_string(),
        "events {}\nhttp { include f0.conf; }".to_string(),
    )];
    for i in 0..30 {
        files.push((format!("f{i}.conf"), format!("include f{}.conf;", i + 1)));
    }
    let (p, paths) = model(&files);
    let built = build_all(&p, &paths);
    let n = configs(&built);
    assert!(n.notes().iter().any(|x| x.kind == NoteKind::TooDeep));
    // Only what a configuration can read is parsed for it: the root and
    // 16 levels of includes, not the whole chain (a 3,000-file chain was
    // parsed whole for each of its roots).
    let root = Root {
        source: 0,
        context: FileContext::Main,
        bases: vec![String::new()],
    };
    let parsed = built.1.parse_for(&root).unwrap();
    assert_eq!(parsed.0.len(), 1 + tree::MAX_INCLUDE_DEPTH);
    let read: Vec<&str> = n.configs[0]
        .tree
        .files
        .iter()
        .map(|&f| paths[f].as_str())
        .collect();
    assert_eq!(read.len(), parsed.0.len(), "{read:?}");
}

#[test]
fn fragments_included_by_fragments_are_not_roots() {
    let (p, paths) = model(&[
        (
            "sites-enabled/app",
            "server { listen 80; location / { include snippets/proxy.conf; proxy_pass http://127.0.0.1:8080; } }",
        ),
        ("snippets/proxy.conf", "proxy_set_header Host $host;"),
    ]);
    let built = build_all(&p, &paths);
    let n = configs(&built);
    assert_eq!(roots(&n), ["sites-enabled/app"]);
    let c = &n.configs[0];
    let pass = &c.facts.passes[0];
    assert_eq!(
        c.tree.effective(pass.level, "proxy_set_header").value(),
        Some("Host")
    );
}

#[test]
fn explicit_paths_with_parent_segments() {
    let (p, paths) = model(&[
        ("../shared/x/nginx.conf", MAIN),
        ("../shared/x/conf.d/a.conf", "server { listen 81; }"),
    ]);
    let built = build_all(&p, &paths);
    let n = configs(&built);
    assert_eq!(roots(&n), ["../shared/x/nginx.conf"]);
    assert_eq!(listens(&n.configs[0]), ["81"]);
}

#[test]
fn inheritance_inner_level_replaces_and_unknown_includes_stop_lookups() {
    let (p, paths) = model(&[(
        "nginx.conf",
        "events {}\nhttp {\n proxy_read_timeout 30s;\n proxy_set_header Host $host;\n server {\n  location /a { proxy_pass http://x; proxy_set_header X-A 1; }\n  location /b { proxy_pass http://y; }\n  location /c { include /opt/unknown.conf; proxy_pass http://z; }\n }\n}\n",
    )]);
    let built = build_all(&p, &paths);
    let n = configs(&built);
    let c = &n.configs[0];
    let [a, b, cc] = [0, 1, 2].map(|i| c.facts.passes[i].level);
    assert_eq!(
        c.tree.effective(a, "proxy_read_timeout").value(),
        Some("30s")
    );
    assert_eq!(c.tree.effective(a, "proxy_set_header").value(), Some("X-A"));
    assert_eq!(
        c.tree.effective(b, "proxy_set_header").value(),
        Some("Host")
    );
    assert!(c.tree.effective(b, "proxy_ssl_server_name").is_default());
    assert!(c.tree.effective(cc, "proxy_ssl_server_name").is_unknown());
}

#[test]
fn upstreams_and_passes() {
    let (p, paths) = model(&[(
        "nginx.conf",
        "events {}\nhttp {\n upstream App { server app:8080 max_fails=3 fail_timeout=5s; server b backup; keepalive 8; keepalive_timeout 30s; }\n server { listen 443 ssl http2; location / { proxy_pass http://app; } location /g { grpc_pass grpcs://g:50051; } }\n}\n",
    )]);
    let built = build_all(&p, &paths);
    let n = configs(&built);
    let c = &n.configs[0];
    let u = &c.facts.upstreams[0];
    assert_eq!(u.servers.len(), 2);
    assert_eq!(u.servers[0].max_fails, Some(3));
    assert_eq!(u.servers[0].fail_timeout, Some(5.0));
    assert!(u.servers[1].backup);
    assert_eq!(u.keepalive.map(|k| k.1), Some(8));
    assert_eq!(u.keepalive_timeout.map(|k| k.1), Some(30.0));
    // Group names match case-insensitively.
    assert_eq!(
        c.facts.group(&c.facts.passes[0]).map(|g| g.name.as_str()),
        Some("App")
    );
    assert_eq!(c.facts.passes[1].scheme, Scheme::Grpcs);
    let l = &c.facts.servers[0].listens[0];
    assert_eq!((l.port, l.ssl, l.http2), (Some(443), true, true));
}

#[test]
fn nginx_t_dumps_are_split_into_their_files() {
    let dump = "# configuration file /etc/nginx/nginx.conf:\nevents {}\nhttp {\n    include /etc/nginx/conf.d/*.conf;\n}\n\n# configuration file /etc/nginx/conf.d/default.conf:\nserver {\n    listen 8080;\n}\n";
    let (p, paths) = model(&[("dump.txt", dump)]);
    let built = build_all(&p, &paths);
    let n = configs(&built);
    assert_eq!(roots(&n), ["/etc/nginx/nginx.conf"]);
    assert!(n.notes().is_empty());
    let c = &n.configs[0];
    assert_eq!(listens(c), ["8080"]);
    let s = c.facts.servers[0].node;
    assert_eq!(
        c.tree.kind(c.tree.parent(Some(s)).unwrap()),
        BlockKind::Http
    );
}

#[test]
fn children_and_own_match_the_parent_links() {
    let (p, paths) = model(&[
        (
            "etc/nginx/nginx.conf",
            "events {}\nhttp {\n    include conf.d/*.conf;\n    gzip on;\n    server { listen 1; location / { include snip/*.inc; } }\n}\n",
        ),
        (
            "etc/nginx/conf.d/a.conf",
            "server { listen 81; location /a { proxy_pass http://a; } listen 82; }\nupstream a { server x; server y; }",
        ),
        ("etc/nginx/conf.d/b.conf", "gzip off; server { listen 83; }"),
        (
            "etc/nginx/snip/x.inc",
            "proxy_set_header A b; if ($x) { return 403; } proxy_set_header C d;",
        ),
    ]);
    let built = build_all(&p, &paths);
    let n = configs(&built);
    let t = &n.configs[0].tree;
    let levels = std::iter::once(None).chain((0..t.nodes.len()).map(Some));
    for level in levels {
        let want: Vec<NodeId> = (0..t.nodes.len())
            .filter(|&i| t.nodes[i].parent() == level)
            .collect();
        assert_eq!(t.children(level).collect::<Vec<_>>(), want, "{level:?}");
        for &c in &want {
            let name = t.nodes[c].name();
            let same: Vec<NodeId> = want
                .iter()
                .copied()
                .filter(|&i| t.nodes[i].name() == name)
                .collect();
            let own: Vec<NodeId> = t.own(level, name).map(|(i, _)| i).collect();
            assert_eq!(own, same, "{level:?} {name}");
        }
    }
    let sets: Vec<NodeId> = t.named("proxy_set_header").map(|(i, _)| i).collect();
    assert_eq!(sets.len(), 2);
    assert!(sets.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(t.own(None, "nothing").count(), 0);
}

#[test]
fn configs_that_read_each_other_are_built_once_not_once_each() {
    // Every main config includes every other: the first reads them all.
    let files: Vec<(String, String)> = (0..200)
        .map(|i| {
            (
                format!("etc/nginx/m{i:03}.conf"),
                "events {}\nhttp { include *.conf; }\n".to_string(),
            )
        })
        .collect();
    let (texts, paths) = model(&files);
    let n = Nginx::new(Version::DEFAULT, inputs(&texts, &paths));
    let built = std::sync::atomic::AtomicUsize::new(0);
    let (roots, _) = n.each_config(|c| {
        built.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        c.tree.root_path.clone()
    });
    assert_eq!(roots, ["etc/nginx/m000.conf"]);
    // The first wave is that one configuration (was: all 200).
    assert_eq!(built.into_inner(), 1);
}

#[test]
fn texts_let_go_are_read_again_and_a_changed_file_builds_nothing() {
    let files = [
        ("etc/nginx/nginx.conf", "http { include conf.d/*.conf; }"),
        ("etc/nginx/conf.d/a.conf", "server { listen 8081; }"),
    ];
    let (mut texts, paths) = model(&files);
    for t in texts.iter_mut() {
        t.forget_text();
    }
    let reads = std::sync::atomic::AtomicUsize::new(0);
    let from_disk = |f: u32| {
        reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        files.get(f as usize).map(|(_, t)| t.to_string())
    };
    let n = Nginx::new(Version::DEFAULT, inputs(&texts, &paths)).reading_with(Some(&from_disk));
    let (seen, _) = n.each_config(|c| listens(&c));
    assert_eq!(seen, [vec!["8081".to_string()]]);
    assert_eq!(reads.into_inner(), 2);
    // A file that changed since loading: its configuration is not built
    // (nothing is reported from a text the tool no longer has).
    let changed = |f: u32| (f == 0).then(|| files[0].1.to_string());
    let n = Nginx::new(Version::DEFAULT, inputs(&texts, &paths)).reading_with(Some(&changed));
    assert!(n.each_config(|c| listens(&c)).0.is_empty());
}

#[test]
fn indexed_lookups_answer_as_a_scan_would() {
    let (p, paths) = model(&[(
        "nginx.conf",
        "events {}\nhttp {\n set $Up a.example;\n map $http_upgrade $Conn { default upgrade; '' close; '' keep; }\n map $x $conn { default other; }\n map $y $re { ~^a b; default c; }\n proxy_set_header Host $host;\n proxy_set_header host $proxy_host;\n server {\n  set $up b.example;\n  location /a { proxy_pass http://$up; proxy_set_header X-A 1; }\n  location /b { proxy_pass http://y; }\n  location /c { include /opt/unknown.conf; proxy_pass http://z; }\n }\n}\n",
    )]);
    let built = build_all(&p, &paths);
    let n = configs(&built);
    let cfg = &n.configs[0].tree;
    let [a, b, c] = [0, 1, 2].map(|i| n.configs[0].facts.passes[i].level);
    // Where a setting comes from, as `effective` finds it.
    for level in [a, b, c] {
        for name in ["proxy_set_header", "proxy_read_timeout"] {
            let at = match cfg.effective(level, name) {
                Setting::Set {
                    level, complete, ..
                } => SetAt::Level { level, complete },
                Setting::Default => SetAt::Default,
                Setting::Unknown => SetAt::Unknown,
            };
            assert_eq!(cfg.effective_at(level, name), at, "{level:?} {name}");
        }
    }
    // The last of a header at a level, case aside.
    let http = cfg.effective_at(b, "proxy_set_header");
    let SetAt::Level { level: http, .. } = http else {
        panic!("{http:?}")
    };
    let host = cfg.proxy_header_at(http, "HOST").unwrap();
    assert_eq!(host.arg(1), Some("$proxy_host"));
    assert!(cfg.proxy_header_at(http, "X-A").is_none());
    assert!(cfg.proxy_header_at(a, "x-a").is_some());
    // Variables, case aside: every `set`, the first map, its first entry per key.
    assert_eq!(
        vars::values(cfg, "$UP"),
        Some(vec!["a.example".to_string(), "b.example".to_string()])
    );
    let conn = vars::map_of(cfg, "$conn").unwrap();
    assert_eq!(conn.source, "$http_upgrade");
    assert_eq!(conn.value_for(""), Some("close"));
    assert_eq!(conn.value_for("websocket"), Some("upgrade"));
    assert_eq!(vars::map_of(cfg, "$re").unwrap().value_for("zz"), None);
    assert!(vars::map_of(cfg, "$none").is_none());
}

#[test]
fn a_run_stops_building_configurations_once_its_include_reads_are_spent() {
    // Five main files, each reading the same three includes.
    let mut files: Vec<(String, String)> = (0..5)
        .map(|i| {
            (
                format!("site/nginx{i}.conf"),
                "events {}\nhttp { include inc/*.conf; }\n".to_string(),
            )
        })
        .collect();
    for j in 0..3 {
        files.push((
            format!("site/inc/{j}.conf"),
            format!("server {{ listen {j}; }}\n"),
        ));
    }
    let (p, paths) = model(&files);
    let built = |threads: usize| {
        let mut n = Nginx::new(Version::DEFAULT, inputs(&p, &paths));
        // Three reads fit, six do not: two configurations are built.
        n.budgets.run_reads = 4;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let (roots, notes) = pool.install(|| n.each_config(|c| c.tree.root_path.clone()));
        let notes: Vec<(NoteKind, String)> =
            notes.iter().map(|n| (n.kind, n.root.clone())).collect();
        (roots, notes)
    };
    let (roots, notes) = built(1);
    assert_eq!(roots, ["site/nginx0.conf", "site/nginx1.conf"]);
    let not_built: Vec<String> = (2..5).map(|i| format!("site/nginx{i}.conf")).collect();
    assert!(notes.iter().all(|(k, _)| *k == NoteKind::RunBudget));
    assert_eq!(
        notes.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(),
        not_built
    );
    // The same ones, whatever the number of threads.
    assert_eq!(built(3), (roots, notes));
}

#[test]
fn headers_of_a_long_level_are_found_through_the_index() {
    // More headers than are read backwards: the index answers, alike.
    let headers: String = (0..40)
        .map(|i| format!(" proxy_set_header H{} v{i};\n", i % 20))
        .collect();
    let text = format!(
        "events {{}}\nhttp {{\n{headers} server {{ listen 80; proxy_set_header A 1; }}\n}}\n"
    );
    let (p, paths) = model(&[("nginx.conf", text.as_str())]);
    let built = build_all(&p, &paths);
    let n = configs(&built);
    let cfg = &n.configs[0].tree;
    let http = cfg.blocks(BlockKind::Http).next().map(|(id, _)| id);
    for level in [http, cfg.blocks(BlockKind::Server).next().map(|(id, _)| id)] {
        for name in ["h5", "H19", "A", "none"] {
            let scanned = cfg
                .own(level, "proxy_set_header")
                .map(|(_, n)| n)
                .filter(|n| n.arg(0).is_some_and(|h| h.eq_ignore_ascii_case(name)))
                .last()
                .and_then(|n| n.arg(1));
            let found = cfg.proxy_header_at(level, name).and_then(|n| n.arg(1));
            assert_eq!(found, scanned, "{level:?} {name}");
        }
    }
    assert_eq!(
        cfg.proxy_header_at(http, "h5").and_then(|n| n.arg(1)),
        Some("v25")
    );
}

#[test]
fn a_configuration_past_its_budget_stops_with_a_note_and_open_levels_unknown() {
    let main = "events {}\nhttp {\n    include inc/*.conf;\n    server { listen 80; }\n}\n";
    let mut files = vec![("site/nginx.conf".to_string(), main.to_string())];
    for j in 0..5 {
        files.push((
            format!("site/inc/{j}.conf"),
            format!("server {{ listen 8{j}; }}\n"),
        ));
    }
    let (p, paths) = model(&files);
    let built_with = |budgets: tree::Budgets| {
        let mut n = Nginx::new(Version::DEFAULT, inputs(&p, &paths));
        n.budgets = budgets;
        let trees = n.parse_all();
        let configs = n.all_configs(&trees);
        let c = configs.first().unwrap();
        let http = c.tree.nodes.iter().position(|n| n.name() == "http");
        let notes: Vec<(NoteKind, u32, u32)> = c
            .tree
            .notes
            .iter()
            .map(|n| (n.kind, n.loc.file, n.loc.span.start))
            .collect();
        let ports = listens(c);
        (
            notes,
            ports,
            c.tree.level_unknown(http),
            c.tree.level_unknown(None),
        )
    };
    // Three of the five includes are read; the fourth is where it stops.
    let reads = tree::Budgets {
        config_reads: 3,
        ..tree::Budgets::default()
    };
    let at_include = main.find("inc/*.conf").unwrap() as u32;
    assert_eq!(
        built_with(reads),
        (
            vec![(NoteKind::TooManyReads, 0, at_include)],
            vec!["80".to_string(), "81".to_string(), "82".to_string()],
            true,
            true
        )
    );
    // events, http, server, listen: the second included server is cut.
    let nodes = tree::Budgets {
        config_nodes: 4,
        ..tree::Budgets::default()
    };
    assert_eq!(
        built_with(nodes),
        (
            vec![(NoteKind::TooManyDirectives, 2, 0)],
            vec!["80".to_string()],
            true,
            true
        )
    );
    // Within the default budgets, nothing is cut and nothing is unknown.
    let (notes, ports, http_unknown, _) = built_with(tree::Budgets::default());
    assert!(notes.is_empty());
    assert_eq!(ports.len(), 6);
    assert!(!http_unknown);
}

#[test]
fn fragments_marked_as_included_are_those_a_scan_of_every_include_marks() {
    let files = [
        // Each includes the glob that matches itself and the others.
        ("site/conf.d/a.conf", "include conf.d/*.conf;"),
        ("site/conf.d/b.conf", "include conf.d/*.conf;"),
        (
            "site/conf.d/c.conf",
            "include conf.d/*.conf; include x/*.conf;",
        ),
        ("site/x/only.conf", "include x/only.conf;"),
        ("site/x/other.conf", "server { listen 1; }"),
        // Resolves from the second base only.
        ("site/y/z.conf", "include y/z2.conf;"),
        ("site/y/z2.conf", "server { listen 2; }"),
        // The only includer of its own pattern: not marked by itself.
        ("site/w/self.conf", "include w/self.conf;"),
    ];
    let (texts, paths) = model(&files);
    let n = Nginx::new(Version::DEFAULT, inputs(&texts, &paths));
    let reached = vec![false; n.sources.len()];
    let mut scanned = vec![false; n.sources.len()];
    for (i, s) in n.sources.iter().enumerate() {
        for arg in s.includes() {
            for base in fragment_bases(&s.path) {
                if let includes::Resolved::Files(hits) = n.resolver.resolve(&base, arg) {
                    for h in hits.into_iter().filter(|&h| h != i) {
                        scanned[h] = true;
                    }
                    break;
                }
            }
        }
    }
    let marked = n.included_by_fragments(&reached);
    assert_eq!(marked, scanned);
    // a, b, c (each by the others), only and other (by c), z2 (by z);
    // not z, nor self (by itself only).
    let unmarked: Vec<&str> = n
        .sources
        .iter()
        .zip(&marked)
        .filter(|(_, m)| !**m)
        .map(|(s, _)| s.path.as_str())
        .collect();
    assert_eq!(unmarked, ["site/w/self.conf", "site/y/z.conf"]);
}

#[test]
fn names_sharing_a_cache_slot_are_told_apart() {
    // More distinct names than the name cache has slots, each used twice
    // in turn: many share a slot and evict each other.
    let names: Vec<String> = (0..600).map(|i| format!("d{i}")).collect();
    let body: String = names
        .iter()
        .chain(&names)
        .map(|n| format!(" {n} x;"))
        .collect();
    let text = format!("events {{}}\nhttp {{{body} server {{{body} }} }}\n");
    let (p, paths) = model(&[("nginx.conf", text)]);
    let built = build_all(&p, &paths);
    let n = configs(&built);
    let t = &n.configs[0].tree;
    for name in &names {
        let scan: Vec<NodeId> = (0..t.nodes.len())
            .filter(|&i| t.nodes[i].name() == name)
            .collect();
        assert_eq!(scan.len(), 4, "{name}");
        let named: Vec<NodeId> = t.named(name).map(|(i, _)| i).collect();
        assert_eq!(named, scan, "{name}");
        let server = t.nodes[scan[2]].parent();
        let own: Vec<NodeId> = t.own(server, name).map(|(i, _)| i).collect();
        assert_eq!(own, scan[2..], "{name}");
    }
}

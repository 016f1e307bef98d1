//! Hostile sizes in the layers around the rules (selection, per-path
//! ignores, suppressions, baselines, reports, stdin streams): thousands of
//! entries still select, ignore and suppress exactly what a few would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use confaudit::config::Config;
use confaudit::pipeline::{Input, Options, Report, analyze};

/// An NGINX file with `n` locations, each an NGX016 finding (a proxy_pass
/// to a name that does not resolve) on its own line (line 4 on).
fn nginx(n: usize) -> String {
    let mut s = String::from("http {\n  server {\n    listen 80;\n");
    for i in 0..n {
        s.push_str(&format!(
            "    location /p{i} {{ proxy_pass http://b{i}:80; }}\n"
        ));
    }
    s.push_str("  }\n}\n");
    s
}

fn run(files: &[(&str, String)], opts: &Options) -> Report {
    let inputs = files
        .iter()
        .map(|(name, text)| Input::Text {
            display: name.to_string(),
            text: text.clone(),
        })
        .collect();
    analyze(inputs, Vec::new(), opts)
}

/// (path, rule) of each finding.
fn found(r: &Report) -> Vec<(String, &'static str)> {
    r.findings
        .iter()
        .map(|f| (r.sources.get(f.loc.file).unwrap().path.clone(), f.rule))
        .collect()
}

#[test]
fn thousands_of_selectors_select_what_one_of_each_does() {
    let files = [("a/nginx.conf", nginx(300)), ("b/nginx.conf", nginx(200))];
    let all = run(&files, &Options::default());
    assert_eq!(all.findings.len(), 500);
    assert!(all.findings.iter().all(|f| f.rule == "NGX016"));
    let repeat = |s: &[&str], n: usize| -> Vec<String> {
        s.iter().cycle().take(n).map(|x| x.to_string()).collect()
    };
    for (select, ignore, kept) in [
        (vec!["NGX"], vec!["K8S001", "ISTIO0"], 500),
        (vec!["K8S", "NGX01"], vec!["ENV"], 500),
        (vec!["K8S", "ISTIO"], vec![], 0),
        (vec![], vec!["NGX016", "K8S001"], 0),
        (vec![], vec!["ngx016", "K8S001"], 500),
        (vec!["all"], vec!["NGX0"], 0),
        (vec![" NGX016 "], vec![" "], 500),
    ] {
        let mut opts = Options::default();
        opts.config.select = repeat(&select, 2_000);
        opts.config.ignore = repeat(&ignore, 2_000);
        opts.ignore = repeat(&ignore, 1_000);
        let r = run(&files, &opts);
        assert_eq!(
            r.findings.len(),
            kept,
            "select {select:?} ignore {ignore:?}"
        );
        if kept == 500 {
            assert_eq!(found(&r), found(&all));
        }
    }
}

#[test]
fn thousands_of_per_path_globs_ignore_exactly_their_paths() {
    let mut config = String::from("per-path-ignores:\n");
    for i in 0..2_000 {
        config.push_str(&format!(
            "  '**/d{i}*x/**': [NGX016]\n  'e{i}/*.conf': [K8S]\n"
        ));
    }
    config.push_str("  'd77zx/**': [NGX0]\n");
    let opts = Options {
        config: Config::parse(&config).unwrap(),
        ..Options::default()
    };
    let files = [
        ("d5x/nginx.conf", nginx(30)),
        ("top/d1999yx/nginx.conf", nginx(20)),
        ("d77zx/nginx.conf", nginx(10)),
        ("e3/nginx.conf", nginx(40)),
        ("kept/nginx.conf", nginx(50)),
    ];
    let r = run(&files, &opts);
    let mut paths: Vec<String> = found(&r).into_iter().map(|(p, _)| p).collect();
    paths.dedup();
    assert_eq!(paths, ["e3/nginx.conf", "kept/nginx.conf"]);
    assert_eq!(r.findings.len(), 90);
}

#[test]
fn thousands_of_suppressions_suppress_and_report_exactly_their_own() {
    // Location i is suppressed when i % 3 == 0; other comments name rules
    // that find nothing here (unused: reported when their rule ran).
    let n = 3_000;
    let mut s = String::from("http {\n  server {\n    listen 80;\n");
    for i in 0..n {
        match i % 3 {
            0 => s.push_str("    # confaudit:ignore NGX016 -- reason\n"),
            1 => s.push_str("    # confaudit:ignore K8S001,NGX0\n"),
            _ => s.push_str("    # confaudit:ignore ISTIO001\n"),
        }
        s.push_str(&format!(
            "    location /p{i} {{ proxy_pass http://b{i}:80; }}\n"
        ));
    }
    s.push_str("  }\n}\n");
    let files = [("nginx.conf", s)];
    let count = |r: &Report, rule: &str| r.findings.iter().filter(|f| f.rule == rule).count();
    let unused = confaudit::rules::tool::UNUSED_SUPPRESSION;
    // `K8S001,NGX0` covers NGX016 too: only `ISTIO001` lines keep theirs.
    let r = run(&files, &Options::default());
    assert_eq!(count(&r, "NGX016"), n / 3);
    assert_eq!(count(&r, unused), n / 3);
    // With ISTIO ignored, its suppressions name no rule that ran.
    let opts = Options {
        ignore: vec!["ISTIO".into(); 500],
        ..Options::default()
    };
    let r = run(&files, &opts);
    assert_eq!((count(&r, "NGX016"), count(&r, unused)), (n / 3, 0));
}

#[test]
fn hundreds_of_changed_files_are_each_shown_as_named() {
    // A git tree of 600 files; 400 are named (a quarter spelled through
    // `..`: shown as spelled), the other 200 are context.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    std::fs::create_dir_all(dir.path().join("k")).unwrap();
    for i in 0..600 {
        std::fs::write(
            dir.path().join(format!("k/s{i}.yaml")),
            format!("apiVersion: v1\nkind: Service\nmetadata: {{name: s{i}}}\nspec:\n  ports: [{{port: 99999}}]\n"),
        )
        .unwrap();
    }
    let mut args: Vec<String> = Vec::new();
    for i in 0..400 {
        args.push(if i % 4 == 0 {
            format!("./k/../k/s{i}.yaml")
        } else {
            format!("k/s{i}.yaml")
        });
    }
    let out = assert_cmd::Command::cargo_bin("confaudit")
        .unwrap()
        .current_dir(dir.path())
        .args(&args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut paths: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "K8S007")
        .map(|f| f["location"]["path"].as_str().unwrap().to_string())
        .collect();
    paths.sort();
    let mut want: Vec<String> = (0..400)
        .map(|i| {
            if i % 4 == 0 {
                format!("k/../k/s{i}.yaml")
            } else {
                format!("k/s{i}.yaml")
            }
        })
        .collect();
    want.sort();
    assert_eq!(paths, want);
}

#[test]
fn hundreds_of_user_rules_give_their_findings_their_own_severity() {
    // Rule i applies to Service s{i} only; severities take turns.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rules")).unwrap();
    let severity = |i: usize| ["error", "warning", "info"][i % 3];
    let rules: Vec<String> = (0..300)
        .map(|i| {
            format!(
                "id: HOST{i:03}\nseverity: {}\nmessage: m{i}\nkinds:\n  - {{apiVersion: v1, kind: Service, name: s{i}}}\nschema:\n  type: object\n  required: [nosuchfield]\n",
                severity(i)
            )
        })
        .collect();
    std::fs::write(dir.path().join("rules/all.yaml"), rules.join("---\n")).unwrap();
    let mut config = Config::parse("rules: [rules]\n").unwrap();
    config.load_rules(dir.path()).unwrap();
    let opts = Options {
        config,
        ..Options::default()
    };
    let services: Vec<String> = (0..300)
        .rev()
        .map(|i| format!("apiVersion: v1\nkind: Service\nmetadata: {{name: s{i}}}\nspec:\n  ports: [{{port: 80}}]\n"))
        .collect();
    let r = run(&[("svc.yaml", services.join("---\n"))], &opts);
    let mut got: Vec<(String, &str)> = r
        .findings
        .iter()
        .filter(|f| f.rule.starts_with("HOST"))
        .map(|f| (f.rule.to_string(), f.severity.as_str()))
        .collect();
    got.sort();
    let want: Vec<(String, &str)> = (0..300)
        .map(|i| (format!("HOST{i:03}"), severity(i)))
        .collect();
    assert_eq!(got, want);
    // Every renderer names each rule (the JSON `name` is the rule's).
    for f in &r.findings {
        assert!(r.meta(f.rule).is_some(), "{}", f.rule);
    }
}

//! The command as users run it: exit codes, formats, stdin, subcommands.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use assert_cmd::Command;

fn confaudit() -> Command {
    let mut c = Command::cargo_bin("confaudit").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env_remove("CONFAUDIT_TIMING");
    c
}

fn stdout(args: &[&str]) -> (i32, String) {
    let out = confaudit().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn human_output_on_the_demo() {
    let (code, out) = stdout(&["testdata/demo", "--color", "never"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("human_demo", out);
}

#[test]
fn json_output_follows_the_contract() {
    let (code, out) = stdout(&["testdata/demo", "--format", "json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["tool"]["name"], "confaudit");
    let f = &v["findings"][0];
    for key in [
        "rule", "name", "severity", "message", "symptoms", "location", "resource", "related",
        "help",
    ] {
        assert!(f.get(key).is_some(), "finding lacks {key}");
    }
    for key in [
        "files",
        "documents",
        "errors",
        "warnings",
        "infos",
        "skipped",
    ] {
        assert!(v["summary"].get(key).is_some(), "summary lacks {key}");
    }
    insta::assert_snapshot!("json_demo", out);
}

#[test]
fn github_output() {
    let (_, out) = stdout(&["testdata/demo", "--format", "github"]);
    insta::assert_snapshot!("github_demo", out);
}

#[test]
fn sarif_output_snapshot() {
    let (_, out) = stdout(&["testdata/demo", "--format", "sarif"]);
    let mut v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let results = v["runs"][0]["results"].as_array_mut().unwrap();
    for r in results.iter_mut() {
        // The index moves whenever a rule is added; the id is what matters.
        assert!(r["ruleIndex"].is_u64());
        r.as_object_mut().unwrap().remove("ruleIndex");
    }
    insta::assert_json_snapshot!("sarif_demo_results", v["runs"][0]["results"]);
}

fn sarif_schema() -> Option<jsonschema::Validator> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schemas/sarif-schema-2.1.0.json");
    let Ok(text) = std::fs::read_to_string(&p) else {
        eprintln!(
            "NOTICE: {} is absent; SARIF schema validation skipped",
            p.display()
        );
        return None;
    };
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    Some(
        jsonschema::options()
            .should_validate_formats(false)
            .build(&schema)
            .unwrap(),
    )
}

#[test]
fn sarif_is_valid_with_and_without_results() {
    let Some(validator) = sarif_schema() else {
        return;
    };
    for args in [
        &["testdata/demo", "--format", "sarif"][..],
        &["testdata/clean", "--format", "sarif"][..],
    ] {
        let (_, out) = stdout(args);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&v)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{args:?}: {errors:#?}");
    }
}

#[test]
fn clean_tree_exits_zero() {
    let (code, out) = stdout(&["testdata/clean"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("No problems found"));
}

#[test]
fn fail_on_controls_the_exit_code() {
    assert_eq!(stdout(&["testdata/demo", "--fail-on", "never"]).0, 0);
    assert_eq!(
        stdout(&["testdata/demo", "--ignore", "K8S001,K8S005,K8S006"]).0,
        0
    );
    assert_eq!(stdout(&["testdata/demo", "--select", "K8S001"]).0, 1);
}

#[test]
fn bad_arguments_exit_two() {
    assert_eq!(stdout(&["no/such/path"]).0, 2);
    assert_eq!(stdout(&["testdata/demo", "--select", "NOPE123"]).0, 2);
    // Every kind of id is a known selector: the tool's own, prefixes, schema ids.
    for known in ["CA003", "CA", "SCH001", "NGX", "ISTIO024"] {
        assert_ne!(
            stdout(&["testdata/demo", "--ignore", known]).0,
            2,
            "{known}"
        );
    }
    assert_eq!(
        stdout(&["testdata/demo", "--config", "no/such/config.yaml"]).0,
        2
    );
}

#[test]
fn stdin_stream_with_a_name() {
    let text = std::fs::read_to_string("testdata/demo/app.yaml").unwrap();
    let out = confaudit()
        .args(["-", "--stdin-filename", "rendered.yaml", "--format", "json"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["location"]["path"], "rendered.yaml");
}

#[test]
fn stdin_name_holds_for_documents_without_a_source_in_a_helm_stream() {
    let service = |name: &str| {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: default\nspec:\n  selector:\n    app: nothing-{name}\n  ports:\n    - port: 80\n"
        )
    };
    let text = format!(
        "{}---\n# Source: chart/templates/b.yaml\n{}",
        service("a"),
        service("b")
    );
    let out = confaudit()
        .args(["-", "--stdin-filename", "rendered.yaml", "--format", "json"])
        .write_stdin(text)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut paths: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect();
    paths.sort_unstable();
    paths.dedup();
    assert_eq!(paths, ["chart/templates/b.yaml", "rendered.yaml"]);
}

#[test]
fn symptom_filters_and_orders() {
    let (_, out) = stdout(&[
        "testdata/demo",
        "--format",
        "json",
        "--symptom",
        "upstream connect error or disconnect/reset before headers. reset reason: connection failure",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"K8S001"));
    assert!(!rules.contains(&"K8S006"), "{rules:?}");
}

#[test]
fn rules_and_explain() {
    let (code, out) = stdout(&["rules", "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v.as_array().unwrap().iter().any(|r| r["id"] == "K8S001"));
    let (code, out) = stdout(&["explain", "K8S001"]);
    assert_eq!(code, 0);
    assert!(out.contains("service-target-port-not-exposed") && out.contains("Fix"));
    assert_eq!(stdout(&["explain", "NOPE"]).0, 2);
}

#[test]
fn output_file_and_determinism_across_threads() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one.json");
    let two = dir.path().join("two.json");
    confaudit()
        .args(["testdata", "--format", "json", "--threads", "1", "-o"])
        .arg(&one)
        .output()
        .unwrap();
    confaudit()
        .args(["testdata", "--format", "json", "--threads", "2", "-o"])
        .arg(&two)
        .output()
        .unwrap();
    let a = std::fs::read(&one).unwrap();
    assert!(!a.is_empty());
    assert_eq!(a, std::fs::read(&two).unwrap());
}

#[test]
fn templates_are_skipped_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("svc.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.name }}\n",
    )
    .unwrap();
    let out = confaudit()
        .arg(dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reason = v["summary"]["skipped"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("helm template"), "{reason}");
}

#[test]
fn config_file_is_found_upward_and_applied() {
    let dir = tempfile::tempdir().unwrap();
    let deploy = dir.path().join("deploy");
    std::fs::create_dir(&deploy).unwrap();
    std::fs::copy("testdata/demo/app.yaml", deploy.join("app.yaml")).unwrap();
    std::fs::write(
        dir.path().join(".confaudit.yaml"),
        "severity:\n  K8S001: warning\n  K8S006: info\n",
    )
    .unwrap();
    let out = confaudit()
        .arg(&deploy)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    std::fs::write(dir.path().join(".confaudit.yaml"), "bogus: 1\n").unwrap();
    assert_eq!(
        confaudit().arg(&deploy).output().unwrap().status.code(),
        Some(2)
    );
}

#[test]
fn an_empty_rule_selector_names_no_rule() {
    // A trailing comma or blank entry was a prefix of every rule id: it
    // ignored (or, in `select`, kept) all of them, parse errors included.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.yaml"), "kind: [\n").unwrap();
    let rules = |extra: &[&str], config: &str| {
        std::fs::write(dir.path().join(".confaudit.yaml"), config).unwrap();
        let out = confaudit()
            .arg(dir.path())
            .args(["--format", "json"])
            .args(extra)
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let ids: Vec<String> = v["findings"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|f| f["rule"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default();
        (out.status.code(), ids)
    };
    let parse_error = (Some(1), vec!["CA001".to_string()]);
    assert_eq!(rules(&["--ignore", "ISTIO,"], "{}\n"), parse_error);
    assert_eq!(rules(&["--ignore", " "], "{}\n"), parse_error);
    assert_eq!(rules(&[], "ignore: ['']\n"), parse_error);
    assert_eq!(rules(&[], "select: ['', ' ']\n"), parse_error);
    assert_eq!(rules(&[], "per-path-ignores: {'**': ['']}\n"), parse_error);
    // An unknown id in the config is an error, as it is on the command line
    // (`select: [K8S0001]` turned every check off).
    assert_eq!(rules(&[], "select: [K8S0001]\n").0, Some(2));
    assert_eq!(rules(&[], "ignore: [NOPE]\n").0, Some(2));
    assert_eq!(rules(&[], "severity: {NOPE1: info}\n").0, Some(2));
    assert_eq!(rules(&[], "per-path-ignores: {'**': [NOPE]}\n").0, Some(2));
    // A setting of the wrong type is an error, not ignored.
    assert_eq!(rules(&[], "ignore: {K8S003: x}\n").0, Some(2));
}

#[cfg(unix)]
#[test]
fn an_endless_config_or_baseline_is_refused_not_read_forever() {
    for option in ["--config", "--baseline"] {
        let out = confaudit()
            .args(["testdata/demo", option, "/dev/zero"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{option}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("larger than"), "{option}: {err}");
    }
}

#[test]
fn a_huge_thread_count_is_capped() {
    // 2,000 threads made a one-file run take 35 s (4,000: minutes).
    let (code, _) = stdout(&["testdata/demo", "--threads", "100000", "--format", "json"]);
    assert_eq!(code, 1);
}

#[test]
fn nginx_version_changes_the_keepalive_defaults() {
    let case = "testdata/cases/nginx-keepalive";
    let rules = |extra: &[&str]| {
        let mut args = vec![case, "--format", "json"];
        args.extend_from_slice(extra);
        let (_, out) = stdout(&args);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    // Default 1.28.0: keepalive needs HTTP/1.1 and `Connection ""`.
    assert!(rules(&[]).iter().any(|r| r == "NGX010"));
    // 1.29.7 made them the defaults.
    assert!(
        !rules(&["--nginx-version", "1.30.0"])
            .iter()
            .any(|r| r == "NGX010")
    );
    let (code, _) = stdout(&[case, "--nginx-version", "one.two"]);
    assert_eq!(code, 2);
}

#[test]
fn one_included_file_gets_each_locations_finding() {
    // proxy.conf is read in two locations: a Socket.IO one (a warning, the
    // client falls back to polling) and a plain one (an error). Both are
    // findings at the include's line; the error sets the exit code.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("nginx.conf"),
        "events {}\nhttp {\n  server {\n    listen 80;\n    location /socket.io/ { include proxy.conf; }\n    location /ws/ { include proxy.conf; }\n  }\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("proxy.conf"),
        "proxy_pass http://127.0.0.1:8080;\n",
    )
    .unwrap();
    let out = confaudit()
        .arg(dir.path())
        .args(["--format", "json", "--select", "NGX014"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut severities: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    severities.sort_unstable();
    assert_eq!(severities, ["error", "warning"], "{v}");
}

#[test]
fn timing_goes_to_stderr_and_leaves_the_report_alone() {
    let plain = confaudit()
        .args(["testdata/demo", "--format", "json"])
        .output()
        .unwrap();
    let timed = confaudit()
        .args(["testdata/demo", "--format", "json"])
        .env("CONFAUDIT_TIMING", "1")
        .output()
        .unwrap();
    assert_eq!(plain.stdout, timed.stdout);
    assert_eq!(plain.status.code(), timed.status.code());
    assert!(plain.stderr.is_empty());
    let table = String::from_utf8(timed.stderr).unwrap();
    let phases: Vec<&str> = table
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("rules:"))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        phases,
        [
            "discover", "read", "model", "nginx", "rules", "findings", "report", "render", "write"
        ]
    );
    // The demo's rules ran and were counted.
    assert!(table.contains(" rules; slowest:"), "{table}");
    assert!(!table.contains("over 0 rules"), "{table}");
}

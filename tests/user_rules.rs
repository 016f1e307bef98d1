//! User-defined rules (`rules:` in `.confaudit.yaml`): a failing and a passing
//! object for each, in every output format, selectable, suppressible and
//! listed by `confaudit rules` and in SARIF.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const TREE: &str = "testdata/user-rules/deploy";

fn confaudit() -> Command {
    let mut c = Command::cargo_bin("confaudit").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR");
    c
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = confaudit().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json(args: &[&str]) -> Value {
    let (_, out, err) = run(args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"))
}

/// (rule, path, line) of every finding of a JSON report.
fn found(v: &Value) -> Vec<(String, String, u64)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["location"]["path"].as_str().unwrap().to_string(),
                f["location"]["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn json_reports_failing_objects_only() {
    // The config is found upward from the tree.
    let v = json(&[TREE, "--format", "json", "--select", "ACME"]);
    assert_eq!(
        found(&v),
        vec![
            (
                "ACME002".to_string(),
                format!("{TREE}/destination-rules.yaml"),
                6
            ),
            ("ACME001".to_string(), format!("{TREE}/services.yaml"), 10),
        ],
        "{v:#}"
    );
    let dr = &v["findings"][0];
    assert_eq!(dr["name"], "destination-rule-outlier-detection");
    assert_eq!(dr["severity"], "error");
    assert_eq!(dr["symptoms"], serde_json::json!(["no_healthy_upstream"]));
    assert_eq!(dr["resource"]["kind"], "DestinationRule");
    assert_eq!(dr["resource"]["name"], "cart");
    assert!(
        dr["message"]
            .as_str()
            .unwrap()
            .contains("`outlierDetection` is missing from `spec.trafficPolicy`")
    );
    assert!(
        dr["help"]
            .as_str()
            .unwrap()
            .contains("consecutive5xxErrors")
    );
    let port = &v["findings"][1];
    assert_eq!(port["severity"], "warning");
    assert_eq!(port["location"]["start"]["column"], 7);
}

#[test]
fn every_output_format_carries_user_rules() {
    let (code, human, _) = run(&[TREE, "--select", "ACME", "--color", "never"]);
    assert_eq!(code, 1);
    assert!(
        human.contains("ACME001(service-port-app-protocol)"),
        "{human}"
    );
    assert!(human.contains("ACME002(destination-rule-outlier-detection)"));
    assert!(human.contains("services.yaml:10:7"), "{human}");

    let (_, github, _) = run(&[TREE, "--select", "ACME", "--format", "github"]);
    assert!(
        github.contains("::warning file=testdata/user-rules/deploy/services.yaml,line=10,col=7,")
    );
    assert!(github.contains("title=ACME002 destination-rule-outlier-detection::"));

    let (_, lines, _) = run(&[TREE, "--select", "ACME", "--format", "jsonl"]);
    assert_eq!(lines.lines().count(), 2);

    let sarif = json(&[TREE, "--select", "ACME", "--format", "sarif"]);
    let run0 = &sarif["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let acme1 = rules.iter().position(|r| r["id"] == "ACME001").unwrap();
    assert_eq!(rules[acme1]["name"], "service-port-app-protocol");
    assert_eq!(rules[acme1]["defaultConfiguration"]["level"], "warning");
    let results = run0["results"].as_array().unwrap();
    let r = results.iter().find(|r| r["ruleId"] == "ACME001").unwrap();
    assert_eq!(r["ruleIndex"], acme1);
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"]["startLine"],
        10
    );
    if let Some(validator) = sarif_schema() {
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
}

fn sarif_schema() -> Option<jsonschema::Validator> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schemas/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(&p).ok()?;
    let schema: Value = serde_json::from_str(&text).unwrap();
    Some(
        jsonschema::options()
            .should_validate_formats(false)
            .build(&schema)
            .unwrap(),
    )
}

#[test]
fn selection_severity_and_suppression_work_like_built_in_rules() {
    // --ignore by id, prefix selection.
    let v = json(&[
        TREE, "--format", "json", "--select", "ACME", "--ignore", "ACME002",
    ]);
    assert_eq!(found(&v).len(), 1);
    // The legacy Service's port is suppressed by a comment, and the
    // suppression is used (no CA003 for it).
    let all = json(&[TREE, "--format", "json"]);
    assert!(
        !found(&all)
            .iter()
            .any(|(r, _, l)| r == "CA003" || (r == "ACME001" && *l > 12))
    );
    // A config can override a user rule's severity, like any rule's.
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/user-rules");
    std::fs::write(
        dir.path().join(".confaudit.yaml"),
        format!(
            "rules: [{}]\nseverity: {{ACME001: error}}\n",
            root.join("rules/service-app-protocol.yaml").display()
        ),
    )
    .unwrap();
    std::fs::copy(root.join("deploy/services.yaml"), dir.path().join("s.yaml")).unwrap();
    let out = confaudit()
        .arg(dir.path())
        .args(["--format", "json", "--select", "ACME"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["severity"], "error");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn rules_and_explain_list_user_rules() {
    let (code, out, _) = run(&[
        "rules",
        "--format",
        "json",
        "--config",
        "testdata/user-rules/.confaudit.yaml",
    ]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"ACME001") && ids.contains(&"ACME002") && ids.contains(&"SCH001"));
    let (code, out, _) = run(&[
        "explain",
        "ACME002",
        "--config",
        "testdata/user-rules/.confaudit.yaml",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("every DestinationRule must eject failing endpoints"));
}

#[test]
fn a_broken_rule_file_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".confaudit.yaml"), "rules: [r.yaml]\n").unwrap();
    std::fs::write(
        dir.path().join("r.yaml"),
        "id: ACME9\nmessage: m\nkinds: [{apiVersion: v1, kind: Service}]\nschema: {type: 12}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("a.yaml"), "apiVersion: v1\nkind: Service\n").unwrap();
    let out = confaudit().arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("ACME9: the schema is invalid"), "{err}");
    // A pattern only a backtracking engine runs: refused, not judged
    // valid once a value makes the match give up.
    std::fs::write(
        dir.path().join("r.yaml"),
        "id: ACME9\nmessage: m\nkinds: [{apiVersion: v1, kind: Service}]\nschema: {properties: {metadata: {properties: {name: {pattern: '^(a|aa)+(b|\\1)*$'}}}}}\n",
    )
    .unwrap();
    let out = confaudit().arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("no backreferences"), "{err}");
    std::fs::write(
        dir.path().join(".confaudit.yaml"),
        "rules: [missing.yaml]\n",
    )
    .unwrap();
    assert_eq!(
        confaudit().arg(dir.path()).output().unwrap().status.code(),
        Some(2)
    );
}

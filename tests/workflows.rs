//! Where users run it: baselines, changed files with context, rendered Helm
//! streams, CI formats, statistics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use assert_cmd::Command;

const SVC: &str = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports:\n    - name: http\n      port: 80\n      targetPort: 9999\n";
const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: web, ports: [{name: http, containerPort: 8080}]}]\n";

fn cmd(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("confaudit").unwrap();
    c.current_dir(dir);
    c
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn baseline_survives_inserted_lines() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.yaml"), format!("{SVC}---\n{DEPLOY}")).unwrap();
    let out = cmd(dir.path())
        .args([".", "--write-baseline", "base.json", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // Lines inserted above the finding: it is still the same finding.
    std::fs::write(
        dir.path().join("app.yaml"),
        format!("# a comment\n# another\n{SVC}---\n{DEPLOY}"),
    )
    .unwrap();
    let out = cmd(dir.path())
        .args([".", "--baseline", "base.json", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(json(&out)["findings"].as_array().unwrap().len(), 0);
    // A new problem is reported.
    let broken = SVC
        .replace("name: web}", "name: web2}")
        .replace("app: web}\n  ports", "app: nope}\n  ports");
    std::fs::write(dir.path().join("new.yaml"), broken).unwrap();
    let out = cmd(dir.path())
        .args([".", "--baseline", "base.json", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        json(&out)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["location"]["path"] == "new.yaml")
    );
}

#[test]
fn a_baseline_rewritten_in_place_keeps_every_finding() {
    // `--baseline b --write-baseline b` (updating a baseline) wrote only the
    // findings the old one did not hold: they came back on the next run.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.yaml"), format!("{SVC}---\n{DEPLOY}")).unwrap();
    let run = |args: &[&str]| cmd(dir.path()).args(args).output().unwrap();
    // Update the baseline in place, as a CI job would.
    let update = || {
        run(&[
            ".",
            "--baseline",
            "base.json",
            "--write-baseline",
            "base.json",
            "--format",
            "json",
        ])
    };
    run(&[".", "--write-baseline", "base.json"]);
    let before = std::fs::read_to_string(dir.path().join("base.json")).unwrap();
    let out = update();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["findings"].as_array().unwrap().len(), 0);
    let after = std::fs::read_to_string(dir.path().join("base.json")).unwrap();
    let findings =
        |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap()["findings"].clone();
    assert_eq!(findings(&after), findings(&before));
    assert_eq!(findings(&after).as_array().unwrap().len(), 1);
    assert_eq!(
        run(&[".", "--baseline", "base.json"]).status.code(),
        Some(0)
    );
    // A new finding in the updating run is still reported (the old
    // baseline is read before the new one is written over it).
    std::fs::write(
        dir.path().join("new.yaml"),
        SVC.replace("name: web}", "name: other}"),
    )
    .unwrap();
    let out = update();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["findings"].as_array().unwrap().len(), 1);
}

#[test]
fn changed_file_in_a_git_tree_keeps_cross_file_context() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(dir.path().join("svc.yaml"), SVC).unwrap();
    std::fs::write(dir.path().join("deploy.yaml"), DEPLOY).unwrap();
    std::fs::write(
        dir.path().join("other.yaml"),
        SVC.replace("name: web}", "name: other}")
            .replace("app: web}", "app: none}"),
    )
    .unwrap();
    // Only svc.yaml is passed; the Deployment in deploy.yaml is still known.
    let out = cmd(dir.path())
        .args(["svc.yaml", "--format", "json"])
        .output()
        .unwrap();
    let v = json(&out);
    let rules: Vec<(&str, &str)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap(),
                f["location"]["path"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        vec![("K8S001", "svc.yaml")],
        "findings on other.yaml must not be reported"
    );
    // Without context the Deployment is unknown and K8S001 cannot be decided.
    let out = cmd(dir.path())
        .args(["svc.yaml", "--no-context", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        json(&out)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["rule"] != "K8S001")
    );
}

#[test]
fn a_change_that_breaks_another_file_is_reported_there() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports:\n    - name: web\n      port: 8080\n";
    let ing = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\nspec:\n  defaultBackend:\n    service: {name: web, port: {name: http}}\n";
    std::fs::write(dir.path().join("svc.yaml"), svc).unwrap();
    std::fs::write(dir.path().join("ingress.yaml"), ing).unwrap();
    let out = cmd(dir.path())
        .args(["svc.yaml", "--format", "json"])
        .output()
        .unwrap();
    let v = json(&out);
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "K8S005");
    assert_eq!(f["location"]["path"], "ingress.yaml");
    assert!(f["message"].as_str().unwrap().contains("svc.yaml changed"));
}

#[test]
fn helm_stream_findings_name_the_template() {
    let stream = format!(
        "---\n# Source: shop/templates/service.yaml\n{SVC}---\n# Source: shop/templates/deployment.yaml\n{DEPLOY}"
    );
    let out = Command::cargo_bin("confaudit")
        .unwrap()
        .args(["-", "--format", "json"])
        .write_stdin(stream)
        .output()
        .unwrap();
    let v = json(&out);
    assert_eq!(
        v["findings"][0]["location"]["path"],
        "shop/templates/service.yaml"
    );
    assert_eq!(v["findings"][0]["location"]["start"]["line"], 10);
}

#[test]
fn junit_gitlab_and_statistics() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.yaml"), format!("{SVC}---\n{DEPLOY}")).unwrap();
    let out = cmd(dir.path())
        .args([".", "--format", "junit"])
        .output()
        .unwrap();
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(
        xml.starts_with("<?xml")
            && xml.contains("<failure type=\"error\"")
            && xml.contains("K8S001")
    );
    let out = cmd(dir.path())
        .args([".", "--format", "gitlab"])
        .output()
        .unwrap();
    let v = json(&out);
    assert_eq!(v[0]["severity"], "critical");
    assert_eq!(v[0]["location"]["lines"]["begin"], 9);
    assert!(v[0]["fingerprint"].as_str().unwrap().len() == 16);
    let out = cmd(dir.path())
        .args([".", "--statistics"])
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().contains("1  K8S001"));
    let stats = |format: &str| {
        cmd(dir.path())
            .args([".", "--statistics", "--format", format])
            .output()
            .unwrap()
    };
    assert_eq!(json(&stats("json"))[0]["rule"], "K8S001");
    let lines = String::from_utf8(stats("jsonl").stdout).unwrap();
    for line in lines.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["count"].as_u64().unwrap() >= 1, "{line}");
    }
    assert!(lines.contains("\"K8S001\""));
    // No counts where SARIF, JUnit, GitLab or annotations are expected.
    for format in ["sarif", "junit", "gitlab", "github"] {
        let out = stats(format);
        assert_eq!(out.status.code(), Some(2), "{format}");
        assert!(out.stdout.is_empty(), "{format}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--statistics"));
    }
    // A clean run is one passing JUnit case.
    std::fs::write(dir.path().join("app.yaml"), DEPLOY).unwrap();
    let out = cmd(dir.path())
        .args([".", "--format", "junit"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("name=\"no findings\"")
    );
}

#[test]
fn kustomize_without_the_tool_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("confaudit")
        .unwrap()
        .arg("--kustomize")
        .arg(dir.path())
        .env("PATH", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("kubectl"));
}

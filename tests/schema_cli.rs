//! Schema findings through the command, in every output format: for each
//! schema family, the failing fixture (`testdata/cases/schema-*.yaml`, whose
//! `# expect:` markers name the lines) and a passing one
//! (`testdata/schema-pass/*.yaml`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use assert_cmd::Command;
use serde_json::Value;

const FAMILIES: [&str; 4] = ["kubernetes", "istio", "gateway-api", "envoy"];

fn run(args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("confaudit")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// (rule, line) pairs the fixture's `# expect:` markers name for SCH rules.
fn expected(path: &str) -> BTreeSet<(String, u64)> {
    let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap();
    let mut out = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        if let Some((_, rules)) = line.split_once("# expect: ") {
            for r in rules
                .split(',')
                .map(str::trim)
                .filter(|r| r.starts_with("SCH"))
            {
                out.insert((r.to_string(), i as u64 + 1));
            }
        }
    }
    out
}

#[test]
fn failing_fixtures_in_every_format() {
    for fam in FAMILIES {
        let path = format!("testdata/cases/schema-{fam}.yaml");
        let want = expected(&path);
        assert!(!want.is_empty(), "{path}: no SCH expectation");

        let (code, out) = run(&[&path, "--select", "SCH", "--format", "json"]);
        assert_eq!(code, 1, "{path}");
        let v: Value = serde_json::from_str(&out).unwrap();
        let got: BTreeSet<(String, u64)> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["location"]["start"]["line"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, want, "{path} (json)");
        for f in v["findings"].as_array().unwrap() {
            assert!(f["name"].as_str().is_some_and(|n| !n.is_empty()));
            assert!(
                f["help"].as_str().is_some() || f["rule"] == "SCH003",
                "{f:#}"
            );
        }

        let (_, out) = run(&[&path, "--select", "SCH", "--format", "sarif"]);
        let v: Value = serde_json::from_str(&out).unwrap();
        let got: BTreeSet<(String, u64)> = v["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["ruleId"].as_str().unwrap().to_string(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap(),
                )
            })
            .collect();
        assert_eq!(got, want, "{path} (sarif)");

        let (_, out) = run(&[&path, "--select", "SCH", "--format", "github"]);
        for (rule, line) in &want {
            assert!(
                out.lines().any(|l| l.contains(&format!(",line={line},"))
                    && l.contains(&format!("title={rule} "))),
                "{path} (github): no {rule} on line {line}\n{out}"
            );
        }

        let (_, out) = run(&[&path, "--select", "SCH", "--color", "never"]);
        for (rule, line) in &want {
            assert!(
                out.contains(&format!("{rule}(")),
                "{path} (human): no {rule}"
            );
            assert!(
                out.contains(&format!("{path}:{line}:")),
                "{path} (human): no location on line {line}\n{out}"
            );
        }
    }
}

#[test]
fn passing_fixtures_are_clean_in_every_format() {
    for fam in FAMILIES {
        let path = format!("testdata/schema-pass/{fam}.yaml");
        let (code, out) = run(&[&path, "--select", "SCH", "--format", "json"]);
        assert_eq!(code, 0, "{path}: {out}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["findings"], serde_json::json!([]), "{path}");
        let (_, out) = run(&[&path, "--select", "SCH", "--format", "sarif"]);
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["runs"][0]["results"], serde_json::json!([]), "{path}");
        let (_, out) = run(&[&path, "--select", "SCH", "--format", "github"]);
        assert!(out.trim().is_empty(), "{path}: {out}");
        let (_, out) = run(&[&path, "--select", "SCH", "--color", "never"]);
        assert!(out.contains("No problems found"), "{path}: {out}");
    }
}

#[test]
fn ignoring_sch_skips_validation() {
    let (code, out) = run(&[
        "testdata/cases/schema-kubernetes.yaml",
        "--format",
        "json",
        "--ignore",
        "SCH",
    ]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| !f["rule"].as_str().unwrap().starts_with("SCH"))
    );
}

//! Hostile input: every run completes with a clear finding or skip reason,
//! and the other files are still analysed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use assert_cmd::Command;

fn run_on(files: &[(&str, Vec<u8>)]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    // A real finding beside the hostile files proves they do not hide results.
    std::fs::write(
        dir.path().join("svc.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  ports: [{port: 99999}]\n",
    )
    .unwrap();
    let out = Command::cargo_bin("confaudit")
        .unwrap()
        .arg(dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{:?}", out);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "K8S007"),
        "other files still analysed"
    );
    v
}

fn rules_at(v: &serde_json::Value, path_end: &str) -> Vec<(String, u64)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["location"]["path"].as_str().unwrap().ends_with(path_end))
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["location"]["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn invalid_utf8_is_a_finding_at_the_byte() {
    let v = run_on(&[(
        "bad.yaml",
        b"kind: Service\nmetadata:\n  name: \xff\n".to_vec(),
    )]);
    assert_eq!(rules_at(&v, "bad.yaml"), vec![("CA001".to_string(), 3)]);
}

#[test]
fn binary_and_utf16_files_are_skipped_with_a_reason() {
    let v = run_on(&[
        ("bin.yaml", vec![0, 1, 2, 3]),
        ("u16.yaml", vec![0xFF, 0xFE, b'a', 0]),
    ]);
    let skipped = v["summary"]["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
}

#[test]
fn alias_bombs_and_deep_nesting_are_bounded() {
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..60 {
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n",
            p = i - 1
        ));
    }
    let deep = "[".repeat(50_000);
    let indent: String = (0..2000)
        .map(|i| format!("{}k:\n", "  ".repeat(i)))
        .collect();
    let v = run_on(&[
        ("bomb.yaml", bomb.into_bytes()),
        ("deep.yaml", deep.into_bytes()),
        ("indent.yaml", indent.into_bytes()),
    ]);
    assert!(!rules_at(&v, "deep.yaml").is_empty());
    assert!(!rules_at(&v, "indent.yaml").is_empty());
}

#[test]
fn many_documents_are_capped() {
    let docs = "---\na: 1\n".repeat(210_000);
    let v = run_on(&[("docs.yaml", docs.into_bytes())]);
    assert!(rules_at(&v, "docs.yaml").iter().any(|(r, _)| r == "CA004"));
}

#[test]
fn oversized_files_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.yaml"), "a: 1\n".repeat(1000)).unwrap();
    let out = Command::cargo_bin("confaudit")
        .unwrap()
        .arg(dir.path())
        .args(["--format", "json", "--max-file-size", "1k"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["summary"]["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("limit")
    );
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
    std::fs::write(dir.path().join("a.yaml"), "a: 1\n").unwrap();
    let out = Command::cargo_bin("confaudit")
        .unwrap()
        .arg(dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

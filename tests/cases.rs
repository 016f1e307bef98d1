//! Incident cases under `testdata/cases/`: each file or directory is one run.
//! A comment `# expect: RULE[,RULE]` at the end of a line says a finding of
//! that rule must start on that line; every finding must be expected.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use confaudit::pipeline::{Input, Options, analyze};

fn files_of(case: &Path) -> Vec<PathBuf> {
    if case.is_file() {
        return vec![case.to_path_buf()];
    }
    let mut out = Vec::new();
    let mut stack = vec![case.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn expectations(display: &str, text: &str) -> BTreeSet<(String, usize, String)> {
    let mut out = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        if let Some((_, rest)) = line.split_once("# expect: ") {
            for rule in rest.split(',') {
                out.insert((display.to_string(), i + 1, rule.trim().to_string()));
            }
        }
    }
    out
}

#[test]
fn incident_cases_fire_on_the_expected_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/cases");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(!cases.is_empty());
    let mut failures = Vec::new();
    for case in &cases {
        let mut inputs = Vec::new();
        let mut expected = BTreeSet::new();
        for f in files_of(case) {
            let display = f
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&f).unwrap();
            expected.extend(expectations(&display, &text));
            inputs.push(Input::Text { display, text });
        }
        let report = analyze(inputs, Vec::new(), &Options::default());
        let got: BTreeSet<(String, usize, String)> = report
            .findings
            .iter()
            .map(|f| {
                let src = report.sources.get(f.loc.file).unwrap();
                (
                    src.path.clone(),
                    src.line_of(f.loc.span.start),
                    f.rule.to_string(),
                )
            })
            .collect();
        if got != expected {
            let missing: Vec<_> = expected.difference(&got).collect();
            let extra: Vec<_> = report
                .findings
                .iter()
                .filter(|f| {
                    let src = report.sources.get(f.loc.file).unwrap();
                    !expected.contains(&(
                        src.path.clone(),
                        src.line_of(f.loc.span.start),
                        f.rule.to_string(),
                    ))
                })
                .map(|f| {
                    format!(
                        "{} {}: {}",
                        f.rule,
                        report.sources.get(f.loc.file).unwrap().path,
                        f.message
                    )
                })
                .collect();
            failures.push(format!(
                "{}:\n  missing: {missing:?}\n  unexpected: {extra:#?}",
                case.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

//! Every rule's metadata and code correspond one to one, and every rule's own
//! examples behave: the failing one fires, the passing one does not.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeSet;

use confaudit::finding::Severity;
use confaudit::pipeline::{Input, Options, analyze};
use confaudit::rules::{self, meta};

/// An example may carry a `.confaudit.yaml` (thresholds a rule needs); it is
/// applied as the run's config, not analysed.
fn run(files: &[(String, String)]) -> confaudit::pipeline::Report {
    run_with(files, Options::default())
}

fn run_with(files: &[(String, String)], mut opts: Options) -> confaudit::pipeline::Report {
    let mut inputs = Vec::new();
    for (name, text) in files {
        if name == ".confaudit.yaml" {
            opts.config = confaudit::config::Config::parse(text).unwrap();
        } else {
            inputs.push(Input::Text {
                display: name.clone(),
                text: text.clone(),
            });
        }
    }
    analyze(inputs, Vec::new(), &opts)
}

#[test]
fn metadata_files_parse_and_match_their_names() {
    for (file, src) in meta::RULE_FILES {
        let m = meta::parse_meta(file, src).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            format!("{}.yaml", m.id),
            *file,
            "id must match the file name"
        );
        for field in [&m.name, &m.summary, &m.why, &m.fix] {
            assert!(
                !field.is_empty(),
                "{file}: name, summary, why and fix are required"
            );
        }
        assert!(!m.references.is_empty(), "{file}: at least one reference");
        assert!(
            !m.fail.files.is_empty() && !m.pass.files.is_empty(),
            "{file}: needs a failing and a passing example"
        );
        assert!(
            m.name
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_lowercase())
                && m.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{file}: name is kebab-case"
        );
    }
}

#[test]
fn every_check_has_metadata_and_every_metadata_has_a_check() {
    let code: BTreeSet<&str> = rules::all().map(|r| r.id).chain(rules::tool::ALL).collect();
    let docs: BTreeSet<&str> = meta::all().iter().map(|m| m.id.as_str()).collect();
    assert_eq!(code, docs);
    let names: BTreeSet<&str> = meta::all().iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names.len(), docs.len(), "rule names are unique");
}

#[test]
fn failing_examples_fire() {
    for m in meta::all() {
        let report = run(&m.fail.files);
        assert!(
            report.findings.iter().any(|f| f.rule == m.id),
            "{}: the failing example does not fire; findings: {:#?}",
            m.id,
            report.findings
        );
    }
}

/// Documents drop their trees once read unless a later stage reads them
/// (`read_k8s::reads_tree_later`): a kind listed there by mistake would
/// hide findings of the rules that read it, so every example must find the
/// same with every tree kept.
#[test]
fn dropped_trees_hide_no_finding() {
    let keep = || Options {
        keep_trees: true,
        ..Options::default()
    };
    let show = |r: &confaudit::pipeline::Report| format!("{:?}", r.findings);
    for m in meta::all() {
        for ex in [&m.fail, &m.pass] {
            assert_eq!(
                show(&run(&ex.files)),
                show(&run_with(&ex.files, keep())),
                "{}",
                m.id
            );
        }
    }
}

#[test]
fn passing_examples_are_clean() {
    for m in meta::all() {
        let report = run(&m.pass.files);
        let bad: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.rule == m.id || f.severity == Severity::Error)
            .collect();
        assert!(
            bad.is_empty(),
            "{}: the passing example has findings: {bad:#?}",
            m.id
        );
    }
}

#[test]
fn readme_and_migration_guide_name_every_rule() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let missing: Vec<&str> = meta::all()
        .iter()
        .map(|m| m.id.as_str())
        .filter(|id| !readme.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md does not list {missing:?}: paste `confaudit rules` into its Rules section"
    );
}

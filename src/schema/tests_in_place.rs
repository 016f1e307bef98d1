//! Validation in place must say exactly what validation of the converted
//! value says: every resource of `testdata/`, and variants of each with one
//! value or key changed (wrong types, unknown keys, YAML 1.1 words, nesting),
//! validated both ways.

use crate::fuzzing::validate_both_ways;
use crate::load;
use crate::load::DocKind;
use crate::model::k8s::Object;
use crate::schema::catalog;
use crate::schema::convert::Typing;
use crate::schema::tree_json::{Reading, TreeValue, validates_in_place};

/// Values a variant puts in place of one scalar.
const VALUES: [&str; 12] = [
    "yes",
    "\"80\"",
    "80",
    "[a, 1]",
    "{a: 1, b: [x]}",
    "~",
    "1.5",
    "-1",
    "99999999999",
    "0x1F",
    "TCP",
    "\"\"",
];

fn files() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
                && let Ok(text) = std::fs::read_to_string(&p)
            {
                out.push((p.display().to_string(), text));
            }
        }
    }
    out.sort();
    out
}

/// Variants of a file: line `i` with its value replaced, or with an unknown
/// key added beside it.
fn variants(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let edited = if let Some((key, value)) = line.split_once(": ")
            && !value.trim().is_empty()
            && !key.trim_start().starts_with('#')
        {
            let v = VALUES.get(i % VALUES.len()).copied().unwrap_or("x");
            format!("{key}: {v}")
        } else if line.trim_end().ends_with(':') && !line.trim_start().starts_with('-') {
            let indent = line.len() - line.trim_start().len();
            format!("{line}\n{}  unknownField{i}: 1", " ".repeat(indent))
        } else {
            continue;
        };
        let mut v: Vec<&str> = lines.clone();
        if let Some(slot) = v.get_mut(i) {
            *slot = &edited;
        }
        out.push(v.join("\n"));
    }
    out
}

#[test]
fn in_place_validation_says_what_converted_validation_says() {
    let (mut compared, mut with_issues) = (0, 0);
    for (path, text) in files() {
        for t in std::iter::once(text.clone()).chain(variants(&text)) {
            let (c, w) = validate_both_ways(&path, &t);
            compared += c;
            with_issues += w;
        }
    }
    // The comparison must have had something to compare, errors included.
    assert!(compared > 5_000, "only {compared} resources compared");
    assert!(
        with_issues > 1_000,
        "only {with_issues} resources with issues"
    );
}

#[test]
fn trees_that_are_not_plain_are_converted() {
    let cases = [
        ("a: &x 1\nb: *x\n", "shared"),
        ("a: 1\na: 2\n", "duplicate"),
        ("a: 0755\n", "leading zero"),
        ("? [a]\n: 1\n", "complex key"),
    ];
    for (text, why) in cases {
        let lf = load::load(0, "x.yaml", text);
        let doc = lf.docs.first().expect("a document");
        assert!(!validates_in_place(doc), "{why}");
    }
    let lf = load::load(0, "x.yaml", "a: {b: [1, \"0755\", yes]}\n");
    assert!(lf.docs.iter().all(validates_in_place));
}

/// The quick schemas say "valid" only where jsonschema does, and say it for
/// nearly every resource jsonschema accepts (else they would save nothing).
#[test]
fn quick_schemas_accept_only_what_jsonschema_accepts() {
    let (mut valid, mut quick, mut invalid) = (0, 0, 0);
    for (path, text) in files() {
        for t in std::iter::once(text.clone()).chain(variants(&text)) {
            let lf = load::load(0, &path, &t);
            for (doc, kind) in lf.docs.iter().zip(&lf.doc_kinds) {
                let Some(root) = doc.root() else { continue };
                if *kind != DocKind::K8s || !validates_in_place(doc) {
                    continue;
                }
                let Some(o) = Object::new(root, "default") else {
                    continue;
                };
                let how = Reading::plain(Typing::Kubernetes);
                for (family, def) in catalog::for_object(o.api_version, o.kind) {
                    let v = family.tree_validator(def).expect("a validator");
                    let accepted = v.is_valid(TreeValue::root(root, how));
                    let q = family.quick(def).expect("a quick schema");
                    let quick_accepts = q.accepts(root, &how);
                    assert!(
                        accepted || !quick_accepts,
                        "{path}: quick schema {def} accepts what jsonschema refuses:\n{t}"
                    );
                    valid += usize::from(accepted);
                    invalid += usize::from(!accepted);
                    quick += usize::from(quick_accepts);
                }
            }
        }
    }
    assert!(
        valid > 5_000 && invalid > 1_000,
        "{valid} valid, {invalid} invalid"
    );
    assert!(
        quick * 100 >= valid * 99,
        "quick verdicts on {quick} of {valid} valid"
    );
}

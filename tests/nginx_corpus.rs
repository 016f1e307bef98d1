//! Runs the NGINX parser over every nginx file of the shared corpus
//! (`../shared/corpus/nginx/`: realworld, gixy-*, ingress-nginx,
//! crossplane). Skipped when the corpus is absent.
//!
//! Files whose Syntax problems were inspected and are real nginx errors
//! are listed in [`EXPECTED_SYNTAX`]; any other Syntax problem fails the
//! test (it would be a parser bug).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use confaudit::parse::ProblemKind;
use confaudit::parse::nginx;
use confaudit::source::SourceFile;

const NOT_INCLUDED: &str =
    "crossplane/tests/configs/includes-globbed/servers/locations/not-included.conf";
const BAR: &str = "crossplane/tests/configs/includes-regular/conf.d/bar.conf";
const FOO: &str = "crossplane/tests/configs/includes-regular/conf.d/foo.conf";
const BROKEN_ABOVE: &str = "crossplane/tests/configs/missing-semicolon/broken-above.conf";
const BROKEN_BELOW: &str = "crossplane/tests/configs/missing-semicolon/broken-below.conf";
const QUOTES: &str = "crossplane/tests/configs/quote-behavior/nginx.conf";
const NEXT_DENY: &str =
    "gixy-next/tests/plugins/simply/allow_without_deny/include_and_deny_fp.conf";
const NG_DENY: &str = "gixy-ng/tests/plugins/simply/allow_without_deny/include_and_deny_fp.conf";
const NEXT_MAP: &str = "gixy-next/tests/plugins/simply/origins/map_origin_allowlist_fp.conf";
const NG_MAP: &str = "gixy-ng/tests/plugins/simply/origins/map_origin_allowlist_fp.conf";
const REDOS: &str = "gixy-ng/tests/plugins/simply/regex_redos/bounded_quantifier_fp.conf";
const CLEAN_EXP: &str = "ingress-nginx/kubernetes__ingress-nginx/test/data/cleanConf.expected.conf";
const CLEAN_SRC: &str = "ingress-nginx/kubernetes__ingress-nginx/test/data/cleanConf.src.conf";

const JUNK: &str = "decoy file of junk text (`asdf...` with no `;`), never meant to parse";
const SEMI: &str = "crossplane's missing-semicolon fixture; nginx -t: unexpected \"}\"";
const QUOTE: &str =
    "nginx rejects text glued to a closing quote (nginx -t: unexpected \"-\"); crossplane is laxer";
const SLASH: &str =
    "first line is a `// Options:` test header, not nginx syntax; its `{` then swallows the file";
const REGEX: &str = "unquoted regex with `{m,n}`: nginx ends the word at `{` (unexpected \"{\" / unknown directive); must be quoted";
const EOF: &str = "ingress-nginx test input whose `http {` is intentionally never closed (crossplane: same error)";

/// (path under the corpus, line, message fragment, why it is a real error).
/// Every Syntax problem in the corpus must be listed here, and every entry
/// must still occur.
const EXPECTED_SYNTAX: &[(&str, usize, &str, &str)] = &[
    (NOT_INCLUDED, 2, "not terminated", JUNK),
    (BAR, 2, "not terminated", JUNK),
    (FOO, 2, "not terminated", JUNK),
    (BROKEN_ABOVE, 4, "not terminated", SEMI),
    (BROKEN_BELOW, 7, "not terminated", SEMI),
    (QUOTES, 1, "after a quoted string", QUOTE),
    (QUOTES, 2, "after a quoted string", QUOTE),
    (NEXT_DENY, 1, "after a quoted string", SLASH),
    (NEXT_DENY, 10, "unexpected end of file", SLASH),
    (NG_DENY, 1, "after a quoted string", SLASH),
    (NG_DENY, 10, "unexpected end of file", SLASH),
    (NEXT_MAP, 3, "must be quoted", REGEX),
    (NG_MAP, 3, "must be quoted", REGEX),
    (REDOS, 5, "must be quoted", REGEX),
    (CLEAN_EXP, 135, "unexpected end of file", EOF),
    (CLEAN_SRC, 182, "unexpected end of file", EOF),
];

fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/nginx");
    p.is_dir().then_some(p)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "_golden") {
                walk(&p, out);
            }
        } else {
            out.push(p);
        }
    }
}

/// Every nginx file: `.conf`/`.inc`, and other files the detector accepts.
fn nginx_files(root: &Path) -> Vec<(String, String, bool)> {
    let mut paths = Vec::new();
    walk(root, &mut paths);
    let mut out = Vec::new();
    for p in paths {
        let rel = p
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = String::from_utf8_lossy(&fs::read(&p).unwrap()).into_owned();
        let by_ext = matches!(p.extension().and_then(|e| e.to_str()), Some("conf" | "inc"));
        if by_ext || nginx::looks_like_nginx(&text) {
            out.push((rel, text, by_ext));
        }
    }
    out
}

#[test]
fn corpus_parses() {
    let Some(root) = corpus() else {
        eprintln!("SKIP: ../shared/corpus/nginx not found; corpus parse not run");
        return;
    };
    let files = nginx_files(&root);
    let mut with_syntax = 0;
    let mut unexpected = Vec::new();
    let mut seen = vec![false; EXPECTED_SYNTAX.len()];
    let mut undetected = Vec::new();
    let mut detected_other = Vec::new();
    for (rel, text, by_ext) in &files {
        let detected = nginx::looks_like_nginx(text);
        if *by_ext && !detected {
            undetected.push(rel.clone());
        }
        if !by_ext {
            detected_other.push(rel.clone());
        }
        let f = nginx::parse(text);
        let src = SourceFile::new(rel.clone(), text.as_str().into());
        let syntax: Vec<_> = f
            .problems
            .iter()
            .filter(|p| p.kind == ProblemKind::Syntax)
            .collect();
        if syntax.is_empty() {
            continue;
        }
        with_syntax += 1;
        for p in syntax {
            let line = src.line_of(p.span.start);
            eprintln!("{rel}:{line}: {}", p.message);
            let known = EXPECTED_SYNTAX
                .iter()
                .position(|(f, l, m, _)| f == rel && *l == line && p.message.contains(m));
            if let Some(i) = known {
                seen[i] = true;
            } else {
                unexpected.push(format!("{rel}:{line}: {}", p.message));
            }
        }
    }
    eprintln!(
        "corpus: {} nginx files, {} with Syntax problems; detector missed {} .conf/.inc files {:?}; detected without extension: {:?}",
        files.len(),
        with_syntax,
        undetected.len(),
        undetected,
        detected_other
    );
    assert!(
        unexpected.is_empty(),
        "unexpected Syntax problems:\n{}",
        unexpected.join("\n")
    );
    let stale: Vec<_> = EXPECTED_SYNTAX
        .iter()
        .zip(&seen)
        .filter(|(_, s)| !**s)
        .map(|(e, _)| format!("{}:{}", e.0, e.1))
        .collect();
    assert!(
        stale.is_empty(),
        "expected Syntax problems not reported: {stale:?}"
    );
}

/// Throughput over the corpus: `cargo test --release --test nginx_corpus -- --ignored --nocapture`.
#[test]
#[ignore]
fn corpus_throughput() {
    let Some(root) = corpus() else {
        eprintln!("SKIP: corpus not found");
        return;
    };
    let files = nginx_files(&root);
    let bytes: usize = files.iter().map(|(_, t, _)| t.len()).sum();
    let rounds = 200;
    let start = Instant::now();
    let mut directives = 0usize;
    for _ in 0..rounds {
        for (_, text, _) in &files {
            directives += nginx::parse(text).directives.len();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let mb = (bytes * rounds) as f64 / 1e6;
    eprintln!(
        "throughput per file: {} files, {} bytes, {} rounds: {:.1} MB/s ({} top-level directives)",
        files.len(),
        bytes,
        rounds,
        mb / secs,
        directives / rounds
    );
    // The same text as one large file (no per-file overhead).
    let big: String = files.iter().map(|(_, t, _)| format!("{t}\n")).collect();
    let start = Instant::now();
    let mut problems = 0usize;
    for _ in 0..rounds {
        problems += nginx::parse(&big).problems.len();
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "throughput one file: {} bytes x {} rounds: {:.1} MB/s ({} problems)",
        big.len(),
        rounds,
        (big.len() * rounds) as f64 / 1e6 / secs,
        problems / rounds
    );
}

/// The whole pipeline over the corpus sets the rules are judged on:
/// `realworld/` gives no error finding, and the k8s-examples NGINX config
/// that proxies to a Service which does not exist is reported.
#[test]
fn realworld_has_no_errors_and_the_k8s_examples_bug_is_found() {
    use confaudit::finding::Severity;
    use confaudit::pipeline::{Input, Options, analyze};
    let Some(root) = corpus() else {
        eprintln!("SKIP: corpus not found");
        return;
    };
    let run = |dir: &Path| {
        let mut paths = Vec::new();
        walk(dir, &mut paths);
        let inputs = paths
            .iter()
            .filter(|p| {
                let n = p.to_string_lossy();
                n.ends_with("conf") || n.ends_with(".yaml") || n.ends_with(".yml")
            })
            .map(|p| Input::Text {
                display: p
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/"),
                text: String::from_utf8_lossy(&fs::read(p).unwrap()).into_owned(),
            })
            .collect();
        analyze(inputs, Vec::new(), &Options::default())
    };
    let real = run(&root.join("realworld"));
    let errors: Vec<_> = real
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| (f.rule, f.message.clone()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let k8s = run(&root.join("../k8s-examples"));
    let ngx: Vec<_> = k8s
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| (f.rule, k8s.sources.get(f.loc.file).unwrap().path.clone()))
        .collect();
    assert_eq!(
        ngx,
        [(
            "NGX001",
            "kubernetes-website/service/access/frontend-nginx.conf".to_string()
        )]
    );
}

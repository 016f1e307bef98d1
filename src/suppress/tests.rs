//! Suppression comments, annotations and their index.
#![allow(clippy::unwrap_used)]
use std::sync::Arc;

use super::*;

fn source(text: &str) -> SourceFile {
    SourceFile::new("t.yaml".into(), Arc::from(text))
}

/// The comments of a text the way the parsers give them: from `#` to the
/// end of its line (no `#` inside quotes in these texts).
fn comments(text: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        if let Some(i) = line.find('#') {
            let body = line[i..].trim_end();
            out.push(Comment {
                span: Span::new(start + i, start + i + body.len()),
                text: body.trim_start_matches('#').trim().to_string(),
            });
        }
        start += line.len();
    }
    out
}

/// The scan `from_comments` made for every own-line suppression before
/// the next code lines were worked out once per file.
fn next_code_line_by_scan(src: &SourceFile, line: usize) -> usize {
    let mut l = line + 1;
    while l <= src.line_count() {
        if is_code_line(src, l) {
            return l;
        }
        l += 1;
    }
    line + 1
}

fn finding(file: FileId, rule: &'static str, start: usize) -> Finding {
    Finding {
        rule,
        severity: Severity::Warning,
        message: format!("{rule} at {file}:{start}"),
        loc: Loc {
            file,
            span: Span::new(start, start + 1),
        },
        resource: None,
        related: Vec::new(),
        related_not_listed: 0,
        help: None,
    }
}

fn sup(file: FileId, scope: Scope, rules: &[&str], at: usize) -> Suppression {
    Suppression {
        file,
        scope,
        rules: rules.iter().map(|r| (*r).to_string()).collect(),
        at: Span::new(at, at + 1),
        used: false,
    }
}

/// What `apply` did before suppressions were indexed: every finding
/// against every suppression of the run.
fn apply_by_scan(
    findings: Vec<Finding>,
    mut sups: Vec<Suppression>,
    line_of: impl Fn(&Finding) -> usize,
    rule_ran: impl Fn(&str) -> bool,
) -> Vec<Finding> {
    fn covers(s: &Suppression, f: &Finding, finding_line: usize) -> bool {
        if f.loc.file != s.file || f.rule == tool::UNUSED_SUPPRESSION {
            return false;
        }
        let in_scope = match s.scope {
            Scope::Line(l) => l == finding_line,
            Scope::File => true,
            Scope::Object(o) => o.start <= f.loc.span.start && f.loc.span.start <= o.end,
        };
        in_scope && (s.rules.is_empty() || s.rules.iter().any(|r| rule_matches(r, f.rule)))
    }
    let mut kept = Vec::new();
    for f in findings {
        let line = line_of(&f);
        let mut suppressed = false;
        for s in sups.iter_mut() {
            if covers(s, &f, line) {
                s.used = true;
                suppressed = true;
            }
        }
        if !suppressed {
            kept.push(f);
        }
    }
    // The unused ones, as `apply` reports them (that part is unchanged).
    let unused: Vec<Suppression> = sups.into_iter().filter(|s| !s.used).collect();
    kept.extend(apply(Vec::new(), unused, |_| 0, rule_ran));
    kept
}

fn summary(findings: &[Finding]) -> Vec<(&'static str, FileId, Span, String)> {
    findings
        .iter()
        .map(|f| (f.rule, f.loc.file, f.loc.span, f.message.clone()))
        .collect()
}

/// Lines are ten bytes long in these tests.
fn line_of(f: &Finding) -> usize {
    f.loc.span.start as usize / 10 + 1
}

#[test]
fn a_run_of_suppression_comments_applies_to_the_next_code_line() {
    let text = "kind: Service\n# confaudit:ignore K8S001\n  # confaudit:ignore K8S002 -- why\n\n# a plain comment\nspec: {}\nport: 80 # confaudit:ignore K8S003\n# confaudit:ignore K8S004\n\n";
    let src = source(text);
    let sups = from_comments(0, &src, &comments(text));
    let scopes: Vec<Scope> = sups.iter().map(|s| s.scope).collect();
    assert_eq!(
        scopes,
        [
            Scope::Line(6),
            Scope::Line(6),
            Scope::Line(7),
            Scope::Line(9)
        ]
    );
    // Findings on the code line after the run are suppressed by both.
    let spec = text.find("spec").unwrap();
    let f = |rule| finding(0, rule, spec);
    let kept = apply(
        vec![f("K8S001"), f("K8S002"), f("K8S005")],
        sups,
        |f| src.line_of(f.loc.span.start),
        |_| true,
    );
    let rules: Vec<&str> = kept.iter().map(|f| f.rule).collect();
    // K8S005 stays; the end-of-line K8S003 and the trailing K8S004 are unused.
    assert_eq!(rules, ["K8S005", "CA003", "CA003"]);
    assert!(kept[1].message.contains("K8S003"));
    assert!(kept[2].message.contains("K8S004"));
}

#[test]
fn next_code_lines_match_a_scan_from_each_line() {
    let texts = [
        "",
        "#",
        "a: 1",
        "# x\n# y\n",
        "# x\n\n  \n# y\nb: 2\n# z",
        "a: 1\r\n# c\r\n\r\nb: 2\r\n# d\r\n",
        "a: 1\r# c\rb: 2\n#\n\n",
        "\n\n\na: 1\n   # c\n\t\nb: [1] # e\n#\n",
    ];
    for text in texts {
        let src = source(text);
        let next = NextCode::of(&src);
        for line in 0..src.line_count() + 3 {
            assert_eq!(
                next.after(line),
                next_code_line_by_scan(&src, line),
                "{text:?} line {line}"
            );
        }
    }
}

#[test]
fn suppressions_apply_only_to_their_own_file() {
    let sups = vec![
        sup(0, Scope::Line(1), &["K8S001"], 0),
        sup(0, Scope::File, &["K8S002"], 1),
        sup(0, Scope::Object(Span::new(0, 100)), &["K8S003"], 2),
    ];
    let findings = vec![
        finding(1, "K8S001", 0),
        finding(1, "K8S002", 5),
        finding(1, "K8S003", 5),
    ];
    let kept = apply(findings, sups, line_of, |_| true);
    let got: Vec<(&str, FileId)> = kept.iter().map(|f| (f.rule, f.loc.file)).collect();
    // File 1's findings all stay, and file 0's suppressions are unused.
    assert_eq!(
        got,
        [
            ("K8S001", 1),
            ("K8S002", 1),
            ("K8S003", 1),
            ("CA003", 0),
            ("CA003", 0),
            ("CA003", 0)
        ]
    );
}

#[test]
fn scopes_rules_and_unused_reports() {
    let sups = vec![
        // Line 2 (offsets 10..20), every rule.
        sup(0, Scope::Line(2), &[], 0),
        // A prefix, and a rule that never ran.
        sup(0, Scope::Line(3), &["K8S"], 1),
        sup(0, Scope::Line(3), &["NOPE1"], 2),
        sup(0, Scope::File, &["all"], 3),
        // Ends are inclusive.
        sup(2, Scope::Object(Span::new(40, 49)), &["K8S004"], 4),
        sup(2, Scope::Object(Span::new(50, 59)), &["K8S004"], 5),
    ];
    let findings = vec![
        finding(0, "K8S009", 12),
        finding(0, "K8S001", 25),
        finding(0, tool::UNUSED_SUPPRESSION, 25),
        finding(1, "K8S004", 49),
        finding(2, "K8S004", 49),
        finding(2, "K8S004", 60),
    ];
    let kept = apply(findings, sups, line_of, |r| r != "NOPE1");
    let got: Vec<(&str, FileId, u32)> = kept
        .iter()
        .map(|f| (f.rule, f.loc.file, f.loc.span.start))
        .collect();
    assert_eq!(
        got,
        [
            // Never suppressed.
            ("CA003", 0, 25),
            ("K8S004", 1, 49),
            ("K8S004", 2, 60),
            // The file-wide one was used too (it covered K8S009 and
            // K8S001); NOPE1 never ran; the second object held nothing.
            ("CA003", 2, 5),
        ]
    );
}

/// A small deterministic generator (no dependency for it).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

#[test]
fn indexed_apply_matches_the_scan_over_every_suppression() {
    const RULES: [&str; 5] = [
        "K8S001",
        "K8S002",
        "K8S010",
        "IST001",
        tool::UNUSED_SUPPRESSION,
    ];
    const SELECTORS: [&str; 7] = ["K8S001", "K8S002", "K8S00", "K8S", "IST001", "*", "X9"];
    let mut rng = Lcg(7);
    for case in 0..300 {
        let files = 1 + rng.below(3) as u32;
        let mut sups = Vec::new();
        for i in 0..rng.below(12) {
            let file = rng.below(u64::from(files)) as u32;
            let scope = match rng.below(3) {
                0 => Scope::Line(1 + rng.below(6) as usize),
                1 => Scope::File,
                // Nested, overlapping, equal and empty spans.
                _ => {
                    let start = rng.below(60) as usize;
                    Scope::Object(Span::new(start, start + rng.below(40) as usize))
                }
            };
            let rules: Vec<&str> = (0..rng.below(3))
                .map(|_| SELECTORS[rng.below(SELECTORS.len() as u64) as usize])
                .collect();
            sups.push(sup(file, scope, &rules, i as usize * 3));
        }
        let findings: Vec<Finding> = (0..rng.below(15))
            .map(|_| {
                let file = rng.below(u64::from(files) + 1) as u32;
                let rule = RULES[rng.below(RULES.len() as u64) as usize];
                finding(file, rule, rng.below(70) as usize)
            })
            .collect();
        let copy = |sups: &[Suppression]| -> Vec<Suppression> {
            sups.iter()
                .map(|s| Suppression {
                    file: s.file,
                    scope: s.scope,
                    rules: s.rules.clone(),
                    at: s.at,
                    used: false,
                })
                .collect()
        };
        let ran = |r: &str| r != "X9";
        let want = apply_by_scan(findings.clone(), copy(&sups), line_of, ran);
        let got = apply(findings, sups, line_of, ran);
        assert_eq!(summary(&got), summary(&want), "case {case}");
    }
}

#[test]
fn intervals_find_every_span_holding_an_offset() {
    let mut rng = Lcg(11);
    for _ in 0..200 {
        let spans: Vec<(Span, usize)> = (0..rng.below(20) as usize)
            .map(|g| {
                let start = rng.below(100) as usize;
                (Span::new(start, start + rng.below(30) as usize), g)
            })
            .collect();
        let intervals = Intervals::new(spans.clone());
        for offset in 0..140 {
            let mut got = Vec::new();
            intervals.containing(offset, &mut got);
            got.sort_unstable();
            let want: Vec<usize> = spans
                .iter()
                .filter(|(s, _)| s.start <= offset && offset <= s.end)
                .map(|(_, g)| *g)
                .collect();
            assert_eq!(got, want, "{spans:?} at {offset}");
        }
    }
}

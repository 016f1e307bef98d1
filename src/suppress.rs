//! Suppressions: `# confaudit:ignore RULE[,RULE] -- reason` (line before or
//! end of line), `# confaudit:ignore-file RULE`, and the object annotation
//! `confaudit.dev/ignore: "RULE,RULE"`. Unused ones become findings.

use crate::config::rule_matches;
use crate::finding::{Finding, Severity};
use crate::parse::Comment;
use crate::rules::tool;
use crate::source::{FileId, Loc, SourceFile, Span};

pub const ANNOTATION: &str = "confaudit.dev/ignore";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    /// Findings whose primary location starts on this 1-based line.
    Line(usize),
    File,
    /// Findings inside this object's span.
    Object(Span),
}

#[derive(Debug)]
pub struct Suppression {
    file: FileId,
    scope: Scope,
    /// Empty means every rule.
    rules: Vec<String>,
    /// Where the suppression is written (for the unused report).
    at: Span,
    used: bool,
}

impl Suppression {
    fn covers(&self, f: &Finding, finding_line: usize) -> bool {
        if f.loc.file != self.file || f.rule == tool::UNUSED_SUPPRESSION {
            return false;
        }
        let in_scope = match self.scope {
            Scope::Line(l) => l == finding_line,
            Scope::File => true,
            Scope::Object(s) => s.start <= f.loc.span.start && f.loc.span.start <= s.end,
        };
        in_scope && (self.rules.is_empty() || self.rules.iter().any(|r| rule_matches(r, f.rule)))
    }
}

fn split_rules(s: &str) -> Vec<String> {
    s.split([',', ' '])
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect()
}

/// Read the suppressions in one file's comments.
pub fn from_comments(file: FileId, src: &SourceFile, comments: &[Comment]) -> Vec<Suppression> {
    let mut out = Vec::new();
    for c in comments {
        let text = c.text.trim_start_matches('#').trim();
        let Some(rest) = text.strip_prefix("confaudit:") else {
            continue;
        };
        let rest = rest.split(" -- ").next().unwrap_or("").trim();
        let (file_wide, rules) = if let Some(r) = rest.strip_prefix("ignore-file") {
            (true, r)
        } else if let Some(r) = rest.strip_prefix("ignore") {
            (false, r)
        } else {
            continue;
        };
        let line = src.line_of(c.span.start);
        let scope = if file_wide {
            Scope::File
        } else if own_line(src, c.span) {
            Scope::Line(next_code_line(src, line))
        } else {
            Scope::Line(line)
        };
        out.push(Suppression {
            file,
            scope,
            rules: split_rules(rules),
            at: c.span,
            used: false,
        });
    }
    out
}

/// The annotation on an object: applies to findings inside the object.
pub fn from_annotation(loc: Loc, object_span: Span, value: &str) -> Suppression {
    Suppression {
        file: loc.file,
        scope: Scope::Object(object_span),
        rules: split_rules(value),
        at: loc.span,
        used: false,
    }
}

fn own_line(src: &SourceFile, span: Span) -> bool {
    let line = src.line_of(span.start);
    src.line_span(line)
        .map(|l| {
            src.text()
                .get(l.start as usize..span.start as usize)
                .unwrap_or("")
                .trim()
                .is_empty()
        })
        .unwrap_or(false)
}

/// The first line after `line` that is neither blank nor only a comment.
fn next_code_line(src: &SourceFile, line: usize) -> usize {
    let mut l = line + 1;
    while l <= src.line_count() {
        let t = src.line_span(l).map(|s| src.slice(s).trim()).unwrap_or("");
        if !t.is_empty() && !t.starts_with('#') {
            return l;
        }
        l += 1;
    }
    line + 1
}

/// Drop suppressed findings; add an info finding for every suppression that
/// matched nothing (only for rules that ran).
pub fn apply(
    findings: Vec<Finding>,
    mut sups: Vec<Suppression>,
    line_of: impl Fn(&Finding) -> usize,
    rule_ran: impl Fn(&str) -> bool,
) -> Vec<Finding> {
    let mut kept = Vec::with_capacity(findings.len());
    for f in findings {
        let line = line_of(&f);
        let mut suppressed = false;
        for s in sups.iter_mut() {
            if s.covers(&f, line) {
                s.used = true;
                suppressed = true;
            }
        }
        if !suppressed {
            kept.push(f);
        }
    }
    for s in sups.iter().filter(|s| !s.used) {
        let relevant = s.rules.is_empty() || s.rules.iter().any(|r| rule_ran(r));
        if !relevant {
            continue;
        }
        let what = if s.rules.is_empty() {
            "any rule".to_string()
        } else {
            s.rules.join(", ")
        };
        kept.push(Finding {
            rule: tool::UNUSED_SUPPRESSION,
            severity: Severity::Info,
            message: format!("this suppression of {what} matches no finding"),
            loc: Loc {
                file: s.file,
                span: s.at,
            },
            resource: None,
            related: Vec::new(),
            related_not_listed: 0,
            help: Some("remove it, or fix the rule id it names".into()),
        });
    }
    kept
}

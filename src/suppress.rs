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
    // Built on the first own-line suppression: a run of N such comments
    // read the lines after each of them again (N² / 2 lines).
    let mut next_code: Option<NextCode> = None;
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
            Scope::Line(
                next_code
                    .get_or_insert_with(|| NextCode::of(src))
                    .after(line),
            )
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

fn is_code_line(src: &SourceFile, line: usize) -> bool {
    let t = src
        .line_span(line)
        .map(|s| src.slice(s).trim())
        .unwrap_or("");
    !t.is_empty() && !t.starts_with('#')
}

/// For every line of a file, the first line after it that is neither blank
/// nor only a comment: worked out once per file, from the last line back.
struct NextCode {
    /// Index `l` (0..=line count): the first code line after `l`, if any.
    after: Vec<Option<usize>>,
}

impl NextCode {
    fn of(src: &SourceFile) -> NextCode {
        let count = src.line_count();
        let mut after = vec![None; count + 1];
        let mut next = None;
        for (l, slot) in after.iter_mut().enumerate().rev() {
            *slot = next;
            if l >= 1 && is_code_line(src, l) {
                next = Some(l);
            }
        }
        NextCode { after }
    }

    /// The first code line after `line`; `line + 1` when there is none.
    fn after(&self, line: usize) -> usize {
        self.after.get(line).copied().flatten().unwrap_or(line + 1)
    }
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
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
            help: None,
        }
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
}

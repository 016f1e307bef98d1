//! Suppressions: `# confaudit:ignore RULE[,RULE] -- reason` (line before or
//! end of line), `# confaudit:ignore-file RULE`, and the object annotation
//! `confaudit.dev/ignore: "RULE,RULE"`. Unused ones become findings.

use std::collections::HashMap;

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
    /// Whether it names `rule` (or names none, so every rule).
    fn names(&self, rule: &str) -> bool {
        self.rules.is_empty() || self.rules.iter().any(|r| rule_matches(r, rule))
    }
}

/// The suppressions of a run by where they apply, so a finding looks only at
/// those of its own file and scope (each finding against every suppression
/// of the run took findings x suppressions). A group is the suppressions
/// of one file with the same scope, by index into the run's list.
#[derive(Default)]
struct Index {
    groups: Vec<Vec<usize>>,
    lines: HashMap<(FileId, usize), usize>,
    files: HashMap<FileId, usize>,
    objects: HashMap<FileId, Intervals>,
}

impl Index {
    fn new(sups: &[Suppression]) -> Index {
        let mut index = Index::default();
        let mut object_groups: HashMap<(FileId, Span), usize> = HashMap::new();
        for (i, s) in sups.iter().enumerate() {
            let next = index.groups.len();
            let g = match s.scope {
                Scope::Line(l) => *index.lines.entry((s.file, l)).or_insert(next),
                Scope::File => *index.files.entry(s.file).or_insert(next),
                Scope::Object(span) => *object_groups.entry((s.file, span)).or_insert(next),
            };
            if g == next {
                index.groups.push(Vec::new());
            }
            if let Some(members) = index.groups.get_mut(g) {
                members.push(i);
            }
        }
        let mut spans: HashMap<FileId, Vec<(Span, usize)>> = HashMap::new();
        for ((file, span), g) in object_groups {
            spans.entry(file).or_default().push((span, g));
        }
        index.objects = spans
            .into_iter()
            .map(|(file, spans)| (file, Intervals::new(spans)))
            .collect();
        index
    }

    /// The groups whose scope holds `f` (its primary location starting on
    /// `line`), in no particular order.
    fn groups_for(&self, f: &Finding, line: usize, out: &mut Vec<usize>) {
        let file = f.loc.file;
        out.extend(self.lines.get(&(file, line)));
        out.extend(self.files.get(&file));
        if let Some(objects) = self.objects.get(&file) {
            objects.containing(f.loc.span.start, out);
        }
    }
}

/// Object spans (each with its group), to find those holding an offset
/// (`start <= offset <= end`) in time logarithmic in their number plus the
/// number found: sorted by start, as an implicit balanced tree (the middle
/// of a range is its root) where each node keeps the greatest end in its
/// subtree.
struct Intervals {
    spans: Vec<(Span, usize)>,
    max_end: Vec<u32>,
}

impl Intervals {
    fn new(mut spans: Vec<(Span, usize)>) -> Intervals {
        spans.sort_unstable();
        let mut max_end = vec![0; spans.len()];
        Self::fill(&spans, &mut max_end, 0, spans.len());
        Intervals { spans, max_end }
    }

    fn fill(spans: &[(Span, usize)], max_end: &mut [u32], lo: usize, hi: usize) -> u32 {
        if lo >= hi {
            return 0;
        }
        let mid = lo + (hi - lo) / 2;
        let left = Self::fill(spans, max_end, lo, mid);
        let right = Self::fill(spans, max_end, mid + 1, hi);
        let own = spans.get(mid).map_or(0, |(s, _)| s.end);
        let m = own.max(left).max(right);
        if let Some(slot) = max_end.get_mut(mid) {
            *slot = m;
        }
        m
    }

    fn containing(&self, offset: u32, out: &mut Vec<usize>) {
        // Only spans starting at or before the offset can hold it.
        let upto = self.spans.partition_point(|(s, _)| s.start <= offset);
        self.walk(offset, 0, self.spans.len(), upto, out);
    }

    /// The spans of `lo..hi` (a subtree) that hold `offset`, among the
    /// first `upto`. A subtree inside `..upto` whose greatest end reaches the
    /// offset holds one, so the walk visits O((found + 1) log n) nodes.
    fn walk(&self, offset: u32, lo: usize, hi: usize, upto: usize, out: &mut Vec<usize>) {
        if lo >= hi || lo >= upto {
            return;
        }
        let mid = lo + (hi - lo) / 2;
        if self.max_end.get(mid).is_none_or(|&m| m < offset) {
            return;
        }
        self.walk(offset, lo, mid, upto, out);
        if mid < upto
            && let Some((s, g)) = self.spans.get(mid)
            && s.start <= offset
            && offset <= s.end
        {
            out.push(*g);
        }
        self.walk(offset, mid + 1, hi, upto, out);
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
    let index = Index::new(&sups);
    // Whether a group's suppressions cover a rule is the same for every
    // finding of that rule in the group's scope: worked out (and the
    // suppressions that do marked used) once.
    let mut covers: HashMap<(usize, &'static str), bool> = HashMap::new();
    let mut groups = Vec::new();
    let mut kept = Vec::with_capacity(findings.len());
    for f in findings {
        let line = line_of(&f);
        if f.rule == tool::UNUSED_SUPPRESSION {
            kept.push(f);
            continue;
        }
        groups.clear();
        index.groups_for(&f, line, &mut groups);
        let mut suppressed = false;
        for &g in &groups {
            let members = index.groups.get(g).map(Vec::as_slice).unwrap_or(&[]);
            suppressed |= *covers.entry((g, f.rule)).or_insert_with(|| {
                let mut any = false;
                for &i in members {
                    if let Some(s) = sups.get_mut(i)
                        && s.names(f.rule)
                    {
                        s.used = true;
                        any = true;
                    }
                }
                any
            });
        }
        if !suppressed {
            kept.push(f);
        }
    }
    // Whether a rule ran is asked once per name, not once per suppression
    // naming it.
    let mut ran: HashMap<&str, bool> = HashMap::new();
    for s in sups.iter().filter(|s| !s.used) {
        let relevant = s.rules.is_empty()
            || s.rules
                .iter()
                .any(|r| *ran.entry(r.as_str()).or_insert_with(|| rule_ran(r)));
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
mod tests;

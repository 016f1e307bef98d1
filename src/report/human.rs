//! Human output: miette's graphical diagnostics with the offending span
//! underlined, related spans (also in other files), symptoms and help.

use std::collections::HashMap;
use std::fmt::Write as _;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::rule_info;
use crate::finding::{Finding, Severity};
use crate::pipeline::Report;
use crate::source::{Loc, SourceFile};

#[derive(Debug)]
struct Diag<'r> {
    code: String,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Excerpt<'r>,
    labels: Vec<LabeledSpan>,
    related: Vec<Diag<'r>>,
}

/// A file as miette reads it, through its line starts: miette's own
/// sources count lines from the start of the text and were copied into
/// every diagnostic, so 40,000 findings in one 5.7 MB file took ten
/// minutes. miette reads a window of a few lines around the span instead,
/// and its line numbers are shifted back (same output, a test checks).
#[derive(Debug, Clone, Copy)]
struct Excerpt<'r> {
    name: &'r str,
    text: &'r str,
    /// Where each line starts, as miette splits lines (`\n`, `\r\n` or `\r`).
    starts: &'r [usize],
    /// Gives the line and column a snippet's header names, as the JSON
    /// report does (miette counts columns in bytes).
    file: Option<&'r SourceFile>,
}

/// Lines around the span in the window besides those miette shows: the
/// window's first and last lines need not be where miette would cut.
const WINDOW_MARGIN: usize = 2;

fn line_starts(text: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    let mut bytes = text.iter().enumerate().peekable();
    while let Some((i, &b)) = bytes.next() {
        let end = match b {
            b'\n' => i + 1,
            b'\r' if bytes.next_if(|&(_, &n)| n == b'\n').is_some() => i + 2,
            b'\r' => i + 1,
            _ => continue,
        };
        starts.push(end);
    }
    starts
}

/// Lines longer than this are shown clipped around the span: minified
/// JSON holds a whole file on one line, which miette printed for every
/// finding on it (and it panics past 65,535 columns).
const LONG_LINE: usize = 1_000;
/// Bytes shown either side of a span on a long line.
const CLIP_AROUND: usize = 60;
/// The most of a span underlined on a long line.
const CLIP_SPAN: usize = 200;
/// Lines of a span and its context looked at for a long one.
const LINES_CHECKED: usize = 64;

impl Excerpt<'_> {
    /// The line (0-based, as miette counts) holding `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }

    /// A line's start and end, its line break left out.
    fn line_bounds(&self, line: usize) -> (usize, usize) {
        let start = self.starts.get(line).copied().unwrap_or(self.text.len());
        let next = self
            .starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len());
        let body = self.text.get(start..next).unwrap_or_default();
        (start, start + body.trim_end_matches(['\r', '\n']).len())
    }

    /// Is a line among `first..=last` too long to print whole?
    fn any_long(&self, first: usize, last: usize) -> bool {
        let last = last.min(self.starts.len().saturating_sub(1));
        let long = |l: usize| {
            let (start, end) = self.line_bounds(l);
            end - start > LONG_LINE
        };
        (first..=last).take(LINES_CHECKED).any(long) || long(last)
    }

    /// Is the span at `offset`, or a line beside it, too long to print whole?
    fn near_long_line(&self, offset: usize) -> bool {
        let line = self.line_of(offset);
        self.any_long(line.saturating_sub(1), line + 1)
    }

    /// The span underlined for `loc`: near a long line, at most
    /// [`CLIP_SPAN`] bytes of its own line.
    fn label_span(&self, loc: Loc) -> SourceSpan {
        let start = loc.span.start as usize;
        let mut end = loc.span.end as usize;
        if self.near_long_line(start) {
            let (_, line_end) = self.line_bounds(self.line_of(start));
            end = self
                .text
                .floor_char_boundary(end.min(line_end).min(start + CLIP_SPAN))
                .max(start);
        }
        SourceSpan::new(start.into(), end.saturating_sub(start))
    }

    /// The 0-based line and character column of `offset` for a snippet's
    /// header, as the JSON report counts them (`fallback`: miette's own).
    fn header_at(&self, offset: usize, fallback: (usize, usize)) -> (usize, usize) {
        match (self.file, u32::try_from(offset)) {
            (Some(file), Ok(offset)) => {
                let p = file.position(offset);
                (p.line.saturating_sub(1), p.column.saturating_sub(1))
            }
            _ => fallback,
        }
    }

    /// The span's own line from a little before it to a little after it.
    fn clipped<'a>(&'a self, span: &SourceSpan, header: bool) -> MietteSpanContents<'a> {
        let line = self.line_of(span.offset());
        let (line_start, line_end) = self.line_bounds(line);
        let from = span.offset().saturating_sub(CLIP_AROUND).max(line_start);
        let from = self.text.floor_char_boundary(from);
        let end = (span.offset() + span.len()).min(span.offset() + CLIP_SPAN);
        let to = self
            .text
            .ceil_char_boundary((end + CLIP_AROUND).min(line_end).max(from));
        let data = self.text.get(from..to).unwrap_or_default().as_bytes();
        let (shown_line, column) = if header {
            let bytes = span.offset().min(line_end).saturating_sub(line_start);
            self.header_at(span.offset(), (line, bytes))
        } else {
            (line, 0)
        };
        MietteSpanContents::new_named(
            self.name.to_string(),
            data,
            SourceSpan::new(from.into(), data.len()),
            shown_line,
            column,
            line,
        )
        .with_language("yaml")
    }
}

impl SourceCode for Excerpt<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        // miette slices past the text for a span that starts beyond it.
        if span.offset() > self.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let (span_first, span_last) = (
            self.line_of(span.offset()),
            self.line_of(span.offset().saturating_add(span.len())),
        );
        if self.any_long(span_first.saturating_sub(before), span_last + after) {
            return Ok(Box::new(self.clipped(span, before == 0)));
        }
        let first_line = span_first.saturating_sub(before + WINDOW_MARGIN);
        let last_line = span_last + after + WINDOW_MARGIN + 1;
        let start = self.starts.get(first_line).copied().unwrap_or(0);
        let end = self
            .starts
            .get(last_line)
            .copied()
            .unwrap_or(self.text.len());
        let window = self
            .text
            .as_bytes()
            .get(start..end)
            .ok_or(MietteError::OutOfBounds)?;
        let inner = SourceSpan::new(span.offset().saturating_sub(start).into(), span.len());
        let c = window.read_span(&inner, before, after)?;
        let (line, column) = (c.line() + first_line, c.column());
        // Without context lines miette reads only for a header.
        let (line, column) = if before == 0 {
            self.header_at(span.offset(), (line, column))
        } else {
            (line, column)
        };
        Ok(Box::new(
            MietteSpanContents::new_named(
                self.name.to_string(),
                c.data(),
                SourceSpan::new((c.span().offset() + start).into(), c.span().len()),
                line,
                column,
                c.line_count() + first_line,
            )
            .with_language("yaml"),
        ))
    }
}

impl std::fmt::Display for Diag<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for Diag<'_> {}

impl Diagnostic for Diag<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(&self.code) as Box<dyn std::fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// Each file's line starts, worked out once for all its findings.
#[derive(Default)]
struct LineStarts(HashMap<u32, Vec<usize>>);

impl LineStarts {
    fn add(&mut self, report: &Report, file: u32) {
        if let Some(s) = report.sources.get(file) {
            self.0
                .entry(file)
                .or_insert_with(|| line_starts(s.text().as_bytes()));
        }
    }

    fn excerpt<'r>(&'r self, report: &'r Report, file: u32) -> Excerpt<'r> {
        match (report.sources.get(file), self.0.get(&file)) {
            (Some(s), Some(starts)) => Excerpt {
                name: &s.path,
                text: s.text(),
                starts,
                file: Some(s),
            },
            _ => Excerpt {
                name: "",
                text: "",
                starts: &[0],
                file: None,
            },
        }
    }
}

fn diag<'r>(report: &'r Report, starts: &'r LineStarts, f: &Finding) -> Diag<'r> {
    let (name, symptoms) = rule_info(report, f);
    let source = starts.excerpt(report, f.loc.file);
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        Some(short_label(f)),
        source.label_span(f.loc),
    )];
    // On a long line each span is shown on its own, clipped around it.
    let alone = source.near_long_line(f.loc.span.start as usize);
    let mut related = Vec::new();
    let line = |loc: Loc| {
        report
            .sources
            .get(loc.file)
            .map(|s| s.line_of(loc.span.start))
            .unwrap_or(0)
    };
    for r in &f.related {
        // Far-apart spans in one snippet would print every line between them.
        if r.loc.file == f.loc.file
            && !alone
            && !source.near_long_line(r.loc.span.start as usize)
            && line(r.loc).abs_diff(line(f.loc)) <= 6
        {
            labels.push(LabeledSpan::new_with_span(
                Some(r.message.clone()),
                source.label_span(r.loc),
            ));
        } else {
            let source = starts.excerpt(report, r.loc.file);
            related.push(Diag {
                code: String::new(),
                message: r.message.clone(),
                severity: miette::Severity::Advice,
                help: None,
                source,
                labels: vec![LabeledSpan::new_primary_with_span(
                    Some("here".into()),
                    source.label_span(r.loc),
                )],
                related: Vec::new(),
            });
        }
    }
    let mut help = f.help.clone().unwrap_or_default();
    if !symptoms.is_empty() {
        if !help.is_empty() {
            help.push('\n');
        }
        let _ = write!(help, "symptom: {}", symptoms.join(", "));
    }
    Diag {
        code: if name.is_empty() {
            f.rule.to_string()
        } else {
            format!("{}({})", f.rule, name)
        },
        message: f.message.clone(),
        severity: match f.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        },
        help: (!help.is_empty()).then_some(help),
        source,
        labels,
        related,
    }
}

fn short_label(f: &Finding) -> String {
    match f.severity {
        Severity::Error => "change this".into(),
        Severity::Warning => "check this".into(),
        Severity::Info => "note".into(),
    }
}

/// The closing line: counts and skipped files.
pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    let mut line = if report.findings.is_empty() {
        format!(
            "No problems found in {} ({}).",
            plural(s.files, "file"),
            plural(s.documents, "document")
        )
    } else {
        format!(
            "Found {}, {}, {} in {} ({}).",
            plural(s.errors, "error"),
            plural(s.warnings, "warning"),
            plural(s.infos, "info"),
            plural(s.files, "file"),
            plural(s.documents, "document")
        )
    };
    if !s.skipped.is_empty() {
        let _ = write!(line, " Skipped {}:", plural(s.skipped.len(), "file"));
        for sk in s.skipped.iter().take(5) {
            let _ = write!(line, "\n  {}: {}", sk.path, sk.reason);
        }
        if s.skipped.len() > 5 {
            let _ = write!(
                line,
                "\n  ... and {} more (see --format json)",
                s.skipped.len() - 5
            );
        }
    }
    line
}

pub fn render(report: &Report, color: bool, quiet: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_context_lines(1)
        .with_width(120);
    let mut out = String::new();
    let mut starts = LineStarts::default();
    for f in &report.findings {
        starts.add(report, f.loc.file);
        for r in &f.related {
            starts.add(report, r.loc.file);
        }
        let d = diag(report, &starts, f);
        if handler.render_report(&mut out, &d).is_err() {
            let _ = writeln!(out, "{}: {}", f.rule, f.message);
        }
        // Related spans far away or in other files: each its own short snippet.
        for r in &d.related {
            let _ = handler.render_report(&mut out, r);
        }
        out.push('\n');
    }
    if !quiet {
        out.push_str(&summary_line(report));
        out.push('\n');
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use miette::NamedSource;

    /// Data, span offset and length, line, column, line count, name.
    type Read = (Vec<u8>, usize, usize, usize, usize, usize, Option<String>);

    /// What miette reads, as plain values.
    fn read(
        source: &dyn SourceCode,
        span: SourceSpan,
        before: usize,
        after: usize,
    ) -> Option<Read> {
        let c = source.read_span(&span, before, after).ok()?;
        Some((
            c.data().to_vec(),
            c.span().offset(),
            c.span().len(),
            c.line(),
            c.column(),
            c.line_count(),
            c.name().map(str::to_string),
        ))
    }

    #[test]
    fn an_excerpt_reads_every_span_as_the_whole_text_does() {
        let body = "a: 1\nbb: [x, y]\n\nccc: é\n  - d\neeee: 5\nf\ng: 7\nh: 8\n";
        let texts = [
            body.to_string(),
            body.replace('\n', "\r\n"),
            body.replace('\n', "\r"),
            body.trim_end().to_string(),
            body.replacen('\n', "\r\n", 3),
            body.replacen('\n', "\r", 3),
            String::new(),
        ];
        for text in &texts {
            let starts = line_starts(text.as_bytes());
            let file = SourceFile::new("f.yaml".into(), text.as_str().into());
            let excerpt = Excerpt {
                name: "f.yaml",
                text,
                starts: &starts,
                file: Some(&file),
            };
            let whole = NamedSource::new("f.yaml", text.clone()).with_language("yaml");
            // Past the end miette panics on a whole text; an excerpt says
            // out of bounds.
            for offset in [text.len() + 1, text.len() + 9] {
                let span = SourceSpan::new(offset.into(), 0);
                assert_eq!(read(&excerpt, span, 0, 0), None);
            }
            for offset in 0..=text.len() {
                for len in [0, 1, 3, 12, 40] {
                    for (before, after) in [(0, 0), (1, 1), (2, 3)] {
                        let span = SourceSpan::new(offset.into(), len);
                        // A header's line and column are the JSON report's.
                        let mut expected = read(&whole, span, before, after);
                        if let Some(e) = expected.as_mut().filter(|_| before == 0) {
                            let p = file.position(offset as u32);
                            (e.3, e.4) = (p.line - 1, p.column - 1);
                        }
                        assert_eq!(
                            read(&excerpt, span, before, after),
                            expected,
                            "{text:?} at {offset}+{len}, context {before}/{after}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_header_column_counts_characters() {
        let text = "ccc: é: x\n";
        let starts = line_starts(text.as_bytes());
        let file = SourceFile::new("f.yaml".into(), text.into());
        let excerpt = Excerpt {
            name: "f.yaml",
            text,
            starts: &starts,
            file: Some(&file),
        };
        let after = text.find(": x").unwrap();
        let span = SourceSpan::new(after.into(), 1);
        assert_eq!(read(&excerpt, span, 0, 0).unwrap().4, 6);
    }

    #[test]
    fn a_long_line_is_shown_clipped_around_the_span() {
        // One 70,000-column line (minified JSON): miette printed all of it
        // for every finding and panicked past 65,535 columns.
        let long = format!("{}é{}", "x".repeat(70_000), "y".repeat(5_000));
        let text = format!("a: 1\n{long}\nb: 2\n");
        let starts = line_starts(text.as_bytes());
        let file = SourceFile::new("f.json".into(), text.as_str().into());
        let excerpt = Excerpt {
            name: "f.json",
            text: &text,
            starts: &starts,
            file: Some(&file),
        };
        let at = text.find('é').unwrap();
        let loc = Loc {
            file: 0,
            span: crate::source::Span::new(at, at + 4_000),
        };
        // The underline stops within CLIP_SPAN bytes.
        let label = excerpt.label_span(loc);
        assert_eq!((label.offset(), label.len()), (at, CLIP_SPAN));
        let shown = read(&excerpt, label, 1, 1).unwrap();
        assert!(shown.0.len() <= CLIP_SPAN + 2 * CLIP_AROUND + 4);
        assert!(String::from_utf8(shown.0).unwrap().contains('é'));
        assert_eq!(
            (shown.3, read(&excerpt, label, 0, 0).unwrap().4),
            (1, 70_000)
        );
        let diag = Diag {
            code: "X1".into(),
            message: "m".into(),
            severity: miette::Severity::Error,
            help: None,
            source: excerpt,
            labels: vec![LabeledSpan::new_primary_with_span(
                Some("here".into()),
                label,
            )],
            related: Vec::new(),
        };
        let mut out = String::new();
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
            .render_report(&mut out, &diag)
            .unwrap();
        assert!(out.contains("[f.json:2:70001]"), "{out}");
        assert!(out.len() < 2_000, "{out}");
    }
}

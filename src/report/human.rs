//! Human output: miette's graphical diagnostics with the offending span
//! underlined, related spans (also in other files), symptoms and help.

use std::fmt::Write as _;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan};

use super::excerpt::{Excerpt, ShownFiles, printable};
use super::rule_info;
use crate::finding::{Finding, Severity};
use crate::pipeline::Report;
use crate::source::Loc;

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

fn diag<'r>(report: &'r Report, shown: &'r ShownFiles<'_>, f: &Finding) -> Diag<'r> {
    let (name, symptoms) = rule_info(report, f);
    let source = shown.excerpt(report, f.loc.file);
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        Some(short_label(f)),
        source.label_span(f.loc),
    )];
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
        // Near a long line each span is shown on its own, clipped around it.
        let (from, to) = (
            f.loc.span.start.min(r.loc.span.start) as usize,
            f.loc.span.end.max(r.loc.span.end) as usize,
        );
        if r.loc.file == f.loc.file
            && line(r.loc).abs_diff(line(f.loc)) <= 6
            && !source.long_lines_near(from, to)
        {
            labels.push(LabeledSpan::new_with_span(
                Some(printable(&r.message).into_owned()),
                source.label_span(r.loc),
            ));
        } else {
            let source = shown.excerpt(report, r.loc.file);
            related.push(Diag {
                code: String::new(),
                message: printable(&r.message).into_owned(),
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
    let mut help = printable(f.help.as_deref().unwrap_or_default()).into_owned();
    if !symptoms.is_empty() {
        if !help.is_empty() {
            help.push('\n');
        }
        let _ = write!(help, "symptom: {}", symptoms.join(", "));
    }
    Diag {
        code: printable(&if name.is_empty() {
            f.rule.to_string()
        } else {
            format!("{}({})", f.rule, name)
        })
        .into_owned(),
        message: printable(&f.message).into_owned(),
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
            let _ = write!(
                line,
                "\n  {}: {}",
                printable(&sk.path),
                printable(&sk.reason)
            );
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
    let mut shown = ShownFiles::default();
    for f in &report.findings {
        shown.add(report, f.loc.file);
        for r in &f.related {
            shown.add(report, r.loc.file);
        }
        let d = diag(report, &shown, f);
        if handler.render_report(&mut out, &d).is_err() {
            let _ = writeln!(out, "{}: {}", f.rule, printable(&f.message));
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
    use crate::report::excerpt::tests::read;
    use crate::report::excerpt::{CLIP_AROUND, CLIP_SPAN, line_starts};
    use crate::source::SourceFile;

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

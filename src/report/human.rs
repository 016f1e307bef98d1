//! Human output: miette's graphical diagnostics with the offending span
//! underlined, related spans (also in other files), symptoms and help.

use std::fmt::Write as _;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan,
};

use super::rule_info;
use crate::finding::{Finding, Severity};
use crate::pipeline::Report;
use crate::source::Loc;

#[derive(Debug)]
struct Diag {
    code: String,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    source: NamedSource<String>,
    labels: Vec<LabeledSpan>,
    related: Vec<Diag>,
}

impl std::fmt::Display for Diag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for Diag {}

impl Diagnostic for Diag {
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

fn span(loc: Loc) -> SourceSpan {
    SourceSpan::new((loc.span.start as usize).into(), loc.span.len())
}

fn source(report: &Report, file: u32) -> NamedSource<String> {
    match report.sources.get(file) {
        Some(s) => NamedSource::new(s.path.clone(), s.text().to_string()).with_language("yaml"),
        None => NamedSource::new("", String::new()),
    }
}

fn diag(report: &Report, f: &Finding) -> Diag {
    let (name, symptoms) = rule_info(report, f);
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        Some(short_label(f)),
        span(f.loc),
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
        if r.loc.file == f.loc.file && line(r.loc).abs_diff(line(f.loc)) <= 6 {
            labels.push(LabeledSpan::new_with_span(
                Some(r.message.clone()),
                span(r.loc),
            ));
        } else {
            related.push(Diag {
                code: String::new(),
                message: r.message.clone(),
                severity: miette::Severity::Advice,
                help: None,
                source: source(report, r.loc.file),
                labels: vec![LabeledSpan::new_primary_with_span(
                    Some("here".into()),
                    span(r.loc),
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
        source: source(report, f.loc.file),
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
    for f in &report.findings {
        let d = diag(report, f);
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

//! Rendering a [`Report`](crate::pipeline::Report): human, json, sarif, github.

mod excerpt;
pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod statistics;

use serde_json::Value;

use crate::finding::Finding;
use crate::pipeline::Report;
use crate::source::{Loc, Position};

/// Start and end positions of a location, resolved through the sources.
pub fn positions(report: &Report, loc: Loc) -> (String, Position, Position) {
    match report.sources.get(loc.file) {
        Some(src) => (
            src.path.clone(),
            src.position(loc.span.start),
            src.position(loc.span.end),
        ),
        None => {
            let p = Position {
                line: 1,
                column: 1,
                offset: 0,
            };
            (String::new(), p, p)
        }
    }
}

/// The rule's name and symptoms from its metadata (built-in or user-defined).
pub fn rule_info<'r>(report: &'r Report, f: &Finding) -> (&'r str, Vec<&'static str>) {
    match report.meta(f.rule) {
        Some(m) => (
            m.name.as_str(),
            m.symptoms.iter().map(|s| s.as_str()).collect(),
        ),
        None => ("", Vec::new()),
    }
}

/// `v` as `serde_json::to_string_pretty` prints it where its first line
/// stands at `indent`.
pub fn pretty(v: &Value, indent: &str) -> String {
    let text = serde_json::to_string_pretty(v).unwrap_or_default();
    text.replace('\n', &format!("\n{indent}"))
}

/// The array of `items` as `serde_json::to_string_pretty` prints it where
/// its `[` stands at `indent`. Each item is built, printed and dropped in
/// turn: a report with 100,000 findings is never held as JSON values.
pub fn push_pretty_array(out: &mut String, items: impl IntoIterator<Item = Value>, indent: &str) {
    let inner = format!("{indent}  ");
    let mut items = items.into_iter().peekable();
    if items.peek().is_none() {
        out.push_str("[]");
        return;
    }
    out.push_str("[\n");
    while let Some(item) = items.next() {
        out.push_str(&inner);
        out.push_str(&pretty(&item, &inner));
        out.push_str(if items.peek().is_some() { ",\n" } else { "\n" });
    }
    out.push_str(indent);
    out.push(']');
}

/// Reports to check a renderer on: one with several findings (a broken
/// document, an escaped name), one with none.
#[cfg(test)]
pub(crate) fn sample_reports() -> Vec<Report> {
    use crate::pipeline::{Input, Options, analyze};
    let broken = "apiVersion: v1\nkind: Service\nmetadata:\n  name: \"a\\nb\"\nspec:\n  selector: {app: x}\n  ports:\n    - port: 80\n      targetPort: 8080\n---\nkind: [\n";
    let reports: Vec<Report> = [broken, "a: 1\n"]
        .into_iter()
        .map(|text| {
            let input = Input::Text {
                display: "t.yaml".into(),
                text: text.into(),
            };
            analyze(vec![input], Vec::new(), &Options::default())
        })
        .collect();
    assert!(reports.first().is_some_and(|r| r.findings.len() > 1));
    assert!(reports.get(1).is_some_and(|r| r.findings.is_empty()));
    reports
}

//! `--format json`: the version 1 contract in DESIGN.md. Fields may be added,
//! never renamed or removed without bumping `version`.

use serde_json::{Value, json};

use super::{positions, pretty, push_pretty_array, rule_info};
use crate::finding::Finding;
use crate::pipeline::Report;
use crate::source::Loc;

pub const VERSION: u32 = 1;

fn location(report: &Report, loc: Loc) -> Value {
    let (path, start, end) = positions(report, loc);
    json!({"path": path, "start": start, "end": end})
}

pub fn finding_value(report: &Report, f: &Finding) -> Value {
    let (name, symptoms) = rule_info(report, f);
    json!({
        "rule": f.rule,
        "name": name,
        "severity": f.severity.as_str(),
        "message": f.message,
        "symptoms": symptoms,
        "location": location(report, f.loc),
        "resource": f.resource.as_ref().map(|r| json!({
            "kind": r.kind,
            "namespace": r.namespace,
            "name": r.name,
        })),
        "related": f.related.iter().map(|r| json!({
            "message": r.message,
            "location": location(report, r.loc),
        })).collect::<Vec<_>>(),
        "help": f.help,
        "fingerprint": crate::baseline::fingerprint(report, f),
    })
}

pub fn render(report: &Report) -> String {
    // The document is written piece by piece (push_pretty_array); the text
    // is what `to_string_pretty` of the whole document gives (a test checks).
    let mut s = String::from("{\n");
    s.push_str(&format!("  \"version\": {VERSION},\n"));
    let tool = json!({"name": "confaudit", "version": env!("CARGO_PKG_VERSION")});
    s.push_str(&format!("  \"tool\": {},\n", pretty(&tool, "  ")));
    s.push_str("  \"findings\": ");
    let findings = report.findings.iter().map(|f| finding_value(report, f));
    push_pretty_array(&mut s, findings, "  ");
    s.push_str(",\n");
    let summary = serde_json::to_value(&report.summary).unwrap_or_default();
    s.push_str(&format!("  \"summary\": {}\n}}\n", pretty(&summary, "  ")));
    s
}

/// `--format jsonl`: one finding object per line (editors, streaming).
pub fn render_lines(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        out.push_str(&finding_value(report, f).to_string());
        out.push('\n');
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// The document as one value: what `render` writes piece by piece.
    fn whole(report: &Report) -> String {
        let v = json!({
            "version": VERSION,
            "tool": {"name": "confaudit", "version": env!("CARGO_PKG_VERSION")},
            "findings": report.findings.iter().map(|f| finding_value(report, f)).collect::<Vec<_>>(),
            "summary": report.summary,
        });
        serde_json::to_string_pretty(&v).unwrap() + "\n"
    }

    #[test]
    fn streamed_rendering_is_the_pretty_printed_document() {
        for report in crate::report::sample_reports() {
            assert_eq!(render(&report), whole(&report));
        }
    }
}

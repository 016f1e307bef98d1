//! `--format json`: the version 1 contract in DESIGN.md. Fields may be added,
//! never renamed or removed without bumping `version`.

use serde_json::{Value, json};

use super::{positions, rule_info};
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
    let v = json!({
        "version": VERSION,
        "tool": {"name": "confaudit", "version": env!("CARGO_PKG_VERSION")},
        "findings": report.findings.iter().map(|f| finding_value(report, f)).collect::<Vec<_>>(),
        "summary": report.summary,
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
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

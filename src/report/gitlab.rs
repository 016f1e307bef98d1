//! `--format gitlab`: GitLab Code Quality (Code Climate subset) JSON.

use serde_json::json;

use super::{positions, push_pretty_array, rule_info};
use crate::baseline::fingerprint;
use crate::finding::Severity;
use crate::pipeline::Report;

pub fn render(report: &Report) -> String {
    let issues = report.findings.iter().map(|f| {
        let (path, start, end) = positions(report, f.loc);
        let (name, _) = rule_info(report, f);
        json!({
            "description": f.message,
            "check_name": format!("{} {name}", f.rule),
            "fingerprint": fingerprint(report, f),
            "severity": match f.severity {
                Severity::Error => "critical",
                Severity::Warning => "major",
                Severity::Info => "info",
            },
            "location": {"path": path, "lines": {"begin": start.line, "end": end.line}},
        })
    });
    let mut s = String::new();
    push_pretty_array(&mut s, issues, "");
    s.push('\n');
    s
}

//! `--statistics`: how many findings each rule produced (like ruff).

use std::collections::BTreeMap;

use serde_json::json;

use super::rule_info;
use crate::pipeline::Report;

fn counts(report: &Report) -> Vec<(&'static str, &str, &'static str, usize)> {
    let mut by_rule: BTreeMap<&'static str, (&str, &'static str, usize)> = BTreeMap::new();
    for f in &report.findings {
        let e = by_rule
            .entry(f.rule)
            .or_insert((rule_info(report, f).0, f.severity.as_str(), 0));
        e.2 += 1;
    }
    let mut v: Vec<_> = by_rule
        .into_iter()
        .map(|(r, (n, s, c))| (r, n, s, c))
        .collect();
    v.sort_by(|a, b| b.3.cmp(&a.3).then(a.0.cmp(b.0)));
    v
}

pub fn render_text(report: &Report) -> String {
    let mut out = String::new();
    for (rule, name, sev, count) in counts(report) {
        out.push_str(&format!("{count:>6}  {rule:<9} {name:<44} {sev}\n"));
    }
    out
}

fn values(report: &Report) -> impl Iterator<Item = serde_json::Value> {
    counts(report).into_iter().map(|(rule, name, sev, count)| {
        json!({"rule": rule, "name": name, "severity": sev, "count": count})
    })
}

/// `-f json`: one array.
pub fn render_json(report: &Report) -> String {
    let v: Vec<_> = values(report).collect();
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

/// `-f jsonl`: one object per line, as the findings are.
pub fn render_lines(report: &Report) -> String {
    values(report).map(|v| v.to_string() + "\n").collect()
}

//! `--format sarif`: SARIF 2.1.0 for code-scanning uploads. Rules carry their
//! help text from `rules/`; regions count columns in Unicode code points.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::{positions, push_pretty_array};
use crate::finding::{Finding, Severity};
use crate::pipeline::Report;
use crate::rules::meta;
use crate::source::Loc;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn physical(report: &Report, loc: Loc) -> Value {
    let (path, start, end) = positions(report, loc);
    let snippet = report
        .sources
        .get(loc.file)
        .map(|s| s.slice(loc.span).to_string())
        .unwrap_or_default();
    let mut region = json!({
        "startLine": start.line,
        "startColumn": start.column,
        "endLine": end.line,
        "endColumn": end.column,
        "charOffset": start.offset,
        "charLength": end.offset.saturating_sub(start.offset),
    });
    if !snippet.is_empty()
        && snippet.len() < 400
        && let Some(r) = region.as_object_mut()
    {
        r.insert("snippet".into(), json!({"text": snippet}));
    }
    json!({"artifactLocation": {"uri": uri(&path)}, "region": region})
}

fn rule_descriptor(m: &meta::RuleMeta) -> Value {
    let mut markdown = format!("{}\n\n**Why:** {}\n\n**Fix:** {}", m.summary, m.why, m.fix);
    if !m.symptoms.is_empty() {
        let s: Vec<&str> = m.symptoms.iter().map(|s| s.as_str()).collect();
        markdown.push_str(&format!("\n\n**Symptoms:** {}", s.join(", ")));
    }
    for r in &m.references {
        markdown.push_str(&format!("\n\n- <{r}>"));
    }
    let mut d = json!({
        "id": m.id,
        "name": m.name,
        "shortDescription": {"text": m.summary},
        "fullDescription": {"text": if m.why.is_empty() { m.summary.clone() } else { m.why.clone() }},
        "help": {"text": format!("{}\nFix: {}", m.summary, m.fix), "markdown": markdown},
        "defaultConfiguration": {"level": level(m.severity)},
        "properties": {"tags": m.symptoms.iter().map(|s| s.as_str()).collect::<Vec<_>>()},
    });
    if let (Some(r), Some(obj)) = (m.references.first(), d.as_object_mut()) {
        obj.insert("helpUri".into(), json!(r));
    }
    d
}

fn result(report: &Report, f: &Finding, rule_index: Option<usize>) -> Value {
    let mut text = f.message.clone();
    if let Some(h) = &f.help {
        text.push_str(&format!(" Help: {h}"));
    }
    let mut r = json!({
        "ruleId": f.rule,
        "level": level(f.severity),
        "message": {"text": text},
        "locations": [{"physicalLocation": physical(report, f.loc)}],
        "partialFingerprints": {"confaudit/v1": crate::baseline::fingerprint(report, f)},
    });
    if let Some(obj) = r.as_object_mut() {
        if let Some(i) = rule_index {
            obj.insert("ruleIndex".into(), json!(i));
        }
        if !f.related.is_empty() {
            obj.insert(
                "relatedLocations".into(),
                Value::Array(
                    f.related
                        .iter()
                        .enumerate()
                        .map(|(i, rel)| json!({"id": i + 1, "physicalLocation": physical(report, rel.loc), "message": {"text": rel.message}}))
                        .collect(),
                ),
            );
        }
    }
    r
}

/// The SARIF log around `results`.
fn document(rules: &[&meta::RuleMeta], results: Vec<Value>) -> Value {
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "confaudit",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/confaudit/confaudit",
                "rules": rules.iter().map(|m| rule_descriptor(m)).collect::<Vec<_>>(),
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

fn rules(report: &Report) -> Vec<&meta::RuleMeta> {
    meta::all().iter().chain(&report.user_rules).collect()
}

fn results<'r>(
    report: &'r Report,
    rules: &'r [&meta::RuleMeta],
) -> impl Iterator<Item = Value> + 'r {
    // Each rule's index (its first place in `rules`), worked out once: a
    // pass over the rules for every finding took findings x rules.
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, m) in rules.iter().enumerate() {
        index.entry(m.id.as_str()).or_insert(i);
    }
    report
        .findings
        .iter()
        .map(move |f| result(report, f, index.get(f.rule).copied()))
}

pub fn render(report: &Report) -> String {
    let rules = rules(report);
    let v = document(&rules, Vec::new());
    let frame = serde_json::to_string_pretty(&v).unwrap_or_default();
    // The results are written into the frame piece by piece (a string
    // value cannot hold this text: its quotes would be escaped).
    const EMPTY: &str = "\"results\": []";
    let Some(at) = frame.find(EMPTY) else {
        return frame + "\n";
    };
    let (head, tail) = frame.split_at(at + EMPTY.len() - 2);
    let indent: String = head
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .chars()
        .take_while(|c| *c == ' ')
        .collect();
    let mut s = String::from(head);
    push_pretty_array(&mut s, results(report, &rules), &indent);
    s.push_str(tail.get(2..).unwrap_or_default());
    s.push('\n');
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_result_names_its_rule_by_its_first_place_among_the_rules() {
        for mut report in crate::report::sample_reports() {
            // 2,000 user rules (some ids twice, one a built-in's) and a
            // finding of each kind.
            let builtin = meta::all();
            for i in 0..2000 {
                let Some(mut m) = builtin.get(i % builtin.len()).cloned() else {
                    continue;
                };
                m.id = format!("U{}", i % 1500);
                report.user_rules.push(m);
            }
            report.user_rules.extend(builtin.first().cloned());
            let template = report.findings.first().cloned();
            for id in ["U0", "U1499", "U700", "K8S001", "ZZZ"] {
                if let Some(mut f) = template.clone() {
                    f.rule = Box::leak(id.to_string().into_boxed_str());
                    report.findings.push(f);
                }
            }
            let rules = rules(&report);
            for (f, r) in report.findings.iter().zip(results(&report, &rules)) {
                let want = rules.iter().position(|m| m.id == f.rule);
                assert_eq!(
                    r.get("ruleIndex").and_then(Value::as_u64),
                    want.map(|i| i as u64)
                );
            }
        }
    }

    #[test]
    fn streamed_results_are_the_pretty_printed_log() {
        for report in crate::report::sample_reports() {
            let rules = rules(&report);
            let whole = document(&rules, results(&report, &rules).collect());
            let whole = serde_json::to_string_pretty(&whole).unwrap() + "\n";
            assert_eq!(render(&report), whole);
        }
    }
}

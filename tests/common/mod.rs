//! Helpers the integration tests share: one run of the library on a text.
#![allow(dead_code)]

use confaudit::pipeline::{Input, Options, Report, analyze};

/// The report of one run on a file `t.yaml` holding `text`.
pub fn report(text: &str) -> Report {
    let inputs = vec![Input::Text {
        display: "t.yaml".into(),
        text: text.into(),
    }];
    analyze(inputs, Vec::new(), &Options::default())
}

/// `Severity message` of a rule's findings, in report order.
pub fn findings(rule: &str, text: &str) -> Vec<String> {
    report(text)
        .findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| format!("{:?} {}", f.severity, f.message))
        .collect()
}

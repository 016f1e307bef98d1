//! `--format junit`: JUnit XML for GitLab, Jenkins and other CI test views.
//! One test case per finding; a clean run is one passing case.

use std::fmt::Write as _;

use super::{positions, rule_info};
use crate::finding::Severity;
use crate::pipeline::Report;

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters.
            // Characters XML 1.0 does not allow (a parser rejects the file).
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            '\u{FFFE}' | '\u{FFFF}' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

pub fn render(report: &Report) -> String {
    let failing = report
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .count();
    let tests = report.findings.len().max(1);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"confaudit\" tests=\"{tests}\" failures=\"{failing}\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"confaudit\" tests=\"{tests}\" failures=\"{failing}\" errors=\"0\" skipped=\"0\">"
    );
    if report.findings.is_empty() {
        let _ = writeln!(
            out,
            "    <testcase classname=\"confaudit\" name=\"no findings\"/>"
        );
    }
    for f in &report.findings {
        let (path, start, _) = positions(report, f.loc);
        let (name, _) = rule_info(report, f);
        let case = format!("{} {name} {path}:{}:{}", f.rule, start.line, start.column);
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\"",
            xml(&path),
            xml(&case),
            xml(&path),
            start.line
        );
        let mut body = format!("{path}:{}:{}: {}", start.line, start.column, f.message);
        if let Some(h) = &f.help {
            body.push_str("\nhelp: ");
            body.push_str(h);
        }
        match f.severity {
            Severity::Info => {
                let _ = writeln!(
                    out,
                    ">\n      <system-out>{}</system-out>\n    </testcase>",
                    xml(&body)
                );
            }
            s => {
                let _ = writeln!(
                    out,
                    ">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>",
                    s.as_str(),
                    xml(&f.message),
                    xml(&body)
                );
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn characters_xml_forbids_are_replaced() {
        assert_eq!(super::xml("a\u{1b}b\u{FFFE}c\u{FFFF}d\t<"), "a b c d\t&lt;");
    }
}

//! `--format github`: GitHub Actions workflow commands (annotations).

use super::positions;
use crate::finding::Severity;
use crate::pipeline::Report;

/// Workflow command data escaping (`%`, CR, LF), plus `,` and `:` in
/// properties. The Actions log renders escape sequences, which GitHub's
/// escaping passes through: those from a config are written as `\u{1b}`.
fn escape_data(s: &str) -> String {
    super::excerpt::printable(s)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}
fn escape_prop(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let (path, start, end) = positions(report, f.loc);
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut msg = f.message.clone();
        if let Some(h) = &f.help {
            msg.push_str("\nhelp: ");
            msg.push_str(h);
        }
        let name = super::rule_info(report, f).0;
        out.push_str(&format!(
            "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            escape_prop(&path),
            start.line,
            start.column,
            end.line,
            end.column,
            escape_prop(&format!("{} {name}", f.rule)),
            escape_data(&msg)
        ));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[test]
    fn escape_sequences_from_configs_do_not_reach_the_log() {
        let escaped = super::escape_data("svc\u{1b}[31mred\u{7}\r\n100%");
        assert_eq!(escaped, "svc\\u{1b}[31mred\\u{7}\\u{d}%0A100%25");
        assert_eq!(super::escape_prop("a:b,\u{9b}c"), "a%3Ab%2C\\u{9b}c");
    }
}

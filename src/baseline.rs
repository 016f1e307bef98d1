//! Baselines: adopt confaudit on a big repository without fixing everything
//! first. A finding's fingerprint is stable across line shifts: rule, file,
//! resource and the text at the primary location, not its line.

use std::collections::HashMap;

use crate::finding::Finding;
use crate::pipeline::Report;

/// FNV-1a, 64 bit: stable across Rust versions and platforms (unlike `DefaultHasher`).
fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The fingerprint of a finding in its report.
pub fn fingerprint(report: &Report, f: &Finding) -> String {
    let src = report.sources.get(f.loc.file);
    let path = src.map(|s| s.path.as_str()).unwrap_or("");
    // Whitespace-insensitive text of the primary span (bounded).
    let text: String = src
        .map(|s| s.slice(f.loc.span))
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(200)
        .collect();
    let (kind, ns, name) = match &f.resource {
        Some(r) => (
            r.kind.as_str(),
            r.namespace.as_deref().unwrap_or(""),
            r.name.as_str(),
        ),
        None => ("", "", ""),
    };
    format!("{:016x}", fnv1a(&[f.rule, path, kind, ns, name, &text]))
}

/// The largest baseline read (a report of 80,000 findings is ~75 MB).
const MAX_BASELINE_SIZE: u64 = 1 << 30;

/// Fingerprints (with multiplicity) of a previous JSON report.
pub fn load(path: &std::path::Path) -> Result<HashMap<String, usize>, String> {
    let text = crate::util::read_text_capped(path, MAX_BASELINE_SIZE)
        .map_err(|e| format!("baseline: {e}"))?;
    let report: BaselineReport = serde_json::from_str(&text).map_err(|e| {
        format!(
            "baseline {} is not a confaudit JSON report: {e}",
            path.display()
        )
    })?;
    let findings = report
        .findings
        .ok_or_else(|| format!("baseline {} has no `findings` list", path.display()))?;
    let mut out: HashMap<String, usize> = HashMap::new();
    for f in findings {
        if let Some(serde_json::Value::String(fp)) = f.fingerprint {
            *out.entry(fp).or_default() += 1;
        }
    }
    Ok(out)
}

/// What a baseline is read for: the findings' fingerprints. The rest of
/// each finding is skipped unread (read as one JSON value, a report of
/// 80,000 findings, 75 MB, took 610 MB).
#[derive(serde::Deserialize)]
struct BaselineReport {
    findings: Option<Vec<BaselineFinding>>,
}

#[derive(serde::Deserialize)]
struct BaselineFinding {
    /// Used when it is a string.
    fingerprint: Option<serde_json::Value>,
}

/// Drop findings present in the baseline (each baseline entry absorbs one finding).
pub fn filter(report: &mut Report, mut baseline: HashMap<String, usize>) -> usize {
    let fps: Vec<String> = report
        .findings
        .iter()
        .map(|f| fingerprint(report, f))
        .collect();
    let mut keep = Vec::with_capacity(fps.len());
    for fp in &fps {
        let absorbed = match baseline.get_mut(fp) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        };
        keep.push(!absorbed);
    }
    let before = report.findings.len();
    let mut it = keep.into_iter();
    report.findings.retain(|_| it.next().unwrap_or(true));
    before - report.findings.len()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_baseline_is_read_for_its_fingerprints_only() {
        let dir = tempfile::tempdir().unwrap();
        let read = |text: &str| {
            let path = dir.path().join("b.json");
            std::fs::write(&path, text).unwrap();
            load(&path)
        };
        let fps = read(
            r#"{"version": 1, "findings": [
                {"rule": "K8S001", "fingerprint": "aa", "location": {"path": "x"}},
                {"fingerprint": "aa", "related": [[{"deep": null}]]},
                {"fingerprint": 7}, {}, {"fingerprint": "bb"}
            ], "summary": {}}"#,
        )
        .unwrap();
        assert_eq!(fps.len(), 2);
        assert_eq!((fps["aa"], fps["bb"]), (2, 1));
        assert!(
            read(r#"{"version": 1}"#)
                .unwrap_err()
                .contains("no `findings` list")
        );
        assert!(
            read(r#"{"findings": 3}"#)
                .unwrap_err()
                .contains("not a confaudit JSON report")
        );
        assert!(read("[1, 2").is_err());
    }

    #[test]
    fn fnv_is_stable() {
        assert_eq!(fnv1a(&["a"]), fnv1a(&["a"]));
        assert_ne!(fnv1a(&["ab", "c"]), fnv1a(&["a", "bc"]));
    }
}

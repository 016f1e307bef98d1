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
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        format!(
            "baseline {} is not a confaudit JSON report: {e}",
            path.display()
        )
    })?;
    let findings = v
        .get("findings")
        .and_then(|f| f.as_array())
        .ok_or_else(|| format!("baseline {} has no `findings` list", path.display()))?;
    let mut out: HashMap<String, usize> = HashMap::new();
    for f in findings {
        if let Some(fp) = f.get("fingerprint").and_then(|x| x.as_str()) {
            *out.entry(fp.to_string()).or_default() += 1;
        }
    }
    Ok(out)
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
mod tests {
    use super::*;

    #[test]
    fn fnv_is_stable() {
        assert_eq!(fnv1a(&["a"]), fnv1a(&["a"]));
        assert_ne!(fnv1a(&["ab", "c"]), fnv1a(&["a", "bc"]));
    }
}

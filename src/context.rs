//! Changed files with full context (the pre-commit path): when only files are
//! given, the whole project (`--context DIR`, else the enclosing git work
//! tree) is loaded for the model, and only findings on the given files — or
//! on other files because of them — are reported.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::pipeline::Report;

/// The directory to load as context, if this run is a changed-files run.
pub fn root(paths: &[PathBuf], explicit: Option<&Path>, disabled: bool) -> Option<PathBuf> {
    if disabled || paths.is_empty() || !paths.iter().all(|p| p.is_file()) {
        return None;
    }
    if let Some(dir) = explicit {
        return Some(dir.to_path_buf());
    }
    let first = std::fs::canonicalize(paths.first()?).ok()?;
    let top = first
        .ancestors()
        .skip(1)
        .find(|d| d.join(".git").exists())?;
    // Walk it as a path relative to the working directory when possible, so
    // displayed paths stay relative.
    let cwd = std::env::current_dir().ok()?;
    let cwd = std::fs::canonicalize(cwd).ok()?;
    if let Ok(rest) = cwd.strip_prefix(top) {
        let ups = rest.components().count();
        let rel: PathBuf = if ups == 0 {
            PathBuf::from(".")
        } else {
            (0..ups).map(|_| "..").collect()
        };
        return Some(rel);
    }
    Some(top.to_path_buf())
}

/// Canonical forms of the given files.
pub fn canonical_set(paths: &[PathBuf]) -> HashSet<PathBuf> {
    paths
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect()
}

/// Keep findings on the focus files, or on other files with a related
/// location in them (a change that broke a reference elsewhere).
pub fn keep_focused(report: &mut Report, focus: &HashSet<String>) {
    let path_of = |file: u32| {
        report
            .sources
            .get(file)
            .map(|s| s.path.clone())
            .unwrap_or_default()
    };
    let keep: Vec<Option<String>> = report
        .findings
        .iter()
        .map(|f| {
            if focus.contains(&path_of(f.loc.file)) {
                return Some(String::new());
            }
            f.related
                .iter()
                .map(|r| path_of(r.loc.file))
                .find(|p| focus.contains(p))
        })
        .collect();
    let mut it = keep.into_iter();
    report.findings.retain_mut(|f| match it.next().flatten() {
        Some(cause) if !cause.is_empty() => {
            f.message
                .push_str(&format!(" (reported because {cause} changed)"));
            true
        }
        Some(_) => true,
        None => false,
    });
    report.recount();
}

//! Rendering a [`Report`](crate::pipeline::Report): human, json, sarif, github.

pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod statistics;

use crate::finding::Finding;
use crate::pipeline::Report;
use crate::source::{Loc, Position};

/// Start and end positions of a location, resolved through the sources.
pub fn positions(report: &Report, loc: Loc) -> (String, Position, Position) {
    match report.sources.get(loc.file) {
        Some(src) => (
            src.path.clone(),
            src.position(loc.span.start),
            src.position(loc.span.end),
        ),
        None => {
            let p = Position {
                line: 1,
                column: 1,
                offset: 0,
            };
            (String::new(), p, p)
        }
    }
}

/// The rule's name and symptoms from its metadata (built-in or user-defined).
pub fn rule_info<'r>(report: &'r Report, f: &Finding) -> (&'r str, Vec<&'static str>) {
    match report.meta(f.rule) {
        Some(m) => (
            m.name.as_str(),
            m.symptoms.iter().map(|s| s.as_str()).collect(),
        ),
        None => ("", Vec::new()),
    }
}

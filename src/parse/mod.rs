//! Span-aware parsing: YAML/JSON into [`tree::Doc`]s, NGINX configs into
//! [`nginx::NginxFile`]s.

pub mod nginx;
pub mod tree;
pub mod yaml;

use crate::source::Span;

/// A comment that may carry a suppression.
#[derive(Clone, Debug)]
pub struct Comment {
    pub span: Span,
    /// Text after `#`, trimmed.
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    Syntax,
    DuplicateKey,
    Limit,
}

/// Something wrong with a file's text, found while loading it.
#[derive(Clone, Debug)]
pub struct LoadProblem {
    pub kind: ProblemKind,
    pub span: Span,
    pub message: String,
    pub related: Vec<(Span, String)>,
}

impl LoadProblem {
    pub fn limit(span: Span, message: String) -> LoadProblem {
        LoadProblem {
            kind: ProblemKind::Limit,
            span,
            message,
            related: Vec::new(),
        }
    }
}

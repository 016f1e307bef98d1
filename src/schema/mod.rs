//! Schema validation: an analysis over documents (not the model). Every
//! Kubernetes-style object and Envoy resource with a schema under `schemas/`
//! is validated with `jsonschema`, in place on the tree (`tree_json`) or,
//! for documents with aliases, duplicate keys or leading-zero numbers,
//! converted to JSON first (budgeted, `convert`), and each
//! error is mapped back to the span of the key or value at fault. User rules
//! (`rules:` in `.confaudit.yaml`) run the same way with the user's schema.
//!
//! The results are computed once, before the rules run; the SCH rules only
//! read them (`Ctx::schema`).

pub mod catalog;
pub mod convert;
pub mod envoy;
pub mod fast;
pub mod pointer;
pub mod tree_json;
pub mod user;
pub mod validate;

use crate::finding::{Resource, Severity};
use crate::source::Loc;

/// What a schema problem is; each built-in kind is one SCH rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IssueKind {
    /// SCH001
    UnknownField,
    /// SCH002
    WrongType,
    /// SCH003
    InvalidValue,
    /// SCH004
    Yaml11Boolean,
    /// SCH005
    OctalNumber,
    /// A user-defined rule (its own id).
    User(&'static str),
}

/// One problem found by validation, located at the key or value at fault.
#[derive(Clone, Debug)]
pub struct Issue {
    pub kind: IssueKind,
    /// Overrides the rule's default severity (unknown fields: error or warning).
    pub severity: Option<Severity>,
    pub loc: Loc,
    pub message: String,
    pub help: Option<String>,
    pub resource: Option<Resource>,
    pub related: Vec<(Loc, String)>,
}

impl Issue {
    fn cap(&mut self) {
        use crate::finding::{MAX_TEXT, clip};
        self.message = clip(std::mem::take(&mut self.message), MAX_TEXT);
        self.help = self.help.take().map(|h| clip(h, MAX_TEXT));
        for (_, m) in &mut self.related {
            *m = clip(std::mem::take(m), MAX_TEXT);
        }
        self.resource = self.resource.take().map(Resource::clipped);
    }
}

/// Everything validation found, for the rules to report.
#[derive(Debug, Default)]
pub struct Results {
    pub issues: Vec<Issue>,
    /// Resources not validated because they exceed the conversion budget (CA004).
    pub limits: Vec<(Loc, String)>,
}

impl Results {
    pub fn of(&self, kind: IssueKind) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(move |i| i.kind == kind)
    }
}

/// What to validate.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// Run the built-in schemas (some SCH rule is enabled).
    pub builtin: bool,
    pub user_rules: user::UserRules,
}

impl Plan {
    /// Is there anything to validate?
    pub fn any(&self) -> bool {
        self.builtin || !self.user_rules.is_empty()
    }
}

impl Results {
    pub fn append(&mut self, other: &mut Results) {
        // Held to the end of the run: bounded as findings are (they quote
        // values, keys and names from the input).
        for i in &mut other.issues {
            i.cap();
        }
        self.issues.append(&mut other.issues);
        self.limits.append(&mut other.limits);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests_in_place;

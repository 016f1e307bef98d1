//! SCH004: an unquoted yes/no/on/off in a string field, a boolean to YAML 1.1 readers.

use crate::rules::{Ctx, Emit, Rule};
use crate::schema::IssueKind;

pub static RULE: Rule = Rule {
    id: "SCH004",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    super::report(ctx, emit, IssueKind::Yaml11Boolean);
}

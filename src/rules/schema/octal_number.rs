//! SCH005: a number with a leading zero, which YAML 1.1 reads as octal.

use crate::rules::{Ctx, Emit, Rule};
use crate::schema::IssueKind;

pub static RULE: Rule = Rule {
    id: "SCH005",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    super::report(ctx, emit, IssueKind::OctalNumber);
}

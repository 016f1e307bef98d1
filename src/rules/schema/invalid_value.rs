//! SCH003: a value outside the allowed set or range (unknown enum value, port out of range).

use crate::rules::{Ctx, Emit, Rule};
use crate::schema::IssueKind;

pub static RULE: Rule = Rule {
    id: "SCH003",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    super::report(ctx, emit, IssueKind::InvalidValue);
}

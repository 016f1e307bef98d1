//! SCH002: a value of the wrong type (a quoted port, a duration without unit).

use crate::rules::{Ctx, Emit, Rule};
use crate::schema::IssueKind;

pub static RULE: Rule = Rule {
    id: "SCH002",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    super::report(ctx, emit, IssueKind::WrongType);
}

//! SCH001: a field the API does not know (a typo): dropped by Kubernetes, rejected by Envoy.

use crate::rules::{Ctx, Emit, Rule};
use crate::schema::IssueKind;

pub static RULE: Rule = Rule {
    id: "SCH001",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    super::report(ctx, emit, IssueKind::UnknownField);
}

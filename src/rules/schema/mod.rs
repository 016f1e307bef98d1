//! Schema rules: they report what schema validation (`crate::schema`) found
//! before the rules ran; no parsing and no file access here.

mod invalid_value;
mod octal_number;
mod unknown_field;
mod wrong_type;
mod yaml11_boolean;

use super::{Ctx, Emit, Rule};
use crate::schema::IssueKind;

pub static RULES: &[&Rule] = &[
    &unknown_field::RULE,
    &wrong_type::RULE,
    &invalid_value::RULE,
    &yaml11_boolean::RULE,
    &octal_number::RULE,
];

/// Emit every issue of one kind as a finding of the rule.
fn report(ctx: &Ctx<'_, '_>, emit: &mut Emit, kind: IssueKind) {
    for i in ctx.schema.of(kind) {
        let f = emit.at(i.loc, i.message.clone());
        if let Some(r) = &i.resource {
            f.resource(r.clone());
        }
        if let Some(h) = &i.help {
            f.help(h.clone());
        }
        if let Some(s) = i.severity {
            f.severity(s);
        }
        for (loc, m) in &i.related {
            f.related(*loc, m.clone());
        }
    }
}

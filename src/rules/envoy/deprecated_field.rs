//! ENV018: deprecated fields (a warning) and v2 fields that current Envoy rejects (an error).

use crate::finding::Severity;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ENV018",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    for d in &ctx.model.envoy.deprecated {
        let (severity, effect) = if d.rejected {
            (Severity::Error, "current Envoy rejects the configuration")
        } else {
            (
                Severity::Warning,
                "deprecated since the v3 API: Envoy still accepts it, logs a deprecation warning, and will drop it",
            )
        };
        let f = emit
            .at(d.node.loc(), format!("{}: {effect}", d.what))
            .severity(severity)
            .help(format!("use {} instead", d.instead));
        if let Some((kind, name)) = d.resource {
            f.resource(crate::model::envoy::resource(kind, name));
        }
    }
}

//! GWAPI001: a route backendRef naming a Service that is not in the tree.

use super::common::{backend_namespace, routes, services_named};
use crate::finding::Severity;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "GWAPI001",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    // One budget for the suggestions of all this check's findings.
    let mut suggest = crate::util::Suggest::default();
    let model = ctx.model;
    for (route, obj) in routes(model) {
        for b in route.backend_refs.iter().filter(|b| b.is_service()) {
            let ns = backend_namespace(obj, b);
            if !services_named(model, ns, b.name).is_empty() {
                continue;
            }
            let f = emit
                .at(
                    b.name_node.loc(),
                    format!(
                        "{} {}/{} sends traffic to Service `{}`, which is not defined in namespace {ns} in the analysed files",
                        obj.kind, obj.namespace, obj.name, b.name
                    ),
                )
                .resource(obj.resource());
            // Without any Service of that namespace the tree is partial:
            // the Service may well be deployed from elsewhere.
            if !model.namespace_has_services(ns) {
                f.severity(Severity::Warning).help(format!(
                    "the analysed files define no Service in namespace {ns}; if `{}` is deployed from elsewhere this is fine, otherwise create it",
                    b.name
                ));
                continue;
            }
            match suggest.closest(b.name, model.k8s.service_names_in(ns)) {
                Some(near) => f.help(format!("did you mean Service `{near}`?")),
                None => f.help(format!(
                    "create Service `{}` in namespace {ns}, or fix the name; the Gateway reports ResolvedRefs=False (BackendNotFound) and answers 500",
                    b.name
                )),
            };
        }
    }
}

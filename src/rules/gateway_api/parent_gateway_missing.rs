//! GWAPI005: a route parentRef naming a Gateway that is not in the tree.

use super::common::{
    gateways_named, is_gateway_ref, namespace_has_gateways, parent_namespace, routes,
};
use foldhash::{HashMap, HashMapExt};

use crate::finding::Severity;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "GWAPI005",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    // One budget for the suggestions of all this check's findings.
    let mut suggest = crate::util::Suggest::default();
    let model = ctx.model;
    let mut names_in: HashMap<&str, (Vec<&str>, String)> = HashMap::new();
    for (route, obj) in routes(model) {
        for p in route.parent_refs.iter().filter(|p| is_gateway_ref(p)) {
            let ns = parent_namespace(obj, p);
            if !gateways_named(model, ns, p.name).is_empty() {
                continue;
            }
            let at = p.node.get("name").unwrap_or(p.node).loc();
            let f = emit
                .at(
                    at,
                    format!(
                        "{} {}/{} attaches to Gateway {ns}/{}, which is not defined in the analysed files",
                        obj.kind, obj.namespace, obj.name, p.name
                    ),
                )
                .resource(obj.resource());
            // Gateways often live in another namespace or repository: only a
            // namespace whose Gateways the tree holds makes this an error.
            if !namespace_has_gateways(model, ns) {
                f.severity(Severity::Warning).help(format!(
                    "the analysed files define no Gateway in namespace {ns}; if `{}` is deployed from elsewhere this is fine, otherwise the route is attached to nothing and serves no traffic",
                    p.name
                ));
                continue;
            }
            // Once per namespace: thousands of refs to missing Gateways
            // listed thousands of names each.
            let (others, listed) = names_in.entry(ns).or_insert_with(|| {
                let names: Vec<&str> = model
                    .gateway_api
                    .gateways_in(ns)
                    .filter_map(|g| model.k8s.object(g.object))
                    .map(|o| o.name)
                    .collect();
                let listed = crate::util::listed(&names, crate::util::LISTED);
                (names, listed)
            });
            match suggest.closest(p.name, others.iter().copied()) {
                Some(near) => f.help(format!("did you mean Gateway `{near}`?")),
                None => f.help(format!(
                    "Gateways in namespace {ns}: {listed}; without its Gateway the route serves no traffic (404)"
                )),
            };
        }
    }
}

//! GWAPI004: a cross-namespace backendRef that no ReferenceGrant allows.

use foldhash::{HashMap, HashMapExt, HashSet};

use super::common::{GROUP, backend_namespace, routes};
use crate::finding::Severity;
use crate::model::gateway_api::{BackendRef, ReferenceGrant};
use crate::model::k8s::Object;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "GWAPI004",
    check,
};

fn allows_from(g: &ReferenceGrant<'_>, route: &Object<'_>) -> bool {
    g.from
        .iter()
        .any(|&(group, kind, ns)| group == GROUP && kind == route.kind && ns == route.namespace)
}

fn allows_to(g: &ReferenceGrant<'_>, b: &BackendRef<'_>) -> bool {
    g.to.iter().any(|&(group, kind, name)| {
        group == b.group && kind == b.kind && name.is_none_or(|n| n == b.name)
    })
}

/// Why a grant in the right namespace does not cover this reference.
fn near_miss(g: &ReferenceGrant<'_>, route: &Object<'_>, b: &BackendRef<'_>) -> String {
    if !allows_from(g, route) {
        let from: Vec<String> = g
            .from
            .iter()
            .map(|&(group, kind, ns)| match group {
                GROUP => format!("{kind} from namespace {ns}"),
                "" => format!("{kind} of the core group \"\" from namespace {ns}"),
                g => format!("{kind} of group {g} from namespace {ns}"),
            })
            .collect();
        format!(
            "it allows {}, not {} from namespace {}",
            if from.is_empty() {
                "nothing".to_string()
            } else {
                from.join(", ")
            },
            route.kind,
            route.namespace
        )
    } else {
        format!("its `to` does not cover {} `{}`", b.kind, b.name)
    }
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let model = ctx.model;
    let k = &model.k8s;
    // Grants by namespace, in order, and by (namespace, namespace allowed
    // from): looked up per backendRef, where scanning every grant cost
    // routes x grants (8,000 of each: 11.6 s).
    let mut in_ns: HashMap<&str, Vec<(&ReferenceGrant<'_>, &Object<'_>)>> = HashMap::new();
    let mut from_ns: HashMap<(&str, &str), Vec<&ReferenceGrant<'_>>> = HashMap::new();
    for (g, o) in model
        .gateway_api
        .grants
        .iter()
        .filter_map(|g| Some((g, k.object(g.object)?)))
    {
        in_ns.entry(o.namespace).or_default().push((g, o));
        let mut froms: Vec<&str> = g.from.iter().map(|&(_, _, ns)| ns).collect();
        froms.sort_unstable();
        froms.dedup();
        for from in froms {
            from_ns.entry((o.namespace, from)).or_default().push(g);
        }
    }
    let object_namespaces: HashSet<&str> = k.objects.iter().map(|o| o.namespace).collect();
    for (route, obj) in routes(model) {
        for b in route.backend_refs.iter().filter(|b| b.is_service()) {
            let ns = backend_namespace(obj, b);
            if ns == obj.namespace {
                continue;
            }
            let allowed = from_ns
                .get(&(ns, obj.namespace))
                .is_some_and(|gs| gs.iter().any(|g| allows_from(g, obj) && allows_to(g, b)));
            if allowed {
                continue;
            }
            let grants = in_ns.get(ns).map_or(&[][..], Vec::as_slice);
            let at = b.node.get("namespace").unwrap_or(b.name_node).loc();
            let f = emit
                .at(
                    at,
                    format!(
                        "{} {}/{} sends traffic to Service {ns}/{}, but no ReferenceGrant in namespace {ns} allows {}s from namespace {} to refer to it",
                        obj.kind, obj.namespace, obj.name, b.name, obj.kind, obj.namespace
                    ),
                )
                .resource(obj.resource());
            for (g, o) in grants.iter().take(3) {
                f.related(
                    o.name_loc(),
                    format!(
                        "ReferenceGrant {ns}/{} does not apply: {}",
                        o.name,
                        near_miss(g, obj, b)
                    ),
                );
            }
            let mut help = format!(
                "add a ReferenceGrant in namespace {ns} with from: [{{group: {GROUP}, kind: {}, namespace: {}}}] and to: [{{group: \"\", kind: Service, name: {}}}]; until then the reference is RefNotPermitted and requests get 500",
                obj.kind, obj.namespace, b.name
            );
            // Nothing of the target namespace in the tree: the grant may be
            // deployed with it from elsewhere.
            if !object_namespaces.contains(ns) {
                f.severity(Severity::Warning);
                help.push_str(&format!(
                    " (the analysed files hold nothing of namespace {ns}; if its grant is deployed from elsewhere this is fine)"
                ));
            }
            f.help(help);
        }
    }
}

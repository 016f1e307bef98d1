//! K8S009: a workload whose own selector does not select its pod template.

use crate::model::k8s::LabelSelector;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "K8S009",
    check,
};

/// Does a LabelSelector (matchLabels + matchExpressions, or a plain map) select the labels?
/// `None` when the selector uses something we do not understand.
fn selector_selects(sel: &LabelSelector<'_>, labels: &[(&str, &str)]) -> Option<bool> {
    let has = |k: &str| labels.iter().find(|(lk, _)| *lk == k).map(|(_, v)| *v);
    if sel.match_labels.iter().any(|(k, v)| has(k) != Some(*v)) {
        return Some(false);
    }
    for e in &sel.expressions {
        let key = e.key?;
        let values = &e.values;
        let ok = match e.operator? {
            "In" => has(key).is_some_and(|v| values.contains(&v)),
            "NotIn" => !has(key).is_some_and(|v| values.contains(&v)),
            "Exists" => has(key).is_some(),
            "DoesNotExist" => has(key).is_none(),
            _ => return None,
        };
        if !ok {
            return Some(false);
        }
    }
    Some(true)
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let k = &ctx.model.k8s;
    for t in &k.templates {
        let (Some(obj), Some(sel)) = (k.template_object(t), &t.selector) else {
            continue;
        };
        if sel.null || selector_selects(sel, &t.labels) != Some(false) {
            continue;
        }
        let f = emit
            .at(
                sel.loc,
                format!(
                    "{} {}: spec.selector does not select the pod template's own labels; the API rejects it (or, for controllers that accept it, the pods are orphaned)",
                    obj.kind, obj.name
                ),
            )
            .resource(obj.resource())
            .help("make spec.template.metadata.labels include every selector label");
        match t.template_labels_loc {
            Some(l) => f.related(l, "pod template labels"),
            None => f.related(obj.name_loc(), "the pod template has no labels"),
        };
    }
}

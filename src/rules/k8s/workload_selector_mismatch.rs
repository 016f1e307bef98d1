//! K8S009: a workload whose own selector does not select its pod template.

use crate::parse::tree::NodeRef;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "K8S009",
    check,
};

/// Does a LabelSelector (matchLabels + matchExpressions, or a plain map) select the labels?
/// `None` when the selector uses something we do not understand.
fn selector_selects(sel: NodeRef<'_>, labels: &[(&str, &str)]) -> Option<bool> {
    let has = |k: &str| labels.iter().find(|(lk, _)| *lk == k).map(|(_, v)| *v);
    let structured = sel.get("matchLabels").is_some() || sel.get("matchExpressions").is_some();
    let pairs = if structured {
        sel.get("matchLabels")
            .map(|m| m.string_pairs())
            .unwrap_or_default()
    } else {
        sel.string_pairs()
    };
    if pairs.iter().any(|(k, v)| has(k) != Some(*v)) {
        return Some(false);
    }
    for e in sel
        .get("matchExpressions")
        .into_iter()
        .flat_map(|m| m.items())
    {
        let key = e.str_at("key")?;
        let values: Vec<&str> = e
            .get("values")
            .into_iter()
            .flat_map(|v| v.items())
            .filter_map(|v| v.as_str())
            .collect();
        let ok = match e.str_at("operator")? {
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
        let (Some(obj), Some(sel)) = (k.template_object(t), t.selector) else {
            continue;
        };
        if sel.is_null() || selector_selects(sel, &t.labels) != Some(false) {
            continue;
        }
        let labels_node = obj.node.path(&["spec", "template", "metadata", "labels"]);
        let f = emit
            .at(
                sel.loc(),
                format!(
                    "{} {}: spec.selector does not select the pod template's own labels; the API rejects it (or, for controllers that accept it, the pods are orphaned)",
                    obj.kind, obj.name
                ),
            )
            .resource(obj.resource())
            .help("make spec.template.metadata.labels include every selector label");
        match labels_node {
            Some(l) => f.related(l.loc(), "pod template labels"),
            None => f.related(obj.name_loc(), "the pod template has no labels"),
        };
    }
}

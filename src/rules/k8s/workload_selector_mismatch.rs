//! K8S009: a workload whose own selector does not select its pod template.

use foldhash::{HashMap, HashMapExt};

use crate::model::k8s::LabelSelector;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "K8S009",
    check,
};

/// Does a LabelSelector (matchLabels + matchExpressions, or a plain map) select the labels?
/// `None` when the selector uses something we do not understand.
fn selector_selects(sel: &LabelSelector<'_>, labels: &[(&str, &str)]) -> Option<bool> {
    // Many pairs on both sides: labels are looked up in a map (the first of
    // duplicate keys, as the scan finds it); 40,000 of each took seconds.
    let index: Option<HashMap<&str, &str>> =
        (labels.len() > 16 && sel.match_labels.len() + sel.expressions.len() > 8).then(|| {
            let mut m = HashMap::with_capacity(labels.len());
            for &(k, v) in labels {
                m.entry(k).or_insert(v);
            }
            m
        });
    let has = |k: &str| match &index {
        Some(m) => m.get(k).copied(),
        None => labels.iter().find(|(lk, _)| *lk == k).map(|(_, v)| *v),
    };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::k8s::SelectorExpression;

    fn selector<'a>(
        pairs: &[(&'a str, &'a str)],
        exprs: Vec<SelectorExpression<'a>>,
    ) -> LabelSelector<'a> {
        LabelSelector {
            loc: crate::source::Loc {
                file: 0,
                span: crate::source::Span { start: 0, end: 0 },
            },
            null: false,
            match_labels: pairs.to_vec(),
            expressions: exprs,
        }
    }

    #[test]
    fn long_selectors_are_judged_as_short_ones() {
        let names: Vec<String> = (0..30).map(|i| format!("k{i}")).collect();
        let mut labels: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v")).collect();
        // A duplicate key: the first one counts, with or without the map.
        labels.push(("k3", "other"));
        let exists = |key| SelectorExpression {
            key: Some(key),
            operator: Some("Exists"),
            values: Vec::new(),
        };
        type Case<'a> = (Vec<(&'a str, &'a str)>, Vec<SelectorExpression<'a>>);
        let cases: Vec<Case> = vec![
            (labels[..20].to_vec(), vec![]),
            (labels[..20].to_vec(), vec![exists("k29")]),
            (labels[..20].to_vec(), vec![exists("absent")]),
            (vec![("k3", "other")], vec![]),
            (
                labels[..29]
                    .iter()
                    .copied()
                    .chain([("k3", "other")])
                    .collect(),
                vec![],
            ),
        ];
        for (pairs, exprs) in cases {
            let long = selector(&pairs, exprs.clone());
            // The same pairs one at a time (each below the map's threshold).
            let one_by_one = pairs
                .iter()
                .map(|p| selector_selects(&selector(std::slice::from_ref(p), vec![]), &labels))
                .chain(
                    exprs
                        .iter()
                        .map(|e| selector_selects(&selector(&[], vec![e.clone()]), &labels)),
                )
                .try_fold(true, |all, r| r.map(|ok| all && ok));
            assert_eq!(selector_selects(&long, &labels), one_by_one, "{pairs:?}");
        }
    }
}

//! K8S011: a NetworkPolicy whose only allowed peers select no pod.

use crate::parse::tree::NodeRef;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "K8S011",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let k = &ctx.model.k8s;
    for obj in k
        .objects
        .iter()
        .filter(|o| o.kind == "NetworkPolicy" && o.group() == "networking.k8s.io")
    {
        // When the pods the policy protects are not in the tree, neither may be their peers.
        let targets_known = obj
            .path(&["spec", "podSelector"])
            .and_then(simple_selector)
            .is_some_and(|sel| k.selected_templates(obj.namespace, &sel).next().is_some());
        for (dir, peers_key) in [("ingress", "from"), ("egress", "to")] {
            for rule in obj.path(&["spec", dir]).into_iter().flat_map(|r| r.items()) {
                for peer in rule.get(peers_key).into_iter().flat_map(|p| p.items()) {
                    // A namespaceSelector widens the podSelector to other namespaces: unknown here.
                    if peer.get("namespaceSelector").is_some() {
                        continue;
                    }
                    let Some(ps) = peer.get("podSelector") else {
                        continue;
                    };
                    let Some(labels) = simple_selector(ps) else {
                        continue;
                    };
                    if labels.is_empty()
                        || k.selected_templates(obj.namespace, &labels)
                            .next()
                            .is_some()
                    {
                        continue;
                    }
                    let wanted: Vec<String> =
                        labels.iter().map(|(a, b)| format!("{a}={b}")).collect();
                    let unknown_targets = if targets_known {
                        ""
                    } else {
                        " (the pods it protects are not in the analysed files either)"
                    };
                    let f = emit.at(ps.loc(), format!(
                        "NetworkPolicy {}/{} allows {dir} {peers_key} pods with {}, but no pod template in namespace {} has these labels: that traffic is denied and connections time out{unknown_targets}",
                        obj.namespace, obj.name, wanted.join(","), obj.namespace
                    ))
                    .resource(obj.resource())
                    .help("match the podSelector to the labels of the pods that must connect");
                    if !targets_known {
                        f.severity(crate::finding::Severity::Info);
                    }
                }
            }
        }
    }
}

/// matchLabels only (matchExpressions are left alone: not decidable cheaply).
fn simple_selector<'a>(ps: NodeRef<'a>) -> Option<Vec<(&'a str, &'a str)>> {
    if ps.get("matchExpressions").is_some() {
        return None;
    }
    Some(
        ps.get("matchLabels")
            .map(|m| m.string_pairs())
            .unwrap_or_default(),
    )
}

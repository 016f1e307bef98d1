//! ISTIO006: a Gateway whose selector selects no gateway pods.

use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO006",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
    let mut workloads = crate::model::mesh::WorkloadsBySelector::new(m);
    for gw in &m.istio.gateways {
        let Some(obj) = m.k8s.object(gw.object) else {
            continue;
        };
        let w = workloads.get(gw);
        if !w.templates.is_empty() || w.implicit || gw.selector.is_empty() {
            continue;
        }
        let sel: Vec<String> = gw
            .selector
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        emit.at(
            gw.selector_node.map_or(obj.loc, |n| n.loc()),
            format!(
                "Gateway {}/{} selects {}, but no gateway pod in the analysed files has these labels; no proxy serves its servers",
                obj.namespace,
                obj.name,
                sel.join(",")
            ),
        )
        .resource(obj.resource())
        .help("set the selector to the labels of the gateway deployment (`istio: ingressgateway` for the default one)");
    }
}

//! ISTIO018: Sidecar resources that select no pod, or the same pods as another.

use crate::model::k8s::selects;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO018",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
    let sidecars = &m.istio.sidecars;
    for (i, sc) in sidecars.iter().enumerate() {
        let Some(obj) = m.k8s.object(sc.object) else {
            continue;
        };
        let same_ns = |j: usize| {
            sidecars
                .get(j)
                .and_then(|o| m.k8s.object(o.object))
                .filter(|o| o.namespace == obj.namespace)
        };
        let Some(sel) = &sc.selector else {
            // Two namespace-wide Sidecars: Istio picks one arbitrarily.
            if let Some(other) = sidecars
                .iter()
                .enumerate()
                .find(|(j, o)| *j != i && o.selector.is_none() && same_ns(*j).is_some())
                && let Some(oo) = m.k8s.object(other.1.object)
            {
                {
                    emit.at(obj.name_loc(), format!("Sidecar {}/{} and Sidecar {}/{} both apply to the whole namespace; Istio uses one of them arbitrarily", obj.namespace, obj.name, oo.namespace, oo.name))
                        .resource(obj.resource())
                        .related(oo.name_loc(), "the other namespace-wide Sidecar")
                        .help("keep one Sidecar without workloadSelector per namespace");
                }
            }
            continue;
        };
        let pods: Vec<_> = m
            .k8s
            .templates
            .iter()
            .filter(|t| {
                m.k8s
                    .template_object(t)
                    .is_some_and(|o| o.namespace == obj.namespace)
                    && selects(sel, &t.labels)
            })
            .collect();
        let at = sc.selector_node.map_or(obj.loc, |n| n.loc());
        if pods.is_empty() {
            if m.k8s.template_namespaces.contains(obj.namespace) {
                emit.at(at, format!("Sidecar {}/{} selects no pod in namespace {}; its egress and ingress settings apply to nothing", obj.namespace, obj.name, obj.namespace))
                    .resource(obj.resource())
                    .help("match the workloadSelector labels to a workload in the Sidecar's namespace");
            }
            continue;
        }
        for (j, other) in sidecars.iter().enumerate() {
            let (Some(other_sel), Some(oo)) = (&other.selector, same_ns(j)) else {
                continue;
            };
            if j == i {
                continue;
            }
            if let Some(t) = pods.iter().find(|t| selects(other_sel, &t.labels)) {
                let wl = m
                    .k8s
                    .template_object(t)
                    .map(|o| format!("{} {}", o.kind, o.name))
                    .unwrap_or_default();
                emit.at(at, format!("Sidecar {}/{} and Sidecar {}/{} both select {wl}; Istio applies one of them arbitrarily", obj.namespace, obj.name, oo.namespace, oo.name))
                    .resource(obj.resource())
                    .related(oo.name_loc(), "the other Sidecar")
                    .help("make the workloadSelectors disjoint");
                break;
            }
        }
    }
}

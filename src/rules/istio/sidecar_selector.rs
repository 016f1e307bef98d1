//! ISTIO018: Sidecar resources that select no pod, or the same pods as another.

use foldhash::HashMap;

use crate::model::Model;
use crate::model::k8s::selects;
use crate::model::selection::SelectorIndex;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO018",
    check,
};

/// Indexes into `sidecars`, ascending, so that each Sidecar's rivals are
/// looked up instead of comparing every pair.
#[derive(Default)]
struct SidecarIndex<'a> {
    /// Namespace -> Sidecars without a workloadSelector.
    namespace_wide: HashMap<&'a str, Vec<usize>>,
    /// Sidecars with a workloadSelector, filed by a pair of it.
    by_selector: SelectorIndex<'a>,
}

impl<'a> SidecarIndex<'a> {
    fn of(m: &Model<'a>) -> Self {
        let mut index = SidecarIndex::default();
        for (i, sc) in m.istio.sidecars.iter().enumerate() {
            let Some(ns) = m.k8s.object(sc.object).map(|o| o.namespace) else {
                continue;
            };
            match &sc.selector {
                Some(sel) => index
                    .by_selector
                    .file(i, ns, sel, &m.k8s.templates_by_label),
                None => index.namespace_wide.entry(ns).or_default().push(i),
            }
        }
        index
    }

    /// Sidecars with a selector that may select one of these pods, ascending.
    fn rivals(&self, ns: &str, pods: &[&crate::model::k8s::PodTemplate<'_>]) -> Vec<usize> {
        self.by_selector
            .candidates(ns, pods.iter().flat_map(|t| &t.labels))
    }
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
    let sidecars = &m.istio.sidecars;
    let index = SidecarIndex::of(m);
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
            if let Some(other) = index
                .namespace_wide
                .get(obj.namespace)
                .into_iter()
                .flatten()
                .find(|&&j| j != i)
                .and_then(|&j| sidecars.get(j))
                && let Some(oo) = m.k8s.object(other.object)
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
        let pods: Vec<_> = m.k8s.selected_templates(obj.namespace, sel).collect();
        let at = sc.selector_node.map_or(obj.loc, |n| n.loc());
        if pods.is_empty() {
            if m.k8s.template_namespaces.contains(obj.namespace) {
                emit.at(at, format!("Sidecar {}/{} selects no pod in namespace {}; its egress and ingress settings apply to nothing", obj.namespace, obj.name, obj.namespace))
                    .resource(obj.resource())
                    .help("match the workloadSelector labels to a workload in the Sidecar's namespace");
            }
            continue;
        }
        // Only Sidecars filed under a label of these pods can select one.
        for j in index.rivals(obj.namespace, &pods) {
            let Some(other) = sidecars.get(j) else {
                continue;
            };
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

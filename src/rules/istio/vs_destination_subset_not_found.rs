//! ISTIO002: a destination subset that no DestinationRule for the host defines.

use foldhash::{HashMap, HashMapExt, HashSet};

use crate::model::istio::DestinationRule;
use crate::rules::{Ctx, Emit, Rule};
use crate::util::{LISTED, Suggest, listed};

pub static RULE: Rule = Rule {
    id: "ISTIO002",
    check,
};

/// A DestinationRule's subset names, read once per rule: thousands of
/// routes to one host asked each of its (possibly thousands of) subsets.
struct Subsets<'m> {
    names: Vec<&'m str>,
    set: HashSet<&'m str>,
    /// For messages: at most [`LISTED`] names.
    listed: String,
}

impl<'m> Subsets<'m> {
    fn of(dr: &DestinationRule<'m>) -> Subsets<'m> {
        let names: Vec<&str> = dr.subsets.iter().map(|s| s.name).collect();
        Subsets {
            set: names.iter().copied().collect(),
            listed: listed(&names, LISTED),
            names,
        }
    }
}

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    // One budget for the suggestions of all this check's findings.
    let mut suggest = Suggest::default();
    let m = ctx.model;
    let mut subsets_of: HashMap<usize, Subsets<'_>> = HashMap::new();
    for vs in &m.istio.virtual_services {
        let Some(obj) = m.k8s.object(vs.object) else {
            continue;
        };
        for d in &vs.destinations {
            let Some((subset, subset_node)) = d.subset else {
                continue;
            };
            let fqdn = m.istio_fqdn(d.host, obj.namespace);
            let rules = m.destination_rules_for(&fqdn, obj.namespace);
            // Istio merges the subsets of rules for one host, so any may define it.
            let Some(dr) = rules.first() else {
                emit.at(subset_node.loc(), format!(
                    "VirtualService {}/{} routes to subset `{subset}` of `{}`, but no DestinationRule for that host defines subsets; Envoy has no such cluster and answers 503 (no healthy upstream / NR)",
                    obj.namespace, obj.name, d.host
                ))
                .resource(obj.resource())
                .help(format!("add a DestinationRule for host `{}` with a subset named `{subset}`", d.host));
                continue;
            };
            if rules.iter().any(|r| {
                subsets_of
                    .entry(r.object)
                    .or_insert_with(|| Subsets::of(r))
                    .set
                    .contains(subset)
            }) {
                continue;
            }
            let defined = subsets_of
                .entry(dr.object)
                .or_insert_with(|| Subsets::of(dr));
            let dro = m.k8s.object(dr.object);
            let f = emit
                .at(subset_node.loc(), format!(
                    "VirtualService {}/{} routes to subset `{subset}` of `{}`, which DestinationRule {} does not define",
                    obj.namespace,
                    obj.name,
                    d.host,
                    dro.map(|o| format!("{}/{}", o.namespace, o.name)).unwrap_or_default()
                ))
                .resource(obj.resource());
            if let Some(first) = dr.subsets.first() {
                f.related(
                    first.name_node.loc(),
                    format!("defined subsets: {}", defined.listed),
                );
            } else {
                f.related(
                    dr.host_node.loc(),
                    "this DestinationRule defines no subsets",
                );
            }
            match suggest.closest(subset, defined.names.iter().copied()) {
                Some(near) => f.help(format!("did you mean subset `{near}`?")),
                None => f.help(format!(
                    "define subset `{subset}` in the DestinationRule, or route to one of: {}",
                    defined.listed
                )),
            };
        }
    }
}

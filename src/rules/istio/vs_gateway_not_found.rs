//! ISTIO007: a VirtualService naming a Gateway that does not exist.

use foldhash::{HashMap, HashMapExt};

use crate::model::k8s::Object;
use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO007",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
    let mut first_named: Option<HashMap<&str, &Object<'_>>> = None;
    for vs in &m.istio.virtual_services {
        let Some(obj) = m.k8s.object(vs.object) else {
            continue;
        };
        for (gw_ref, node) in vs.gateways.iter().chain(&vs.match_gateways) {
            if *gw_ref == "mesh" {
                continue;
            }
            let (ns, name) = match gw_ref.split_once('/') {
                Some((ns, name)) => (ns, name),
                None => (obj.namespace, *gw_ref),
            };
            let found = m.istio.gateways_named(ns, name).next().is_some()
                || m.gateway_api.gateways_named(ns, name).next().is_some();
            if found {
                continue;
            }
            let f = emit
                .at(node.loc(), format!("VirtualService {}/{} is bound to Gateway {ns}/{name}, which does not exist; the routes are never applied there (404)", obj.namespace, obj.name))
                .resource(obj.resource());
            // The first Gateway of that name in tree order, from a map made
            // on the first miss (not a scan of every Gateway per miss).
            let first_named = first_named.get_or_insert_with(|| {
                let mut map = HashMap::new();
                for o in m
                    .istio
                    .gateways
                    .iter()
                    .filter_map(|g| m.k8s.object(g.object))
                {
                    map.entry(o.name).or_insert(o);
                }
                map
            });
            match first_named.get(name) {
                Some(other) => f.help(format!(
                    "the Gateway lives in another namespace: write `{}/{}`",
                    other.namespace, other.name
                )),
                None => f.help("name an existing Gateway as `namespace/name` (a bare name means the VirtualService's namespace)"),
            };
        }
    }
}

//! ISTIO007: a VirtualService naming a Gateway that does not exist.

use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "ISTIO007",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    let m = ctx.model;
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
            let same_name: Vec<String> = m
                .istio
                .gateways
                .iter()
                .filter_map(|g| m.k8s.object(g.object))
                .filter(|o| o.name == name)
                .map(|o| format!("{}/{}", o.namespace, o.name))
                .collect();
            match same_name.first() {
                Some(other) => f.help(format!("the Gateway lives in another namespace: write `{other}`")),
                None => f.help("name an existing Gateway as `namespace/name` (a bare name means the VirtualService's namespace)"),
            };
        }
    }
}

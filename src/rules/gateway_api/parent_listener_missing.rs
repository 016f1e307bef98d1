//! GWAPI006: a parentRef `sectionName` or `port` that no listener of its
//! Gateway has.

use super::common::{gateways_named, is_gateway_ref, listeners_list, parent_namespace, routes};
use foldhash::{HashMap, HashMapExt};

use crate::rules::{Ctx, Emit, Rule};

pub static RULE: Rule = Rule {
    id: "GWAPI006",
    check,
};

fn check(ctx: &Ctx<'_, '_>, emit: &mut Emit) {
    // One budget for the suggestions of all this check's findings.
    let mut suggest = crate::util::Suggest::default();
    let model = ctx.model;
    // Each Gateway's listener list, written once: a route per listener of
    // a Gateway with thousands wrote the whole list again per finding.
    let mut lists: HashMap<usize, String> = HashMap::new();
    for (route, obj) in routes(model) {
        for p in route.parent_refs.iter().filter(|p| is_gateway_ref(p)) {
            if p.section_name.is_none() && p.port.is_none() {
                continue;
            }
            let ns = parent_namespace(obj, p);
            let gws = gateways_named(model, ns, p.name);
            let Some((gw, gw_obj)) = gws.first() else {
                continue;
            };
            // Listeners may come from elsewhere (ListenerSets) when the tree's
            // Gateway lists none: judge only Gateways that list them.
            if gws.iter().any(|(g, _)| g.listeners.is_empty())
                || gws
                    .iter()
                    .any(|(g, _)| g.has_listener(p.section_name, p.port))
            {
                continue;
            }
            let named = |s: &str| gws.iter().any(|(g, _)| g.has_listener(Some(s), None));
            let (node, what) = match (p.section_name, p.port) {
                (Some(s), None) => (p.node.get("sectionName"), format!("a listener named `{s}`")),
                (Some(s), Some(n)) if !named(s) => (
                    p.node.get("sectionName"),
                    format!("a listener named `{s}` (on port {n})"),
                ),
                (Some(s), Some(n)) => (
                    p.node.get("port"),
                    format!("a listener named `{s}` on port {n}"),
                ),
                (None, Some(n)) => (p.node.get("port"), format!("a listener on port {n}")),
                (None, None) => continue,
            };
            let f = emit
                .at(
                    node.unwrap_or(p.node).loc(),
                    format!(
                        "{} {}/{} attaches to {what} of Gateway {ns}/{}, which has none; the route is not accepted there (NoMatchingParent) and serves no traffic",
                        obj.kind, obj.namespace, obj.name, p.name
                    ),
                )
                .resource(obj.resource());
            for l in gw.listeners.iter().take(4) {
                let at = l.node.get("name").unwrap_or(l.node).loc();
                f.related(
                    at,
                    format!(
                        "Gateway {} listener `{}` on port {}",
                        gw_obj.name,
                        l.name.unwrap_or("?"),
                        l.port.map(|x| x.to_string()).unwrap_or_else(|| "?".into())
                    ),
                );
            }
            let names = gw.listeners.iter().filter_map(|l| l.name);
            let near = p
                .section_name
                .filter(|s| !named(s))
                .and_then(|s| suggest.closest(s, names));
            match near {
                Some(n) => f.help(format!("did you mean sectionName `{n}`?")),
                None => {
                    let list = lists.entry(gw.object).or_insert_with(|| listeners_list(gw));
                    f.help(format!("the Gateway's listeners: {list}"))
                }
            };
        }
    }
}

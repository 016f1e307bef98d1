//! Lookups the Gateway API rules share: routes with their objects, the
//! namespaces references resolve in, Services and Gateways by name, and the
//! listeners a parentRef selects.

use crate::model::Model;
use crate::model::gateway_api::{BackendRef, GwGateway, Listener, ParentRef, Route};
use crate::model::k8s::{Object, Service};

/// The API group of Gateways and routes.
pub const GROUP: &str = "gateway.networking.k8s.io";

/// Every route with its object.
pub fn routes<'m, 'a>(
    model: &'m Model<'a>,
) -> impl Iterator<Item = (&'m Route<'a>, &'m Object<'a>)> + 'm {
    model
        .gateway_api
        .routes
        .iter()
        .filter_map(move |r| Some((r, model.k8s.object(r.object)?)))
}

/// The namespace a backendRef resolves in: its own, else the route's.
pub fn backend_namespace<'x>(route: &'x Object<'_>, b: &'x BackendRef<'_>) -> &'x str {
    b.namespace.unwrap_or(route.namespace)
}

/// Every Service of that namespace and name (a tree may define one twice).
pub fn services_named<'m, 'a>(model: &'m Model<'a>, ns: &str, name: &str) -> Vec<&'m Service<'a>> {
    model.k8s.services_named(ns, name).collect()
}

/// A parentRef naming a Gateway (group and kind default to the Gateway's).
pub fn is_gateway_ref(p: &ParentRef<'_>) -> bool {
    p.kind == "Gateway" && p.node.str_at("group").unwrap_or(GROUP) == GROUP
}

/// The namespace a parentRef resolves in: its own, else the route's.
pub fn parent_namespace<'x>(route: &'x Object<'_>, p: &'x ParentRef<'_>) -> &'x str {
    p.namespace.unwrap_or(route.namespace)
}

/// Every Gateway of that namespace and name, with its object.
pub fn gateways_named<'m, 'a>(
    model: &'m Model<'a>,
    ns: &str,
    name: &str,
) -> Vec<(&'m GwGateway<'a>, &'m Object<'a>)> {
    model
        .gateway_api
        .gateways_named(ns, name)
        .filter_map(|g| Some((g, model.k8s.object(g.object)?)))
        .collect()
}

/// Does the tree define any Gateway in this namespace?
pub fn namespace_has_gateways(model: &Model<'_>, ns: &str) -> bool {
    model.gateway_api.gateways_in(ns).next().is_some()
}

/// Listeners a parentRef selects: all of them, narrowed by `sectionName`
/// and `port` when set (both must match when both are set).
pub fn selected_listeners<'g, 'a>(
    gw: &'g GwGateway<'a>,
    p: &ParentRef<'_>,
) -> impl Iterator<Item = &'g Listener<'a>> + 'g {
    gw.selected(p.section_name, p.port)
}

/// `name (port/PROTOCOL)` of each listener, for messages.
pub fn listeners_list(gw: &GwGateway<'_>) -> String {
    if gw.listeners.is_empty() {
        return "no listeners".to_string();
    }
    let described = gw.listeners.iter().map(|l| {
        format!(
            "`{}` ({}/{})",
            l.name.unwrap_or("?"),
            l.port.map(|p| p.to_string()).unwrap_or_else(|| "?".into()),
            l.protocol.unwrap_or("?")
        )
    });
    crate::util::listed(described, crate::util::LISTED)
}

//! Envoy resources, found directly in the documents (not through the Envoy
//! model): bootstrap `static_resources.clusters[]`/`listeners[]`, any message
//! carrying an `@type` that has a schema (xDS `resources[]`, `typed_config`,
//! config dumps), and the bare arrays `istioctl proxy-config -o json` prints.

use std::collections::HashSet;

use super::Results;
use super::catalog::{self, Family};
use super::convert::{self, Typing};
use super::tree_json::{Reading, RootKeys, TYPE_URL, validates_in_place};
use super::validate::{self, Subject};
use crate::parse::tree::{Doc, NodeId, NodeRef};

/// The Any's type URL is not a field of the message.
const ROOT_KEYS: RootKeys = RootKeys::Without(TYPE_URL);

/// Most nodes walked looking for `@type` (the arena is already bounded; this
/// keeps a hostile document from costing more than its own size).
const MAX_WALK: usize = 2_000_000;

struct Target<'a> {
    node: NodeRef<'a>,
    def: &'static str,
    kind: &'static str,
}

fn kind_of_def(def: &str) -> &'static str {
    match def {
        "Cluster" => "Cluster",
        "Listener" => "Listener",
        "RouteConfiguration" => "RouteConfiguration",
        "HttpConnectionManager" => "HttpConnectionManager",
        "UpstreamTlsContext" => "UpstreamTlsContext",
        "DownstreamTlsContext" => "DownstreamTlsContext",
        "HttpProtocolOptions" => "HttpProtocolOptions",
        _ => "EnvoyResource",
    }
}

fn push<'a>(
    fam: &'static Family,
    out: &mut Vec<Target<'a>>,
    seen: &mut HashSet<NodeId>,
    node: NodeRef<'a>,
    def: Option<&str>,
) {
    let Some(def) = def else { return };
    if !node.is_map() || !seen.insert(node.id) {
        return;
    }
    // The definition name as a `'static` str from the family's resource list.
    let Some(def) = fam
        .resources
        .iter()
        .find(|r| r.def == def)
        .map(|r| r.def.as_str())
    else {
        return;
    };
    out.push(Target {
        node,
        def,
        kind: kind_of_def(def),
    });
}

fn targets<'a>(fam: &'static Family, root: NodeRef<'a>) -> Vec<Target<'a>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    // Bootstrap: resources without @type.
    if let Some(sr) = root.get_any(&["static_resources", "staticResources"]) {
        for (key, def) in [("clusters", "Cluster"), ("listeners", "Listener")] {
            for item in sr.get(key).into_iter().flat_map(|n| n.items()) {
                push(fam, &mut out, &mut seen, item, fam.def_for_kind(def));
            }
        }
    }
    // `istioctl proxy-config ... -o json`, Envoy Gateway xDS IR: bare arrays.
    if root.is_seq() {
        for item in root.items() {
            if item.get("@type").is_some() {
                continue;
            }
            let def = if item
                .get_any(&[
                    "filterChains",
                    "filter_chains",
                    "defaultFilterChain",
                    "default_filter_chain",
                ])
                .is_some()
            {
                "Listener"
            } else if item.get_any(&["virtualHosts", "virtual_hosts"]).is_some() {
                "RouteConfiguration"
            } else if item.get("name").is_some()
                && item
                    .get_any(&[
                        "connectTimeout",
                        "connect_timeout",
                        "edsClusterConfig",
                        "eds_cluster_config",
                        "type",
                        "loadAssignment",
                        "load_assignment",
                    ])
                    .is_some()
            {
                "Cluster"
            } else {
                continue;
            };
            push(fam, &mut out, &mut seen, item, fam.def_for_kind(def));
        }
    }
    // Every typed message anywhere (each node once: aliases share nodes).
    let mut visited = vec![false; root.doc.len()];
    let mut stack = vec![root];
    let mut walked = 0usize;
    while let Some(n) = stack.pop() {
        walked += 1;
        if walked > MAX_WALK {
            break;
        }
        match visited.get_mut(n.id as usize) {
            Some(seen) if !*seen => *seen = true,
            _ => continue,
        }
        if n.is_map() {
            if let Some(t) = n.str_at("@type") {
                push(fam, &mut out, &mut seen, n, fam.def_for_type(t));
            }
            stack.extend(n.entries().map(|(_, v)| v));
        } else if n.is_seq() {
            stack.extend(n.items());
        }
    }
    out.sort_by_key(|t| t.node.id);
    out
}

/// Validate the Envoy resources of one document.
pub fn check_doc(doc: &Doc) -> Results {
    check_doc_as(doc, true)
}

/// `check_doc`, validating in place only if `allow_in_place` (tests compare both ways).
pub(crate) fn check_doc_as(doc: &Doc, allow_in_place: bool) -> Results {
    let mut out = Results::default();
    let (Some(fam), Some(root)) = (catalog::envoy(), doc.root()) else {
        return out;
    };
    let targets = targets(fam, root);
    // Nested targets (an HCM inside a Listener) are validated on their own:
    // each is converted once, and left out of its parent's conversion.
    let mut is_target = vec![false; root.doc.len()];
    for t in &targets {
        if let Some(x) = is_target.get_mut(t.node.id as usize) {
            *x = true;
        }
    }
    let skip = |id: NodeId| is_target.get(id as usize).copied().unwrap_or(false);
    let in_place = allow_in_place && validates_in_place(doc);
    for t in targets {
        let name = t.node.str_at("name").unwrap_or("");
        let converted = if in_place {
            None
        } else {
            match convert::to_json_skipping(t.node, Typing::Envoy, convert::MAX_NODES, &skip) {
                Ok(mut c) => {
                    ROOT_KEYS.keep_in(&mut c.value);
                    Some(c)
                }
                Err(e) => {
                    let what = format!("Envoy {} {name}", t.kind);
                    out.limits
                        .push((t.node.loc(), validate::limit_message(&what, e)));
                    continue;
                }
            }
        };
        let instance = match &converted {
            Some(c) => validate::Instance::Converted(c),
            None => validate::Instance::InPlace(Reading {
                typing: Typing::Envoy,
                hidden: &is_target,
                root_keys: ROOT_KEYS,
            }),
        };
        let resource = matches!(t.kind, "Cluster" | "Listener" | "RouteConfiguration").then_some(
            crate::finding::ResourceNames {
                kind: t.kind,
                namespace: None,
                name,
            },
        );
        let subject = Subject {
            root: t.node,
            instance,
            resource,
            typing: Typing::Envoy,
            name_node: t.node.get("name"),
        };
        out.issues.extend(
            validate::builtin_issues(&subject, fam, t.def, false)
                .into_iter()
                .flatten(),
        );
    }
    out
}

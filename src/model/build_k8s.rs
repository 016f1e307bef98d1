//! Reads Kubernetes objects out of documents into the [`K8s`] facts.

use foldhash::{HashMap, HashMapExt, HashSet};

use super::K8s;
use super::k8s::*;
use crate::parse::tree::NodeRef;

/// `networking.k8s.io/v1` backends and the older `serviceName`/`servicePort` form.
fn ingress_backends<'a>(obj: &Object<'a>, index: usize, out: &mut Vec<IngressBackend<'a>>) {
    let Some(spec) = obj.get("spec") else {
        return;
    };
    let mut backends: Vec<NodeRef<'a>> = Vec::new();
    for key in ["defaultBackend", "backend"] {
        backends.extend(spec.get(key));
    }
    for rule in spec.get("rules").into_iter().flat_map(|r| r.items()) {
        for path in rule
            .path(&["http", "paths"])
            .into_iter()
            .flat_map(|p| p.items())
        {
            backends.extend(path.get("backend"));
        }
    }
    for b in backends {
        if let Some(svc) = b.get("service") {
            let Some((name_node, name)) = svc.get("name").and_then(|n| Some((n, n.as_str()?)))
            else {
                continue;
            };
            let port_node = svc
                .get("port")
                .and_then(|p| p.get("number").or_else(|| p.get("name")));
            out.push(IngressBackend {
                object: index,
                service: name,
                service_node: name_node,
                port: port_node.and_then(PortRef::from_node),
                port_node,
            });
        } else if let Some((name_node, name)) =
            b.get("serviceName").and_then(|n| Some((n, n.as_str()?)))
        {
            let port_node = b.get("servicePort");
            out.push(IngressBackend {
                object: index,
                service: name,
                service_node: name_node,
                port: port_node.and_then(PortRef::from_node),
                port_node,
            });
        }
    }
}

/// Index the objects, and the pod templates and Services read from them
/// (see [`read_k8s`](super::read_k8s)).
pub fn build<'a>(
    objects: Vec<Object<'a>>,
    templates: Vec<PodTemplate<'a>>,
    services: Vec<Service<'a>>,
) -> K8s<'a> {
    let mut k = K8s {
        templates,
        services,
        ..K8s::default()
    };
    for (i, obj) in objects.iter().enumerate() {
        match (obj.group(), obj.kind) {
            ("", "Namespace") => {
                k.namespaces.insert(obj.name.to_string(), i);
            }
            ("", "Endpoints") => {
                k.endpoints
                    .insert((obj.namespace.to_string(), obj.name.to_string()));
            }
            ("discovery.k8s.io", "EndpointSlice") => {
                if let Some(svc) = obj
                    .labels
                    .iter()
                    .find(|(key, _)| *key == "kubernetes.io/service-name")
                {
                    k.endpoints
                        .insert((obj.namespace.to_string(), svc.1.to_string()));
                }
            }
            ("networking.k8s.io" | "extensions", "Ingress") => {
                ingress_backends(obj, i, &mut k.ingress_backends)
            }
            _ => {}
        }
    }
    let mut by_name: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, s) in k.services.iter().enumerate() {
        if let Some(o) = objects.get(s.object) {
            let groups = &mut k.service_groups;
            let g = *by_name.entry((o.namespace, o.name)).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            if let Some(group) = groups.get_mut(g) {
                group.push(i);
            }
        }
    }
    k.service_index = by_name;
    for (i, t) in k.templates.iter().enumerate() {
        if let Some(o) = objects.get(t.object) {
            k.templates_by_ns.entry(o.namespace).or_default().push(i);
        }
    }
    for (i, t) in k.templates.iter().enumerate() {
        let Some(ns) = objects.get(t.object).map(|o| o.namespace) else {
            continue;
        };
        for &(key, value) in &t.labels {
            let ids = k.templates_by_label.entry((ns, key, value)).or_default();
            if ids.last() != Some(&i) {
                ids.push(i);
            }
        }
    }
    for (i, s) in k.services.iter().enumerate() {
        let Some(ns) = objects.get(s.object).map(|o| o.namespace) else {
            continue;
        };
        k.services_by_ns.entry(ns).or_default().push(i);
        if let Some(sel) = &s.selector {
            k.services_by_selector
                .file(i, ns, sel, &k.templates_by_label);
        }
    }
    k.shared_selections = super::selection::SharedSelections::of(&k.services, &objects);
    k.template_namespaces = k
        .templates
        .iter()
        .filter_map(|t| objects.get(t.object).map(|o| o.namespace))
        .collect::<HashSet<_>>();
    k.objects = objects;
    k
}

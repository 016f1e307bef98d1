//! Reads Kubernetes objects out of documents into the [`K8s`] facts.

use std::collections::{HashMap, HashSet};

use super::K8s;
use super::k8s::*;
use crate::parse::tree::NodeRef;

/// Where a workload kind keeps its pod template.
fn template_path(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Pod" => &[],
        "Deployment"
        | "ReplicaSet"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicationController"
        | "DeploymentConfig"
        | "Job"
        | "Rollout" => &["spec", "template"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template"],
        "PodTemplate" => &["template"],
        _ => return None,
    })
}

fn container_ports(c: NodeRef<'_>) -> Vec<ContainerPort<'_>> {
    c.get("ports")
        .map(|ps| {
            ps.items()
                .map(|p| {
                    let number = p.get("containerPort");
                    let name = p.get("name");
                    ContainerPort {
                        name: name.and_then(|n| n.as_str()),
                        number: number.and_then(|n| n.as_int()),
                        protocol: p.str_at("protocol").unwrap_or("TCP"),
                        loc: p.loc(),
                        name_loc: name.map(|n| n.loc()),
                        number_loc: number.map(|n| n.loc()),
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

fn probes(c: NodeRef<'_>) -> Vec<Probe<'_>> {
    let mut out = Vec::new();
    for kind in [
        ProbeKind::Liveness,
        ProbeKind::Readiness,
        ProbeKind::Startup,
    ] {
        let Some(probe) = c.get(kind.field()) else {
            continue;
        };
        for handler in ["httpGet", "tcpSocket", "grpc"] {
            let Some(port_node) = probe.get(handler).and_then(|h| h.get("port")) else {
                continue;
            };
            if let Some(port) = PortRef::from_node(port_node) {
                out.push(Probe {
                    kind,
                    handler,
                    port,
                    port_loc: port_node.loc(),
                });
            }
        }
    }
    out
}

/// `securityContext.runAsUser` of a pod spec or a container.
fn run_as_user(n: NodeRef<'_>) -> Option<IntField> {
    n.path(&["securityContext", "runAsUser"]).map(|u| IntField {
        value: u.as_int(),
        loc: u.loc(),
    })
}

fn containers<'a>(spec: NodeRef<'a>, key: &str, init: bool) -> impl Iterator<Item = Container<'a>> {
    spec.get(key)
        .into_iter()
        .flat_map(|l| l.items())
        .map(move |c| Container {
            name: c.str_at("name").unwrap_or(""),
            ports: container_ports(c),
            probes: probes(c),
            has_pre_stop: c.path(&["lifecycle", "preStop"]).is_some(),
            init,
            sidecar: init && c.str_at("restartPolicy") == Some("Always"),
            image: c.str_at("image").unwrap_or(""),
            command_args: ["command", "args"]
                .iter()
                .filter_map(|k| c.get(k))
                .flat_map(|l| l.items())
                .filter_map(|i| i.scalar().map(|(s, _)| s))
                .collect(),
            env: c
                .get("env")
                .into_iter()
                .flat_map(|l| l.items())
                .map(|e| EnvVar {
                    name: e.str_at("name"),
                    value: e.str_at("value"),
                })
                .collect(),
            run_as_user: run_as_user(c),
        })
}

/// A LabelSelector (or a plain map) as written.
fn label_selector(sel: NodeRef<'_>) -> LabelSelector<'_> {
    let match_labels = sel.get("matchLabels");
    let expressions = sel.get("matchExpressions");
    let structured = match_labels.is_some() || expressions.is_some();
    LabelSelector {
        loc: sel.loc(),
        null: sel.is_null(),
        match_labels: if structured {
            match_labels.map(|m| m.string_pairs()).unwrap_or_default()
        } else {
            sel.string_pairs()
        },
        expressions: expressions
            .into_iter()
            .flat_map(|m| m.items())
            .map(|e| SelectorExpression {
                key: e.str_at("key"),
                operator: e.str_at("operator"),
                values: e
                    .get("values")
                    .into_iter()
                    .flat_map(|v| v.items())
                    .filter_map(|v| v.as_str())
                    .collect(),
            })
            .collect(),
    }
}

fn pod_template<'a>(obj: &Object<'a>, index: usize) -> Option<PodTemplate<'a>> {
    let path = template_path(obj.kind)?;
    let template = obj.node.path(path)?;
    let (labels, annotations) = if path.is_empty() {
        (obj.labels.clone(), obj.annotations.clone())
    } else {
        let meta = template.get("metadata");
        let pairs = |k: &str| {
            meta.and_then(|m| m.get(k))
                .map(|n| n.string_pairs())
                .unwrap_or_default()
        };
        (pairs("labels"), pairs("annotations"))
    };
    // A Pod without spec still carries labels that selectors match.
    let spec = template.get("spec").unwrap_or(template);
    let mut cs: Vec<Container<'a>> = containers(spec, "containers", false).collect();
    cs.extend(containers(spec, "initContainers", true));
    let grace_period = spec
        .get("terminationGracePeriodSeconds")
        .and_then(|n| n.as_int().map(|v| (v, n.loc())));
    let selector = if path.is_empty() {
        None
    } else {
        obj.node.path(&["spec", "selector"]).map(label_selector)
    };
    Some(PodTemplate {
        object: index,
        labels,
        annotations,
        spec_loc: spec.loc(),
        template_labels_loc: obj
            .node
            .path(&["spec", "template", "metadata", "labels"])
            .map(|n| n.loc()),
        containers: cs,
        grace_period,
        run_as_user: run_as_user(spec),
        selector,
    })
}

fn service<'a>(obj: &Object<'a>, index: usize) -> Service<'a> {
    let spec = obj.node.get("spec");
    let selector_node = spec
        .and_then(|s| s.get("selector"))
        .filter(|n| !n.is_null());
    let ports = spec
        .and_then(|s| s.get("ports"))
        .map(|ps| {
            ps.items()
                .map(|p| {
                    let loc_of = |k: &str| p.get(k).map(|n| n.loc());
                    ServicePort {
                        name: p.str_at("name"),
                        port: p.get("port").and_then(|n| n.as_int()),
                        target: p.get("targetPort").and_then(PortRef::from_node),
                        protocol: p.str_at("protocol").unwrap_or("TCP"),
                        app_protocol: p.str_at("appProtocol"),
                        loc: p.loc(),
                        port_field: p
                            .get("port")
                            .map(|n| (n.loc(), n.scalar().map(|s| s.0).unwrap_or(""))),
                        target_loc: loc_of("targetPort"),
                        name_loc: loc_of("name"),
                        app_protocol_loc: loc_of("appProtocol"),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    Service {
        object: index,
        type_: spec.and_then(|s| s.str_at("type")).unwrap_or("ClusterIP"),
        selector: selector_node
            .map(|n| n.string_pairs())
            .filter(|s| !s.is_empty()),
        selector_loc: selector_node.map(|n| n.loc()),
        ports,
        headless: spec.and_then(|s| s.str_at("clusterIP")) == Some("None"),
        external_name: spec.and_then(|s| s.str_at("externalName")),
    }
}

/// `networking.k8s.io/v1` backends and the older `serviceName`/`servicePort` form.
fn ingress_backends<'a>(obj: &Object<'a>, index: usize, out: &mut Vec<IngressBackend<'a>>) {
    let Some(spec) = obj.node.get("spec") else {
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

pub fn build<'a>(objects: Vec<Object<'a>>) -> K8s<'a> {
    let mut k = K8s::default();
    for (i, obj) in objects.iter().enumerate() {
        match (obj.group(), obj.kind) {
            ("", "Service") => k.services.push(service(obj, i)),
            ("", "Namespace") => {
                k.namespaces.insert(obj.name.to_string(), i);
            }
            ("", "Endpoints") => {
                k.endpoints
                    .insert((obj.namespace.clone(), obj.name.to_string()));
            }
            ("discovery.k8s.io", "EndpointSlice") => {
                if let Some(svc) = obj
                    .labels
                    .iter()
                    .find(|(key, _)| *key == "kubernetes.io/service-name")
                {
                    k.endpoints
                        .insert((obj.namespace.clone(), svc.1.to_string()));
                }
            }
            ("networking.k8s.io" | "extensions", "Ingress") => {
                ingress_backends(obj, i, &mut k.ingress_backends)
            }
            _ => {
                if let Some(t) = pod_template(obj, i) {
                    k.templates.push(t);
                }
            }
        }
    }
    let mut by_name: HashMap<(String, String), usize> = HashMap::new();
    for (i, s) in k.services.iter().enumerate() {
        if let Some(o) = objects.get(s.object) {
            by_name.insert((o.namespace.clone(), o.name.to_string()), i);
        }
    }
    k.service_index = by_name;
    for (i, t) in k.templates.iter().enumerate() {
        if let Some(o) = objects.get(t.object) {
            k.templates_by_ns
                .entry(o.namespace.clone())
                .or_default()
                .push(i);
        }
    }
    for (i, t) in k.templates.iter().enumerate() {
        for &pair in &t.labels {
            let ids = k.templates_by_label.entry(pair).or_default();
            if ids.last() != Some(&i) {
                ids.push(i);
            }
        }
    }
    for (i, s) in k.services.iter().enumerate() {
        if let Some(o) = objects.get(s.object) {
            k.services_by_ns
                .entry(o.namespace.clone())
                .or_default()
                .push(i);
        }
        let Some(sel) = &s.selector else { continue };
        match sel.iter().find(|(key, _)| !CONTROLLER_LABELS.contains(key)) {
            Some(&pair) => k.services_by_selector.entry(pair).or_default().push(i),
            None => k.services_selecting_all.push(i),
        }
    }
    k.template_namespaces = k
        .templates
        .iter()
        .filter_map(|t| objects.get(t.object).map(|o| o.namespace.clone()))
        .collect::<HashSet<_>>();
    k.objects = objects;
    k
}

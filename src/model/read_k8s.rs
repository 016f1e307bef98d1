//! Kubernetes facts read from a file's documents while the file loads:
//! each object's metadata, pod templates and Services, borrowing the
//! documents' texts; the pipeline then moves those texts into the run's
//! [`TextStore`](crate::parse::tree::TextStore) (`FileFacts::held_in`) so
//! that the documents can drop their trees (see [`reads_tree_later`]).

use super::k8s::*;
use super::read_containers::{containers, exact, run_as_user};
use crate::load::DocKind;
use crate::parse::tree::{Doc, NodeId, NodeRef};

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

/// The pod template of a workload object (`root` is its tree).
pub fn pod_template<'s>(
    obj: &Object<'s>,
    root: NodeRef<'s>,
    index: usize,
) -> Option<PodTemplate<'s>> {
    let path = template_path(obj.kind)?;
    let template = root.path(path)?;
    let meta = template.get("metadata").filter(|_| !path.is_empty());
    let labels_node = meta.and_then(|m| m.get("labels"));
    let (labels, annotations) = if path.is_empty() {
        (obj.labels.clone(), obj.annotations.clone())
    } else {
        let pairs = |n: Option<NodeRef<'s>>| n.map(|n| n.string_pairs()).unwrap_or_default();
        (
            pairs(labels_node),
            pairs(meta.and_then(|m| m.get("annotations"))),
        )
    };
    // `spec.template.metadata.labels`: found above for most kinds.
    let template_labels = if *path == ["spec", "template"] {
        labels_node
    } else {
        root.path(&["spec", "template", "metadata", "labels"])
    };
    // A Pod without spec still carries labels that selectors match.
    let spec = template.get("spec").unwrap_or(template);
    let cs = exact(containers(spec, "containers", false).chain(containers(
        spec,
        "initContainers",
        true,
    )));
    let grace_period = spec
        .get("terminationGracePeriodSeconds")
        .and_then(|n| n.as_int().map(|v| (v, n.loc())));
    let selector = if path.is_empty() {
        None
    } else {
        root.path(&["spec", "selector"]).map(label_selector)
    };
    Some(PodTemplate {
        object: index,
        labels,
        annotations,
        spec_loc: spec.loc(),
        template_labels_loc: template_labels.map(|n| n.loc()),
        containers: cs,
        grace_period,
        run_as_user: run_as_user(spec.get("securityContext")),
        selector,
        port_index: Default::default(),
    })
}

/// A Service object (`root` is its tree).
pub fn service(root: NodeRef<'_>, index: usize) -> Service<'_> {
    let spec = root.get("spec");
    let selector_node = spec
        .and_then(|s| s.get("selector"))
        .filter(|n| !n.is_null());
    let ports = spec
        .and_then(|s| s.get("ports"))
        .map(|ps| {
            ps.items()
                .map(|p| {
                    // Each field looked up once (a Service has many ports).
                    let name = p.get("name");
                    let port = p.get("port");
                    let target = p.get("targetPort");
                    let app_protocol = p.get("appProtocol");
                    ServicePort {
                        name: name.and_then(|n| n.as_str()),
                        port: port.and_then(|n| n.as_int()),
                        target: target.and_then(PortRef::from_node),
                        protocol: p.str_at("protocol").unwrap_or("TCP"),
                        app_protocol: app_protocol.and_then(|n| n.as_str()),
                        loc: p.loc(),
                        port_field: port.map(|n| (n.loc(), n.scalar().map_or("", |s| s.0))),
                        target_loc: target.map(|n| n.loc()),
                        name_loc: name.map(|n| n.loc()),
                        app_protocol_loc: app_protocol.map(|n| n.loc()),
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
        port_index: Default::default(),
    }
}

/// Kinds whose every use is read here, while their file loads: workloads,
/// Services, Namespaces, Endpoints, and kinds no model reads beyond their
/// metadata. Their documents drop their trees; every other kind keeps its
/// tree for the models and rules that read it later (Ingress, NetworkPolicy,
/// Istio, Gateway API, ... and kinds unknown here).
fn read_while_loading(o: &Object<'_>) -> bool {
    if template_path(o.kind).is_some() {
        return true;
    }
    matches!(
        (o.group(), o.kind),
        (
            "",
            "Service"
                | "Namespace"
                | "Endpoints"
                | "ConfigMap"
                | "Secret"
                | "ServiceAccount"
                | "PersistentVolumeClaim"
                | "PersistentVolume"
                | "ResourceQuota"
                | "LimitRange"
        ) | ("discovery.k8s.io", "EndpointSlice")
            | ("policy", "PodDisruptionBudget")
            | ("autoscaling", "HorizontalPodAutoscaler")
            | (
                "rbac.authorization.k8s.io",
                "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding"
            )
            | ("apiextensions.k8s.io", "CustomResourceDefinition")
            | ("storage.k8s.io", "StorageClass")
            | ("scheduling.k8s.io", "PriorityClass")
    )
}

/// Does a model or rule read this object's tree after its file is loaded?
pub fn reads_tree_later(o: &Object<'_>) -> bool {
    !read_while_loading(o)
}

/// What the models need of Kubernetes-style documents: read per file while
/// it loads, then appended file after file into the run's.
#[derive(Debug, Default)]
pub struct FileFacts<'s> {
    /// Every object, in document order.
    pub objects: Vec<Object<'s>>,
    /// While a file's own: (document index, root node) of each object, to
    /// give back the trees that are kept ([`FileFacts::with_trees`]).
    roots: Vec<(usize, NodeId)>,
    /// `object` is an index into `objects`.
    pub templates: Vec<PodTemplate<'s>>,
    pub services: Vec<Service<'s>>,
    /// When appended to: (object, file, document, root) of each object to
    /// give its tree back ([`FileFacts::attach_trees`]).
    later: Vec<(usize, usize, usize, NodeId)>,
}

impl<'s> FileFacts<'s> {
    /// Give the objects whose trees are read later (`all`: every object)
    /// their trees (`docs` are the file's documents, `read_file`'s input,
    /// kept ones with their nodes).
    pub fn with_trees(mut self, docs: &'s [Doc], all: bool) -> FileFacts<'s> {
        for (o, &(d, id)) in self.objects.iter_mut().zip(&self.roots) {
            if let Some(doc) = docs.get(d).filter(|_| all || reads_tree_later(o)) {
                o.node = Some(doc.node(id));
            }
        }
        self.roots = Vec::new();
        self
    }

    /// The same facts, their texts moved by `to` (see
    /// [`Rehome`](super::held_texts::Rehome)); read before any tree is given.
    pub fn rehome<'b>(self, to: &mut impl FnMut(&'s str) -> &'b str) -> FileFacts<'b> {
        use super::held_texts::Rehome;
        let FileFacts {
            objects,
            roots,
            templates,
            services,
            later,
        } = self;
        FileFacts {
            objects: objects.rehome(to),
            roots,
            templates: templates.rehome(to),
            services: services.rehome(to),
            later,
        }
    }

    /// Add the facts of the file at `file` after these; the objects whose
    /// trees are read later (`all`: every object) get them from
    /// [`FileFacts::attach_trees`].
    pub fn append(&mut self, other: FileFacts<'s>, file: usize, all: bool) {
        let base = self.objects.len();
        for (n, (o, &(d, id))) in other.objects.iter().zip(&other.roots).enumerate() {
            if d != usize::MAX && (all || reads_tree_later(o)) {
                self.later.push((base + n, file, d, id));
            }
        }
        self.objects.extend(other.objects);
        self.templates
            .extend(other.templates.into_iter().map(|t| PodTemplate {
                object: t.object + base,
                ..t
            }));
        self.services
            .extend(other.services.into_iter().map(|s| Service {
                object: s.object + base,
                ..s
            }));
    }

    /// Give the objects whose trees are read later their trees, from the
    /// documents each file kept (by the `file` given to `append`), and drop
    /// the room appending left over.
    pub fn attach_trees<'d: 's>(&mut self, docs_of: impl Fn(usize) -> Option<&'d [Doc]>) {
        for &(o, file, d, id) in &self.later {
            if let (Some(obj), Some(doc)) = (
                self.objects.get_mut(o),
                docs_of(file).and_then(|docs| docs.get(d)),
            ) {
                obj.node = Some(doc.node(id));
            }
        }
        self.later = Vec::new();
        self.objects.shrink_to_fit();
        self.templates.shrink_to_fit();
        self.services.shrink_to_fit();
    }

    /// The file keeps only the documents marked in `kept`: point the
    /// objects at their documents' new places.
    pub fn keep_docs(&mut self, kept: &[bool]) {
        let mut new_index = Vec::with_capacity(kept.len());
        let mut next = 0;
        for k in kept {
            new_index.push(next);
            next += usize::from(*k);
        }
        for (d, _) in self.roots.iter_mut() {
            match (kept.get(*d), new_index.get(*d)) {
                (Some(true), Some(&i)) => *d = i,
                // Its document is gone: no tree to give back.
                _ => *d = usize::MAX,
            }
        }
    }

    /// Which documents of the file keep their trees.
    pub fn kept_docs(&self, docs: usize) -> Vec<bool> {
        let mut kept = vec![false; docs];
        for (o, (d, _)) in self.objects.iter().zip(&self.roots) {
            if reads_tree_later(o)
                && let Some(k) = kept.get_mut(*d)
            {
                *k = true;
            }
        }
        kept
    }

    /// Every object of some documents read with its tree (tests).
    pub fn of_docs(docs: &'s [Doc], default_ns: &'s str) -> FileFacts<'s> {
        let kinds = vec![DocKind::K8s; docs.len()];
        read_file(docs, &kinds, default_ns, |_, _| {}).with_trees(docs, true)
    }
}

/// The objects of a document: its root, or the `items` of a `kind: List`,
/// and of the Lists among them (kubectl flattens nested Lists too), in the
/// order written. An item written again as an alias (`- *svc`) is the same
/// object, read once: 4,000 aliases of a Service with 2,000 ports were
/// modelled, validated and checked 4,000 times (1.6 GB from a 124 KB file);
/// a List written again as an alias is read once the same way.
pub fn object_nodes<'n>(doc: &'n Doc) -> Vec<NodeRef<'n>> {
    let Some(root) = doc.root() else {
        return Vec::new();
    };
    let mut seen = foldhash::HashSet::default();
    let mut out = Vec::new();
    // Nodes still to read, the next last: no recursion, however deep.
    let mut todo = vec![root];
    while let Some(node) = todo.pop() {
        match list_items(node) {
            Some(items) => {
                let start = todo.len();
                todo.extend(items.filter(|n| !doc.facts.shared_nodes || seen.insert(n.id)));
                todo.get_mut(start..).unwrap_or_default().reverse();
            }
            None => out.push(node),
        }
    }
    out
}

/// The items of a `kind: List` (or `...List`) with `items`.
fn list_items<'n>(node: NodeRef<'n>) -> Option<impl Iterator<Item = NodeRef<'n>> + 'n> {
    let items = node.get("items")?;
    node.str_at("kind")
        .is_some_and(|k| k == "List" || k.ends_with("List"))
        .then(|| items.items())
}

/// Read a file's objects; `each` sees every object with its tree (for
/// checks that need the whole tree, such as schema validation).
pub fn read_file<'s>(
    docs: &'s [Doc],
    kinds: &[DocKind],
    default_ns: &'s str,
    mut each: impl FnMut(&Object<'s>, NodeRef<'_>),
) -> FileFacts<'s> {
    let mut out = FileFacts::default();
    for (d, (doc, kind)) in docs.iter().zip(kinds).enumerate() {
        if *kind != DocKind::K8s {
            continue;
        }
        for node in object_nodes(doc) {
            let Some(o) = Object::read(node, default_ns) else {
                continue;
            };
            each(&o, node);
            let index = out.objects.len();
            match (o.group(), o.kind) {
                ("", "Service") => out.services.push(service(node, index)),
                _ => out.templates.extend(pod_template(&o, node, index)),
            }
            out.objects.push(o);
            out.roots.push((d, node.id));
        }
    }
    // Held until every file is read and appended: most files hold one or
    // two objects, and a Vec grows to room for four.
    out.objects.shrink_to_fit();
    out.roots.shrink_to_fit();
    out.templates.shrink_to_fit();
    out.services.shrink_to_fit();
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn aliased_list_items_are_one_object() {
        let text = "kind: List\nitems:\n- &svc {apiVersion: v1, kind: Service, metadata: {name: a}}\n- *svc\n- *svc\n- {apiVersion: v1, kind: Service, metadata: {name: a}}\n";
        let loaded = crate::parse::yaml::load(text, 0);
        let doc = loaded.docs.first().unwrap();
        // The two written objects stay two (a duplicate is its own finding).
        assert_eq!(object_nodes(doc).len(), 2);
    }

    #[test]
    fn lists_inside_lists_give_their_objects_in_written_order() {
        // kubectl flattens nested Lists (cli-runtime's FlattenListVisitor);
        // a List written again as an alias is read once.
        let text = "kind: List\nitems:\n- {kind: Service, metadata: {name: a}}\n- &inner\n  kind: ServiceList\n  items:\n  - {kind: Service, metadata: {name: b}}\n  - {kind: List, items: [{kind: Service, metadata: {name: c}}]}\n- *inner\n- {kind: PodList, metadata: {name: no-items}}\n- {kind: Service, metadata: {name: d}}\n";
        let loaded = crate::parse::yaml::load(text, 0);
        let doc = loaded.docs.first().unwrap();
        let names: Vec<&str> = object_nodes(doc)
            .iter()
            .map(|n| {
                n.path(&["metadata", "name"])
                    .and_then(|n| n.as_str())
                    .unwrap_or("?")
            })
            .collect();
        assert_eq!(names, ["a", "b", "c", "no-items", "d"]);
    }
}

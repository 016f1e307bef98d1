//! The model: facts read once from every document, then read-only for rules.

pub mod build_k8s;
pub mod envoy;
pub mod gateway_api;
pub mod held_texts;
pub mod hosts;
pub mod istio;
pub mod k8s;
pub mod mesh;
pub mod nginx;
pub mod port_index;
pub mod protocol;
mod read_containers;
pub mod read_k8s;
pub(crate) mod selection;

use std::sync::OnceLock;

use foldhash::{HashMap, HashMapExt, HashSet};

use k8s::{IngressBackend, Object, PodTemplate, Service, selects};

/// Settings that change what the model means (not which rules run).
#[derive(Clone, Debug)]
pub struct ModelOptions {
    pub default_namespace: String,
    pub cluster_domain: String,
    /// Istio's root namespace (mesh-wide policies live there).
    pub istio_root_namespace: String,
    /// The nginx version NGINX configs are read for (`--nginx-version`).
    pub nginx_version: nginx::Version,
}

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions {
            default_namespace: "default".into(),
            cluster_domain: "cluster.local".into(),
            istio_root_namespace: "istio-system".into(),
            nginx_version: nginx::Version::DEFAULT,
        }
    }
}

/// Label key -> value -> indexes into `templates`, ascending.
pub(crate) type LabelIndex = HashMap<String, HashMap<String, Vec<usize>>>;

/// Kubernetes facts with lookups.
#[derive(Debug, Default)]
pub struct K8s<'a> {
    pub objects: Vec<Object<'a>>,
    pub templates: Vec<PodTemplate<'a>>,
    pub services: Vec<Service<'a>>,
    pub ingress_backends: Vec<IngressBackend<'a>>,
    /// Namespace name -> index of its object.
    pub namespaces: HashMap<String, usize>,
    /// (namespace, service name) with manual Endpoints or EndpointSlices.
    pub endpoints: HashSet<(String, String)>,
    /// (namespace, name) -> index into `service_groups`.
    pub(crate) service_index: HashMap<(&'a str, &'a str), usize>,
    /// Indexes into `services` of one namespace and name, ascending (a tree
    /// may define a Service twice).
    pub(crate) service_groups: Vec<Vec<usize>>,
    /// Namespaces that hold at least one pod template in the tree.
    pub template_namespaces: HashSet<&'a str>,
    /// Namespace -> indexes into `templates` / `services` (selectors never cross namespaces).
    pub(crate) templates_by_ns: HashMap<&'a str, Vec<usize>>,
    pub(crate) services_by_ns: HashMap<&'a str, Vec<usize>>,
    /// (namespace, label key, value) -> indexes into `templates` that carry
    /// it, ascending (keyed by namespace too: the same app in every
    /// namespace made each lookup scan them all).
    pub(crate) templates_by_label: selection::PairIndex<'a>,
    /// Services filed by a pair of their selector (indexes into `services`).
    pub(crate) services_by_selector: selection::SelectorIndex<'a>,
    /// Pod templates of Services that share a selector, found once.
    pub(crate) shared_selections: selection::SharedSelections,
    /// Label key -> value -> indexes into `templates` that carry it, in any
    /// namespace, ascending; built on first use (Istio Gateway selectors).
    /// Owned keys: borrowed ones in a OnceLock would make `K8s<'a>`
    /// invariant in `'a`.
    pub(crate) templates_by_label_anywhere: OnceLock<LabelIndex>,
}

impl<'a> K8s<'a> {
    pub fn object(&self, i: usize) -> Option<&Object<'a>> {
        self.objects.get(i)
    }
    /// The namespace of object `i` (empty if there is none).
    pub fn namespace_of(&self, i: usize) -> &'a str {
        self.objects.get(i).map(|o| o.namespace).unwrap_or("")
    }
    pub fn service(&self, namespace: &str, name: &str) -> Option<&Service<'a>> {
        self.services_named(namespace, name).last()
    }
    /// Every Service of that namespace and name, in tree order.
    pub fn services_named<'s>(
        &'s self,
        namespace: &str,
        name: &str,
    ) -> impl DoubleEndedIterator<Item = &'s Service<'a>> + use<'s, 'a> {
        self.service_ids(namespace, name)
            .iter()
            .filter_map(|&i| self.services.get(i))
    }
    fn service_ids(&self, namespace: &str, name: &str) -> &[usize] {
        self.service_index
            .get(&(namespace, name))
            .and_then(|&g| self.service_groups.get(g))
            .map_or(&[], Vec::as_slice)
    }
    pub fn service_object(&self, s: &Service<'a>) -> Option<&Object<'a>> {
        self.objects.get(s.object)
    }
    pub fn template_object(&self, t: &PodTemplate<'a>) -> Option<&Object<'a>> {
        self.objects.get(t.object)
    }
    /// Pod templates in a namespace that a selector selects.
    pub fn selected_templates<'s>(
        &'s self,
        namespace: &'s str,
        selector: &'s [(&'s str, &'s str)],
    ) -> impl Iterator<Item = &'s PodTemplate<'a>> + 's {
        self.selected_template_ids(namespace, selector)
            .filter_map(|i| self.templates.get(i))
    }
    fn selected_template_ids<'s>(
        &'s self,
        namespace: &'s str,
        selector: &'s [(&'s str, &'s str)],
    ) -> impl Iterator<Item = usize> + 's {
        // Only templates that carry every one of the selector's pairs can
        // match (and selectors never cross namespaces): start from the
        // shortest list of its pairs. Charts often put a label every pod
        // shares first. Every list is ascending, so the order is the same
        // whichever list is chosen.
        let by_label = self
            .labelled_template_ids(namespace, selector)
            .min_by_key(|ids| ids.len());
        let candidates = match by_label {
            Some(ids) => ids,
            None => self
                .templates_by_ns
                .get(namespace)
                .map_or(&[][..], Vec::as_slice),
        };
        candidates.iter().copied().filter(move |&i| {
            self.templates.get(i).is_some_and(|t| {
                self.objects
                    .get(t.object)
                    .is_some_and(|o| o.namespace == namespace)
                    && selects(selector, &t.labels)
            })
        })
    }
    /// For each pair of a selector but the controller labels: the ids of
    /// the namespace's pod templates that carry it, ascending.
    fn labelled_template_ids<'s>(
        &'s self,
        namespace: &'s str,
        selector: &'s [(&'s str, &'s str)],
    ) -> impl Iterator<Item = &'s [usize]> + 's {
        selector
            .iter()
            .filter(|(k, _)| !k8s::CONTROLLER_LABELS.contains(k))
            .map(move |&(k, v)| {
                self.templates_by_label
                    .get(&(namespace, k, v))
                    .map_or(&[][..], Vec::as_slice)
            })
    }
    /// For a selector that selects nothing: the pod template of the
    /// namespace that shares the most of its pairs (a controller label, such
    /// as `pod-template-hash`, is shared by every template; the last of
    /// equals in tree order). Found through the label index: one scan of
    /// every template per Service took 10,000 Services 3 s.
    pub fn nearest_miss<'s>(
        &'s self,
        namespace: &'s str,
        selector: &'s [(&'s str, &'s str)],
    ) -> Option<&'s PodTemplate<'a>> {
        let shared_by_all = selector
            .iter()
            .filter(|(k, _)| k8s::CONTROLLER_LABELS.contains(k))
            .count();
        let mut ids: Vec<usize> = self
            .labelled_template_ids(namespace, selector)
            .flatten()
            .copied()
            .collect();
        ids.sort_unstable();
        // Runs of one id: how many pairs that template shares.
        let best = ids
            .chunk_by(|a, b| a == b)
            .filter_map(|run| Some((run.len(), *run.first()?)))
            .max_by_key(|&(shared, id)| (shared, id))
            .map(|(_, id)| id);
        let id = match best {
            Some(id) => id,
            // Only the controller labels are shared: by every template.
            None if shared_by_all > 0 => *self.templates_by_ns.get(namespace)?.last()?,
            None => return None,
        };
        self.templates.get(id)
    }
    /// Pod templates in any namespace that a selector selects, in tree order.
    pub fn selected_templates_anywhere(&self, selector: &[(&str, &str)]) -> Vec<&PodTemplate<'a>> {
        let index = self.templates_by_label_anywhere.get_or_init(|| {
            let mut index = LabelIndex::new();
            for (i, t) in self.templates.iter().enumerate() {
                for &(key, value) in &t.labels {
                    let ids = index
                        .entry(key.to_string())
                        .or_default()
                        .entry(value.to_string())
                        .or_default();
                    if ids.last() != Some(&i) {
                        ids.push(i);
                    }
                }
            }
            index
        });
        // As in `selected_template_ids`: the shortest list of the selector's
        // pairs, else (controller labels only) every template.
        let rarest = selector
            .iter()
            .filter(|(k, _)| !k8s::CONTROLLER_LABELS.contains(k))
            .map(|&(k, v)| {
                index
                    .get(k)
                    .and_then(|values| values.get(v))
                    .map_or(&[][..], Vec::as_slice)
            })
            .min_by_key(|ids| ids.len());
        let (ids, all) = match rarest {
            Some(ids) => (ids, 0),
            None => (&[][..], self.templates.len()),
        };
        ids.iter()
            .copied()
            .chain(0..all)
            .filter_map(|i| self.templates.get(i))
            .filter(|t| selects(selector, &t.labels))
            .collect()
    }
    pub fn service_templates<'s>(&'s self, s: &'s Service<'a>) -> Vec<&'s PodTemplate<'a>> {
        let (Some(sel), Some(o)) = (&s.selector, self.objects.get(s.object)) else {
            return Vec::new();
        };
        let find = || {
            self.selected_template_ids(o.namespace, sel)
                .filter_map(|i| u32::try_from(i).ok())
                .collect()
        };
        match self.shared_selections.get(s.object, find) {
            Some(ids) => ids
                .iter()
                .filter_map(|&i| self.templates.get(i as usize))
                .collect(),
            None => self.selected_templates(o.namespace, sel).collect(),
        }
    }
    /// Services of a namespace, in tree order.
    pub fn services_in<'s>(
        &'s self,
        namespace: &str,
    ) -> impl Iterator<Item = &'s Service<'a>> + 's {
        self.services_by_ns
            .get(namespace)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.services.get(i))
    }

    /// Names of the Services of a namespace, in tree order (what a
    /// misspelt name is compared with).
    pub fn service_names_in<'s>(
        &'s self,
        namespace: &'s str,
    ) -> impl Iterator<Item = &'a str> + 's {
        self.services_in(namespace)
            .filter_map(|s| self.objects.get(s.object))
            .map(|o| o.name)
    }

    /// Services whose selector selects a pod template, in tree order.
    pub fn services_selecting<'s>(
        &'s self,
        t: &'s PodTemplate<'a>,
    ) -> impl Iterator<Item = &'s Service<'a>> + 's {
        let ns = self.namespace_of(t.object);
        self.services_by_selector
            .candidates(ns, t.labels.iter())
            .into_iter()
            .filter_map(|i| self.services.get(i))
            .filter(move |s| {
                self.objects
                    .get(s.object)
                    .is_some_and(|o| o.namespace == ns)
                    && s.selector
                        .as_ref()
                        .is_some_and(|sel| selects(sel, &t.labels))
            })
    }
}

/// Everything the rules read.
#[derive(Debug, Default)]
pub struct Model<'a> {
    pub options: ModelOptions,
    pub k8s: K8s<'a>,
    pub istio: istio::Istio<'a>,
    pub gateway_api: gateway_api::GatewayApi<'a>,
    pub envoy: envoy::Envoy<'a>,
    pub nginx: nginx::Nginx<'a>,
    /// DestinationRules by host, built on first use (see `destination_rules_for`).
    pub(crate) dr_index: std::sync::OnceLock<mesh::DrIndex>,
    /// ServiceEntries by host, built on first use (see `service_entry_for`).
    pub(crate) se_index: std::sync::OnceLock<mesh::SeIndex>,
    /// Whether the tree holds an ingress gateway, found on first use.
    pub(crate) tree_has_ingress: std::sync::OnceLock<bool>,
}

impl<'a> Model<'a> {
    /// Build every system's facts from the Kubernetes-style objects, the
    /// Envoy resources (built by `envoy`) and the parsed NGINX files.
    pub fn build(
        options: ModelOptions,
        objects: read_k8s::FileFacts<'a>,
        envoy: impl FnOnce() -> envoy::Envoy<'a> + Send,
        nginx_files: nginx::NginxFiles<'a>,
    ) -> Model<'a> {
        let paths = nginx_files.paths;
        let version = options.nginx_version;
        // The Envoy and NGINX models need nothing from the others until `relate`.
        // The Envoy model needs nothing from the others.
        let ((k8s, istio, gateway_api), envoy) = rayon::join(
            || {
                let k8s = build_k8s::build(objects.objects, objects.templates, objects.services);
                let istio = istio::build(&k8s.objects, &k8s.templates_by_label);
                let gateway_api = gateway_api::build(&k8s.objects);
                (k8s, istio, gateway_api)
            },
            envoy,
        );
        let mut model = Model {
            options,
            k8s,
            istio,
            gateway_api,
            envoy,
            nginx: nginx::Nginx::new(version, nginx_files.files)
                .reading_with(nginx_files.read_again),
            dr_index: std::sync::OnceLock::new(),
            se_index: std::sync::OnceLock::new(),
            tree_has_ingress: std::sync::OnceLock::new(),
        };
        nginx::k8s::mark_near_services(&mut model, &paths);
        model
    }
}

impl Model<'_> {
    /// Labels of a namespace object in the tree.
    pub fn namespace_label(&self, ns: &str, key: &str) -> Option<&str> {
        let i = *self.k8s.namespaces.get(ns)?;
        let o = self.k8s.objects.get(i)?;
        o.labels.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// Will a mesh proxy (Istio or Linkerd) be injected into pods of this template?
    pub fn sidecar_injected(&self, t: &PodTemplate<'_>) -> bool {
        if t.containers
            .iter()
            .any(|c| matches!(c.name, "istio-proxy" | "linkerd-proxy"))
        {
            return true;
        }
        let pod_says = t
            .label("sidecar.istio.io/inject")
            .or_else(|| t.annotation("sidecar.istio.io/inject"));
        if let Some(v) = pod_says {
            return v == "true";
        }
        if t.annotation("linkerd.io/inject") == Some("enabled") {
            return true;
        }
        let Some(ns) = self.k8s.template_object(t).map(|o| o.namespace) else {
            return false;
        };
        self.namespace_label(ns, "istio-injection") == Some("enabled")
            || self.namespace_label(ns, "istio.io/rev").is_some()
    }
}

//! Mesh-wide lookups the Istio and Gateway API rules share: which Service or
//! ServiceEntry a host names, who may see it, and which pods get a sidecar.

use foldhash::{HashMap, HashMapExt};

use super::Model;
use super::hosts::{ServiceName, resolve_host};
use super::istio::{
    DestinationRule, Gateway, ServiceEntry, exported_to, exported_to_unsorted, host_matches,
};
use super::k8s::{PodTemplate, PortRef, Service, selects};

mod index;
pub(crate) use index::{DrIndex, PaIndex, SeIndex};

/// What a mesh host names.
pub enum HostTarget<'m, 'a> {
    Service(&'m Service<'a>),
    ServiceEntry(&'m ServiceEntry<'a>),
    /// A cluster-local name whose Service is not in the tree.
    MissingService(ServiceName),
    /// A name that is not cluster-local and that no ServiceEntry declares.
    MissingExternal,
}

impl<'a> Model<'a> {
    /// Istio's reading of a host: a name without dots is short for
    /// `name.<namespace>.svc.<domain>`; a dotted name must be the full FQDN
    /// (Istio does not expand `reviews.default`).
    pub fn istio_service_name(&self, host: &str, from_ns: &str) -> Option<ServiceName> {
        if host.contains('*') {
            return None;
        }
        if !host.contains('.') {
            return resolve_host(host, from_ns, &self.options.cluster_domain);
        }
        // `.svc.DOMAIN`, case aside (as `resolve_host` reads it), without
        // building the suffix: this runs for every mesh host.
        let domain = &self.options.cluster_domain;
        let head = host
            .len()
            .checked_sub(domain.len())
            .and_then(|at| host.get(..at))
            .filter(|_| crate::util::ends_with_ignore_case(host, domain))?;
        if crate::util::ends_with_ignore_case(head, ".svc.") {
            return resolve_host(host, from_ns, domain);
        }
        None
    }

    /// Namespaces a Service is exported to (`networking.istio.io/exportTo`).
    pub fn service_visible_from(&self, svc: &Service<'a>, from_ns: &str) -> bool {
        let Some(o) = self.k8s.service_object(svc) else {
            return false;
        };
        match o.annotation("networking.istio.io/exportTo") {
            Some(list) => {
                exported_to_unsorted(list.split(',').map(str::trim), o.namespace, from_ns)
            }
            None => true,
        }
    }

    /// The first ServiceEntry (in tree order) visible from a namespace with a
    /// host that matches this one, either way round.
    fn service_entry_for(&self, host: &str, from_ns: &str) -> Option<&ServiceEntry<'a>> {
        let serves = |&i: &usize| self.service_entry_serves(i, host, from_ns);
        if host.starts_with('*') {
            // A wildcard host may match any entry's host.
            return (0..self.istio.service_entries.len())
                .find(serves)
                .and_then(|i| self.istio.service_entries.get(i));
        }
        // A plain host matches only an entry host equal to it (case aside)
        // or a wildcard one that matches it: the first of each that serves
        // it, then the earlier of the two.
        let index = self.se_index();
        let exact = index.exact(host).iter().copied().find(|i| serves(i));
        let wildcard = index
            .wildcard
            .matching(host)
            .into_iter()
            .find(|i| serves(i));
        let first = match (exact, wildcard) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        self.istio.service_entries.get(first)
    }

    /// Does ServiceEntry `i` serve a host seen from a namespace?
    fn service_entry_serves(&self, i: usize, host: &str, from_ns: &str) -> bool {
        let Some(se) = self.istio.service_entries.get(i) else {
            return false;
        };
        let ns = self.k8s.namespace_of(se.object);
        exported_to(&se.export_to, ns, from_ns)
            && se
                .hosts
                .iter()
                .any(|(h, _)| host_matches(h, host) || host_matches(host, h))
    }

    fn se_index(&self) -> &SeIndex {
        self.se_index.get_or_init(|| {
            let mut index = SeIndex::default();
            for (i, se) in self.istio.service_entries.iter().enumerate() {
                for (h, _) in &se.hosts {
                    index.file(i, h);
                }
            }
            index
        })
    }

    /// Resolve a host as seen from a namespace.
    pub fn resolve_mesh_host(&self, host: &str, from_ns: &str) -> HostTarget<'_, 'a> {
        let fqdn = match self.istio_service_name(host, from_ns) {
            Some(name) => {
                if let Some(svc) = self.k8s.service(&name.namespace, &name.name)
                    && self.service_visible_from(svc, from_ns)
                {
                    return HostTarget::Service(svc);
                }
                let fqdn = format!(
                    "{}.{}.svc.{}",
                    name.name, name.namespace, self.options.cluster_domain
                );
                if let Some(se) = self.service_entry_for(&fqdn, from_ns) {
                    return HostTarget::ServiceEntry(se);
                }
                return HostTarget::MissingService(name);
            }
            None => host.to_string(),
        };
        match self.service_entry_for(&fqdn, from_ns) {
            Some(se) => HostTarget::ServiceEntry(se),
            None => HostTarget::MissingExternal,
        }
    }

    /// DestinationRules whose host is a Service in the tree, with their object.
    pub fn destination_rules_on_services(
        &self,
    ) -> impl Iterator<Item = (&DestinationRule<'a>, &super::k8s::Object<'a>, &Service<'a>)> {
        self.istio.destination_rules.iter().filter_map(|dr| {
            let obj = self.k8s.object(dr.object)?;
            match self.resolve_mesh_host(dr.host, obj.namespace) {
                HostTarget::Service(svc) => Some((dr, obj, svc)),
                _ => None,
            }
        })
    }

    /// Does the tree define any Service in this namespace?
    pub fn namespace_has_services(&self, ns: &str) -> bool {
        self.k8s.services_in(ns).next().is_some()
    }

    /// Is the host's Service known to have pods without a sidecar? `None` when unknown.
    pub fn pods_without_sidecar(&self, svc: &Service<'a>) -> Option<bool> {
        let templates = self.k8s.service_templates(svc);
        if templates.is_empty() {
            return None;
        }
        Some(templates.iter().any(|t| !self.sidecar_injected(t)))
    }
}

/// The default ingress gateway assumed when the tree has none: Service
/// istio-system/istio-ingressgateway, selector `istio: ingressgateway`. istioctl
/// assumes ports 80, 443, 31400, 15443 offline; the legacy chart maps 80 and
/// 443 to 8080 and 8443, the status port is 15021. Any of them may be right.
pub const IMPLICIT_INGRESS_PORTS: [i64; 7] = [80, 443, 8080, 8443, 15021, 15443, 31400];

/// Where a Gateway's selector lands.
pub struct GatewayWorkloads<'m, 'a> {
    pub templates: Vec<&'m PodTemplate<'a>>,
    /// Ports (Service port and targetPort) of Services that select those pods.
    pub service_ports: Vec<i64>,
    /// The implicit default ingress gateway was assumed.
    pub implicit: bool,
}

impl<'a> Model<'a> {
    /// Istio's full name for a host written in a namespace.
    pub fn istio_fqdn(&self, host: &str, ns: &str) -> String {
        if host.contains('.') || host.contains('*') {
            host.to_ascii_lowercase()
        } else {
            format!(
                "{}.{}.svc.{}",
                host.to_ascii_lowercase(),
                ns,
                self.options.cluster_domain
            )
        }
    }

    fn dr_index(&self) -> &DrIndex {
        self.dr_index.get_or_init(|| {
            let mut index = DrIndex::default();
            for (i, dr) in self.istio.destination_rules.iter().enumerate() {
                let ns = self.k8s.namespace_of(dr.object);
                index.file(i, &self.istio_fqdn(dr.host, ns));
            }
            index
        })
    }

    /// DestinationRules for a host (FQDN) visible from a namespace, the most
    /// specific first (exact host, then wildcards).
    pub fn destination_rules_for(&self, fqdn: &str, from_ns: &str) -> Vec<&DestinationRule<'a>> {
        // Only rules whose host equals the FQDN, or a wildcard that matches
        // it (`host_matches`), can match: look those up instead of testing
        // every rule.
        let index = self.dr_index();
        let mut ids = index.wildcard.matching(fqdn);
        ids.extend_from_slice(index.exact(fqdn));
        ids.sort_unstable();
        let mut out: Vec<&DestinationRule<'a>> = ids
            .into_iter()
            .filter_map(|i| self.istio.destination_rules.get(i))
            .filter(|dr| {
                let ns = self.k8s.namespace_of(dr.object);
                exported_to(&dr.export_to, ns, from_ns)
            })
            .collect();
        out.sort_by_key(|dr| dr.host.contains('*'));
        out
    }

    /// Does the tree use Istio at all (resources, injection labels, sidecars)?
    pub fn mesh_in_use(&self) -> bool {
        let i = &self.istio;
        !(i.virtual_services.is_empty()
            && i.destination_rules.is_empty()
            && i.gateways.is_empty()
            && i.peer_authentications.is_empty()
            && i.service_entries.is_empty()
            && i.sidecars.is_empty())
            || self.k8s.templates.iter().any(|t| self.sidecar_injected(t))
    }

    /// Is injection known to be off for these pods? `None` when the tree does not say.
    pub fn sidecar_known_absent(&self, t: &PodTemplate<'a>) -> Option<bool> {
        if self.sidecar_injected(t) {
            return Some(false);
        }
        let pod_says = t
            .label("sidecar.istio.io/inject")
            .or_else(|| t.annotation("sidecar.istio.io/inject"));
        if pod_says == Some("false") {
            return Some(true);
        }
        let ns = self.k8s.template_object(t).map(|o| o.namespace)?;
        // A Namespace object in the tree without injection labels says "no sidecar".
        self.k8s.namespaces.contains_key(ns).then_some(true)
    }

    /// Does the tree hold an ingress gateway (pods or a Service selecting
    /// them)? The same for every Gateway: found once.
    fn tree_has_ingress(&self) -> bool {
        *self.tree_has_ingress.get_or_init(|| {
            self.k8s
                .templates
                .iter()
                .any(|t| t.label("istio") == Some("ingressgateway"))
                || self.k8s.services.iter().any(|s| {
                    s.selector.as_ref().is_some_and(|sel| {
                        sel.iter()
                            .any(|(k, v)| *k == "istio" && *v == "ingressgateway")
                    })
                })
        })
    }

    /// Pods a Gateway selector selects (any namespace), and the ports of their Services.
    pub fn gateway_workloads(&self, gw: &Gateway<'a>) -> GatewayWorkloads<'_, 'a> {
        let templates: Vec<&PodTemplate<'a>> = if gw.selector.is_empty() {
            Vec::new()
        } else {
            self.k8s.selected_templates_anywhere(&gw.selector)
        };
        let default_selector = gw
            .selector
            .iter()
            .all(|(k, v)| *k == "istio" && *v == "ingressgateway");
        if templates.is_empty()
            && default_selector
            && !gw.selector.is_empty()
            && !self.tree_has_ingress()
        {
            return GatewayWorkloads {
                templates,
                service_ports: IMPLICIT_INGRESS_PORTS.to_vec(),
                implicit: true,
            };
        }
        let mut service_ports = Vec::new();
        for t in &templates {
            for s in self.k8s.services_selecting(t) {
                for p in &s.ports {
                    service_ports.extend(p.port);
                    if let Some(PortRef::Number(n)) = p.effective_target() {
                        service_ports.push(n);
                    }
                }
            }
        }
        service_ports.sort_unstable();
        service_ports.dedup();
        GatewayWorkloads {
            templates,
            service_ports,
            implicit: false,
        }
    }
}

/// [`Model::gateway_workloads`] by selector, each found once: what a
/// Gateway selects depends on its selector (a set) alone, and Gateways
/// often share one (2,000 Gateways with ten selectors looked the same
/// pods and Services up 2,000 times).
pub struct WorkloadsBySelector<'m, 'a> {
    model: &'m Model<'a>,
    found: HashMap<Vec<(&'a str, &'a str)>, GatewayWorkloads<'m, 'a>>,
}

impl<'m, 'a> WorkloadsBySelector<'m, 'a> {
    pub fn new(model: &'m Model<'a>) -> Self {
        WorkloadsBySelector {
            model,
            found: HashMap::new(),
        }
    }

    /// What `gw`'s selector selects.
    pub fn get(&mut self, gw: &Gateway<'a>) -> &GatewayWorkloads<'m, 'a> {
        let mut key = gw.selector.clone();
        key.sort_unstable();
        key.dedup();
        let model = self.model;
        self.found
            .entry(key)
            .or_insert_with(|| model.gateway_workloads(gw))
    }
}

/// The mTLS mode a workload port receives, and which policy set it.
pub struct MtlsSetting {
    pub mode: String,
    /// `namespace/name` of the PeerAuthentication.
    pub source: String,
    pub loc: Option<crate::source::Loc>,
}

impl<'a> Model<'a> {
    /// PeerAuthentication in effect for a pod port: workload (port-level first),
    /// then namespace, then mesh-wide in the root namespace. `UNSET` inherits.
    pub fn effective_mtls(&self, t: &PodTemplate<'a>, port: Option<i64>) -> Option<MtlsSetting> {
        let ns = self.k8s.template_object(t)?.namespace;
        let root = self.options.istio_root_namespace.as_str();
        let index = &self.istio.peer_auth_index;
        // Workload policies (in tree order), then the namespace's, then the
        // mesh-wide ones: the first that sets a mode decides.
        let workload = index
            .with_selector(ns, &t.labels)
            .into_iter()
            .filter_map(|i| self.istio.peer_authentications.get(i))
            .filter(|pa| {
                pa.selector
                    .as_ref()
                    .is_some_and(|sel| selects(sel, &t.labels))
            })
            .map(|pa| (true, pa));
        let namespace = if ns == root {
            &[][..]
        } else {
            index.namespace_wide(ns)
        };
        let wide = namespace
            .iter()
            .chain(index.namespace_wide(root))
            .filter_map(|&i| self.istio.peer_authentications.get(i))
            .map(|pa| (false, pa));
        for (workload, pa) in workload.chain(wide) {
            let port_mode = pa
                .port_modes
                .iter()
                .find(|(n, _, _)| workload && Some(*n) == port)
                .filter(|(_, mode, _)| *mode != "UNSET")
                .map(|&(_, mode, node)| (mode, node));
            let Some((mode, node)) = port_mode.or(pa.mode.filter(|(mode, _)| *mode != "UNSET"))
            else {
                continue;
            };
            let source = self
                .k8s
                .object(pa.object)
                .map(|o| format!("{}/{}", o.namespace, o.name))
                .unwrap_or_default();
            return Some(MtlsSetting {
                mode: mode.to_string(),
                source,
                loc: Some(node.loc()),
            });
        }
        None
    }
}

#[cfg(test)]
mod tests;

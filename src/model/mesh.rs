//! Mesh-wide lookups the Istio and Gateway API rules share: which Service or
//! ServiceEntry a host names, who may see it, and which pods get a sidecar.

use super::Model;
use super::hosts::{ServiceName, resolve_host};
use super::istio::{ServiceEntry, exported_to, host_matches};
use super::k8s::Service;

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
        let suffix = format!(".svc.{}", self.options.cluster_domain);
        if host.to_ascii_lowercase().ends_with(&suffix) {
            return resolve_host(host, from_ns, &self.options.cluster_domain);
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
                let v: Vec<&str> = list.split(',').map(str::trim).collect();
                exported_to(&v, &o.namespace, from_ns)
            }
            None => true,
        }
    }

    fn service_entry_for(&self, host: &str, from_ns: &str) -> Option<&ServiceEntry<'a>> {
        self.istio.service_entries.iter().find(|se| {
            let ns = self
                .k8s
                .object(se.object)
                .map(|o| o.namespace.as_str())
                .unwrap_or("");
            exported_to(&se.export_to, ns, from_ns)
                && se
                    .hosts
                    .iter()
                    .any(|(h, _)| host_matches(h, host) || host_matches(host, h))
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

    /// Does the tree define any Service in this namespace?
    pub fn namespace_has_services(&self, ns: &str) -> bool {
        self.k8s.services.iter().any(|s| {
            self.k8s
                .service_object(s)
                .is_some_and(|o| o.namespace == ns)
        })
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

//! Mesh-wide lookups the Istio and Gateway API rules share: which Service or
//! ServiceEntry a host names, who may see it, and which pods get a sidecar.

use std::collections::HashMap;

use super::Model;
use super::hosts::{ServiceName, resolve_host};
use super::istio::{DestinationRule, Gateway, ServiceEntry, exported_to, host_matches};
use super::k8s::{PodTemplate, PortRef, Service, selects};

/// DestinationRule indexes by their FQDN host (lowercase): exact hosts, and
/// the wildcard ones (`*.example.com`, `*`) that any host may match.
#[derive(Debug, Default)]
pub struct DrIndex {
    exact: HashMap<String, Vec<usize>>,
    /// Wildcard rules with their host as matched (lowercase).
    wildcard: Vec<(usize, String)>,
}

/// ServiceEntry indexes (into `service_entries`, ascending) by their hosts:
/// a plain host (lowercase) matches only itself, case aside; the entries
/// with a wildcard host (`*.example.com`, `*`) may match any host.
#[derive(Debug, Default)]
pub struct SeIndex {
    exact: HashMap<String, Vec<usize>>,
    wildcard: Vec<usize>,
}

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
                let v: Vec<&str> = list.split(',').map(str::trim).collect();
                exported_to(&v, o.namespace, from_ns)
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
        // or a wildcard one: the first of each list that serves it, then
        // the earlier of the two.
        let index = self.se_index();
        let exact = index
            .exact
            .get(&host.to_ascii_lowercase())
            .and_then(|ids| ids.iter().find(|i| serves(i)));
        let wildcard = index.wildcard.iter().find(|i| serves(i));
        let first = match (exact, wildcard) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        self.istio.service_entries.get(*first)
    }

    /// Does ServiceEntry `i` serve a host seen from a namespace?
    fn service_entry_serves(&self, i: usize, host: &str, from_ns: &str) -> bool {
        let Some(se) = self.istio.service_entries.get(i) else {
            return false;
        };
        let ns = self
            .k8s
            .object(se.object)
            .map(|o| o.namespace)
            .unwrap_or("");
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
                let mut wildcard = false;
                for (h, _) in &se.hosts {
                    if h.starts_with('*') {
                        wildcard = true;
                    } else {
                        let ids = index.exact.entry(h.to_ascii_lowercase()).or_default();
                        if ids.last() != Some(&i) {
                            ids.push(i);
                        }
                    }
                }
                if wildcard {
                    index.wildcard.push(i);
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
                let ns = self
                    .k8s
                    .object(dr.object)
                    .map(|o| o.namespace)
                    .unwrap_or("");
                let host = self.istio_fqdn(dr.host, ns).to_ascii_lowercase();
                if host.starts_with('*') {
                    index.wildcard.push((i, host));
                } else {
                    index.exact.entry(host).or_default().push(i);
                }
            }
            index
        })
    }

    /// DestinationRules for a host (FQDN) visible from a namespace, the most
    /// specific first (exact host, then wildcards).
    pub fn destination_rules_for(&self, fqdn: &str, from_ns: &str) -> Vec<&DestinationRule<'a>> {
        // Only rules whose host equals the FQDN or is a wildcard can match
        // (`host_matches`): look those up instead of scanning every rule.
        let index = self.dr_index();
        // Rules filed under the FQDN match it as they are; a wildcard's host
        // was written out once, when the index was built.
        let mut ids: Vec<usize> = index
            .exact
            .get(&fqdn.to_ascii_lowercase())
            .into_iter()
            .flatten()
            .copied()
            .chain(
                index
                    .wildcard
                    .iter()
                    .filter(|(_, host)| host_matches(host, fqdn))
                    .map(|(i, _)| *i),
            )
            .collect();
        ids.sort_unstable();
        let mut out: Vec<&DestinationRule<'a>> = ids
            .into_iter()
            .filter_map(|i| self.istio.destination_rules.get(i))
            .filter(|dr| {
                let ns = self
                    .k8s
                    .object(dr.object)
                    .map(|o| o.namespace)
                    .unwrap_or("");
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
        let mut levels: Vec<(u8, &super::istio::PeerAuthentication<'a>)> = Vec::new();
        for pa in &self.istio.peer_authentications {
            let Some(o) = self.k8s.object(pa.object) else {
                continue;
            };
            let level = match &pa.selector {
                Some(sel) if o.namespace == ns && selects(sel, &t.labels) => 0,
                None if o.namespace == ns && ns != root => 1,
                None if o.namespace == root => 2,
                _ => continue,
            };
            levels.push((level, pa));
        }
        levels.sort_by_key(|(l, _)| *l);
        for (level, pa) in levels {
            let source = self
                .k8s
                .object(pa.object)
                .map(|o| format!("{}/{}", o.namespace, o.name))
                .unwrap_or_default();
            if level == 0
                && let Some(p) = port
                && let Some((_, mode, node)) = pa.port_modes.iter().find(|(n, _, _)| *n == p)
                && *mode != "UNSET"
            {
                return Some(MtlsSetting {
                    mode: mode.to_string(),
                    source,
                    loc: Some(node.loc()),
                });
            }
            if let Some((mode, node)) = pa.mode
                && mode != "UNSET"
            {
                return Some(MtlsSetting {
                    mode: mode.to_string(),
                    source,
                    loc: Some(node.loc()),
                });
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use crate::model::read_k8s::FileFacts;
    use crate::model::{Model, ModelOptions};
    use crate::parse::yaml;

    fn with_model(text: &str, f: impl FnOnce(&Model<'_>)) {
        let loaded = yaml::load(text, 0);
        let m = Model::build(
            ModelOptions::default(),
            FileFacts::of_docs(&loaded.docs, "default"),
            Default::default,
            Default::default(),
        );
        f(&m);
    }

    fn dr_names(m: &Model<'_>, fqdn: &str, from: &str) -> Vec<String> {
        m.destination_rules_for(fqdn, from)
            .iter()
            .filter_map(|dr| m.k8s.object(dr.object).map(|o| o.name.to_string()))
            .collect()
    }

    #[test]
    fn destination_rules_by_host_exact_then_wildcard_case_insensitive() {
        let text = "\
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: star, namespace: shop}
spec: {host: '*.svc.cluster.local'}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: short, namespace: shop}
spec: {host: Reviews}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: fqdn, namespace: other}
spec: {host: reviews.shop.svc.cluster.local}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: hidden, namespace: other}
spec: {host: reviews.shop.svc.cluster.local, exportTo: ['.']}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: unrelated, namespace: shop}
spec: {host: ratings}
";
        with_model(text, |m| {
            assert_eq!(
                dr_names(m, "reviews.shop.svc.cluster.local", "shop"),
                ["short", "fqdn", "star"]
            );
            assert_eq!(
                dr_names(m, "REVIEWS.shop.svc.cluster.local", "shop"),
                ["short", "fqdn", "star"]
            );
            assert_eq!(
                dr_names(m, "reviews.shop.svc.cluster.local", "other"),
                ["short", "fqdn", "hidden", "star"]
            );
            assert_eq!(dr_names(m, "api.example.com", "shop"), Vec::<String>::new());
            assert_eq!(dr_names(m, "x.y.svc.cluster.local", "shop"), ["star"]);
        });
    }

    #[test]
    fn selected_templates_stay_in_namespace_and_keep_order() {
        let deploy = |name: &str, ns: &str, labels: &str| {
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  template:\n    metadata: {{labels: {labels}}}\n    spec: {{containers: [{{name: c}}]}}\n---\n"
            )
        };
        let text = [
            deploy("a1", "a", "{app: web, tier: x}"),
            deploy("b1", "b", "{app: web}"),
            deploy("a2", "a", "{app: web, app: web}"),
            deploy("a3", "a", "{app: api, pod-template-hash: h}"),
        ]
        .concat();
        with_model(&text, |m| {
            let names = |ns: &str, sel: &[(&str, &str)]| -> Vec<String> {
                m.k8s
                    .selected_templates(ns, sel)
                    .filter_map(|t| m.k8s.template_object(t).map(|o| o.name.to_string()))
                    .collect()
            };
            assert_eq!(names("a", &[("app", "web")]), ["a1", "a2"]);
            assert_eq!(names("b", &[("app", "web")]), ["b1"]);
            assert_eq!(names("a", &[("app", "web"), ("tier", "x")]), ["a1"]);
            assert_eq!(
                names("a", &[("tier", "x"), ("app", "api")]),
                Vec::<String>::new()
            );
            // Controller labels match anything; an empty selector selects all in the namespace.
            assert_eq!(
                names("a", &[("pod-template-hash", "zzz")]),
                ["a1", "a2", "a3"]
            );
            assert_eq!(names("a", &[]), ["a1", "a2", "a3"]);
            assert_eq!(names("c", &[]), Vec::<String>::new());
        });
    }

    /// Deployments and Services whose selectors share a first pair (`team:
    /// a`), with overlapping, missing and controller pairs mixed in.
    fn shared_first_label_tree() -> String {
        let mut text = String::new();
        for i in 0..24 {
            let ns = if i % 5 == 0 { "other" } else { "default" };
            let app = i % 7;
            let labels = match i % 4 {
                0 => format!("{{team: a, app: app{app}}}"),
                1 => format!("{{team: a, app: app{app}, tier: t{}}}", i % 3),
                2 => format!("{{tier: t{}, team: a}}", i % 3),
                _ => format!("{{app: app{app}}}"),
            };
            text.push_str(&format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{i}, namespace: {ns}}}\nspec:\n  template:\n    metadata: {{labels: {labels}}}\n    spec: {{containers: [{{name: c}}]}}\n---\n"
            ));
            let selector = match i % 5 {
                0 => format!("{{team: a, app: app{app}}}"),
                1 => "{team: a}".to_string(),
                2 => format!("{{team: a, tier: t{}}}", i % 3),
                3 => format!("{{pod-template-hash: h, app: app{app}, team: a}}"),
                _ => "{pod-template-hash: h}".to_string(),
            };
            text.push_str(&format!(
                "apiVersion: v1\nkind: Service\nmetadata: {{name: s{i}, namespace: {ns}}}\nspec: {{selector: {selector}}}\n---\n"
            ));
        }
        text
    }

    #[test]
    fn selector_lookups_equal_a_linear_scan() {
        use crate::model::k8s::selects;
        let text = shared_first_label_tree();
        with_model(&text, |m| {
            let k = &m.k8s;
            let ns_of = |object| k.object(object).map(|o| o.namespace);
            let mut pairs = 0;
            for s in &k.services {
                let (Some(sel), Some(ns)) = (&s.selector, ns_of(s.object)) else {
                    continue;
                };
                let scan: Vec<*const _> = k
                    .templates
                    .iter()
                    .filter(|t| ns_of(t.object) == Some(ns) && selects(sel, &t.labels))
                    .map(|t| t as *const _)
                    .collect();
                let indexed: Vec<*const _> = k
                    .service_templates(s)
                    .into_iter()
                    .map(|t| t as *const _)
                    .collect();
                assert_eq!(indexed, scan);
                pairs += scan.len();
            }
            for t in &k.templates {
                let ns = ns_of(t.object);
                let scan: Vec<*const _> = k
                    .services
                    .iter()
                    .filter(|s| {
                        ns_of(s.object) == ns
                            && s.selector
                                .as_ref()
                                .is_some_and(|sel| selects(sel, &t.labels))
                    })
                    .map(|s| s as *const _)
                    .collect();
                let indexed: Vec<*const _> =
                    k.services_selecting(t).map(|s| s as *const _).collect();
                assert_eq!(indexed, scan);
            }
            assert!(pairs > 24, "the tree should select many templates: {pairs}");
            // The nearest miss (K8S003) equals the old scan: most shared
            // pairs, the last of equals, controller labels shared by all.
            let mut found = 0;
            for s in &k.services {
                let (Some(sel), Some(ns)) = (&s.selector, ns_of(s.object)) else {
                    continue;
                };
                let scan = k
                    .templates
                    .iter()
                    .filter(|t| ns_of(t.object) == Some(ns))
                    .map(|t| (sel.iter().filter(|p| selects(&[**p], &t.labels)).count(), t))
                    .filter(|(n, _)| *n > 0)
                    .max_by_key(|(n, _)| *n)
                    .map(|(_, t)| t as *const _);
                let indexed = k.nearest_miss(ns, sel).map(|t| t as *const _);
                assert_eq!(indexed, scan);
                found += usize::from(scan.is_some());
            }
            assert!(found > 12, "{found}");
        });
    }

    #[test]
    fn service_entry_lookup_equals_a_linear_scan() {
        use crate::model::istio::{exported_to, host_matches};
        let hosts = [
            "api.example.com",
            "API.Example.com",
            "*.example.com",
            "*",
            "db.internal",
            "*.internal",
            "web.shop.svc.cluster.local",
            "",
        ];
        let mut text = String::new();
        for i in 0..40 {
            let ns = ["shop", "other", "mesh"][i % 3];
            let first = hosts[i * 7 % hosts.len()];
            let second = hosts[i * 3 % hosts.len()];
            let export = ["[]", "['.']", "['*']", "[shop]"][i % 4];
            let list = if i % 2 == 0 {
                format!("['{first}']")
            } else {
                format!("['{first}', '{second}']")
            };
            text.push_str(&format!(
                "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {{name: se{i}, namespace: {ns}}}\nspec: {{hosts: {list}, exportTo: {export}}}\n---\n"
            ));
        }
        with_model(&text, |m| {
            assert_eq!(m.istio.service_entries.len(), 40);
            let queries = hosts.iter().copied().chain([
                "Db.Internal",
                "x.example.com",
                "*.com",
                "nowhere.org",
            ]);
            for q in queries {
                for from in ["shop", "other", "mesh", "elsewhere"] {
                    let scan = m.istio.service_entries.iter().find(|se| {
                        let ns = m.k8s.object(se.object).map_or("", |o| o.namespace);
                        exported_to(&se.export_to, ns, from)
                            && se
                                .hosts
                                .iter()
                                .any(|(h, _)| host_matches(h, q) || host_matches(q, h))
                    });
                    let indexed = m.service_entry_for(q, from);
                    assert_eq!(
                        indexed.map(|se| se.object),
                        scan.map(|se| se.object),
                        "{q} from {from}"
                    );
                }
            }
        });
    }

    #[test]
    fn gateways_by_name_equal_a_linear_scan() {
        let mut text = String::new();
        for i in 0..30 {
            let ns = ["a", "b", "c"][i % 3];
            let name = format!("gw{}", i % 4);
            let (api, kind) = if i % 2 == 0 {
                ("networking.istio.io/v1", "Gateway")
            } else {
                ("gateway.networking.k8s.io/v1", "Gateway")
            };
            text.push_str(&format!(
                "apiVersion: {api}\nkind: {kind}\nmetadata: {{name: {name}, namespace: {ns}}}\nspec: {{}}\n---\n"
            ));
        }
        with_model(&text, |m| {
            for ns in ["a", "b", "c", "d"] {
                for name in ["gw0", "gw1", "gw2", "gw3", "gw4"] {
                    let named = |o: Option<&crate::model::k8s::Object<'_>>| {
                        o.is_some_and(|o| o.namespace == ns && o.name == name)
                    };
                    let scan: Vec<usize> = m
                        .istio
                        .gateways
                        .iter()
                        .filter(|g| named(m.k8s.object(g.object)))
                        .map(|g| g.object)
                        .collect();
                    let indexed: Vec<usize> =
                        m.istio.gateways_named(ns, name).map(|g| g.object).collect();
                    assert_eq!(indexed, scan);
                    let scan: Vec<usize> = m
                        .gateway_api
                        .gateways
                        .iter()
                        .filter(|g| named(m.k8s.object(g.object)))
                        .map(|g| g.object)
                        .collect();
                    let indexed: Vec<usize> = m
                        .gateway_api
                        .gateways_named(ns, name)
                        .map(|g| g.object)
                        .collect();
                    assert_eq!(indexed, scan);
                }
            }
            assert!(m.istio.gateways_named("a", "gw0").count() >= 2);
        });
    }

    #[test]
    fn templates_selected_anywhere_equal_a_linear_scan() {
        use crate::model::k8s::selects;
        let text = shared_first_label_tree();
        with_model(&text, |m| {
            let k = &m.k8s;
            let selectors: [&[(&str, &str)]; 7] = [
                &[("team", "a")],
                &[("team", "a"), ("app", "app3")],
                &[("app", "app3"), ("team", "a")],
                &[("tier", "t1")],
                &[("pod-template-hash", "h")],
                &[("pod-template-hash", "h"), ("app", "app2")],
                &[("nothing", "here")],
            ];
            for sel in selectors {
                let scan: Vec<*const _> = k
                    .templates
                    .iter()
                    .filter(|t| selects(sel, &t.labels))
                    .map(|t| t as *const _)
                    .collect();
                let indexed: Vec<*const _> = k
                    .selected_templates_anywhere(sel)
                    .into_iter()
                    .map(|t| t as *const _)
                    .collect();
                assert_eq!(indexed, scan, "{sel:?}");
            }
        });
    }

    #[test]
    fn istio_reads_short_names_and_full_names_only() {
        let name = |host: &str, domain: &str| {
            let opts = ModelOptions {
                cluster_domain: domain.to_string(),
                ..ModelOptions::default()
            };
            let m = Model {
                options: opts,
                ..Model::default()
            };
            m.istio_service_name(host, "shop")
                .map(|s| format!("{}/{}", s.namespace, s.name))
        };
        assert_eq!(
            name("reviews", "cluster.local").as_deref(),
            Some("shop/reviews")
        );
        let full = Some("web/reviews");
        assert_eq!(
            name("reviews.web.svc.cluster.local", "cluster.local").as_deref(),
            full
        );
        // Case aside, in the host and in the domain alike.
        assert_eq!(
            name("Reviews.Web.SVC.Cluster.Local", "cluster.local").as_deref(),
            full
        );
        assert_eq!(
            name("reviews.web.svc.cluster.local", "Cluster.Local").as_deref(),
            full
        );
        // Istio does not expand a partly qualified name; other domains are not Services.
        assert_eq!(name("reviews.web", "cluster.local"), None);
        assert_eq!(name("reviews.web.svc", "cluster.local"), None);
        assert_eq!(name("reviews.web.svc.example.org", "cluster.local"), None);
        assert_eq!(name("*.web.svc.cluster.local", "cluster.local"), None);
        assert_eq!(name("local", "cluster.local"), Some("shop/local".into()));
    }
}

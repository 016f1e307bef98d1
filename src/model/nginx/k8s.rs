//! NGINX hosts against the Kubernetes Services in the tree, through the one
//! shared resolver ([`crate::model::hosts::resolve_host`]). An NGINX config
//! has no namespace of its own: short names are read in the namespace given
//! with `--namespace` (default `default`).

use super::NginxConfig;
use super::facts::{Host, Target};
use super::includes::dir_of;
use crate::model::Model;
use crate::model::hosts::{ServiceName, resolve_host};
use crate::model::k8s::Service;

/// What a host means in the tree.
pub enum HostService<'m, 'a> {
    /// A Service in the tree.
    Found(&'m Service<'a>, ServiceName),
    /// Names a Service in a namespace the tree holds objects in, but there
    /// is no such Service.
    Missing(ServiceName),
    /// Not a Service name, or a namespace the tree says nothing about.
    Unknown,
}

/// Names that are never Services.
fn never_a_service(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    h == "localhost"
        || h.ends_with(".localhost")
        || h.starts_with("ip6-")
        || h == "host.docker.internal"
}

impl<'a> Model<'a> {
    /// Resolve a host named in an NGINX config. A missing Service is only
    /// reported for a config the tree relates to its Kubernetes objects.
    pub fn nginx_host_service(&self, c: &NginxConfig<'_>, host: &str) -> HostService<'_, 'a> {
        match self.resolve_nginx_host(host, c.namespace(&self.options.default_namespace)) {
            HostService::Missing(_) if !c.k8s_related => HostService::Unknown,
            r => r,
        }
    }

    fn resolve_nginx_host(&self, host: &str, namespace: &str) -> HostService<'_, 'a> {
        if never_a_service(host) {
            return HostService::Unknown;
        }
        let Some(sn) = resolve_host(host, namespace, &self.options.cluster_domain) else {
            return HostService::Unknown;
        };
        if let Some(s) = self.k8s.service(&sn.namespace, &sn.name) {
            return HostService::Found(s, sn);
        }
        // Only a name that reads as a Service (`svc`, `svc.ns`, `svc.ns.svc...`)
        // in a namespace the tree describes is a missing Service; `api.example`
        // is not one unless the tree has a namespace `example`.
        // (A Service there also makes the namespace one the tree knows.)
        if self.k8s.services_in(&sn.namespace).next().is_some() {
            HostService::Missing(sn)
        } else {
            HostService::Unknown
        }
    }
}

/// Every host name a configuration connects to (upstream servers, literal
/// `*_pass` addresses).
fn hosts<'c>(c: &'c NginxConfig<'_>) -> impl Iterator<Item = &'c str> + 'c {
    let servers = c
        .facts
        .upstreams
        .iter()
        .flat_map(|u| u.servers.iter())
        .filter_map(|s| s.addr.as_ref().and_then(|a| a.host.name()));
    let passes = c.facts.passes.iter().filter_map(|p| match &p.target {
        Target::Addr(a) => match &a.host {
            Host::Name(n) => Some(n.as_str()),
            _ => None,
        },
        Target::Variable { .. } => None,
    });
    servers.chain(passes)
}

/// Mark the NGINX files a Kubernetes Service sits near: in the file's
/// directory, the one above it, or a sibling of it (`deploy/nginx/` next to
/// `deploy/k8s/`). `paths` are the display paths by file id.
pub fn mark_near_services(model: &mut Model<'_>, paths: &[&str]) {
    // Directories holding Services, and their parents: sets, so each
    // file's "is a Service near me" question is a lookup, not a scan.
    let service_dirs: foldhash::HashSet<String> = model
        .k8s
        .services
        .iter()
        .filter_map(|s| model.k8s.service_object(s))
        .filter_map(|o| paths.get(o.loc.file as usize))
        .map(|p| dir_of(&super::includes::normalize(p)).to_string())
        .collect();
    let service_dir_parents: foldhash::HashSet<&str> =
        service_dirs.iter().map(|d| dir_of(d)).collect();
    let near: Vec<bool> = model
        .nginx
        .sources
        .iter()
        .map(|s| {
            // The display path of the source's file (a dump section's own
            // path is where nginx read it, not where it sits in the tree).
            let file = paths
                .get(s.file as usize)
                .map(|p| super::includes::normalize(p))
                .unwrap_or_default();
            let dir = dir_of(&file).to_string();
            let up = dir_of(&dir).to_string();
            service_dirs.contains(&dir)
                || service_dirs.contains(&up)
                || (dir != up && service_dir_parents.contains(up.as_str()))
        })
        .collect();
    model.nginx.near_services = near;
}

impl<'a> Model<'a> {
    /// Complete whether a configuration runs beside the tree's Kubernetes
    /// objects: besides a Service near its root file or a ConfigMap holding
    /// it, one of its hosts is a Service in the tree. A config analysed
    /// together with unrelated manifests (a docker-compose setup) is not
    /// checked for missing Services.
    pub fn relate_nginx(&self, c: &mut NginxConfig<'_>) {
        if c.k8s_related {
            return;
        }
        let ns = c.namespace(&self.options.default_namespace);
        let found =
            hosts(c).any(|h| matches!(self.resolve_nginx_host(h, ns), HostService::Found(..)));
        c.k8s_related = found;
    }
}

impl NginxConfig<'_> {
    /// The namespace short host names are read in: the ConfigMap's, else
    /// `--namespace`.
    pub fn namespace<'s>(&'s self, default: &'s str) -> &'s str {
        self.configmap
            .as_ref()
            .map(|c| c.namespace.as_str())
            .unwrap_or(default)
    }
}

//! The one host resolver every system uses: `svc`, `svc.ns`, `svc.ns.svc`,
//! `svc.ns.svc.<cluster-domain>` relative to the referring object's namespace.

/// A Kubernetes Service named by a host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceName {
    pub namespace: String,
    pub name: String,
}

/// Resolve a host to a Service name, or `None` when it cannot be one
/// (an IP, an external name, a wildcard).
pub fn resolve_host(host: &str, from_namespace: &str, cluster_domain: &str) -> Option<ServiceName> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || host.contains('*') || host.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    let domain = cluster_domain.trim_matches('.').to_ascii_lowercase();
    let stem = host
        .strip_suffix(&format!(".svc.{domain}"))
        .or_else(|| host.strip_suffix(".svc"))
        .map(|s| (s, true))
        .unwrap_or((&host, false));
    let parts: Vec<&str> = stem.0.split('.').collect();
    let valid = |s: &str| {
        !s.is_empty() && s.len() <= 63 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    match parts.as_slice() {
        [name] if !stem.1 && valid(name) => Some(ServiceName {
            namespace: from_namespace.to_string(),
            name: name.to_string(),
        }),
        [name, ns] if valid(name) && valid(ns) => Some(ServiceName {
            namespace: ns.to_string(),
            name: name.to_string(),
        }),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn resolves_every_form() {
        for h in [
            "reviews",
            "reviews.shop",
            "reviews.shop.svc",
            "reviews.shop.svc.cluster.local",
            "Reviews.shop.svc.cluster.local.",
        ] {
            let from = if h == "reviews" { "shop" } else { "other" };
            let r = resolve_host(h, from, "cluster.local").unwrap();
            assert_eq!(
                (r.namespace.as_str(), r.name.as_str()),
                ("shop", "reviews"),
                "{h}"
            );
        }
        assert_eq!(resolve_host("www.example.com", "a", "cluster.local"), None);
        assert_eq!(resolve_host("10.0.0.1", "a", "cluster.local"), None);
        assert_eq!(
            resolve_host("*.shop.svc.cluster.local", "a", "cluster.local"),
            None
        );
        assert!(resolve_host("r.ns.svc.corp.internal", "a", "corp.internal").is_some());
    }
}

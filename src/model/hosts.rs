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
    // Called for every host of every proxy: allocate only for the answer.
    let trimmed = host.trim_end_matches('.');
    let host = crate::util::ascii_lowercase(trimmed);
    if host.is_empty() || host.contains('*') || is_ip_address(&host) {
        return None;
    }
    let (stem, qualified) = match strip_svc_domain(&host, cluster_domain.trim_matches('.'))
        .or_else(|| host.strip_suffix(".svc"))
    {
        Some(stem) => (stem, true),
        None => (&*host, false),
    };
    let valid = |s: &str| {
        !s.is_empty() && s.len() <= 63 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    let mut parts = stem.split('.');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(name), None, _) if !qualified && valid(name) => Some(ServiceName {
            namespace: from_namespace.to_string(),
            name: name.to_string(),
        }),
        (Some(name), Some(ns), None) if valid(name) && valid(ns) => Some(ServiceName {
            namespace: ns.to_string(),
            name: name.to_string(),
        }),
        _ => None,
    }
}

/// An IPv4 or IPv6 address. Parsed only when written with an address's
/// characters alone: Service names nearly always have other letters, and
/// the parse costs more than the look.
fn is_ip_address(host: &str) -> bool {
    host.bytes()
        .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':')
        && host.parse::<std::net::IpAddr>().is_ok()
}

/// `host` (lowercase) without its `.svc.DOMAIN` suffix (DOMAIN in any case).
fn strip_svc_domain<'h>(host: &'h str, domain: &str) -> Option<&'h str> {
    let at = host.len().checked_sub(domain.len())?;
    let (head, tail) = (host.get(..at)?, host.get(at..)?);
    if !tail.eq_ignore_ascii_case(domain) {
        return None;
    }
    head.strip_suffix(".svc.")
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
        assert_eq!(resolve_host("fe80::1", "a", "cluster.local"), None);
        assert_eq!(resolve_host("::ffff:10.0.0.1", "a", "cluster.local"), None);
        // Address characters only, not an address: a name.
        assert!(resolve_host("cafe", "a", "cluster.local").is_some());
        assert_eq!(
            resolve_host("*.shop.svc.cluster.local", "a", "cluster.local"),
            None
        );
        assert!(resolve_host("r.ns.svc.corp.internal", "a", "corp.internal").is_some());
        assert!(resolve_host("r.ns.svc.Corp.Internal", "a", "corp.internal.").is_some());
        assert_eq!(
            resolve_host("r.ns.svc.cluster.local", "a", "corp.internal"),
            None
        );
        assert_eq!(resolve_host("a.b.c", "a", "cluster.local"), None);
        assert_eq!(resolve_host("reviews.svc", "a", "cluster.local"), None);
    }
}

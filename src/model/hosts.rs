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
    // Called for every host of every proxy: the suffix is compared with
    // case ignored, the rest is read once, and only the answer is copied.
    let host = host.trim_end_matches('.');
    let domain = cluster_domain.trim_matches('.');
    let (stem, qualified) = match strip_svc_domain(host, domain) {
        // The domain is part of the host: a wildcard in it is one in the host.
        Some(_) if domain.contains('*') => return None,
        Some(stem) => (stem, true),
        None => match strip_suffix_ignore_case(host, ".svc") {
            Some(stem) => (stem, true),
            None => (host, false),
        },
    };
    // A name, or a name and a namespace: labels of letters, digits and
    // '-'. (So no wildcard, and no IP address: an IPv4 address has four
    // labels, an IPv6 one has ':'s.)
    let mut dot = None;
    for (i, b) in stem.bytes().enumerate() {
        if b == b'.' {
            if dot.is_some() {
                return None;
            }
            dot = Some(i);
        } else if !(b.is_ascii_alphanumeric() || b == b'-') {
            return None;
        }
    }
    let label = |s: &str| (1..=63).contains(&s.len());
    let (name, namespace) = match dot.map(|at| (stem.get(..at), stem.get(at + 1..))) {
        None if !qualified && label(stem) => (stem, from_namespace.to_string()),
        Some((Some(name), Some(ns))) if label(name) && label(ns) => (name, ns.to_ascii_lowercase()),
        _ => return None,
    };
    Some(ServiceName {
        namespace,
        name: name.to_ascii_lowercase(),
    })
}

/// `s` without `suffix`, ASCII case ignored.
fn strip_suffix_ignore_case<'s>(s: &'s str, suffix: &str) -> Option<&'s str> {
    let at = s.len().checked_sub(suffix.len())?;
    let (head, tail) = (s.get(..at)?, s.get(at..)?);
    tail.eq_ignore_ascii_case(suffix).then_some(head)
}

/// `host` without its `.svc.DOMAIN` suffix (both in any case).
fn strip_svc_domain<'h>(host: &'h str, domain: &str) -> Option<&'h str> {
    strip_suffix_ignore_case(strip_suffix_ignore_case(host, domain)?, ".svc.")
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
        // A wildcard in the cluster domain is one in the host.
        assert_eq!(resolve_host("r.ns.svc.c*.local", "a", "c*.local"), None);
        assert_eq!(resolve_host("r..ns", "a", "cluster.local"), None);
        assert_eq!(resolve_host("", "a", "cluster.local"), None);
    }
}

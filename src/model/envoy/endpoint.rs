//! Upstream endpoints (`load_assignment` and EDS ClusterLoadAssignments).

use super::fields::{get, int_at, list};
use crate::parse::tree::NodeRef;

/// One upstream host.
#[derive(Clone, Debug)]
pub struct Endpoint<'a> {
    /// The `lb_endpoints[]` item.
    pub node: NodeRef<'a>,
    /// `socket_address.address` (an IP or a DNS name).
    pub address: Option<&'a str>,
    pub address_node: Option<NodeRef<'a>>,
    pub port: Option<i64>,
    pub port_node: Option<NodeRef<'a>>,
    /// `envoy_internal_address` or `pipe`: not a network host.
    pub not_network: bool,
}

impl Endpoint<'_> {
    pub fn is_loopback(&self) -> bool {
        matches!(
            self.address.map(|a| a.to_ascii_lowercase()),
            Some(a) if a == "localhost" || a == "::1" || a.starts_with("127.")
        )
    }
    /// A DNS name rather than an IP literal.
    pub fn is_dns_name(&self) -> bool {
        match self.address {
            Some(a) => {
                !a.is_empty()
                    && a.parse::<std::net::IpAddr>().is_err()
                    && a.bytes().any(|b| b.is_ascii_alphabetic())
                    && !a.eq_ignore_ascii_case("localhost")
            }
            None => false,
        }
    }
    pub fn describe(&self) -> String {
        match (self.address, self.port) {
            (Some(a), Some(p)) => format!("{a}:{p}"),
            (Some(a), None) => a.to_string(),
            _ => "?".to_string(),
        }
    }
}

/// The endpoints of a ClusterLoadAssignment (inline or delivered by EDS).
pub fn endpoints_of_assignment(cla: NodeRef<'_>) -> Vec<Endpoint<'_>> {
    let mut out = Vec::new();
    for locality in list(cla, "endpoints") {
        for lb in list(locality, "lb_endpoints") {
            let Some(ep) = get(lb, "endpoint") else {
                continue;
            };
            let addr = get(ep, "address");
            let sock = addr.and_then(|a| get(a, "socket_address"));
            let not_network = addr.is_some_and(|a| {
                get(a, "envoy_internal_address").is_some() || get(a, "pipe").is_some()
            });
            let address_node = sock.and_then(|s| get(s, "address"));
            let port = sock.and_then(|s| int_at(s, "port_value"));
            out.push(Endpoint {
                node: lb,
                address: address_node.and_then(|n| n.as_str()),
                address_node,
                port: port.map(|p| p.0),
                port_node: port.map(|p| p.1),
                not_network,
            });
        }
    }
    // Held for the run: most clusters have one or two endpoints, and a
    // grown Vec keeps room for four.
    out.shrink_to_fit();
    out
}

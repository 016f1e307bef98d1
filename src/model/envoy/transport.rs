//! Upstream transport sockets: TLS (SNI, ALPN, client certificates), QUIC,
//! and wrappers such as the upstream PROXY protocol.

use super::fields::{Typed, bool_at, get, typed};
use crate::parse::tree::NodeRef;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportKind {
    /// No transport socket, or raw_buffer.
    Plain,
    Tls,
    Quic,
    /// Anything else (ALTS, internal_upstream to plain, starttls, ...).
    Other,
}

/// UpstreamTlsContext facts.
#[derive(Clone, Debug)]
pub struct Tls<'a> {
    pub node: NodeRef<'a>,
    pub sni: Option<(&'a str, NodeRef<'a>)>,
    pub auto_host_sni: bool,
    pub alpn: Vec<&'a str>,
    pub alpn_node: Option<NodeRef<'a>>,
    pub client_cert: bool,
}

impl Tls<'_> {
    /// Istio's own mTLS between sidecars (not something a user configures by port).
    pub fn is_istio_mtls(&self) -> bool {
        self.alpn.iter().any(|a| a.starts_with("istio"))
            || self
                .sni
                .is_some_and(|(s, _)| s.starts_with("outbound_.") || s.starts_with("inbound_."))
    }
}

/// A (possibly wrapped) upstream transport socket.
#[derive(Clone, Debug)]
pub struct Transport<'a> {
    /// The `transport_socket` node (`None`: plaintext by default).
    pub node: Option<NodeRef<'a>>,
    pub kind: TransportKind,
    pub tls: Option<Tls<'a>>,
    /// The upstream PROXY protocol wrapper, if any.
    pub proxy_protocol: Option<NodeRef<'a>>,
    pub type_name: &'a str,
}

fn socket_kind(name: &str, t: Option<&Typed<'_>>) -> TransportKind {
    let ty = t.map(|t| t.type_name).unwrap_or("");
    if ty.ends_with("UpstreamTlsContext")
        || (ty.is_empty() && (name == "envoy.transport_sockets.tls" || name == "tls"))
    {
        TransportKind::Tls
    } else if ty.ends_with("QuicUpstreamTransport") || name == "envoy.transport_sockets.quic" {
        TransportKind::Quic
    } else if ty.ends_with("RawBuffer")
        || (ty.is_empty() && (name == "envoy.transport_sockets.raw_buffer" || name == "raw_buffer"))
    {
        TransportKind::Plain
    } else {
        TransportKind::Other
    }
}

fn tls_facts(ctx: NodeRef<'_>) -> Tls<'_> {
    let common = get(ctx, "common_tls_context");
    let alpn_node = common.and_then(|c| get(c, "alpn_protocols"));
    let mut alpn: Vec<&str> = Vec::new();
    if let Some(a) = alpn_node {
        if a.is_seq() {
            alpn.extend(a.items().filter_map(|i| i.as_str()));
        } else if let Some(s) = a.as_str() {
            // The v2 form was a comma-separated string.
            alpn.extend(s.split(',').map(str::trim).filter(|s| !s.is_empty()));
        }
    }
    let client_cert = common.is_some_and(|c| {
        get(c, "tls_certificates").is_some_and(|l| l.items().next().is_some())
            || get(c, "tls_certificate_sds_secret_configs")
                .is_some_and(|l| l.items().next().is_some())
            || get(c, "tls_certificate_provider_instance").is_some()
            || get(c, "tls_certificate_certificate_provider_instance").is_some()
    });
    Tls {
        node: ctx,
        sni: get(ctx, "sni").and_then(|n| n.as_str().filter(|s| !s.is_empty()).map(|s| (s, n))),
        auto_host_sni: bool_at(ctx, "auto_host_sni").unwrap_or(false),
        alpn,
        alpn_node,
        client_cert,
    }
}

impl<'a> Transport<'a> {
    pub fn plain() -> Transport<'a> {
        Transport {
            node: None,
            kind: TransportKind::Plain,
            tls: None,
            proxy_protocol: None,
            type_name: "",
        }
    }

    /// Read a `transport_socket`, looking through wrappers (PROXY protocol,
    /// internal_upstream, tap, stats) to a bounded depth.
    pub fn parse(sock: NodeRef<'a>) -> Transport<'a> {
        let mut t = Transport::plain();
        t.node = Some(sock);
        let mut cur = sock;
        for _ in 0..6 {
            let name = cur.str_at("name").unwrap_or("");
            let ty = typed(cur);
            let type_name = ty.map(|t| t.type_name).unwrap_or("");
            let inner = ty.and_then(|t| get(t.node, "transport_socket"));
            let is_pp = type_name.ends_with("ProxyProtocolUpstreamTransport")
                || name == "envoy.transport_sockets.upstream_proxy_protocol";
            if is_pp && t.proxy_protocol.is_none() {
                t.proxy_protocol = Some(cur);
            }
            match inner {
                Some(i) => cur = i,
                None => {
                    t.kind = socket_kind(name, ty.as_ref());
                    t.type_name = type_name;
                    if t.kind == TransportKind::Tls
                        && let Some(ty) = ty
                    {
                        t.tls = Some(tls_facts(ty.node));
                    }
                    return t;
                }
            }
        }
        t.kind = TransportKind::Other;
        t
    }

    pub fn is_tls(&self) -> bool {
        self.kind == TransportKind::Tls
    }
    /// Supports ALPN (what `auto_config` needs).
    pub fn alpn_capable(&self) -> bool {
        matches!(self.kind, TransportKind::Tls | TransportKind::Quic)
    }
}

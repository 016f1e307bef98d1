//! Which application protocol a port speaks, decided as Istio decides it:
//! `appProtocol`, else the name prefix `<protocol>[-suffix]`, else automatic
//! detection. Envoy and NGINX rules use the same answer.

use super::k8s::ServicePort;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    Http,
    Http2,
    Grpc,
    GrpcWeb,
    Https,
    Tls,
    Tcp,
    Udp,
    Mongo,
    Mysql,
    Redis,
    /// Nothing declared: Istio sniffs HTTP/1.1 and HTTP/2, else treats it as TCP.
    Unknown,
}

/// Where the protocol came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtocolSource {
    AppProtocol,
    PortName,
    Detected,
}

impl Protocol {
    /// Istio's names (`appProtocol` values and name prefixes), case-insensitive.
    pub fn parse(s: &str) -> Option<Protocol> {
        // Compared without a lowercase copy: every port of every Service
        // and container is looked up here.
        const NAMES: [(&str, Protocol); 17] = [
            ("http", Protocol::Http),
            ("http1", Protocol::Http),
            ("http/1.1", Protocol::Http),
            ("kubernetes.io/ws", Protocol::Http),
            ("http2", Protocol::Http2),
            ("h2c", Protocol::Http2),
            ("kubernetes.io/h2c", Protocol::Http2),
            ("grpc", Protocol::Grpc),
            ("grpc-web", Protocol::GrpcWeb),
            ("https", Protocol::Https),
            ("kubernetes.io/wss", Protocol::Https),
            ("tls", Protocol::Tls),
            ("tcp", Protocol::Tcp),
            ("udp", Protocol::Udp),
            ("mongo", Protocol::Mongo),
            ("mysql", Protocol::Mysql),
            ("redis", Protocol::Redis),
        ];
        NAMES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map(|&(_, p)| p)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Http => "HTTP",
            Protocol::Http2 => "HTTP/2",
            Protocol::Grpc => "gRPC",
            Protocol::GrpcWeb => "gRPC-Web",
            Protocol::Https => "HTTPS",
            Protocol::Tls => "TLS",
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Mongo => "Mongo",
            Protocol::Mysql => "MySQL",
            Protocol::Redis => "Redis",
            Protocol::Unknown => "unknown (auto-detected)",
        }
    }

    /// Speaks HTTP/2 on the wire (gRPC is HTTP/2).
    pub fn is_http2(self) -> bool {
        matches!(self, Protocol::Http2 | Protocol::Grpc)
    }
    /// Any HTTP flavour the proxy parses.
    pub fn is_http(self) -> bool {
        matches!(
            self,
            Protocol::Http | Protocol::Http2 | Protocol::Grpc | Protocol::GrpcWeb
        )
    }
    /// TLS on the wire (the proxy does not see inside).
    pub fn is_tls(self) -> bool {
        matches!(self, Protocol::Https | Protocol::Tls)
    }
    /// Opaque byte streams and non-HTTP application protocols.
    pub fn is_opaque(self) -> bool {
        matches!(
            self,
            Protocol::Tcp | Protocol::Mongo | Protocol::Mysql | Protocol::Redis
        )
    }
}

/// The protocol of a port given its name and appProtocol.
pub fn port_protocol(name: Option<&str>, app_protocol: Option<&str>) -> (Protocol, ProtocolSource) {
    if let Some(p) = app_protocol.and_then(Protocol::parse) {
        return (p, ProtocolSource::AppProtocol);
    }
    if let Some(name) = name {
        if let Some(p) = Protocol::parse(name) {
            return (p, ProtocolSource::PortName);
        }
        // `grpc-web` is itself a protocol; otherwise the prefix before the first `-`.
        if let Some((prefix, _)) = name.split_once('-')
            && let Some(p) = Protocol::parse(prefix)
        {
            return (p, ProtocolSource::PortName);
        }
    }
    (Protocol::Unknown, ProtocolSource::Detected)
}

pub fn service_port_protocol(p: &ServicePort<'_>) -> (Protocol, ProtocolSource) {
    if p.protocol.eq_ignore_ascii_case("UDP") {
        return (Protocol::Udp, ProtocolSource::AppProtocol);
    }
    port_protocol(p.name, p.app_protocol)
}

/// Protocols where the server speaks first, which sniffing cannot detect:
/// without an explicit protocol the client waits and the connection times out.
pub fn server_first_hint(name: Option<&str>, number: Option<i64>) -> Option<&'static str> {
    let name = name.unwrap_or("").to_ascii_lowercase();
    const BY_NAME: [(&str, &str); 7] = [
        ("mysql", "MySQL"),
        ("mariadb", "MySQL"),
        ("smtp", "SMTP"),
        ("ftp", "FTP"),
        ("ssh", "SSH"),
        ("pop3", "POP3"),
        ("imap", "IMAP"),
    ];
    if let Some((_, p)) = BY_NAME.iter().find(|(n, _)| name.contains(n)) {
        return Some(p);
    }
    match number? {
        3306 => Some("MySQL"),
        25 | 465 | 587 => Some("SMTP"),
        21 => Some("FTP"),
        22 => Some("SSH"),
        110 => Some("POP3"),
        143 => Some("IMAP"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_order() {
        assert_eq!(port_protocol(Some("http-web"), None).0, Protocol::Http);
        assert_eq!(port_protocol(Some("grpc-web"), None).0, Protocol::GrpcWeb);
        assert_eq!(port_protocol(Some("tcp"), Some("http2")).0, Protocol::Http2);
        assert_eq!(port_protocol(Some("web"), None).0, Protocol::Unknown);
        assert_eq!(port_protocol(Some("HTTP"), None).0, Protocol::Http);
        assert_eq!(
            port_protocol(None, Some("kubernetes.io/h2c")).0,
            Protocol::Http2
        );
        assert_eq!(server_first_hint(Some("db"), Some(3306)), Some("MySQL"));
    }
}

//! Addresses and `*_pass` targets as nginx parses them: `host[:port]`,
//! `unix:/path`, URLs with a scheme, variables.

use std::net::IpAddr;

/// The host part of an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host {
    Name(String),
    Ip(String),
    Unix(String),
}

impl Host {
    fn of(s: &str) -> Host {
        let bare = s.trim_start_matches('[').trim_end_matches(']');
        if bare.parse::<IpAddr>().is_ok() {
            Host::Ip(bare.to_string())
        } else {
            Host::Name(s.to_string())
        }
    }
    pub fn name(&self) -> Option<&str> {
        match self {
            Host::Name(n) => Some(n),
            _ => None,
        }
    }
    pub fn is_localhost(&self) -> bool {
        matches!(self, Host::Name(n) if n.eq_ignore_ascii_case("localhost"))
    }
}

impl std::fmt::Display for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Host::Name(n) | Host::Ip(n) => f.write_str(n),
            Host::Unix(p) => write!(f, "unix:{p}"),
        }
    }
}

/// `host[:port]`, `[v6]:port`, `unix:/path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Addr {
    pub host: Host,
    /// As written; `None` when left out.
    pub port: Option<u16>,
}

/// Parse an address; `None` for what is not one (`*`, bad ports, variables).
pub fn parse_addr(s: &str) -> Option<Addr> {
    if let Some(path) = s.strip_prefix("unix:") {
        return Some(Addr {
            host: Host::Unix(path.to_string()),
            port: None,
        });
    }
    if s.is_empty() || s.contains('$') {
        return None;
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (v6, tail) = rest.split_once(']')?;
        let port = match tail.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if tail.is_empty() => None,
            None => return None,
        };
        return Some(Addr {
            host: Host::Ip(v6.to_string()),
            port,
        });
    }
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, Some(p.parse::<u16>().ok()?)),
        Some(_) => (s, None), // a bare IPv6 address
        None => (s, None),
    };
    if host.is_empty() || host == "*" {
        return None;
    }
    Some(Addr {
        host: Host::of(host),
        port,
    })
}

/// Which module passes the request on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PassKind {
    Proxy,
    Grpc,
    Fastcgi,
    Uwsgi,
    Scgi,
    Memcached,
    /// `proxy_pass` in a `stream` server.
    Stream,
}

impl PassKind {
    pub fn of(name: &str, stream: bool) -> Option<PassKind> {
        Some(match name {
            "proxy_pass" if stream => PassKind::Stream,
            "proxy_pass" => PassKind::Proxy,
            "grpc_pass" => PassKind::Grpc,
            "fastcgi_pass" => PassKind::Fastcgi,
            "uwsgi_pass" => PassKind::Uwsgi,
            "scgi_pass" => PassKind::Scgi,
            "memcached_pass" => PassKind::Memcached,
            _ => return None,
        })
    }
    pub fn directive(self) -> &'static str {
        match self {
            PassKind::Proxy | PassKind::Stream => "proxy_pass",
            PassKind::Grpc => "grpc_pass",
            PassKind::Fastcgi => "fastcgi_pass",
            PassKind::Uwsgi => "uwsgi_pass",
            PassKind::Scgi => "scgi_pass",
            PassKind::Memcached => "memcached_pass",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
    Grpc,
    Grpcs,
    Uwsgi,
    Suwsgi,
    Other,
}

impl Scheme {
    pub fn tls(self) -> bool {
        matches!(self, Scheme::Https | Scheme::Grpcs | Scheme::Suwsgi)
    }
    /// The port nginx uses when the URL names none (`None`: nginx wants one).
    pub fn default_port(self) -> Option<u16> {
        match self {
            Scheme::Http => Some(80),
            Scheme::Https => Some(443),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
            Scheme::Grpc => "grpc",
            Scheme::Grpcs => "grpcs",
            Scheme::Uwsgi => "uwsgi",
            Scheme::Suwsgi => "suwsgi",
            Scheme::Other => "",
        }
    }
}

/// Where a `*_pass` sends requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A literal address, or the name of an upstream group (port `None`).
    Addr(Addr),
    /// Computed at run time; `var` is the variable when the host (or the
    /// whole URL) is exactly one variable.
    Variable { var: Option<String> },
}

/// Variables whose value is a URI, not a host.
const URI_VARS: &[&str] = &[
    "$request_uri",
    "$uri",
    "$document_uri",
    "$is_args",
    "$args",
    "$query_string",
];

/// Parse a `*_pass` argument.
pub fn parse_pass(kind: PassKind, value: &str) -> (Scheme, Target, Option<String>) {
    let lower = value.to_ascii_lowercase();
    let schemes: &[(&str, Scheme)] = &[
        ("http://", Scheme::Http),
        ("https://", Scheme::Https),
        ("grpc://", Scheme::Grpc),
        ("grpcs://", Scheme::Grpcs),
        ("uwsgi://", Scheme::Uwsgi),
        ("suwsgi://", Scheme::Suwsgi),
    ];
    let (scheme, rest) = match schemes.iter().find(|(p, _)| lower.starts_with(p)) {
        Some((p, s)) => (*s, value.get(p.len()..).unwrap_or("")),
        None => (
            match kind {
                PassKind::Grpc => Scheme::Grpc,
                PassKind::Uwsgi => Scheme::Uwsgi,
                _ => Scheme::Other,
            },
            value,
        ),
    };
    let variable = |s: &str| Target::Variable {
        var: (s.starts_with('$')
            && s.len() > 1
            && s.get(1..)
                .is_some_and(|v| v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')))
        .then(|| s.to_string()),
    };
    if rest.starts_with('$') {
        let (host, uri) = match rest.find('/') {
            Some(i) => (rest.get(..i).unwrap_or(rest), rest.get(i..)),
            None => (rest, None),
        };
        return (scheme, variable(host), uri.map(str::to_string));
    }
    if let Some(unix) = rest.strip_prefix("unix:") {
        let (path, uri) = match unix.split_once(':') {
            Some((p, u)) => (p, Some(u.to_string())),
            None => (unix, None),
        };
        return (
            scheme,
            Target::Addr(Addr {
                host: Host::Unix(path.to_string()),
                port: None,
            }),
            uri,
        );
    }
    let (mut authority, mut uri) = match rest.find('/') {
        Some(i) => (
            rest.get(..i).unwrap_or(rest),
            rest.get(i..).map(str::to_string),
        ),
        None => (rest, None),
    };
    if let Some(i) = authority.find('$') {
        let tail = authority.get(i..).unwrap_or("");
        if !URI_VARS.iter().any(|v| tail.starts_with(v)) {
            return (scheme, Target::Variable { var: None }, uri);
        }
        uri = Some(format!("{tail}{}", uri.unwrap_or_default()));
        authority = authority.get(..i).unwrap_or("");
    }
    match parse_addr(authority) {
        Some(a) => (scheme, Target::Addr(a), uri),
        None => (scheme, Target::Variable { var: None }, uri),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn addr(h: &str, p: Option<u16>) -> Target {
        Target::Addr(Addr {
            host: Host::of(h),
            port: p,
        })
    }

    #[test]
    fn pass_urls() {
        let p = |v: &str| parse_pass(PassKind::Proxy, v);
        assert_eq!(
            p("http://backend"),
            (Scheme::Http, addr("backend", None), None)
        );
        assert_eq!(
            p("https://api.example.com:8443/v1/"),
            (
                Scheme::Https,
                addr("api.example.com", Some(8443)),
                Some("/v1/".into())
            )
        );
        assert_eq!(p("http://[::1]:80").1, addr("::1", Some(80)));
        assert_eq!(p("http://127.0.0.1:8000").1, addr("127.0.0.1", Some(8000)));
        assert_eq!(
            p("$proxpass").1,
            Target::Variable {
                var: Some("$proxpass".into())
            }
        );
        assert_eq!(
            p("http://$host$request_uri").1,
            Target::Variable { var: None }
        );
        assert_eq!(
            p("http://$backend").1,
            Target::Variable {
                var: Some("$backend".into())
            }
        );
        assert_eq!(p("http://app$request_uri").1, addr("app", None));
        assert_eq!(p("http://app$suffix").1, Target::Variable { var: None });
        assert_eq!(
            p("http://unix:/tmp/s.sock:/uri/").1,
            Target::Addr(Addr {
                host: Host::Unix("/tmp/s.sock".into()),
                port: None
            })
        );
        let g = parse_pass(PassKind::Grpc, "grpc-svc:50051");
        assert_eq!((g.0, g.1), (Scheme::Grpc, addr("grpc-svc", Some(50051))));
        assert_eq!(parse_pass(PassKind::Grpc, "grpcs://x:443").0, Scheme::Grpcs);
    }

    #[test]
    fn addresses() {
        assert_eq!(parse_addr("backend").unwrap().port, None);
        assert_eq!(parse_addr("backend:8080").unwrap().port, Some(8080));
        assert!(parse_addr("backend:x").is_none());
        assert_eq!(parse_addr("::1").unwrap().host, Host::Ip("::1".into()));
        assert!(parse_addr("$x").is_none());
    }
}

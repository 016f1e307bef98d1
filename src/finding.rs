//! What rules produce: findings with a primary location, related spans and help.

use crate::source::Loc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// The proxies' own words for how a request died (the fixed vocabulary of the JSON contract).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Symptom {
    ConnectionFailure,
    ConnectionTimeout,
    ConnectionTermination,
    ProtocolError,
    Overflow,
    RemoteReset,
    LocalReset,
    NoHealthyUpstream,
    NoRoute,
    UpstreamTimeout,
    TlsHandshake,
}

impl Symptom {
    pub const ALL: [Symptom; 11] = [
        Symptom::ConnectionFailure,
        Symptom::ConnectionTimeout,
        Symptom::ConnectionTermination,
        Symptom::ProtocolError,
        Symptom::Overflow,
        Symptom::RemoteReset,
        Symptom::LocalReset,
        Symptom::NoHealthyUpstream,
        Symptom::NoRoute,
        Symptom::UpstreamTimeout,
        Symptom::TlsHandshake,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Symptom::ConnectionFailure => "connection_failure",
            Symptom::ConnectionTimeout => "connection_timeout",
            Symptom::ConnectionTermination => "connection_termination",
            Symptom::ProtocolError => "protocol_error",
            Symptom::Overflow => "overflow",
            Symptom::RemoteReset => "remote_reset",
            Symptom::LocalReset => "local_reset",
            Symptom::NoHealthyUpstream => "no_healthy_upstream",
            Symptom::NoRoute => "no_route",
            Symptom::UpstreamTimeout => "upstream_timeout",
            Symptom::TlsHandshake => "tls_handshake",
        }
    }
    pub fn parse(s: &str) -> Option<Symptom> {
        Symptom::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// The object a finding is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Resource {
    pub kind: String,
    /// Effective namespace for Kubernetes-style objects; `None` for Envoy and NGINX.
    pub namespace: Option<String>,
    pub name: String,
}

/// A resource's kind, namespace and name as its document has them; owned
/// ([`ResourceNames::owned`]) only where a finding names them.
#[derive(Clone, Copy, Debug)]
pub struct ResourceNames<'a> {
    pub kind: &'a str,
    pub namespace: Option<&'a str>,
    pub name: &'a str,
}

impl ResourceNames<'_> {
    /// Owned, each field at most [`MAX_NAME`] bytes (schema issues hold
    /// theirs to the end of the run).
    pub fn owned(self) -> Resource {
        let field = |s: &str| clip_str(s, MAX_NAME);
        Resource {
            kind: field(self.kind),
            namespace: self.namespace.map(field),
            name: field(self.name),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Related {
    pub message: String,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    pub loc: Loc,
    pub resource: Option<Resource>,
    pub related: Vec<Related>,
    /// Related places past [`MAX_RELATED`], counted instead of kept
    /// ([`Finding::cap`] says how many in the message).
    pub related_not_listed: usize,
    pub help: Option<String>,
}

/// Related places one finding lists: a Service whose pods are in 2,000
/// Deployments pointed at each of them, in each of 2,000 findings (3 GB of
/// SARIF from a 0.9 MB tree). Real configs list at most 4.
pub const MAX_RELATED: usize = 16;

/// The longest message or help a finding keeps, in bytes. Real ones stay
/// under 500; one that quotes its input (a 200 KB object name in each of
/// 1,000 findings, a list of 20,000 Gateway hosts) is cut, so a report's
/// size does not grow with findings x input.
pub const MAX_TEXT: usize = 4096;
/// The longest resource field (a Kubernetes name has at most 253 bytes).
pub const MAX_NAME: usize = 256;

/// Room kept for the note a cut text ends with (`… (N more bytes)`).
const NOTE_ROOM: usize = 40;

/// `text` cut to at most `max` bytes, note included, at a character
/// boundary, saying how much was cut. A cut text is not cut again.
pub fn clip(text: String, max: usize) -> String {
    if text.len() <= max {
        text
    } else {
        clip_str(&text, max)
    }
}

/// [`clip`] of a borrowed text (copies at most `max` bytes of it).
pub fn clip_str(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let cut = crate::source::boundary_at_or_below(text, max.saturating_sub(NOTE_ROOM));
    let kept = text.get(..cut).unwrap_or("");
    format!("{kept}… ({} more bytes)", text.len() - cut)
}

fn clip_in_place(text: &mut String, max: usize) {
    if text.len() > max {
        *text = clip(std::mem::take(text), max);
    }
}

impl Resource {
    /// The resource with each field at most [`MAX_NAME`] bytes.
    pub fn clipped(mut self) -> Resource {
        clip_in_place(&mut self.kind, MAX_NAME);
        clip_in_place(&mut self.name, MAX_NAME);
        if let Some(ns) = self.namespace.as_mut() {
            clip_in_place(ns, MAX_NAME);
        }
        self
    }
}

impl Finding {
    /// Bound what a finding carries: its texts ([`MAX_TEXT`], names [`MAX_NAME`])
    /// and its related places ([`MAX_RELATED`]).
    pub fn cap(&mut self) {
        clip_in_place(&mut self.message, MAX_TEXT);
        if let Some(help) = self.help.as_mut() {
            clip_in_place(help, MAX_TEXT);
        }
        for r in &mut self.related {
            clip_in_place(&mut r.message, MAX_TEXT);
        }
        if let Some(r) = self.resource.take() {
            self.resource = Some(r.clipped());
        }
        self.cap_related();
    }

    /// Keep at most [`MAX_RELATED`] related places; the message says how
    /// many more there were (those counted while building, and any past
    /// the cap in the list).
    fn cap_related(&mut self) {
        if self.related.len() > MAX_RELATED {
            self.related_not_listed += self.related.len() - MAX_RELATED;
            self.related.truncate(MAX_RELATED);
        }
        if self.related_not_listed > 0 {
            let n = std::mem::take(&mut self.related_not_listed);
            self.message.push_str(&format!(
                " ({n} more related places are not listed; {MAX_RELATED} are)"
            ));
        }
    }
}

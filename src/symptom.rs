//! `--symptom "<pasted error text>"`: the proxies' error text mapped to the
//! symptom vocabulary, most specific match first.

use crate::finding::Symptom;
use Symptom::*;

/// (needle, symptoms) — matched case-insensitively; earlier rows are more specific.
const PATTERNS: &[(&str, &[Symptom])] = &[
    // Envoy / Istio reset reasons and response flags.
    ("reset reason: connection failure", &[ConnectionFailure]),
    ("reset reason: connection timeout", &[ConnectionTimeout]),
    (
        "reset reason: connection termination",
        &[ConnectionTermination],
    ),
    ("reset reason: protocol error", &[ProtocolError]),
    ("reset reason: overflow", &[Overflow]),
    ("reset reason: remote reset", &[RemoteReset]),
    ("reset reason: local reset", &[LocalReset]),
    ("remote connection failure", &[ConnectionFailure]),
    ("transport failure reason: tls_error", &[TlsHandshake]),
    ("tls_error", &[TlsHandshake]),
    ("certificate_verify_failed", &[TlsHandshake]),
    ("wrong_version_number", &[TlsHandshake]),
    ("no healthy upstream", &[NoHealthyUpstream]),
    ("upstream request timeout", &[UpstreamTimeout]),
    (
        "upstream_reset_before_response_started",
        &[ConnectionFailure, ConnectionTermination, ProtocolError],
    ),
    ("route_not_found", &[NoRoute]),
    ("cluster_not_found", &[NoRoute]),
    ("connection termination", &[ConnectionTermination]),
    ("connection failure", &[ConnectionFailure]),
    ("protocol error", &[ProtocolError]),
    ("overflow", &[Overflow]),
    // NGINX error log.
    (
        "upstream timed out (110: connection timed out) while connecting",
        &[ConnectionTimeout],
    ),
    ("upstream timed out", &[UpstreamTimeout]),
    ("while connecting to upstream", &[ConnectionFailure]),
    ("(111: connection refused)", &[ConnectionFailure]),
    ("connection refused", &[ConnectionFailure]),
    ("no route to host", &[ConnectionFailure]),
    ("could not be resolved", &[ConnectionFailure]),
    ("host not found in upstream", &[ConnectionFailure]),
    ("no resolver defined to resolve", &[ConnectionFailure]),
    ("no live upstreams", &[NoHealthyUpstream]),
    (
        "upstream prematurely closed connection",
        &[ConnectionTermination],
    ),
    (
        "(104: connection reset by peer)",
        &[ConnectionTermination, RemoteReset],
    ),
    (
        "connection reset by peer",
        &[ConnectionTermination, RemoteReset],
    ),
    ("broken pipe", &[ConnectionTermination]),
    ("upstream sent invalid header", &[ProtocolError]),
    ("upstream sent no valid http", &[ProtocolError]),
    ("upstream sent too big header", &[ProtocolError]),
    ("upstream sent invalid http/2", &[ProtocolError]),
    ("http/2 error", &[ProtocolError]),
    ("ssl_do_handshake() failed", &[TlsHandshake]),
    ("ssl routines", &[TlsHandshake]),
    ("certificate verify failed", &[TlsHandshake]),
    ("upstream ssl certificate", &[TlsHandshake]),
    ("handshake", &[TlsHandshake]),
    ("timed out", &[ConnectionTimeout, UpstreamTimeout]),
];

/// HTTP status codes: the vaguest hint, so matched last.
const STATUS: &[(&str, &[Symptom])] = &[
    ("504", &[UpstreamTimeout, ConnectionTimeout]),
    (
        "503",
        &[NoHealthyUpstream, Overflow, ConnectionFailure, NoRoute],
    ),
    (
        "502",
        &[
            ConnectionFailure,
            ConnectionTermination,
            ProtocolError,
            TlsHandshake,
        ],
    ),
];

/// Envoy response flags (access log `%RESPONSE_FLAGS%`), matched as whole words.
const FLAGS: &[(&str, Symptom)] = &[
    ("UF", ConnectionFailure),
    ("UC", ConnectionTermination),
    ("UO", Overflow),
    ("UH", NoHealthyUpstream),
    ("UT", UpstreamTimeout),
    ("URX", ConnectionFailure),
    ("UPE", ProtocolError),
    ("NR", NoRoute),
    ("LR", LocalReset),
    ("UR", RemoteReset),
];

/// Symptoms named by the text, most specific first; empty when unrecognised.
pub fn symptoms_of(text: &str) -> Vec<Symptom> {
    let lower = text.to_ascii_lowercase();
    let mut out: Vec<Symptom> = Vec::new();
    let mut push = |s: Symptom| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    for (needle, syms) in PATTERNS {
        if lower.contains(needle) {
            syms.iter().copied().for_each(&mut push);
        }
    }
    for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        if let Some((_, s)) = FLAGS.iter().find(|(f, _)| *f == word) {
            push(*s);
        }
    }
    for (needle, syms) in STATUS {
        if text
            .split(|c: char| !c.is_ascii_digit())
            .any(|w| w == *needle)
        {
            syms.iter().copied().for_each(&mut push);
        }
    }
    // Symptom names themselves (`connection_failure`).
    for s in Symptom::ALL {
        if lower.contains(s.as_str()) {
            push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_real_messages() {
        let envoy = "upstream connect error or disconnect/reset before headers. reset reason: connection failure";
        assert_eq!(symptoms_of(envoy).first(), Some(&ConnectionFailure));
        let nginx = "connect() failed (111: Connection refused) while connecting to upstream";
        assert_eq!(symptoms_of(nginx).first(), Some(&ConnectionFailure));
        assert_eq!(
            symptoms_of("upstream prematurely closed connection while reading response header")
                .first(),
            Some(&ConnectionTermination)
        );
        assert_eq!(
            symptoms_of("SSL_do_handshake() failed (SSL: error:0A00010B)").first(),
            Some(&TlsHandshake)
        );
        assert_eq!(
            symptoms_of("no healthy upstream").first(),
            Some(&NoHealthyUpstream)
        );
        assert_eq!(
            symptoms_of("\"GET / HTTP/1.1\" 503 UO 0 81").first(),
            Some(&Overflow)
        );
        assert!(symptoms_of("\"GET / HTTP/1.1\" 503 UO 0 81").contains(&NoHealthyUpstream));
        assert!(symptoms_of("hello world").is_empty());
    }
}

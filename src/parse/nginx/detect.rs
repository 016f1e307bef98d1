//! Recognising nginx configuration text without relying on the file name.

use super::ENTRY_BLOCKS;
use super::parser;
use crate::parse::ProblemKind;

/// How much of the text is looked at.
const PREFIX: usize = 64 * 1024;

/// Directive names that strongly suggest nginx.
const STRONG: &[&str] = &[
    "access_log",
    "add_header",
    "alias",
    "allow",
    "autoindex",
    "charset",
    "default_type",
    "deny",
    "error_log",
    "error_page",
    "events",
    "expires",
    "http",
    "http2",
    "index",
    "internal",
    "keepalive_requests",
    "keepalive_timeout",
    "large_client_header_buffers",
    "listen",
    "location",
    "map",
    "more_set_headers",
    "more_clear_headers",
    "resolver",
    "root",
    "satisfy",
    "sendfile",
    "server",
    "server_name",
    "server_tokens",
    "stream",
    "stub_status",
    "tcp_nodelay",
    "tcp_nopush",
    "try_files",
    "types",
    "underscores_in_headers",
    "upstream",
    "valid_referers",
    "worker_connections",
    "worker_processes",
    "worker_rlimit_nofile",
];

/// Name prefixes of nginx module directives.
const STRONG_PREFIXES: &[&str] = &[
    "auth_",
    "client_",
    "fastcgi_",
    "grpc_",
    "gzip",
    "keepalive",
    "limit_",
    "lua_",
    "proxy_",
    "scgi_",
    "ssl_",
    "uwsgi_",
];

fn is_strong(name: &str) -> bool {
    STRONG.contains(&name)
        || STRONG_PREFIXES.iter().any(|p| name.starts_with(p))
        || super::parser::is_lua_block(name)
}

/// Common names that are also words of other languages.
const WEAK: &[&str] = &["if", "include", "pid", "return", "rewrite", "set", "user"];

/// Whether `s` holds an nginx-style variable (`$name`).
fn has_variable(s: &str) -> bool {
    s.as_bytes().windows(2).any(|w| {
        w.first() == Some(&b'$')
            && w.get(1)
                .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
    })
}

/// True when `text` looks like an nginx config (a main file or a fragment).
pub fn looks_like_nginx(text: &str) -> bool {
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if trimmed.is_empty()
        || trimmed.starts_with(['{', '[', '<'])
        || trimmed.starts_with("---")
        || trimmed.starts_with("#!")
    {
        return false;
    }
    let (prefix, truncated) = if text.len() > PREFIX {
        let mut cut = PREFIX;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        (text.get(..cut).unwrap_or(""), true)
    } else {
        (text, false)
    };
    let parsed = parser::parse(prefix);
    let mut total = 0usize;
    let mut known = 0usize;
    let mut strong = 0usize;
    let mut assign = 0usize;
    // Explicit stack; entries of map/types/... blocks are not counted.
    let mut stack = vec![parsed.directives.iter()];
    while let Some(iter) = stack.last_mut() {
        let Some(d) = iter.next() else {
            stack.pop();
            continue;
        };
        total += 1;
        if is_strong(&d.name) {
            strong += 1;
            known += 1;
        } else if WEAK.contains(&d.name.as_str()) {
            known += 1;
            // `if ($http_origin ...)`, `rewrite ^ $uri`: nginx variables.
            if d.args.iter().any(|a| has_variable(&a.value)) {
                strong += 1;
            }
        } else {
            // `key = value` / `key: value` lines (HCL, INI, YAML) read as
            // one long unknown directive.
            let first = d.args.first().map(|a| a.value.as_str());
            if first == Some("=") || first == Some(":") || d.name.ends_with([':', '=']) {
                assign += 1;
            }
        }
        if let Some(b) = &d.block
            && !ENTRY_BLOCKS.contains(&d.name.as_str())
        {
            stack.push(b.iter());
        }
    }
    let limit = prefix.len().saturating_sub(256);
    let problems = parsed
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::Syntax)
        .filter(|p| !truncated || (p.span.end as usize) < limit)
        .count();
    strong >= 1 && problems * 4 <= total && assign * 4 < total && known * 4 >= total
}

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
    "client_max_body_size",
    "default_type",
    "error_log",
    "error_page",
    "events",
    "fastcgi_param",
    "fastcgi_pass",
    "grpc_pass",
    "gzip",
    "http",
    "index",
    "keepalive_timeout",
    "limit_req_zone",
    "listen",
    "location",
    "map",
    "proxy_buffering",
    "proxy_http_version",
    "proxy_pass",
    "proxy_read_timeout",
    "proxy_set_header",
    "resolver",
    "root",
    "sendfile",
    "server",
    "server_name",
    "ssl_certificate",
    "ssl_certificate_key",
    "stream",
    "try_files",
    "types",
    "upstream",
    "uwsgi_pass",
    "worker_connections",
    "worker_processes",
    "worker_rlimit_nofile",
];

/// Common names that are also words of other languages.
const WEAK: &[&str] = &["if", "include", "pid", "return", "rewrite", "set", "user"];

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
        if STRONG.contains(&d.name.as_str()) {
            strong += 1;
            known += 1;
        } else if WEAK.contains(&d.name.as_str()) {
            known += 1;
        }
        let first = d.args.first().map(|a| a.value.as_str());
        if first == Some("=") || first == Some(":") || d.name.ends_with([':', '=']) {
            assign += 1;
        }
        if let Some(b) = &d.block {
            if !ENTRY_BLOCKS.contains(&d.name.as_str()) {
                stack.push(b.iter());
            }
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

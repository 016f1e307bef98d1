//! The NGINX parser on arbitrary text: no panic, spans in range, every
//! context. The first byte picks the context.
#![no_main]

use confaudit::parse::nginx::{self, FileContext};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let parsed = match sel % 7 {
        0 => nginx::parse(text),
        1 => nginx::parse_with_context(text, FileContext::Main),
        2 => nginx::parse_with_context(text, FileContext::Http),
        3 => nginx::parse_with_context(text, FileContext::Server),
        4 => nginx::parse_with_context(text, FileContext::Location),
        5 => nginx::parse_with_context(text, FileContext::Stream),
        _ => nginx::parse_with_context(text, FileContext::Unknown),
    };
    let len = text.len() as u32;
    nginx::walk(&parsed.directives, |d, _| {
        assert!(d.span.start <= d.span.end && d.span.end <= len);
        for a in &d.args {
            assert!(a.span.end <= len);
        }
    });
    for p in &parsed.problems {
        assert!(p.span.end <= len, "{p:?}");
    }
    let _ = nginx::includes(&parsed);
    let _ = nginx::looks_like_nginx(text);
});

//! The YAML loader on arbitrary bytes: no panic, no hang, spans in range.
#![no_main]

use confaudit::load::{self, Text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = match load::decode(data.to_vec()) {
        Text::Ok(t) => t,
        Text::Invalid(_, prefix) => prefix,
        Text::Skip(_) => return,
    };
    let loaded = confaudit::parse::yaml::load(&text, 0);
    let len = text.len() as u32;
    for d in &loaded.docs {
        assert!(d.span.end <= len);
        for n in &d.nodes {
            assert!(n.span.start <= n.span.end && n.span.end <= len);
        }
        let _ = load::classify(d.root());
    }
    for p in &loaded.problems {
        assert!(p.span.end <= len, "{p:?}");
    }
});

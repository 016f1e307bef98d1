//! The JSON path of the loader (a `.json` file through `load::load`):
//! no panic, spans in range. Seeded with JSON and a JSON dictionary.
#![no_main]

use confaudit::load::{self, Text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = match load::decode(data.to_vec()) {
        Text::Ok(t) => t,
        Text::Invalid(_, prefix) => prefix,
        Text::Skip(_) => return,
    };
    let loaded = load::load(0, "fuzz.json", &text);
    let len = text.len() as u32;
    for d in &loaded.docs {
        for n in &d.nodes {
            assert!(n.span.start <= n.span.end && n.span.end <= len);
        }
    }
    for p in &loaded.problems {
        assert!(p.span.end <= len, "{p:?}");
    }
});

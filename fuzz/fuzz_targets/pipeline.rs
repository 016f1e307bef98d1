//! The whole pipeline on arbitrary bytes: the input is split into up to
//! eight files at NUL bytes (the first byte of each part picks the file's
//! name, so YAML, JSON and NGINX paths all occur), analysed together, and
//! rendered in every output format.
#![no_main]

use confaudit::load::{self, Text};
use confaudit::pipeline::{self, Input, Options};
use confaudit::report;
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 6] = [
    "a.yaml",
    "b.yml",
    "c.json",
    "nginx.conf",
    "sites-enabled/default",
    "other",
];

fuzz_target!(|data: &[u8]| {
    let mut inputs = Vec::new();
    for (i, part) in data.split(|&b| b == 0).filter(|p| !p.is_empty()).take(8).enumerate() {
        let (name, body) = match part.split_first() {
            Some((&b, rest)) => (NAMES[(b as usize) % NAMES.len()], rest),
            None => continue,
        };
        let text = match load::decode(body.to_vec()) {
            Text::Ok(t) => t,
            Text::Invalid(_, prefix) => prefix,
            Text::Skip(_) => continue,
        };
        inputs.push(Input::Text {
            display: format!("f{i}/{name}"),
            text,
        });
    }
    let report = pipeline::analyze(inputs, Vec::new(), &Options::default());
    let _ = report::json::render(&report);
    let _ = report::json::render_lines(&report);
    let _ = report::sarif::render(&report);
    let _ = report::human::render(&report, false, false);
    let _ = report::github::render(&report);
    let _ = report::junit::render(&report);
    let _ = report::gitlab::render(&report);
});

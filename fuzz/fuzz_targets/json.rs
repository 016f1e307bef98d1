//! See `confaudit::fuzzing::json`; crashes go to `testdata/fuzz/json/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| confaudit::fuzzing::json(data));

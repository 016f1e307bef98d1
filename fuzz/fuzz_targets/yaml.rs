//! See `confaudit::fuzzing::yaml`; crashes go to `testdata/fuzz/yaml/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| confaudit::fuzzing::yaml(data));

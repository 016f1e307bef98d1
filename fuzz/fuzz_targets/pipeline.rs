//! See `confaudit::fuzzing::pipeline`; crashes go to `testdata/fuzz/pipeline/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| confaudit::fuzzing::pipeline(data));

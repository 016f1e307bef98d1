//! See `confaudit::fuzzing::nginx`; crashes go to `testdata/fuzz/nginx/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| confaudit::fuzzing::nginx(data));

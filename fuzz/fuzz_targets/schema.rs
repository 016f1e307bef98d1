//! See `confaudit::fuzzing::schema`; crashes go to `testdata/fuzz/schema/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| confaudit::fuzzing::schema(data));

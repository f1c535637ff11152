//! `converse::parse_response` on arbitrary bytes and on mutated spec fixtures.
//!
//! The properties live in `checks/converse_response.rs`, shared with the seed replay test
//! (`guest/tests/fuzz_seeds.rs`).
#![no_main]

#[allow(dead_code)] // Each target uses one of the shared checks.
#[path = "../checks/mod.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::converse_response::check(data);
});

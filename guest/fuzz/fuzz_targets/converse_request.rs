//! `converse::build_request` on requests built from the input.
//!
//! The properties live in `checks/converse_request.rs`, shared with the seed replay test
//! (`guest/tests/fuzz_seeds.rs`).
#![no_main]

#[allow(dead_code)] // Each target uses one of the shared checks.
#[path = "../checks/mod.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::converse_request::check(data);
});

//! `model_id::parse_spec` and the path label and inference profiles of what it accepts.
//!
//! The properties live in `checks/model_spec.rs`, shared with the seed replay test
//! (`guest/tests/fuzz_seeds.rs`).
#![no_main]

#[allow(dead_code)] // Each target uses one of the shared checks.
#[path = "../checks/mod.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::model_spec::check(data);
});

//! `errors::from_http` and `errors::from_stream_exception` on arbitrary upstream errors.
//!
//! The properties live in `checks/error_mapper.rs`, shared with the seed replay test
//! (`guest/tests/fuzz_seeds.rs`).
#![no_main]

#[allow(dead_code)] // Each target uses one of the shared checks.
#[path = "../checks/mod.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::error_mapper::check(data);
});

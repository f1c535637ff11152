//! End-to-end tests: the real provider component in the real runtime, against the local
//! Bedrock emulator (which recomputes every signature and validates every request shape).
//!
//! One test binary for every area, so wasmtime is linked once; the load test (which measures
//! this process's memory) and the secrets sweep (which captures this process's log) keep their
//! own binaries.
#![allow(clippy::unwrap_used)]

#[path = "../common/mod.rs"]
mod common;

mod chat;
mod check;
mod errors;
mod features;
mod outputs;
mod policy;
mod rerank;
mod reuse;
mod runtime;
mod sandbox;
mod streaming;

//! The Amazon Bedrock provider as a WASI 0.2 component.
//!
//! Every module is plain Rust that also compiles and unit-tests on the host target. Only this
//! file touches the bindings generated from `wit/provider.wit`, and only `transport::wasi`
//! touches `wasi:http`.

pub mod api;
pub mod converse;
pub mod error;
pub mod errors;
pub mod stream;
pub mod transport;

//! The application end to end: the `bedrock-gateway` binary (CLI and `serve`) and the serve
//! library, against the local Bedrock emulator. One test binary, so wasmtime is linked once.
#![allow(clippy::unwrap_used)]

mod aws_fakes;
mod common;

mod cli_check;
mod cli_credentials;
mod cli_features;
mod cli_operator;
mod cli_outputs;
mod cli_rerank;
mod cli_secrets;
mod cli_stream;
mod serve;
mod serve_anthropic;
mod serve_attacks;
mod serve_load;
mod serve_openai;
mod serve_rotation;

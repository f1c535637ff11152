//! Wasmtime host for the Bedrock provider component.

//! The bedrock-gateway CLI.
fn main() {}

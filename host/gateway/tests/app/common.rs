//! What the application tests share: the binary under test and scratch directories.

use std::path::PathBuf;
use std::process::Command;

/// The `bedrock-gateway` binary of this build.
pub fn gateway_command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bedrock-gateway"))
}

/// The compiled-component cache every test shares (compiling once per run, not per test).
pub fn cache_dir() -> PathBuf {
    std::env::temp_dir().join("bedrock-gateway-test-cache")
}

/// A fresh scratch directory for one test, unique to this process.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bedrock-app-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

/// Each line of `text` parsed as JSON.
pub fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"))).collect()
}

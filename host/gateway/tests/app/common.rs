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

/// A settings file for `emulator` (SigV4 with the demo keys, the default language and
/// re-ranking models) merged with `extra`, in a directory of its own.
pub fn emulator_settings_file(
    emulator: &bedrock_emulator::Emulator,
    name: &str,
    extra: serde_json::Value,
) -> PathBuf {
    let mut settings = serde_json::json!({
        "region": "us-east-1",
        "accessKeyId": bedrock_emulator::DEMO_ACCESS_KEY_ID,
        "secretAccessKey": bedrock_emulator::DEMO_SECRET_ACCESS_KEY,
        "baseUrl": emulator.base_url(),
        "languageModel": "amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "rerankingModel": "amazon-bedrock|cohere.rerank-v3-5:0",
    });
    if let (Some(settings), Some(extra)) = (settings.as_object_mut(), extra.as_object()) {
        settings.extend(extra.clone());
    }
    let path = temp_dir(name).join("settings.json");
    std::fs::write(&path, settings.to_string()).unwrap_or_else(|e| panic!("{e}"));
    path
}

/// Runs the binary with `args` and an empty environment: (exit code, stdout, stderr).
pub fn run_gateway(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let output = gateway_command()
        .env_clear()
        .arg("--cache-dir")
        .arg(cache_dir())
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the gateway: {e}"));
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

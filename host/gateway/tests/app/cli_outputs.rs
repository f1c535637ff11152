//! `bedrock-gateway embed`, `chat --json-schema` and `chat --count-tokens` as a user runs them:
//! the real binary, the bundled component and the local emulator.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Stdio;

use bedrock_emulator::{DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY, Emulator, EmulatorConfig};
use serde_json::{Value, json};

fn settings_file(emulator: &Emulator, name: &str) -> PathBuf {
    let path = crate::common::temp_dir(name).join("settings.json");
    let settings = json!({
        "region": "us-east-1",
        "accessKeyId": DEMO_ACCESS_KEY_ID,
        "secretAccessKey": DEMO_SECRET_ACCESS_KEY,
        "baseUrl": emulator.base_url(),
        "languageModel": "amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "embeddingModel": "amazon-bedrock|cohere.embed-v4:0",
    });
    std::fs::write(&path, settings.to_string()).unwrap();
    path
}

/// Runs `bedrock-gateway --settings FILE ARGS...`: (exit, stdout, stderr).
async fn run(settings: &PathBuf, args: &[&str]) -> (i32, String, String) {
    let cache = std::env::temp_dir().join("bedrock-gateway-cli-test-cache");
    let mut cmd = crate::common::gateway_command();
    cmd.env_clear()
        .arg("--cache-dir")
        .arg(cache)
        .arg("--settings")
        .arg(settings)
        .args(args)
        .stdin(Stdio::null());
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn embed_prints_a_table_or_json() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let settings = settings_file(&emulator, "embed");
    let (code, out, err) = run(
        &settings,
        &[
            "embed",
            "--dimensions",
            "256",
            "--input-type",
            "search-query",
            "first text",
            "second text",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "index  dims  first values");
    assert!(
        lines[1].starts_with("    0   256  ") && lines[2].starts_with("    1   256  "),
        "{out}"
    );
    assert!(lines[3].contains("2 embedding(s)") && lines[3].contains("cohere.embed-v4:0"), "{out}");
    let body: Value = serde_json::from_slice(&emulator.requests()[0].body).unwrap();
    assert_eq!(body["input_type"], "search_query");
    assert_eq!(body["output_dimension"], 256);

    let (code, out, err) = run(&settings, &["embed", "--json", "one"]).await;
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["dimensions"], 1536);
    assert_eq!(v["embeddings"][0]["index"], 0);
    assert_eq!(v["embeddings"][0]["float"].as_array().unwrap().len(), 1536);
    assert!(v["usage"]["inputTokens"].as_u64().unwrap() >= 1);

    let (code, out, _) = run(&settings, &["embed", "--json", "--dimensions", "100", "x"]).await;
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"]["kind"], "invalid-request");
    assert_eq!(v["error"]["field"], "dimensions");
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_answers_in_a_schema_and_counts_tokens() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let settings = settings_file(&emulator, "chat");
    let schema = crate::common::temp_dir("chat").join("city report.json");
    let schema_value = json!({"type": "object", "properties": {"city": {"type": "string"}, "population": {"type": "integer"}}, "required": ["city", "population"]});
    std::fs::write(&schema, schema_value.to_string()).unwrap();
    let schema_arg = schema.to_string_lossy().into_owned();
    let (code, out, err) =
        run(&settings, &["chat", "--json-schema", &schema_arg, "Largest city?"]).await;
    assert_eq!(code, 0, "{err}");
    let answer: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(answer, json!({"city": "Paris", "population": 1}));
    let sent: Value = serde_json::from_slice(&emulator.requests()[0].body).unwrap();
    assert_eq!(
        sent["outputConfig"]["textFormat"]["structure"]["jsonSchema"]["name"],
        "city_report"
    );

    let (code, out, err) =
        run(&settings, &["chat", "--count-tokens", "--system", "Be brief.", "Hello there"]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "5 input tokens (anthropic.claude-sonnet-4-5-20250929-v1:0)\n");
    let (code, out, _) = run(
        &settings,
        &["chat", "--count-tokens", "--json", "--model", "amazon.nova-lite-v1:0", "Hi"],
    )
    .await;
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"]["kind"], "unsupported");
}

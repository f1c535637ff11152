//! `bedrock-gateway rerank` as a user runs it: the real binary, the bundled component and the
//! local emulator. The table ranks every document, `--json` has the documented shape, the
//! default model comes from the settings, and errors exit 1 with the error JSON.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Stdio;

use bedrock_emulator::{DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY, Emulator, EmulatorConfig};
use serde_json::{Value, json};

const QUERY: &str = "What is the capital of France?";

/// Twelve documents: more than the Rerank API's default of 5 results.
const DOCS: [&str; 12] = [
    "Berlin is the capital of Germany.",
    "Bananas are rich in potassium.",
    "Paris is the capital of France.",
    "France borders Spain and Italy.",
    "The Eiffel Tower is in Paris.",
    "What is a capital gain?",
    "Madrid is the capital of Spain.",
    "The Seine flows through the capital.",
    "Lyon is a city in France.",
    "Rust is a programming language.",
    "Is Paris the capital? It is.",
    "Tokyo is large.",
];

/// A settings file for the emulator merged with `extra`, in a directory of its own.
fn settings_file(emulator: &Emulator, name: &str, extra: Value) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("bedrock-gateway-cli-rerank-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("settings.json");
    let mut settings = json!({
        "region": "us-east-1",
        "accessKeyId": DEMO_ACCESS_KEY_ID,
        "secretAccessKey": DEMO_SECRET_ACCESS_KEY,
        "baseUrl": emulator.base_url(),
        "languageModel": "amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "rerankingModel": "amazon-bedrock|cohere.rerank-v3-5:0",
    });
    for (k, v) in extra.as_object().unwrap() {
        settings[k] = v.clone();
    }
    std::fs::write(&path, settings.to_string()).unwrap();
    path
}

/// Runs `bedrock-gateway --settings FILE rerank ARGS... --query Q DOCS...`: (exit, stdout, stderr).
async fn rerank(settings: &PathBuf, args: &[&str]) -> (i32, String, String) {
    let cache = std::env::temp_dir().join("bedrock-gateway-cli-test-cache");
    let mut cmd = crate::common::gateway_command();
    cmd.env_clear()
        .arg("--cache-dir")
        .arg(cache)
        .arg("--settings")
        .arg(settings)
        .arg("rerank")
        .args(args)
        .args(["--query", QUERY])
        .args(DOCS)
        .stdin(Stdio::null());
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_table_ranks_all_twelve_documents() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let settings = settings_file(&emulator, "table", json!({}));
    let (code, out, err) = rerank(&settings, &[]).await;
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 13, "{out}");
    assert!(lines[0].starts_with("rank") && lines[0].ends_with("document"), "{out}");

    let mut indexes = Vec::new();
    let mut scores = Vec::new();
    for (rank, line) in lines[1..].iter().enumerate() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols[0], (rank + 1).to_string(), "{line}");
        let index: usize = cols[1].parse().unwrap();
        scores.push(cols[2].parse::<f64>().unwrap());
        assert!(line.ends_with(DOCS[index]), "{line} is not document {index}");
        indexes.push(index);
    }
    assert_eq!(indexes[0], 2, "{out}");
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{out}");
    indexes.sort_unstable();
    assert_eq!(indexes, (0..12).collect::<Vec<_>>());

    let sent = emulator.requests();
    assert_eq!(sent[0].path, "/rerank");
    assert_eq!(sent[0].signature_valid, Some(true));
}

#[tokio::test(flavor = "multi_thread")]
async fn json_output_has_the_documented_shape() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let settings = settings_file(&emulator, "json", json!({}));
    let (code, out, err) = rerank(&settings, &["--json"]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    let value: Value = serde_json::from_str(&out).unwrap();
    let mut keys: Vec<&String> = value.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["model", "requestId", "results"]);
    assert_eq!(value["model"], "cohere.rerank-v3-5:0");
    assert!(value["requestId"].is_string());
    let results = value["results"].as_array().unwrap();
    assert_eq!(results.len(), 12);
    for r in results {
        let mut keys: Vec<&String> = r.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["document", "index", "relevanceScore"]);
        let index = r["index"].as_u64().unwrap() as usize;
        assert_eq!(r["document"], DOCS[index]);
        assert!(r["relevanceScore"].is_f64());
    }
    assert_eq!(results[0]["index"], 2);

    // --top-n limits the results.
    let (code, out, _) = rerank(&settings, &["--json", "--top-n", "3"]).await;
    assert_eq!(code, 0);
    let value: Value = serde_json::from_str(&out).unwrap();
    let top: Vec<&Value> =
        value["results"].as_array().unwrap().iter().map(|r| &r["index"]).collect();
    let all: Vec<&Value> = results.iter().map(|r| &r["index"]).take(3).collect();
    assert_eq!(top, all);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_default_model_comes_from_the_settings_and_model_overrides_it() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let settings = settings_file(
        &emulator,
        "model",
        json!({"region": "us-west-2", "rerankingModel": "amazon-bedrock|amazon.rerank-v1:0"}),
    );
    let (code, out, err) = rerank(&settings, &["--json"]).await;
    assert_eq!(code, 0, "{err}");
    let value: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value["model"], "amazon.rerank-v1:0");
    let body: Value = serde_json::from_slice(&emulator.requests()[0].body).unwrap();
    assert_eq!(
        body["rerankingConfiguration"]["bedrockRerankingConfiguration"]["modelConfiguration"]["modelArn"],
        "arn:aws:bedrock:us-west-2::foundation-model/amazon.rerank-v1:0"
    );

    let (code, out, err) =
        rerank(&settings, &["--json", "--model", "amazon-bedrock|cohere.rerank-v3-5:0"]).await;
    assert_eq!(code, 0, "{err}");
    let value: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value["model"], "cohere.rerank-v3-5:0");
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_exit_1_with_the_error_json() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let settings = settings_file(
        &emulator,
        "fault",
        json!({"maxAttempts": 1, "headers": {"x-emulator-fault": "rerank-throttling"}}),
    );
    let (code, out, err) = rerank(&settings, &["--json"]).await;
    assert_eq!(code, 1, "{out}");
    assert!(err.is_empty(), "{err}");
    let value: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(value["error"]["kind"], "throttled");
    assert_eq!(value["error"]["code"], "ThrottlingException");
    assert_eq!(value["error"]["status"], 429);
    assert_eq!(value["error"]["retryable"], true);
    assert!(value["error"]["solution"].is_string());

    // Without --json the error goes to stderr for a person.
    let (code, out, err) = rerank(&settings, &[]).await;
    assert_eq!(code, 1);
    assert!(out.is_empty(), "{out}");
    assert!(err.starts_with("error (throttled): "), "{err}");

    // Amazon Rerank in us-east-1: refused, and the error says what to use instead.
    let settings = settings_file(
        &emulator,
        "region",
        json!({"maxAttempts": 1, "rerankingModel": "amazon-bedrock|amazon.rerank-v1:0"}),
    );
    let (code, out, _) = rerank(&settings, &["--json"]).await;
    assert_eq!(code, 1, "{out}");
    let value: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(value["error"]["kind"], "region-unsupported", "{out}");
    assert!(value["error"]["solution"].as_str().unwrap().contains("cohere.rerank-v3-5:0"));
}

//! The `chat` command's Converse features, through the real binary and component against the
//! emulator: attached files, reasoning, tools and tool choice, guardrails, provider options,
//! the system-prompt cache point, and how tool calls and reasoning are shown.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Output;

use bedrock_emulator::{DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY, Emulator, EmulatorConfig};
use serde_json::{Value, json};

const PROFILE: &str = "amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0";

/// An emulator and a scratch directory holding the settings file that points at it.
struct Setup {
    emulator: Emulator,
    dir: PathBuf,
}

impl Setup {
    async fn start(name: &str) -> Setup {
        let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
        let dir = std::env::temp_dir()
            .join(format!("bedrock-gateway-cli-features-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let settings = json!({
            "region": "us-east-1",
            "accessKeyId": DEMO_ACCESS_KEY_ID,
            "secretAccessKey": DEMO_SECRET_ACCESS_KEY,
            "baseUrl": emulator.base_url(),
            "languageModel": PROFILE,
        });
        std::fs::write(dir.join("settings.json"), settings.to_string()).unwrap();
        std::fs::write(
            dir.join("tools.json"),
            json!([
                {"name": "get_weather", "description": "Current weather for a city",
                 "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
                {"name": "get_time",
                 "inputSchema": {"type": "object", "properties": {"zone": {"type": "string"}}, "required": ["zone"]}},
            ])
            .to_string(),
        )
        .unwrap();
        Setup { emulator, dir }
    }

    fn file(&self, name: &str, content: &[u8]) -> String {
        let path = self.dir.join(name);
        std::fs::write(&path, content).unwrap();
        path.display().to_string()
    }

    fn tools(&self) -> String {
        self.dir.join("tools.json").display().to_string()
    }

    /// Runs `bedrock-gateway --settings <file> chat <args>` (off the runtime's threads, so the
    /// emulator keeps serving).
    async fn chat(&self, args: &[&str]) -> Output {
        let cache = std::env::temp_dir().join("bedrock-provider-test-cache");
        let mut command = crate::common::gateway_command();
        command
            .arg("--settings")
            .arg(self.dir.join("settings.json"))
            .arg("--cache-dir")
            .arg(cache)
            .arg("chat")
            .args(args);
        for name in ["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "RUST_LOG", "COLUMNS"] {
            command.env_remove(name);
        }
        tokio::task::spawn_blocking(move || command.output().unwrap()).await.unwrap()
    }

    fn bodies(&self) -> Vec<Value> {
        self.emulator.requests().iter().map(|r| serde_json::from_slice(&r.body).unwrap()).collect()
    }

    fn last_body(&self) -> Value {
        self.bodies().pop().unwrap()
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn ok(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(0), "stdout: {}\nstderr: {}", stdout(o), stderr(o));
    stdout(o)
}

fn json_of(o: &Output) -> Value {
    serde_json::from_str(ok(o).trim()).unwrap()
}

fn json_lines(o: &Output) -> Vec<Value> {
    crate::common::json_lines(&ok(o))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_attached_by_extension() {
    let s = Setup::start("files").await;
    let photo = s.file("Holiday photo.JPG", b"\xff\xd8\xff\xe0 jpeg");
    let report = s.file("quarterly_report.v2.pdf", b"%PDF-1.4\n%%EOF\n");
    let table = s.file("numbers.csv", b"a,b\n1,2\n");
    let out = json_of(
        &s.chat(&[
            "--json",
            "--file",
            &photo,
            "--file",
            &report,
            "--file",
            &table,
            "Summarise these",
        ])
        .await,
    );
    assert!(out["text"].as_str().unwrap().contains("Summarise these"), "{out}");
    let content = &s.last_body()["messages"][0]["content"];
    assert_eq!(
        content[0],
        json!({"image": {"format": "jpeg", "source": {"bytes": "/9j/4CBqcGVn"}}})
    );
    assert_eq!(
        content[1],
        json!({"document": {"format": "pdf", "name": "quarterly report v2", "source": {"bytes": "JVBERi0xLjQKJSVFT0YK"}}})
    );
    assert_eq!(content[2]["document"]["format"], "csv");
    assert_eq!(content[2]["document"]["name"], "numbers");
    assert_eq!(content[3], json!({"text": "Summarise these"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_extension_is_a_usage_error() {
    let s = Setup::start("badfile").await;
    let archive = s.file("bundle.zip", b"PK\x03\x04");
    let out = s.chat(&["--file", &archive, "hi"]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("unsupported file type `.zip`"), "{err}");
    assert!(err.contains("pdf"), "the message lists what works: {err}");
    assert!(stdout(&out).is_empty());
    assert!(s.emulator.requests().is_empty(), "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reasoning_and_tool_calls_in_json() {
    let s = Setup::start("json").await;
    let tools = s.tools();
    let out = json_of(
        &s.chat(&["--json", "--reasoning-budget", "1024", "--tools", &tools, "Weather in Paris?"])
            .await,
    );
    assert_eq!(out["finishReason"], "tool-calls");
    let content = out["content"].as_array().unwrap();
    assert_eq!(content[0]["type"], "reasoning");
    assert!(content[0]["text"].as_str().unwrap().contains("Weather in Paris?"));
    assert!(content[0]["signature"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(content[1]["type"], "tool-call");
    assert_eq!(content[1]["name"], "get_weather");
    assert_eq!(content[1]["input"], json!({"city": "Paris"}));
    assert_eq!(out["toolCalls"][0]["id"], content[1]["id"]);
    assert!(out.get("trace").is_none());
    assert!(
        out["warnings"].as_array().unwrap().iter().any(|w| w["code"] == "setting-changed"),
        "maxTokens was derived from the budget: {out}"
    );

    let body = s.last_body();
    assert_eq!(body["additionalModelRequestFields"]["thinking"]["budget_tokens"], 1024);
    assert_eq!(body["toolConfig"]["tools"][0]["toolSpec"]["name"], "get_weather");
    assert_eq!(
        body["toolConfig"]["tools"][0]["toolSpec"]["description"],
        "Current weather for a city"
    );
    assert!(body["toolConfig"]["tools"][1]["toolSpec"].get("description").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reasoning_and_tool_calls_in_text() {
    let s = Setup::start("text").await;
    let tools = s.tools();
    let out =
        ok(&s.chat(&["--reasoning-budget", "1024", "--tools", &tools, "Weather in Paris?"]).await);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("> The user wrote:"), "{out}");
    assert!(lines.contains(&r#"tool call get_weather({"city":"Paris"})"#), "{out}");
    assert!(out.ends_with('\n'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_reasoning_and_tool_calls_show_as_they_arrive() {
    let s = Setup::start("stream").await;
    let tools = s.tools();
    let out = ok(&s
        .chat(&["--stream", "--reasoning-budget", "1024", "--tools", &tools, "Weather in Paris?"])
        .await);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("> The user wrote: \"Weather in Paris?\""), "{out}");
    assert_eq!(lines.last(), Some(&r#"tool call get_weather({"city":"Paris"})"#), "{out}");

    let parts = json_lines(
        &s.chat(&[
            "--stream",
            "--json",
            "--reasoning-budget",
            "1024",
            "--tools",
            &tools,
            "Weather?",
        ])
        .await,
    );
    let types: Vec<&str> = parts.iter().map(|p| p["type"].as_str().unwrap()).collect();
    assert!(types.iter().filter(|t| **t == "reasoning-delta").count() > 2, "{types:?}");
    let signature = parts.iter().find(|p| p["signature"].is_string()).unwrap();
    assert_eq!(signature["type"], "reasoning-delta");
    let end = parts.iter().find(|p| p["type"] == "tool-call-end").unwrap();
    assert_eq!(end["name"], "get_weather");
    assert_eq!(end["input"], json!({"city": "Paris"}));
    assert!(types.contains(&"tool-call-start") && types.contains(&"tool-call-delta"));

    // The text shown for a streamed answer without reasoning is just the text.
    let out = ok(&s.chat(&["--stream", "Hello there"]).await);
    assert_eq!(out, "Hello from the Bedrock emulator. You said: Hello there\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_choice_reaches_the_wire() {
    let s = Setup::start("choice").await;
    let tools = s.tools();
    for (choice, wire) in [
        ("auto", json!({"auto": {}})),
        ("required", json!({"any": {}})),
        ("get_time", json!({"tool": {"name": "get_time"}})),
    ] {
        let out = json_of(
            &s.chat(&["--json", "--tools", &tools, "--tool-choice", choice, "Time?"]).await,
        );
        assert_eq!(s.last_body()["toolConfig"]["toolChoice"], wire);
        let expected = if choice == "get_time" { "get_time" } else { "get_weather" };
        assert_eq!(out["toolCalls"][0]["name"], expected, "{choice}");
    }
    let out =
        json_of(&s.chat(&["--json", "--tools", &tools, "--tool-choice", "none", "Time?"]).await);
    assert_eq!(out["finishReason"], "stop");
    assert!(s.last_body().get("toolConfig").is_none());

    // A name that is not among the tools is the provider's invalid-request (exit 1).
    let out = s.chat(&["--json", "--tools", &tools, "--tool-choice", "get_news", "Time?"]).await;
    assert_eq!(out.status.code(), Some(1));
    let e: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(e["error"]["kind"], "invalid-request");
    assert_eq!(e["error"]["field"], "toolChoice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guardrail_with_its_trace() {
    let s = Setup::start("guardrail").await;
    let out = json_of(
        &s.chat(&[
            "--json",
            "--guardrail",
            "1abcd2ef34gh:1",
            "--guardrail-trace",
            "enabled",
            "Tell me",
        ])
        .await,
    );
    assert_eq!(out["finishReason"], "guardrail-intervened");
    assert_eq!(out["text"], "Sorry, the model cannot answer this question.");
    assert_eq!(
        out["trace"]["guardrail"]["inputAssessment"]["1abcd2ef34gh"]["topicPolicy"]["topics"][0]["name"],
        "Restricted topic"
    );
    assert_eq!(
        s.last_body()["guardrailConfig"],
        json!({"guardrailIdentifier": "1abcd2ef34gh", "guardrailVersion": "1", "trace": "enabled"})
    );
    let out = s.chat(&["--guardrail", "1abcd2ef34gh", "Tell me"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("ID:VERSION"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_options_are_validated_then_passed_through() {
    let s = Setup::start("options").await;
    let options = json!({
        "serviceTier": {"type": "priority"},
        "additionalModelResponseFieldPaths": ["/stop_sequence"],
        "requestMetadata": {"tenant": "acme"},
    });
    let out = json_of(&s.chat(&["--json", "--provider-options", &options.to_string(), "hi"]).await);
    assert_eq!(out["additionalFields"], json!({"stop_sequence": null}));
    let body = s.last_body();
    for key in ["serviceTier", "additionalModelResponseFieldPaths", "requestMetadata"] {
        assert_eq!(body[key], options[key], "{key}");
    }

    for bad in ["[1, 2]", "{not json", "\"text\""] {
        let out = s.chat(&["--provider-options", bad, "hi"]).await;
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(stderr(&out).contains("--provider-options"), "{bad}: {}", stderr(&out));
    }
    // Valid JSON with an unknown key: the component names the key.
    let out = s.chat(&["--json", "--provider-options", r#"{"topK":3}"#, "hi"]).await;
    assert_eq!(out.status.code(), Some(1));
    let e: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(e["error"]["kind"], "invalid-request");
    assert_eq!(e["error"]["field"], "providerOptions.topK");
    assert_eq!(s.emulator.requests().len(), 1, "only the valid call was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_system_prompt_cache_point() {
    let s = Setup::start("cache").await;
    let system = "You are a meticulous assistant who answers in full sentences. ".repeat(10);
    let args = ["--json", "--system", system.as_str(), "--cache-system", "hi"];
    let first = json_of(&s.chat(&args).await);
    let write = first["usage"]["cacheWriteTokens"].as_u64().unwrap();
    assert!(write > 100, "{first}");
    let second = json_of(&s.chat(&args).await);
    assert_eq!(second["usage"]["cacheReadTokens"].as_u64(), Some(write), "{second}");
    assert_eq!(
        s.last_body()["system"],
        json!([{"text": system}, {"cachePoint": {"type": "default"}}])
    );
}

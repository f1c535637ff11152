//! `bedrock-gateway chat --stream` as a user runs it: the real binary, the bundled component and
//! the local emulator. Text is printed (and flushed) as it arrives, `--json` prints one object
//! per part, and a failure mid-stream ends with the error and exit status 1.
#![allow(clippy::unwrap_used)]

use crate::common::json_lines;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bedrock_emulator::{DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY, Emulator, EmulatorConfig};
use serde_json::{Value, json};

/// What the emulator answers to "hi".
const HI_ANSWER: &str = "Hello from the Bedrock emulator. You said: hi";

/// A settings file for the emulator with `headers` added, in a directory of its own.
fn settings_file(emulator: &Emulator, name: &str, headers: Value) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("bedrock-gateway-cli-stream-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("settings.json");
    let settings = json!({
        "region": "us-east-1",
        "accessKeyId": DEMO_ACCESS_KEY_ID,
        "secretAccessKey": DEMO_SECRET_ACCESS_KEY,
        "baseUrl": emulator.base_url(),
        "languageModel": "amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "headers": headers,
    });
    std::fs::write(&path, settings.to_string()).unwrap();
    path
}

/// The binary with a shared compile cache and no AWS_* variables from the environment.
fn gateway(settings: &PathBuf, args: &[&str]) -> Command {
    let cache = std::env::temp_dir().join("bedrock-gateway-cli-test-cache");
    let mut cmd = crate::common::gateway_command();
    cmd.env_clear()
        .arg("--cache-dir")
        .arg(cache)
        .arg("--settings")
        .arg(settings)
        .args(args)
        .stdin(Stdio::null());
    cmd
}

/// Runs to completion: (exit code, stdout, stderr).
async fn run(mut cmd: Command) -> (i32, String, String) {
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Compiles the component into the cache once, so start-up time stays out of the timings.
async fn warm_cache(settings: &PathBuf) {
    let (code, _, err) = run(gateway(settings, &["schema"])).await;
    assert_eq!(code, 0, "{err}");
}

/// When stdout's first bytes and its end arrived, measured from the spawn.
struct Timed {
    first: Duration,
    first_bytes: String,
    total: Duration,
    stdout: String,
    code: i32,
}

async fn run_timed(mut cmd: Command) -> Timed {
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut all = Vec::new();
        let mut first = None;
        let mut buf = [0u8; 4096];
        loop {
            let n = stdout.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            if first.is_none() {
                first = Some((started.elapsed(), String::from_utf8_lossy(&buf[..n]).into_owned()));
            }
            all.extend_from_slice(&buf[..n]);
        }
        let total = started.elapsed();
        let code = child.wait().unwrap().code().unwrap();
        let (first, first_bytes) = first.unwrap();
        Timed { first, first_bytes, total, stdout: String::from_utf8(all).unwrap(), code }
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_stream_prints_the_first_token_before_the_stream_ends() {
    const DELAY_MS: u64 = 300;
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let settings = settings_file(
        &emulator,
        "ttft",
        json!({"x-emulator-frame-delay-ms": DELAY_MS.to_string()}),
    );
    warm_cache(&settings).await;

    let t = run_timed(gateway(&settings, &["chat", "--stream", "hi"])).await;
    eprintln!(
        "cli: first bytes {:?} after {:?}, end of output after {:?}",
        t.first_bytes, t.first, t.total
    );
    assert_eq!(t.code, 0);
    assert_eq!(t.stdout, format!("{HI_ANSWER}\n"));
    // The first write is the first delta only, not the answer.
    assert!(HI_ANSWER.starts_with(&t.first_bytes), "{:?}", t.first_bytes);
    assert!(t.first_bytes.len() < HI_ANSWER.len(), "{:?}", t.first_bytes);
    // After the first delta come at least the other deltas, contentBlockStop, messageStop and
    // metadata, each a frame delay later: a buffered CLI would print everything at the end.
    let delay = Duration::from_millis(DELAY_MS);
    assert!(t.total - t.first >= delay * 3, "first {:?}, total {:?}", t.first, t.total);
    assert!(t.first < t.total / 2, "first {:?}, total {:?}", t.first, t.total);
}

/// The `--stream --json` lines as values.

#[tokio::test(flavor = "multi_thread")]
async fn stream_json_prints_one_object_per_part() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let settings = settings_file(&emulator, "json", json!({}));
    let (code, out, err) = run(gateway(&settings, &["chat", "--stream", "--json", "hi"])).await;
    assert_eq!(code, 0, "{err}");
    let lines = json_lines(&out);
    let types: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    let n = types.len();
    assert_eq!(types[0], "start");
    assert!(n > 5 && types[1..n - 2].iter().all(|t| *t == "text-delta"), "{types:?}");
    assert_eq!(types[n - 2..], ["finish", "usage"]);

    assert_eq!(lines[0]["model"], "us.anthropic.claude-sonnet-4-5-20250929-v1:0");
    assert!(lines[0]["requestId"].is_string());
    let text: String = lines[1..n - 2].iter().map(|l| l["text"].as_str().unwrap()).collect();
    assert_eq!(text, HI_ANSWER);
    assert_eq!(lines[n - 2], json!({"type": "finish", "finishReason": "stop", "raw": "end_turn"}));
    let usage = &lines[n - 1];
    assert!(usage["inputTokens"].as_u64().unwrap() > 0);
    assert!(usage["outputTokens"].as_u64().unwrap() > 0);
    assert_eq!(
        usage["totalTokens"].as_u64().unwrap(),
        usage["inputTokens"].as_u64().unwrap() + usage["outputTokens"].as_u64().unwrap()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stream_json_ends_a_failed_stream_with_the_error_and_exit_1() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    for (fault, kind) in [
        ("stream-throttling", "throttled"),
        ("stream-model-error", "model-error"),
        ("stream-cut", "network"),
        ("stream-no-stop", "invalid-response"),
    ] {
        let settings = settings_file(&emulator, fault, json!({"x-emulator-fault": fault}));
        let (code, out, err) = run(gateway(&settings, &["chat", "--stream", "--json", "hi"])).await;
        assert_eq!(code, 1, "{fault}: {out}");
        assert!(err.is_empty(), "{fault}: {err}");
        let lines = json_lines(&out);
        let (last, parts) = lines.split_last().unwrap();
        // The text that had arrived was printed first, then the error; never a finish.
        assert_eq!(parts[0]["type"], "start", "{fault}");
        assert!(parts[1..].iter().all(|l| l["type"] == "text-delta"), "{fault}: {out}");
        assert!(parts.len() >= 3, "{fault}: no text before the error: {out}");
        assert_eq!(last["error"]["kind"], kind, "{fault}: {out}");
        assert!(last["error"]["message"].is_string(), "{fault}");
        assert!(last["error"]["solution"].is_string(), "{fault}");
        assert!(last["error"]["requestId"].is_string(), "{fault}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn stream_text_keeps_the_partial_answer_and_reports_the_error_on_stderr() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let settings =
        settings_file(&emulator, "text-fault", json!({"x-emulator-fault": "stream-unavailable"}));
    let (code, out, err) = run(gateway(&settings, &["chat", "--stream", "hi"])).await;
    assert_eq!(code, 1);
    // The partial answer, closed with a newline so the error starts on its own line.
    assert!(out.ends_with('\n'), "{out:?}");
    let partial = out.trim_end_matches('\n');
    assert!(!partial.is_empty() && HI_ANSWER.starts_with(partial), "{out:?}");
    assert!(partial.len() < HI_ANSWER.len(), "{out:?}");
    assert!(err.starts_with("error (service-unavailable): "), "{err}");
    assert!(err.contains("serviceUnavailableException"), "{err}");
}

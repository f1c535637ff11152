//! The `bedrock-gateway` binary, run with known secret values through every command and every
//! error path it can reach against the emulator, with the most verbose log (`-v`,
//! `RUST_LOG=trace`): no secret may appear on stdout or stderr.
#![allow(clippy::unwrap_used)]

use crate::common::{cache_dir, temp_dir};
use std::path::{Path, PathBuf};

use bedrock_emulator::{Credential, Emulator, EmulatorConfig, Fault};
use serde_json::{Value, json};

const ACCESS_KEY_ID: &str = "AKIASECRETSTEST00001";
const TEMPORARY_ACCESS_KEY_ID: &str = "ASIASECRETSTEST00002";
const SECRET_ACCESS_KEY: &str = "sEcReT/aCcEsS+kEy9x7Q2w4E6r8T0y1U3i5O7pZ";
const SESSION_TOKEN: &str =
    "IQoJsEsSiOnToKeNb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDvalue==";
const API_KEY: &str = "ABSKc2VjcmV0cy10ZXN0LWFwaS1rZXk6dmFsdWU5ODc2NTQzMjE=";
const HEADER_SECRET: &str = "gw-key-9f8e7d6c5b4a3210fedcba";

const SECRETS: [&str; 4] = [SECRET_ACCESS_KEY, SESSION_TOKEN, API_KEY, HEADER_SECRET];

/// Every command, with the arguments it needs.
const COMMANDS: [&[&str]; 9] = [
    &["check"],
    &["check", "--json"],
    &["chat", "hi"],
    &["chat", "--json", "hi"],
    &["chat", "--stream", "hi"],
    &["chat", "--stream", "--json", "hi"],
    &["rerank", "--query", "capital of France", "Paris", "Rome"],
    &["rerank", "--json", "--query", "capital of France", "Paris", "Rome"],
    &["schema"],
];

/// Fails if `text` contains any 12-character run of a secret.
fn assert_no_secret(what: &str, text: &str) {
    for secret in SECRETS {
        for window in secret.as_bytes().windows(12) {
            let window = std::str::from_utf8(window).unwrap();
            assert!(!text.contains(window), "{what} leaks `{window}` of a secret:\n{text}");
        }
    }
}

async fn emulator() -> Emulator {
    let config = EmulatorConfig {
        credentials: vec![
            Credential {
                access_key_id: ACCESS_KEY_ID.into(),
                secret_access_key: SECRET_ACCESS_KEY.into(),
                session_token: None,
                expires: None,
            },
            Credential {
                access_key_id: TEMPORARY_ACCESS_KEY_ID.into(),
                secret_access_key: SECRET_ACCESS_KEY.into(),
                session_token: Some(SESSION_TOKEN.into()),
                expires: None,
            },
        ],
        api_keys: vec![API_KEY.into()],
        ..EmulatorConfig::default()
    };
    Emulator::start(config).await.unwrap()
}

/// Settings for the emulator with one of the three credential kinds and the secret header.
fn settings(emulator: &Emulator, auth: &str, extra: Value) -> Value {
    let mut settings = json!({
        "region": "us-east-1",
        "baseUrl": emulator.base_url(),
        "languageModel": "amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "rerankingModel": "amazon-bedrock|cohere.rerank-v3-5:0",
        "headers": {"x-gateway-key": HEADER_SECRET},
    });
    let credentials = match auth {
        "pair" => json!({"accessKeyId": ACCESS_KEY_ID, "secretAccessKey": SECRET_ACCESS_KEY}),
        "temporary" => json!({"accessKeyId": TEMPORARY_ACCESS_KEY_ID,
            "secretAccessKey": SECRET_ACCESS_KEY, "sessionToken": SESSION_TOKEN}),
        "api-key" => json!({"apiKey": API_KEY}),
        "none" => json!({}),
        other => panic!("unknown auth {other}"),
    };
    for extra in [credentials, extra] {
        for (key, value) in extra.as_object().unwrap() {
            if key == "headers" {
                let headers = settings["headers"].as_object_mut().unwrap();
                headers.extend(value.as_object().unwrap().clone());
            } else {
                settings[key] = value.clone();
            }
        }
    }
    settings
}

/// One run of the binary: its exit code and everything it printed.
struct Run {
    label: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `bedrock-gateway -v --cache-dir .. [--settings FILE] <args>` with `RUST_LOG=trace` and
/// the given AWS environment.
fn run(label: &str, settings: Option<&Path>, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = crate::common::gateway_command();
    cmd.arg("-v").arg("--cache-dir").arg(cache_dir());
    if let Some(path) = settings {
        cmd.arg("--settings").arg(path);
    }
    cmd.args(args).env("RUST_LOG", "trace").env("NO_COLOR", "1");
    for var in [
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_BEARER_TOKEN_BEDROCK",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    let output = cmd.output().unwrap();
    Run {
        label: format!("{label}: {}", args.join(" ")),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `jobs` on four threads (each job is a separate process, mostly waiting on I/O) and
/// returns their runs in the original order.
fn run_all(jobs: Vec<Box<dyn FnOnce() -> Run + Send>>) -> Vec<Run> {
    let count = jobs.len();
    let queue = std::sync::Mutex::new(jobs.into_iter().enumerate().collect::<Vec<_>>());
    let done = std::sync::Mutex::new(Vec::with_capacity(count));
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                loop {
                    let Some((i, job)) = queue.lock().unwrap().pop() else { return };
                    let run = job();
                    done.lock().unwrap().push((i, run));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap();
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, run)| run).collect()
}

fn check_runs(runs: &[Run]) {
    // Every run that got as far as loading the component logged at debug level or finer.
    let logged = runs.iter().filter(|r| r.stderr.contains("DEBUG") || r.stderr.contains("TRACE"));
    assert!(logged.count() >= runs.len() - 2, "the log is not captured (is -v working?)");
    for run in runs {
        assert_no_secret(&format!("{} stdout", run.label), &run.stdout);
        assert_no_secret(&format!("{} stderr", run.label), &run.stderr);
    }
}

fn write(dir: &Path, name: &str, settings: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, settings.to_string()).unwrap();
    path
}

/// Compiles the component into the cache once without trace logging (the compiler's trace
/// output is enormous), so the runs below load it from the cache.
fn warm_cache() {
    let output = crate::common::gateway_command()
        .arg("--cache-dir")
        .arg(cache_dir())
        .arg("schema")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_succeeds_without_showing_a_secret() {
    let emulator = emulator().await;
    let dir = temp_dir("ok");
    let mut jobs: Vec<Box<dyn FnOnce() -> Run + Send>> = Vec::new();
    for auth in ["pair", "temporary", "api-key"] {
        let path = write(&dir, &format!("{auth}.json"), &settings(&emulator, auth, json!({})));
        for args in COMMANDS {
            let path = path.clone();
            jobs.push(Box::new(move || run(auth, Some(&path), args, &[])));
        }
    }
    // Credentials from the environment instead of the file.
    let path = write(&dir, "env.json", &settings(&emulator, "none", json!({})));
    for (label, env) in [
        (
            "env temporary",
            vec![
                ("AWS_ACCESS_KEY_ID", TEMPORARY_ACCESS_KEY_ID),
                ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
                ("AWS_SESSION_TOKEN", SESSION_TOKEN),
            ],
        ),
        ("env api key", vec![("AWS_BEARER_TOKEN_BEDROCK", API_KEY)]),
    ] {
        for args in COMMANDS {
            let (path, env) = (path.clone(), env.clone());
            jobs.push(Box::new(move || run(label, Some(&path), args, &env)));
        }
    }
    let runs = tokio::task::spawn_blocking(move || {
        warm_cache();
        run_all(jobs)
    })
    .await
    .unwrap();
    for run in &runs {
        // The calls worked, so the secrets did travel through the program.
        assert_eq!(run.code, Some(0), "{}:\n{}\n{}", run.label, run.stdout, run.stderr);
    }
    assert!(emulator.requests().iter().all(|r| r.status == 200), "{:?}", emulator.requests());
    assert!(emulator.requests().len() >= 5 * 8);
    check_runs(&runs);
    // The check report shows how it authenticated, masked.
    let check = runs.iter().find(|r| r.label == "api-key: check").unwrap();
    assert!(check.stdout.contains("ABSK"), "{}", check.stdout);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_and_error_path_fails_without_showing_a_secret() {
    let emulator = emulator().await;
    let dir = temp_dir("faults");
    let mut jobs: Vec<Box<dyn FnOnce() -> Run + Send>> = Vec::new();
    let mut expect_failure = Vec::new();
    // Each fault once, alternating text and JSON output (both printers see dozens of errors).
    for (i, fault) in Fault::ALL.iter().enumerate() {
        let extra = json!({"maxAttempts": 1, "headers": {"x-emulator-fault": fault.name()}});
        let path = write(
            &dir,
            &format!("{}.json", fault.name()),
            &settings(&emulator, "temporary", extra),
        );
        let commands: [&[&str]; 2] = if fault.is_stream() {
            [&["chat", "--stream", "hi"], &["chat", "--stream", "--json", "hi"]]
        } else if fault.name().contains("rerank") {
            [&["rerank", "--query", "q", "doc"], &["rerank", "--json", "--query", "q", "doc"]]
        } else {
            [&["chat", "hi"], &["chat", "--json", "hi"]]
        };
        let args = commands[i % 2];
        let label = format!("fault {}", fault.name());
        expect_failure.push(label.clone());
        jobs.push(Box::new(move || run(&label, Some(&path), args, &[])));
    }
    // Connections to it wait in the backlog: connected, never answered.
    let black_hole_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let black_hole = black_hole_listener.local_addr().unwrap();
    // Wrong credentials: a wrong secret with a session token (AWS quotes the canonical request,
    // which lists the token), a token that does not belong to the key, an unknown API key.
    let wrong = [
        (
            "wrong secret",
            "temporary",
            json!({"secretAccessKey": "wrong/aCcEsS+kEy9x7Q2w4E6r8T0y1U3i5O7pZ"}),
        ),
        ("wrong token", "temporary", json!({"sessionToken": "bm90LXRoZS1yaWdodC10b2tlbg=="})),
        ("wrong api key", "api-key", json!({"apiKey": "ABSKd3JvbmcteGV5LWZvci10aGlzLXRlc3Q="})),
        // Invalid settings that carry a secret.
        (
            "secret with a space",
            "pair",
            json!({"secretAccessKey": format!("{SECRET_ACCESS_KEY} ")}),
        ),
        (
            "token with a line break",
            "temporary",
            json!({"sessionToken": format!("{SESSION_TOKEN}\n")}),
        ),
        ("secret as key id", "pair", json!({"accessKeyId": SECRET_ACCESS_KEY})),
        ("misspelt key", "api-key", json!({"apikey": API_KEY})),
        ("key and pair", "api-key", json!({"secretAccessKey": SECRET_ACCESS_KEY})),
        (
            "header line break",
            "pair",
            json!({"headers": {"x-gateway-key": format!("{HEADER_SECRET}\r\n")}}),
        ),
        (
            "base url user info",
            "pair",
            json!({"baseUrl": format!("https://u:{SECRET_ACCESS_KEY}@gw.example.com")}),
        ),
        (
            "base url query",
            "pair",
            json!({"baseUrl": format!("https://gw.example.com/?k={API_KEY}")}),
        ),
        // Nothing listening at the base URL.
        ("refused", "temporary", json!({"baseUrl": "http://127.0.0.1:9", "maxAttempts": 1})),
        // A server that never answers: the whole call times out.
        (
            "timeout",
            "temporary",
            json!({"baseUrl": format!("http://{black_hole}"),
            "timeouts": {"totalMs": 300}}),
        ),
    ];
    for (label, auth, extra) in wrong {
        let path = write(&dir, &format!("{label}.json"), &settings(&emulator, auth, extra));
        // Every command (schema needs no settings) for the paths that reach the network; a
        // settings error is the same for every command, so text and JSON output suffice.
        let all = ["wrong secret", "refused", "timeout"].contains(&label);
        let commands = if all { &COMMANDS[..8] } else { &COMMANDS[2..4] };
        for args in commands {
            let path = path.clone();
            expect_failure.push(label.to_string());
            jobs.push(Box::new(move || run(label, Some(&path), args, &[])));
        }
    }
    // A settings file that is not JSON, cut inside a secret.
    let broken = dir.join("broken.json");
    std::fs::write(&broken, format!("{{\"apiKey\": \"{API_KEY}")).unwrap();
    for args in [&["chat", "hi"][..], &["chat", "--json", "hi"]] {
        let broken = broken.clone();
        expect_failure.push("broken file".into());
        jobs.push(Box::new(move || run("broken file", Some(&broken), args, &[])));
    }
    let runs = tokio::task::spawn_blocking(move || {
        warm_cache();
        run_all(jobs)
    })
    .await
    .unwrap();
    assert_eq!(runs.len(), expect_failure.len());
    for run in &runs {
        assert!(
            matches!(run.code, Some(1 | 2)),
            "{} did not fail:\n{}\n{}",
            run.label,
            run.stdout,
            run.stderr
        );
        // `check` reports an upstream failure in its rows (exit 1), not as an error.
        let failed_check =
            run.stdout.contains("Result: FAILED") || run.stdout.contains("\"ok\":false");
        assert!(
            run.stdout.contains("\"error\"") || run.stderr.contains("error (") || failed_check,
            "{}: no error printed:\n{}\n{}",
            run.label,
            run.stdout,
            run.stderr
        );
    }
    check_runs(&runs);
    let _ = std::fs::remove_dir_all(&dir);
}

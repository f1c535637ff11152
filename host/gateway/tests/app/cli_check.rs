//! `bedrock-gateway check` through the real binary and component against the emulator: the
//! table, `--json`, and the exit status (0 only when no row of any configured model failed;
//! unknown rows do not fail).
#![allow(clippy::unwrap_used)]

use std::ffi::OsStr;
use std::sync::atomic::{AtomicUsize, Ordering};

use bedrock_emulator::{DEMO_SECRET_ACCESS_KEY, Emulator, EmulatorConfig};
use serde_json::{Value, json};

use crate::common::{emulator_settings_file, run_gateway};

/// An emulator, and a name for the settings files that point at it.
struct Setup {
    emulator: Emulator,
    name: &'static str,
    runs: AtomicUsize,
}

/// What one run of the binary left: exit code, stdout, stderr.
struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Setup {
    async fn start(name: &'static str) -> Setup {
        let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
        Setup { emulator, name, runs: AtomicUsize::new(0) }
    }

    /// Runs `bedrock-gateway --settings <file> check <args>` with the default settings merged
    /// with `extra` (a `null` unsets a key), off the runtime's threads so the emulator serves.
    async fn check(&self, extra: Value, args: &[&str]) -> Output {
        let run = self.runs.fetch_add(1, Ordering::Relaxed);
        let file =
            emulator_settings_file(&self.emulator, &format!("check-{}-{run}", self.name), extra);
        let mut argv: Vec<std::ffi::OsString> =
            vec!["--settings".into(), file.into_os_string(), "check".into()];
        argv.extend(args.iter().map(|a| a.into()));
        let (code, stdout, stderr) = tokio::task::spawn_blocking(move || {
            let argv: Vec<&OsStr> = argv.iter().map(|a| a.as_os_str()).collect();
            run_gateway(&argv)
        })
        .await
        .unwrap();
        Output { code, stdout, stderr }
    }
}

fn json_of(o: &Output) -> Value {
    serde_json::from_str(o.stdout.trim()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_configuration_passes_and_exits_0() {
    let s = Setup::start("healthy").await;
    let out = s.check(json!({}), &[]).await;
    let text = &out.stdout;
    assert_eq!(out.code, 0, "{text}\n{}", out.stderr);
    for expected in [
        "Bedrock setup check in us-east-1 (SigV4, access key AKID…MPLE, no session token)",
        "language model  us.anthropic.claude-sonnet-4-5-20250929-v1:0  (languageModel)",
        "re-ranking model  cohere.rerank-v3-5:0  (rerankingModel)",
        "  on-demand    passed    GetInferenceProfile:",
        "  live-call    passed    Converse answered",
        "Result: passed: no requirement failed for the 2 configured model(s).",
        "settings (secrets masked):",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(!text.contains(DEMO_SECRET_ACCESS_KEY));

    let out = s.check(json!({}), &["--json"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = json_of(&out);
    assert_eq!(v["ok"], true);
    let models = v["report"]["models"].as_array().unwrap();
    assert_eq!(models.len(), 2);
    for m in models {
        assert_eq!(m["ok"], true);
        let rows: Vec<(&str, &str)> = m["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["requirement"].as_str().unwrap(), r["status"].as_str().unwrap()))
            .collect();
        assert_eq!(
            rows,
            [
                ("on-demand", "passed"),
                ("region", "passed"),
                ("access", "passed"),
                ("lifecycle", "passed"),
                ("live-call", "passed")
            ]
        );
        assert!(m["rows"][4]["latencyMs"].is_u64());
    }
    assert_eq!(v["report"]["controlPlaneEndpoint"], s.emulator.base_url());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_row_prints_its_fix_and_exits_1() {
    let s = Setup::start("failed").await;
    let bare = json!({
        "languageModel": "amazon-bedrock|anthropic.claude-sonnet-4-5-20250929-v1:0",
        "rerankingModel": null,
    });
    let out = s.check(bare.clone(), &[]).await;
    let text = &out.stdout;
    assert_eq!(out.code, 1, "{text}");
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert!(text.contains("  on-demand    FAILED    GetFoundationModel:"), "{text}");
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(
            "fix: Use the inference profile `us.anthropic.claude-sonnet-4-5-20250929-v1:0`"
        ),
        "{text}"
    );
    assert!(
        flat.contains("Result: FAILED: 2 row(s) failed for 1 of 1 configured model(s)."),
        "{text}"
    );
    // Lines are wrapped for a person (100 columns without COLUMNS), words kept whole.
    assert!(text.lines().all(|l| l.chars().count() <= 100 || !l.trim().contains(' ')), "{text}");

    let out = s.check(bare, &["--json"]).await;
    assert_eq!(out.code, 1);
    let v = json_of(&out);
    assert_eq!(v["ok"], false);
    let on_demand = &v["report"]["models"][0]["rows"][0];
    assert_eq!(on_demand["status"], "failed");
    assert!(
        on_demand["fix"]
            .as_str()
            .unwrap()
            .contains("amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    );
    assert!(on_demand["requestId"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_rows_do_not_fail_the_check() {
    let s = Setup::start("unknown").await;
    let denied = json!({
        "rerankingModel": null,
        "headers": {"x-emulator-scenario": "control-plane-access-denied"},
    });
    let out = s.check(denied, &["--json"]).await;
    assert_eq!(out.code, 0, "{}", out.stdout);
    let v = json_of(&out);
    assert_eq!(v["ok"], true);
    let rows = v["report"]["models"][0]["rows"].as_array().unwrap();
    assert!(rows[..4].iter().all(|r| r["status"] == "unknown"), "{rows:?}");
    assert!(rows[0]["fix"].as_str().unwrap().contains("bedrock:"), "{rows:?}");
    assert_eq!(rows[4]["status"], "passed");
}

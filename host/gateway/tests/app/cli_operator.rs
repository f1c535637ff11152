//! The operator's outbound rules on the command line: `--no-base-urls`, `--extra-origin` and
//! `--manifest` narrow, widen or replace what the component's manifest allows.

use std::ffi::OsStr;

use bedrock_emulator::{Emulator, EmulatorConfig};
use serde_json::{Value, json};

use crate::common::{emulator_settings_file, run_gateway, temp_dir};

fn chat(settings: &std::path::Path, flags: &[&str]) -> (i32, Value) {
    let mut args: Vec<&OsStr> = flags.iter().map(OsStr::new).collect();
    args.extend([OsStr::new("--settings"), settings.as_os_str()]);
    args.extend(["chat", "--json", "hi"].map(OsStr::new));
    let (code, out, err) = run_gateway(&args);
    let value = serde_json::from_str(&out).unwrap_or_else(|_| json!({"stderr": err}));
    (code, value)
}

#[tokio::test(flavor = "multi_thread")]
async fn base_urls_can_be_refused_and_the_manifest_replaced() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let settings = emulator_settings_file(&emulator, "operator", json!({"maxAttempts": 1}));

    let (code, answer) = chat(&settings, &[]);
    assert_eq!(code, 0, "{answer}");

    let (code, answer) = chat(&settings, &["--no-base-urls"]);
    assert_eq!(code, 1, "{answer}");
    assert_eq!(answer["error"]["kind"], "denied-by-host", "{answer}");

    // A reviewed manifest that allows only the region's endpoints, not base URLs.
    let mut manifest: Value =
        serde_json::from_str(include_str!("../../../../guest/manifest.json")).unwrap();
    manifest["outbound"]["originSettings"] = json!([]);
    let path = temp_dir("operator").join("manifest.json");
    std::fs::write(&path, manifest.to_string()).unwrap();
    let flag = format!("--manifest={}", path.display());
    let (code, answer) = chat(&settings, &[&flag]);
    assert_eq!(answer["error"]["kind"], "denied-by-host", "{answer}");
    assert_eq!(code, 1);

    // ... and an extra origin opens the emulator again.
    let origin = format!("--extra-origin={}", emulator.base_url());
    let (code, answer) = chat(&settings, &[&flag, &origin]);
    assert_eq!(code, 0, "{answer}");

    // A broken manifest is a usage error that names the problem.
    std::fs::write(&path, r#"{"manifestVersion": 9}"#).unwrap();
    let (code, answer) = chat(&settings, &[&flag]);
    assert_eq!(code, 2, "{answer}");
    assert!(answer.to_string().contains("manifest"), "{answer}");
}

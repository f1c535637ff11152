//! `serve` under steady load while its temporary credentials rotate: the container endpoint
//! hands out keys that live 3 to 6 seconds (a new generation every 3 s), the emulator refuses
//! each one once it expired (`ExpiredTokenException`), and for 30 seconds (about ten generations,
//! each of which expires during the run) every request must succeed, with no reload.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bedrock_emulator::{Emulator, EmulatorConfig};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use crate::aws_fakes::{FakeAws, Schedule};
use crate::common::{cache_dir, temp_dir};

const LOAD: Duration = Duration::from_secs(30);
const PERIOD: Duration = Duration::from_secs(3);
const WORKERS: usize = 6;

struct Gateway {
    child: Child,
    addr: String,
    log: std::sync::mpsc::Receiver<String>,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(settings: &std::path::Path, home: &std::path::Path, env: &[(&str, String)]) -> Gateway {
    let mut child = crate::common::gateway_command()
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .arg("-v")
        .arg("--cache-dir")
        .arg(cache_dir())
        .arg("--settings")
        .arg(settings)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("bedrock-gateway listening on ").unwrap_or_else(|| {
        let _ = child.kill();
        let mut err = String::new();
        let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err);
        panic!("unexpected first line {line:?}; stderr: {err}");
    });
    let addr = addr.to_string();
    let (tx, log) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    Gateway { child, addr, log }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_keeps_answering_while_its_credentials_rotate() {
    let generations = (LOAD.as_secs() / PERIOD.as_secs()) as usize + 4;
    let schedule = Arc::new(Schedule::new("ROTATE", generations, PERIOD));
    let emulator = Emulator::start(EmulatorConfig {
        credentials: schedule.credentials(),
        api_keys: vec![],
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let container = FakeAws::start(schedule.clone(), &[], None).await;
    let home = temp_dir("rotation");
    let settings = home.join("settings.json");
    std::fs::write(
        &settings,
        json!({"region": "us-east-1", "baseUrl": emulator.base_url(), "maxAttempts": 1,
               "languageModel": "amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0"})
        .to_string(),
    )
    .unwrap();
    let full_uri = format!("{}/container", container.url());
    let gateway = tokio::task::spawn_blocking(move || {
        spawn(&settings, &home, &[("AWS_CONTAINER_CREDENTIALS_FULL_URI", full_uri)])
    })
    .await
    .unwrap();

    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let url = format!("{}/v1/chat/completions", gateway.addr);
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let (client, url) = (client.clone(), url.clone());
        workers.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            let mut sent = 0;
            while started.elapsed() < LOAD {
                let prompt = format!("worker {w} request {sent}");
                let body = json!({"messages": [{"role": "user", "content": prompt}]});
                let request = hyper::Request::post(&url)
                    .header("content-type", "application/json")
                    .body(Full::new(Bytes::from(body.to_string())))
                    .unwrap();
                let response = client.request(request).await.unwrap();
                let status = response.status().as_u16();
                let bytes = response.into_body().collect().await.unwrap().to_bytes();
                let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                let want = format!("Hello from the Bedrock emulator. You said: {prompt}");
                if status != 200 || answer["choices"][0]["message"]["content"] != want.as_str() {
                    failures.push(format!("{status} {}", String::from_utf8_lossy(&bytes)));
                }
                sent += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (sent, failures)
        }));
    }
    let mut sent = 0;
    let mut failures = Vec::new();
    for worker in workers {
        let (n, f) = worker.await.unwrap();
        sent += n;
        failures.extend(f);
    }
    assert!(
        failures.is_empty(),
        "{} of {sent} requests failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    assert!(sent >= 100, "only {sent} requests in {LOAD:?}");

    // Every call reached the emulator with a valid signature and keys that had not expired
    // (the emulator answers ExpiredTokenException otherwise), and the keys did rotate.
    let requests = emulator.requests();
    assert_eq!(requests.len(), sent);
    let mut generations_used = BTreeSet::new();
    for r in &requests {
        assert_eq!((r.status, r.signature_valid), (200, Some(true)), "{r:?}");
        let authorization = r.header("authorization").unwrap();
        let key = authorization.split("Credential=").nth(1).unwrap().split('/').next().unwrap();
        generations_used.insert(schedule.generation(key).unwrap());
    }
    assert!(generations_used.len() >= 3, "keys used: {generations_used:?}");
    // One fetch per rotation or so, never one per request.
    let fetches = container.seen().len();
    assert!(fetches < sent / 4, "{fetches} fetches for {sent} requests");

    let log: Vec<String> = gateway.log.try_iter().collect();
    assert!(log.iter().any(|l| l.contains("resolved AWS credentials")), "{log:?}");
    let text = log.join("\n");
    for secret in schedule.secrets() {
        for window in secret.as_bytes().windows(12) {
            let window = std::str::from_utf8(window).unwrap();
            assert!(!text.contains(window), "the log shows `{window}` of a secret");
        }
    }
}

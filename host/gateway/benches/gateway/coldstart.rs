//! Cold start: a fresh `bedrock-gateway chat` process answering one request from a canned
//! upstream on loopback, with the compiled component in the cache; and compiling from scratch.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bedrock_gateway::HostConfig;
use bedrock_gateway::engine::{self, PoolLimits};
use gateway_bench::{CannedUpstream, summarize};

use crate::fixtures::{self, FIXTURE_TEXT};
use crate::harness::{Mode, header, row, time, verdict};

/// The gateway binary cargo built for this benchmark (release under `cargo bench`).
const GATEWAY: &str = env!("CARGO_BIN_EXE_bedrock-gateway");

/// Times from spawn to the first byte of the answer, and to exit.
struct Run {
    answered: Duration,
    exited: Duration,
}

fn chat(settings: &Path, cache_dir: &Path) -> Run {
    let started = Instant::now();
    let mut command = Command::new(GATEWAY);
    if let Some(path) = fixtures::component_override() {
        command.arg("--component").arg(path);
    }
    let mut child = command
        .arg("--settings")
        .arg(settings)
        .arg("--cache-dir")
        .arg(cache_dir)
        .args(["chat", "How many r's are in strawberry?"])
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the gateway binary starts");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut first = [0u8; 1];
    let n = stdout.read(&mut first).expect("stdout readable");
    let answered = started.elapsed();
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).expect("stdout readable");
    let status = child.wait().expect("the gateway exits");
    let exited = started.elapsed();
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    let mut output = first[..n].to_vec();
    output.extend(rest);
    assert!(status.success(), "gateway failed ({status}): {stderr}");
    assert_eq!(String::from_utf8_lossy(&output), format!("{FIXTURE_TEXT}\n"), "{stderr}");
    Run { answered, exited }
}

/// Runs the cold-start section.
pub fn run(mode: &Mode, tmp: &Path) {
    let upstream = CannedUpstream::start(1).expect("the canned upstream starts");
    let settings = tmp.join("coldstart-settings.json");
    fixtures::write_settings(&settings, &upstream.base_url());
    let cache_dir = tmp.join("coldstart-cache");
    // A real run starts from an empty cache, so its first run shows the compile-and-store
    // path; a smoke run keeps the cache so `cargo test` does not compile every time.
    let first = mode.full.then(|| {
        let _ = std::fs::remove_dir_all(&cache_dir);
        chat(&settings, &cache_dir)
    });
    if first.is_none() {
        chat(&settings, &cache_dir);
    }
    let rounds = mode.rounds(21);
    let runs: Vec<Run> = (0..rounds).map(|_| chat(&settings, &cache_dir)).collect();
    let answered: Vec<f64> = runs.iter().map(|r| r.answered.as_secs_f64()).collect();
    let exited: Vec<f64> = runs.iter().map(|r| r.exited.as_secs_f64()).collect();
    let answered = summarize(&answered).expect("runs");

    // In-process: compile from scratch, and load from the cache.
    let limits = PoolLimits {
        max_instances: HostConfig::default().max_concurrent_calls,
        memory_limit_bytes: HostConfig::default().memory_limit_bytes,
    };
    let engine = engine::new_engine(limits).expect("an engine");
    let compiles: Vec<f64> = (0..mode.rounds(3))
        .map(|_| {
            let started = Instant::now();
            wasmtime::component::Component::new(&engine, fixtures::component())
                .expect("the component compiles");
            started.elapsed().as_secs_f64()
        })
        .collect();
    let warm = tmp.join("coldstart-load-cache");
    engine::load_component(&engine, fixtures::component(), &warm).expect("compiled and cached");
    let loads: Vec<f64> = (0..mode.rounds(21))
        .map(|_| {
            let started = Instant::now();
            let (_, outcome) =
                engine::load_component(&engine, fixtures::component(), &warm).expect("loaded");
            assert_eq!(outcome, engine::CacheOutcome::Hit);
            started.elapsed().as_secs_f64()
        })
        .collect();

    header("Cold start (`bedrock-gateway chat`, canned upstream on loopback)", rounds);
    row(
        "process start -> answer printed, cached component",
        &answered,
        time,
        &verdict(answered.median <= 0.020, "<= 20 ms"),
    );
    row("process start -> exit, cached component", &summarize(&exited).expect("runs"), time, "");
    if let Some(first) = first {
        let once = summarize(&[first.answered.as_secs_f64()]).expect("one value");
        row("first run: start -> answer, empty cache (compiles, stores)", &once, time, "1 run");
    }
    row(
        "`Component::new` (compile from scratch, in process)",
        &summarize(&compiles).expect("runs"),
        time,
        &format!("{} runs", compiles.len()),
    );
    row(
        "load from the cache (hash + `deserialize_file`, in process)",
        &summarize(&loads).expect("runs"),
        time,
        "",
    );
    drop(upstream);
}

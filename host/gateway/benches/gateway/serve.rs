//! `serve` under load: the gateway binary (release under `cargo bench`) in front of the canned
//! upstream, measured in the same interleaved runs as the direct-to-upstream floor.
//!
//! The gateway runs as its own process so that [`ProcessProbe`] charges it only with its own
//! CPU: the load generator runs in this process and the canned upstream on threads of this
//! process, so neither counts.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gateway_bench::{
    CannedUpstream, LoadConfig, LoadReport, LoadSummary, LoadTarget, ProcessProbe, Summary,
    compare, summarize,
};

use crate::fixtures::{self, FIXTURE_TEXT};
use crate::harness::{Mode, header, row, time, verdict};

/// The gateway binary cargo built for this benchmark.
const GATEWAY: &str = env!("CARGO_BIN_EXE_bedrock-gateway");
/// The Converse request the floor target sends: what the gateway sends for [`CHAT_BODY`].
const CONVERSE_BODY: &str = r#"{"messages":[{"role":"user","content":[{"text":"How many r's are in strawberry?"}]}],"inferenceConfig":{"maxTokens":512}}"#;
/// The OpenAI-style request the gateway target sends.
const CHAT_BODY: &str = r#"{"model":"amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0","messages":[{"role":"user","content":"How many r's are in strawberry?"}],"max_tokens":512}"#;
/// Concurrency of the throughput target; the latency target is at concurrency 1.
const CONCURRENCY: usize = 32;

/// A running `bedrock-gateway serve`, killed when dropped.
struct Gateway {
    child: Child,
    addr: SocketAddr,
}

impl Gateway {
    fn start(settings: &Path, cache_dir: &Path, mode: &GatewayMode) -> Self {
        let addr = free_port();
        let mut command = Command::new(GATEWAY);
        if let Some(path) = mode.component.clone().or_else(fixtures::component_override) {
            command.arg("--component").arg(path);
        }
        let child = command
            .arg("--settings")
            .arg(settings)
            .arg("--cache-dir")
            .arg(cache_dir)
            .args(["serve", "--listen", &addr.to_string()])
            .args(["--max-concurrency", "64"])
            .args(&mode.flags)
            .env_clear()
            // The one knob passed through: the gateway's worker threads (tokio's own variable),
            // for comparing runtimes; unset means one per CPU, as in production.
            .envs(std::env::var("TOKIO_WORKER_THREADS").map(|v| ("TOKIO_WORKER_THREADS", v)))
            .envs(mode.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            // The access log (one line per request) is written as in production, then dropped.
            .stderr(Stdio::null())
            .spawn()
            .expect("the gateway binary starts");
        let gateway = Gateway { child, addr };
        gateway.wait_ready(Duration::from_secs(60));
        gateway
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn uri(&self, path: &str) -> http::Uri {
        format!("http://{}{path}", self.addr).parse().expect("a URI")
    }

    /// Polls `/readyz` (which opens a client with the settings in a sandbox) until it answers.
    fn wait_ready(&self, limit: Duration) {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Ok((200, _)) = http_request(self.addr, "GET", "/readyz", "") {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the gateway was not ready within {limit:?}");
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback port (bound, read, released: the gateway binds it a moment later).
fn free_port() -> SocketAddr {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
}

/// One HTTP/1.1 request on a fresh connection: (status, body). For set-up and checks only;
/// the measurements use the load generator.
fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> std::io::Result<(u16, String)> {
    let mut tcp = TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        tcp,
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    tcp.read_to_string(&mut response)?;
    let status = response.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string();
    Ok((status, body))
}

/// How one measured gateway runs.
struct GatewayMode {
    /// The label of its rows.
    name: String,
    /// `serve` flags.
    flags: Vec<String>,
    /// Extra environment variables.
    env: Vec<(String, String)>,
    /// Another build of the component (`--component`).
    component: Option<std::path::PathBuf>,
}

/// The gateway's two modes, measured side by side, and optionally a third for trying a lever
/// against them in the same run: the reuse mode with `BENCH_SERVE_VARIANT_FLAGS` (`serve`
/// flags, space-separated) and/or `BENCH_SERVE_VARIANT_ENV` (`K=V,K=V`) added, and/or
/// `BENCH_SERVE_VARIANT_COMPONENT` as its component.
fn modes() -> Vec<GatewayMode> {
    let mode = |name: &str, flags: &[&str]| GatewayMode {
        name: name.to_string(),
        flags: flags.iter().map(|f| f.to_string()).collect(),
        env: Vec::new(),
        component: None,
    };
    let mut modes = vec![
        mode("per-call", &["--reuse-instances", "1"]),
        mode("reuse", &["--reuse-instances", "1000"]),
    ];
    let env: Vec<(String, String)> = std::env::var("BENCH_SERVE_VARIANT_ENV")
        .unwrap_or_default()
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let component = std::env::var_os("BENCH_SERVE_VARIANT_COMPONENT").map(Into::into);
    let flags = std::env::var("BENCH_SERVE_VARIANT_FLAGS").unwrap_or_default();
    if !env.is_empty() || component.is_some() || !flags.is_empty() {
        let mut variant = mode("reuse+variant", &["--reuse-instances", "1000"]);
        variant.flags.extend(flags.split_whitespace().map(str::to_string));
        variant.env = env;
        variant.component = component;
        modes.push(variant);
    }
    modes
}

/// Starts a gateway in `mode` and checks its answer; returns it with its idle RSS.
fn start_checked(settings: &Path, cache_dir: &Path, mode: &GatewayMode) -> (Gateway, u64) {
    let gateway = Gateway::start(settings, cache_dir, mode);
    // The answer through the gateway is the upstream's fixture, mapped to OpenAI's shape.
    let (status, body) =
        http_request(gateway.addr, "POST", "/v1/chat/completions", CHAT_BODY).expect("a reply");
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(answer["choices"][0]["message"]["content"], FIXTURE_TEXT, "{body}");
    // Settle after the first call (lazy allocations, the pool's first slots), then read idle.
    std::thread::sleep(Duration::from_millis(200));
    let idle_rss =
        ProcessProbe::new(gateway.pid()).sample().expect("the gateway's /proc").rss_bytes;
    (gateway, idle_rss)
}

/// Runs the section: the floor and the gateway in both modes at concurrency 1 and 32,
/// interleaved round by round.
pub fn run(mode: &Mode, tmp: &Path) {
    let upstream = CannedUpstream::start(1).expect("the canned upstream starts");
    let settings = tmp.join("serve-settings.json");
    fixtures::write_settings(&settings, &upstream.base_url());
    // A first start compiles the component into the cache (the cold-start section's business);
    // the measured gateways start from the cache, as a restarted production gateway does, so
    // their RSS does not include the compiler's memory.
    let cache_dir = tmp.join("serve-cache");
    let modes = modes();
    for mode in &modes {
        // Each component build once, into the cache.
        drop(Gateway::start(&settings, &cache_dir, mode));
    }
    let gateways: Vec<(Gateway, u64)> =
        modes.iter().map(|mode| start_checked(&settings, &cache_dir, mode)).collect();

    let direct_uri = format!(
        "{}/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse",
        upstream.base_url()
    );
    let mut targets =
        vec![LoadTarget::post_json("direct", direct_uri.parse().expect("a URI"), CONVERSE_BODY)];
    for (mode, (gateway, _)) in modes.iter().zip(&gateways) {
        let mut target =
            LoadTarget::post_json(&mode.name, gateway.uri("/v1/chat/completions"), CHAT_BODY);
        target.process = Some(gateway.pid());
        targets.push(target);
    }

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for the load generator");
    let rounds = mode.rounds(5);
    let (warmup, duration) = if mode.full {
        (Duration::from_millis(300), Duration::from_secs(2))
    } else {
        // Long enough that a busy CI machine still completes requests in every round.
        (Duration::from_millis(50), Duration::from_millis(400))
    };
    let load = |concurrency| {
        let config = LoadConfig { concurrency, warmup, duration };
        let reports = runtime.block_on(compare(&targets, &config, rounds));
        for (target, runs) in targets.iter().zip(&reports) {
            let errors: u64 = runs.iter().map(|r| r.errors).sum();
            let first = runs.iter().find_map(|r| r.first_error.clone());
            assert_eq!(errors, 0, "{} at c={concurrency}: {first:?}", target.name);
        }
        reports
    };
    let c1 = load(1);
    let c32 = load(CONCURRENCY);

    header(
        "`serve` vs the network floor (load generator -> [gateway ->] canned upstream, loopback)",
        rounds,
    );
    print_floor(&c1[0], 1);
    print_floor(&c32[0], CONCURRENCY);
    let mut cpu32_by_mode = Vec::new();
    for (i, (gateway_mode, (_, idle_rss))) in modes.iter().zip(&gateways).enumerate() {
        let name = &gateway_mode.name;
        let (g1, g32) = (&c1[i + 1], &c32[i + 1]);
        let s1 = LoadSummary::of(g1).expect("runs");
        let s32 = LoadSummary::of(g32).expect("runs");
        row(&format!("{name}, c=1: requests/s"), &s1.requests_per_sec, |x| format!("{x:.0}"), "");
        row(&format!("{name}, c=1: p50 latency"), &s1.p50, time, "");
        row(&format!("{name}, c=1: p99 latency"), &s1.p99, time, "");
        let p50_gap = paired(g1, &c1[0], |g, d| g.p50.as_secs_f64() - d.p50.as_secs_f64());
        row(
            &format!("{name}, c=1: p50 latency - direct"),
            &p50_gap,
            time,
            &verdict(p50_gap.median <= 0.000_15, "<= 0.15 ms"),
        );
        row(
            &format!("{name}, c=32: requests/s"),
            &s32.requests_per_sec,
            |x| format!("{x:.0}"),
            &verdict(s32.requests_per_sec.median >= 10_000.0, ">= 10,000"),
        );
        row(&format!("{name}, c=32: p50 latency"), &s32.p50, time, "");
        row(&format!("{name}, c=32: p99 latency"), &s32.p99, time, "");
        let share = paired(g32, &c32[0], |g, d| g.requests_per_sec / d.requests_per_sec);
        row(&format!("{name}, c=32: requests/s / direct"), &share, |x| format!("{x:.3}"), "");
        let (Some(cpu1), Some(cpu32)) = (s1.cpu_per_request, s32.cpu_per_request) else {
            // Only the smoke run's short window can end without one complete request (a loaded
            // machine); a measured run always has them.
            assert!(!mode.full, "a measured round completed no request");
            println!("(smoke: a round completed no request; CPU figures skipped)");
            continue;
        };
        row(&format!("{name}, c=1: gateway CPU per request"), &cpu1, time, "");
        row(
            &format!("{name}, c=32: gateway CPU per request"),
            &cpu32,
            time,
            &verdict(cpu32.median <= 0.000_15, "<= 0.15 ms"),
        );
        let mib = |b: f64| format!("{:.1} MiB", b / 1_048_576.0);
        let idle = summarize(&[*idle_rss as f64]).expect("one value");
        row(&format!("{name}: gateway RSS idle (after one request)"), &idle, mib, "1 reading");
        row(
            &format!("{name}: gateway RSS at c=32 (end of each run)"),
            &s32.rss_bytes.expect("RSS"),
            mib,
            "",
        );
        cpu32_by_mode.push(g32);
    }
    if let [per_call, reuse, ..] = cpu32_by_mode.as_slice() {
        let ratios: Vec<f64> = reuse
            .iter()
            .zip(per_call.iter())
            .filter_map(|(r, p)| {
                let (r, p) = (r.cpu_per_request()?, p.cpu_per_request()?);
                (!p.is_zero()).then(|| r.as_secs_f64() / p.as_secs_f64())
            })
            .collect();
        if let Some(ratio) = summarize(&ratios) {
            row("c=32: CPU per request, reuse / per-call", &ratio, |x| format!("{x:.3}"), "");
        }
    }
    if let [_, reuse, variant] = cpu32_by_mode.as_slice() {
        let ratios: Vec<f64> = variant
            .iter()
            .zip(reuse.iter())
            .filter_map(|(v, r)| {
                let (v, r) = (v.cpu_per_request()?, r.cpu_per_request()?);
                (!r.is_zero()).then(|| v.as_secs_f64() / r.as_secs_f64())
            })
            .collect();
        if let Some(ratio) = summarize(&ratios) {
            row("c=32: CPU per request, variant / reuse", &ratio, |x| format!("{x:.3}"), "");
        }
        let rps = paired(variant, reuse, |v, r| v.requests_per_sec / r.requests_per_sec);
        row("c=32: requests/s, variant / reuse", &rps, |x| format!("{x:.3}"), "");
    }
    drop(gateways);
    drop(upstream);
}

/// req/s, p50 and p99 of the floor at one concurrency.
fn print_floor(direct: &[LoadReport], c: usize) {
    let s = LoadSummary::of(direct).expect("runs");
    row(&format!("direct, c={c}: requests/s"), &s.requests_per_sec, |x| format!("{x:.0}"), "");
    row(&format!("direct, c={c}: p50 latency"), &s.p50, time, "");
    row(&format!("direct, c={c}: p99 latency"), &s.p99, time, "");
}

/// `f(a, b)` for the runs of the same round, summarised.
fn paired(
    a: &[LoadReport],
    b: &[LoadReport],
    f: impl Fn(&LoadReport, &LoadReport) -> f64,
) -> Summary {
    let values: Vec<f64> = a.iter().zip(b).map(|(x, y)| f(x, y)).collect();
    summarize(&values).expect("runs")
}

//! In-process figures: the provider's stages natively, and one call through the component
//! against the same Rust code called natively, the network replaced by memory in both.

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use bedrock_gateway::types as wit;
use bedrock_gateway::{Host, HostConfig, InstanceReuse};
use bedrock_provider::api;
use bedrock_provider::auth;
use bedrock_provider::client::Client;
use bedrock_provider::converse;
use bedrock_provider::settings::Settings;
use bedrock_provider::transport::mock::{Canned, MockTransport};
use bedrock_provider::transport::{HttpRequest, Scheme};
use gateway_bench::CONVERSE_TEXT_FIXTURE;
use gateway_bench::{Summary, summarize};

use crate::fixtures::{self, MODEL_ID, REJECTED_MODEL, REQUEST_ID, SETTINGS, SETTINGS_API_KEY};
use crate::harness::{Case, Mode, header, measure, row, time, verdict};

/// Frames in the recorded-style throughput stream.
const STREAM_DELTAS: usize = 5000;
/// Text per delta in the recorded-style stream (a few tokens).
const STREAM_TEXT: usize = 12;
/// Frames and text per delta in the large-frame stream.
const LARGE_DELTAS: usize = 250;
const LARGE_TEXT: usize = 4000;
/// The chunk size the component reads the body in (`transport::wasi::READ_CHUNK`).
const CHUNK: usize = 64 * 1024;

fn host(cache_dir: &std::path::Path, stream: Vec<u8>) -> Host {
    host_with(cache_dir, stream, None)
}

/// A host whose calls with the same settings may reuse an instance.
fn reusing_host(cache_dir: &std::path::Path) -> Host {
    host_with(cache_dir, Vec::new(), Some(InstanceReuse::default()))
}

fn host_with(cache_dir: &std::path::Path, stream: Vec<u8>, reuse: Option<InstanceReuse>) -> Host {
    let config = HostConfig {
        cache_dir: Some(cache_dir.to_path_buf()),
        max_concurrent_calls: 8,
        reuse,
        ..HostConfig::default()
    };
    Host::load_with_upstream(fixtures::component(), config, fixtures::upstream(stream))
        .expect("the bundled component loads")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime")
}

fn converse_answer() -> MockTransport {
    MockTransport::new([
        Canned::json(200, CONVERSE_TEXT_FIXTURE).with_header("x-amzn-requestid", REQUEST_ID)
    ])
}

fn stream_answer(chunks: &[Vec<u8>]) -> MockTransport {
    MockTransport::new([Canned::Response {
        status: 200,
        headers: vec![
            ("content-type".into(), "application/vnd.amazon.eventstream".into()),
            ("x-amzn-requestid".into(), REQUEST_ID.into()),
        ],
        chunks: chunks.to_vec(),
    }])
}

/// Natively: open, generate against the in-memory transport; returns the answer text.
fn native_generate() -> String {
    native_generate_with(SETTINGS)
}

fn native_generate_with(settings: &str) -> String {
    let client = Client::open(settings).expect("valid settings");
    client.generate(&converse_answer(), fixtures::native_request(None)).expect("an answer").text
}

/// Natively: open, stream, and drain; returns the text and the number of parts.
fn native_stream(chunks: &[Vec<u8>]) -> (String, usize) {
    let client = Client::open(SETTINGS).expect("valid settings");
    let mut stream =
        client.stream(&stream_answer(chunks), fixtures::native_request(None)).expect("a stream");
    let (mut text, mut parts) = (String::new(), 0);
    while let Some(part) = stream.next().expect("a clean stream") {
        parts += 1;
        if let api::StreamPart::TextDelta { text: t, .. } = part {
            text.push_str(&t);
        }
    }
    (text, parts)
}

/// Through the component: stream and drain; returns the text and the number of parts.
async fn component_stream(host: &Host) -> (String, usize) {
    let mut stream = host.stream(SETTINGS, fixtures::wit_request(None)).await.expect("a stream");
    let (mut text, mut parts) = (String::new(), 0);
    while let Some(part) = stream.next().await.expect("a clean stream") {
        parts += 1;
        if let wit::StreamPart::TextDelta(d) = part {
            text.push_str(&d.text);
        }
    }
    (text, parts)
}

/// Checks that both sides give the same, expected answers before anything is timed.
fn check_equivalence(rt: &tokio::runtime::Runtime, small: &Host, big: &Host, chunks: &[Vec<u8>]) {
    assert_eq!(native_generate(), fixtures::FIXTURE_TEXT);
    assert_eq!(native_generate_with(SETTINGS_API_KEY), fixtures::FIXTURE_TEXT);
    let answer = rt
        .block_on(small.generate(SETTINGS_API_KEY, fixtures::wit_request(None)))
        .expect("the component answers");
    assert_eq!(answer.text, fixtures::FIXTURE_TEXT);
    let answer = rt
        .block_on(small.generate(SETTINGS, fixtures::wit_request(None)))
        .expect("the component answers");
    assert_eq!(answer.text, fixtures::FIXTURE_TEXT);
    assert_eq!(answer.metadata.request_id.as_deref(), Some(REQUEST_ID));

    let native = native_stream(chunks);
    let component = rt.block_on(component_stream(big));
    assert_eq!(native, component, "native and component streams differ");
    assert!(native.1 > STREAM_DELTAS, "{} parts", native.1);

    let e = rt
        .block_on(small.generate(SETTINGS, fixtures::wit_request(Some(REJECTED_MODEL))))
        .expect_err("the model is rejected");
    assert_eq!(e.kind, wit::ErrorKind::InvalidRequest, "{e:?}");
    let e = rt.block_on(small.generate("{", fixtures::wit_request(None))).expect_err("bad JSON");
    assert_eq!(e.kind, wit::ErrorKind::InvalidSettings, "{e:?}");
}

/// Runs the in-process section.
pub fn run(mode: &Mode, cache_dir: &std::path::Path) {
    let rt = runtime();
    let recorded = fixtures::recorded_stream();
    let body = fixtures::stream_body(STREAM_DELTAS, STREAM_TEXT);
    let large = fixtures::stream_body(LARGE_DELTAS, LARGE_TEXT);
    let chunks: Vec<Vec<u8>> = body.chunks(CHUNK).map(<[u8]>::to_vec).collect();
    let large_chunks: Vec<Vec<u8>> = large.chunks(CHUNK).map(<[u8]>::to_vec).collect();
    let recorded_chunks = vec![recorded.clone()];

    let started = Instant::now();
    let small = host(cache_dir, recorded.clone());
    let load_time = started.elapsed();
    let big = host(cache_dir, body.clone());
    let large_host = host(cache_dir, large.clone());
    check_equivalence(&rt, &small, &big, &chunks);
    println!(
        "\nComponent loaded (cache {:?}) in {}.",
        small.cache_outcome(),
        time(load_time.as_secs_f64())
    );

    stages(mode);
    let reusing = reusing_host(cache_dir);
    one_call(mode, &rt, &small, &reusing);
    streaming(
        mode,
        &rt,
        &[(&big, &chunks, body.len()), (&large_host, &large_chunks, large.len())],
        &small,
        &recorded_chunks,
    );
}

/// The provider's stages, natively.
fn stages(mode: &Mode) {
    let settings = Settings::parse(SETTINGS).expect("valid settings");
    let request = fixtures::native_request(None);
    let built = converse::build_request(&request, MODEL_ID).expect("a request");
    let unsigned = HttpRequest {
        method: "POST",
        scheme: Scheme::Https,
        authority: "bedrock-runtime.us-east-1.amazonaws.com".into(),
        path: format!("/model/{}/converse", MODEL_ID.replace(':', "%3A")),
        headers: vec![("content-type".into(), "application/json".into())],
        body: built.body.clone(),
    };
    let keys = auth::SigningKeys::default();
    let mut cases = [
        Case::new("settings parse", || {
            black_box(Settings::parse(black_box(SETTINGS)).expect("valid settings"));
        }),
        Case::new("request build", || {
            black_box(converse::build_request(black_box(&request), MODEL_ID).expect("a body"));
        }),
        Case::new("SigV4 sign, key derived (a fresh client)", || {
            let mut signed = unsigned.clone();
            let keys = auth::SigningKeys::default();
            auth::authorize(
                &mut signed,
                &settings.auth,
                &settings.region,
                SystemTime::now(),
                &keys,
            )
            .expect("signed");
            black_box(signed);
        }),
        Case::new("SigV4 sign, key cached (a reused client)", || {
            let mut signed = unsigned.clone();
            auth::authorize(
                &mut signed,
                &settings.auth,
                &settings.region,
                SystemTime::now(),
                &keys,
            )
            .expect("signed");
            black_box(signed);
        }),
        Case::new("response map", || {
            black_box(
                converse::parse_response(
                    black_box(CONVERSE_TEXT_FIXTURE.as_bytes()),
                    MODEL_ID,
                    Some(REQUEST_ID.into()),
                )
                .expect("an answer"),
            );
        }),
    ];
    let rounds = mode.rounds(15);
    let samples = measure(mode, rounds, Duration::from_millis(20), &mut cases);
    header("Provider stages, native (no Wasm)", rounds);
    for name in [
        "settings parse",
        "request build",
        "SigV4 sign, key derived (a fresh client)",
        "SigV4 sign, key cached (a reused client)",
        "response map",
    ] {
        row(name, &samples.summary(name), time, "per call");
    }
}

/// One chat call: through the component vs the same Rust code natively.
fn one_call(mode: &Mode, rt: &tokio::runtime::Runtime, host: &Host, reusing: &Host) {
    let mut cases = [
        Case::batch("component reused", |n| {
            rt.block_on(async {
                let started = Instant::now();
                for _ in 0..n {
                    let answer = reusing.generate(SETTINGS, fixtures::wit_request(None)).await;
                    black_box(answer.expect("an answer"));
                }
                started.elapsed()
            })
        }),
        Case::batch("component reused api key", |n| {
            rt.block_on(async {
                let started = Instant::now();
                for _ in 0..n {
                    let answer =
                        reusing.generate(SETTINGS_API_KEY, fixtures::wit_request(None)).await;
                    black_box(answer.expect("an answer"));
                }
                started.elapsed()
            })
        }),
        Case::new("native", || {
            black_box(native_generate());
        }),
        Case::batch("component", |n| {
            rt.block_on(async {
                let started = Instant::now();
                for _ in 0..n {
                    let answer = host.generate(SETTINGS, fixtures::wit_request(None)).await;
                    black_box(answer.expect("an answer"));
                }
                started.elapsed()
            })
        }),
        Case::new("native api key", || {
            black_box(native_generate_with(SETTINGS_API_KEY));
        }),
        Case::batch("component api key", |n| {
            rt.block_on(async {
                let started = Instant::now();
                for _ in 0..n {
                    let answer = host.generate(SETTINGS_API_KEY, fixtures::wit_request(None)).await;
                    black_box(answer.expect("an answer"));
                }
                started.elapsed()
            })
        }),
        Case::new("native rejected", || {
            let client = Client::open(SETTINGS).expect("valid settings");
            let transport = converse_answer();
            let request = fixtures::native_request(Some(REJECTED_MODEL));
            black_box(client.generate(&transport, request).expect_err("rejected"));
        }),
        Case::batch("component rejected", |n| {
            rt.block_on(async {
                let started = Instant::now();
                for _ in 0..n {
                    let request = fixtures::wit_request(Some(REJECTED_MODEL));
                    black_box(host.generate(SETTINGS, request).await.expect_err("rejected"));
                }
                started.elapsed()
            })
        }),
        Case::batch("component instantiate", |n| {
            rt.block_on(async {
                let started = Instant::now();
                for _ in 0..n {
                    let request = fixtures::wit_request(None);
                    black_box(host.generate("{", request).await.expect_err("bad settings"));
                }
                started.elapsed()
            })
        }),
    ];
    let rounds = mode.rounds(15);
    let s = measure(mode, rounds, Duration::from_millis(30), &mut cases);
    header("One chat call, in process (network replaced by memory on both sides)", rounds);
    row(
        "native: `Client::open` + `generate` (mock transport)",
        &s.summary("native"),
        time,
        "baseline",
    );
    let ratio = s.paired("component", "native", |c, n| c / n);
    row(
        "component: instantiate + open + generate (in-memory upstream)",
        &s.summary("component"),
        time,
        "",
    );
    row(
        "ratio component / native",
        &ratio,
        |x| format!("{x:.2}x"),
        &verdict(ratio.median <= 1.5, "<= 1.5x"),
    );
    row("overhead component - native", &s.paired("component", "native", |c, n| c - n), time, "");
    row(
        "component: instantiate + `open` that fails at once",
        &s.summary("component instantiate"),
        time,
        "the sandbox's fixed cost",
    );
    row(
        "native: open + generate, model rejected",
        &s.summary("native rejected"),
        time,
        "settings parse, no request",
    );
    row("component: open + generate, model rejected", &s.summary("component rejected"), time, "");
    row(
        "component, derived: settings parse + request lowering",
        &s.paired("component rejected", "component instantiate", |r, i| r - i),
        time,
        "rejected - instantiate",
    );
    row("native: open + generate, API key (no signing)", &s.summary("native api key"), time, "");
    row(
        "component: open + generate, API key (no signing)",
        &s.summary("component api key"),
        time,
        "",
    );
    row(
        "native, derived: SigV4 signing",
        &s.paired("native", "native api key", |a, b| a - b),
        time,
        "SigV4 - API key",
    );
    row(
        "component, derived: SigV4 signing",
        &s.paired("component", "component api key", |a, b| a - b),
        time,
        "SigV4 - API key",
    );
    row(
        "component, derived: build + sign + send + map",
        &s.paired("component", "component rejected", |c, r| c - r),
        time,
        "full - rejected",
    );
    row(
        "component, reused instance: generate (in-memory upstream)",
        &s.summary("component reused"),
        time,
        "same settings: no instantiate, no open",
    );
    let ratio = s.paired("component reused", "native", |c, n| c / n);
    row(
        "ratio component reused / native",
        &ratio,
        |x| format!("{x:.2}x"),
        &verdict(ratio.median <= 1.5, "<= 1.5x"),
    );
    row(
        "ratio component reused / fresh instance",
        &s.paired("component reused", "component", |r, f| r / f),
        |x| format!("{x:.2}x"),
        "",
    );
    row(
        "component, reused instance, derived: SigV4 signing (key cached)",
        &s.paired("component reused", "component reused api key", |a, b| a - b),
        time,
        "SigV4 - API key",
    );
}

/// A batch of `n` component streams, drained.
fn drain<'a>(rt: &'a tokio::runtime::Runtime, host: &'a Host) -> impl FnMut(u64) -> Duration + 'a {
    move |n| {
        rt.block_on(async {
            let started = Instant::now();
            for _ in 0..n {
                black_box(component_stream(host).await);
            }
            started.elapsed()
        })
    }
}

/// Stream throughput and time to first token.
fn streaming(
    mode: &Mode,
    rt: &tokio::runtime::Runtime,
    bodies: &[(&Host, &Vec<Vec<u8>>, usize); 2],
    small: &Host,
    recorded: &[Vec<u8>],
) {
    let [(big, chunks, bytes), (large, large_chunks, large_bytes)] = *bodies;
    let first_token_native = |n: u64| {
        let mut total = Duration::ZERO;
        for _ in 0..n {
            let started = Instant::now();
            let client = Client::open(SETTINGS).expect("valid settings");
            let transport = stream_answer(recorded);
            let mut stream =
                client.stream(&transport, fixtures::native_request(None)).expect("a stream");
            while !matches!(stream.next().expect("parts"), Some(api::StreamPart::TextDelta { .. }))
            {
            }
            total += started.elapsed();
        }
        total
    };
    let first_token_component = |n: u64| {
        rt.block_on(async {
            let mut total = Duration::ZERO;
            for _ in 0..n {
                let started = Instant::now();
                let mut stream =
                    small.stream(SETTINGS, fixtures::wit_request(None)).await.expect("a stream");
                while !matches!(
                    stream.next().await.expect("parts"),
                    Some(wit::StreamPart::TextDelta(_))
                ) {}
                total += started.elapsed();
                drop(stream);
            }
            total
        })
    };
    let mut cases = [
        Case::new("native decode", || {
            black_box(native_stream(chunks));
        }),
        Case::batch("component decode", drain(rt, big)),
        Case::new("native large", || {
            black_box(native_stream(large_chunks));
        }),
        Case::batch("component large", drain(rt, large)),
        Case::batch("native ttft", first_token_native),
        Case::batch("component ttft", first_token_component),
    ];
    let rounds = mode.rounds(11);
    let s = measure(mode, rounds, Duration::from_millis(50), &mut cases);
    let mbps = |name: &str, bytes: usize| -> Summary {
        let values: Vec<f64> = s.of(name).iter().map(|sec| bytes as f64 / 1e6 / sec).collect();
        summarize(&values).unwrap_or(Summary { median: 0.0, min: 0.0, max: 0.0, runs: 0 })
    };
    let rate = |x: f64| format!("{x:.1} MB/s");
    header("Streaming: event-stream decoding and time to first token", rounds);
    let frames =
        format!("{STREAM_DELTAS} text deltas of {STREAM_TEXT} chars, {:.2} MB", bytes as f64 / 1e6);
    row(
        "native: open + stream + drain, recorded-style frames",
        &mbps("native decode", bytes),
        rate,
        &frames,
    );
    let component = mbps("component decode", bytes);
    row(
        "component: stream + drain, recorded-style frames",
        &component,
        rate,
        &verdict(component.median >= 300.0, ">= 300 MB/s"),
    );
    row(
        "ratio component / native time",
        &s.paired("component decode", "native decode", |c, n| c / n),
        |x| format!("{x:.2}x"),
        "",
    );
    let frames = format!(
        "{LARGE_DELTAS} text deltas of {LARGE_TEXT} chars, {:.2} MB",
        large_bytes as f64 / 1e6
    );
    row("native: large frames", &mbps("native large", large_bytes), rate, &frames);
    let component = mbps("component large", large_bytes);
    row(
        "component: large frames",
        &component,
        rate,
        &verdict(component.median >= 300.0, ">= 300 MB/s"),
    );
    row(
        "native: time to first text delta (open + stream + parts)",
        &s.summary("native ttft"),
        time,
        "recorded TV-4 answer",
    );
    row(
        "component: time to first text delta",
        &s.summary("component ttft"),
        time,
        "instantiate included",
    );
    let overhead = s.paired("component ttft", "native ttft", |c, n| c - n);
    row(
        "time-to-first-token overhead",
        &overhead,
        time,
        &verdict(overhead.median < 0.2e-3, "< 0.2 ms"),
    );
    let per_part = s
        .paired("component decode", "native decode", |c, n| (c - n) / (STREAM_DELTAS as f64 + 5.0));
    row(
        "component overhead per part (recorded-style)",
        &per_part,
        time,
        "(component - native) / parts",
    );
}

/// Loops one operation for `SPIN_SECS` seconds (default 5), for a profiler.
pub fn spin(what: &str, cache_dir: &std::path::Path) {
    let secs: f64 = std::env::var("SPIN_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(5.0);
    // A fixed number of calls instead, for instruction counts (callgrind): the difference
    // between two counts is exactly that many calls' instructions, set-up excluded.
    let fixed: Option<u64> = std::env::var("SPIN_CALLS").ok().and_then(|s| s.parse().ok());
    let rt = runtime();
    let body = fixtures::stream_body(STREAM_DELTAS, STREAM_TEXT);
    let chunks: Vec<Vec<u8>> = body.chunks(CHUNK).map(<[u8]>::to_vec).collect();
    let host = if what == "spin-generate-reused" {
        host_with(cache_dir, body, Some(InstanceReuse::default()))
    } else {
        host(cache_dir, body)
    };
    let started = Instant::now();
    let mut calls = 0u64;
    while fixed.map_or(started.elapsed().as_secs_f64() < secs, |n| calls < n) {
        match what {
            "spin-generate" | "spin-generate-reused" => {
                let answer = rt.block_on(host.generate(SETTINGS, fixtures::wit_request(None)));
                black_box(answer.expect("an answer"));
            }
            "spin-stream" => {
                black_box(rt.block_on(component_stream(&host)));
            }
            _ => {
                black_box(native_generate());
                black_box(native_stream(&chunks));
            }
        }
        calls += 1;
    }
    let per_call = started.elapsed().as_secs_f64() / calls as f64;
    println!("{what}: {calls} calls, {} per call", time(per_call));
}

//! Native decoding throughput, for profiling the stream decoder (not run by default):
//! `cargo test -p bedrock-provider --release --lib stream::throughput -- --ignored --nocapture`,
//! under `perf record -e cpu-clock` to see where the time goes. `SPIN_SECS` (default 2) sets
//! how long each case runs.
#![allow(clippy::unwrap_used)]

use super::testing::{self, ChunkedBody};
use super::*;
use crate::errors::Operation;
use std::time::{Duration, Instant};

/// The chunk size the component reads the body in (`transport::wasi::READ_CHUNK`).
const CHUNK: usize = 64 * 1024;

/// The benchmark's recorded-style stream (host/benches/gateway/fixtures.rs, `stream_body`):
/// `deltas` text deltas of `text_len` characters in frames padded like TV-4's.
fn stream_body(deltas: usize, text_len: usize) -> Vec<u8> {
    const PAD: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012";
    let mut out = testing::event(
        "messageStart",
        r#"{"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012","role":"assistant"}"#,
    );
    let words = ["straw", "berry", " has", " three", " r", "'s", ".", " Count", " them", ":"];
    for i in 0..deltas {
        let mut text = String::new();
        while text.len() < text_len {
            text.push_str(words[(i + text.len()) % words.len()]);
        }
        text.truncate(text_len);
        let pad = &PAD[..(i * 7) % PAD.len()];
        let payload =
            format!(r#"{{"contentBlockIndex":0,"delta":{{"text":"{text}"}},"p":"{pad}"}}"#);
        out.extend(testing::event("contentBlockDelta", &payload));
    }
    out.extend(testing::event("contentBlockStop", r#"{"contentBlockIndex":0,"p":"ab"}"#));
    out.extend(testing::event(
        "messageStop",
        r#"{"additionalModelResponseFields":{"delta":{"stop_sequence":null}},"p":"abcdefghijklmnopqrstuvw","stopReason":"end_turn"}"#,
    ));
    out.extend(testing::event(
        "metadata",
        r#"{"metrics":{"latencyMs":802},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS","usage":{"inputTokens":12,"outputTokens":5,"serverToolUsage":{},"totalTokens":17}}"#,
    ));
    out
}

fn stream_of(body: &[u8]) -> ChatStream {
    let metadata = ResponseMetadata { model: "m".into(), request_id: None, latency_ms: None };
    let ctx = ErrorContext {
        region: "us-east-1".into(),
        model_id: "m".into(),
        inference_profile: None,
        operation: Operation::ConverseStream,
        bearer: false,
        model_setting: None,
    };
    ChatStream::new(Box::new(ChunkedBody::every(body, CHUNK)), metadata, ctx)
}

/// Drains one stream; returns the number of parts.
fn drain(body: &[u8], batch: Option<u32>) -> usize {
    let mut stream = stream_of(body);
    let mut parts = 0;
    match batch {
        None => {
            while std::hint::black_box(stream.next().unwrap()).is_some() {
                parts += 1;
            }
        }
        Some(max) => loop {
            let batch = std::hint::black_box(stream.next_batch(max).unwrap());
            if batch.is_empty() {
                break;
            }
            parts += batch.len();
        },
    }
    parts
}

fn spin(label: &str, body: &[u8], batch: Option<u32>) {
    let secs = std::env::var("SPIN_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(2.0);
    let expected = drain(body, batch);
    let started = Instant::now();
    let mut runs = 0u32;
    while started.elapsed() < Duration::from_secs_f64(secs) {
        assert_eq!(drain(body, batch), expected);
        runs += 1;
    }
    let per_run = started.elapsed() / runs;
    let mb_s = body.len() as f64 / per_run.as_secs_f64() / 1e6;
    let per_part = per_run / u32::try_from(expected).unwrap();
    println!("{label}: {mb_s:.1} MB/s, {per_part:?} per part ({expected} parts, {runs} runs)");
}

#[test]
#[ignore = "a measurement, not a test: run it with --ignored in release"]
fn recorded_style_frames() {
    let body = stream_body(5000, 12);
    spin("recorded-style, next", &body, None);
    spin("recorded-style, next_batch(64)", &body, Some(64));
}

#[test]
#[ignore = "a measurement, not a test: run it with --ignored in release"]
fn large_frames() {
    let body = stream_body(250, 4000);
    spin("large frames, next", &body, None);
    spin("large frames, next_batch(64)", &body, Some(64));
}

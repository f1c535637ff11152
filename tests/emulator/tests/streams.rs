//! ConverseStream through the server: frames flushed one by one, recording, stream faults.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use bedrock_emulator::eventstream::{DecodeError, decode_all};
use bedrock_emulator::{DEMO_API_KEY, Emulator, EmulatorConfig, fixtures};
use common::*;
use serde_json::Value;

const STREAM_PATH: &str = "/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse-stream";

fn headers(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut h = bearer(DEMO_API_KEY, RUNTIME_HOST);
    h.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    h
}

#[tokio::test]
async fn frames_arrive_one_by_one_with_the_delay() {
    let delay = Duration::from_millis(120);
    let emu = Emulator::start(EmulatorConfig { frame_delay: delay, ..EmulatorConfig::default() })
        .await
        .unwrap();
    let signed_headers = signed(STREAM_PATH, HELLO, Signing::default());
    let resp = send(emu.addr(), "POST", STREAM_PATH, &signed_headers, HELLO).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("application/vnd.amazon.eventstream"));
    let messages = decode_all(&resp.body).unwrap();
    let n = messages.len();
    assert!(n >= 8, "{n} frames");
    assert_eq!(resp.chunk_times.len(), n, "one body chunk per frame");
    let total = *resp.chunk_times.last().unwrap();
    assert!(total >= delay * (n as u32 - 1), "total {total:?}");
    assert!(
        resp.chunk_times[0] < total - delay * (n as u32 - 2),
        "first frame came early: {:?}",
        resp.chunk_times[0]
    );

    let events: Vec<&str> = messages.iter().map(|m| m.header(":event-type").unwrap()).collect();
    assert_eq!(events[0], "messageStart");
    assert_eq!(&events[n - 3..], ["contentBlockStop", "messageStop", "metadata"]);
    let text: String = messages
        .iter()
        .filter_map(|m| {
            let v: Value = serde_json::from_slice(&m.payload).unwrap();
            assert!(v["p"].is_string(), "every payload is padded");
            v["delta"]["text"].as_str().map(str::to_string)
        })
        .collect();
    assert_eq!(text, "Hello from the Bedrock emulator. You said: Hello");
    let metadata: Value = serde_json::from_slice(&messages[n - 1].payload).unwrap();
    assert!(metadata["usage"]["totalTokens"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn per_request_delay_header_overrides_the_config() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let resp = send(
        emu.addr(),
        "POST",
        STREAM_PATH,
        &headers(&[("x-emulator-frame-delay-ms", "40")]),
        HELLO,
    )
    .await;
    let n = resp.chunk_times.len() as u32;
    assert!(*resp.chunk_times.last().unwrap() >= Duration::from_millis(40) * (n - 1));
}

#[tokio::test]
async fn recording_scenario_sends_tv4_verbatim() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let resp = send(
        emu.addr(),
        "POST",
        STREAM_PATH,
        &headers(&[("x-emulator-scenario", "recording")]),
        HELLO,
    )
    .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, fixtures::tv4_bytes());
    assert_eq!(resp.chunk_times.len(), 6);
}

#[tokio::test]
async fn stream_faults() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let run = |fault: &'static str| {
        let addr = emu.addr();
        async move {
            send(addr, "POST", STREAM_PATH, &headers(&[("x-emulator-fault", fault)]), HELLO).await
        }
    };

    let resp = run("stream-throttling").await;
    assert_eq!(resp.status, 200);
    assert!(resp.body.ends_with(&fixtures::tv6_bytes()));
    let messages = decode_all(&resp.body).unwrap();
    assert_eq!(messages.len(), 4);
    assert_eq!(messages[3].header(":message-type"), Some("exception"));

    let resp = run("stream-model-error").await;
    assert!(resp.body.ends_with(&fixtures::tv5_bytes()));

    let resp = run("stream-cut").await;
    assert_eq!(resp.status, 200);
    assert!(resp.error.is_some(), "the body ends in an error, not a clean end");
    assert_eq!(decode_all(&resp.body).unwrap_err(), DecodeError::Incomplete);

    let resp = run("stream-bad-crc").await;
    assert!(resp.error.is_none());
    assert_eq!(decode_all(&resp.body).unwrap_err(), DecodeError::MessageChecksum);

    let resp = run("stream-no-stop").await;
    let messages = decode_all(&resp.body).unwrap();
    let events: Vec<&str> = messages.iter().map(|m| m.header(":event-type").unwrap()).collect();
    assert!(!events.contains(&"messageStop") && !events.contains(&"metadata"));

    // By model ID too.
    let resp = send(
        emu.addr(),
        "POST",
        "/model/emulator.fault-stream-unavailable/converse-stream",
        &headers(&[]),
        HELLO,
    )
    .await;
    let messages = decode_all(&resp.body).unwrap();
    assert_eq!(
        messages.last().unwrap().header(":exception-type"),
        Some("serviceUnavailableException")
    );
}

#[tokio::test]
async fn tool_fixture_streams_a_tool_call() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let resp = send(
        emu.addr(),
        "POST",
        STREAM_PATH,
        &headers(&[("x-emulator-scenario", "tool-fixture")]),
        HELLO,
    )
    .await;
    let messages = decode_all(&resp.body).unwrap();
    let start: Value = serde_json::from_slice(&messages[1].payload).unwrap();
    assert_eq!(messages[1].header(":event-type"), Some("contentBlockStart"));
    assert_eq!(start["start"]["toolUse"]["name"], "querySalesforce");
    let stop: Value = serde_json::from_slice(&messages[messages.len() - 2].payload).unwrap();
    assert_eq!(stop["stopReason"], "tool_use");
}

//! ConverseStream through the real component in the real host against the emulator: parts in
//! order, the real recording (spec TV-4), every in-stream fault, HTTP faults before the stream,
//! tool use and reasoning, time to first token, and clients that stop reading early.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use crate::common::*;
use bedrock_emulator::{EmulatorConfig, Fault};
use bedrock_gateway::HostConfig;
use bedrock_gateway::types::*;
use serde_json::json;

/// What the emulator answers to "hi" (the greeting echoes the prompt).
const HI_ANSWER: &str = "Hello from the Bedrock emulator. You said: hi";

/// A short name for a part, for order assertions.
fn tag(part: &StreamPart) -> &'static str {
    match part {
        StreamPart::Start(_) => "start",
        StreamPart::TextDelta(_) => "text",
        StreamPart::ReasoningDelta(_) => "reasoning",
        StreamPart::ToolCallStart(_) => "tool-start",
        StreamPart::ToolCallDelta(_) => "tool-delta",
        StreamPart::ToolCallEnd(_) => "tool-end",
        StreamPart::Citation(_) => "citation",
        StreamPart::Finish(_) => "finish",
        StreamPart::Usage(_) => "usage",
        StreamPart::Warning(_) => "warning",
        StreamPart::Trace(_) => "trace",
    }
}

fn tags(parts: &[StreamPart]) -> Vec<&'static str> {
    parts.iter().map(tag).collect()
}

#[tokio::test]
async fn a_stream_delivers_start_text_finish_usage_and_the_same_text_as_generate() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let stream = h.host.stream(&settings, chat("hi")).await.unwrap();
    let (parts, error) = drain(stream).await;
    assert!(error.is_none(), "{error:?}");

    let tags = tags(&parts);
    let n = tags.len();
    assert_eq!(tags[0], "start");
    assert!(n >= 5, "{tags:?}");
    assert!(tags[1..n - 2].iter().all(|t| *t == "text"), "{tags:?}");
    assert_eq!(tags[n - 2..], ["finish", "usage"]);
    // The answer came in several deltas, not as one block.
    assert!(n - 3 > 3, "only {} text deltas", n - 3);

    let StreamPart::Start(meta) = &parts[0] else { unreachable!() };
    assert_eq!(meta.model, "us.anthropic.claude-sonnet-4-5-20250929-v1:0");
    assert!(meta.request_id.is_some());
    let StreamPart::Finish(finish) = &parts[n - 2] else { unreachable!() };
    assert_eq!(finish.reason, FinishReason::Stop);
    assert_eq!(finish.raw, "end_turn");
    let StreamPart::Usage(usage) = &parts[n - 1] else { unreachable!() };
    assert!(usage.input_tokens > 0 && usage.output_tokens > 0);

    let streamed = text_of(&parts);
    assert_eq!(streamed, HI_ANSWER);
    let answer = h.host.generate(&settings, chat("hi")).await.unwrap();
    assert_eq!(streamed, answer.text);
    assert_eq!(usage.output_tokens, answer.usage.output_tokens);

    let requests = h.emulator.requests();
    assert_eq!(
        requests[0].path,
        "/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse-stream"
    );
    assert_eq!(requests[0].signature_valid, Some(true));
}

#[tokio::test]
async fn the_real_recording_decodes_to_its_parts() {
    let h = Harness::start().await;
    let settings = h.settings(json!({"headers": {"x-emulator-scenario": "recording"}}));
    let stream = h.host.stream(&settings, chat("Say OK.")).await.unwrap();
    let (parts, error) = drain(stream).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(tags(&parts), ["start", "text", "text", "finish", "usage"]);
    let StreamPart::Start(meta) = &parts[0] else { unreachable!() };
    assert!(meta.request_id.is_some());
    let deltas: Vec<(u32, &str)> = parts
        .iter()
        .filter_map(|p| match p {
            StreamPart::TextDelta(d) => Some((d.index, d.text.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(deltas, [(0, "OK"), (0, ".")]);
    let StreamPart::Finish(finish) = &parts[3] else { unreachable!() };
    assert_eq!(finish.reason, FinishReason::Stop);
    assert_eq!(finish.raw, "end_turn");
    let StreamPart::Usage(usage) = &parts[4] else { unreachable!() };
    assert_eq!((usage.input_tokens, usage.output_tokens, usage.total_tokens), (12, 5, 17));
}

/// The kind each in-stream fault must map to.
fn stream_fault_kind(fault: Fault) -> ErrorKind {
    match fault {
        Fault::StreamThrottling => ErrorKind::Throttled,
        Fault::StreamModelError => ErrorKind::ModelError,
        Fault::StreamValidation => ErrorKind::InvalidRequest,
        Fault::StreamInternal => ErrorKind::Internal,
        Fault::StreamUnavailable => ErrorKind::ServiceUnavailable,
        Fault::StreamBadCrc | Fault::StreamNoStop => ErrorKind::InvalidResponse,
        Fault::StreamCut => ErrorKind::Network,
        other => panic!("{} is not a stream fault", other.name()),
    }
}

#[tokio::test]
async fn every_stream_fault_is_a_mapped_error_after_the_text_already_delivered() {
    let h = Harness::start().await;
    let mut checked = 0;
    for fault in Fault::ALL.iter().copied().filter(Fault::is_stream) {
        let name = fault.name();
        let settings = h.fault(name);
        let mut stream = h.host.stream(&settings, chat("hi")).await.unwrap();
        let mut parts = Vec::new();
        let error = loop {
            match stream.next().await {
                Ok(Some(part)) => parts.push(part),
                Ok(None) => panic!("{name}: the stream ended cleanly after {:?}", tags(&parts)),
                Err(e) => break e,
            }
        };
        // The stream stays ended: polling again never turns the failure into a clean answer.
        assert!(matches!(stream.next().await, Ok(None)), "{name}");

        assert_eq!(error.kind, stream_fault_kind(fault), "{name}: {error:?}");
        assert!(error.cause.as_deref().is_some_and(|c| !c.is_empty()), "{name} has no cause");
        assert!(error.solution.as_deref().is_some_and(|s| !s.is_empty()), "{name}: no solution");
        assert!(error.request_id.is_some(), "{name} lost the request id");
        if fault.stream() == Some(bedrock_emulator::StreamFault::Exception) {
            assert_eq!(error.code.as_deref(), fault.code(), "{name}");
            assert!(error.cause.as_deref().unwrap().contains("mid-stream"), "{name}: {error:?}");
        }

        // Text arrived before the failure, and it is a prefix of the real answer.
        assert_eq!(tags(&parts)[0], "start", "{name}");
        let text = text_of(&parts);
        assert!(!text.is_empty(), "{name}: no text before the error");
        assert!(HI_ANSWER.starts_with(&text), "{name}: {text:?}");
        // Nothing that would let a caller take the partial answer for a complete one.
        assert!(
            !parts.iter().any(|p| matches!(p, StreamPart::Finish(_) | StreamPart::Usage(_))),
            "{name}: {:?}",
            tags(&parts)
        );
        checked += 1;
    }
    assert_eq!(checked, 8);
}

#[tokio::test]
async fn in_stream_exceptions_keep_their_retry_hints() {
    let h = Harness::start().await;
    let cases = [
        ("stream-throttling", true),
        ("stream-model-error", true),
        ("stream-internal", true),
        ("stream-unavailable", true),
        ("stream-validation", false),
    ];
    for (name, retryable) in cases {
        let (parts, error) = drain(h.host.stream(&h.fault(name), chat("hi")).await.unwrap()).await;
        let error = error.unwrap();
        assert_eq!(error.retryable, retryable, "{name}: {error:?}");
        // Two deltas are sent before the exception frame.
        assert_eq!(tags(&parts), ["start", "text", "text"], "{name}");
    }
    // A stream that stops at a frame boundary says so, and may be retried.
    let (_, error) =
        drain(h.host.stream(&h.fault("stream-no-stop"), chat("hi")).await.unwrap()).await;
    let error = error.unwrap();
    assert!(error.message.contains("messageStop"), "{error:?}");
    assert!(error.retryable);
}

#[tokio::test]
async fn http_faults_before_the_stream_are_retried_and_mapped_like_generate() {
    let h = Harness::start().await;
    let settings =
        h.settings(json!({"maxAttempts": 3, "headers": {"x-emulator-fault": "throttling"}}));
    let e = h.host.stream(&settings, chat("hi")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Throttled);
    assert!(e.message.contains("3 attempts"), "{}", e.message);
    assert_eq!(h.emulator.requests().len(), 3);
    assert!(h.emulator.requests().iter().all(|r| r.path.ends_with("/converse-stream")));

    // Every HTTP-level fault: the same kind, code and status as generate, before any part.
    let mut checked = 0;
    for fault in Fault::ALL.iter().filter(|f| !f.is_stream()) {
        let name = fault.name();
        let settings = h.settings(json!({"maxAttempts": 1, "headers": {"x-emulator-fault": name}}));
        let generated = h.host.generate(&settings, chat("hi")).await.unwrap_err();
        let streamed = match h.host.stream(&settings, chat("hi")).await {
            Err(e) => e,
            Ok(stream) => {
                let (parts, _) = drain(stream).await;
                panic!("{name}: the stream started with {:?}", tags(&parts));
            }
        };
        assert_eq!(streamed.kind, generated.kind, "{name}: {streamed:?}");
        assert_eq!(streamed.code, generated.code, "{name}");
        assert_eq!(streamed.status, generated.status, "{name}");
        assert_eq!(streamed.retryable, generated.retryable, "{name}");
        assert_eq!(streamed.field, generated.field, "{name}");
        checked += 1;
    }
    assert!(checked >= 50, "only {checked} faults checked");
}

fn weather_tool() -> ToolDefinition {
    ToolDefinition {
        name: "get_weather".into(),
        description: Some("The weather in a city.".into()),
        input_schema_json: json!({
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"]
        })
        .to_string(),
        cache_point: None,
    }
}

#[tokio::test]
async fn tool_calls_stream_as_start_fragments_and_the_joined_input() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let request = GenerateRequest { tools: vec![weather_tool()], ..chat("Weather in Paris?") };
    let (parts, error) = drain(h.host.stream(&settings, request.clone()).await.unwrap()).await;
    assert!(error.is_none(), "{error:?}");
    let tags = tags(&parts);
    let n = tags.len();
    assert_eq!(tags[..2], ["start", "tool-start"], "{tags:?}");
    assert!(tags[2..n - 3].iter().all(|t| *t == "tool-delta"), "{tags:?}");
    assert!(n - 5 >= 2, "the input came in one piece: {tags:?}");
    assert_eq!(tags[n - 3..], ["tool-end", "finish", "usage"]);

    let StreamPart::ToolCallStart(start) = &parts[1] else { unreachable!() };
    assert_eq!(start.name, "get_weather");
    let fragments: String = parts
        .iter()
        .filter_map(|p| match p {
            StreamPart::ToolCallDelta(d) => Some(d.input_fragment.as_str()),
            _ => None,
        })
        .collect();
    let StreamPart::ToolCallEnd(call) = &parts[n - 3] else { unreachable!() };
    assert_eq!((call.id.as_str(), call.name.as_str()), (start.id.as_str(), "get_weather"));
    assert_eq!(call.input_json, fragments);
    let input: serde_json::Value = serde_json::from_str(&call.input_json).unwrap();
    assert_eq!(input, json!({"city": "Paris"}));
    let StreamPart::Finish(finish) = &parts[n - 2] else { unreachable!() };
    assert_eq!(finish.reason, FinishReason::ToolCalls);

    // The same call as the non-streamed answer.
    let answer = h.host.generate(&settings, request).await.unwrap();
    let Some(ContentPart::ToolCall(generated)) = answer.content.first() else {
        panic!("{:?}", answer.content)
    };
    assert_eq!(generated.id, call.id);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&generated.input_json).unwrap(), input);
}

#[tokio::test]
async fn reasoning_streams_before_the_text_with_its_signature() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let mut request = chat("hi");
    request.settings.reasoning_budget = Some(1024);
    let (parts, error) = drain(h.host.stream(&settings, request.clone()).await.unwrap()).await;
    assert!(error.is_none(), "{error:?}");

    // Thinking was asked for on the wire.
    let body: serde_json::Value = serde_json::from_slice(&h.emulator.requests()[0].body).unwrap();
    assert_eq!(body["additionalModelRequestFields"]["thinking"]["budget_tokens"], 1024);

    let tags = tags(&parts);
    let first_text = tags.iter().position(|t| *t == "text").unwrap();
    let last_reasoning = tags.iter().rposition(|t| *t == "reasoning").unwrap();
    assert!(last_reasoning < first_text, "{tags:?}");
    let reasoning: Vec<&ReasoningDelta> = parts
        .iter()
        .filter_map(|p| match p {
            StreamPart::ReasoningDelta(d) => Some(d),
            _ => None,
        })
        .collect();
    assert!(reasoning.len() >= 2, "{tags:?}");
    assert!(reasoning.iter().all(|d| d.index == 0 && d.redacted.is_none()));
    let thought: String = reasoning.iter().filter_map(|d| d.text.as_deref()).collect();
    let signatures: Vec<&str> = reasoning.iter().filter_map(|d| d.signature.as_deref()).collect();
    assert_eq!(signatures.len(), 1, "one signature at the end of the block");
    assert!(reasoning.last().unwrap().signature.is_some());
    assert!(parts.iter().any(|p| matches!(p, StreamPart::TextDelta(d) if d.index == 1)));

    // The same reasoning and answer as generate.
    let answer = h.host.generate(&settings, request).await.unwrap();
    let Some(ContentPart::Reasoning(Reasoning::Text(generated))) = answer.content.first() else {
        panic!("{:?}", answer.content)
    };
    assert_eq!(thought, generated.text);
    assert_eq!(Some(signatures[0]), generated.signature.as_deref());
    assert_eq!(text_of(&parts), answer.text);
}

#[tokio::test]
async fn the_first_token_arrives_long_before_the_whole_answer() {
    const DELAY_MS: u64 = 300;
    let h = Harness::start().await;
    let settings =
        h.settings(json!({"headers": {"x-emulator-frame-delay-ms": DELAY_MS.to_string()}}));
    let started = Instant::now();
    let mut stream = h.host.stream(&settings, chat("hi")).await.unwrap();
    let mut first_text = None;
    let mut deltas = 0u32;
    loop {
        match stream.next().await.unwrap() {
            Some(StreamPart::TextDelta(_)) => {
                deltas += 1;
                first_text.get_or_insert_with(|| started.elapsed());
            }
            Some(_) => {}
            None => break,
        }
    }
    let total = started.elapsed();
    let first = first_text.unwrap();
    // Frames: messageStart, the text deltas, contentBlockStop, messageStop, metadata.
    let frames = deltas + 4;
    let delay = Duration::from_millis(DELAY_MS);
    eprintln!(
        "library: first text delta after {first:?}, whole answer after {total:?} \
         ({frames} frames, {DELAY_MS} ms apart)"
    );
    assert!(total >= delay * (frames - 1), "total {total:?} for {frames} frames");
    assert!(first < total / 2, "first {first:?}, total {total:?}");
    assert!(first >= delay, "the first delta is the second frame: {first:?}");
}

#[tokio::test]
async fn a_client_that_stops_reading_early_leaves_the_host_healthy() {
    // Two instance slots: a stream whose sandbox outlived its drop would exhaust the pool.
    let host = HostConfig { max_concurrent_calls: 2, ..HostConfig::default() };
    let h = Harness::with(EmulatorConfig::default(), host).await;
    // Frames 50 ms apart, so every drop happens while the emulator is still sending.
    let settings = h.settings(json!({"headers": {"x-emulator-frame-delay-ms": "50"}}));
    for round in 0..20 {
        let mut stream = h.host.stream(&settings, chat("hi")).await.unwrap();
        loop {
            match stream.next().await {
                Ok(Some(StreamPart::TextDelta(_))) => break,
                Ok(Some(_)) => {}
                other => panic!("round {round}: {other:?}"),
            }
        }
        drop(stream);
    }
    assert_eq!(h.emulator.requests().len(), 20);

    // The same host still streams a whole answer and answers a generate.
    let (parts, error) = drain(h.host.stream(&settings, chat("hi")).await.unwrap()).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(text_of(&parts), HI_ANSWER);
    let answer = h.host.generate(&h.settings(json!({})), chat("hi")).await.unwrap();
    assert_eq!(answer.text, HI_ANSWER);

    // Two streams may be open at once: both slots are free again.
    let a = h.host.stream(&settings, chat("hi")).await.unwrap();
    let b = h.host.stream(&settings, chat("hi")).await.unwrap();
    let ((pa, ea), (pb, eb)) = tokio::join!(drain(a), drain(b));
    assert!(ea.is_none() && eb.is_none(), "{ea:?} {eb:?}");
    assert_eq!(text_of(&pa), text_of(&pb));
}

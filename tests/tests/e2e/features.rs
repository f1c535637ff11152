//! Everything Converse can carry, through the real component against the emulator: tools,
//! reasoning with signatures, images and documents, prompt caching, guardrails, provider
//! options, warnings, and every recorded fixture of spec §15, in `generate` and in `stream`.
//!
//! The emulator is strict where Bedrock is: it refuses a reasoning block whose signature does
//! not verify, tool results without a matching call, documents without text, and unknown
//! fields, so a passing round trip here means the wire body had the right shape.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use bedrock_gateway::types::*;
use serde_json::{Value, json};

// ---------- helpers ----------

fn weather_tool() -> ToolDefinition {
    ToolDefinition {
        name: "get_weather".into(),
        description: Some("Current weather for a city".into()),
        input_schema_json: json!({
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        })
        .to_string(),
        cache_point: None,
    }
}

fn time_tool() -> ToolDefinition {
    ToolDefinition {
        name: "get_time".into(),
        description: None,
        input_schema_json: json!({
            "type": "object",
            "properties": {"zone": {"type": "string"}},
            "required": ["zone"],
        })
        .to_string(),
        cache_point: None,
    }
}

/// A weather question with the weather tool and extended reasoning on.
fn reasoning_tool_request() -> GenerateRequest {
    let mut request = chat("What is the weather in Paris?");
    request.settings.reasoning_budget = Some(1024);
    request.tools = vec![weather_tool()];
    request
}

fn message(role: Role, content: Vec<ContentPart>) -> Message {
    Message { role, content }
}

fn tool_result(id: &str, json_text: &str) -> Message {
    message(
        Role::Tool,
        vec![ContentPart::ToolResult(ToolResult {
            id: id.into(),
            content: vec![ToolResultContent::Json(json_text.into())],
            is_error: false,
        })],
    )
}

/// The JSON bodies the emulator received, in order.
fn bodies(h: &Harness) -> Vec<Value> {
    h.emulator.requests().iter().map(|r| serde_json::from_slice(&r.body).unwrap()).collect()
}

fn last_body(h: &Harness) -> Value {
    bodies(h).pop().unwrap()
}

fn scenario(h: &Harness, name: &str) -> String {
    h.settings(json!({"headers": {"x-emulator-scenario": name}}))
}

fn tool_calls(content: &[ContentPart]) -> Vec<&ToolCall> {
    content
        .iter()
        .filter_map(|p| match p {
            ContentPart::ToolCall(c) => Some(c),
            _ => None,
        })
        .collect()
}

fn reasoning_texts(content: &[ContentPart]) -> Vec<&ReasoningText> {
    content
        .iter()
        .filter_map(|p| match p {
            ContentPart::Reasoning(Reasoning::Text(r)) => Some(r),
            _ => None,
        })
        .collect()
}

/// What a gateway does with a streamed answer: rebuilds the assistant message, block by block
/// (reasoning fragments joined with their signature, tool calls from their end part, text).
fn assistant_content_from_stream(parts: &[StreamPart]) -> Vec<ContentPart> {
    enum Block {
        Text(String),
        Reasoning(String, Option<String>),
        Redacted(Vec<u8>),
        Tool(ToolCall),
    }
    let mut blocks: Vec<(u32, Block)> = Vec::new();
    let mut tool_index = None;
    for part in parts {
        match part {
            StreamPart::TextDelta(d) => match blocks.last_mut() {
                Some((i, Block::Text(t))) if *i == d.index => t.push_str(&d.text),
                _ => blocks.push((d.index, Block::Text(d.text.clone()))),
            },
            StreamPart::ReasoningDelta(d) => {
                if let Some(bytes) = &d.redacted {
                    blocks.push((d.index, Block::Redacted(bytes.clone())));
                    continue;
                }
                if !matches!(blocks.last(), Some((i, Block::Reasoning(..))) if *i == d.index) {
                    blocks.push((d.index, Block::Reasoning(String::new(), None)));
                }
                if let Some((_, Block::Reasoning(text, signature))) = blocks.last_mut() {
                    text.push_str(d.text.as_deref().unwrap_or(""));
                    if d.signature.is_some() {
                        signature.clone_from(&d.signature);
                    }
                }
            }
            StreamPart::ToolCallStart(s) => tool_index = Some(s.index),
            StreamPart::ToolCallEnd(call) => {
                blocks.push((tool_index.take().unwrap(), Block::Tool(call.clone())));
            }
            _ => {}
        }
    }
    blocks
        .into_iter()
        .map(|(_, block)| match block {
            Block::Text(t) => ContentPart::Text(t),
            Block::Reasoning(text, signature) => {
                ContentPart::Reasoning(Reasoning::Text(ReasoningText { text, signature }))
            }
            Block::Redacted(bytes) => ContentPart::Reasoning(Reasoning::Redacted(bytes)),
            Block::Tool(call) => ContentPart::ToolCall(call),
        })
        .collect()
}

fn finish_of(parts: &[StreamPart]) -> &Finish {
    parts
        .iter()
        .find_map(|p| match p {
            StreamPart::Finish(f) => Some(f),
            _ => None,
        })
        .expect("a finish part")
}

fn usage_of(parts: &[StreamPart]) -> &Usage {
    parts
        .iter()
        .find_map(|p| match p {
            StreamPart::Usage(u) => Some(u),
            _ => None,
        })
        .expect("a usage part")
}

fn warnings_of(parts: &[StreamPart]) -> Vec<&Warning> {
    parts
        .iter()
        .filter_map(|p| match p {
            StreamPart::Warning(w) => Some(w),
            _ => None,
        })
        .collect()
}

async fn stream_all(h: &Harness, settings: &str, request: GenerateRequest) -> Vec<StreamPart> {
    let stream = h.host.stream(settings, request).await.unwrap();
    let (parts, error) = drain(stream).await;
    assert!(error.is_none(), "{error:?}");
    parts
}

// ---------- the main "done when": a two-turn tool loop with reasoning ----------

#[tokio::test]
async fn tool_loop_with_reasoning_round_trips_the_signature_in_generate() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));

    let first = h.host.generate(&settings, reasoning_tool_request()).await.unwrap();
    assert_eq!(first.finish_reason, FinishReason::ToolCalls);
    let reasoning = reasoning_texts(&first.content);
    assert_eq!(reasoning.len(), 1, "{:?}", first.content);
    assert!(reasoning[0].text.contains("What is the weather in Paris?"), "{:?}", reasoning[0]);
    assert!(reasoning[0].signature.as_deref().is_some_and(|s| !s.is_empty()));
    assert!(matches!(first.content[0], ContentPart::Reasoning(_)), "reasoning comes first");
    let calls = tool_calls(&first.content);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].name, "get_weather");
    assert_eq!(
        serde_json::from_str::<Value>(&calls[0].input_json).unwrap(),
        json!({"city": "Paris"})
    );
    let wire = last_body(&h);
    assert_eq!(
        wire["additionalModelRequestFields"]["thinking"],
        json!({"type": "enabled", "budget_tokens": 1024})
    );
    assert!(wire["inferenceConfig"]["maxTokens"].as_u64().unwrap() > 1024);

    // Turn 2: the assistant turn exactly as received, then the tool result.
    let call_id = calls[0].id.clone();
    let mut second = reasoning_tool_request();
    second.messages.push(message(Role::Assistant, first.content.clone()));
    second.messages.push(tool_result(&call_id, r#"{"tempC":21}"#));
    let answer = h.host.generate(&settings, second).await.unwrap();
    assert_eq!(answer.finish_reason, FinishReason::Stop);
    assert!(
        answer.text.contains(r#"The tool get_weather returned: {"tempC":21}"#),
        "{}",
        answer.text
    );

    // The signature went back unchanged, in the assistant turn, before the tool call.
    let wire = last_body(&h);
    let assistant = &wire["messages"][1];
    assert_eq!(assistant["role"], "assistant");
    let sent = &assistant["content"][0]["reasoningContent"]["reasoningText"];
    assert_eq!(sent["text"].as_str(), Some(reasoning[0].text.as_str()));
    assert_eq!(sent["signature"].as_str(), reasoning[0].signature.as_deref());
    assert_eq!(assistant["content"][1]["toolUse"]["toolUseId"].as_str(), Some(call_id.as_str()));
    assert_eq!(
        wire["messages"][2]["content"][0]["toolResult"]["toolUseId"].as_str(),
        Some(call_id.as_str())
    );
    assert_eq!(wire["messages"][2]["content"][0]["toolResult"]["status"], "success");
}

#[tokio::test]
async fn tool_loop_with_reasoning_round_trips_the_signature_in_stream() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));

    let parts = stream_all(&h, &settings, reasoning_tool_request()).await;
    assert!(matches!(parts[0], StreamPart::Start(_)));
    assert_eq!(finish_of(&parts).reason, FinishReason::ToolCalls);
    let deltas = parts
        .iter()
        .filter(|p| matches!(p, StreamPart::ReasoningDelta(d) if d.text.is_some()))
        .count();
    assert!(deltas > 1, "reasoning arrives in fragments: {parts:?}");
    let fragments = parts.iter().filter(|p| matches!(p, StreamPart::ToolCallDelta(_))).count();
    assert!(fragments > 1, "tool input arrives in fragments: {parts:?}");

    let content = assistant_content_from_stream(&parts);
    assert_eq!(content.len(), 2, "{content:?}");
    let reasoning = reasoning_texts(&content);
    assert!(reasoning[0].text.contains("What is the weather in Paris?"));
    assert!(reasoning[0].signature.is_some());
    let call = tool_calls(&content)[0].clone();
    assert_eq!(call.name, "get_weather");
    assert_eq!(serde_json::from_str::<Value>(&call.input_json).unwrap(), json!({"city": "Paris"}));

    let mut second = reasoning_tool_request();
    second.messages.push(message(Role::Assistant, content.clone()));
    second.messages.push(tool_result(&call.id, r#"{"tempC":21}"#));
    let parts = stream_all(&h, &settings, second).await;
    assert_eq!(finish_of(&parts).reason, FinishReason::Stop);
    let text = text_of(&parts);
    assert!(text.contains(r#"The tool get_weather returned: {"tempC":21}"#), "{text}");
    let sent = &last_body(&h)["messages"][1]["content"][0]["reasoningContent"]["reasoningText"];
    assert_eq!(sent["signature"].as_str(), reasoning[0].signature.as_deref());
}

#[tokio::test]
async fn a_changed_signature_is_refused_as_an_invalid_request() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let first = h.host.generate(&settings, reasoning_tool_request()).await.unwrap();
    let call_id = tool_calls(&first.content)[0].id.clone();
    let mut content = first.content.clone();
    let ContentPart::Reasoning(Reasoning::Text(r)) = &mut content[0] else { panic!("{content:?}") };
    r.signature = Some(format!("x{}", r.signature.as_deref().unwrap()));

    let mut second = reasoning_tool_request();
    second.messages.push(message(Role::Assistant, content));
    second.messages.push(tool_result(&call_id, r#"{"tempC":21}"#));
    for streamed in [false, true] {
        let e = if streamed {
            h.host.stream(&settings, second.clone()).await.err().unwrap()
        } else {
            h.host.generate(&settings, second.clone()).await.unwrap_err()
        };
        assert_eq!(e.kind, ErrorKind::InvalidRequest, "{e:?}");
        assert_eq!(e.status, Some(400));
        assert!(e.message.contains("signature"), "{}", e.message);
    }
    assert_eq!(h.emulator.requests().last().unwrap().status, 400);
}

#[tokio::test]
async fn dropping_the_reasoning_from_history_is_refused_upstream() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let first = h.host.generate(&settings, reasoning_tool_request()).await.unwrap();
    let call = tool_calls(&first.content)[0].clone();
    let mut second = reasoning_tool_request();
    second.messages.push(message(Role::Assistant, vec![ContentPart::ToolCall(call.clone())]));
    second.messages.push(tool_result(&call.id, r#"{"tempC":21}"#));
    let e = h.host.generate(&settings, second).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    assert!(e.message.contains("thinking"), "{}", e.message);
}

#[tokio::test]
async fn redacted_reasoning_goes_back_as_base64() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let first = h.host.generate(&settings, reasoning_tool_request()).await.unwrap();
    let call = tool_calls(&first.content)[0].clone();
    let mut second = reasoning_tool_request();
    second.messages.push(message(
        Role::Assistant,
        vec![
            ContentPart::Reasoning(Reasoning::Redacted(b"opaque".to_vec())),
            ContentPart::ToolCall(call.clone()),
        ],
    ));
    second.messages.push(tool_result(&call.id, r#"{"tempC":21}"#));
    let parts = stream_all(&h, &settings, second).await;
    assert_eq!(finish_of(&parts).reason, FinishReason::Stop);
    assert_eq!(
        last_body(&h)["messages"][1]["content"][0],
        json!({"reasoningContent": {"redactedContent": "b3BhcXVl"}})
    );
}

#[tokio::test]
async fn tool_results_and_a_follow_up_question_share_one_user_turn() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let mut request = chat("Weather in Paris?");
    request.tools = vec![weather_tool()];
    let first = h.host.generate(&settings, request.clone()).await.unwrap();
    let id = tool_calls(&first.content)[0].id.clone();
    request.messages.push(message(Role::Assistant, first.content));
    request.messages.push(tool_result(&id, r#"{"tempC":21}"#));
    request.messages.push(message(Role::User, vec![ContentPart::Text("And in Celsius?".into())]));
    let answer = h.host.generate(&settings, request).await.unwrap();
    assert!(answer.text.contains(r#"returned: {"tempC":21}"#), "{}", answer.text);
    let body = last_body(&h);
    assert_eq!(body["messages"].as_array().unwrap().len(), 3, "{body}");
    assert_eq!(body["messages"][2]["content"][1], json!({"text": "And in Celsius?"}));
}

#[tokio::test]
async fn a_tool_loop_without_reasoning_and_an_error_result() {
    let h = Harness::start().await;
    let settings = h.settings(json!({"languageModel": "amazon-bedrock|amazon.nova-lite-v1:0"}));
    let mut request = chat("What is the weather in Paris?");
    request.tools = vec![weather_tool()];
    let first = h.host.generate(&settings, request.clone()).await.unwrap();
    assert_eq!(first.finish_reason, FinishReason::ToolCalls);
    assert!(reasoning_texts(&first.content).is_empty());
    let call = tool_calls(&first.content)[0].clone();

    request.messages.push(message(Role::Assistant, first.content.clone()));
    request.messages.push(message(
        Role::Tool,
        vec![ContentPart::ToolResult(ToolResult {
            id: call.id.clone(),
            content: vec![ToolResultContent::Text("weather service unreachable".into())],
            is_error: true,
        })],
    ));
    let answer = h.host.generate(&settings, request).await.unwrap();
    assert!(answer.text.contains("returned: weather service unreachable"), "{}", answer.text);
    let result = &last_body(&h)["messages"][2]["content"][0]["toolResult"];
    assert_eq!(result["status"], "error");
    assert_eq!(result["content"], json!([{"text": "weather service unreachable"}]));
}

// ---------- tool choice and the tool contract ----------

#[tokio::test]
async fn tool_choice_variants_reach_the_wire() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let mut request = chat("What time is it in Tokyo?");
    request.tools = vec![weather_tool(), time_tool()];

    for (choice, wire) in [
        (ToolChoice::Auto, json!({"auto": {}})),
        (ToolChoice::Required, json!({"any": {}})),
        (ToolChoice::Tool("get_time".into()), json!({"tool": {"name": "get_time"}})),
    ] {
        let answer = h
            .host
            .generate(&settings, GenerateRequest { tool_choice: Some(choice), ..request.clone() })
            .await
            .unwrap();
        let body = last_body(&h);
        assert_eq!(body["toolConfig"]["toolChoice"], wire);
        assert_eq!(body["toolConfig"]["tools"].as_array().unwrap().len(), 2);
        let expected = if wire.get("tool").is_some() { "get_time" } else { "get_weather" };
        assert_eq!(tool_calls(&answer.content)[0].name, expected, "{wire}");
    }

    // Stream, named tool: the emulator answers with that tool.
    let parts = stream_all(
        &h,
        &settings,
        GenerateRequest {
            tool_choice: Some(ToolChoice::Tool("get_time".into())),
            ..request.clone()
        },
    )
    .await;
    assert_eq!(assistant_content_from_stream(&parts).len(), 1);
    let call = tool_calls(&assistant_content_from_stream(&parts))[0].clone();
    assert_eq!(call.name, "get_time");
    assert_eq!(call.input_json, r#"{"zone":"Paris"}"#);

    // `none` without tool history: no tools are sent, so the model cannot call one.
    let answer = h
        .host
        .generate(
            &settings,
            GenerateRequest { tool_choice: Some(ToolChoice::None), ..request.clone() },
        )
        .await
        .unwrap();
    assert!(last_body(&h).get("toolConfig").is_none());
    assert_eq!(answer.finish_reason, FinishReason::Stop);
    assert!(tool_calls(&answer.content).is_empty());
}

#[tokio::test]
async fn tool_choice_none_with_tool_history_keeps_the_tools_and_warns() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let mut request = chat("Weather?");
    request.tools = vec![weather_tool()];
    let first = h.host.generate(&settings, request.clone()).await.unwrap();
    let id = tool_calls(&first.content)[0].id.clone();
    request.messages.push(message(Role::Assistant, first.content));
    request.messages.push(tool_result(&id, r#"{"tempC":3}"#));
    request.tool_choice = Some(ToolChoice::None);

    let answer = h.host.generate(&settings, request.clone()).await.unwrap();
    assert!(last_body(&h)["toolConfig"]["tools"].is_array());
    assert!(
        answer.warnings.iter().any(|w| w.code == "tool-choice-unsupported"),
        "{:?}",
        answer.warnings
    );
    let parts = stream_all(&h, &settings, request).await;
    assert!(warnings_of(&parts).iter().any(|w| w.code == "tool-choice-unsupported"));
}

#[tokio::test]
async fn broken_tool_contracts_are_refused_before_sending() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let call = |id: &str| {
        ContentPart::ToolCall(ToolCall {
            id: id.into(),
            name: "get_weather".into(),
            input_json: "{}".into(),
        })
    };
    let history = |call_part: ContentPart, result: Message| {
        let mut r = chat("Weather?");
        r.tools = vec![weather_tool()];
        r.messages.push(message(Role::Assistant, vec![call_part]));
        r.messages.push(result);
        r
    };
    let mut no_tools = history(call("t1"), tool_result("t1", "{}"));
    no_tools.tools.clear();
    let cases: Vec<(&str, GenerateRequest, &str)> = vec![
        (
            "bad tool-use id",
            history(call("has space"), tool_result("has space", "{}")),
            "messages[1].content[0]",
        ),
        (
            "result for no call",
            history(call("t1"), tool_result("t2", "{}")),
            "messages[2].content[0]",
        ),
        (
            "json result not an object",
            history(call("t1"), tool_result("t1", "[1,2]")),
            "messages[2].content[0].content[0]",
        ),
        ("tool history without tools", no_tools, "tools"),
        ("empty text", chat(" "), "messages[0].content[0]"),
        (
            "forced tool with reasoning",
            GenerateRequest { tool_choice: Some(ToolChoice::Required), ..reasoning_tool_request() },
            "toolChoice",
        ),
        (
            "unknown named tool",
            GenerateRequest {
                tool_choice: Some(ToolChoice::Tool("nope".into())),
                tools: vec![weather_tool()],
                ..chat("hi")
            },
            "toolChoice",
        ),
    ];
    for (what, request, field) in cases {
        for streamed in [false, true] {
            let e = if streamed {
                h.host.stream(&settings, request.clone()).await.err().unwrap()
            } else {
                h.host.generate(&settings, request.clone()).await.unwrap_err()
            };
            assert_eq!(e.kind, ErrorKind::InvalidRequest, "{what}: {e:?}");
            assert!(e.field.as_deref().is_some_and(|f| f.starts_with(field)), "{what}: {e:?}");
            assert!(e.status.is_none(), "{what}: refused before sending");
        }
    }
    assert!(h.emulator.requests().is_empty(), "nothing was sent");
}

// ---------- images and documents ----------

/// A PNG signature and the start of an IHDR chunk.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
const PNG_BASE64: &str = "iVBORw0KGgoAAAANSUhEUg==";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
const PDF_BASE64: &str = "JVBERi0xLjQKMSAwIG9iaiA8PD4+IGVuZG9iagp0cmFpbGVyIDw8Pj4KJSVFT0YK";

fn image() -> ContentPart {
    ContentPart::Image(Image { format: "png".into(), source: MediaSource::Bytes(PNG.to_vec()) })
}

fn pdf(name: &str) -> ContentPart {
    ContentPart::Document(Document {
        format: "pdf".into(),
        name: name.into(),
        source: MediaSource::Bytes(PDF.to_vec()),
        citations: true,
    })
}

#[tokio::test]
async fn an_image_and_a_pdf_travel_as_base64_in_generate_and_stream() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let mut request = chat("unused");
    request.messages[0].content = vec![
        image(),
        pdf("Quarterly report (2024)"),
        ContentPart::Text("What do these show?".into()),
    ];

    let answer = h.host.generate(&settings, request.clone()).await.unwrap();
    assert!(answer.text.contains("What do these show?"), "{}", answer.text);
    let parts = stream_all(&h, &settings, request).await;
    assert!(text_of(&parts).contains("What do these show?"));

    let bodies = bodies(&h);
    assert_eq!(bodies.len(), 2);
    for body in bodies {
        let content = &body["messages"][0]["content"];
        assert_eq!(
            content[0],
            json!({"image": {"format": "png", "source": {"bytes": PNG_BASE64}}})
        );
        assert_eq!(
            content[1],
            json!({"document": {"format": "pdf", "name": "Quarterly report (2024)",
                "source": {"bytes": PDF_BASE64}, "citations": {"enabled": true}}})
        );
        assert_eq!(content[2], json!({"text": "What do these show?"}));
    }
}

#[tokio::test]
async fn documents_need_text_and_a_valid_name_before_sending() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let mut without_text = chat("unused");
    without_text.messages[0].content = vec![pdf("report"), image()];
    let e = h.host.generate(&settings, without_text.clone()).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    assert_eq!(e.field.as_deref(), Some("messages[0].content[0]"));
    assert!(e.message.contains("text"), "{}", e.message);
    assert!(h.host.stream(&settings, without_text).await.is_err());

    let mut bad_name = chat("Summarise");
    bad_name.messages[0].content.insert(0, pdf("report.pdf"));
    let e = h.host.generate(&settings, bad_name).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    assert_eq!(e.field.as_deref(), Some("messages[0].content[0].name"));
    assert!(h.emulator.requests().is_empty());
}

#[tokio::test]
async fn an_s3_image_is_sent_as_an_s3_location() {
    let h = Harness::start().await;
    let mut request = chat("Describe it");
    request.messages[0].content.insert(
        0,
        ContentPart::Image(Image {
            format: "jpeg".into(),
            source: MediaSource::S3(S3Location {
                uri: "s3://my-bucket/photos/cat.jpg".into(),
                bucket_owner: Some("123456789012".into()),
            }),
        }),
    );
    // The emulator has no S3, so it answers as for a missing object; the shape was accepted.
    let e = h.host.generate(&h.settings(json!({})), request).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    assert!(e.message.contains("S3Location"), "{}", e.message);
    assert_eq!(
        last_body(&h)["messages"][0]["content"][0]["image"]["source"],
        json!({"s3Location": {"uri": "s3://my-bucket/photos/cat.jpg", "bucketOwner": "123456789012"}})
    );
}

// ---------- prompt caching ----------

fn cached_request(prompt: &str) -> GenerateRequest {
    let cache = || ContentPart::CachePoint(CachePoint { ttl: None });
    let mut tool = weather_tool();
    tool.cache_point = Some(CachePoint { ttl: Some("1h".into()) });
    let mut request = chat("unused");
    request.messages = vec![
        message(
            Role::System,
            vec![ContentPart::Text("You are a meticulous assistant. ".repeat(20)), cache()],
        ),
        message(Role::User, vec![ContentPart::Text(prompt.repeat(10)), cache()]),
    ];
    request.tools = vec![tool];
    request
}

#[tokio::test]
async fn cache_points_write_then_read_in_generate() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let request = cached_request("Tell me about caching. ");
    let first = h.host.generate(&settings, request.clone()).await.unwrap();
    let write = first.usage.cache_write_tokens.unwrap();
    assert!(write > 100, "{:?}", first.usage);
    assert_eq!(first.usage.cache_read_tokens, Some(0));
    let second = h.host.generate(&settings, request).await.unwrap();
    assert_eq!(second.usage.cache_read_tokens, Some(write), "{:?}", second.usage);
    assert_eq!(second.usage.cache_write_tokens, Some(0));

    let body = last_body(&h);
    assert_eq!(body["system"][1], json!({"cachePoint": {"type": "default"}}));
    assert_eq!(body["messages"][0]["content"][1], json!({"cachePoint": {"type": "default"}}));
    assert_eq!(
        body["toolConfig"]["tools"][1],
        json!({"cachePoint": {"type": "default", "ttl": "1h"}})
    );
}

#[tokio::test]
async fn cache_points_write_then_read_in_stream_including_tools() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let request = cached_request("Streams and caches. ");
    let first = stream_all(&h, &settings, request.clone()).await;
    let usage = usage_of(&first);
    let write = usage.cache_write_tokens.unwrap();
    assert!(write > 100, "{usage:?}");
    assert_eq!(usage.cache_read_tokens, None, "zero counts are not streamed");
    let second = stream_all(&h, &settings, request).await;
    assert_eq!(usage_of(&second).cache_read_tokens, Some(write));
    assert_eq!(usage_of(&second).cache_write_tokens, None);

    let tools = &last_body(&h)["toolConfig"]["tools"];
    assert_eq!(tools[1], json!({"cachePoint": {"type": "default", "ttl": "1h"}}));
}

#[tokio::test]
async fn a_fifth_cache_point_is_refused_before_sending() {
    let h = Harness::start().await;
    let mut request = cached_request("Too many. ");
    let cache = ContentPart::CachePoint(CachePoint { ttl: None });
    request.messages[1].content.extend([ContentPart::Text("more".into()), cache.clone()]);
    request.messages[1].content.extend([ContentPart::Text("more".into()), cache]);
    let e = h.host.generate(&h.settings(json!({})), request).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    assert!(e.message.contains("at most 4 cache points"), "{}", e.message);
    assert!(h.emulator.requests().is_empty());
}

// ---------- guardrails ----------

fn guarded(trace: &str) -> GenerateRequest {
    GenerateRequest {
        guardrail: Some(Guardrail {
            identifier: "1abcd2ef34gh".into(),
            version: "1".into(),
            trace: Some(trace.into()),
        }),
        ..chat("Tell me about the restricted topic.")
    }
}

#[tokio::test]
async fn a_guardrail_intervention_in_generate_and_stream() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let answer = h.host.generate(&settings, guarded("enabled")).await.unwrap();
    assert_eq!(answer.finish_reason, FinishReason::GuardrailIntervened);
    assert_eq!(answer.raw_finish_reason, "guardrail_intervened");
    assert_eq!(answer.text, "Sorry, the model cannot answer this question.");
    let trace: Value = serde_json::from_str(answer.trace_json.as_deref().unwrap()).unwrap();
    assert_eq!(
        trace["guardrail"]["inputAssessment"]["1abcd2ef34gh"]["topicPolicy"]["topics"][0]["action"],
        "BLOCKED"
    );
    assert_eq!(
        last_body(&h)["guardrailConfig"],
        json!({"guardrailIdentifier": "1abcd2ef34gh", "guardrailVersion": "1", "trace": "enabled"})
    );

    let parts = stream_all(&h, &settings, guarded("enabled_full")).await;
    assert_eq!(finish_of(&parts).reason, FinishReason::GuardrailIntervened);
    assert_eq!(text_of(&parts), "Sorry, the model cannot answer this question.");
    let trace = parts.iter().find_map(|p| match p {
        StreamPart::Trace(t) => Some(serde_json::from_str::<Value>(t).unwrap()),
        _ => None,
    });
    assert!(trace.unwrap()["guardrail"]["inputAssessment"].is_object());
    assert_eq!(last_body(&h)["guardrailConfig"]["trace"], "enabled_full");
}

#[tokio::test]
async fn a_guardrail_that_lets_the_answer_through_and_a_bad_one() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let mut request = guarded("disabled");
    request.guardrail.as_mut().unwrap().identifier =
        "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123".into();
    request.guardrail.as_mut().unwrap().version = "DRAFT".into();
    let answer = h.host.generate(&settings, request.clone()).await.unwrap();
    assert_eq!(answer.finish_reason, FinishReason::Stop);
    assert!(answer.trace_json.is_none());

    request.guardrail.as_mut().unwrap().version = "v1".into();
    let e = h.host.generate(&settings, request).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    assert_eq!(e.field.as_deref(), Some("guardrail.version"));
}

// ---------- provider options ----------

#[tokio::test]
async fn provider_options_pass_through_to_the_wire() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let options = json!({
        "additionalModelRequestFields": {"top_k": 200},
        "additionalModelResponseFieldPaths": ["/stop_sequence"],
        "performanceConfig": {"latency": "optimized"},
        "serviceTier": {"type": "priority"},
        "requestMetadata": {"tenant": "acme", "trace-id": "abc-123"},
    });
    let mut request = chat("Say hello and STOP there");
    request.settings.stop_sequences = vec!["STOP".into()];
    request.provider_options = Some(options.to_string());

    let answer = h.host.generate(&settings, request.clone()).await.unwrap();
    assert_eq!(answer.finish_reason, FinishReason::StopSequence);
    let fields: Value =
        serde_json::from_str(answer.additional_fields_json.as_deref().unwrap()).unwrap();
    assert_eq!(fields, json!({"stop_sequence": "STOP"}));
    let parts = stream_all(&h, &settings, request).await;
    let finish = finish_of(&parts);
    assert_eq!(finish.reason, FinishReason::StopSequence);
    let fields: Value =
        serde_json::from_str(finish.additional_fields_json.as_deref().unwrap()).unwrap();
    assert_eq!(fields, json!({"delta": {"stop_sequence": "STOP"}}));

    for body in bodies(&h) {
        for key in [
            "additionalModelRequestFields",
            "additionalModelResponseFieldPaths",
            "performanceConfig",
            "serviceTier",
            "requestMetadata",
        ] {
            assert_eq!(body[key], options[key], "{key}");
        }
    }
}

#[tokio::test]
async fn invalid_provider_options_name_the_key() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let cases = [
        (json!({"topK": 5}).to_string(), "providerOptions.topK"),
        (json!({"serviceTier": {"type": "gold"}}).to_string(), "providerOptions.serviceTier.type"),
        (
            json!({"performanceConfig": {"latency": "fast"}}).to_string(),
            "providerOptions.performanceConfig.latency",
        ),
        (
            json!({"additionalModelResponseFieldPaths": ["stop_sequence"]}).to_string(),
            "providerOptions.additionalModelResponseFieldPaths[0]",
        ),
        (
            json!({"requestMetadata": {"bad!": "x"}}).to_string(),
            "providerOptions.requestMetadata.bad!",
        ),
        (
            json!({"additionalModelRequestFields": [1]}).to_string(),
            "providerOptions.additionalModelRequestFields",
        ),
        ("{not json".to_string(), "providerOptions"),
        ("[1]".to_string(), "providerOptions"),
    ];
    for (options, field) in cases {
        let request = GenerateRequest { provider_options: Some(options.clone()), ..chat("hi") };
        let e = h.host.generate(&settings, request.clone()).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest, "{options}");
        assert_eq!(e.field.as_deref(), Some(field), "{options}: {e:?}");
        let e = h.host.stream(&settings, request).await.err().unwrap();
        assert_eq!(e.field.as_deref(), Some(field), "{options}");
    }
    let unknown =
        GenerateRequest { provider_options: Some(json!({"topK": 5}).to_string()), ..chat("hi") };
    let e = h.host.generate(&settings, unknown).await.unwrap_err();
    assert!(e.message.contains("topK"), "{}", e.message);
    assert!(h.emulator.requests().is_empty());
}

// ---------- warnings ----------

#[tokio::test]
async fn settings_dropped_for_reasoning_are_warned_about() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let mut request = chat("hi");
    request.settings.reasoning_budget = Some(2048);
    request.settings.max_tokens = Some(4096);
    request.settings.temperature = Some(0.3);
    request.provider_options =
        Some(json!({"additionalModelRequestFields": {"top_k": 40}}).to_string());

    let answer = h.host.generate(&settings, request.clone()).await.unwrap();
    let dropped: Vec<&str> = answer
        .warnings
        .iter()
        .filter(|w| w.code == "setting-dropped")
        .map(|w| w.message.as_str())
        .collect();
    assert!(dropped.iter().any(|m| m.contains("temperature")), "{dropped:?}");
    assert!(dropped.iter().any(|m| m.contains("top_k")), "{dropped:?}");
    assert!(!reasoning_texts(&answer.content).is_empty());
    let body = last_body(&h);
    assert!(body["inferenceConfig"].get("temperature").is_none(), "{body}");
    assert!(body["additionalModelRequestFields"].get("top_k").is_none(), "{body}");

    let parts = stream_all(&h, &settings, request).await;
    let warnings = warnings_of(&parts);
    assert!(
        warnings.iter().any(|w| w.code == "setting-dropped" && w.message.contains("temperature"))
    );
    assert!(matches!(parts[1], StreamPart::Warning(_)), "warnings follow the start: {parts:?}");
}

// ---------- recorded fixtures (spec §15) through the component ----------

#[tokio::test]
async fn text_and_arn_fixtures() {
    let h = Harness::start().await;
    let answer = h.host.generate(&scenario(&h, "text-fixture"), chat("hi")).await.unwrap();
    let text = "Let me count the \"r\"s in \"strawberry\":\n\ns-t-**r**-a-w-b-e-**r**-**r**-y\n\nThere are **3** \"r\"s in \"strawberry.\"";
    assert_eq!(answer.text, text);
    assert_eq!(answer.finish_reason, FinishReason::Stop);
    assert_eq!(
        (answer.usage.input_tokens, answer.usage.output_tokens, answer.usage.total_tokens),
        (22, 57, 79)
    );
    assert_eq!(answer.usage.cache_read_tokens, Some(0));
    assert_eq!(answer.metadata.latency_ms, Some(1864));
    let parts = stream_all(&h, &scenario(&h, "text-fixture"), chat("hi")).await;
    assert_eq!(text_of(&parts), text);
    assert_eq!(finish_of(&parts).reason, FinishReason::Stop);
    assert_eq!(usage_of(&parts).total_tokens, 79);

    let answer = h.host.generate(&scenario(&h, "arn-fixture"), chat("hi")).await.unwrap();
    assert!(answer.text.starts_with("Sorry, I can't respond in a way"));
    assert_eq!(answer.usage.cache_read_tokens, None, "Nova reports no cache fields");
    assert_eq!(answer.usage.total_tokens, 55);
    let parts = stream_all(&h, &scenario(&h, "arn-fixture"), chat("hi")).await;
    assert_eq!(text_of(&parts), answer.text);
}

#[tokio::test]
async fn reasoning_fixture() {
    let h = Harness::start().await;
    let settings = scenario(&h, "reasoning-fixture");
    let answer = h.host.generate(&settings, chat("hi")).await.unwrap();
    assert_eq!(answer.content.len(), 2);
    let r = reasoning_texts(&answer.content)[0];
    assert_eq!(
        r.text,
        "Let me count the r's in \"strawberry\":\n\ns-t-r-a-w-b-e-r-r-y\n\nThere are 3 r's."
    );
    assert!(r.signature.as_deref().unwrap().starts_with("EvYBCkgICxABGAIqQA9E9VC377Un"));
    assert!(r.signature.as_deref().unwrap().ends_with("3k5kuU1h6hcGAE="));
    assert_eq!(answer.text, "There are **3** r's in \"strawberry\":\n\n1. st**r**awbe**r****r**y");

    let parts = stream_all(&h, &settings, chat("hi")).await;
    let content = assistant_content_from_stream(&parts);
    let streamed = reasoning_texts(&content)[0];
    assert_eq!(streamed.text, r.text);
    assert_eq!(streamed.signature, r.signature);
    assert_eq!(text_of(&parts), answer.text);
}

#[tokio::test]
async fn tool_fixture() {
    let h = Harness::start().await;
    let settings = scenario(&h, "tool-fixture");
    let answer = h.host.generate(&settings, chat("hi")).await.unwrap();
    assert_eq!(answer.finish_reason, FinishReason::ToolCalls);
    assert_eq!(answer.raw_finish_reason, "tool_use");
    let call = tool_calls(&answer.content)[0];
    assert_eq!(call.id, "tooluse_j6gIgqF8PljNKBylAe15oP");
    assert_eq!(call.name, "querySalesforce");
    assert_eq!(
        serde_json::from_str::<Value>(&call.input_json).unwrap(),
        json!({"query": "SELECT Id FROM Account"})
    );
    assert_eq!(answer.additional_fields_json.as_deref(), Some(r#"{"stop_sequence":null}"#));
    assert_eq!(answer.text, "");

    let parts = stream_all(&h, &settings, chat("hi")).await;
    assert!(
        parts
            .iter()
            .any(|p| matches!(p, StreamPart::ToolCallStart(s) if s.name == "querySalesforce"))
    );
    let streamed = tool_calls(&assistant_content_from_stream(&parts))[0].clone();
    assert_eq!(streamed.id, call.id);
    assert_eq!(
        serde_json::from_str::<Value>(&streamed.input_json).unwrap(),
        json!({"query": "SELECT Id FROM Account"})
    );
    assert_eq!(finish_of(&parts).reason, FinishReason::ToolCalls);
}

#[tokio::test]
async fn citations_fixture() {
    let h = Harness::start().await;
    let settings = scenario(&h, "citations-fixture");
    let answer = h.host.generate(&settings, chat("hi")).await.unwrap();
    assert_eq!(answer.content.len(), 3);
    let ContentPart::CitedText(cited) = &answer.content[1] else { panic!("{:?}", answer.content) };
    assert!(cited.text.starts_with("The document only mentions that"));
    let citations: Value = serde_json::from_str(&cited.citations_json).unwrap();
    assert_eq!(citations[0]["title"], "document-1");
    assert_eq!(
        citations[0]["location"]["documentPage"],
        json!({"documentIndex": 0, "end": 2, "start": 1})
    );
    assert!(
        answer.text.contains("The document only mentions that"),
        "cited text is part of the text"
    );
    assert!(answer.text.ends_with("explanation of what the AI SDK itself is."));

    let parts = stream_all(&h, &settings, chat("hi")).await;
    let citation = parts
        .iter()
        .find_map(|p| match p {
            StreamPart::Citation(c) => Some(serde_json::from_str::<Value>(c).unwrap()),
            _ => None,
        })
        .unwrap();
    assert_eq!(citation["title"], "document-1");
    assert_eq!(text_of(&parts), answer.text);

    // The cited answer goes back in history as plain text, which every model accepts.
    let mut next = chat("hi");
    next.messages.push(message(Role::Assistant, answer.content.clone()));
    next.messages.push(message(Role::User, vec![ContentPart::Text("Thanks".into())]));
    h.host.generate(&h.settings(json!({})), next).await.unwrap();
    let sent = &last_body(&h)["messages"][1]["content"];
    assert_eq!(sent[1]["text"].as_str(), Some(cited.text.as_str()));
    assert!(sent[1].get("citationsContent").is_none());
}

#[tokio::test]
async fn guardrail_fixture() {
    let h = Harness::start().await;
    let settings = scenario(&h, "guardrail-fixture");
    let answer = h.host.generate(&settings, chat("hi")).await.unwrap();
    assert_eq!(answer.finish_reason, FinishReason::GuardrailIntervened);
    assert!(answer.trace_json.as_deref().unwrap().contains("Restricted topic"));
    let parts = stream_all(&h, &settings, chat("hi")).await;
    assert_eq!(finish_of(&parts).reason, FinishReason::GuardrailIntervened);
    assert!(
        parts.iter().any(|p| matches!(p, StreamPart::Trace(t) if t.contains("Restricted topic")))
    );
}

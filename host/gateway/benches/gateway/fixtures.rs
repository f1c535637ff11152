//! The inputs every benchmark shares, built identically for the component (WIT types) and for
//! the native baseline (`bedrock_provider::api` types).

use std::sync::Arc;

use bedrock_gateway::types as wit;
use bedrock_provider::api;
use bedrock_provider::stream::testing;
use bytes::Bytes;
use gateway_bench::{CONVERSE_TEXT_FIXTURE, converse_stream_fixture};
use provider_runtime::outbound::InMemoryUpstream;

/// The component under test: `BENCH_COMPONENT=<file.wasm>` (to compare builds without
/// rebuilding the host), else the bundled one.
pub fn component() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| match component_override() {
        Some(path) => std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        None => bedrock_gateway::bundled_component().to_vec(),
    })
}

/// The file named by `BENCH_COMPONENT`, if any.
pub fn component_override() -> Option<std::path::PathBuf> {
    std::env::var_os("BENCH_COMPONENT").map(std::path::PathBuf::from)
}

/// SigV4 settings with the spec's example key pair; requests go to the real regional endpoint
/// name, which the in-memory upstream answers (so the host's policy still runs).
pub const SETTINGS: &str = r#"{"region":"us-east-1","accessKeyId":"AKIAIOSFODNN7EXAMPLE","secretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","languageModel":"amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0"}"#;

/// The same with a Bedrock API key (bearer) instead of SigV4: the difference between the two
/// is the cost of signing.
pub const SETTINGS_API_KEY: &str = r#"{"region":"us-east-1","apiKey":"ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl","languageModel":"amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0"}"#;

/// The model ID the settings name.
pub const MODEL_ID: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

/// A model spec that the provider rejects before building a request (wrong provider name).
pub const REJECTED_MODEL: &str = "openai|gpt-4o";

/// The request ID the canned answers carry.
pub const REQUEST_ID: &str = "00000000-0000-4000-8000-000000000000";

/// The answer text of the Converse fixture (spec §15.1).
pub const FIXTURE_TEXT: &str = "Let me count the \"r\"s in \"strawberry\":\n\ns-t-**r**-a-w-b-e-**r**-**r**-y\n\nThere are **3** \"r\"s in \"strawberry.\"";

const SYSTEM: &str = "You are a concise assistant. Answer in one short paragraph.";
const PROMPT: &str = "How many times does the letter r occur in the word strawberry?";

/// A typical chat request, as the gateway passes it to the component.
pub fn wit_request(model: Option<&str>) -> wit::GenerateRequest {
    wit::GenerateRequest {
        model: model.map(str::to_string),
        messages: vec![
            wit::Message {
                role: wit::Role::System,
                content: vec![wit::ContentPart::Text(SYSTEM.into())],
            },
            wit::Message {
                role: wit::Role::User,
                content: vec![wit::ContentPart::Text(PROMPT.into())],
            },
        ],
        settings: wit::InferenceSettings {
            max_tokens: Some(512),
            temperature: Some(0.5),
            top_p: None,
            stop_sequences: vec![],
            reasoning_budget: None,
            reasoning_effort: None,
        },
        tools: vec![],
        tool_choice: None,
        guardrail: None,
        response_format: None,
        provider_options: None,
    }
}

/// The same request for the native baseline.
pub fn native_request(model: Option<&str>) -> api::GenerateRequest {
    api::GenerateRequest {
        model: model.map(str::to_string),
        messages: vec![
            api::Message {
                role: api::Role::System,
                content: vec![api::ContentPart::Text(SYSTEM.into())],
            },
            api::Message {
                role: api::Role::User,
                content: vec![api::ContentPart::Text(PROMPT.into())],
            },
        ],
        settings: api::InferenceSettings {
            max_tokens: Some(512),
            temperature: Some(0.5),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Spec §10.3 TV-4's decoded events, one `<:event-type> <payload>` per line.
const TV4_EVENTS: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/eventstream/tv4-events.txt"));

/// A ConverseStream body in the style of the recorded ones (spec §10.3 TV-4: every event
/// padded with a `p` field): TV-4's `messageStart`, `deltas` text deltas of `text_len`
/// characters each, then TV-4's `contentBlockStop`, `messageStop` and `metadata`.
pub fn stream_body(deltas: usize, text_len: usize) -> Vec<u8> {
    const PAD: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012";
    let tv4: Vec<(&str, &str)> = TV4_EVENTS.lines().filter_map(|l| l.split_once(' ')).collect();
    assert_eq!(tv4.len(), 6, "TV-4 has six events");
    let mut out = testing::event(tv4[0].0, tv4[0].1);
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
    for (event_type, payload) in &tv4[3..] {
        out.extend(testing::event(event_type, payload));
    }
    out
}

/// The recorded ConverseStream answer (spec TV-4).
pub fn recorded_stream() -> Vec<u8> {
    converse_stream_fixture().to_vec()
}

/// An in-memory upstream answering Converse with the §15.1 fixture and ConverseStream with
/// `stream`. A request without a SigV4 or bearer `authorization` header gets a 403, so a broken
/// signing path cannot pass as fast.
pub fn upstream(stream: Vec<u8>) -> InMemoryUpstream {
    let stream = Bytes::from(stream);
    let converse = Bytes::from_static(CONVERSE_TEXT_FIXTURE.as_bytes());
    Arc::new(move |parts: &http::request::Parts, _body: &[u8]| {
        let signed = parts.headers.get("authorization").is_some_and(|v| {
            v.as_bytes().starts_with(b"AWS4-HMAC-SHA256 ") || v.as_bytes().starts_with(b"Bearer ")
        });
        let (status, content_type, body) = if !signed {
            (403, "application/json", Bytes::from_static(br#"{"message":"not signed"}"#))
        } else if parts.uri.path().ends_with("/converse-stream") {
            (200, "application/vnd.amazon.eventstream", stream.clone())
        } else {
            (200, "application/json", converse.clone())
        };
        http::Response::builder()
            .status(status)
            .header("content-type", content_type)
            .header("x-amzn-requestid", REQUEST_ID)
            .body(body)
            .unwrap_or_default()
    })
}

/// Writes [`SETTINGS`] pointed at `base_url` (a loopback upstream) to `path`, for the gateway
/// binary's `--settings`.
pub fn write_settings(path: &std::path::Path, base_url: &str) {
    let mut json: serde_json::Value = serde_json::from_str(SETTINGS).expect("SETTINGS is JSON");
    json["baseUrl"] = base_url.into();
    std::fs::write(path, json.to_string()).expect("settings written");
}

//! `converse::parse_response`: arbitrary bytes, and the spec's recorded Converse responses
//! (§6, §15.1-15.6, the §2.2 routing error; the same files as the seeds) with JSON-level
//! mutations driven by the input, so the fuzzer explores valid JSON of the right shape.
//!
//! Properties:
//! - a refusal is `invalid-response` with a message (and no request ID: none was given);
//! - an answer keeps the raw `stopReason`, maps it like `converse::finish_reason`, and says
//!   `other` exactly when the raw reason is not one of Bedrock's;
//! - `text` is the text and cited-text parts joined; tool inputs, citations, trace and
//!   additional fields are JSON texts; the metadata names the model.

use arbitrary::Unstructured;
use bedrock_provider::api::{ContentPart, FinishReason};
use bedrock_provider::converse::{finish_reason, parse_response};
use bedrock_provider::error::ErrorKind;
use serde_json::{Map, Value, json};

use super::{Outcomes, word};

/// The fixtures the mutations start from: the verbatim spec fixtures in the repository's
/// `fixtures/converse/`, which are also this target's seeds (`seeds/converse_response/` links them).
const FIXTURES: [&str; 8] = [
    include_str!("../../../fixtures/converse/application-inference-profile.json"),
    include_str!("../../../fixtures/converse/text.json"),
    include_str!("../../../fixtures/converse/reasoning.json"),
    include_str!("../../../fixtures/converse/tool-use-stop-sequence-null.json"),
    include_str!("../../../fixtures/converse/citations.json"),
    include_str!("../../../fixtures/converse/guardrail-intervened.json"),
    include_str!("../../../fixtures/converse/foundation-model-arn.json"),
    include_str!("../../../fixtures/converse/unknown-operation.json"),
];

/// Every `stopReason` Bedrock documents (spec §6).
const STOP_REASONS: [&str; 9] = [
    "end_turn",
    "tool_use",
    "max_tokens",
    "stop_sequence",
    "guardrail_intervened",
    "content_filtered",
    "malformed_model_output",
    "malformed_tool_use",
    "model_context_window_exceeded",
];

const MODEL: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";

/// Runs the response properties on `data` as a body and on a fixture mutated by `data`.
pub fn check(data: &[u8]) -> Outcomes {
    let mut out = Outcomes::default();
    check_body(data, &mut out);
    if let Ok(body) = mutated_fixture(&mut Unstructured::new(data)) {
        check_body(body.as_bytes(), &mut out);
    }
    out
}

fn check_body(body: &[u8], out: &mut Outcomes) {
    let result = parse_response(body, MODEL, None);
    out.record(&result);
    let r = match result {
        Ok(r) => r,
        Err(e) => {
            assert_eq!(e.kind, ErrorKind::InvalidResponse, "{e:?}");
            assert!(!e.message.is_empty(), "{e:?}");
            assert_eq!(e.request_id, None, "{e:?}");
            return;
        }
    };
    let root: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    assert_eq!(root.get("stopReason").and_then(Value::as_str), Some(r.raw_finish_reason.as_str()));
    assert_eq!(r.finish_reason, finish_reason(&r.raw_finish_reason));
    assert_eq!(
        r.finish_reason == FinishReason::Other,
        !STOP_REASONS.contains(&r.raw_finish_reason.as_str()),
        "{:?} for {:?}",
        r.finish_reason,
        r.raw_finish_reason
    );
    let mut text = String::new();
    for part in &r.content {
        match part {
            ContentPart::Text(t) => text.push_str(t),
            ContentPart::CitedText(c) => {
                text.push_str(&c.text);
                is_json(&c.citations_json);
            }
            ContentPart::ToolCall(c) => is_json(&c.input_json),
            _ => {}
        }
    }
    assert_eq!(r.text, text);
    for json in r.trace_json.iter().chain(&r.additional_fields_json) {
        is_json(json);
    }
    assert_eq!(r.metadata.model, MODEL);
    assert_eq!(r.metadata.request_id, None);
}

fn is_json(text: &str) {
    assert!(serde_json::from_str::<Value>(text).is_ok(), "not JSON: {text:?}");
}

// ---- Mutations ----

/// Keys of Converse responses, for inserted and renamed members.
const KEYS: &[&str] = &[
    "output",
    "message",
    "content",
    "role",
    "stopReason",
    "usage",
    "metrics",
    "latencyMs",
    "text",
    "toolUse",
    "toolUseId",
    "name",
    "input",
    "reasoningContent",
    "reasoningText",
    "redactedContent",
    "signature",
    "citationsContent",
    "citations",
    "trace",
    "additionalModelResponseFields",
    "inputTokens",
    "cacheReadInputTokens",
    "cacheWriteInputTokenCount",
    "Output",
    "__type",
];

/// A fixture with up to eight mutations: replace, remove, insert, duplicate or rename a node.
fn mutated_fixture(u: &mut Unstructured) -> arbitrary::Result<String> {
    let fixture = u.choose(&FIXTURES)?;
    let mut root: Value = serde_json::from_str(fixture).unwrap_or(Value::Null);
    for _ in 0..u.int_in_range(0..=8)? {
        let op = u.int_in_range(0..=4)?;
        let node = pick_node(u, &mut root)?;
        match (op, node) {
            (0, node) => *node = leaf(u)?,
            (1, Value::Object(map)) => {
                if let Some(key) = pick_key(u, map)? {
                    map.remove(&key);
                }
            }
            (1, Value::Array(items)) if !items.is_empty() => {
                let at = u.choose_index(items.len())?;
                items.remove(at);
            }
            (2, Value::Object(map)) => {
                let value = leaf(u)?;
                map.insert(word(u, KEYS)?, value);
            }
            (2 | 3, Value::Array(items)) => {
                let item = match items.first() {
                    Some(first) if u.ratio(1, 2)? => first.clone(),
                    _ => leaf(u)?,
                };
                items.push(item);
            }
            (4, Value::Object(map)) => {
                if let Some(key) = pick_key(u, map)? {
                    let value = map.remove(&key).unwrap_or(Value::Null);
                    map.insert(word(u, KEYS)?, value);
                }
            }
            (_, node) => *node = leaf(u)?,
        }
    }
    Ok(root.to_string())
}

/// Walks down from `node` for a while, choosing children at random.
fn pick_node<'a>(u: &mut Unstructured, node: &'a mut Value) -> arbitrary::Result<&'a mut Value> {
    let len = match &*node {
        Value::Object(map) => map.len(),
        Value::Array(items) => items.len(),
        _ => 0,
    };
    if len == 0 || !u.ratio(3, 4)? {
        return Ok(node);
    }
    let at = u.choose_index(len)?;
    match node {
        Value::Object(map) => match map.values_mut().nth(at) {
            Some(child) => pick_node(u, child),
            None => Err(arbitrary::Error::IncorrectFormat),
        },
        Value::Array(items) => pick_node(u, &mut items[at]),
        other => Ok(other),
    }
}

fn pick_key(u: &mut Unstructured, map: &Map<String, Value>) -> arbitrary::Result<Option<String>> {
    if map.is_empty() {
        return Ok(None);
    }
    let at = u.choose_index(map.len())?;
    Ok(map.keys().nth(at).cloned())
}

/// A replacement value: JSON of every type, stop reasons, and content blocks of every kind
/// (valid and broken).
fn leaf(u: &mut Unstructured) -> arbitrary::Result<Value> {
    Ok(match u.int_in_range(0..=12)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => json!(u.arbitrary::<u64>()?),
        3 => json!(u.arbitrary::<i64>()?),
        4 => serde_json::Number::from_f64(u.arbitrary()?).map_or(Value::Null, Value::Number),
        5 => Value::String(word(u, &STOP_REASONS)?),
        6 => Value::String(u.arbitrary()?),
        7 => json!([]),
        8 => json!({}),
        9 => json!({"text": u.arbitrary::<String>()?}),
        10 => json!({"toolUse": {"toolUseId": "t", "name": "n", "input": leaf_scalar(u)?}}),
        11 => {
            let b64 = word(u, &["cmVkYWN0ZWQ=", "cmVkYWN0ZWQ", "!!", ""])?;
            json!({"reasoningContent": {"redactedContent": b64}})
        }
        _ => {
            json!({"citationsContent": {"content": [{"text": "c"}], "citations": leaf_scalar(u)?}})
        }
    })
}

fn leaf_scalar(u: &mut Unstructured) -> arbitrary::Result<Value> {
    Ok(match u.int_in_range(0..=3)? {
        0 => Value::Null,
        1 => json!({"q": u.arbitrary::<String>()?}),
        2 => Value::String(u.arbitrary()?),
        _ => json!([1, 2]),
    })
}

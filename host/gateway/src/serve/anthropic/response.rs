//! A complete answer as Anthropic's `message` object.

use base64::Engine as _;
use serde_json::{Value, json};

use super::{matched_stop_sequence, stop_reason, usage_json};
use crate::types::{ContentPart, GenerateResponse, Reasoning, ToolCall};

/// A tool call's input as a JSON object (the component checks it is one; `{}` otherwise).
pub fn tool_input(call: &ToolCall) -> Value {
    serde_json::from_str::<Value>(&call.input_json)
        .ok()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}))
}

/// The content blocks of an answer, in the order the model produced them. Thinking keeps its
/// signature and redacted thinking its data (base64), so clients can send them back.
pub fn content_blocks(content: &[ContentPart]) -> Vec<Value> {
    content
        .iter()
        .filter_map(|part| match part {
            ContentPart::Text(text) => Some(json!({"type": "text", "text": text})),
            // Bedrock's citation shape is not Anthropic's; the text is what clients need.
            ContentPart::CitedText(cited) => Some(json!({"type": "text", "text": cited.text})),
            ContentPart::ToolCall(call) => Some(json!({
                "type": "tool_use", "id": call.id, "name": call.name, "input": tool_input(call),
            })),
            ContentPart::Reasoning(Reasoning::Text(t)) => Some(json!({
                "type": "thinking", "thinking": t.text,
                "signature": t.signature.as_deref().unwrap_or_default(),
            })),
            ContentPart::Reasoning(Reasoning::Redacted(bytes)) => Some(json!({
                "type": "redacted_thinking",
                "data": base64::engine::general_purpose::STANDARD.encode(bytes),
            })),
            _ => None,
        })
        .collect()
}

/// The `message` object for a complete answer; `model` is the ID as answers show it, and
/// `stop_sequences` are the request's (to name the one that matched).
pub fn message_json(
    id: &str,
    model: &str,
    r: &GenerateResponse,
    stop_sequences: &[String],
) -> Value {
    json!({
        "id": id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content_blocks(&r.content),
        "stop_reason": stop_reason(r.finish_reason),
        "stop_sequence": matched_stop_sequence(
            r.finish_reason,
            r.additional_fields_json.as_deref(),
            stop_sequences,
        ),
        "usage": usage_json(&r.usage),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{FinishReason, ReasoningText, ResponseMetadata, Usage};

    #[test]
    fn a_message_with_every_block() {
        let r = GenerateResponse {
            content: vec![
                ContentPart::Reasoning(Reasoning::Text(ReasoningText {
                    text: "hmm".into(),
                    signature: Some("sig".into()),
                })),
                ContentPart::Reasoning(Reasoning::Redacted(vec![1, 2])),
                ContentPart::Text("Let me look.".into()),
                ContentPart::ToolCall(ToolCall {
                    id: "toolu_1".into(),
                    name: "f".into(),
                    input_json: r#"{"a":1}"#.into(),
                }),
            ],
            text: "Let me look.".into(),
            finish_reason: FinishReason::ToolCalls,
            raw_finish_reason: "tool_use".into(),
            usage: Usage {
                input_tokens: 10,
                output_tokens: 5,
                total_tokens: 15,
                cache_read_tokens: None,
                cache_write_tokens: Some(3),
            },
            warnings: vec![],
            metadata: ResponseMetadata { model: "m".into(), request_id: None, latency_ms: None },
            trace_json: None,
            additional_fields_json: None,
        };
        let v = message_json("msg_1", "amazon-bedrock|m", &r, &[]);
        assert_eq!(
            v,
            json!({
                "id": "msg_1", "type": "message", "role": "assistant", "model": "amazon-bedrock|m",
                "content": [
                    {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                    {"type": "redacted_thinking", "data": "AQI="},
                    {"type": "text", "text": "Let me look."},
                    {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 1}},
                ],
                "stop_reason": "tool_use", "stop_sequence": null,
                "usage": {"input_tokens": 10, "output_tokens": 5, "cache_creation_input_tokens": 3,
                          "cache_read_input_tokens": 0},
            })
        );
        let bad = ToolCall { id: "t".into(), name: "f".into(), input_json: "[1]".into() };
        assert_eq!(tool_input(&bad), json!({}));
    }
}

//! The Anthropic front: the Messages API (`POST /v1/messages`, `POST
//! /v1/messages/count_tokens`) <-> the provider contract's types, so Anthropic SDKs and tools
//! pointed at `ANTHROPIC_BASE_URL` use Bedrock through the gateway. Pure functions, no I/O;
//! `routes.rs` does the calls.
//!
//! - [`messages`]: the request (system, text / image / document / tool_use / tool_result /
//!   thinking blocks, tools, tool_choice, stop_sequences, cache_control, thinking budgets);
//! - [`response`]: the `message` object;
//! - [`stream`]: the same answer as Anthropic's named SSE events;
//! - [`error`]: errors in Anthropic's shape, with its statuses;
//! - [`models`]: `GET /v1/models` in Anthropic's shape, for clients that send
//!   `anthropic-version`.

pub mod error;
pub mod messages;
pub mod models;
pub mod response;
pub mod stream;

pub use messages::{MessagesCall, parse_messages};
pub use response::message_json;
pub use stream::MessageWriter;

use serde_json::{Value, json};

use crate::types::{FinishReason, Usage};

/// The header every Anthropic SDK sends; requests with it get Anthropic's shapes on the
/// routes both fronts share (`/v1/models`, unknown paths).
pub const VERSION_HEADER: &str = "anthropic-version";

/// Anthropic's `stop_reason` for a provider finish reason.
pub fn stop_reason(reason: FinishReason) -> &'static str {
    match reason {
        FinishReason::Stop
        | FinishReason::MalformedOutput
        | FinishReason::MalformedToolCall
        | FinishReason::Other => "end_turn",
        FinishReason::Length => "max_tokens",
        FinishReason::StopSequence => "stop_sequence",
        FinishReason::ToolCalls => "tool_use",
        FinishReason::ContentFilter | FinishReason::GuardrailIntervened => "refusal",
        FinishReason::ContextWindowExceeded => "model_context_window_exceeded",
    }
}

/// The stop sequence that ended generation: the one the upstream named (Claude's
/// `stop_sequence` response field, when requested), else the only one the request set.
pub fn matched_stop_sequence(
    reason: FinishReason,
    additional_fields_json: Option<&str>,
    stop_sequences: &[String],
) -> Option<String> {
    if reason != FinishReason::StopSequence {
        return None;
    }
    let named = additional_fields_json
        .and_then(|j| serde_json::from_str::<Value>(j).ok())
        .and_then(|v| v.get("stop_sequence").and_then(Value::as_str).map(str::to_string));
    named.or_else(|| match stop_sequences {
        [only] => Some(only.clone()),
        _ => None,
    })
}

/// Anthropic's `usage`: input tokens exclude cache reads and writes, as the contract's do.
pub fn usage_json(u: &Usage) -> Value {
    json!({
        "input_tokens": u.input_tokens,
        "output_tokens": u.output_tokens,
        "cache_creation_input_tokens": u.cache_write_tokens.unwrap_or(0),
        "cache_read_input_tokens": u.cache_read_tokens.unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_reasons() {
        use FinishReason as F;
        for (reason, want) in [
            (F::Stop, "end_turn"),
            (F::Length, "max_tokens"),
            (F::StopSequence, "stop_sequence"),
            (F::ToolCalls, "tool_use"),
            (F::ContentFilter, "refusal"),
            (F::GuardrailIntervened, "refusal"),
            (F::ContextWindowExceeded, "model_context_window_exceeded"),
            (F::MalformedToolCall, "end_turn"),
            (F::Other, "end_turn"),
        ] {
            assert_eq!(stop_reason(reason), want);
        }
    }

    #[test]
    fn the_stop_sequence_that_matched() {
        let two = ["a".to_string(), "b".to_string()];
        let one = ["END".to_string()];
        let stop = FinishReason::StopSequence;
        assert_eq!(
            matched_stop_sequence(stop, Some(r#"{"stop_sequence":"b"}"#), &two).as_deref(),
            Some("b")
        );
        assert_eq!(matched_stop_sequence(stop, None, &one).as_deref(), Some("END"));
        assert_eq!(matched_stop_sequence(stop, None, &two), None);
        assert_eq!(matched_stop_sequence(FinishReason::Stop, None, &one), None);
    }

    #[test]
    fn usage_keeps_cache_tokens_apart() {
        let u = Usage {
            input_tokens: 10,
            output_tokens: 5,
            total_tokens: 45,
            cache_read_tokens: Some(20),
            cache_write_tokens: None,
        };
        assert_eq!(
            usage_json(&u),
            json!({"input_tokens": 10, "output_tokens": 5, "cache_creation_input_tokens": 0,
                   "cache_read_input_tokens": 20})
        );
    }
}

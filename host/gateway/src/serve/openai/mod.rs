//! The OpenAI front: OpenAI (and Cohere/Jina re-ranking) JSON <-> the provider contract's
//! types. Pure functions, no I/O, so every shape is unit-tested here; `routes.rs` does the
//! calls.
//!
//! Requests are read with `json_fields`, so a bad field is reported with its path
//! (`messages[2].content[1].image_url.url`) as OpenAI's `param`, and unknown fields that
//! clients commonly send (`user`, `seed`, ...) are ignored.
//!
//! - [`chat`]: `POST /v1/chat/completions` requests and answers;
//! - [`stream`]: the same answer as `chat.completion.chunk` events;
//! - [`embeddings`]: `POST /v1/embeddings`;
//! - [`rerank`]: `POST /v1/rerank`;
//! - [`models`]: `GET /v1/models` and `GET /v1/models/{id}`.

pub mod chat;
pub mod embeddings;
pub mod models;
pub mod rerank;
pub mod stream;

pub use chat::{ChatCall, chat_completion, parse_chat};
pub use embeddings::{EmbeddingsCall, embeddings_response, parse_embeddings};
pub use models::{model_object, models_list};
pub use rerank::{RerankCall, parse_rerank, rerank_response};
pub use stream::ChunkWriter;

use serde_json::{Value, json};

use super::error::ApiError;
use crate::types::{FinishReason, ToolCall, Usage};

/// Parses a JSON request body, which must be an object.
pub fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(ApiError::invalid_request("", "The request body must be a JSON object.")),
        Err(e) => {
            Err(ApiError::invalid_request("", format!("The request body is not valid JSON: {e}.")))
        }
    }
}

/// OpenAI's `finish_reason` for a provider finish reason.
pub fn finish_reason(reason: FinishReason) -> &'static str {
    match reason {
        FinishReason::Stop | FinishReason::StopSequence => "stop",
        FinishReason::Length | FinishReason::ContextWindowExceeded => "length",
        FinishReason::ToolCalls => "tool_calls",
        FinishReason::ContentFilter | FinishReason::GuardrailIntervened => "content_filter",
        FinishReason::MalformedOutput | FinishReason::MalformedToolCall | FinishReason::Other => {
            "stop"
        }
    }
}

/// Prompt tokens in OpenAI's sense: everything read, cached or not.
pub fn prompt_tokens(u: &Usage) -> u64 {
    u.input_tokens + u.cache_read_tokens.unwrap_or(0) + u.cache_write_tokens.unwrap_or(0)
}

/// OpenAI's `usage` object; cache reads are `prompt_tokens_details.cached_tokens`.
pub fn usage_json(u: &Usage) -> Value {
    let prompt = prompt_tokens(u);
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": u.output_tokens,
        "total_tokens": prompt + u.output_tokens,
        "prompt_tokens_details": {"cached_tokens": u.cache_read_tokens.unwrap_or(0)},
    })
}

/// One tool call in OpenAI's message shape.
pub fn tool_call_json(call: &ToolCall) -> Value {
    json!({
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.input_json},
    })
}

/// The request's `model`: absent or empty means the settings' default.
fn model_field(fields: &json_fields::Fields<'_>) -> Result<Option<String>, ApiError> {
    Ok(fields.opt_str("model")?.filter(|m| !m.is_empty()).map(str::to_string))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn finish_reasons() {
        use FinishReason as F;
        let rows = [
            (F::Stop, "stop"),
            (F::StopSequence, "stop"),
            (F::Length, "length"),
            (F::ContextWindowExceeded, "length"),
            (F::ToolCalls, "tool_calls"),
            (F::ContentFilter, "content_filter"),
            (F::GuardrailIntervened, "content_filter"),
            (F::MalformedOutput, "stop"),
            (F::Other, "stop"),
        ];
        for (reason, want) in rows {
            assert_eq!(finish_reason(reason), want);
        }
    }

    #[test]
    fn bodies_must_be_json_objects() {
        let e = parse_body(b"{not json").unwrap_err();
        assert!(e.message.starts_with("The request body is not valid JSON"), "{}", e.message);
        assert_eq!((e.status.as_u16(), e.param), (400, None));
        assert!(parse_body(b"[1]").unwrap_err().message.contains("JSON object"));
        assert!(parse_body(b"{}").is_ok());
    }

    #[test]
    fn usage_counts_cached_tokens_as_prompt() {
        let u = Usage {
            input_tokens: 10,
            output_tokens: 5,
            total_tokens: 45,
            cache_read_tokens: Some(20),
            cache_write_tokens: Some(10),
        };
        assert_eq!(
            usage_json(&u),
            json!({"prompt_tokens": 40, "completion_tokens": 5, "total_tokens": 45,
                   "prompt_tokens_details": {"cached_tokens": 20}})
        );
    }
}

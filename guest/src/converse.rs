//! Converse: chat request -> Bedrock JSON, Bedrock JSON -> chat response.
//!
//! The same request body serves Converse and ConverseStream. Building it validates everything
//! Bedrock would otherwise refuse with a terse 400 (roles, IDs, names, ranges, limits), so the
//! caller gets an `invalid-request` naming the field before any network I/O.
//!
//! Warning codes this module emits (stable):
//! - `setting-dropped`: a setting was removed because the model cannot take it as given.
//! - `setting-changed`: a setting was added or translated (e.g. `maxTokens` raised for thinking).
//! - `tool-choice-unsupported`: tool choice `none` with tool history; Bedrock cannot forbid calls.
//! - `content-skipped`: a response content block of an unknown kind was left out.
//! - `structured-output-tool`: the response format was obtained through a forced tool call
//!   (see `structured`).
//!
//! Cited text in assistant history is sent back as plain `text`: `citationsContent` is a
//! response shape whose acceptance in requests depends on the model and on the cited documents
//! still being in the conversation, while plain text is always accepted.

mod checks;
mod messages;
mod options;
mod request;
mod response;

#[cfg(test)]
mod request_tests;
#[cfg(test)]
mod response_tests;

pub(crate) use checks::is_tool_name;
pub use request::{BuiltRequest, build_request, count_tokens_body};
pub use response::parse_response;

use crate::api::{FinishReason, Usage};

/// Maps a Bedrock `stopReason` to a finish reason (unknown values become `Other`).
pub fn finish_reason(raw: &str) -> FinishReason {
    match raw {
        "end_turn" => FinishReason::Stop,
        "tool_use" => FinishReason::ToolCalls,
        "max_tokens" => FinishReason::Length,
        "stop_sequence" => FinishReason::StopSequence,
        "guardrail_intervened" => FinishReason::GuardrailIntervened,
        "content_filtered" => FinishReason::ContentFilter,
        "malformed_model_output" => FinishReason::MalformedOutput,
        "malformed_tool_use" => FinishReason::MalformedToolCall,
        "model_context_window_exceeded" => FinishReason::ContextWindowExceeded,
        _ => FinishReason::Other,
    }
}

/// The kebab-case name of a finish reason, as in the WIT `finish-reason` enum.
pub fn finish_reason_name(reason: FinishReason) -> &'static str {
    match reason {
        FinishReason::Stop => "stop",
        FinishReason::Length => "length",
        FinishReason::StopSequence => "stop-sequence",
        FinishReason::ToolCalls => "tool-calls",
        FinishReason::ContentFilter => "content-filter",
        FinishReason::GuardrailIntervened => "guardrail-intervened",
        FinishReason::MalformedOutput => "malformed-output",
        FinishReason::MalformedToolCall => "malformed-tool-call",
        FinishReason::ContextWindowExceeded => "context-window-exceeded",
        FinishReason::Other => "other",
    }
}

/// Reads a Bedrock `usage` object leniently (missing numbers are 0, unknown keys ignored).
pub fn usage_from_json(v: &serde_json::Value) -> Usage {
    let n = |k: &str| v.get(k).and_then(serde_json::Value::as_u64);
    // Live responses also carry `…TokenCount` duplicates; use them when the modelled name is absent.
    Usage {
        input_tokens: n("inputTokens").unwrap_or(0),
        output_tokens: n("outputTokens").unwrap_or(0),
        total_tokens: n("totalTokens").unwrap_or(0),
        cache_read_tokens: n("cacheReadInputTokens").or_else(|| n("cacheReadInputTokenCount")),
        cache_write_tokens: n("cacheWriteInputTokens").or_else(|| n("cacheWriteInputTokenCount")),
    }
}

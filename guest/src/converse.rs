//! Converse: chat request -> Bedrock JSON, Bedrock JSON -> chat response.
//!
//! SEED VERSION: the two shared helpers below have fixed signatures (the stream decoder uses
//! them); request building and response mapping are filled in by the converse work.

use crate::api::{FinishReason, Usage};

/// Maps a Bedrock `stopReason` to a finish reason (unknown values become `Other`).
pub fn finish_reason(raw: &str) -> FinishReason {
    match raw {
        "end_turn" => FinishReason::Stop,
        "max_tokens" => FinishReason::Length,
        _ => FinishReason::Other,
    }
}

/// Reads a Bedrock `usage` object leniently (missing numbers are 0, unknown keys ignored).
pub fn usage_from_json(v: &serde_json::Value) -> Usage {
    let n = |k: &str| v.get(k).and_then(serde_json::Value::as_u64);
    Usage {
        input_tokens: n("inputTokens").unwrap_or(0),
        output_tokens: n("outputTokens").unwrap_or(0),
        total_tokens: n("totalTokens").unwrap_or(0),
        cache_read_tokens: n("cacheReadInputTokens"),
        cache_write_tokens: n("cacheWriteInputTokens"),
    }
}

//! Maps a Converse response body to a chat response.
//!
//! Lenient the way Bedrock's own SDKs are: unknown keys and unknown enum values are kept or
//! ignored, unknown content blocks are skipped with a warning. Strict only where leniency would
//! turn a broken answer into an empty one: no `output` or `stopReason` is an error.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use serde_json::Value;

use super::{finish_reason, usage_from_json};
use crate::api::{
    CitedText, ContentPart, GenerateResponse, Reasoning, ReasoningText, ResponseMetadata, ToolCall,
    Warning,
};
use crate::error::{ProviderError, Result};
use crate::errors::{invalid_response, wrong_route};

/// Parses a 2xx Converse body. `model_id` and `request_id` go into the response metadata.
pub fn parse_response(
    body: &[u8],
    model_id: &str,
    request_id: Option<String>,
) -> Result<GenerateResponse> {
    let root: Value = serde_json::from_slice(body).map_err(|e| {
        not_converse(format!("Bedrock's answer is not JSON ({e})."), request_id.clone())
    })?;
    if let Some(t) = root.get("Output").and_then(|o| o.get("__type")).and_then(Value::as_str) {
        return Err(wrong_route(t, request_id));
    }
    let Some(stop) = root.get("stopReason").and_then(Value::as_str) else {
        return Err(not_converse("Bedrock's answer has no stopReason.".into(), request_id));
    };
    let Some(blocks) = root
        .get("output")
        .and_then(|o| o.get("message"))
        .map(|m| m.get("content").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default())
    else {
        return Err(not_converse("Bedrock's answer has no output message.".into(), request_id));
    };

    let mut content = Vec::with_capacity(blocks.len());
    let mut warnings = Vec::new();
    let mut text = String::new();
    for block in blocks {
        match content_part(block, &request_id)? {
            Some(part) => {
                match &part {
                    ContentPart::Text(t) => text.push_str(t),
                    ContentPart::CitedText(c) => text.push_str(&c.text),
                    _ => {}
                }
                content.push(part);
            }
            None => warnings.push(Warning::new(
                "content-skipped",
                format!("A content block of unknown kind ({}) was left out.", block_kind(block)),
            )),
        }
    }

    let compact = |key: &str| root.get(key).filter(|v| !v.is_null()).map(Value::to_string);
    Ok(GenerateResponse {
        content,
        text,
        finish_reason: finish_reason(stop),
        raw_finish_reason: stop.to_string(),
        usage: root.get("usage").map(usage_from_json).unwrap_or_default(),
        warnings,
        metadata: ResponseMetadata {
            model: model_id.to_string(),
            request_id,
            latency_ms: root
                .get("metrics")
                .and_then(|m| m.get("latencyMs"))
                .and_then(Value::as_u64),
        },
        trace_json: compact("trace"),
        additional_fields_json: compact("additionalModelResponseFields"),
    })
}

/// One content block; `None` for kinds this provider does not know.
fn content_part(block: &Value, request_id: &Option<String>) -> Result<Option<ContentPart>> {
    if let Some(t) = block.get("text").and_then(Value::as_str) {
        return Ok(Some(ContentPart::Text(t.to_string())));
    }
    if let Some(tu) = block.get("toolUse") {
        let s = |k: &str| tu.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        let input = match tu.get("input") {
            None | Some(Value::Null) => "{}".to_string(),
            Some(v) => v.to_string(),
        };
        return Ok(Some(ContentPart::ToolCall(ToolCall {
            id: s("toolUseId"),
            name: s("name"),
            input_json: input,
        })));
    }
    if let Some(rc) = block.get("reasoningContent") {
        if let Some(rt) = rc.get("reasoningText") {
            return Ok(Some(ContentPart::Reasoning(Reasoning::Text(ReasoningText {
                text: rt.get("text").and_then(Value::as_str).unwrap_or_default().to_string(),
                signature: rt.get("signature").and_then(Value::as_str).map(str::to_string),
            }))));
        }
        if let Some(b64) = rc.get("redactedContent").and_then(Value::as_str) {
            let bytes =
                STANDARD.decode(b64).or_else(|_| STANDARD_NO_PAD.decode(b64)).map_err(|_| {
                    not_converse(
                        "Bedrock's redacted reasoning is not valid base64.".into(),
                        request_id.clone(),
                    )
                })?;
            return Ok(Some(ContentPart::Reasoning(Reasoning::Redacted(bytes))));
        }
        return Ok(None);
    }
    if let Some(cc) = block.get("citationsContent") {
        let text = cc
            .get("content")
            .and_then(Value::as_array)
            .map(|parts| {
                parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect()
            })
            .unwrap_or_default();
        let citations = cc.get("citations").cloned().unwrap_or(Value::Array(Vec::new()));
        return Ok(Some(ContentPart::CitedText(CitedText {
            text,
            citations_json: citations.to_string(),
        })));
    }
    Ok(None)
}

fn block_kind(block: &Value) -> String {
    block
        .as_object()
        .and_then(|o| o.keys().find(|k| k.as_str() != "__type"))
        .cloned()
        .unwrap_or_else(|| "not an object".into())
}

fn not_converse(detail: String, request_id: Option<String>) -> ProviderError {
    invalid_response(detail, request_id)
        .with_cause("The answer does not have the shape of a Converse response; something between this provider and Bedrock (a gateway at baseUrl, a proxy) may have answered instead.")
        .with_solution("Check baseUrl (leave it empty to call Bedrock directly) and any proxy in between; if it persists, report the request ID to AWS Support.")
}

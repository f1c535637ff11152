//! ConverseStream events (spec §7) -> stream parts.
//!
//! Lenient where Bedrock may grow (unknown event types, unknown delta members, the random `p`
//! padding field are ignored) and strict where a silent mistake would corrupt the answer
//! (missing block indexes, tool input that does not join into JSON, an answer that ends before
//! `messageStop`).

use super::malformed;
use crate::api::{Finish, ReasoningDelta, StreamPart, ToolCall, Warning};
use crate::converse;
use crate::error::ProviderError;
use crate::errors::{self, ErrorContext};
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;
use std::collections::VecDeque;

/// The state that spans events: open tool calls and what the end of the answer has delivered.
#[derive(Debug, Default)]
pub(crate) struct ConverseEvents {
    /// Tool-use blocks between `contentBlockStart` and `contentBlockStop`, by block index.
    open_tools: Vec<OpenTool>,
    saw_message_stop: bool,
    saw_usage: bool,
}

#[derive(Debug)]
struct OpenTool {
    index: u32,
    id: String,
    name: String,
    input: String,
}

impl ConverseEvents {
    /// Maps one decoded frame, appending the parts it yields to `out`.
    ///
    /// An `exception` or `error` frame becomes the returned error.
    pub(crate) fn on_message(
        &mut self,
        message: &Message,
        ctx: &ErrorContext,
        out: &mut VecDeque<StreamPart>,
    ) -> Result<(), ProviderError> {
        // One pass over the (usually three) headers finds both that every event needs; as with
        // `string_header`, the first header of a name counts.
        let (mut message_type, mut event_type) = (None, None);
        for header in message.headers() {
            let slot = match header.name().as_str() {
                ":message-type" => &mut message_type,
                ":event-type" => &mut event_type,
                _ => continue,
            };
            slot.get_or_insert_with(|| string_value(header));
        }
        let (message_type, event_type) = (message_type.flatten(), event_type.flatten());
        let message_type = message_type.ok_or_else(|| {
            malformed("Bedrock sent an event-stream frame without a `:message-type` header.")
        })?;
        match message_type {
            "event" => {
                let event_type = event_type.ok_or_else(|| {
                    malformed("Bedrock sent an event frame without an `:event-type` header.")
                })?;
                self.on_event(event_type, message.payload(), out)
            }
            "exception" => {
                // Without the header the catalogue can still classify by the payload message.
                let name = string_header(message, ":exception-type").unwrap_or("unknownException");
                Err(errors::from_stream_exception(name, message.payload(), ctx))
            }
            "error" => {
                let code = string_header(message, ":error-code").unwrap_or("unknownError");
                let payload = match string_header(message, ":error-message") {
                    Some(text) if message.payload().is_empty() => {
                        serde_json::json!({ "message": text }).to_string().into_bytes()
                    }
                    _ => message.payload().to_vec(),
                };
                Err(errors::from_stream_exception(code, &payload, ctx))
            }
            other => Err(malformed(format!(
                "Bedrock sent an event-stream frame of unknown message type `{other}` (expected \
                 `event`, `exception` or `error`)."
            ))),
        }
    }

    fn on_event(
        &mut self,
        event_type: &str,
        payload: &[u8],
        out: &mut VecDeque<StreamPart>,
    ) -> Result<(), ProviderError> {
        match event_type {
            "messageStart" => {
                parse::<serde::de::IgnoredAny>(event_type, payload)?;
            }
            "contentBlockStart" => {
                let event: BlockStart = parse(event_type, payload)?;
                if let Some(tool) = event.start.tool_use {
                    self.open_tools.retain(|t| t.index != event.content_block_index);
                    out.push_back(StreamPart::ToolCallStart {
                        index: event.content_block_index,
                        id: tool.tool_use_id.clone(),
                        name: tool.name.clone(),
                    });
                    self.open_tools.push(OpenTool {
                        index: event.content_block_index,
                        id: tool.tool_use_id,
                        name: tool.name,
                        input: String::new(),
                    });
                }
            }
            "contentBlockDelta" => self.on_delta(parse(event_type, payload)?, out)?,
            "contentBlockStop" => {
                let event: BlockStop = parse(event_type, payload)?;
                let position =
                    self.open_tools.iter().position(|t| t.index == event.content_block_index);
                if let Some(tool) = position.map(|i| self.open_tools.swap_remove(i)) {
                    out.push_back(StreamPart::ToolCallEnd(finish_tool(tool)?));
                }
            }
            "messageStop" => {
                let event: MessageStop = parse(event_type, payload)?;
                self.saw_message_stop = true;
                out.push_back(StreamPart::Finish(Finish {
                    reason: converse::finish_reason(&event.stop_reason),
                    additional_fields_json: event
                        .additional_model_response_fields
                        .filter(|v| !v.is_null())
                        .map(|v| v.to_string()),
                    raw: event.stop_reason,
                }));
            }
            "metadata" => {
                let event: Metadata = parse(event_type, payload)?;
                match event.usage {
                    Some(usage @ Value::Object(_)) => {
                        self.saw_usage = true;
                        out.push_back(StreamPart::Usage(converse::usage_from_json(&usage)));
                    }
                    None | Some(Value::Null) => {}
                    Some(_) => {
                        return Err(malformed(
                            "Bedrock sent a `metadata` event whose `usage` is not an object.",
                        ));
                    }
                }
                if let Some(trace) = event.trace.filter(|v| !v.is_null()) {
                    out.push_back(StreamPart::Trace(trace.to_string()));
                }
            }
            // Bedrock may add event types; none of them can change what was already streamed.
            _ => {}
        }
        Ok(())
    }

    fn on_delta(
        &mut self,
        event: BlockDelta,
        out: &mut VecDeque<StreamPart>,
    ) -> Result<(), ProviderError> {
        let index = event.content_block_index;
        let delta = event.delta;
        if let Some(text) = delta.text {
            out.push_back(StreamPart::TextDelta { index, text });
        }
        if let Some(reasoning) = delta.reasoning_content.map(|r| *r) {
            let redacted = match reasoning.redacted_content {
                Some(b64) => {
                    Some(base64::engine::general_purpose::STANDARD.decode(b64).map_err(|e| {
                        malformed(format!(
                            "Bedrock sent redacted reasoning for block {index} that is not valid \
                             base64: {e}."
                        ))
                    })?)
                }
                None => None,
            };
            if reasoning.text.is_some() || reasoning.signature.is_some() || redacted.is_some() {
                out.push_back(StreamPart::ReasoningDelta(ReasoningDelta {
                    index,
                    text: reasoning.text,
                    signature: reasoning.signature,
                    redacted,
                }));
            }
        }
        if let Some(tool_use) = delta.tool_use {
            let tool = self.open_tools.iter_mut().find(|t| t.index == index).ok_or_else(|| {
                malformed(format!(
                    "Bedrock sent tool input for content block {index} without a \
                     `contentBlockStart` naming the tool."
                ))
            })?;
            tool.input.push_str(&tool_use.input);
            out.push_back(StreamPart::ToolCallDelta { index, input_fragment: tool_use.input });
        }
        if let Some(citation) = delta.citation.filter(|v| !v.is_null()) {
            out.push_back(StreamPart::Citation(citation.to_string()));
        }
        Ok(())
    }

    /// Call at the end of the body (after the framing layer found no leftover bytes).
    pub(crate) fn finish(&self, out: &mut VecDeque<StreamPart>) -> Result<(), ProviderError> {
        if !self.saw_message_stop {
            return Err(errors::invalid_response(
                "The stream ended before Bedrock's messageStop event: the answer is incomplete.",
                None,
            )
            .with_cause(
                "The connection was closed at a frame boundary before the model finished (by \
                 Bedrock, a proxy or a gateway, or because a deadline cut it).",
            )
            .with_solution(
                "Retry the request. If it keeps happening, check proxies between the gateway \
                 and Bedrock and raise `timeouts.totalMs` for long answers.",
            )
            .retryable());
        }
        if !self.saw_usage {
            out.push_back(StreamPart::Warning(Warning {
                code: "usage-missing".into(),
                message: "Bedrock ended the stream without its metadata event, so token usage \
                          for this answer is unknown."
                    .into(),
            }));
        }
        Ok(())
    }
}

/// Joins a finished tool call's input fragments; the result must be JSON (empty means `{}`).
fn finish_tool(tool: OpenTool) -> Result<ToolCall, ProviderError> {
    let input_json = if tool.input.trim().is_empty() { "{}".to_string() } else { tool.input };
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(&input_json) {
        return Err(malformed(format!(
            "The model's call of tool `{}` (tool-use ID {}) has input that is not valid JSON: {e}.",
            tool.name, tool.id
        ))
        .with_field("toolUse.input"));
    }
    Ok(ToolCall { id: tool.id, name: tool.name, input_json })
}

fn string_header<'a>(message: &'a Message, name: &str) -> Option<&'a str> {
    message.headers().iter().find(|h| h.name().as_str() == name).and_then(string_value)
}

fn string_value(header: &Header) -> Option<&str> {
    match header.value() {
        HeaderValue::String(s) => Some(s.as_str()),
        _ => None,
    }
}

fn parse<'a, T: Deserialize<'a>>(event_type: &str, payload: &'a [u8]) -> Result<T, ProviderError> {
    serde_json::from_slice(payload).map_err(|e| {
        malformed(format!(
            "Bedrock sent a `{event_type}` event that does not match its shape: {e}."
        ))
    })
}

// Payload shapes. Unknown members (including the `p` padding) are ignored by serde's default.

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlockStart {
    content_block_index: u32,
    start: BlockStartBody,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlockStartBody {
    tool_use: Option<ToolUseStart>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ToolUseStart {
    tool_use_id: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlockDelta {
    content_block_index: u32,
    delta: DeltaBody,
}

/// The rare members are boxed: every text delta is parsed into this struct and moved a few
/// times, and at 64 bytes instead of 152 the moves are a few register copies, not `memcpy`
/// calls (about 5% of native decoding time on text deltas).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeltaBody {
    text: Option<String>,
    reasoning_content: Option<Box<ReasoningBody>>,
    tool_use: Option<ToolUseDelta>,
    citation: Option<Box<Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReasoningBody {
    text: Option<String>,
    signature: Option<String>,
    redacted_content: Option<String>,
}

#[derive(Deserialize)]
struct ToolUseDelta {
    input: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlockStop {
    content_block_index: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageStop {
    stop_reason: String,
    additional_model_response_fields: Option<Value>,
}

#[derive(Deserialize)]
struct Metadata {
    usage: Option<Value>,
    trace: Option<Value>,
}

//! Streaming messages: provider stream parts → Anthropic's named SSE events.
//!
//! `message_start`, `ping`, then per content block `content_block_start`, its deltas
//! (`text_delta`, `input_json_delta`, `thinking_delta`, `signature_delta`) and
//! `content_block_stop`, then `message_delta` (stop reason, stop sequence, usage) and
//! `message_stop`; an error after the start is one `error` event. Blocks are numbered 0, 1,
//! ... in the order they open, whatever the upstream's block indices were (the
//! structured-output path drops some).

use base64::Engine as _;
use bytes::Bytes;
use serde_json::{Value, json};

use super::{error, matched_stop_sequence, stop_reason, usage_json};
use crate::serve::catalog::ModelNames;
use crate::serve::error::ApiError;
use crate::serve::sse::{self, EventWriter};
use crate::types::{FinishReason, StreamPart, Usage};

/// The block being written.
#[derive(Debug, Clone, PartialEq)]
enum Open {
    Text { upstream: u32 },
    Thinking { upstream: u32 },
    Tool { id: String, upstream: u32, input_sent: bool },
}

/// Turns stream parts into Anthropic events for one message.
#[derive(Debug)]
pub struct MessageWriter {
    id: String,
    model: String,
    names: ModelNames,
    stop_sequences: Vec<String>,
    started: bool,
    next_index: u32,
    open: Option<(u32, Open)>,
    finish: Option<(FinishReason, Option<String>)>,
    usage: Option<Usage>,
}

impl MessageWriter {
    /// `model` is shown until the stream's start names the model that answers; `names`
    /// spells it as answers do; `stop_sequences` are the request's.
    pub fn new(
        id: String,
        model: String,
        names: ModelNames,
        stop_sequences: Vec<String>,
    ) -> MessageWriter {
        MessageWriter {
            id,
            model,
            names,
            stop_sequences,
            started: false,
            next_index: 0,
            open: None,
            finish: None,
            usage: None,
        }
    }

    /// The events for one part, as (name, data) pairs.
    pub fn events(&mut self, part: &StreamPart) -> Vec<(&'static str, Value)> {
        let mut out = Vec::new();
        if let StreamPart::Start(metadata) = part {
            self.model = metadata.model.clone();
        }
        self.start(&mut out);
        match part {
            StreamPart::TextDelta(d) => {
                if !matches!(&self.open, Some((_, Open::Text { upstream })) if *upstream == d.index)
                {
                    self.open_block(
                        Open::Text { upstream: d.index },
                        json!({"type": "text", "text": ""}),
                        &mut out,
                    );
                }
                if !d.text.is_empty() {
                    self.delta(json!({"type": "text_delta", "text": d.text}), &mut out);
                }
            }
            StreamPart::ReasoningDelta(d) => {
                if let Some(bytes) = &d.redacted {
                    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
                    self.open_block(
                        Open::Thinking { upstream: d.index },
                        json!({"type": "redacted_thinking", "data": data}),
                        &mut out,
                    );
                    self.close(&mut out);
                    return out;
                }
                if !matches!(&self.open, Some((_, Open::Thinking { upstream })) if *upstream == d.index)
                {
                    self.open_block(
                        Open::Thinking { upstream: d.index },
                        json!({"type": "thinking", "thinking": "", "signature": ""}),
                        &mut out,
                    );
                }
                if let Some(text) = d.text.as_deref().filter(|t| !t.is_empty()) {
                    self.delta(json!({"type": "thinking_delta", "thinking": text}), &mut out);
                }
                if let Some(signature) = &d.signature {
                    self.delta(
                        json!({"type": "signature_delta", "signature": signature}),
                        &mut out,
                    );
                }
            }
            StreamPart::ToolCallStart(start) => {
                self.open_block(
                    Open::Tool { id: start.id.clone(), upstream: start.index, input_sent: false },
                    json!({"type": "tool_use", "id": start.id, "name": start.name, "input": {}}),
                    &mut out,
                );
            }
            StreamPart::ToolCallDelta(d) => {
                if let Some((_, Open::Tool { upstream, input_sent, .. })) = &mut self.open
                    && *upstream == d.index
                {
                    *input_sent = true;
                    self.delta(
                        json!({"type": "input_json_delta", "partial_json": d.input_fragment}),
                        &mut out,
                    );
                }
            }
            StreamPart::ToolCallEnd(call) => {
                let open_here =
                    matches!(&self.open, Some((_, Open::Tool { id, .. })) if *id == call.id);
                if !open_here {
                    // A call that came whole, with no start part.
                    self.open_block(
                        Open::Tool { id: call.id.clone(), upstream: u32::MAX, input_sent: false },
                        json!({"type": "tool_use", "id": call.id, "name": call.name, "input": {}}),
                        &mut out,
                    );
                }
                if let Some((_, Open::Tool { input_sent: false, .. })) = &self.open {
                    self.delta(
                        json!({"type": "input_json_delta", "partial_json": call.input_json}),
                        &mut out,
                    );
                }
                self.close(&mut out);
            }
            StreamPart::Finish(finish) => {
                self.close(&mut out);
                self.finish = Some((finish.reason, finish.additional_fields_json.clone()));
            }
            StreamPart::Usage(usage) => self.usage = Some(*usage),
            _ => {}
        }
        out
    }

    /// The events after the last part: the open block's end, the stop reason and usage, and
    /// `message_stop`.
    pub fn closing_events(&mut self) -> Vec<(&'static str, Value)> {
        let mut out = Vec::new();
        self.start(&mut out);
        self.close(&mut out);
        let (reason, fields) = self.finish.clone().unwrap_or((FinishReason::Stop, None));
        let usage = self.usage.as_ref().map_or_else(|| json!({"output_tokens": 0}), usage_json);
        out.push((
            "message_delta",
            json!({
                "type": "message_delta",
                "delta": {
                    "stop_reason": stop_reason(reason),
                    "stop_sequence": matched_stop_sequence(reason, fields.as_deref(), &self.stop_sequences),
                },
                "usage": usage,
            }),
        ));
        out.push(("message_stop", json!({"type": "message_stop"})));
        out
    }

    fn start(&mut self, out: &mut Vec<(&'static str, Value)>) {
        if self.started {
            return;
        }
        self.started = true;
        out.push((
            "message_start",
            json!({"type": "message_start", "message": {
                "id": self.id, "type": "message", "role": "assistant", "content": [],
                "model": self.names.public(&self.model),
                "stop_reason": null, "stop_sequence": null,
                // Bedrock reports usage at the end; message_delta carries the totals.
                "usage": {"input_tokens": 0, "output_tokens": 0},
            }}),
        ));
        out.push(("ping", json!({"type": "ping"})));
    }

    fn open_block(&mut self, block: Open, start: Value, out: &mut Vec<(&'static str, Value)>) {
        self.close(out);
        let index = self.next_index;
        self.next_index += 1;
        out.push((
            "content_block_start",
            json!({"type": "content_block_start", "index": index, "content_block": start}),
        ));
        self.open = Some((index, block));
    }

    fn delta(&self, delta: Value, out: &mut Vec<(&'static str, Value)>) {
        if let Some((index, _)) = &self.open {
            out.push((
                "content_block_delta",
                json!({"type": "content_block_delta", "index": index, "delta": delta}),
            ));
        }
    }

    fn close(&mut self, out: &mut Vec<(&'static str, Value)>) {
        if let Some((index, _)) = self.open.take() {
            out.push(("content_block_stop", json!({"type": "content_block_stop", "index": index})));
        }
    }
}

fn frame(events: Vec<(&'static str, Value)>) -> Vec<Bytes> {
    events.iter().map(|(name, data)| sse::named_event(name, data)).collect()
}

impl EventWriter for MessageWriter {
    fn part(&mut self, part: &StreamPart) -> Vec<Bytes> {
        frame(self.events(part))
    }

    fn end(&mut self) -> Vec<Bytes> {
        frame(self.closing_events())
    }

    /// Anthropic's `error` event: the SDKs raise it as an `APIStatusError` of its type.
    fn error(&mut self, e: &ApiError) -> Bytes {
        sse::named_event("error", &error::body(e, None))
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn usage(&self) -> Option<&Usage> {
        self.usage.as_ref()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::types::{
        Finish, ReasoningDelta, ResponseMetadata, TextDelta, ToolCall, ToolCallDelta, ToolCallStart,
    };

    fn writer() -> MessageWriter {
        let manifest =
            crate::Manifest::parse(include_str!("../../../../../guest/manifest.json")).unwrap();
        MessageWriter::new(
            "msg_1".into(),
            "asked".into(),
            ModelNames::of(&manifest),
            vec!["END".into()],
        )
    }

    fn run(parts: &[StreamPart]) -> Vec<(&'static str, Value)> {
        let mut w = writer();
        let mut out = Vec::new();
        for part in parts {
            out.extend(w.events(part));
        }
        out.extend(w.closing_events());
        out
    }

    fn names(events: &[(&'static str, Value)]) -> Vec<&'static str> {
        events.iter().map(|(n, _)| *n).collect()
    }

    #[test]
    fn text_then_a_tool_call_with_input_fragments() {
        let events = run(&[
            StreamPart::Start(ResponseMetadata {
                model: "m".into(),
                request_id: None,
                latency_ms: None,
            }),
            StreamPart::TextDelta(TextDelta { index: 0, text: "Let me ".into() }),
            StreamPart::TextDelta(TextDelta { index: 0, text: "look.".into() }),
            StreamPart::ToolCallStart(ToolCallStart {
                index: 1,
                id: "toolu_1".into(),
                name: "f".into(),
            }),
            StreamPart::ToolCallDelta(ToolCallDelta { index: 1, input_fragment: "{\"a\"".into() }),
            StreamPart::ToolCallDelta(ToolCallDelta { index: 1, input_fragment: ":1}".into() }),
            StreamPart::ToolCallEnd(ToolCall {
                id: "toolu_1".into(),
                name: "f".into(),
                input_json: "{\"a\":1}".into(),
            }),
            StreamPart::Finish(Finish {
                reason: FinishReason::ToolCalls,
                raw: "tool_use".into(),
                additional_fields_json: None,
            }),
            StreamPart::Usage(Usage {
                input_tokens: 9,
                output_tokens: 4,
                total_tokens: 13,
                cache_read_tokens: None,
                cache_write_tokens: None,
            }),
        ]);
        assert_eq!(
            names(&events),
            [
                "message_start",
                "ping",
                "content_block_start",
                "content_block_delta",
                "content_block_delta",
                "content_block_stop",
                "content_block_start",
                "content_block_delta",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop",
            ]
        );
        assert_eq!(events[0].1["message"]["model"], "amazon-bedrock|m");
        assert_eq!(events[0].1["message"]["id"], "msg_1");
        assert_eq!(events[2].1["content_block"], json!({"type": "text", "text": ""}));
        assert_eq!(events[3].1["delta"], json!({"type": "text_delta", "text": "Let me "}));
        assert_eq!(events[6].1["index"], 1);
        assert_eq!(
            events[6].1["content_block"],
            json!({"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}})
        );
        let json: String = events[7..9]
            .iter()
            .map(|(_, e)| e["delta"]["partial_json"].as_str().unwrap())
            .collect();
        assert_eq!(json, "{\"a\":1}");
        assert_eq!(events[9].1, json!({"type": "content_block_stop", "index": 1}));
        assert_eq!(
            events[10].1,
            json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null},
                   "usage": {"input_tokens": 9, "output_tokens": 4, "cache_creation_input_tokens": 0,
                             "cache_read_input_tokens": 0}})
        );
    }

    #[test]
    fn thinking_with_its_signature_then_redacted_and_whole_tool_calls() {
        let events = run(&[
            StreamPart::ReasoningDelta(ReasoningDelta {
                index: 0,
                text: Some("hmm".into()),
                signature: None,
                redacted: None,
            }),
            StreamPart::ReasoningDelta(ReasoningDelta {
                index: 0,
                text: None,
                signature: Some("sig".into()),
                redacted: None,
            }),
            StreamPart::ReasoningDelta(ReasoningDelta {
                index: 1,
                text: None,
                signature: None,
                redacted: Some(vec![1, 2]),
            }),
            StreamPart::ToolCallEnd(ToolCall {
                id: "t".into(),
                name: "g".into(),
                input_json: "{}".into(),
            }),
            StreamPart::Finish(Finish {
                reason: FinishReason::StopSequence,
                raw: "stop_sequence".into(),
                additional_fields_json: None,
            }),
        ]);
        let blocks: Vec<&Value> = events
            .iter()
            .filter(|(n, _)| *n == "content_block_start" || *n == "content_block_delta")
            .map(|(_, e)| e.get("content_block").or(e.get("delta")).unwrap())
            .collect();
        assert_eq!(
            blocks,
            [
                &json!({"type": "thinking", "thinking": "", "signature": ""}),
                &json!({"type": "thinking_delta", "thinking": "hmm"}),
                &json!({"type": "signature_delta", "signature": "sig"}),
                &json!({"type": "redacted_thinking", "data": "AQI="}),
                &json!({"type": "tool_use", "id": "t", "name": "g", "input": {}}),
                &json!({"type": "input_json_delta", "partial_json": "{}"}),
            ]
        );
        let stops = events.iter().filter(|(n, _)| *n == "content_block_stop").count();
        assert_eq!(stops, 3);
        let delta = &events.iter().find(|(n, _)| *n == "message_delta").unwrap().1;
        assert_eq!(delta["delta"], json!({"stop_reason": "stop_sequence", "stop_sequence": "END"}));
        assert_eq!(delta["usage"], json!({"output_tokens": 0}));
    }

    #[test]
    fn errors_are_one_error_event() {
        let mut w = writer();
        let e = w.error(&ApiError::overloaded(1));
        let text = String::from_utf8(e.to_vec()).unwrap();
        assert!(text.starts_with("event: error\ndata: {"), "{text}");
        assert!(text.contains("\"type\":\"overloaded_error\""), "{text}");
        // An empty stream still opens and closes the message.
        let events = names(&w.closing_events());
        assert_eq!(events, ["message_start", "ping", "message_delta", "message_stop"]);
    }
}

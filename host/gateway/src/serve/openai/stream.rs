//! Streaming chat completions: provider stream parts -> OpenAI `chat.completion.chunk`
//! objects (`data: {json}` events, then `data: [DONE]`).
//!
//! [`ChunkWriter`] is pure (unit-tested); `routes.rs` feeds it the parts and writes its events.

use bytes::Bytes;
use serde_json::{Value, json};

use super::{finish_reason, usage_json};
use crate::serve::catalog::ModelNames;
use crate::serve::error::ApiError;
use crate::serve::sse::{self, EventWriter};
use crate::types::{StreamPart, Usage};

/// A tool call in progress: OpenAI numbers them 0, 1, ... in the order they start.
#[derive(Debug)]
struct ToolSlot {
    block: u32,
    id: String,
    arguments_sent: bool,
}

/// Turns stream parts into chunk objects for one response.
#[derive(Debug)]
pub struct ChunkWriter {
    id: String,
    created: u64,
    model: String,
    names: ModelNames,
    include_usage: bool,
    role_sent: bool,
    tools: Vec<ToolSlot>,
    usage: Option<Usage>,
}

impl ChunkWriter {
    /// `model` is shown until the stream's start names the model that answers; `names`
    /// spells it as answers do.
    pub fn new(
        id: String,
        created: u64,
        model: String,
        names: ModelNames,
        include_usage: bool,
    ) -> ChunkWriter {
        ChunkWriter {
            id,
            created,
            model,
            names,
            include_usage,
            role_sent: false,
            tools: Vec::new(),
            usage: None,
        }
    }

    fn chunk(&self, delta: Value, finish: Option<&str>) -> Value {
        let mut chunk = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.names.public(&self.model),
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
        });
        if self.include_usage {
            chunk["usage"] = Value::Null;
        }
        chunk
    }

    /// The chunks for one part (often one, sometimes none, at most two).
    pub fn chunks(&mut self, part: &StreamPart) -> Vec<Value> {
        let mut out = Vec::new();
        if let StreamPart::Start(metadata) = part {
            self.model = metadata.model.clone();
        }
        if !self.role_sent {
            self.role_sent = true;
            out.push(self.chunk(json!({"role": "assistant", "content": ""}), None));
        }
        match part {
            StreamPart::TextDelta(d) if !d.text.is_empty() => {
                out.push(self.chunk(json!({"content": d.text}), None));
            }
            StreamPart::ReasoningDelta(d) => {
                if let Some(text) = d.text.as_deref().filter(|t| !t.is_empty()) {
                    out.push(self.chunk(json!({"reasoning_content": text}), None));
                }
            }
            StreamPart::ToolCallStart(start) => {
                let index = self.tools.len();
                self.tools.push(ToolSlot {
                    block: start.index,
                    id: start.id.clone(),
                    arguments_sent: false,
                });
                out.push(self.chunk(
                    json!({"tool_calls": [{
                        "index": index, "id": start.id, "type": "function",
                        "function": {"name": start.name, "arguments": ""},
                    }]}),
                    None,
                ));
            }
            StreamPart::ToolCallDelta(d) => {
                if let Some(index) = self.tools.iter().position(|t| t.block == d.index) {
                    self.tools[index].arguments_sent = true;
                    out.push(self.chunk(
                        json!({"tool_calls": [{"index": index, "function": {"arguments": d.input_fragment}}]}),
                        None,
                    ));
                }
            }
            StreamPart::ToolCallEnd(call) => {
                match self.tools.iter().position(|t| t.id == call.id) {
                    // Arguments that never came as fragments arrive whole here.
                    Some(index) if !self.tools[index].arguments_sent => {
                        self.tools[index].arguments_sent = true;
                        out.push(self.chunk(
                            json!({"tool_calls": [{"index": index, "function": {"arguments": call.input_json}}]}),
                            None,
                        ));
                    }
                    Some(_) => {}
                    None => {
                        let index = self.tools.len();
                        self.tools.push(ToolSlot {
                            block: u32::MAX,
                            id: call.id.clone(),
                            arguments_sent: true,
                        });
                        out.push(self.chunk(
                            json!({"tool_calls": [{
                                "index": index, "id": call.id, "type": "function",
                                "function": {"name": call.name, "arguments": call.input_json},
                            }]}),
                            None,
                        ));
                    }
                }
            }
            StreamPart::Finish(finish) => {
                out.push(self.chunk(json!({}), Some(finish_reason(finish.reason))));
            }
            StreamPart::Usage(usage) => self.usage = Some(*usage),
            _ => {}
        }
        out
    }

    /// The chunk after the last part: usage with no choices, when the client asked for it.
    pub fn last_chunk(&self) -> Option<Value> {
        if !self.include_usage {
            return None;
        }
        let usage = self.usage.as_ref().map(usage_json).unwrap_or(Value::Null);
        Some(json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.names.public(&self.model),
            "choices": [],
            "usage": usage,
        }))
    }
}

impl EventWriter for ChunkWriter {
    fn part(&mut self, part: &StreamPart) -> Vec<Bytes> {
        self.chunks(part).iter().map(sse::event).collect()
    }

    fn end(&mut self) -> Vec<Bytes> {
        let mut out: Vec<Bytes> = self.last_chunk().iter().map(sse::event).collect();
        out.push(Bytes::from_static(sse::DONE));
        out
    }

    /// The error as a last `data:` event, and no `[DONE]`: the OpenAI Python client raises
    /// `APIError` with that body.
    fn error(&mut self, e: &ApiError) -> Bytes {
        sse::event(&e.body())
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
        Finish, FinishReason, ResponseMetadata, TextDelta, ToolCall, ToolCallDelta, ToolCallStart,
    };

    fn writer(include_usage: bool) -> ChunkWriter {
        let manifest =
            crate::Manifest::parse(include_str!("../../../../../guest/manifest.json")).unwrap();
        ChunkWriter::new(
            "chatcmpl-x".into(),
            5,
            "asked".into(),
            ModelNames::of(&manifest),
            include_usage,
        )
    }

    fn deltas(chunks: &[Value]) -> Vec<Value> {
        chunks.iter().map(|c| c["choices"][0]["delta"].clone()).collect()
    }

    #[test]
    fn text_stream_with_usage() {
        let mut w = writer(true);
        let start = StreamPart::Start(ResponseMetadata {
            model: "amazon.nova-lite-v1:0".into(),
            request_id: None,
            latency_ms: None,
        });
        let first = w.chunks(&start);
        assert_eq!(deltas(&first), [json!({"role": "assistant", "content": ""})]);
        assert_eq!(first[0]["model"], "amazon-bedrock|amazon.nova-lite-v1:0");
        assert_eq!(w.model(), "amazon.nova-lite-v1:0", "the log keeps the upstream's ID");
        assert_eq!(first[0]["object"], "chat.completion.chunk");
        assert_eq!(first[0]["usage"], Value::Null);
        let text = w.chunks(&StreamPart::TextDelta(TextDelta { index: 0, text: "Hi".into() }));
        assert_eq!(deltas(&text), [json!({"content": "Hi"})]);
        let finish = w.chunks(&StreamPart::Finish(Finish {
            reason: FinishReason::Length,
            raw: "max_tokens".into(),
            additional_fields_json: None,
        }));
        assert_eq!(finish[0]["choices"][0]["finish_reason"], "length");
        assert!(
            w.chunks(&StreamPart::Usage(Usage {
                input_tokens: 3,
                output_tokens: 2,
                total_tokens: 9,
                cache_read_tokens: Some(4),
                cache_write_tokens: None,
            }))
            .is_empty()
        );
        let last = w.last_chunk().unwrap();
        assert_eq!(last["choices"], json!([]));
        assert_eq!(last["usage"]["prompt_tokens"], 7);
        assert_eq!(last["usage"]["prompt_tokens_details"]["cached_tokens"], 4);
        let end = w.end();
        assert_eq!(end.last().unwrap(), &Bytes::from_static(sse::DONE));
        assert_eq!(end.len(), 2);
    }

    #[test]
    fn tool_calls_use_openai_indices_and_fragments() {
        let mut w = writer(false);
        let mut chunks = Vec::new();
        for part in [
            StreamPart::TextDelta(TextDelta { index: 0, text: "Let me look.".into() }),
            StreamPart::ToolCallStart(ToolCallStart {
                index: 1,
                id: "t1".into(),
                name: "f".into(),
            }),
            StreamPart::ToolCallDelta(ToolCallDelta { index: 1, input_fragment: "{\"a\"".into() }),
            StreamPart::ToolCallDelta(ToolCallDelta { index: 1, input_fragment: ":1}".into() }),
            StreamPart::ToolCallEnd(ToolCall {
                id: "t1".into(),
                name: "f".into(),
                input_json: "{\"a\":1}".into(),
            }),
            StreamPart::ToolCallStart(ToolCallStart {
                index: 2,
                id: "t2".into(),
                name: "g".into(),
            }),
            StreamPart::ToolCallEnd(ToolCall {
                id: "t2".into(),
                name: "g".into(),
                input_json: "{}".into(),
            }),
        ] {
            chunks.extend(w.chunks(&part));
        }
        assert!(chunks.iter().all(|c| c.get("usage").is_none()));
        assert_eq!(chunks[0]["model"], "amazon-bedrock|asked");
        assert_eq!(
            deltas(&chunks),
            [
                json!({"role": "assistant", "content": ""}),
                json!({"content": "Let me look."}),
                json!({"tool_calls": [{"index": 0, "id": "t1", "type": "function", "function": {"name": "f", "arguments": ""}}]}),
                json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"a\""}}]}),
                json!({"tool_calls": [{"index": 0, "function": {"arguments": ":1}"}}]}),
                json!({"tool_calls": [{"index": 1, "id": "t2", "type": "function", "function": {"name": "g", "arguments": ""}}]}),
                json!({"tool_calls": [{"index": 1, "function": {"arguments": "{}"}}]}),
            ]
        );
        assert_eq!(w.last_chunk(), None);
        assert_eq!(w.end(), [Bytes::from_static(sse::DONE)]);
    }
}

//! ConverseStream bodies: a Converse answer turned into the event sequence Bedrock sends
//! (spec §7, §15.7-15.10), each payload padded with a random `p`, and the stream faults.

use serde_json::{Map, Value, json};

use crate::eventstream::{encode_event, encode_exception};
use crate::faults::{Fault, StreamFault};
use crate::fixtures;
use crate::rng::{Rng, padding};

/// One piece of a streamed body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Chunk {
    /// Bytes to send (a frame, or part of one).
    Data(Vec<u8>),
    /// Abort the connection here (no clean end of the chunked body).
    Abort,
}

/// An event before encoding.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Event {
    pub kind: &'static str,
    pub payload: Value,
}

fn event(kind: &'static str, payload: Value) -> Event {
    Event { kind, payload }
}

const TEXT_PIECES: [usize; 6] = [4, 9, 6, 12, 3, 8];
const INPUT_PIECES: [usize; 4] = [2, 6, 3, 10];

/// Splits text into fragments of a few characters (on char boundaries).
fn fragments(text: &str, sizes: &[usize]) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let (mut at, mut k) = (0, 0);
    while at < chars.len() {
        let n = sizes[k % sizes.len()].min(chars.len() - at);
        out.push(chars[at..at + n].iter().collect());
        at += n;
        k += 1;
    }
    out
}

/// The events for a Converse response body. `anthropic` adds the `stop_sequence` delta that
/// Claude streams carry in `messageStop` (spec TV-4, §15.7).
pub(crate) fn events(response: &Value, anthropic: bool) -> Vec<Event> {
    let mut out = vec![event("messageStart", json!({"role": "assistant"}))];
    let blocks = response["output"]["message"]["content"].as_array().cloned().unwrap_or_default();
    for (index, block) in blocks.iter().enumerate() {
        let delta =
            |d: Value| event("contentBlockDelta", json!({"contentBlockIndex": index, "delta": d}));
        if let Some(text) = block.get("text").and_then(Value::as_str) {
            out.extend(
                fragments(text, &TEXT_PIECES).into_iter().map(|f| delta(json!({"text": f}))),
            );
        } else if let Some(reasoning) = block.get("reasoningContent") {
            if let Some(rt) = reasoning.get("reasoningText") {
                let text = rt.get("text").and_then(Value::as_str).unwrap_or("");
                out.extend(
                    fragments(text, &TEXT_PIECES)
                        .into_iter()
                        .map(|f| delta(json!({"reasoningContent": {"text": f}}))),
                );
                if let Some(sig) = rt.get("signature") {
                    out.push(delta(json!({"reasoningContent": {"signature": sig}})));
                }
            } else if let Some(redacted) = reasoning.get("redactedContent") {
                out.push(delta(json!({"reasoningContent": {"redactedContent": redacted}})));
            }
        } else if let Some(tool) = block.get("toolUse") {
            out.push(event(
                "contentBlockStart",
                json!({"contentBlockIndex": index, "start": {"toolUse": {"name": tool["name"], "toolUseId": tool["toolUseId"]}}}),
            ));
            let input = tool.get("input").map(Value::to_string).unwrap_or_default();
            out.extend(
                fragments(&input, &INPUT_PIECES)
                    .into_iter()
                    .map(|f| delta(json!({"toolUse": {"input": f}}))),
            );
        } else if let Some(cited) = block.get("citationsContent") {
            for citation in cited["citations"].as_array().into_iter().flatten() {
                out.push(delta(json!({"citation": citation})));
            }
            for item in cited["content"].as_array().into_iter().flatten() {
                let text = item.get("text").and_then(Value::as_str).unwrap_or("");
                out.extend(
                    fragments(text, &TEXT_PIECES).into_iter().map(|f| delta(json!({"text": f}))),
                );
            }
        }
        out.push(event("contentBlockStop", json!({"contentBlockIndex": index})));
    }
    let mut stop = json!({"stopReason": response["stopReason"]});
    if anthropic {
        let seq = response["additionalModelResponseFields"]["stop_sequence"].clone();
        stop["additionalModelResponseFields"] = json!({"delta": {"stop_sequence": seq}});
    }
    out.push(event("messageStop", stop));
    out.push(event("metadata", metadata(response)));
    out
}

/// Stream usage: the required counts, `serverToolUsage`, and cache counts only when non-zero
/// (the `...Count` duplicates of the non-stream body do not appear in recorded streams).
fn metadata(response: &Value) -> Value {
    let usage = &response["usage"];
    let mut out = Map::new();
    for key in ["inputTokens", "outputTokens", "totalTokens", "serverToolUsage"] {
        if let Some(v) = usage.get(key) {
            out.insert(key.to_string(), v.clone());
        }
    }
    for key in ["cacheReadInputTokens", "cacheWriteInputTokens"] {
        if let Some(v) = usage.get(key).filter(|v| v.as_u64().unwrap_or(0) > 0) {
            out.insert(key.to_string(), v.clone());
        }
    }
    let mut meta = json!({"metrics": response["metrics"], "usage": Value::Object(out)});
    if let Some(trace) = response.get("trace") {
        meta["trace"] = trace.clone();
    }
    meta
}

/// Encodes events as frames, each payload with a random-length `p` field.
pub(crate) fn encode(events: &[Event]) -> Vec<(&'static str, Vec<u8>)> {
    let mut rng = Rng::new();
    events
        .iter()
        .map(|e| {
            let mut payload = e.payload.clone();
            if let Some(map) = payload.as_object_mut() {
                map.insert("p".to_string(), json!(padding(&mut rng)));
            }
            (e.kind, encode_event(e.kind, payload.to_string().as_bytes()))
        })
        .collect()
}

/// The recorded TV-4 body split into frames (the `recording` scenario).
pub(crate) fn recording() -> Vec<(&'static str, Vec<u8>)> {
    const KINDS: [&str; 6] = [
        "messageStart",
        "contentBlockStart",
        "contentBlockDelta",
        "contentBlockStop",
        "messageStop",
        "metadata",
    ];
    crate::eventstream::split_frames(&fixtures::tv4_bytes())
        .unwrap_or_default()
        .into_iter()
        .map(|frame| {
            let kind = crate::eventstream::decode_message(&frame)
                .ok()
                .and_then(|(m, _)| {
                    let name = m.header(":event-type")?.to_string();
                    KINDS.iter().find(|k| **k == name).copied()
                })
                .unwrap_or("recorded");
            (kind, frame)
        })
        .collect()
}

/// The body chunks, with a stream fault applied when one is given.
pub(crate) fn chunks(frames: Vec<(&'static str, Vec<u8>)>, fault: Option<Fault>) -> Vec<Chunk> {
    let Some((fault, kind)) = fault.and_then(|f| f.stream().map(|k| (f, k))) else {
        return frames.into_iter().map(|(_, f)| Chunk::Data(f)).collect();
    };
    // The break point: just after the second content delta (or the last one before it).
    let deltas: Vec<usize> = frames
        .iter()
        .enumerate()
        .filter(|(_, (k, _))| *k == "contentBlockDelta")
        .map(|(i, _)| i)
        .collect();
    let at = deltas.get(1).or(deltas.last()).map_or(1, |i| i + 1).min(frames.len());
    match kind {
        StreamFault::Exception => {
            let exception = match fault {
                Fault::StreamThrottling => fixtures::tv6_bytes(),
                Fault::StreamModelError => fixtures::tv5_bytes(),
                other => encode_exception(
                    other.code().unwrap_or("internalServerException"),
                    other.body().as_bytes(),
                ),
            };
            let mut out: Vec<Chunk> =
                frames.into_iter().take(at).map(|(_, f)| Chunk::Data(f)).collect();
            out.push(Chunk::Data(exception));
            out
        }
        StreamFault::BadCrc => frames
            .into_iter()
            .enumerate()
            .map(|(i, (_, mut f))| {
                if i == at
                    && let Some(last) = f.last_mut()
                {
                    *last ^= 0xff;
                }
                Chunk::Data(f)
            })
            .collect(),
        StreamFault::Cut => {
            let mut out: Vec<Chunk> =
                frames.iter().take(at).map(|(_, f)| Chunk::Data(f.clone())).collect();
            if let Some((_, f)) = frames.get(at) {
                out.push(Chunk::Data(f[..f.len() / 2].to_vec()));
            }
            out.push(Chunk::Abort);
            out
        }
        StreamFault::NoStop => frames
            .into_iter()
            .filter(|(k, _)| *k != "messageStop" && *k != "metadata")
            .map(|(_, f)| Chunk::Data(f))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::eventstream::{DecodeError, decode_all, decode_message};

    fn kinds(events: &[Event]) -> Vec<&'static str> {
        events.iter().map(|e| e.kind).collect()
    }

    fn body(chunks: &[Chunk]) -> Vec<u8> {
        chunks
            .iter()
            .flat_map(|c| match c {
                Chunk::Data(d) => d.clone(),
                Chunk::Abort => Vec::new(),
            })
            .collect()
    }

    #[test]
    fn text_fixture_streams_like_recordings() {
        let v: Value = serde_json::from_str(fixtures::TEXT_FIXTURE).unwrap();
        let evs = events(&v, true);
        assert_eq!(evs[0].kind, "messageStart");
        assert_eq!(evs[1].kind, "contentBlockDelta", "text blocks get no contentBlockStart");
        let text: String = evs.iter().filter_map(|e| e.payload["delta"]["text"].as_str()).collect();
        assert_eq!(text, v["output"]["message"]["content"][0]["text"].as_str().unwrap());
        let n = evs.len();
        assert_eq!(kinds(&evs)[n - 3..], ["contentBlockStop", "messageStop", "metadata"]);
        assert_eq!(
            evs[n - 2].payload,
            json!({"additionalModelResponseFields": {"delta": {"stop_sequence": null}}, "stopReason": "end_turn"})
        );
        assert_eq!(
            evs[n - 1].payload,
            json!({"metrics": {"latencyMs": 1864}, "usage": {"inputTokens": 22, "outputTokens": 57, "serverToolUsage": {}, "totalTokens": 79}})
        );
    }

    #[test]
    fn tool_and_reasoning_blocks() {
        let tool: Value = serde_json::from_str(fixtures::TOOL_FIXTURE).unwrap();
        let evs = events(&tool, true);
        assert_eq!(
            evs[1].payload["start"]["toolUse"]["toolUseId"],
            "tooluse_j6gIgqF8PljNKBylAe15oP"
        );
        let input: String =
            evs.iter().filter_map(|e| e.payload["delta"]["toolUse"]["input"].as_str()).collect();
        assert_eq!(
            serde_json::from_str::<Value>(&input).unwrap(),
            json!({"query": "SELECT Id FROM Account"})
        );
        let reasoning: Value = serde_json::from_str(fixtures::REASONING_FIXTURE).unwrap();
        let evs = events(&reasoning, true);
        let sig_at = evs
            .iter()
            .position(|e| e.payload["delta"]["reasoningContent"]["signature"].is_string())
            .unwrap();
        assert_eq!(evs[sig_at + 1].kind, "contentBlockStop");
        assert_eq!(evs[sig_at + 2].payload["contentBlockIndex"], 1);
    }

    #[test]
    fn frames_carry_padding_and_decode() {
        let v: Value = serde_json::from_str(fixtures::ARN_FIXTURE).unwrap();
        let frames = encode(&events(&v, false));
        let decoded = decode_all(&body(&chunks(frames, None))).unwrap();
        for m in &decoded {
            let p: Value = serde_json::from_slice(&m.payload).unwrap();
            assert!(!p["p"].as_str().unwrap().is_empty());
        }
        assert_eq!(decoded.last().unwrap().header(":event-type"), Some("metadata"));
    }

    #[test]
    fn faults_break_the_stream_as_named() {
        let v: Value = serde_json::from_str(fixtures::TEXT_FIXTURE).unwrap();
        let frames = encode(&events(&v, true));
        let n = frames.len();

        let c = chunks(frames.clone(), Some(Fault::StreamUnavailable));
        let msgs = decode_all(&body(&c)).unwrap();
        assert_eq!(msgs.len(), 4);
        assert_eq!(msgs[3].header(":exception-type"), Some("serviceUnavailableException"));
        let c = chunks(frames.clone(), Some(Fault::StreamThrottling));
        assert_eq!(c.last().unwrap(), &Chunk::Data(fixtures::tv6_bytes()));
        let c = chunks(frames.clone(), Some(Fault::StreamModelError));
        assert_eq!(c.last().unwrap(), &Chunk::Data(fixtures::tv5_bytes()));

        let c = chunks(frames.clone(), Some(Fault::StreamBadCrc));
        assert_eq!(c.len(), n);
        let bytes = body(&c);
        let good: usize = frames[..3].iter().map(|(_, f)| f.len()).sum();
        assert!(decode_all(&bytes[..good]).is_ok());
        assert_eq!(decode_message(&bytes[good..]).unwrap_err(), DecodeError::MessageChecksum);

        let c = chunks(frames.clone(), Some(Fault::StreamCut));
        assert_eq!(c.last(), Some(&Chunk::Abort));
        assert_eq!(decode_all(&body(&c)).unwrap_err(), DecodeError::Incomplete);

        let c = chunks(frames, Some(Fault::StreamNoStop));
        let msgs = decode_all(&body(&c)).unwrap();
        assert_eq!(msgs.len(), n - 2);
        assert_eq!(msgs.last().unwrap().header(":event-type"), Some("contentBlockStop"));
    }
}

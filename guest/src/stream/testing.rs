//! Builders for event-stream bodies, for tests here and in other crates (feature `mock`).
//!
//! Frames are encoded by `aws-smithy-eventstream`'s own writer, so tests exercise the decoder
//! against the reference encoder rather than against a second hand-written one.

use crate::transport::{Body, TransportError};
use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use std::collections::VecDeque;

/// Encodes one frame with string headers (in the given order) and `payload`.
///
/// # Panics
/// If a header name exceeds 255 bytes or a value 32 KiB (test inputs only).
pub fn frame(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let mut message = Message::new(payload.to_vec());
    for (name, value) in headers {
        message = message.add_header(Header::new(
            name.to_string(),
            HeaderValue::String(value.to_string().into()),
        ));
    }
    let mut out = Vec::new();
    #[allow(clippy::expect_used)]
    write_message_to(&message, &mut out).expect("test frame headers fit the event-stream limits");
    out
}

/// An `event` frame as Bedrock sends it (`:event-type`, `:content-type`, `:message-type`).
pub fn event(event_type: &str, payload_json: &str) -> Vec<u8> {
    frame(
        &[
            (":event-type", event_type),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ],
        payload_json.as_bytes(),
    )
}

/// An in-stream `exception` frame, e.g. `throttlingException` with `{"message":"..."}`.
pub fn exception(exception_type: &str, payload_json: &str) -> Vec<u8> {
    frame(
        &[
            (":message-type", "exception"),
            (":exception-type", exception_type),
            (":content-type", "application/json"),
        ],
        payload_json.as_bytes(),
    )
}

/// A generic `error` frame: code and message in headers, empty payload.
pub fn error(code: &str, message: &str) -> Vec<u8> {
    frame(&[(":message-type", "error"), (":error-code", code), (":error-message", message)], b"")
}

/// A ConverseStream body from decoded-event lines as in vercel/ai's `*.chunks.txt` fixtures:
/// each line is `{"<eventType>": <payload>}`. Lines that are not such an object are skipped.
pub fn converse_body(lines: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in lines {
        let Ok(serde_json::Value::Object(map)) = serde_json::from_str(line) else { continue };
        for (event_type, payload) in map {
            out.extend(event(&event_type, &payload.to_string()));
        }
    }
    out
}

/// A body that hands out pre-cut chunks, then optionally fails instead of ending.
#[derive(Debug, Clone, Default)]
pub struct ChunkedBody {
    chunks: VecDeque<Vec<u8>>,
    then: Option<TransportError>,
}

impl ChunkedBody {
    /// The given chunks, in order.
    pub fn new(chunks: impl IntoIterator<Item = Vec<u8>>) -> Self {
        Self { chunks: chunks.into_iter().collect(), then: None }
    }

    /// `bytes` cut into chunks of `size` bytes (the last may be shorter).
    pub fn every(bytes: &[u8], size: usize) -> Self {
        Self::new(bytes.chunks(size.max(1)).map(<[u8]>::to_vec))
    }

    /// After the chunks, fail with `error` instead of ending the body.
    pub fn then_fail(mut self, error: TransportError) -> Self {
        self.then = Some(error);
        self
    }
}

impl Body for ChunkedBody {
    fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, TransportError> {
        match self.chunks.pop_front() {
            Some(chunk) => Ok(Some(chunk)),
            None => self.then.take().map_or(Ok(None), Err),
        }
    }
}

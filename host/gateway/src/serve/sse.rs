//! Server-Sent Events: the framing both fronts use, the [`EventWriter`] each front implements
//! to turn provider stream parts into its events, and [`ChannelBody`], the response body the
//! streaming task writes events into.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame};
use serde_json::Value;
use tokio::sync::mpsc;

use super::error::ApiError;
use crate::types::{StreamPart, Usage};

/// The event that ends a successful OpenAI stream.
pub const DONE: &[u8] = b"data: [DONE]\n\n";

/// One unnamed SSE event carrying `value` (OpenAI's framing).
pub fn event(value: &Value) -> Bytes {
    Bytes::from(format!("data: {value}\n\n"))
}

/// One named SSE event carrying `value` (Anthropic's framing: `event: message_start`).
pub fn named_event(name: &str, value: &Value) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {value}\n\n"))
}

/// A front's view of one streamed answer: the events for each provider part, for a clean
/// end, and for an error after the stream started. The streaming task drives it and sends
/// what it returns, so the wire format stays pure and unit-tested in each front.
pub trait EventWriter: Send + 'static {
    /// The events for one part (none, one or several).
    fn part(&mut self, part: &StreamPart) -> Vec<Bytes>;
    /// The events after the provider stream ended cleanly.
    fn end(&mut self) -> Vec<Bytes>;
    /// The last event when the provider stream failed after the response started: never a
    /// silent cut.
    fn error(&mut self, e: &ApiError) -> Bytes;
    /// The model that answered as the upstream named it (for the access log), or the one
    /// asked for until the stream says.
    fn model(&self) -> &str;
    /// The usage reported so far.
    fn usage(&self) -> Option<&Usage>;
}

/// A response body fed by a channel: the streaming task sends events, hyper writes them as
/// they come. Dropping the body (the client went away) makes the task's next send fail,
/// which ends the provider call.
#[derive(Debug)]
pub struct ChannelBody {
    rx: mpsc::Receiver<Bytes>,
}

impl ChannelBody {
    /// A body and the sender that feeds it; `capacity` events may wait unsent.
    pub fn channel(capacity: usize) -> (mpsc::Sender<Bytes>, ChannelBody) {
        let (tx, rx) = mpsc::channel(capacity);
        (tx, ChannelBody { rx })
    }
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.rx.poll_recv(cx).map(|next| next.map(|bytes| Ok(Frame::data(bytes))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn framing() {
        assert_eq!(event(&json!({"a": 1})), Bytes::from("data: {\"a\":1}\n\n"));
        assert_eq!(
            named_event("ping", &json!({"type": "ping"})),
            Bytes::from("event: ping\ndata: {\"type\":\"ping\"}\n\n")
        );
    }
}

//! ConverseStream: event-stream bytes -> stream parts, pulled one at a time.
//!
//! [`ChatStream`] reads the response body only until it has the next part, so the gateway can
//! forward text as the model writes it and memory stays bounded by one frame. The framing
//! layer is [`FrameDecoder`] (checksums, lengths, split reads); the event mapping lives in
//! `converse_events`.
//!
//! Termination is explicit: an answer ends either with `Ok(None)` after Bedrock's
//! `messageStop`, or with an error. A failed stream keeps returning the same error, so a caller
//! that polls again after a failure can never mistake it for a clean end.

mod converse_events;
mod frames;
#[cfg(any(test, feature = "mock"))]
pub mod testing;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod throughput;

pub use frames::{DEFAULT_MAX_FRAME_LEN, FrameDecoder};

use crate::api::{ResponseMetadata, StreamPart, Warning};
use crate::error::ProviderError;
use crate::errors::{self, ErrorContext};
use crate::structured::StreamFilter;
use crate::transport::Body;
use converse_events::ConverseEvents;
use std::collections::VecDeque;

/// A streamed Converse answer, pulled part by part with [`ChatStream::next`] or a batch at a
/// time with [`ChatStream::next_batch`].
pub struct ChatStream {
    body: Box<dyn Body>,
    frames: FrameDecoder,
    events: ConverseEvents,
    /// Parts decoded but not yet handed out (one frame can yield several).
    pending: VecDeque<StreamPart>,
    metadata: ResponseMetadata,
    ctx: ErrorContext,
    state: State,
    /// Hides the synthetic tool of a forced-tool response format.
    filter: Option<StreamFilter>,
}

#[derive(Debug)]
enum State {
    /// `Start` has not been returned yet.
    New,
    /// Reading the body.
    Streaming,
    /// The body ended cleanly; drain `pending`, then `Ok(None)` forever.
    Ended,
    /// The stream failed; this error is returned forever.
    Failed(ProviderError),
}

impl std::fmt::Debug for ChatStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatStream")
            .field("metadata", &self.metadata)
            .field("state", &self.state)
            .field("buffered", &self.frames.buffered())
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl ChatStream {
    /// Decodes `body` (a 200 ConverseStream response) as it arrives.
    ///
    /// `metadata` is returned as the first part (`Start`); its request ID is also put on every
    /// error that does not carry one. `ctx` lets in-stream exceptions name precise solutions.
    pub fn new(body: Box<dyn Body>, metadata: ResponseMetadata, ctx: ErrorContext) -> Self {
        Self {
            body,
            frames: FrameDecoder::new(),
            events: ConverseEvents::default(),
            pending: VecDeque::new(),
            metadata,
            ctx,
            state: State::New,
            filter: None,
        }
    }

    /// Delivers the synthetic tool of a forced-tool response format as text (see
    /// [`StreamFilter`]).
    pub fn with_filter(mut self, filter: Option<StreamFilter>) -> Self {
        self.filter = filter;
        self
    }

    /// Notices gathered before the stream started (dropped settings, a corrected clock skew, an
    /// inference-profile fallback); delivered right after `Start`.
    pub fn with_warnings(mut self, warnings: impl IntoIterator<Item = Warning>) -> Self {
        self.pending.extend(warnings.into_iter().map(StreamPart::Warning));
        self
    }

    /// Refuses frames larger than `max_frame_len` bytes (default [`DEFAULT_MAX_FRAME_LEN`]).
    pub fn with_max_frame_len(mut self, max_frame_len: usize) -> Self {
        self.frames = FrameDecoder::with_max_frame_len(max_frame_len);
        self
    }

    /// The next part; `Ok(None)` only after a complete answer (Bedrock's `messageStop` seen and
    /// the body ended on a frame boundary).
    ///
    /// Errors are final: parts returned before stay valid, and every later call returns the
    /// same error again.
    #[allow(clippy::should_implement_trait)] // Mirrors the WIT `chat-stream.next`, not Iterator.
    pub fn next(&mut self) -> Result<Option<StreamPart>, ProviderError> {
        match self.step(Read::IfNeeded)? {
            Step::Part(part) => Ok(Some(part)),
            Step::End => Ok(None),
            Step::NeedBytes => unreachable!("`Read::IfNeeded` reads instead"),
        }
    }

    /// Up to `max` parts (`0` counts as 1), the same parts in the same order as `next` would
    /// return; an empty list only at the clean end (where `next` returns `Ok(None)`).
    ///
    /// The body is read only for the first part, and only if no part can be decoded from the
    /// bytes already read: the rest of the batch is what those bytes already hold, so a batch
    /// never waits for the network (its first part does wait for the rest to be decoded). An
    /// error found after the first part of a batch is kept and returned by the next call (and
    /// every call after it), so the parts decoded before it are delivered.
    pub fn next_batch(&mut self, max: u32) -> Result<Vec<StreamPart>, ProviderError> {
        let max = usize::try_from(max).unwrap_or(usize::MAX).max(1);
        let first = match self.step(Read::IfNeeded)? {
            Step::Part(part) => part,
            Step::End => return Ok(Vec::new()),
            Step::NeedBytes => unreachable!("`Read::IfNeeded` reads instead"),
        };
        let mut parts = vec![first];
        while parts.len() < max {
            match self.step(Read::Never) {
                Ok(Step::Part(part)) => parts.push(part),
                // The error is now the stream's state: the next call returns it.
                Ok(Step::End | Step::NeedBytes) | Err(_) => break,
            }
        }
        Ok(parts)
    }

    /// One part, the end, or (with [`Read::Never`]) the news that the next part needs more of
    /// the body. A failure becomes the stream's final state.
    fn step(&mut self, read: Read) -> Result<Step, ProviderError> {
        self.advance(read).map_err(|mut e| {
            if e.request_id.is_none() {
                e.request_id.clone_from(&self.metadata.request_id);
            }
            self.pending.clear();
            self.state = State::Failed(e.clone());
            e
        })
    }

    fn advance(&mut self, read: Read) -> Result<Step, ProviderError> {
        loop {
            // `Start` comes first even when warnings are already pending.
            if let State::New = self.state {
                self.state = State::Streaming;
                return Ok(Step::Part(StreamPart::Start(self.metadata.clone())));
            }
            if let Some(part) = self.pending.pop_front() {
                match self.filter.as_mut() {
                    None => return Ok(Step::Part(part)),
                    Some(filter) => match filter.map(part) {
                        Some(part) => return Ok(Step::Part(part)),
                        None => continue,
                    },
                }
            }
            match &self.state {
                State::New => unreachable!("handled above"),
                State::Streaming => {}
                State::Ended => return Ok(Step::End),
                State::Failed(e) => return Err(e.clone()),
            }
            if let Some(message) = self.frames.next_message()? {
                self.events.on_message(&message, &self.ctx, &mut self.pending)?;
                continue;
            }
            if let Read::Never = read {
                return Ok(Step::NeedBytes);
            }
            match self.body.next_chunk()? {
                Some(chunk) => self.frames.push_owned(chunk),
                None => {
                    self.frames.finish()?;
                    self.events.finish(&mut self.pending)?;
                    self.state = State::Ended;
                }
            }
        }
    }
}

/// Whether [`ChatStream::advance`] may read the body when the bytes it has hold no part.
#[derive(Debug, Clone, Copy)]
enum Read {
    IfNeeded,
    Never,
}

/// What [`ChatStream::advance`] found.
#[derive(Debug)]
enum Step {
    Part(StreamPart),
    /// The clean end: `messageStop` seen, the body ended on a frame boundary.
    End,
    /// No part can be decoded from the bytes read so far (only with [`Read::Never`]).
    NeedBytes,
}

/// An event that does not have the shape ConverseStream documents.
fn malformed(message: impl Into<String>) -> ProviderError {
    errors::invalid_response(message, None)
        .with_cause(
            "The stream is not what Bedrock's ConverseStream sends: the upstream is not Bedrock \
             or a faithful gateway, or Bedrock changed its event format.",
        )
        .with_solution(
            "Check that `baseUrl` (if set) points at Bedrock or a faithful gateway; otherwise \
             report the request ID to the provider's maintainers.",
        )
}

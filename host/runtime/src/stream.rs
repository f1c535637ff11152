//! [`ChatStream`]: a streamed answer, pulled from the component in batches.

use std::collections::VecDeque;
use std::time::Instant;

use wasmtime::component::ResourceAny;

use crate::host::StreamLease;
use crate::sandbox::Call;
use crate::types::{ProviderError, StreamPart};

/// A streamed answer. Owns its sandbox: dropping it drops the instance and any HTTP body the
/// component was reading.
pub struct ChatStream {
    /// `None` once the stream ended, failed, or timed out.
    call: Option<Call>,
    stream: ResourceAny,
    /// Parts the component returned in one `next-batch` call and not handed out yet.
    buffered: VecDeque<StreamPart>,
    /// `next-batch` calls made so far; sets the next call's size (see [`batch_size`]).
    pulls: u32,
    /// Where the instance goes when the stream ends cleanly (instance reuse on).
    back: Option<StreamLease>,
}

/// The most parts asked for in one `next-batch` call.
///
/// The component never waits for more upstream bytes to fill a batch, so the size only matters
/// when parts arrive together (a fast upstream, a 64 KiB read holding ~300 small frames): 64
/// then turns ~64 host -> guest calls (about 1 µs each) into one, and more would save little.
/// What a batch holds was decoded from bytes the component had already read, so its memory is
/// bounded by the read size, not by this number.
///
/// The size ramps up from 1 because a batch's first part waits for the rest of the batch to be
/// decoded (~2 µs per small frame): a whole short answer often arrives in one read, and asking
/// for 64 parts there would delay the first token by the decoding of the entire answer.
const BATCH_MAX: u32 = 64;

/// The size of the `pulls`-th `next-batch` call (from 0): 1 for `start` and for the first part
/// after it, then 2, 4, ... up to [`BATCH_MAX`].
fn batch_size(pulls: u32) -> u32 {
    (1u32 << pulls.saturating_sub(1).min(BATCH_MAX.trailing_zeros())).min(BATCH_MAX)
}

impl std::fmt::Debug for ChatStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatStream")
            .field("open", &self.call.is_some())
            .field("buffered", &self.buffered.len())
            .finish()
    }
}

impl ChatStream {
    pub(crate) fn new(call: Call, stream: ResourceAny, back: Option<StreamLease>) -> Self {
        ChatStream { call: Some(call), stream, buffered: VecDeque::new(), pulls: 0, back }
    }

    /// Parts already pulled from the component and not handed out yet (feature `testing`).
    #[cfg(feature = "testing")]
    pub fn buffered_len(&self) -> usize {
        self.buffered.len()
    }

    /// Whether the sandbox is still held (feature `testing`).
    #[cfg(feature = "testing")]
    pub fn is_open(&self) -> bool {
        self.call.is_some()
    }

    /// When the call's deadline passes, or `None` once the sandbox is released. Whatever a
    /// caller waits on for the stream's sake besides [`ChatStream::next`] (a slow client taking
    /// the parts it forwards) should give up by then, or the call outlives its deadline.
    pub fn deadline(&self) -> Option<Instant> {
        self.call.as_ref().map(|call| call.budget.deadline)
    }

    /// Moves the call's deadline to now, as if it had run out (feature `testing`).
    #[cfg(feature = "testing")]
    pub fn expire_now(&mut self) {
        if let Some(call) = self.call.as_mut() {
            call.budget.deadline = Instant::now();
        }
    }

    /// The next part; `Ok(None)` at the end. After an error, or at the end, the sandbox is
    /// released and further calls return `Ok(None)`.
    ///
    /// Parts are pulled from the component with `next-batch` ([`batch_size`]: 1, 1, 2, 4, ...
    /// up to [`BATCH_MAX`] at a time, never waiting to fill a batch) and handed out one by one;
    /// the call deadline still applies to every part, buffered or not.
    pub async fn next(&mut self) -> Result<Option<StreamPart>, ProviderError> {
        let Some(call) = self.call.as_mut() else {
            return Ok(None);
        };
        if !self.buffered.is_empty() {
            if Instant::now() >= call.budget.deadline {
                let error = call.budget.timeout_error();
                self.release();
                return Err(error);
            }
            return Ok(self.buffered.pop_front());
        }
        let guest = call.provider.ai_gateway_provider_provider().chat_stream();
        let outcome = call
            .budget
            .bounded(guest.call_next_batch(&mut call.store, self.stream, batch_size(self.pulls)))
            .await;
        self.pulls = self.pulls.saturating_add(1);
        match call.settle(outcome) {
            Ok(parts) if !parts.is_empty() => {
                self.buffered.extend(parts);
                Ok(self.buffered.pop_front())
            }
            Ok(_) => {
                self.finish().await;
                Ok(None)
            }
            Err(e) => {
                self.release();
                Err(e)
            }
        }
    }

    /// The stream ended cleanly: with reuse on, drops the stream resource (and the body it
    /// read) inside the instance and hands the instance back to the host, which keeps it only
    /// under the reuse rules; otherwise, or if the drop fails, the instance is dropped.
    async fn finish(&mut self) {
        let (Some(mut call), Some(back)) = (self.call.take(), self.back.take()) else {
            self.release();
            return;
        };
        self.buffered.clear();
        let stream = self.stream;
        let dropped = call.budget.bounded(stream.resource_drop_async(&mut call.store)).await;
        if matches!(dropped, Ok(Ok(()))) {
            let host = back.host().clone();
            host.release_stream(call, back);
        }
    }

    /// Drops the sandbox (and the HTTP body it was reading) and anything still buffered.
    fn release(&mut self) {
        self.call = None;
        self.back = None;
        self.buffered.clear();
    }
}

/// The store data of one call.
#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn batches_ramp_up_to_the_maximum() {
        let sizes: Vec<u32> = (0..10).map(batch_size).collect();
        assert_eq!(sizes, [1, 1, 2, 4, 8, 16, 32, 64, 64, 64]);
        assert_eq!(batch_size(u32::MAX), BATCH_MAX);
    }

    #[test]
    fn streams_can_cross_threads() {
        fn assert_send<T: Send + 'static>() {}
        assert_send::<ChatStream>();
    }
}

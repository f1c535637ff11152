//! Incremental AWS event-stream framing (`application/vnd.amazon.eventstream`, spec §10).
//!
//! Bytes are pushed as they arrive and complete messages are popped one at a time, so a frame
//! split across reads at any offset is reassembled. Parsing and checksum verification of a
//! complete frame are done by the AWS-maintained `aws-smithy-eventstream` codec; this wrapper
//! adds what a streaming client needs on top: the prelude is checked as soon as its 12 bytes are
//! here, so a corrupt or absurdly large length is refused before anything is buffered for it,
//! and leftover bytes at the end of the body are reported instead of silently dropped.

use crate::error::ProviderError;
use crate::errors;
use aws_smithy_eventstream::frame::read_message_from;
use aws_smithy_types::event_stream::Message;

/// The largest frame accepted by default. Bedrock's frames are a few hundred bytes; botocore
/// caps payloads at 24 MiB, but nothing a chat answer streams comes close to 16 MiB.
pub const DEFAULT_MAX_FRAME_LEN: usize = 16 * 1024 * 1024;

/// `total_length`, `headers_length`, `prelude_crc`.
const PRELUDE_LEN: usize = 12;
/// A frame with no headers and no payload: the prelude plus the message CRC.
const MIN_FRAME_LEN: usize = 16;

/// Turns a byte stream into event-stream messages, one complete frame at a time.
#[derive(Debug)]
pub struct FrameDecoder {
    /// Bytes read; `buf[start..]` are not decoded yet. Frames are parsed in place, so a body
    /// chunk handed over with [`FrameDecoder::push_owned`] is never copied unless a frame
    /// straddles its start.
    buf: Vec<u8>,
    start: usize,
    max_frame_len: usize,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameDecoder {
    /// A decoder that refuses frames larger than [`DEFAULT_MAX_FRAME_LEN`].
    pub fn new() -> Self {
        Self::with_max_frame_len(DEFAULT_MAX_FRAME_LEN)
    }

    /// A decoder that refuses frames whose `total_length` exceeds `max_frame_len` bytes.
    pub fn with_max_frame_len(max_frame_len: usize) -> Self {
        Self { buf: Vec::new(), start: 0, max_frame_len: max_frame_len.max(MIN_FRAME_LEN) }
    }

    /// Appends bytes as they arrived from the network.
    pub fn push(&mut self, bytes: &[u8]) {
        self.compact();
        self.buf.extend_from_slice(bytes);
    }

    /// Like [`FrameDecoder::push`], but takes the chunk over: when every byte before it was
    /// decoded (the usual case at a frame boundary), the chunk becomes the buffer as it is.
    pub fn push_owned(&mut self, chunk: Vec<u8>) {
        if self.start == self.buf.len() {
            self.buf = chunk;
            self.start = 0;
        } else {
            self.push(&chunk);
        }
    }

    /// How many bytes are buffered that are not decoded yet (at most a partial frame once
    /// [`FrameDecoder::next_message`] returned `None`).
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Drops the decoded bytes, so only an incomplete frame is moved when more bytes arrive.
    fn compact(&mut self) {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }

    /// The next complete message, or `None` until more bytes are pushed.
    ///
    /// Errors (all `invalid-response`) are final: the stream cannot be resynchronised once a
    /// length or checksum is wrong, so callers stop reading.
    pub fn next_message(&mut self) -> Result<Option<Message>, ProviderError> {
        let rest = &self.buf[self.start..];
        let Some(prelude) = rest.first_chunk::<PRELUDE_LEN>() else {
            return Ok(None);
        };
        let total = check_prelude(prelude, self.max_frame_len)?;
        let Some(frame) = rest.get(..total) else {
            return Ok(None);
        };
        let message = decode_frame(frame)?;
        self.start += total;
        Ok(Some(message))
    }

    /// Call at the end of the body: leftover bytes mean the last frame was cut off.
    pub fn finish(&self) -> Result<(), ProviderError> {
        let left = self.buffered();
        if left == 0 {
            return Ok(());
        }
        Err(corrupt(
            format!(
                "The response stream was cut off: {left} bytes of an incomplete frame remain at \
                 end of stream."
            ),
            "The connection was closed in the middle of an event-stream frame (by Bedrock, a \
             proxy or a gateway), so the answer is incomplete.",
        )
        .retryable())
    }
}

/// Validates the 12-byte prelude and returns the frame's total length.
fn check_prelude(
    prelude: &[u8; PRELUDE_LEN],
    max_frame_len: usize,
) -> Result<usize, ProviderError> {
    let [t0, t1, t2, t3, h0, h1, h2, h3, c0, c1, c2, c3] = *prelude;
    let total = u32::from_be_bytes([t0, t1, t2, t3]);
    let headers_len = u32::from_be_bytes([h0, h1, h2, h3]);
    let claimed_crc = u32::from_be_bytes([c0, c1, c2, c3]);
    let actual_crc = crc32fast::hash(&prelude[..8]);
    if actual_crc != claimed_crc {
        return Err(corrupt(
            format!(
                "The response stream is corrupted: prelude checksum mismatch (frame says \
                 0x{claimed_crc:08x}, bytes give 0x{actual_crc:08x})."
            ),
            "prelude checksum mismatch: the stream was corrupted in transit or by a proxy.",
        )
        .retryable());
    }
    let total_len = usize::try_from(total).unwrap_or(usize::MAX);
    if total_len < MIN_FRAME_LEN {
        return Err(corrupt(
            format!(
                "The response stream has an event-stream frame of {total} bytes; the minimum is \
                 {MIN_FRAME_LEN}."
            ),
            "The frame's total_length is smaller than its own prelude and checksum: the \
             upstream is not speaking the AWS event-stream format.",
        ));
    }
    if total_len > max_frame_len {
        return Err(corrupt(
            format!(
                "The response stream has an event-stream frame of {total} bytes, more than the \
                 {max_frame_len}-byte limit; it was refused without reading it."
            ),
            "Bedrock's frames are at most a few kilobytes; a frame this large means the stream \
             is corrupted or the upstream is not Bedrock.",
        ));
    }
    if headers_len == 1 || headers_len > total - MIN_FRAME_LEN as u32 {
        return Err(corrupt(
            format!(
                "The response stream has an event-stream frame whose headers_length \
                 ({headers_len}) does not fit its total_length ({total})."
            ),
            "The frame's lengths are inconsistent: the upstream is not speaking the AWS \
             event-stream format.",
        ));
    }
    Ok(total_len)
}

/// Parses one complete frame (prelude already checked) and verifies the message CRC.
fn decode_frame(frame: &[u8]) -> Result<Message, ProviderError> {
    match read_message_from(frame) {
        Ok(message) => Ok(message),
        Err(codec_error) => {
            // The codec parses headers before it checks the CRC, so a flipped header byte shows
            // up as a header error; checking the CRC first names the real problem.
            let (body, crc) = frame.split_at(frame.len() - 4);
            let claimed = u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]]);
            let actual = crc32fast::hash(body);
            if claimed != actual {
                Err(corrupt(
                    format!(
                        "The response stream is corrupted: message checksum mismatch (frame says \
                         0x{claimed:08x}, bytes give 0x{actual:08x})."
                    ),
                    "message checksum mismatch: the stream was corrupted in transit or by a \
                     proxy.",
                )
                .retryable())
            } else {
                Err(corrupt(
                    format!(
                        "The response stream has an event-stream frame that cannot be decoded: \
                         {codec_error}."
                    ),
                    "The frame's checksums are valid but its headers are malformed: the upstream \
                     is not speaking the AWS event-stream format.",
                ))
            }
        }
    }
}

fn corrupt(message: String, cause: &str) -> ProviderError {
    errors::invalid_response(message, None).with_cause(cause).with_solution(
        "Retry the request. If it keeps failing, check any proxy between the gateway and \
         Bedrock, and that `baseUrl` (if set) points at Bedrock or a faithful gateway.",
    )
}

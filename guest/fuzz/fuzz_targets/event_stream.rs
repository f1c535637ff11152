//! Arbitrary bytes, in arbitrary chunks, through the event-stream decoder and ChatStream.
//!
//! The input is read twice: as raw bytes (framing, checksums, lengths), and as lines
//! `<event-type> <payload>` that are framed with valid checksums, so the fuzzer also reaches the
//! event mapping behind the CRCs (a leading `!` makes the line an exception frame).
//!
//! Properties: nothing panics; every stream terminates with `Ok(None)` or a sticky error; and
//! the outcome does not depend on how the body was split into reads.
#![no_main]

use bedrock_provider::api::{ResponseMetadata, StreamPart};
use bedrock_provider::error::ProviderError;
use bedrock_provider::errors::{ErrorContext, Operation};
use bedrock_provider::stream::{ChatStream, FrameDecoder, testing};
use bedrock_provider::transport::{Body, TransportError};
use libfuzzer_sys::fuzz_target;

/// Hands out `data` in pseudo-random chunks of 0..=64 bytes; `rng == 0` means one chunk.
struct Chunks {
    data: Vec<u8>,
    at: usize,
    rng: u64,
}

impl Body for Chunks {
    fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, TransportError> {
        if self.at >= self.data.len() {
            return Ok(None);
        }
        let end = if self.rng == 0 {
            self.data.len()
        } else {
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            (self.at + (self.rng % 65) as usize).min(self.data.len())
        };
        let chunk = self.data[self.at..end].to_vec();
        self.at = end;
        Ok(Some(chunk))
    }
}

fn drain(data: &[u8], rng: u64) -> (Vec<StreamPart>, Option<ProviderError>) {
    let metadata = ResponseMetadata { model: "m".into(), request_id: None, latency_ms: None };
    let ctx = ErrorContext {
        region: "us-east-1".into(),
        model_id: "m".into(),
        inference_profile: None,
        operation: Operation::ConverseStream,
        bearer: false,
        model_setting: None,
    };
    let body = Chunks { data: data.to_vec(), at: 0, rng };
    let mut stream = ChatStream::new(Box::new(body), metadata, ctx);
    let mut parts = Vec::new();
    loop {
        match stream.next() {
            Ok(Some(part)) => parts.push(part),
            Ok(None) => {
                assert_eq!(stream.next(), Ok(None), "a finished stream stays finished");
                return (parts, None);
            }
            Err(e) => {
                assert_eq!(stream.next(), Err(e.clone()), "a failed stream keeps its error");
                return (parts, Some(e));
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // The framing layer on its own.
    let mut decoder = FrameDecoder::new();
    decoder.push(data);
    while let Ok(Some(_)) = decoder.next_message() {}
    let _ = decoder.finish();

    let seed = data
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3));
    check_chunkings(data, seed);
    check_chunkings(&framed_lines(data), seed);
});

/// The whole pipeline in one piece, in chunks derived from the input, and in fixed-seed chunks:
/// all three must agree.
fn check_chunkings(body: &[u8], seed: u64) {
    let whole = drain(body, 0);
    assert_eq!(drain(body, seed | 1), whole);
    assert_eq!(drain(body, 0x9e37_79b9_7f4a_7c15), whole);
}

/// `<event-type> <payload>` lines -> valid event-stream frames.
fn framed_lines(data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for line in data.split(|b| *b == b'\n') {
        let line = String::from_utf8_lossy(line);
        let (name, payload) = line.split_once(' ').unwrap_or((&line, ""));
        match name.strip_prefix('!') {
            Some(exception) => body.extend(testing::exception(exception, payload)),
            None => body.extend(testing::event(name, payload)),
        }
    }
    body
}

//! Spec §10.3 vectors, the recorded ConverseStream (TV-4) under every chunking, corruptions,
//! in-stream exceptions and the §15.7-15.10 event shapes.
#![allow(clippy::unwrap_used)]

use super::testing::{self, ChunkedBody};
use super::*;
use crate::api::{Finish, FinishReason, ReasoningDelta, ToolCall, Usage, Warning};
use crate::error::ErrorKind;
use crate::errors::Operation;
use crate::transport::{Body, TimeoutPhase, TransportError};
use aws_smithy_types::DateTime;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use base64::Engine as _;

// ---- Spec §10.3 vectors, verbatim (the repository's `fixtures/eventstream/`) ----

/// A file under the repository's `fixtures/`, without its final newline.
macro_rules! fixture_file {
    ($path:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/", $path)).trim_ascii_end()
    };
}

const TV1: &str = fixture_file!("eventstream/tv1.hex");
const TV2: &str = fixture_file!("eventstream/tv2.hex");
const TV3: &str = fixture_file!("eventstream/tv3.hex");
const TV4_BASE64: &str = fixture_file!("eventstream/tv4.base64");
/// TV-4's six frames, hex, one per line of the fixture.
static TV4_FRAMES: std::sync::LazyLock<Vec<&str>> =
    std::sync::LazyLock::new(|| fixture_file!("eventstream/tv4-frames.hex").lines().collect());
const TV5_BASE64: &str = fixture_file!("eventstream/tv5.base64");
const TV5: &str = fixture_file!("eventstream/tv5.hex");
const TV6: &str = fixture_file!("eventstream/tv6.hex");
const TV7: &str = fixture_file!("eventstream/tv7.hex");
const TV8: &str = fixture_file!("eventstream/tv8.hex");
/// §10.1: the minimum message, no headers and no payload.
const MINIMAL: &str = "000000100000000005c248eb7d98c8ff";

fn hex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn tv4() -> Vec<u8> {
    b64(TV4_BASE64)
}

/// TV-4's frames 1..=n, concatenated.
fn tv4_frames(n: usize) -> Vec<u8> {
    TV4_FRAMES[..n].iter().flat_map(|f| hex(f)).collect()
}

// ---- Helpers ----

fn metadata() -> ResponseMetadata {
    ResponseMetadata {
        model: "eu.anthropic.claude-sonnet-4-6".into(),
        request_id: Some("6f1c2a9e-0000-4000-8000-000000000001".into()),
        latency_ms: None,
    }
}

fn ctx() -> ErrorContext {
    ErrorContext {
        region: "eu-central-1".into(),
        model_id: "eu.anthropic.claude-sonnet-4-6".into(),
        inference_profile: None,
        operation: Operation::ConverseStream,
        bearer: false,
        model_setting: None,
    }
}

/// Pulls every part; on error also checks that the stream stays failed with the same error.
fn run(body: impl Body + 'static) -> (Vec<StreamPart>, Option<ProviderError>) {
    let mut stream = ChatStream::new(Box::new(body), metadata(), ctx());
    let mut parts = Vec::new();
    for _ in 0..100_000 {
        match stream.next() {
            Ok(Some(part)) => parts.push(part),
            Ok(None) => {
                assert_eq!(stream.next(), Ok(None), "a finished stream stays finished");
                return (parts, None);
            }
            Err(e) => {
                assert_eq!(stream.next(), Err(e.clone()), "a failed stream keeps its error");
                assert_eq!(stream.next(), Err(e.clone()), "a failed stream keeps its error");
                return (parts, Some(e));
            }
        }
    }
    panic!("the stream never ended");
}

/// Pulls every part in batches of at most `max`; checks the batch sizes and that the end and
/// the error stay put, and returns the parts in order.
fn run_batched(body: impl Body + 'static, max: u32) -> (Vec<StreamPart>, Option<ProviderError>) {
    let mut stream = ChatStream::new(Box::new(body), metadata(), ctx());
    let mut parts = Vec::new();
    for _ in 0..100_000 {
        match stream.next_batch(max) {
            Ok(batch) if batch.is_empty() => {
                assert_eq!(stream.next_batch(max), Ok(Vec::new()), "a finished stream stays so");
                assert_eq!(stream.next(), Ok(None), "`next` agrees that the stream ended");
                return (parts, None);
            }
            Ok(batch) => {
                assert!(batch.len() <= max.max(1) as usize, "{} parts > max {max}", batch.len());
                parts.extend(batch);
            }
            Err(e) => {
                assert_eq!(
                    stream.next_batch(max),
                    Err(e.clone()),
                    "a failed stream keeps its error"
                );
                assert_eq!(stream.next(), Err(e.clone()), "`next` returns the same error");
                return (parts, Some(e));
            }
        }
    }
    panic!("the stream never ended");
}

/// [`run`], after checking that batches of 1, 3 and 64 parts give the same parts and error.
fn run_chunks(body: ChunkedBody) -> (Vec<StreamPart>, Option<ProviderError>) {
    let one_by_one = run(body.clone());
    for max in [1, 3, 64] {
        assert_eq!(run_batched(body.clone(), max), one_by_one, "next_batch({max}) differs");
    }
    one_by_one
}

fn run_bytes(bytes: &[u8], chunk: usize) -> (Vec<StreamPart>, Option<ProviderError>) {
    run_chunks(ChunkedBody::every(bytes, chunk))
}

fn run_ok(bytes: &[u8]) -> Vec<StreamPart> {
    let (parts, err) = run_bytes(bytes, bytes.len().max(1));
    assert_eq!(err, None, "parts so far: {parts:?}");
    parts
}

fn decode_all(bytes: &[u8]) -> Result<Vec<Message>, ProviderError> {
    let mut decoder = FrameDecoder::new();
    decoder.push(bytes);
    let mut out = Vec::new();
    while let Some(m) = decoder.next_message()? {
        out.push(m);
    }
    decoder.finish()?;
    Ok(out)
}

fn decode_one(bytes: &[u8]) -> Message {
    let mut messages = decode_all(bytes).unwrap();
    assert_eq!(messages.len(), 1);
    messages.remove(0)
}

fn str_headers(m: &Message) -> Vec<(String, String)> {
    m.headers()
        .iter()
        .map(|h| match h.value() {
            HeaderValue::String(s) => (h.name().as_str().to_string(), s.as_str().to_string()),
            other => panic!("non-string header {other:?}"),
        })
        .collect()
}

fn event_headers(event_type: &str) -> Vec<(String, String)> {
    vec![
        (":event-type".into(), event_type.into()),
        (":content-type".into(), "application/json".into()),
        (":message-type".into(), "event".into()),
    ]
}

fn text(index: u32, text: &str) -> StreamPart {
    StreamPart::TextDelta { index, text: text.into() }
}

fn tv4_parts() -> Vec<StreamPart> {
    vec![
        StreamPart::Start(metadata()),
        text(0, "OK"),
        text(0, "."),
        StreamPart::Finish(Finish {
            reason: FinishReason::Stop,
            raw: "end_turn".into(),
            additional_fields_json: Some(r#"{"delta":{"stop_sequence":null}}"#.into()),
        }),
        StreamPart::Usage(Usage {
            input_tokens: 12,
            output_tokens: 5,
            total_tokens: 17,
            cache_read_tokens: None,
            cache_write_tokens: None,
        }),
    ]
}

fn assert_invalid(err: &ProviderError, needle: &str) {
    assert_eq!(err.kind, ErrorKind::InvalidResponse, "{err:?}");
    let text = format!("{} {}", err.message, err.cause.as_deref().unwrap_or(""));
    assert!(text.contains(needle), "expected {needle:?} in {err:?}");
}

/// Deterministic xorshift, so "random" chunkings are reproducible.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

// ---- Framing: spec vectors ----

#[test]
fn tv1_no_headers() {
    let m = decode_one(&hex(TV1));
    assert!(m.headers().is_empty());
    assert_eq!(&m.payload()[..], b"{'foo':'bar'}");
}

#[test]
fn tv2_one_header() {
    let m = decode_one(&hex(TV2));
    assert_eq!(str_headers(&m), vec![("content-type".into(), "application/json".into())]);
    assert_eq!(&m.payload()[..], b"{'foo':'bar'}");
}

#[test]
fn tv3_all_header_types() {
    let bytes = hex(TV3);
    assert_eq!(bytes.len(), 150);
    let m = decode_one(&bytes);
    assert_eq!(
        m.headers(),
        vec![
            Header::new("true", HeaderValue::Bool(true)),
            Header::new("false", HeaderValue::Bool(false)),
            Header::new("byte", HeaderValue::Byte(50)),
            Header::new("short", HeaderValue::Int16(20_000)),
            Header::new("int", HeaderValue::Int32(500_000)),
            Header::new("long", HeaderValue::Int64(50_000_000_000)),
            Header::new("bytes", HeaderValue::ByteArray((&b"some bytes"[..]).into())),
            Header::new("str", HeaderValue::String("some str".into())),
            Header::new("time", HeaderValue::Timestamp(DateTime::from_secs(5_000_000))),
            Header::new("uuid", HeaderValue::Uuid(0xb79bc914_de21_4e13_b8b2_bc47e85b7f0b)),
        ]
    );
    assert_eq!(&m.payload()[..], b"some payload");
}

#[test]
fn minimal_sixteen_byte_message() {
    let m = decode_one(&hex(MINIMAL));
    assert!(m.headers().is_empty());
    assert!(m.payload().is_empty());
}

#[test]
fn tv4_frames_match_the_recording_and_the_table() {
    let body = tv4();
    assert_eq!(body.len(), 1157);
    assert_eq!(body, tv4_frames(6), "frame dumps concatenate to the base64 body");
    let messages = decode_all(&body).unwrap();
    let expected = [
        (
            "messageStart",
            r#"{"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012","role":"assistant"}"#,
        ),
        (
            "contentBlockDelta",
            r#"{"contentBlockIndex":0,"delta":{"text":"OK"},"p":"abcdefghijklmnopqrstuvwx"}"#,
        ),
        (
            "contentBlockDelta",
            r#"{"contentBlockIndex":0,"delta":{"text":"."},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"}"#,
        ),
        ("contentBlockStop", r#"{"contentBlockIndex":0,"p":"ab"}"#),
        (
            "messageStop",
            r#"{"additionalModelResponseFields":{"delta":{"stop_sequence":null}},"p":"abcdefghijklmnopqrstuvw","stopReason":"end_turn"}"#,
        ),
        (
            "metadata",
            r#"{"metrics":{"latencyMs":802},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS","usage":{"inputTokens":12,"outputTokens":5,"serverToolUsage":{},"totalTokens":17}}"#,
        ),
    ];
    assert_eq!(messages.len(), expected.len());
    for (m, (event_type, payload)) in messages.iter().zip(expected) {
        assert_eq!(str_headers(m), event_headers(event_type));
        assert_eq!(std::str::from_utf8(m.payload()).unwrap(), payload);
    }
}

#[test]
fn tv5_exception_frame() {
    let bytes = b64(TV5_BASE64);
    assert_eq!(bytes, hex(TV5));
    let m = decode_one(&bytes);
    assert_eq!(
        str_headers(&m),
        vec![
            (":message-type".into(), "exception".into()),
            (":exception-type".into(), "modelStreamErrorException".into()),
            (":content-type".into(), "application/json".into()),
        ]
    );
    assert_eq!(
        &m.payload()[..],
        br#"{"message":"Model Stream Error","originalStatusCode":500,"originalMessage":"The model stream failed."}"#
    );
}

#[test]
fn tv6_throttling_exception_frame() {
    let m = decode_one(&hex(TV6));
    assert_eq!(
        str_headers(&m),
        vec![
            (":exception-type".into(), "throttlingException".into()),
            (":content-type".into(), "application/json".into()),
            (":message-type".into(), "exception".into()),
        ]
    );
    assert_eq!(
        &m.payload()[..],
        br#"{"message":"Too many requests, please wait before trying again."}"#
    );
}

#[test]
fn tv7_invoke_model_chunk_frame() {
    let m = decode_one(&hex(TV7));
    assert_eq!(str_headers(&m), event_headers("chunk"));
    let payload: serde_json::Value = serde_json::from_slice(m.payload()).unwrap();
    let inner = b64(payload["bytes"].as_str().unwrap());
    assert_eq!(
        inner,
        br#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#
    );
}

#[test]
fn tv8_block_stop_without_padding() {
    let m = decode_one(&hex(TV8));
    assert_eq!(str_headers(&m), event_headers("contentBlockStop"));
    assert_eq!(&m.payload()[..], br#"{"contentBlockIndex":0}"#);
}

#[test]
fn test_encoder_reproduces_spec_frames_byte_for_byte() {
    assert_eq!(testing::event("contentBlockStop", r#"{"contentBlockIndex":0}"#), hex(TV8));
    assert_eq!(
        testing::event(
            "contentBlockDelta",
            r#"{"contentBlockIndex":0,"delta":{"text":"OK"},"p":"abcdefghijklmnopqrstuvwx"}"#
        ),
        hex(TV4_FRAMES[1])
    );
    assert_eq!(
        testing::exception(
            "modelStreamErrorException",
            r#"{"message":"Model Stream Error","originalStatusCode":500,"originalMessage":"The model stream failed."}"#
        ),
        hex(TV5)
    );
}

// ---- Framing: split reads ----

fn decode_chunked(bytes: &[u8], cuts: impl IntoIterator<Item = usize>) -> Vec<Message> {
    let mut decoder = FrameDecoder::new();
    let mut out = Vec::new();
    let mut at = 0usize;
    for size in cuts.into_iter().chain(std::iter::once(usize::MAX)) {
        let end = at.saturating_add(size).min(bytes.len());
        decoder.push(&bytes[at..end]);
        at = end;
        while let Some(m) = decoder.next_message().unwrap() {
            out.push(m);
        }
        if at == bytes.len() {
            break;
        }
    }
    decoder.finish().unwrap();
    out
}

#[test]
fn frames_split_at_every_offset_decode_identically() {
    let body = tv4();
    let whole = decode_all(&body).unwrap();
    for split in 0..=body.len() {
        assert_eq!(decode_chunked(&body, [split]), whole, "split at {split}");
        // Chunks taken over as they are, with a frame straddling the cut.
        let mut decoder = FrameDecoder::new();
        let mut out = Vec::new();
        for chunk in [&body[..split], &body[split..]] {
            decoder.push_owned(chunk.to_vec());
            while let Some(m) = decoder.next_message().unwrap() {
                out.push(m);
            }
        }
        decoder.finish().unwrap();
        assert_eq!(out, whole, "owned chunks split at {split}");
    }
    for size in 1..=11 {
        assert_eq!(decode_chunked(&body, std::iter::repeat(size)), whole, "chunks of {size}");
    }
}

// ---- Framing: corruption ----

#[test]
fn prelude_checksum_mismatch_is_refused() {
    let mut bytes = hex(TV3);
    bytes[8..12].copy_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
    let mut decoder = FrameDecoder::new();
    // The prelude alone is enough to refuse the frame.
    decoder.push(&bytes[..12]);
    let err = decoder.next_message().unwrap_err();
    assert_invalid(&err, "prelude checksum mismatch");
    assert!(err.message.contains("0xdeadbeef") && err.message.contains("0x8bb495fb"), "{err:?}");
    assert!(err.retryable);
}

#[test]
fn message_checksum_mismatch_is_refused() {
    let mut bytes = hex(TV3);
    let n = bytes.len();
    bytes[n - 4..].copy_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
    let err = decode_all(&bytes).unwrap_err();
    assert_invalid(&err, "message checksum mismatch");
    assert!(err.message.contains("0x01a05860"), "{err:?}");

    // A flipped payload byte and a flipped header byte are both reported as checksum errors.
    for at in [20, 150] {
        let mut bytes = tv4();
        bytes[at] ^= 0x20;
        let err = decode_all(&bytes).unwrap_err();
        assert_invalid(&err, "message checksum mismatch");
    }
}

#[test]
fn oversized_frame_is_refused_from_its_prelude_alone() {
    let total: u32 = 1 << 30;
    let mut prelude = Vec::new();
    prelude.extend(total.to_be_bytes());
    prelude.extend(0u32.to_be_bytes());
    prelude.extend(crc32fast::hash(&prelude).to_be_bytes());
    let mut decoder = FrameDecoder::new();
    decoder.push(&prelude);
    let err = decoder.next_message().unwrap_err();
    assert_invalid(&err, "1073741824 bytes");
    assert!(err.message.contains(&DEFAULT_MAX_FRAME_LEN.to_string()), "{err:?}");

    // Through the stream: the body is read no further than the prelude.
    struct OnePrelude(Option<Vec<u8>>);
    impl Body for OnePrelude {
        fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, TransportError> {
            Ok(Some(self.0.take().expect("the stream must stop reading after the prelude")))
        }
    }
    let (parts, err) = run(OnePrelude(Some(prelude.clone())));
    assert_eq!(parts, vec![StreamPart::Start(metadata())]);
    assert_invalid(&err.unwrap(), "refused without reading it");

    // The cap is configurable.
    let frame = hex(TV3);
    let mut small = FrameDecoder::with_max_frame_len(100);
    small.push(&frame[..12]);
    assert_invalid(&small.next_message().unwrap_err(), "100-byte limit");
    let mut exact = FrameDecoder::with_max_frame_len(150);
    exact.push(&frame);
    assert!(exact.next_message().unwrap().is_some());
}

fn prelude(total: u32, headers_len: u32) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend(total.to_be_bytes());
    p.extend(headers_len.to_be_bytes());
    p.extend(crc32fast::hash(&p).to_be_bytes());
    p
}

#[test]
fn impossible_lengths_are_refused() {
    for total in [0, 12, 15] {
        let mut decoder = FrameDecoder::new();
        decoder.push(&prelude(total, 0));
        assert_invalid(&decoder.next_message().unwrap_err(), "the minimum is 16");
    }
    for (total, headers_len) in [(16, 1), (16, 5), (100, 85), (100, u32::MAX)] {
        let mut decoder = FrameDecoder::new();
        decoder.push(&prelude(total, headers_len));
        assert_invalid(&decoder.next_message().unwrap_err(), "headers_length");
    }
    // 84 = 100 - 16 is the largest headers_length that fits: not refused by the prelude check.
    let mut decoder = FrameDecoder::new();
    decoder.push(&prelude(100, 84));
    assert_eq!(decoder.next_message().unwrap(), None);
}

#[test]
fn malformed_headers_with_valid_checksums_are_refused() {
    // Header value type 0x60 does not exist; the CRCs are recomputed so only the header is bad.
    let mut body = Vec::new();
    body.extend(prelude(12 + 3 + 4, 3));
    body.extend([1, b'x', 0x60]);
    body.extend(crc32fast::hash(&body).to_be_bytes());
    assert_invalid(&decode_all(&body).unwrap_err(), "cannot be decoded");
}

#[test]
fn leftover_bytes_at_end_of_body_are_an_error() {
    let body = tv4();
    for drop in [1, 3, 4, 100, 256] {
        let err = decode_all(&body[..body.len() - drop]).unwrap_err();
        assert_invalid(&err, &format!("{} bytes of an incomplete frame remain", 257 - drop));
    }
    let err = decode_all(&body[..5]).unwrap_err();
    assert_invalid(&err, "5 bytes of an incomplete frame remain at end of stream");
}

// ---- ConverseStream: the recording ----

#[test]
fn tv4_yields_the_expected_parts() {
    assert_eq!(run_ok(&tv4()), tv4_parts());
}

#[test]
fn tv4_every_split_point_and_chunk_size_yields_the_same_parts() {
    let body = tv4();
    let expected = tv4_parts();
    for split in 0..=body.len() {
        let chunks = vec![body[..split].to_vec(), body[split..].to_vec()];
        let (parts, err) = run_chunks(ChunkedBody::new(chunks));
        assert_eq!((parts, err), (expected.clone(), None), "split at {split}");
    }
    for size in 1..=11 {
        assert_eq!(run_bytes(&body, size), (expected.clone(), None), "chunks of {size}");
    }
}

#[test]
fn parts_are_delivered_before_the_rest_of_the_body_arrives() {
    // Frames 1-2 then a body that fails: "OK" must already be out when the failure is read.
    let body = ChunkedBody::new([tv4_frames(2)])
        .then_fail(TransportError::Timeout(TimeoutPhase::BetweenBytes));
    let mut stream = ChatStream::new(Box::new(body), metadata(), ctx());
    assert_eq!(stream.next().unwrap(), Some(StreamPart::Start(metadata())));
    assert_eq!(stream.next().unwrap(), Some(text(0, "OK")));
    let err = stream.next().unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout);
    assert_eq!(err.request_id, metadata().request_id, "the request ID is attached");
    assert_eq!(stream.next().unwrap_err(), err);
}

// ---- ConverseStream: batches ----

/// Hands out pre-cut chunks and counts how often it was asked for one.
struct CountingBody {
    inner: ChunkedBody,
    reads: std::rc::Rc<std::cell::Cell<usize>>,
}

impl Body for CountingBody {
    fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, TransportError> {
        self.reads.set(self.reads.get() + 1);
        self.inner.next_chunk()
    }
}

/// A stream over `chunks` and the counter of its body reads.
fn counted(chunks: Vec<Vec<u8>>) -> (ChatStream, std::rc::Rc<std::cell::Cell<usize>>) {
    let reads = std::rc::Rc::default();
    let body = CountingBody { inner: ChunkedBody::new(chunks), reads: std::rc::Rc::clone(&reads) };
    (ChatStream::new(Box::new(body), metadata(), ctx()), reads)
}

#[test]
fn a_batch_never_reads_the_body_when_a_part_is_already_decodable() {
    let parts = tv4_parts();
    let warning = Warning { code: "w".into(), message: "a notice".into() };

    // One frame per read: each batch holds what one read made decodable, and reads stop there.
    let (stream, reads) = counted(TV4_FRAMES.iter().map(|f| hex(f)).collect());
    let mut stream = stream.with_warnings([warning.clone()]);
    let mut batch = |expected: Vec<StreamPart>, reads_after: usize| {
        assert_eq!(stream.next_batch(64).unwrap(), expected);
        assert_eq!(reads.get(), reads_after, "reads after {expected:?}");
    };
    batch(vec![parts[0].clone(), StreamPart::Warning(warning)], 0);
    batch(vec![parts[1].clone()], 2); // messageStart yields no part: one more read.
    batch(vec![parts[2].clone()], 3);
    batch(vec![parts[3].clone()], 5); // contentBlockStop yields no part either.
    batch(vec![parts[4].clone()], 6);
    batch(vec![], 7); // The end of the body is a read too.
    batch(vec![], 7);

    // The whole recording in one read: one batch after `Start`, capped by `max`.
    let (mut stream, reads) = counted(vec![tv4()]);
    assert_eq!(stream.next_batch(64).unwrap(), parts[..1].to_vec());
    assert_eq!(reads.get(), 0, "`Start` needs no body");
    assert_eq!(stream.next_batch(64).unwrap(), parts[1..].to_vec());
    assert_eq!(reads.get(), 1);
    assert_eq!(stream.next_batch(64).unwrap(), vec![]);
    assert_eq!(reads.get(), 2);

    let (mut stream, reads) = counted(vec![tv4()]);
    assert_eq!(stream.next_batch(0).unwrap(), parts[..1].to_vec(), "max 0 counts as 1");
    assert_eq!(stream.next_batch(2).unwrap(), parts[1..3].to_vec());
    assert_eq!(stream.next().unwrap(), Some(parts[3].clone()), "`next` can be mixed in");
    assert_eq!(stream.next_batch(3).unwrap(), parts[4..].to_vec());
    assert_eq!(reads.get(), 1, "all from the first read");
    assert_eq!(stream.next_batch(3).unwrap(), vec![]);
}

#[test]
fn an_error_after_parts_of_a_batch_comes_with_the_next_call() {
    // The exception frame is in the same read as the text before it.
    let mut body = tv4_frames(3);
    body.extend(hex(TV6));
    let (mut stream, reads) = counted(vec![body]);
    assert_eq!(stream.next_batch(64).unwrap(), tv4_parts()[..1].to_vec());
    assert_eq!(stream.next_batch(64).unwrap(), tv4_parts()[1..3].to_vec());
    let err = stream.next_batch(64).unwrap_err();
    assert!(format!("{err:?}").to_lowercase().contains("throttling"), "{err:?}");
    assert_eq!(err.request_id, metadata().request_id, "the request ID is attached");
    assert_eq!(stream.next_batch(64), Err(err.clone()), "the error is final");
    assert_eq!(stream.next(), Err(err));
    assert_eq!(reads.get(), 1, "nothing is read after the exception");

    // A failing read after parts: the parts first, then the transport error.
    let body = ChunkedBody::new([tv4_frames(3)])
        .then_fail(TransportError::Timeout(TimeoutPhase::BetweenBytes));
    let mut stream = ChatStream::new(Box::new(body), metadata(), ctx());
    assert_eq!(stream.next_batch(64).unwrap(), tv4_parts()[..1].to_vec());
    assert_eq!(stream.next_batch(64).unwrap(), tv4_parts()[1..3].to_vec());
    let err = stream.next_batch(64).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout);
    assert_eq!(stream.next_batch(64), Err(err));
}

#[test]
fn truncated_streams_never_end_cleanly() {
    let body = tv4();
    // Cut mid-frame: the framing error.
    for drop in [1, 4, 100, 300, 1000] {
        let (parts, err) = run_bytes(&body[..body.len() - drop], 7);
        let err = err.unwrap();
        assert_invalid(&err, "bytes of an incomplete frame remain at end of stream");
        assert!(err.retryable);
        assert!(parts.len() < tv4_parts().len());
    }
    // Cut exactly at a frame boundary before messageStop.
    for frames in [0, 1, 3, 4] {
        let (parts, err) = run_bytes(&tv4_frames(frames), 5);
        assert_eq!(parts, tv4_parts()[..frames.clamp(1, 3)].to_vec());
        let err = err.unwrap();
        assert_eq!(err.kind, ErrorKind::InvalidResponse);
        assert_eq!(
            err.message,
            "The stream ended before Bedrock's messageStop event: the answer is incomplete."
        );
        assert_eq!(err.request_id, metadata().request_id);
    }
}

#[test]
fn missing_metadata_warns_that_usage_is_unknown() {
    let parts = run_ok(&tv4_frames(5));
    let mut expected = tv4_parts()[..4].to_vec();
    expected.push(StreamPart::Warning(Warning {
        code: "usage-missing".into(),
        message: "Bedrock ended the stream without its metadata event, so token usage for this \
                  answer is unknown."
            .into(),
    }));
    assert_eq!(parts, expected);
}

#[test]
fn metadata_before_message_stop_is_accepted() {
    let mut body = tv4_frames(4);
    body.extend(hex(TV4_FRAMES[5]));
    body.extend(hex(TV4_FRAMES[4]));
    let parts = run_ok(&body);
    let mut expected = tv4_parts();
    expected.swap(3, 4);
    assert_eq!(parts, expected);
}

// ---- ConverseStream: in-stream failures ----

#[test]
fn throttling_exception_after_text_keeps_the_text_and_fails() {
    let mut body = tv4_frames(3);
    body.extend(hex(TV6));
    for size in [1, 13, body.len()] {
        let (parts, err) = run_bytes(&body, size);
        assert_eq!(parts, tv4_parts()[..3].to_vec());
        let err = err.unwrap();
        assert_ne!(err.kind, ErrorKind::InvalidResponse, "{err:?}");
        assert!(format!("{err:?}").to_lowercase().contains("throttling"), "{err:?}");
        assert_eq!(err.request_id, metadata().request_id);
        // Depends on the errors catalogue: once it classifies stream exceptions (the seed
        // answers `internal` for everything), throttling must be `throttled`.
        if err.kind != ErrorKind::Internal {
            assert_eq!(err.kind, ErrorKind::Throttled, "{err:?}");
        }
    }
}

#[test]
fn model_stream_error_exception_fails_the_stream() {
    let mut body = tv4_frames(2);
    body.extend(b64(TV5_BASE64));
    body.extend(tv4_frames(6)); // Nothing after the exception is read.
    let (parts, err) = run_bytes(&body, 64);
    assert_eq!(parts, tv4_parts()[..2].to_vec());
    let err = err.unwrap();
    assert_ne!(err.kind, ErrorKind::InvalidResponse, "{err:?}");
    assert!(format!("{err:?}").contains("odelStreamError"), "{err:?}");
}

#[test]
fn generic_error_frame_fails_the_stream() {
    let mut body = tv4_frames(1);
    body.extend(testing::error("InternalFailure", "An internal error occurred."));
    let (parts, err) = run_bytes(&body, 3);
    assert_eq!(parts, tv4_parts()[..1].to_vec());
    let err = err.unwrap();
    assert_ne!(err.kind, ErrorKind::InvalidResponse, "{err:?}");
    assert!(format!("{err:?}").contains("InternalFailure"), "{err:?}");
}

#[test]
fn frames_without_a_known_message_type_are_refused() {
    let no_type = testing::frame(&[(":event-type", "messageStart")], b"{}");
    assert_invalid(&run_bytes(&no_type, 100).1.unwrap(), ":message-type");
    let odd = testing::frame(&[(":message-type", "gossip")], b"{}");
    assert_invalid(&run_bytes(&odd, 100).1.unwrap(), "gossip");
    let no_event = testing::frame(&[(":message-type", "event")], b"{}");
    assert_invalid(&run_bytes(&no_event, 100).1.unwrap(), ":event-type");
}

// ---- ConverseStream: event shapes (§15.7-15.10) ----

const TOOL_INPUT: &str = r#"{"groups":[{"name":"Sales","parentGroupName":""},{"name":"Team1","parentGroupName":"Sales"}]}"#;

/// §15.9 with the input fragments completed so they join into the documented input.
fn redacted_and_tool_use_lines() -> Vec<String> {
    let mut lines = vec![
        r#"{"messageStart":{"role":"assistant"}}"#.to_string(),
        r#"{"contentBlockDelta":{"contentBlockIndex":0,"delta":{"reasoningContent":{"redactedContent":"cnNuX3BVUGgxNnRvNFZLWURnSkFQeW1i"}}}}"#.into(),
        r#"{"contentBlockStop":{"contentBlockIndex":0}}"#.into(),
        r#"{"contentBlockStart":{"contentBlockIndex":1,"start":{"toolUse":{"name":"propose","toolUseId":"call_61f8fcbe423a58699163c53e076f1a06"}}}}"#.into(),
    ];
    for fragment in tool_fragments() {
        let delta = serde_json::json!({"contentBlockDelta":{"contentBlockIndex":1,"delta":{"toolUse":{"input":fragment}}}});
        lines.push(delta.to_string());
    }
    lines.extend([
        r#"{"contentBlockStop":{"contentBlockIndex":1}}"#.into(),
        r#"{"messageStop":{"stopReason":"tool_use"}}"#.into(),
        r#"{"metadata":{"metrics":{"latencyMs":2588},"usage":{"inputTokens":67,"outputTokens":70,"serverToolUsage":{},"totalTokens":137}}}"#.into(),
    ]);
    lines
}

fn tool_fragments() -> Vec<&'static str> {
    vec![
        "{\"",
        "groups",
        "\":[",
        "{\"name\":\"Sales\",\"",
        "parentGroupName\":\"\"},",
        "{\"name\":\"Team1\",\"parentGroupName\":\"Sales\"}",
        "]}",
    ]
}

fn body_of(lines: &[String]) -> Vec<u8> {
    testing::converse_body(&lines.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn redacted_reasoning_and_tool_use() {
    assert_eq!(tool_fragments().concat(), TOOL_INPUT);
    let parts = run_ok(&body_of(&redacted_and_tool_use_lines()));
    let id = "call_61f8fcbe423a58699163c53e076f1a06";
    let mut expected = vec![
        StreamPart::Start(metadata()),
        StreamPart::ReasoningDelta(ReasoningDelta {
            index: 0,
            text: None,
            signature: None,
            redacted: Some(b"rsn_pUPh16to4VKYDgJAPymb".to_vec()),
        }),
        StreamPart::ToolCallStart { index: 1, id: id.into(), name: "propose".into() },
    ];
    expected.extend(
        tool_fragments()
            .into_iter()
            .map(|f| StreamPart::ToolCallDelta { index: 1, input_fragment: f.into() }),
    );
    expected.extend([
        StreamPart::ToolCallEnd(ToolCall {
            id: id.into(),
            name: "propose".into(),
            input_json: TOOL_INPUT.into(),
        }),
        StreamPart::Finish(Finish {
            reason: crate::converse::finish_reason("tool_use"),
            raw: "tool_use".into(),
            additional_fields_json: None,
        }),
        StreamPart::Usage(Usage {
            input_tokens: 67,
            output_tokens: 70,
            total_tokens: 137,
            cache_read_tokens: None,
            cache_write_tokens: None,
        }),
    ]);
    assert_eq!(parts, expected);
}

#[test]
fn tool_call_without_input_gets_an_empty_object() {
    let body = testing::converse_body(&[
        r#"{"messageStart":{"role":"assistant"}}"#,
        r#"{"contentBlockStart":{"contentBlockIndex":0,"start":{"toolUse":{"name":"now","toolUseId":"t1"}}}}"#,
        r#"{"contentBlockStop":{"contentBlockIndex":0}}"#,
        r#"{"messageStop":{"stopReason":"tool_use"}}"#,
        r#"{"metadata":{"usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2}}}"#,
    ]);
    let parts = run_ok(&body);
    assert!(parts.contains(&StreamPart::ToolCallEnd(ToolCall {
        id: "t1".into(),
        name: "now".into(),
        input_json: "{}".into()
    })));
}

#[test]
fn tool_input_that_is_not_json_is_an_invalid_response() {
    let body = testing::converse_body(&[
        r#"{"messageStart":{"role":"assistant"}}"#,
        r#"{"contentBlockStart":{"contentBlockIndex":2,"start":{"toolUse":{"name":"f","toolUseId":"t9"}}}}"#,
        r#"{"contentBlockDelta":{"contentBlockIndex":2,"delta":{"toolUse":{"input":"{\"a\":"}}}}"#,
        r#"{"contentBlockStop":{"contentBlockIndex":2}}"#,
    ]);
    let (parts, err) = run_bytes(&body, 9);
    assert_eq!(
        parts.last(),
        Some(&StreamPart::ToolCallDelta { index: 2, input_fragment: r#"{"a":"#.into() })
    );
    let err = err.unwrap();
    assert_invalid(&err, "not valid JSON");
    assert!(err.message.contains("t9"), "{err:?}");
}

#[test]
fn tool_input_without_a_start_is_an_invalid_response() {
    let body = testing::converse_body(&[
        r#"{"contentBlockDelta":{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{}"}}}}"#,
    ]);
    assert_invalid(&run_bytes(&body, 50).1.unwrap(), "without a `contentBlockStart`");
}

const SIGNATURE: &str = "Ep0CCkgICxABGAIqQOWPB6/PmA5SW9jC6FvaNq3E+U9ev4FMWcFWuAho+VGLCtazKc5WDjQ5i0MuxsY0o5pKDSVWVKii8KJDusXH4eASDK7jyzuk8iij7fJNihoMxHO9haYzt48R36HVIjCb/EmIFrJLIXShqN6DN//T6vZBtO9qj1QhNWJa3CGm8VZoq80S2/Ok4U0aVaIDiZcqggHC2b8BHuv8BHZrmsR0wjU1ynansBGMdfjnG+iIv8R5lPpRmYGhSVwNybwP3aQZ6o8Dr48Rau8TJfdsArW+r7bvL7bPs4f5nnlp2vG7WkMzWwABHK3fdM44zZ1GZQaWyECNWR2GfY6dXiklo94vgpFTPuZ97mfiN3LY6uYyBwL8RkDaGAE=";

#[test]
fn reasoning_with_signature_then_text() {
    let signature_line = serde_json::json!({"contentBlockDelta":{"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":SIGNATURE}}}}).to_string();
    let body = testing::converse_body(&[
        r#"{"messageStart":{"role":"assistant"}}"#,
        r#"{"contentBlockDelta":{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"Let me count the r"}}}}"#,
        r#"{"contentBlockDelta":{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":""}}}}"#,
        &signature_line,
        r#"{"contentBlockStop":{"contentBlockIndex":0}}"#,
        r#"{"contentBlockDelta":{"contentBlockIndex":1,"delta":{"text":"There"}}}"#,
        r#"{"contentBlockStop":{"contentBlockIndex":1}}"#,
        r#"{"messageStop":{"additionalModelResponseFields":{"delta":{"stop_sequence":null}},"stopReason":"end_turn"}}"#,
        r#"{"metadata":{"metrics":{"latencyMs":2281},"usage":{"inputTokens":51,"outputTokens":94,"serverToolUsage":{},"totalTokens":145}}}"#,
    ]);
    let reasoning = |text: Option<&str>, signature: Option<&str>| {
        StreamPart::ReasoningDelta(ReasoningDelta {
            index: 0,
            text: text.map(Into::into),
            signature: signature.map(Into::into),
            redacted: None,
        })
    };
    let parts = run_ok(&body);
    assert_eq!(
        parts[..5].to_vec(),
        vec![
            StreamPart::Start(metadata()),
            reasoning(Some("Let me count the r"), None),
            reasoning(Some(""), None),
            reasoning(None, Some(SIGNATURE)),
            text(1, "There"),
        ]
    );
    assert!(matches!(&parts[5], StreamPart::Finish(f) if f.reason == FinishReason::Stop));
    assert!(matches!(&parts[6], StreamPart::Usage(u) if u.total_tokens == 145));
    assert_eq!(parts.len(), 7);
}

#[test]
fn invalid_redacted_base64_is_an_invalid_response() {
    let body = testing::converse_body(&[
        r#"{"contentBlockDelta":{"contentBlockIndex":0,"delta":{"reasoningContent":{"redactedContent":"not base64!"}}}}"#,
    ]);
    assert_invalid(&run_bytes(&body, 50).1.unwrap(), "not valid base64");
}

#[test]
fn citations_are_passed_through_as_json() {
    let citation_line = r#"{"contentBlockDelta":{"contentBlockIndex":1,"delta":{"citation":{"location":{"documentPage":{"documentIndex":0,"end":2,"start":1}},"sourceContent":[{"text":"AI 1\r\nAI\r\nGenerative artificial intelligence refers to models that predict and generate\r\nvarious types of outputs (such as text, images, or audio) based on what’s\r\nstatistically likely, pulling from patterns they’ve learned from their training data.\r\n"}],"title":"document-1"}}}}"#;
    let body = testing::converse_body(&[
        r#"{"messageStart":{"role":"assistant"}}"#,
        r#"{"contentBlockDelta":{"contentBlockIndex":0,"delta":{"text":"Base"}}}"#,
        r#"{"contentBlockDelta":{"contentBlockIndex":0,"delta":{"text":"d on the supplie"}}}"#,
        r#"{"contentBlockDelta":{"contentBlockIndex":0,"delta":{"text":"d document, "}}}"#,
        r#"{"contentBlockStop":{"contentBlockIndex":0}}"#,
        citation_line,
        r#"{"contentBlockDelta":{"contentBlockIndex":1,"delta":{"text":"gener"}}}"#,
        r#"{"contentBlockStop":{"contentBlockIndex":1}}"#,
        r#"{"messageStop":{"stopReason":"end_turn"}}"#,
        r#"{"metadata":{"usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3}}}"#,
    ]);
    let parts = run_ok(&body);
    assert_eq!(
        parts[1..4].to_vec(),
        vec![text(0, "Base"), text(0, "d on the supplie"), text(0, "d document, ")]
    );
    let StreamPart::Citation(json) = &parts[4] else { panic!("expected a citation: {parts:?}") };
    let line: serde_json::Value = serde_json::from_str(citation_line).unwrap();
    let got: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(got, line["contentBlockDelta"]["delta"]["citation"]);
    assert_eq!(parts[5], text(1, "gener"));
}

#[test]
fn trace_and_cache_usage_from_metadata() {
    let body = testing::converse_body(&[
        r#"{"messageStop":{"stopReason":"guardrail_intervened"}}"#,
        r#"{"metadata":{"usage":{"inputTokens":5,"outputTokens":6,"totalTokens":11,"cacheReadInputTokens":3,"cacheWriteInputTokens":4},"trace":{"guardrail":{"actionReason":"x"}}}}"#,
    ]);
    let parts = run_ok(&body);
    assert_eq!(
        parts[2..].to_vec(),
        vec![
            StreamPart::Usage(Usage {
                input_tokens: 5,
                output_tokens: 6,
                total_tokens: 11,
                cache_read_tokens: Some(3),
                cache_write_tokens: Some(4),
            }),
            StreamPart::Trace(r#"{"guardrail":{"actionReason":"x"}}"#.into()),
        ]
    );
    assert!(matches!(&parts[1], StreamPart::Finish(f) if f.raw == "guardrail_intervened"));
}

#[test]
fn padding_unknown_events_and_unknown_members_are_ignored() {
    let body = testing::converse_body(&[
        r#"{"messageStart":{"role":"assistant","p":"abc"}}"#,
        r#"{"contentBlockDelta":{"contentBlockIndex":0,"delta":{"p":"abcdef","text":"x"},"p":"ab"}}"#,
        r#"{"contentBlockDelta":{"contentBlockIndex":0,"delta":{"p":"abcdef"}}}"#,
        r#"{"contentBlockDelta":{"contentBlockIndex":0,"delta":{"image":{"source":{}}}}}"#,
        r#"{"contentBlockStart":{"contentBlockIndex":3,"start":{"image":{"format":"png"}}}}"#,
        r#"{"futureEvent":{"anything":[1,2,3]}}"#,
        r#"{"contentBlockStop":{"contentBlockIndex":0,"p":"a"}}"#,
        r#"{"messageStop":{"stopReason":"max_tokens","p":"abcd"}}"#,
        r#"{"metadata":{"usage":{"inputTokens":2,"outputTokens":10,"totalTokens":12},"metrics":{"latencyMs":317},"p":"z"}}"#,
    ]);
    let parts = run_ok(&body);
    assert_eq!(parts.len(), 4, "{parts:?}");
    assert_eq!(parts[1], text(0, "x"));
    assert!(matches!(&parts[2], StreamPart::Finish(f) if f.reason == FinishReason::Length));
}

#[test]
fn known_events_with_the_wrong_shape_are_invalid_responses() {
    for (line, needle) in [
        (r#"{"contentBlockDelta":{"delta":{"text":"x"}}}"#, "contentBlockIndex"),
        (
            r#"{"contentBlockDelta":{"contentBlockIndex":0,"delta":{"text":7}}}"#,
            "contentBlockDelta",
        ),
        (r#"{"messageStop":{"p":"abc"}}"#, "stopReason"),
        (r#"{"metadata":{"usage":[1]}}"#, "not an object"),
        (
            r#"{"contentBlockStart":{"contentBlockIndex":0,"start":{"toolUse":{"name":"f"}}}}"#,
            "toolUseId",
        ),
    ] {
        let err = run_bytes(&testing::converse_body(&[line]), 1000).1.unwrap();
        assert_invalid(&err, needle);
    }
    let not_json = testing::event("messageStart", "{");
    assert_invalid(&run_bytes(&not_json, 10).1.unwrap(), "messageStart");
}

#[test]
fn random_chunking_of_a_long_stream() {
    let mut lines = vec![r#"{"messageStart":{"role":"assistant"}}"#.to_string()];
    for i in 0..300 {
        let delta = serde_json::json!({"contentBlockDelta":{"contentBlockIndex":0,"delta":{"text":format!("word{i} ")},"p":"abcdefghij"[..i % 10].to_string()}});
        lines.push(delta.to_string());
    }
    lines.push(r#"{"contentBlockStop":{"contentBlockIndex":0}}"#.into());
    lines.extend(redacted_and_tool_use_lines().into_iter().skip(3));
    let body = body_of(&lines);
    let expected = run_ok(&body);
    assert_eq!(expected.len(), 1 + 300 + 1 + tool_fragments().len() + 3);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..40 {
        let max = [2, 5, 17, 64, 300, 2000][round % 6];
        let mut chunks = Vec::new();
        let mut at = 0;
        while at < body.len() {
            let end = (at + rng.below(max)).min(body.len()); // Empty chunks included.
            chunks.push(body[at..end].to_vec());
            at = end;
        }
        assert_eq!(run_chunks(ChunkedBody::new(chunks)), (expected.clone(), None), "round {round}");
    }
}

// ---- Fuzz seeds ----

#[test]
fn fuzz_seeds_decode_without_panicking_under_every_chunking() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/event_stream");
    let mut seeds: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    seeds.sort();
    assert!(seeds.len() >= 10, "seeds in {}: {seeds:?}", dir.display());
    for path in &seeds {
        let bytes = std::fs::read(path).unwrap();
        let whole = run_bytes(&bytes, bytes.len().max(1));
        for size in 1..=7 {
            // `run` itself asserts that every stream terminates (Ok(None) or a sticky Err).
            assert_eq!(run_bytes(&bytes, size), whole, "{} in chunks of {size}", path.display());
        }
    }
    let tv4_seed = std::fs::read(dir.join("tv4-converse-stream.bin")).unwrap();
    assert_eq!(tv4_seed, tv4(), "the TV-4 seed is the recording");
    assert_eq!(run_ok(&tv4_seed), tv4_parts());
    let rich = run_ok(&std::fs::read(dir.join("reasoning-tool-use-citation.bin")).unwrap());
    assert!(
        rich.iter()
            .any(|p| matches!(p, StreamPart::ToolCallEnd(c) if c.input_json == r#"{"groups":[]}"#))
    );
    assert!(rich.iter().any(|p| matches!(p, StreamPart::Citation(_))));
    assert!(rich.iter().any(|p| matches!(p, StreamPart::Trace(_))));
}

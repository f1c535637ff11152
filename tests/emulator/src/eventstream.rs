//! `application/vnd.amazon.eventstream` framing (spec §10), written by hand with `crc32fast`.
//!
//! This is test tooling: the guest decodes with `aws-smithy-eventstream`, so the emulator encodes
//! independently of it. If both sides used one library, a bug in it (say, a wrong CRC range)
//! would make the tests agree with themselves. The encoder is checked byte for byte against the
//! spec's recorded frames (TV-4, TV-5, TV-6); the small decoder exists for tests and for splitting
//! recordings into frames.

/// Encodes one message with string headers (type 7) in the given order.
pub fn encode_message(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let mut header_bytes = Vec::new();
    for (name, value) in headers {
        // Header names are at most 255 bytes and values at most 65535: true for every header
        // the emulator writes; longer ones are cut rather than framed wrongly.
        let name = &name.as_bytes()[..name.len().min(255)];
        let value = &value.as_bytes()[..value.len().min(u16::MAX as usize)];
        header_bytes.push(name.len() as u8);
        header_bytes.extend_from_slice(name);
        header_bytes.push(7);
        header_bytes.extend_from_slice(&(value.len() as u16).to_be_bytes());
        header_bytes.extend_from_slice(value);
    }
    let total = 12 + header_bytes.len() + payload.len() + 4;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&(total as u32).to_be_bytes());
    out.extend_from_slice(&(header_bytes.len() as u32).to_be_bytes());
    let prelude_crc = crc32fast::hash(&out[..8]);
    out.extend_from_slice(&prelude_crc.to_be_bytes());
    out.extend_from_slice(&header_bytes);
    out.extend_from_slice(payload);
    let message_crc = crc32fast::hash(&out);
    out.extend_from_slice(&message_crc.to_be_bytes());
    out
}

/// Encodes an event frame the way Bedrock does: headers `:event-type`, `:content-type`
/// (`application/json`), `:message-type` (`event`), in that order (spec TV-4).
pub fn encode_event(event_type: &str, payload: &[u8]) -> Vec<u8> {
    encode_message(
        &[
            (":event-type", event_type),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ],
        payload,
    )
}

/// Encodes an exception frame: headers `:message-type` (`exception`), `:exception-type`,
/// `:content-type`, in the order of the recorded spec TV-5.
pub fn encode_exception(exception_type: &str, payload: &[u8]) -> Vec<u8> {
    encode_message(
        &[
            (":message-type", "exception"),
            (":exception-type", exception_type),
            (":content-type", "application/json"),
        ],
        payload,
    )
}

/// A decoded message (string headers only; other header types are reported as errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Headers in wire order.
    pub headers: Vec<(String, String)>,
    /// The payload bytes.
    pub payload: Vec<u8>,
}

impl Message {
    /// The value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Why bytes could not be decoded as a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Fewer bytes than the prelude or the announced total length.
    Incomplete,
    /// The prelude CRC does not match.
    PreludeChecksum,
    /// The message CRC does not match.
    MessageChecksum,
    /// Lengths or header records are inconsistent.
    Invalid(String),
}

/// Decodes the message at the start of `bytes`; returns it and the number of bytes it used.
pub fn decode_message(bytes: &[u8]) -> Result<(Message, usize), DecodeError> {
    if bytes.len() < 12 {
        return Err(DecodeError::Incomplete);
    }
    let be32 =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let (total, hlen, prelude_crc) = (be32(0) as usize, be32(4) as usize, be32(8));
    if crc32fast::hash(&bytes[..8]) != prelude_crc {
        return Err(DecodeError::PreludeChecksum);
    }
    if total < 16 || hlen + 16 > total || hlen == 1 {
        return Err(DecodeError::Invalid(format!("total {total}, headers {hlen}")));
    }
    if bytes.len() < total {
        return Err(DecodeError::Incomplete);
    }
    if crc32fast::hash(&bytes[..total - 4]) != be32(total - 4) {
        return Err(DecodeError::MessageChecksum);
    }
    let mut headers = Vec::new();
    let mut at = 12;
    let end = 12 + hlen;
    while at < end {
        let name_len = bytes[at] as usize;
        at += 1;
        if at + name_len + 3 > end {
            return Err(DecodeError::Invalid("header record overruns headers".into()));
        }
        let name = String::from_utf8(bytes[at..at + name_len].to_vec())
            .map_err(|_| DecodeError::Invalid("header name is not UTF-8".into()))?;
        at += name_len;
        if bytes[at] != 7 {
            return Err(DecodeError::Invalid(format!("header type {} unsupported", bytes[at])));
        }
        let value_len = u16::from_be_bytes([bytes[at + 1], bytes[at + 2]]) as usize;
        at += 3;
        if at + value_len > end {
            return Err(DecodeError::Invalid("header value overruns headers".into()));
        }
        let value = String::from_utf8(bytes[at..at + value_len].to_vec())
            .map_err(|_| DecodeError::Invalid("header value is not UTF-8".into()))?;
        at += value_len;
        headers.push((name, value));
    }
    Ok((Message { headers, payload: bytes[end..total - 4].to_vec() }, total))
}

/// Decodes a whole body into messages; fails on trailing bytes that are not a full message.
pub fn decode_all(mut bytes: &[u8]) -> Result<Vec<Message>, DecodeError> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (message, used) = decode_message(bytes)?;
        out.push(message);
        bytes = &bytes[used..];
    }
    Ok(out)
}

/// Splits a body into its raw frames (each a complete encoded message), checking the CRCs.
pub fn split_frames(mut bytes: &[u8]) -> Result<Vec<Vec<u8>>, DecodeError> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (_, used) = decode_message(bytes)?;
        out.push(bytes[..used].to_vec());
        bytes = &bytes[used..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::fixtures;

    const TV4_FRAMES: [&str; 6] = [
        "000000b400000052050041650b3a6576656e742d7479706507000c6d65737361676553746172740d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b2270223a226162636465666768696a6b6c6d6e6f707172737475767778797a4142434445464748494a4b4c4d4e4f505152535455565758595a303132222c22726f6c65223a22617373697374616e74227d9f5f7f2d",
        "000000b300000057c74a69fa0b3a6576656e742d74797065070011636f6e74656e74426c6f636b44656c74610d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b22636f6e74656e74426c6f636b496e646578223a302c2264656c7461223a7b2274657874223a224f4b227d2c2270223a226162636465666768696a6b6c6d6e6f707172737475767778227d76c14e5c",
        "000000be000000573fdaad4b0b3a6576656e742d74797065070011636f6e74656e74426c6f636b44656c74610d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b22636f6e74656e74426c6f636b496e646578223a302c2264656c7461223a7b2274657874223a222e227d2c2270223a226162636465666768696a6b6c6d6e6f707172737475767778797a4142434445464748494a227d865d1d25",
        "0000008600000056d98c6e9a0b3a6576656e742d74797065070010636f6e74656e74426c6f636b53746f700d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b22636f6e74656e74426c6f636b496e646578223a302c2270223a226162227df3388a20",
        "000000d900000051fdaba3230b3a6576656e742d7479706507000b6d65737361676553746f700d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b226164646974696f6e616c4d6f64656c526573706f6e73654669656c6473223a7b2264656c7461223a7b2273746f705f73657175656e6365223a6e756c6c7d7d2c2270223a226162636465666768696a6b6c6d6e6f7071727374757677222c2273746f70526561736f6e223a22656e645f7475726e227d20e248d0",
        "000001010000004e027a49eb0b3a6576656e742d747970650700086d657461646174610d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b226d657472696373223a7b226c6174656e63794d73223a3830327d2c2270223a226162636465666768696a6b6c6d6e6f707172737475767778797a4142434445464748494a4b4c4d4e4f50515253222c227573616765223a7b22696e707574546f6b656e73223a31322c226f7574707574546f6b656e73223a352c22736572766572546f6f6c5573616765223a7b7d2c22746f74616c546f6b656e73223a31377d7dad236550",
    ];
    const TV4_EVENTS: [&str; 6] = [
        "messageStart",
        "contentBlockDelta",
        "contentBlockDelta",
        "contentBlockStop",
        "messageStop",
        "metadata",
    ];
    const TV4_PAYLOADS: [&str; 6] = [
        r#"{"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012","role":"assistant"}"#,
        r#"{"contentBlockIndex":0,"delta":{"text":"OK"},"p":"abcdefghijklmnopqrstuvwx"}"#,
        r#"{"contentBlockIndex":0,"delta":{"text":"."},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"}"#,
        r#"{"contentBlockIndex":0,"p":"ab"}"#,
        r#"{"additionalModelResponseFields":{"delta":{"stop_sequence":null}},"p":"abcdefghijklmnopqrstuvw","stopReason":"end_turn"}"#,
        r#"{"metrics":{"latencyMs":802},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS","usage":{"inputTokens":12,"outputTokens":5,"serverToolUsage":{},"totalTokens":17}}"#,
    ];

    #[test]
    fn re_encodes_tv4_byte_for_byte() {
        let mut whole = Vec::new();
        for i in 0..6 {
            let frame = encode_event(TV4_EVENTS[i], TV4_PAYLOADS[i].as_bytes());
            assert_eq!(hex::encode(&frame), TV4_FRAMES[i], "frame {}", i + 1);
            whole.extend(frame);
        }
        assert_eq!(whole.len(), 1157);
        assert_eq!(whole, fixtures::tv4_bytes());
    }

    #[test]
    fn re_encodes_tv5_exception() {
        let payload = r#"{"message":"Model Stream Error","originalStatusCode":500,"originalMessage":"The model stream failed."}"#;
        assert_eq!(
            hex::encode(encode_exception("modelStreamErrorException", payload.as_bytes())),
            "000000dd00000067c791907a0d3a6d6573736167652d74797065070009657863657074696f6e0f3a657863657074696f6e2d747970650700196d6f64656c53747265616d4572726f72457863657074696f6e0d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e7b226d657373616765223a224d6f64656c2053747265616d204572726f72222c226f726967696e616c537461747573436f6465223a3530302c226f726967696e616c4d657373616765223a22546865206d6f64656c2073747265616d206661696c65642e227d57334313"
        );
    }

    #[test]
    fn re_encodes_tv6_tv8_and_the_minimum_message() {
        let tv6 = encode_message(
            &[
                (":exception-type", "throttlingException"),
                (":content-type", "application/json"),
                (":message-type", "exception"),
            ],
            br#"{"message":"Too many requests, please wait before trying again."}"#,
        );
        assert_eq!(tv6, fixtures::tv6_bytes());
        assert_eq!(
            hex::encode(encode_event("contentBlockStop", br#"{"contentBlockIndex":0}"#)),
            "0000007d00000056e6680fd60b3a6576656e742d74797065070010636f6e74656e74426c6f636b53746f700d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b22636f6e74656e74426c6f636b496e646578223a307db32e4d34"
        );
        assert_eq!(hex::encode(encode_message(&[], b"")), "000000100000000005c248eb7d98c8ff");
    }

    #[test]
    fn decodes_tv4_and_detects_corruption() {
        let bytes = fixtures::tv4_bytes();
        let messages = decode_all(&bytes).unwrap();
        assert_eq!(messages.len(), 6);
        assert_eq!(messages[4].header(":event-type"), Some("messageStop"));
        assert_eq!(messages[1].payload, TV4_PAYLOADS[1].as_bytes());
        let mut bad = bytes.clone();
        bad[180 + 179 - 1] ^= 0xff;
        assert_eq!(decode_all(&bad[180..]).unwrap_err(), DecodeError::MessageChecksum);
        bad[8] ^= 0xff;
        assert_eq!(decode_message(&bad).unwrap_err(), DecodeError::PreludeChecksum);
        assert_eq!(decode_message(&bytes[..100]).unwrap_err(), DecodeError::Incomplete);
        assert_eq!(split_frames(&bytes).unwrap().len(), 6);
    }
}

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

    #[test]
    fn re_encodes_tv4_byte_for_byte() {
        let mut whole = Vec::new();
        let frames: Vec<&str> = fixtures::TV4_FRAMES_HEX.lines().collect();
        let events: Vec<_> = fixtures::tv4_events().collect();
        assert_eq!((frames.len(), events.len()), (6, 6));
        for (i, (event_type, payload)) in events.into_iter().enumerate() {
            let frame = encode_event(event_type, payload.as_bytes());
            assert_eq!(hex::encode(&frame), frames[i], "frame {}", i + 1);
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
            fixtures::TV5_HEX
        );
        assert_eq!(hex::decode(fixtures::TV5_HEX).unwrap(), fixtures::tv5_bytes());
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
            fixtures::TV8_HEX
        );
        assert_eq!(hex::encode(encode_message(&[], b"")), "000000100000000005c248eb7d98c8ff");
    }

    #[test]
    fn decodes_tv4_and_detects_corruption() {
        let bytes = fixtures::tv4_bytes();
        let messages = decode_all(&bytes).unwrap();
        assert_eq!(messages.len(), 6);
        assert_eq!(messages[4].header(":event-type"), Some("messageStop"));
        let (_, delta) = fixtures::tv4_events().nth(1).unwrap();
        assert_eq!(messages[1].payload, delta.as_bytes());
        let mut bad = bytes.clone();
        bad[180 + 179 - 1] ^= 0xff;
        assert_eq!(decode_all(&bad[180..]).unwrap_err(), DecodeError::MessageChecksum);
        bad[8] ^= 0xff;
        assert_eq!(decode_message(&bad).unwrap_err(), DecodeError::PreludeChecksum);
        assert_eq!(decode_message(&bytes[..100]).unwrap_err(), DecodeError::Incomplete);
        assert_eq!(split_frames(&bytes).unwrap().len(), 6);
    }
}

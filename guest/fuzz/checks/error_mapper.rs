//! `errors::from_http` and `errors::from_stream_exception` on arbitrary upstream errors.
//!
//! The input reads like the response it stands for, so seeds are recorded errors and byte
//! mutations stay meaningful:
//!
//! ```text
//! HTTP 403                         (or: STREAM throttlingException)
//! x-amzn-errortype: AccessDeniedException:http://internal.amazon.com/coral/com.amazon.bedrock/
//! x-amzn-requestid: 39c52d8a-…
//!                                  (empty line)
//! {"message":"…"}                  (the body or event payload, any bytes)
//! ```
//!
//! Without a recognisable first line, the whole input is the body of a status picked from its
//! hash, and also the payload of a picked stream exception. The error context (operation, API
//! key or not, a suggested profile) is picked from the hash too.
//!
//! Properties, for the input as given and with `x-amz-security-token:FUZZSECRET123` planted in
//! the body (at a byte position, and inside each string member of a JSON body):
//! - the result has a message, a cause and a solution, none of them empty, and the HTTP status;
//! - no `http://internal` (AWS's internal namespace) in the message, cause or solution;
//! - the planted token's value appears nowhere in the error.

use bedrock_provider::error::ProviderError;
use bedrock_provider::errors::{ErrorContext, Operation, from_http, from_stream_exception};
use serde_json::Value;

use super::{Outcomes, contains_ci, fnv};

/// What a leaked canonical request would show; must never come out.
const SECRET: &str = "FUZZSECRET123";
/// How it is planted: as AWS prints the session token in a canonical request.
const PLANTED: &str = "x-amz-security-token:FUZZSECRET123";

const STATUSES: [u16; 15] =
    [200, 400, 401, 403, 404, 408, 409, 413, 424, 429, 500, 502, 503, 504, 418];
const STREAM_EXCEPTIONS: [&str; 7] = [
    "throttlingException",
    "modelStreamErrorException",
    "validationException",
    "internalServerException",
    "serviceUnavailableException",
    "modelTimeoutException",
    "",
];
/// Body members whose text the mapper reads.
const TEXT_MEMBERS: [&str; 8] =
    ["message", "Message", "code", "Code", "__type", "reason", "resourceName", "originalMessage"];

/// The call an input stands for.
enum Call {
    Http { status: u16, headers: Vec<(String, String)> },
    Stream { exception_type: String },
}

/// Runs the error-mapper properties on `data`.
pub fn check(data: &[u8]) -> Outcomes {
    let h = fnv(data);
    let ops = [
        Operation::Converse,
        Operation::ConverseStream,
        Operation::RerankInvokeModel,
        Operation::Rerank,
    ];
    let ctx = ErrorContext {
        region: "us-east-1".into(),
        model_id: "anthropic.claude-sonnet-4-5-20250929-v1:0".into(),
        inference_profile: (h & 4 != 0)
            .then(|| "us.anthropic.claude-sonnet-4-5-20250929-v1:0".into()),
        operation: ops[(h % 4) as usize],
        bearer: h & 8 != 0,
        model_setting: None,
    };
    let mut out = Outcomes::default();
    match parse(data) {
        Some((call, body)) => check_call(&call, body, &ctx, h, &mut out),
        None => {
            let status = STATUSES[(h >> 8) as usize % STATUSES.len()];
            let http = Call::Http { status, headers: Vec::new() };
            check_call(&http, data, &ctx, h, &mut out);
            let name = STREAM_EXCEPTIONS[(h >> 16) as usize % STREAM_EXCEPTIONS.len()];
            let stream = Call::Stream { exception_type: name.into() };
            check_call(&stream, data, &ctx, h, &mut out);
        }
    }
    out
}

/// Splits `HTTP <status>` / `STREAM <type>`, header lines, an empty line, and the body.
fn parse(data: &[u8]) -> Option<(Call, &[u8])> {
    let split = data.windows(2).position(|w| w == b"\n\n");
    let (head, body) = match split {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = head.lines();
    let first = lines.next()?;
    let call = if let Some(status) = first.strip_prefix("HTTP ") {
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        Call::Http { status: status.trim().parse().ok()?, headers }
    } else {
        Call::Stream { exception_type: first.strip_prefix("STREAM ")?.to_string() }
    };
    Some((call, body))
}

fn check_call(call: &Call, body: &[u8], ctx: &ErrorContext, h: u64, out: &mut Outcomes) {
    let e = map(call, body, ctx);
    well_formed(call, &e);
    out.error(&e);

    // The secret may only be looked for when the input does not carry it some other way.
    let given = match call {
        Call::Http { headers, .. } => {
            headers.iter().any(|(n, v)| contains_ci(&format!("{n}{v}"), "fuzzsecret"))
        }
        Call::Stream { exception_type } => contains_ci(exception_type, "fuzzsecret"),
    };
    if given
        || contains_ci(&String::from_utf8_lossy(body), "fuzzsecret")
        || json_text_has_secret(body)
    {
        return;
    }
    let at = (h >> 24) as usize % (body.len() + 1);
    let planted = [&body[..at], PLANTED.as_bytes(), &body[at..]].concat();
    hides_secret(call, &planted, ctx);
    if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) {
        for member in TEXT_MEMBERS {
            if let Some(Value::String(s)) = map.get(member) {
                let mut with = map.clone();
                let bounds: Vec<usize> =
                    s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
                let at = bounds[(h >> 32) as usize % bounds.len()];
                with.insert(
                    member.into(),
                    Value::String(format!("{}{PLANTED}{}", &s[..at], &s[at..])),
                );
                hides_secret(call, Value::Object(with).to_string().as_bytes(), ctx);
            }
        }
    }
}

fn map(call: &Call, body: &[u8], ctx: &ErrorContext) -> ProviderError {
    match call {
        Call::Http { status, headers } => from_http(*status, headers, body, ctx),
        Call::Stream { exception_type } => from_stream_exception(exception_type, body, ctx),
    }
}

fn well_formed(call: &Call, e: &ProviderError) {
    assert!(!e.message.trim().is_empty(), "{e:?}");
    let cause = e.cause.as_deref().unwrap_or_default();
    let solution = e.solution.as_deref().unwrap_or_default();
    assert!(!cause.is_empty() && !solution.is_empty(), "{e:?}");
    for text in [e.message.as_str(), cause, solution] {
        assert!(!contains_ci(text, "http://internal"), "internal namespace shown: {text:?}");
    }
    if let Some(field) = &e.field {
        assert!(!field.is_empty(), "{e:?}");
    }
    match call {
        Call::Http { status, .. } => assert_eq!(e.status, Some(*status), "{e:?}"),
        Call::Stream { .. } => assert_eq!(e.status, None, "{e:?}"),
    }
}

fn hides_secret(call: &Call, body: &[u8], ctx: &ErrorContext) {
    let e = map(call, body, ctx);
    well_formed(call, &e);
    let shown = format!("{e:?}");
    assert!(!shown.contains(SECRET), "planted token shown: {shown}");
}

/// Whether a JSON body spells the secret with escapes (then it is not planted, but given).
fn json_text_has_secret(body: &[u8]) -> bool {
    fn walk(v: &Value) -> bool {
        match v {
            Value::String(s) => contains_ci(s, "fuzzsecret"),
            Value::Array(items) => items.iter().any(walk),
            Value::Object(map) => map.iter().any(|(k, v)| contains_ci(k, "fuzzsecret") || walk(v)),
            _ => false,
        }
    }
    serde_json::from_slice::<Value>(body).is_ok_and(|v| walk(&v))
}

//! Reads what an AWS error response says: code, message, request ID, retry delay.
//!
//! Follows botocore's rest-json error parsing: the code comes from `x-amzn-errortype`, then
//! the body's `code`/`Code`, then `__type`; namespaces (`…#`) and the `:http://internal…`
//! suffix are stripped; the message is `message` or `Message`, else the raw body text.

use serde_json::Value;

use super::sanitize::sanitize;

/// At most this much of a body that is not JSON becomes the message.
const RAW_BODY_CHARS: usize = 300;

/// The facts of one upstream error, already sanitised.
#[derive(Debug, Default)]
pub(super) struct Wire {
    pub code: Option<String>,
    pub message: String,
    pub request_id: Option<String>,
    pub retry_after_ms: Option<u64>,
    pub original_status: Option<u64>,
    pub reason: Option<String>,
    pub resource: Option<String>,
}

/// The bare exception name: `X:http://…` -> `X`, `com.amazon.coral.service#X` -> `X`.
pub(super) fn bare_code(raw: &str) -> &str {
    let no_suffix = raw.split(':').next().unwrap_or_default();
    no_suffix.rsplit('#').next().unwrap_or_default().trim()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// Reads an HTTP error response.
pub(super) fn read_http(headers: &[(String, String)], body: &[u8]) -> Wire {
    let mut w = read_payload(body);
    if let Some(code) = header(headers, "x-amzn-errortype").map(bare_code).filter(|c| !c.is_empty())
    {
        w.code = Some(code.to_string());
    }
    w.request_id = header(headers, "x-amzn-requestid").map(str::to_string);
    w.retry_after_ms = retry_after_ms(headers);
    w
}

/// Reads an error body (HTTP body or event-stream payload) on its own.
pub(super) fn read_payload(body: &[u8]) -> Wire {
    let mut w = Wire::default();
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => {
            let text = |k: &str| map.get(k).and_then(Value::as_str);
            w.message = sanitize(text("message").or_else(|| text("Message")).unwrap_or_default());
            let routed = map.get("Output").and_then(|o| o.get("__type")).and_then(Value::as_str);
            w.code = text("code")
                .or_else(|| text("Code"))
                .or_else(|| text("__type"))
                .or(routed)
                .map(bare_code)
                .filter(|c| !c.is_empty())
                .map(str::to_string);
            w.original_status = map.get("originalStatusCode").and_then(Value::as_u64);
            w.reason = text("reason").map(sanitize);
            w.resource = text("resourceName").map(sanitize);
        }
        Ok(_) | Err(_) => {
            let raw = String::from_utf8_lossy(body);
            let cut: String = raw.chars().take(RAW_BODY_CHARS).collect();
            w.message = sanitize(&cut);
        }
    }
    w
}

/// `retry-after` in milliseconds: delta-seconds, or an HTTP date measured against the
/// response's own `date` header (the component has no wall clock of its own to compare with).
fn retry_after_ms(headers: &[(String, String)]) -> Option<u64> {
    let value = header(headers, "retry-after")?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs.saturating_mul(1000));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| (secs * 1000.0).round() as u64);
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let now = httpdate::parse_http_date(header(headers, "date")?.trim()).ok()?;
    Some(at.duration_since(now).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)))
}

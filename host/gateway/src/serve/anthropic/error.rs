//! Errors in Anthropic's shape: `{"type": "error", "error": {"type", "message"}, "request_id"}`
//! with Anthropic's statuses, so its SDKs raise the matching exceptions (`RateLimitError`,
//! `OverloadedError`, ...). The status table is ARCHITECTURE.md's, with one change: what the
//! OpenAI front answers with 503 (the gateway or Bedrock is saturated or unavailable) is
//! Anthropic's 529 `overloaded_error`, which Anthropic clients treat as "busy, retry".

use hyper::StatusCode;
use serde_json::{Value, json};

use crate::serve::error::ApiError;

/// Anthropic's status for an error: the common one, except 503 → 529.
pub fn status(e: &ApiError) -> StatusCode {
    match e.status {
        StatusCode::SERVICE_UNAVAILABLE => StatusCode::from_u16(529).unwrap_or(e.status),
        other => other,
    }
}

/// Anthropic's error `type` for an error.
pub fn error_type(e: &ApiError) -> &'static str {
    match status(e).as_u16() {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        504 => "timeout_error",
        529 => "overloaded_error",
        400..=499 => "invalid_request_error",
        _ => "api_error",
    }
}

/// The error body. Anthropic's errors have no field for the request field at fault, so the
/// message starts with it, as Anthropic's own messages do (`messages.0.content: ...`); our
/// kind and OpenAI's code travel beside the message.
pub fn body(e: &ApiError, request_id: Option<&str>) -> Value {
    let message = match &e.param {
        Some(param) if !e.message.contains(param.as_str()) => format!("{param}: {}", e.message),
        _ => e.message.clone(),
    };
    let mut error = json!({"type": error_type(e), "message": message, "kind": e.kind});
    if let Some(code) = e.code {
        error["code"] = json!(code);
    }
    if let Some(id) = &e.upstream_request_id {
        error["upstream_request_id"] = json!(id);
    }
    let mut body = json!({"type": "error", "error": error});
    if let Some(id) = request_id {
        body["request_id"] = json!(id);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ErrorKind, ProviderError};

    #[test]
    fn statuses_and_types() {
        let provider = |kind| ApiError::from_provider(&ProviderError::new(kind, "x"));
        let rows = [
            (provider(ErrorKind::InvalidRequest), 400, "invalid_request_error"),
            (provider(ErrorKind::Authentication), 401, "authentication_error"),
            (provider(ErrorKind::AccessDenied), 403, "permission_error"),
            (provider(ErrorKind::ModelNotFound), 404, "not_found_error"),
            (ApiError::body_too_large(1), 413, "request_too_large"),
            (provider(ErrorKind::Throttled), 429, "rate_limit_error"),
            (provider(ErrorKind::QuotaExceeded), 429, "rate_limit_error"),
            (provider(ErrorKind::Internal), 500, "api_error"),
            (provider(ErrorKind::ModelError), 502, "api_error"),
            (provider(ErrorKind::ServiceUnavailable), 529, "overloaded_error"),
            (ApiError::overloaded(2), 529, "overloaded_error"),
            (provider(ErrorKind::Timeout), 504, "timeout_error"),
            (ApiError::unauthorized(), 401, "authentication_error"),
        ];
        for (e, code, kind) in rows {
            assert_eq!((status(&e).as_u16(), error_type(&e)), (code, kind), "{}", e.kind);
        }
    }

    #[test]
    fn the_body_names_the_field_in_the_message() {
        let e = ApiError::invalid_request("max_tokens", "maxTokens must be at least 1.");
        assert_eq!(
            body(&e, Some("abc")),
            json!({"type": "error", "request_id": "abc", "error": {
                "type": "invalid_request_error", "kind": "invalid-request", "code": "invalid_value",
                "message": "max_tokens: maxTokens must be at least 1."}})
        );
        let e = ApiError::invalid_request("messages", "`messages` is required.");
        assert_eq!(body(&e, None)["error"]["message"], "`messages` is required.");
        assert!(body(&e, None).get("request_id").is_none());
    }
}

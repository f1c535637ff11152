//! Errors as OpenAI clients expect them: an HTTP status chosen by the provider error's kind and
//! the body `{"error": {"message", "type", "code", "param"}}`, with the kind as `code`.
//!
//! The status table is documented in ARCHITECTURE.md ("The gateway (serve)"); keep them in step.

use std::time::Duration;

use hyper::StatusCode;
use serde_json::{Value, json};

use crate::types::{ErrorKind, ProviderError, error_kind_name};

/// How long a client is told to wait when the upstream gave no delay.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// An error answer: status, OpenAI error object and the retry hints that go in headers.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable code: a provider error kind (`throttled`) or a gateway one (`overloaded`).
    pub code: String,
    /// What happened, with the cause and the solution.
    pub message: String,
    /// The request field at fault, when the client can fix it.
    pub param: Option<String>,
    /// Whether sending the same request later may succeed (`x-should-retry`).
    pub retryable: bool,
    /// How long to wait before retrying (`Retry-After`, `retry-after-ms`).
    pub retry_after: Option<Duration>,
    /// The upstream request ID, for support cases.
    pub upstream_request_id: Option<String>,
}

impl ApiError {
    /// A gateway error (not from the provider).
    pub fn gateway(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            param: None,
            retryable: false,
            retry_after: None,
            upstream_request_id: None,
        }
    }

    /// A malformed request, naming the field at fault (`messages[1].role`).
    pub fn invalid_request(param: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError {
            param: Some(param.into()),
            ..ApiError::gateway(StatusCode::BAD_REQUEST, "invalid-request", message)
        }
    }

    /// An OpenAI feature this gateway does not offer, naming the field.
    pub fn unsupported(param: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError {
            param: Some(param.into()),
            ..ApiError::gateway(StatusCode::BAD_REQUEST, "unsupported", message)
        }
    }

    /// Every concurrency slot is taken.
    pub fn overloaded(limit: usize) -> ApiError {
        ApiError {
            retryable: true,
            retry_after: Some(DEFAULT_RETRY_AFTER),
            ..ApiError::gateway(
                StatusCode::SERVICE_UNAVAILABLE,
                "overloaded",
                format!(
                    "The gateway is already serving its limit of {limit} concurrent model \
                     requests. Retry shortly; the operator can raise --max-concurrency."
                ),
            )
        }
    }

    /// The request body is over the limit.
    pub fn body_too_large(limit: usize) -> ApiError {
        ApiError::gateway(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request-too-large",
            format!(
                "The request body exceeds the gateway's limit of {limit} bytes. Send smaller \
                 images or a shorter conversation; the operator can raise --max-body-bytes."
            ),
        )
    }

    /// The client key is missing or wrong.
    pub fn unauthorized() -> ApiError {
        ApiError::gateway(
            StatusCode::UNAUTHORIZED,
            "invalid-api-key",
            "Missing or invalid gateway API key. Send it as `Authorization: Bearer <key>` (the \
             OpenAI clients' `api_key`).",
        )
    }

    /// The provider's error, with the status its kind maps to.
    pub fn from_provider(e: &ProviderError) -> ApiError {
        if e.code.as_deref() == Some(provider_runtime::limits::MEMORY_LIMIT_CODE) {
            // The sandbox could not hold this request: the client can send a smaller one, so
            // it is theirs to act on (413), not the gateway's (500).
            return ApiError::gateway(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request-too-large",
                full_message(e),
            );
        }
        let status = status_for(e.kind);
        let retry_after = match e.retry_after_ms {
            Some(ms) => Some(Duration::from_millis(ms)),
            None if advertises_retry_after(e.kind) => Some(DEFAULT_RETRY_AFTER),
            None => None,
        };
        let param = match e.kind {
            ErrorKind::InvalidRequest
            | ErrorKind::Unsupported
            | ErrorKind::ModelNotFound
            | ErrorKind::OnDemandUnsupported => e.field.clone(),
            _ => None,
        };
        ApiError {
            status,
            code: error_kind_name(e.kind).to_string(),
            message: full_message(e),
            param,
            retryable: e.retryable,
            retry_after,
            upstream_request_id: e.request_id.clone(),
        }
    }

    /// The OpenAI `type` for this error.
    pub fn error_type(&self) -> &'static str {
        match self.status.as_u16() {
            401 => "authentication_error",
            403 => "permission_error",
            404 => "not_found_error",
            429 if self.code == "quota-exceeded" => "insufficient_quota",
            429 => "rate_limit_error",
            400..=499 => "invalid_request_error",
            _ => "server_error",
        }
    }

    /// `{"error": {...}}`.
    pub fn body(&self) -> Value {
        let mut error = json!({
            "message": self.message,
            "type": self.error_type(),
            "code": self.code,
            "param": self.param,
            "retryable": self.retryable,
        });
        if let Some(id) = &self.upstream_request_id {
            error["upstream_request_id"] = json!(id);
        }
        json!({ "error": error })
    }

    /// The headers that tell a client whether and when to retry.
    pub fn retry_headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![("x-should-retry", self.retryable.to_string())];
        if let Some(after) = self.retry_after {
            let ms = after.as_millis();
            headers.push(("retry-after", ms.div_ceil(1000).max(1).to_string()));
            headers.push(("retry-after-ms", ms.to_string()));
        }
        headers
    }
}

/// The HTTP status for a provider error kind.
pub fn status_for(kind: ErrorKind) -> StatusCode {
    use ErrorKind as K;
    match kind {
        K::InvalidRequest | K::OnDemandUnsupported | K::RegionUnsupported | K::Unsupported => {
            StatusCode::BAD_REQUEST
        }
        K::Authentication | K::ExpiredCredentials => StatusCode::UNAUTHORIZED,
        K::AccessDenied => StatusCode::FORBIDDEN,
        K::ModelNotFound => StatusCode::NOT_FOUND,
        K::Throttled | K::QuotaExceeded => StatusCode::TOO_MANY_REQUESTS,
        K::InvalidSettings | K::DeniedByHost | K::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        K::ModelError | K::Network | K::InvalidResponse => StatusCode::BAD_GATEWAY,
        K::ServiceUnavailable | K::ModelNotReady => StatusCode::SERVICE_UNAVAILABLE,
        K::Timeout | K::ModelTimeout => StatusCode::GATEWAY_TIMEOUT,
    }
}

/// Kinds whose answer carries `Retry-After` even when the upstream named no delay.
fn advertises_retry_after(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::Throttled | ErrorKind::ModelNotReady | ErrorKind::ServiceUnavailable)
}

/// `message. cause Solution: solution`, each sentence ended.
fn full_message(e: &ProviderError) -> String {
    let mut text = sentence(&e.message);
    if let Some(cause) = e.cause.as_deref().filter(|c| !c.is_empty()) {
        text.push(' ');
        text.push_str(&sentence(cause));
    }
    if let Some(solution) = e.solution.as_deref().filter(|s| !s.is_empty()) {
        text.push_str(" Solution: ");
        text.push_str(&sentence(solution));
    }
    text
}

fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.ends_with(['.', '!', '?']) { text.to_string() } else { format!("{text}.") }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn provider_error(kind: ErrorKind) -> ProviderError {
        ProviderError {
            kind,
            message: "Too many requests".into(),
            cause: Some("The account's request rate is over its quota.".into()),
            solution: Some("Wait and retry, or request a quota increase".into()),
            status: Some(429),
            code: Some("ThrottlingException".into()),
            request_id: Some("req-123".into()),
            retryable: true,
            retry_after_ms: None,
            field: Some("messages[0].content".into()),
        }
    }

    #[test]
    fn every_kind_has_a_deliberate_status() {
        use ErrorKind as K;
        let table = [
            (K::InvalidSettings, 500),
            (K::InvalidRequest, 400),
            (K::Authentication, 401),
            (K::ExpiredCredentials, 401),
            (K::AccessDenied, 403),
            (K::ModelNotFound, 404),
            (K::OnDemandUnsupported, 400),
            (K::RegionUnsupported, 400),
            (K::Throttled, 429),
            (K::QuotaExceeded, 429),
            (K::ModelNotReady, 503),
            (K::ModelTimeout, 504),
            (K::ModelError, 502),
            (K::ServiceUnavailable, 503),
            (K::Internal, 500),
            (K::Network, 502),
            (K::Timeout, 504),
            (K::DeniedByHost, 500),
            (K::InvalidResponse, 502),
            (K::Unsupported, 400),
        ];
        for (kind, status) in table {
            assert_eq!(status_for(kind).as_u16(), status, "{}", error_kind_name(kind));
        }
    }

    #[test]
    fn throttling_becomes_an_openai_rate_limit_error() {
        let e = ApiError::from_provider(&provider_error(ErrorKind::Throttled));
        assert_eq!(e.status, StatusCode::TOO_MANY_REQUESTS);
        let body = e.body();
        assert_eq!(body["error"]["type"], "rate_limit_error");
        assert_eq!(body["error"]["code"], "throttled");
        assert_eq!(
            body["error"]["message"],
            "Too many requests. The account's request rate is over its quota. Solution: Wait \
             and retry, or request a quota increase."
        );
        // The field is a request field, but throttling is not the request's fault.
        assert_eq!(body["error"]["param"], Value::Null);
        assert_eq!(body["error"]["upstream_request_id"], "req-123");
        assert_eq!(
            e.retry_headers(),
            [
                ("x-should-retry", "true".to_string()),
                ("retry-after", "1".to_string()),
                ("retry-after-ms", "1000".to_string())
            ]
        );
    }

    #[test]
    fn an_upstream_delay_is_rounded_up_to_whole_seconds() {
        let mut p = provider_error(ErrorKind::Throttled);
        p.retry_after_ms = Some(2500);
        let headers = ApiError::from_provider(&p).retry_headers();
        assert!(headers.contains(&("retry-after", "3".to_string())));
        assert!(headers.contains(&("retry-after-ms", "2500".to_string())));
    }

    #[test]
    fn request_errors_name_the_param_and_are_not_retried() {
        let mut p = provider_error(ErrorKind::InvalidRequest);
        p.retryable = false;
        let e = ApiError::from_provider(&p);
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(e.body()["error"]["type"], "invalid_request_error");
        assert_eq!(e.body()["error"]["param"], "messages[0].content");
        assert_eq!(e.retry_headers(), [("x-should-retry", "false".to_string())]);
    }

    #[test]
    fn quota_is_a_429_without_a_retry_hint() {
        let mut p = provider_error(ErrorKind::QuotaExceeded);
        p.retryable = false;
        let e = ApiError::from_provider(&p);
        assert_eq!(e.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(e.error_type(), "insufficient_quota");
        assert_eq!(e.retry_after, None);
    }

    #[test]
    fn gateway_errors_have_their_own_codes() {
        let e = ApiError::overloaded(64);
        assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(e.body()["error"]["code"], "overloaded");
        assert_eq!(e.body()["error"]["type"], "server_error");
        assert!(e.retry_headers().contains(&("retry-after", "1".to_string())));
        assert_eq!(ApiError::body_too_large(10).status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(ApiError::unauthorized().body()["error"]["type"], "authentication_error");
    }
}

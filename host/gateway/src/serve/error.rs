//! Errors as HTTP answers: the status chosen by the provider error's kind, OpenAI's `code`
//! where OpenAI has one, the request field at fault in the client's own vocabulary, and the
//! retry hints. [`ApiError::body`] renders OpenAI's shape; the Anthropic front renders the
//! same error in its shape (`anthropic::error`).
//!
//! The status and code tables are documented in ARCHITECTURE.md ("The gateway (serve)"); keep
//! them in step.

use std::time::Duration;

use hyper::StatusCode;
use json_fields::{FieldError, Problem};
use serde_json::{Value, json};

use super::params::ParamMap;
use crate::types::{ErrorKind, ProviderError};

/// How long a client is told to wait when the upstream gave no delay.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// An error answer: status, what went wrong, and the retry hints that go in headers.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// Our stable name for what went wrong: a provider error kind (`throttled`) or a gateway
    /// one (`overloaded`). It labels the access log and the metrics, and travels as `kind`.
    pub kind: String,
    /// OpenAI's `code` for the error where OpenAI has one (`rate_limit_exceeded`,
    /// `context_length_exceeded`, ...), so code written against OpenAI branches correctly.
    pub code: Option<&'static str>,
    /// What happened, with the cause and the solution.
    pub message: String,
    /// The request field at fault as the client's API names it (`messages[2].content[0]`,
    /// `temperature`), when the client can fix it.
    pub param: Option<String>,
    /// Whether sending the same request later may succeed.
    pub retryable: bool,
    /// Whether a client should retry on its own (`x-should-retry`): retryable, and not
    /// already retried by the component, so client and component retries do not multiply.
    pub should_retry: bool,
    /// How long to wait before retrying (`Retry-After`, `retry-after-ms`).
    pub retry_after: Option<Duration>,
    /// The upstream request ID, for support cases.
    pub upstream_request_id: Option<String>,
}

impl ApiError {
    /// A gateway error (not from the provider): `kind` names it, OpenAI has no code for it.
    pub fn gateway(status: StatusCode, kind: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind: kind.to_string(),
            code: None,
            message: message.into(),
            param: None,
            retryable: false,
            should_retry: false,
            retry_after: None,
            upstream_request_id: None,
        }
    }

    /// A malformed request, naming the field at fault (`messages[1].role`).
    pub fn invalid_request(param: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError {
            param: Some(param.into()).filter(|p| !p.is_empty()),
            code: Some("invalid_value"),
            ..ApiError::gateway(StatusCode::BAD_REQUEST, "invalid-request", message)
        }
    }

    /// A feature this gateway does not offer, naming the field.
    pub fn unsupported(param: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError {
            param: Some(param.into()).filter(|p| !p.is_empty()),
            code: Some("unsupported_value"),
            ..ApiError::gateway(StatusCode::BAD_REQUEST, "unsupported", message)
        }
    }

    /// Every concurrency slot is taken.
    pub fn overloaded(limit: usize) -> ApiError {
        ApiError {
            retryable: true,
            should_retry: true,
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
        ApiError {
            code: Some("invalid_api_key"),
            ..ApiError::gateway(
                StatusCode::UNAUTHORIZED,
                "invalid-api-key",
                "Missing or invalid gateway API key. Send it as `Authorization: Bearer <key>` \
                 (the OpenAI clients' `api_key`) or `x-api-key: <key>` (the Anthropic clients').",
            )
        }
    }

    /// A model the gateway does not list (`GET /v1/models/{id}`).
    pub fn model_not_listed(id: &str) -> ApiError {
        ApiError {
            code: Some("model_not_found"),
            param: Some("model".into()),
            ..ApiError::gateway(
                StatusCode::NOT_FOUND,
                "model-not-found",
                format!(
                    "The model `{id}` is not one of the gateway's configured models (GET \
                     /v1/models lists them). Any Amazon Bedrock model ID can still be named in \
                     a request's `model`."
                ),
            )
        }
    }

    /// The provider's error outside a request (readiness): no request field to name.
    pub fn from_provider(e: &ProviderError) -> ApiError {
        ApiError::from_call(e, &ParamMap::default())
    }

    /// The provider's error for a request: the status its kind maps to, OpenAI's code, and
    /// the component's field translated into the request's field by `params`.
    pub fn from_call(e: &ProviderError, params: &ParamMap) -> ApiError {
        if e.code.as_deref() == Some(provider_runtime::limits::MEMORY_LIMIT_CODE) {
            // The sandbox could not hold this request: the client can send a smaller one, so
            // it is theirs to act on (413), not the gateway's (500).
            return ApiError::gateway(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request-too-large",
                full_message(e),
            );
        }
        let context_length = is_context_length(e);
        let status = if context_length { StatusCode::BAD_REQUEST } else { status_for(e.kind) };
        let param = if context_length {
            params.translate("messages")
        } else {
            match e.kind {
                ErrorKind::InvalidRequest
                | ErrorKind::Unsupported
                | ErrorKind::ModelNotFound
                | ErrorKind::OnDemandUnsupported
                | ErrorKind::RegionUnsupported => {
                    e.field.as_deref().and_then(|f| params.translate(f))
                }
                _ => None,
            }
        };
        let retryable = e.retryable && retryable_kind(e.kind) && !context_length;
        let retry_after = match e.retry_after_ms {
            _ if !retryable => None,
            Some(ms) => Some(Duration::from_millis(ms)),
            None if advertises_retry_after(e.kind) => Some(DEFAULT_RETRY_AFTER),
            None => None,
        };
        ApiError {
            status,
            kind: e.kind.name().to_string(),
            code: if context_length {
                Some("context_length_exceeded")
            } else {
                openai_code(e.kind)
            },
            message: full_message(e),
            param,
            retryable,
            should_retry: retryable && !component_retried(e),
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
            429 if self.kind == "quota-exceeded" => "insufficient_quota",
            429 => "rate_limit_error",
            400..=499 => "invalid_request_error",
            _ => "server_error",
        }
    }

    /// OpenAI's error body, `{"error": {...}}`, with our kind beside OpenAI's code.
    pub fn body(&self) -> Value {
        let mut error = json!({
            "message": self.message,
            "type": self.error_type(),
            "code": self.code,
            "param": self.param,
            "kind": self.kind,
            "retryable": self.retryable,
        });
        if let Some(id) = &self.upstream_request_id {
            error["upstream_request_id"] = json!(id);
        }
        json!({ "error": error })
    }

    /// The headers that tell a client whether and when to retry. `x-should-retry` is always
    /// sent: without it the SDKs retry every 429 and 5xx, including those that cannot
    /// succeed and those the component already retried.
    pub fn retry_headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![("x-should-retry", self.should_retry.to_string())];
        if let Some(after) = self.retry_after {
            let ms = after.as_millis();
            headers.push(("retry-after", ms.div_ceil(1000).max(1).to_string()));
            headers.push(("retry-after-ms", ms.to_string()));
        }
        headers
    }
}

impl From<FieldError> for ApiError {
    /// A request field that could not be read: the path is the `param`, and OpenAI's code
    /// says whether it was missing, of the wrong type or out of range.
    fn from(e: FieldError) -> ApiError {
        let code = match e.problem {
            Problem::Missing => "missing_required_parameter",
            Problem::WrongType { .. } => "invalid_type",
            Problem::OutOfRange { .. } => "invalid_value",
            Problem::UnknownKey { .. } => "unknown_parameter",
        };
        ApiError { code: Some(code), ..ApiError::invalid_request(e.path.clone(), e.to_string()) }
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

/// OpenAI's `code` for a provider kind, where OpenAI has a value with that meaning. The
/// AWS-credential kinds get none: `invalid_api_key` would tell the client its own key is
/// wrong, while it is the gateway's AWS credentials that are.
pub fn openai_code(kind: ErrorKind) -> Option<&'static str> {
    use ErrorKind as K;
    match kind {
        K::InvalidRequest => Some("invalid_value"),
        K::Unsupported => Some("unsupported_value"),
        // The model ID cannot be used as given: what OpenAI clients fall back on.
        K::ModelNotFound | K::OnDemandUnsupported | K::RegionUnsupported => Some("model_not_found"),
        K::Throttled => Some("rate_limit_exceeded"),
        K::QuotaExceeded => Some("insufficient_quota"),
        _ => None,
    }
}

/// Kinds a later identical request may succeed for: the upstream was busy, slow or down. A
/// model error is not among them: Bedrock's 424 ModelErrorException usually means the model
/// refused this input, and every SDK would otherwise retry it.
pub fn retryable_kind(kind: ErrorKind) -> bool {
    use ErrorKind as K;
    matches!(
        kind,
        K::Throttled
            | K::ModelNotReady
            | K::ServiceUnavailable
            | K::Internal
            | K::ModelTimeout
            | K::Timeout
            | K::Network
    )
}

/// Kinds whose answer carries `Retry-After` even when the upstream named no delay.
fn advertises_retry_after(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::Throttled | ErrorKind::ModelNotReady | ErrorKind::ServiceUnavailable)
}

/// Upstream wordings of "the input does not fit the model's context window", across model
/// families (Anthropic, Meta, Mistral, Amazon, Cohere), lower-case. Bedrock sends them as a
/// ValidationException or a 424 ModelErrorException; either way no retry can succeed.
const CONTEXT_LENGTH_PHRASES: [&str; 8] = [
    "input is too long",
    "prompt is too long",
    "too many input tokens",
    "input tokens exceed",
    "context length",
    "context_length",
    "context window",
    "maximum context",
];

/// Whether `e` says the request is longer than the model's context window (OpenAI's
/// `context_length_exceeded`). Only request and model errors qualify, so throttling's
/// "Too many tokens" is never mistaken for it.
pub fn is_context_length(e: &ProviderError) -> bool {
    if !matches!(e.kind, ErrorKind::InvalidRequest | ErrorKind::ModelError) {
        return false;
    }
    let text = e.message.to_lowercase();
    CONTEXT_LENGTH_PHRASES.iter().any(|p| text.contains(p))
}

/// Whether the component already retried the call: its retry loop notes
/// `(gave up after N attempts)` on an error that survived retries (guest/src/retry.rs). A
/// client retrying on top would multiply upstream requests (3 × 3 = 9).
fn component_retried(e: &ProviderError) -> bool {
    e.message.contains("(gave up after ")
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
            field: Some("messages[0].content[0]".into()),
        }
    }

    fn identity() -> ParamMap {
        let mut map = ParamMap::default();
        map.tree("messages", "messages");
        map
    }

    #[test]
    fn every_kind_has_a_deliberate_status_and_code() {
        use ErrorKind as K;
        let table = [
            (K::InvalidSettings, 500, None),
            (K::InvalidRequest, 400, Some("invalid_value")),
            (K::Authentication, 401, None),
            (K::ExpiredCredentials, 401, None),
            (K::AccessDenied, 403, None),
            (K::ModelNotFound, 404, Some("model_not_found")),
            (K::OnDemandUnsupported, 400, Some("model_not_found")),
            (K::RegionUnsupported, 400, Some("model_not_found")),
            (K::Throttled, 429, Some("rate_limit_exceeded")),
            (K::QuotaExceeded, 429, Some("insufficient_quota")),
            (K::ModelNotReady, 503, None),
            (K::ModelTimeout, 504, None),
            (K::ModelError, 502, None),
            (K::ServiceUnavailable, 503, None),
            (K::Internal, 500, None),
            (K::Network, 502, None),
            (K::Timeout, 504, None),
            (K::DeniedByHost, 500, None),
            (K::InvalidResponse, 502, None),
            (K::Unsupported, 400, Some("unsupported_value")),
        ];
        assert_eq!(table.len(), ErrorKind::ALL.len());
        for (kind, status, code) in table {
            assert_eq!(status_for(kind).as_u16(), status, "{}", kind.name());
            assert_eq!(openai_code(kind), code, "{}", kind.name());
        }
    }

    #[test]
    fn throttling_becomes_an_openai_rate_limit_error() {
        let e = ApiError::from_call(&provider_error(ErrorKind::Throttled), &identity());
        assert_eq!(e.status, StatusCode::TOO_MANY_REQUESTS);
        let body = e.body();
        assert_eq!(body["error"]["type"], "rate_limit_error");
        assert_eq!(body["error"]["code"], "rate_limit_exceeded");
        assert_eq!(body["error"]["kind"], "throttled");
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
    fn what_the_component_retried_the_client_does_not_retry_again() {
        let mut p = provider_error(ErrorKind::Throttled);
        p.message = "Too many requests (gave up after 3 attempts)".into();
        let e = ApiError::from_call(&p, &identity());
        assert!(e.retryable && !e.should_retry);
        // Still a 429 that says when to come back, for clients that decide for themselves.
        assert_eq!(e.retry_headers()[0], ("x-should-retry", "false".to_string()));
        assert!(e.retry_headers().contains(&("retry-after", "1".to_string())));
    }

    #[test]
    fn an_upstream_delay_is_rounded_up_to_whole_seconds() {
        let mut p = provider_error(ErrorKind::Throttled);
        p.retry_after_ms = Some(2500);
        let headers = ApiError::from_call(&p, &identity()).retry_headers();
        assert!(headers.contains(&("retry-after", "3".to_string())));
        assert!(headers.contains(&("retry-after-ms", "2500".to_string())));
    }

    #[test]
    fn request_errors_name_the_translated_param_and_are_not_retried() {
        let mut p = provider_error(ErrorKind::InvalidRequest);
        p.retryable = false;
        let mut params = ParamMap::default();
        params.exact("messages[0].content[0]", "messages[0].content");
        let e = ApiError::from_call(&p, &params);
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(e.body()["error"]["type"], "invalid_request_error");
        assert_eq!(e.body()["error"]["param"], "messages[0].content");
        assert_eq!(e.retry_headers(), [("x-should-retry", "false".to_string())]);
        // A field the request does not have is left out rather than guessed.
        assert_eq!(ApiError::from_call(&p, &ParamMap::default()).param, None);
    }

    #[test]
    fn a_model_error_is_never_retried_by_clients() {
        // The component marks a 424 without an original status retryable; the gateway does
        // not pass that on.
        let mut p = provider_error(ErrorKind::ModelError);
        p.message = "The request failed due to an error while processing the model".into();
        let e = ApiError::from_call(&p, &identity());
        assert_eq!(e.status, StatusCode::BAD_GATEWAY);
        assert!(!e.retryable && !e.should_retry && e.retry_after.is_none());
        assert_eq!(e.retry_headers(), [("x-should-retry", "false".to_string())]);
    }

    #[test]
    fn context_length_failures_are_openai_context_length_exceeded() {
        for (kind, message) in [
            (ErrorKind::ModelError, "Input is too long for requested model."),
            (ErrorKind::InvalidRequest, "prompt is too long: 250000 tokens > 200000 maximum"),
            (ErrorKind::InvalidRequest, "This model's maximum context length is 8192 tokens."),
        ] {
            let mut p = provider_error(kind);
            p.message = message.into();
            let e = ApiError::from_call(&p, &identity());
            assert_eq!(e.status, StatusCode::BAD_REQUEST, "{message}");
            assert_eq!(e.code, Some("context_length_exceeded"), "{message}");
            assert_eq!(e.param.as_deref(), Some("messages"));
            assert!(!e.should_retry && e.retry_after.is_none());
            assert_eq!(e.kind, kind.name());
        }
        // Throttling's "too many tokens" is not a context-length failure.
        let mut p = provider_error(ErrorKind::Throttled);
        p.message = "Too many tokens, please wait before trying again.".into();
        assert!(!is_context_length(&p));
    }

    #[test]
    fn quota_is_a_429_without_a_retry_hint() {
        let mut p = provider_error(ErrorKind::QuotaExceeded);
        p.retryable = false;
        let e = ApiError::from_call(&p, &identity());
        assert_eq!(e.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(e.error_type(), "insufficient_quota");
        assert_eq!(e.code, Some("insufficient_quota"));
        assert_eq!(e.retry_after, None);
        assert_eq!(e.retry_headers(), [("x-should-retry", "false".to_string())]);
    }

    #[test]
    fn gateway_errors_have_their_own_kinds() {
        let e = ApiError::overloaded(64);
        assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(e.body()["error"]["kind"], "overloaded");
        assert_eq!(e.body()["error"]["code"], Value::Null);
        assert_eq!(e.body()["error"]["type"], "server_error");
        assert!(e.retry_headers().contains(&("retry-after", "1".to_string())));
        assert!(e.retry_headers().contains(&("x-should-retry", "true".to_string())));
        assert_eq!(ApiError::body_too_large(10).status, StatusCode::PAYLOAD_TOO_LARGE);
        let e = ApiError::unauthorized();
        assert_eq!(e.body()["error"]["type"], "authentication_error");
        assert_eq!(e.body()["error"]["code"], "invalid_api_key");
    }

    #[test]
    fn field_errors_carry_openais_codes() {
        let body = json!({"messages": [{"role": 1}], "n": -1});
        let f = json_fields::Fields::of(&body, "").unwrap();
        let e = ApiError::from(f.req_str("model").unwrap_err());
        assert_eq!(
            (e.param.as_deref(), e.code),
            (Some("model"), Some("missing_required_parameter"))
        );
        let m = json_fields::Fields::of(&body["messages"][0], "messages[0]").unwrap();
        let e = ApiError::from(m.req_str("role").unwrap_err());
        assert_eq!((e.param.as_deref(), e.code), (Some("messages[0].role"), Some("invalid_type")));
        let e = ApiError::from(f.opt_u32("n").unwrap_err());
        assert_eq!((e.param.as_deref(), e.code), (Some("n"), Some("invalid_value")));
        assert_eq!(e.kind, "invalid-request");
    }
}

//! Bedrock errors -> stable kinds with a cause and a solution.
//!
//! Classification follows the exception name (the `x-amzn-errortype` header, else the body's
//! `code`/`Code`/`__type`) and the HTTP status, never message text alone; message text only
//! refines within a class (the on-demand ValidationException, the IAM action in an
//! AccessDenied, ...). The catalogue is in `errors/catalogue.rs`, the wire parsing in
//! `errors/wire.rs`, and every upstream text passes `errors/sanitize.rs` before it is kept.

mod catalogue;
mod sanitize;
mod wire;

#[cfg(test)]
mod tests;

use crate::error::{ErrorKind, ProviderError};
use catalogue::{Diagnosis, Upstream, classify};

/// Which Bedrock operation failed; refines solutions (e.g. the IAM action to grant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// POST /model/{id}/converse
    Converse,
    /// POST /model/{id}/converse-stream
    ConverseStream,
    /// POST /model/{id}/invoke with a re-ranking model's native body (the re-ranking path
    /// for API keys).
    RerankInvokeModel,
    /// POST /rerank on the agent runtime
    Rerank,
    /// POST /model/{id}/invoke with an embedding model's native body.
    Embed,
    /// POST /model/{id}/count-tokens
    CountTokens,
    /// GET /foundation-models/{modelIdentifier} on the control plane (`check` only).
    GetFoundationModel,
    /// GET /foundation-model-availability/{modelId} on the control plane (`check` only).
    GetFoundationModelAvailability,
    /// GET /inference-profiles/{inferenceProfileIdentifier} on the control plane (`check` only).
    GetInferenceProfile,
    /// GET /inference-profiles on the control plane (`check` only).
    ListInferenceProfiles,
}

impl Operation {
    /// Whether the call re-ranks (either wire path): its model is the `rerankingModel`.
    pub fn reranks(self) -> bool {
        matches!(self, Operation::Rerank | Operation::RerankInvokeModel)
    }

    /// The IAM action that allows the operation, e.g. `bedrock:GetFoundationModelAvailability`.
    pub fn iam_action(self) -> &'static str {
        catalogue::iam_action(self)
    }
}

/// Upstream text made safe to show (no tokens, no canonical strings, one line, capped).
pub fn sanitize_text(text: &str) -> String {
    sanitize::sanitize(text)
}

/// The IAM action an AWS `… is not authorized to perform: <action> …` message names.
pub fn denied_action(message: &str) -> Option<String> {
    catalogue::iam_denial(message).map(|(action, _)| action)
}

/// What the mapper needs to know about the failed call to write a precise solution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorContext {
    /// The configured region, e.g. `us-east-1`.
    pub region: String,
    /// The model ID as sent (decoded, e.g. `anthropic.claude-sonnet-4-5-20250929-v1:0`).
    pub model_id: String,
    /// The geo inference-profile ID to suggest for this model and region, if one applies.
    pub inference_profile: Option<String>,
    /// The operation.
    pub operation: Operation,
    /// `true` when authenticating with a Bedrock API key (bearer) rather than SigV4.
    pub bearer: bool,
    /// The setting that holds the model, when the operation alone does not say which: `check`
    /// reads the control plane for every configured model. `None`: by operation.
    pub model_setting: Option<&'static str>,
}

/// Maps a non-2xx HTTP response (or a 2xx whose body is an error document) to an error.
/// `headers` have lower-case names.
pub fn from_http(
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    ctx: &ErrorContext,
) -> ProviderError {
    let w = wire::read_http(headers, body);
    let up = Upstream {
        status: Some(status),
        code: w.code.as_deref(),
        message: &w.message,
        original_status: w.original_status,
        reason: w.reason.as_deref(),
        resource: w.resource.as_deref(),
    };
    let d = classify(&up, ctx);
    let mut e = assemble(d, &w, || match &w.code {
        Some(code) => format!("Bedrock answered HTTP {status} ({code})."),
        None => format!("Bedrock answered HTTP {status}."),
    });
    e.status = Some(status);
    e.retry_after_ms = w.retry_after_ms;
    e
}

/// Maps an in-stream `:message-type` `exception` or `error` frame to an error.
/// `exception_type` is the `:exception-type` (or `:error-code`) header value. For `error`
/// frames pass the `:error-message` header as `payload`: text that is not JSON is used as the
/// message. The error's `code` is the name as received (e.g. `throttlingException`).
pub fn from_stream_exception(
    exception_type: &str,
    payload: &[u8],
    ctx: &ErrorContext,
) -> ProviderError {
    let mut w = wire::read_payload(payload);
    let received = wire::bare_code(exception_type);
    // In-stream names are lower-camel (`throttlingException`); the catalogue uses HTTP names.
    let mut chars = received.chars();
    let http_name: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    let up = Upstream {
        status: None,
        code: Some(http_name.as_str()).filter(|c| !c.is_empty()),
        message: &w.message,
        original_status: w.original_status,
        reason: w.reason.as_deref(),
        resource: w.resource.as_deref(),
    };
    let mut d = classify(&up, ctx);
    d.cause.push_str(
        " This happened mid-stream, after part of the answer had already been delivered; \
the parts received so far are incomplete.",
    );
    w.code = Some(received.to_string()).filter(|c| !c.is_empty());
    // The type is upstream text too: it may carry the `:http://internal…` namespace.
    assemble(d, &w, || {
        format!("The Bedrock stream failed ({}).", sanitize::sanitize(exception_type))
    })
}

/// An answer that is not what the operation returns (bad JSON, missing fields, wrong shape).
pub fn invalid_response(detail: impl Into<String>, request_id: Option<String>) -> ProviderError {
    let mut e = ProviderError::new(ErrorKind::InvalidResponse, detail);
    e.request_id = request_id;
    e
}

/// A 2xx body that is an AWS routing error (`{"Output":{"__type":"…#UnknownOperationException"}}`):
/// the request reached a route Bedrock does not serve. `type_name` is the `__type` value.
pub fn wrong_route(type_name: &str, request_id: Option<String>) -> ProviderError {
    let code = wire::bare_code(type_name).to_string();
    let d = catalogue::wrong_route(&code);
    let mut e = invalid_response(
        format!("Bedrock answered with an error document ({code}) instead of a response."),
        request_id,
    )
    .with_cause(d.cause)
    .with_solution(d.solution);
    e.code = Some(code);
    e.field = d.field;
    e
}

fn assemble(d: Diagnosis, w: &wire::Wire, fallback: impl FnOnce() -> String) -> ProviderError {
    let message = if w.message.is_empty() { fallback() } else { w.message.clone() };
    let mut e = ProviderError::new(d.kind, message).with_cause(d.cause).with_solution(d.solution);
    e.retryable = d.retryable;
    e.field = d.field;
    e.code = w.code.clone();
    e.request_id = w.request_id.clone();
    e
}

impl ProviderError {
    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }
}

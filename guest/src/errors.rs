//! Bedrock errors -> stable kinds with a cause and a solution.
//!
//! SEED VERSION: signatures are fixed (the stream decoder and the client call them);
//! the catalogue is filled in by the errors work.

use crate::api::Usage;
use crate::error::{ErrorKind, ProviderError};

/// Which Bedrock operation failed; refines solutions (e.g. the IAM action to grant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// POST /model/{id}/converse
    Converse,
    /// POST /model/{id}/converse-stream
    ConverseStream,
    /// POST /model/{id}/invoke
    InvokeModel,
    /// POST /rerank on the agent runtime
    Rerank,
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
}

/// Maps a non-2xx HTTP response (or a 2xx whose body is an error document) to an error.
/// `headers` have lower-case names.
pub fn from_http(
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    ctx: &ErrorContext,
) -> ProviderError {
    let _ = (headers, body, ctx);
    ProviderError::new(ErrorKind::Internal, format!("Bedrock answered HTTP {status}."))
        .with_status(status)
}

/// Maps an in-stream `:message-type` `exception` or `error` frame to an error.
/// `exception_type` is the `:exception-type` (or `:error-code`) header value.
pub fn from_stream_exception(
    exception_type: &str,
    payload: &[u8],
    ctx: &ErrorContext,
) -> ProviderError {
    let _ = (payload, ctx);
    ProviderError::new(ErrorKind::Internal, format!("Bedrock stream failed: {exception_type}."))
}

/// An answer that is not what the operation returns (bad JSON, missing fields, wrong shape).
pub fn invalid_response(detail: impl Into<String>, request_id: Option<String>) -> ProviderError {
    let mut e = ProviderError::new(ErrorKind::InvalidResponse, detail);
    e.request_id = request_id;
    e
}

#[doc(hidden)]
pub fn _unused(_: Usage) {}

impl ProviderError {
    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }
}

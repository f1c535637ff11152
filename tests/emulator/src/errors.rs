//! Error responses in Bedrock's wire format (spec §12.1).

use crate::faults::{Fault, Namespace};

/// An error response: status, optional `x-amzn-ErrorType` code, body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub code: Option<String>,
    pub namespace: Namespace,
    pub content_type: &'static str,
    pub body: String,
}

impl ApiError {
    /// A `{"message": ...}` error in the given namespace.
    pub fn new(status: u16, code: &str, namespace: Namespace, message: &str) -> ApiError {
        ApiError {
            status,
            code: Some(code.to_string()),
            namespace,
            content_type: "application/json",
            body: serde_json::json!({ "message": message }).to_string(),
        }
    }

    /// 400 ValidationException (service namespace).
    pub fn validation(message: impl AsRef<str>) -> ApiError {
        ApiError::new(400, "ValidationException", Namespace::Bedrock, message.as_ref())
    }

    /// 400 ValidationException passed through from the model provider.
    pub fn model_says(message: impl AsRef<str>) -> ApiError {
        ApiError::validation(format!(
            "The model returned the following errors: {}",
            message.as_ref()
        ))
    }

    /// 400 ValidationException in AWS's constraint format (Coral member paths, 1-based).
    pub fn constraint(path: &str, constraint: &str) -> ApiError {
        ApiError::validation(format!(
            "1 validation error detected: Value at '{path}' failed to satisfy constraint: {constraint}"
        ))
    }

    /// 400 ValidationException for a missing required member.
    pub fn required(path: &str) -> ApiError {
        ApiError::validation(format!(
            "1 validation error detected: Value null at '{path}' failed to satisfy constraint: Member must not be null"
        ))
    }

    /// An authentication-layer error (`com.amazon.coral.service` namespace).
    pub fn auth(status: u16, code: &str, message: &str) -> ApiError {
        ApiError::new(status, code, Namespace::Coral, message)
    }

    /// The response of an HTTP fault, verbatim.
    pub fn from_fault(fault: Fault) -> ApiError {
        ApiError {
            status: fault.status(),
            code: fault.code().map(str::to_string),
            namespace: fault.namespace(),
            content_type: fault.content_type(),
            body: fault.body().to_string(),
        }
    }

    /// The `x-amzn-ErrorType` header value, if any.
    pub fn error_type(&self) -> Option<String> {
        self.code.as_deref().map(|c| self.namespace.error_type(c))
    }
}

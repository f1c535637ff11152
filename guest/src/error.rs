//! The provider's error type: a stable kind plus text written for an operator.
//!
//! How Bedrock's own errors map onto these kinds lives in `errors.rs`; this module only
//! defines the shape and small constructors so every module builds errors the same way.

/// Stable error categories (the WIT `error-kind`, one for one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // Documented in wit/provider.wit, variant by variant.
pub enum ErrorKind {
    InvalidSettings,
    InvalidRequest,
    Authentication,
    ExpiredCredentials,
    AccessDenied,
    ModelNotFound,
    OnDemandUnsupported,
    RegionUnsupported,
    Throttled,
    QuotaExceeded,
    ModelNotReady,
    ModelTimeout,
    ModelError,
    ServiceUnavailable,
    Internal,
    Network,
    Timeout,
    DeniedByHost,
    InvalidResponse,
    Unsupported,
}

impl ErrorKind {
    /// The kebab-case name used in the WIT, JSON output and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidSettings => "invalid-settings",
            Self::InvalidRequest => "invalid-request",
            Self::Authentication => "authentication",
            Self::ExpiredCredentials => "expired-credentials",
            Self::AccessDenied => "access-denied",
            Self::ModelNotFound => "model-not-found",
            Self::OnDemandUnsupported => "on-demand-unsupported",
            Self::RegionUnsupported => "region-unsupported",
            Self::Throttled => "throttled",
            Self::QuotaExceeded => "quota-exceeded",
            Self::ModelNotReady => "model-not-ready",
            Self::ModelTimeout => "model-timeout",
            Self::ModelError => "model-error",
            Self::ServiceUnavailable => "service-unavailable",
            Self::Internal => "internal",
            Self::Network => "network",
            Self::Timeout => "timeout",
            Self::DeniedByHost => "denied-by-host",
            Self::InvalidResponse => "invalid-response",
            Self::Unsupported => "unsupported",
        }
    }
}

/// A failure, written for the operator who has to fix it. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    /// Stable category.
    pub kind: ErrorKind,
    /// What went wrong.
    pub message: String,
    /// Why it most likely happened.
    pub cause: Option<String>,
    /// What to do.
    pub solution: Option<String>,
    /// Upstream HTTP status.
    pub status: Option<u16>,
    /// Upstream error code, e.g. `ThrottlingException`.
    pub code: Option<String>,
    /// Upstream request ID.
    pub request_id: Option<String>,
    /// Whether retrying later may succeed.
    pub retryable: bool,
    /// Upstream-advised delay.
    pub retry_after_ms: Option<u64>,
    /// The setting or request field at fault.
    pub field: Option<String>,
}

impl ProviderError {
    /// An error of `kind` with just a message; add the rest with the builder methods.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            cause: None,
            solution: None,
            status: None,
            code: None,
            request_id: None,
            retryable: false,
            retry_after_ms: None,
            field: None,
        }
    }

    /// A settings error naming the field.
    pub fn settings(field: &str, message: impl Into<String>, solution: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidSettings, message).with_field(field).with_solution(solution)
    }

    /// A request error naming the field.
    pub fn request(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidRequest, message).with_field(field)
    }

    /// Sets the cause.
    pub fn with_cause(mut self, cause: impl Into<String>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// Sets the solution.
    pub fn with_solution(mut self, solution: impl Into<String>) -> Self {
        self.solution = Some(solution.into());
        self
    }

    /// Sets the field.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Marks the error retryable.
    pub fn retryable(mut self) -> Self {
        self.retryable = true;
        self
    }
}

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)
    }
}

impl std::error::Error for ProviderError {}

/// Shorthand for results in this crate.
pub type Result<T, E = ProviderError> = std::result::Result<T, E>;

//! The seam between the provider's logic and the network.
//!
//! Everything above this trait is plain Rust and is tested natively with [`mock::MockTransport`];
//! the only implementation that touches `wasi:http` is [`wasi::WasiTransport`], compiled for
//! wasm32 only. Responses expose their body as a pull-based chunk reader so ConverseStream can
//! be decoded as bytes arrive instead of after the whole answer.

use crate::error::{ErrorKind, ProviderError};

#[cfg(target_arch = "wasm32")]
pub mod wasi;

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP (loopback only; enforced by settings and by the host).
    Http,
    /// HTTPS.
    Https,
}

/// A fully built, signed request. Its `Debug` output hides header values that can carry a
/// secret (a bearer API key, the session token, the operator's custom headers).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// `POST` for the runtime operations, `GET` for the control plane (`check`); signed.
    pub method: &'static str,
    /// Scheme.
    pub scheme: Scheme,
    /// `host` or `host:port`, exactly as signed (default ports removed).
    pub authority: String,
    /// The path as it goes on the wire, already percent-encoded (`%3A`, `%2F`).
    pub path: String,
    /// Headers to send, in order. Names are lower-case.
    pub headers: Vec<(String, String)>,
    /// The exact body bytes that were signed.
    pub body: Vec<u8>,
}

/// Headers whose values are never secret, shown as they are in `Debug` output.
const PLAIN_HEADERS: [&str; 6] =
    ["content-type", "content-length", "accept", "host", "x-amz-date", "x-amz-content-sha256"];

impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let plain = PLAIN_HEADERS.iter().any(|p| name.eq_ignore_ascii_case(p))
                    // A SigV4 authorization holds the key ID, scope and signature, no secret;
                    // any other scheme (a bearer API key) is the secret itself.
                    || name.eq_ignore_ascii_case("authorization")
                        && value.starts_with("AWS4-HMAC-SHA256 ");
                (name.as_str(), if plain { value.as_str() } else { "***" })
            })
            .collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("scheme", &self.scheme)
            .field("authority", &self.authority)
            .field("path", &self.path)
            .field("headers", &headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl HttpRequest {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// Client-side deadlines handed to the transport (the total deadline is enforced by the caller,
/// see `retry::Deadline`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the connection.
    pub connect_ms: u64,
    /// From sending the request to the first response byte.
    pub first_byte_ms: u64,
    /// Between two body chunks.
    pub between_bytes_ms: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self { connect_ms: 10_000, first_byte_ms: 60_000, between_bytes_ms: 30_000 }
    }
}

/// Which client-side deadline fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// Connecting.
    Connect,
    /// Waiting for the first byte.
    FirstByte,
    /// Waiting between body bytes.
    BetweenBytes,
    /// The whole call.
    Total,
}

impl TimeoutPhase {
    /// The setting that controls this deadline.
    pub fn setting(self) -> &'static str {
        match self {
            Self::Connect => "timeouts.connectMs",
            Self::FirstByte => "timeouts.firstByteMs",
            Self::BetweenBytes => "timeouts.betweenBytesMs",
            Self::Total => "timeouts.totalMs",
        }
    }
}

/// Why a request produced no (complete) response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// The host's outbound policy refused the request.
    Denied {
        /// The authority that was refused.
        authority: String,
    },
    /// A client-side deadline fired.
    Timeout(TimeoutPhase),
    /// DNS, connect, TLS or a reset, before or while reading the response.
    Network {
        /// What the transport reported (never contains request headers).
        detail: String,
        /// No response byte was received yet, so a retry cannot duplicate work.
        before_response: bool,
    },
    /// The body exceeded the size the component or the host accepts.
    BodyTooLarge {
        /// The component's own limit in bytes; `None` when the host's cap stopped the body
        /// (wasi:http reports the bytes received then, not the cap).
        limit: Option<usize>,
    },
}

impl From<TransportError> for ProviderError {
    fn from(e: TransportError) -> Self {
        match e {
            TransportError::Denied { authority } => ProviderError::new(
                ErrorKind::DeniedByHost,
                format!("The gateway host refused the outbound request to {authority}."),
            )
            .with_cause(
                "The host only allows HTTPS to the Bedrock endpoints of the configured region and \
                 to the origin of the configured base URL.",
            )
            .with_solution(
                "Set `region` to the region you mean, or set `baseUrl` (and `agentRuntimeBaseUrl` \
                 for re-ranking) to the gateway you want the requests to go to.",
            )
            .with_field("baseUrl"),
            TransportError::Timeout(phase) => ProviderError::new(
                ErrorKind::Timeout,
                format!("The request timed out ({} deadline).", phase_name(phase)),
            )
            .with_cause(format!(
                "No {} within the configured deadline.",
                match phase {
                    TimeoutPhase::Connect => "connection could be established",
                    TimeoutPhase::FirstByte => "response started",
                    TimeoutPhase::BetweenBytes => "further response bytes arrived",
                    TimeoutPhase::Total => "complete answer arrived",
                }
            ))
            .with_solution(format!(
                "Retry; if it keeps happening, raise `{}` or ask for fewer output tokens.",
                phase.setting()
            ))
            .with_field(phase.setting())
            .retryable(),
            TransportError::Network { detail, .. } => ProviderError::new(
                ErrorKind::Network,
                format!("The connection to Bedrock failed: {detail}."),
            )
            .with_cause("DNS, TCP or TLS failed, or the connection was reset.")
            .with_solution(
                "Check that the host can reach the endpoint (proxy, firewall, DNS) and that \
                 `baseUrl`, if set, is correct; then retry.",
            )
            .retryable(),
            TransportError::BodyTooLarge { limit } => ProviderError::new(
                ErrorKind::InvalidResponse,
                match limit {
                    Some(limit) => {
                        format!("The response body is larger than the {limit}-byte limit.")
                    }
                    None => "The response body is larger than the gateway host allows.".to_string(),
                },
            )
            .with_cause("The upstream sent far more data than a Bedrock answer should contain.")
            .with_solution("Check that `baseUrl` points at Bedrock or a faithful gateway."),
        }
    }
}

fn phase_name(p: TimeoutPhase) -> &'static str {
    match p {
        TimeoutPhase::Connect => "connect",
        TimeoutPhase::FirstByte => "first-byte",
        TimeoutPhase::BetweenBytes => "between-bytes",
        TimeoutPhase::Total => "total",
    }
}

/// A response body, read chunk by chunk as it arrives.
pub trait Body {
    /// The next chunk, or `None` at the end of the body.
    fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, TransportError>;
}

/// A response whose body may still be arriving.
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers with lower-case names.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Box<dyn Body>,
}

impl std::fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

impl HttpResponse {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Reads the whole body, refusing more than `limit` bytes.
    pub fn read_to_end(&mut self, limit: usize) -> Result<Vec<u8>, TransportError> {
        let mut out = Vec::new();
        while let Some(chunk) = self.body.next_chunk()? {
            if out.len() + chunk.len() > limit {
                return Err(TransportError::BodyTooLarge { limit: Some(limit) });
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }
}

/// A response read to the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Status code.
    pub status: u16,
    /// Headers with lower-case names.
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Vec<u8>,
}

impl Received {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The outcome of one request of [`Transport::send_all`]; `None` when it was never started
/// because an earlier one failed.
pub type BatchResult = Option<Result<Received, TransportError>>;

/// Sends requests. Implemented over `wasi:http` in the component and by a mock in tests.
pub trait Transport {
    /// Sends `request` and returns as soon as the response head has arrived.
    fn send(
        &self,
        request: &HttpRequest,
        timeouts: &Timeouts,
    ) -> Result<HttpResponse, TransportError>;

    /// [`send`](Transport::send), but no wait (for the response head, or later for a body
    /// chunk) lasts past `deadline`: one that would ends with [`TimeoutPhase::Total`].
    ///
    /// The default just sends: the caller already clamps `timeouts` to the time left and checks
    /// the clock between reads, so only a transport that blocks on the network (wasi:http) needs
    /// to wait on the clock itself.
    fn send_until(
        &self,
        request: &HttpRequest,
        timeouts: &Timeouts,
        deadline: std::time::Instant,
    ) -> Result<HttpResponse, TransportError> {
        let _ = deadline;
        self.send(request, timeouts)
    }

    /// Sends every request, at most `max_in_flight` at a time, and reads each body to the end
    /// (at most `body_limit` bytes). Results are in request order.
    ///
    /// The first failure (a transport error or a status other than 2xx) stops the batch: no
    /// further request is started and the ones in flight are abandoned, so their results are
    /// `None` like those never started. The caller decides what to resend.
    ///
    /// This default sends one request at a time; the component's transport overlaps them.
    fn send_all(
        &self,
        requests: &[HttpRequest],
        timeouts: &Timeouts,
        max_in_flight: usize,
        body_limit: usize,
    ) -> Vec<BatchResult> {
        let _ = max_in_flight;
        let mut results: Vec<BatchResult> = Vec::with_capacity(requests.len());
        for request in requests {
            if results.iter().any(|r| !matches!(r, Some(Ok(x)) if x.is_success())) {
                results.push(None);
                continue;
            }
            let result = self.send(request, timeouts).and_then(|mut response| {
                let body = response.read_to_end(body_limit)?;
                Ok(Received { status: response.status, headers: response.headers, body })
            });
            results.push(Some(result));
        }
        results
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// An in-memory transport for native tests: records requests, replays canned responses.
#[cfg(any(test, feature = "mock"))]
pub mod mock {
    use super::*;
    use std::cell::RefCell;
    use std::collections::VecDeque;

    /// A canned answer.
    #[derive(Debug, Clone)]
    pub enum Canned {
        /// A response whose body arrives in the given chunks.
        Response {
            /// Status.
            status: u16,
            /// Headers (lower-case names).
            headers: Vec<(String, String)>,
            /// Body chunks, in order.
            chunks: Vec<Vec<u8>>,
        },
        /// A transport failure.
        Error(TransportError),
    }

    impl Canned {
        /// A JSON response in one chunk.
        pub fn json(status: u16, body: &str) -> Self {
            Self::Response {
                status,
                headers: vec![("content-type".into(), "application/json".into())],
                chunks: vec![body.as_bytes().to_vec()],
            }
        }

        /// Adds a header.
        pub fn with_header(mut self, name: &str, value: &str) -> Self {
            if let Self::Response { headers, .. } = &mut self {
                headers.push((name.to_ascii_lowercase(), value.to_string()));
            }
            self
        }
    }

    struct ChunkBody(VecDeque<Vec<u8>>);

    impl Body for ChunkBody {
        fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, TransportError> {
            Ok(self.0.pop_front())
        }
    }

    /// Replays canned answers in order and records every request sent.
    #[derive(Default)]
    pub struct MockTransport {
        answers: RefCell<VecDeque<Canned>>,
        /// Every request sent, in order.
        pub sent: RefCell<Vec<HttpRequest>>,
    }

    impl MockTransport {
        /// A transport that answers with `answers`, in order.
        pub fn new(answers: impl IntoIterator<Item = Canned>) -> Self {
            Self { answers: RefCell::new(answers.into_iter().collect()), sent: RefCell::default() }
        }
    }

    impl Transport for MockTransport {
        fn send(
            &self,
            request: &HttpRequest,
            _: &Timeouts,
        ) -> Result<HttpResponse, TransportError> {
            self.sent.borrow_mut().push(request.clone());
            match self.answers.borrow_mut().pop_front() {
                Some(Canned::Response { status, headers, chunks }) => {
                    Ok(HttpResponse { status, headers, body: Box::new(ChunkBody(chunks.into())) })
                }
                Some(Canned::Error(e)) => Err(e),
                None => Err(TransportError::Network {
                    detail: "mock transport has no more answers".into(),
                    before_response: true,
                }),
            }
        }
    }
}

#[cfg(test)]
mod debug_tests {
    use super::*;

    #[test]
    fn debug_hides_secret_header_values() {
        let request = HttpRequest {
            method: "POST",
            scheme: Scheme::Https,
            authority: "bedrock-runtime.us-east-1.amazonaws.com".into(),
            path: "/model/m/converse".into(),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("authorization".into(), "Bearer ABSK-api-key-value".into()),
                ("x-amz-security-token".into(), "session-token-value".into()),
                ("x-gateway-key".into(), "custom-header-value".into()),
            ],
            body: b"{}".to_vec(),
        };
        let shown = format!("{request:?}");
        for secret in ["ABSK-api-key-value", "session-token-value", "custom-header-value"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("application/json") && shown.contains("x-gateway-key"), "{shown}");
        let signed = HttpRequest {
            headers: vec![("authorization".into(), "AWS4-HMAC-SHA256 Credential=AKID/x".into())],
            ..request
        };
        assert!(format!("{signed:?}").contains("Credential=AKID/x"));
    }
}

//! A local Amazon Bedrock emulator on loopback, for end-to-end tests, demos and benchmarks.
//!
//! It is strict like AWS: it recomputes SigV4 signatures by hand (see [`sigv4`]), routes and
//! decodes model IDs like Bedrock's front end, validates Converse / CountTokens / Rerank /
//! rerank and embedding InvokeModel bodies against the documented shapes with AWS's messages, and can inject every error in the
//! spec ([`Fault`]). Answers are deterministic; streams are real event-stream frames
//! ([`eventstream`]) flushed one by one.
//!
//! The control plane (`bedrock.<region>.<suffix>`: GetFoundationModel,
//! GetFoundationModelAvailability, GetInferenceProfile, ListInferenceProfiles) is served too, for
//! `check`; see [`control_plane`].
//!
//! Test-only headers (unsigned, as a gateway adds custom headers after signing):
//! `x-emulator-fault: <fault name>`, `x-emulator-scenario: <scenario>` (a fixture answer, see
//! [`fixtures::SCENARIOS`], or an account state for the checklist, see [`Scenario`]),
//! `x-emulator-frame-delay-ms: <n>`, `x-emulator-latency-ms: <n>`
//! (a pause before answering, so overlapping requests can be observed with
//! [`Emulator::peak_in_flight`]). A model ID `emulator.fault-<name>` selects a fault too.
//!
//! Operations: Converse, ConverseStream (with structured output: the answer text is a minimal
//! instance of the schema), InvokeModel for rerank and embedding models (Titan Text Embeddings
//! v2, Cohere Embed v3 and v4), CountTokens (Anthropic models), and the agent runtime's Rerank.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

mod answer;
mod auth;
pub mod clock;
pub mod control_plane;
mod embed;
mod errors;
pub mod eventstream;
pub mod faults;
pub mod fixtures;
mod models;
mod rerank;
mod rng;
mod server;
pub mod sigv4;
mod stream;
mod validate;

pub use control_plane::Scenario;
pub use faults::{Fault, Namespace, StreamFault};

/// The float vector the emulator answers for an embedding input (a text, or an image's data
/// URI), so tests can check that each input got its own vector, in order. Titan and Cohere
/// derive it the same way; `normalize` is Titan's flag (Cohere vectors are unit length).
pub fn expected_embedding(input: &str, dimensions: usize, normalize: bool) -> Vec<f64> {
    embed::vector(input, dimensions, normalize)
}

/// The demo access key ID (the AWS documentation's example key).
pub const DEMO_ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
/// The demo secret access key (the AWS documentation's example secret).
pub const DEMO_SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// The demo Bedrock API key (bearer token).
pub const DEMO_API_KEY: &str = "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl";
/// The demo temporary access key ID (needs [`DEMO_SESSION_TOKEN`]).
pub const DEMO_TEMPORARY_ACCESS_KEY_ID: &str = "ASIAEXAMPLETEMPORARY";
/// The session token of [`DEMO_TEMPORARY_ACCESS_KEY_ID`].
pub const DEMO_SESSION_TOKEN: &str = "FQoGZXIvYXdzEXAMPLETOKEN";

/// An AWS credential the emulator accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// Access key ID.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Session token that requests signed with this key must carry.
    pub session_token: Option<String>,
    /// When temporary credentials stop working (`ExpiredTokenException` from then on);
    /// `None`: never.
    pub expires: Option<SystemTime>,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.as_ref().map(|_| "<redacted>"))
            .field("expires", &self.expires)
            .finish()
    }
}

/// Emulator configuration.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// Accepted SigV4 credentials.
    pub credentials: Vec<Credential>,
    /// Accepted Bedrock API keys (bearer tokens).
    pub api_keys: Vec<String>,
    /// Pause between ConverseStream frames (overridable per request).
    pub frame_delay: Duration,
    /// Pretend the server clock is this far ahead (for signature-expiry tests).
    pub clock_skew: Option<Duration>,
}

impl std::fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("credentials", &self.credentials)
            .field("api_keys", &format_args!("<{} redacted>", self.api_keys.len()))
            .field("frame_delay", &self.frame_delay)
            .field("clock_skew", &self.clock_skew)
            .finish()
    }
}

impl Default for EmulatorConfig {
    /// The demo credentials (a long-term key and a temporary key with its session token), the
    /// demo API key, no frame delay, no clock skew.
    fn default() -> Self {
        EmulatorConfig {
            credentials: vec![
                Credential {
                    access_key_id: DEMO_ACCESS_KEY_ID.to_string(),
                    secret_access_key: DEMO_SECRET_ACCESS_KEY.to_string(),
                    session_token: None,
                    expires: None,
                },
                Credential {
                    access_key_id: DEMO_TEMPORARY_ACCESS_KEY_ID.to_string(),
                    secret_access_key: DEMO_SECRET_ACCESS_KEY.to_string(),
                    session_token: Some(DEMO_SESSION_TOKEN.to_string()),
                    expires: None,
                },
            ],
            api_keys: vec![DEMO_API_KEY.to_string()],
            frame_delay: Duration::ZERO,
            clock_skew: None,
        }
    }
}

/// A request the emulator received, for assertions.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// The raw path (and query) exactly as on the wire.
    pub path: String,
    /// Headers as received (names lower case).
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
    /// Whether the SigV4 signature verified; `None` for bearer, unsigned or unrouted requests.
    pub signature_valid: Option<bool>,
    /// The SignedHeaders list of a SigV4 request.
    pub signed_headers: Vec<String>,
    /// The status the emulator answered with.
    pub status: u16,
}

impl RecordedRequest {
    /// The first value of a header (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

impl std::fmt::Debug for RecordedRequest {
    // Authorization (bearer keys) and session tokens stay out of Debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| {
                let secret = n.eq_ignore_ascii_case("authorization")
                    || n.eq_ignore_ascii_case("x-amz-security-token");
                (n.as_str(), if secret { "<redacted>" } else { v.as_str() })
            })
            .collect();
        f.debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("headers", &headers)
            .field("body_len", &self.body.len())
            .field("signature_valid", &self.signature_valid)
            .field("signed_headers", &self.signed_headers)
            .field("status", &self.status)
            .finish()
    }
}

/// A running emulator. Stops on [`Emulator::shutdown`] or when dropped.
pub struct Emulator {
    addr: SocketAddr,
    state: Arc<server::State>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl Emulator {
    /// Binds `127.0.0.1:0` and serves on the current tokio runtime.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Emulator> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(server::State {
            config,
            requests: Mutex::new(Vec::new()),
            cache: answer::PromptCache::default(),
            in_flight: AtomicUsize::new(0),
            peak_in_flight: AtomicUsize::new(0),
        });
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(server::serve(listener, state.clone(), stopped));
        Ok(Emulator { addr, state, stop: Some(stop), task: Some(task) })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        match self.state.requests.lock() {
            Ok(requests) => requests.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Forgets the recorded requests and resets [`Emulator::peak_in_flight`].
    pub fn clear_requests(&self) {
        match self.state.requests.lock() {
            Ok(mut requests) => requests.clear(),
            Err(poisoned) => poisoned.into_inner().clear(),
        }
        self.state.peak_in_flight.store(0, Ordering::SeqCst);
    }

    /// The most requests the emulator was handling at the same time since it started (or
    /// since [`Emulator::clear_requests`]): from reading the request to sending the head.
    pub fn peak_in_flight(&self) -> usize {
        self.state.peak_in_flight.load(Ordering::SeqCst)
    }

    /// Stops accepting, drops open connections and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_keeps_secrets_out() {
        let text = format!("{:?}", EmulatorConfig::default());
        assert!(text.contains(DEMO_ACCESS_KEY_ID));
        for secret in [DEMO_SECRET_ACCESS_KEY, DEMO_SESSION_TOKEN, DEMO_API_KEY] {
            assert!(!text.contains(secret), "{secret} leaked");
        }
        let recorded = RecordedRequest {
            method: "POST".into(),
            path: "/".into(),
            headers: vec![
                ("authorization".into(), format!("Bearer {DEMO_API_KEY}")),
                ("x-amz-security-token".into(), DEMO_SESSION_TOKEN.into()),
            ],
            body: Vec::new(),
            signature_valid: None,
            signed_headers: Vec::new(),
            status: 200,
        };
        let text = format!("{recorded:?}");
        assert!(!text.contains(DEMO_API_KEY) && !text.contains(DEMO_SESSION_TOKEN));
    }
}

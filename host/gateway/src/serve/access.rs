//! One structured log line and one metrics observation per request.
//!
//! The line holds the request ID, method, route, model, status, error kind, latency, tokens
//! and the upstream request ID: never headers, bodies or settings, so never a secret.

use std::sync::Arc;
use std::time::Instant;

use super::Shared;
use super::metrics::Observation;

/// What is known about a request so far; [`Access::finish`] records it.
pub(super) struct Access {
    shared: Arc<Shared>,
    started: Instant,
    /// The gateway's request ID (also sent as `x-request-id`).
    pub id: String,
    method: String,
    /// The route label: a known path, or `other`.
    pub route: &'static str,
    /// The model asked for, then the one that answered.
    pub model: Option<String>,
    /// The error kind, when the request failed.
    pub error: Option<String>,
    /// Prompt (cached included) and completion tokens.
    pub tokens: Option<(u64, u64)>,
    /// The upstream request ID.
    pub upstream_request_id: Option<String>,
}

impl Access {
    /// Starts timing a request.
    pub fn start(shared: Arc<Shared>, method: &http::Method, route: &'static str) -> Access {
        shared.metrics.in_flight(1);
        let id = shared.ids.next();
        Access {
            shared,
            started: Instant::now(),
            id,
            method: method.to_string(),
            route,
            model: None,
            error: None,
            tokens: None,
            upstream_request_id: None,
        }
    }

    /// Logs the request and records it in the metrics.
    pub fn finish(self, status: u16) {
        let latency = self.started.elapsed();
        let error = self.error.as_deref().unwrap_or("none");
        self.shared.metrics.observe(&Observation {
            route: self.route,
            status,
            error,
            latency,
            model: self.model.as_deref(),
            tokens: self.tokens,
        });
        self.shared.metrics.in_flight(-1);
        tracing::info!(
            target: "bedrock_gateway::serve::access",
            request_id = %self.id,
            method = %self.method,
            route = %self.route,
            model = %self.model.as_deref().unwrap_or("-"),
            status,
            error = %error,
            latency_ms = latency.as_millis() as u64,
            tokens_in = self.tokens.map_or(0, |t| t.0),
            tokens_out = self.tokens.map_or(0, |t| t.1),
            upstream_request_id = %self.upstream_request_id.as_deref().unwrap_or("-"),
            "request"
        );
    }
}

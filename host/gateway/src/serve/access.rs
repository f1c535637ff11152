//! One structured log line and one metrics observation per request.
//!
//! The line holds the request ID, method, route, model, status, error kind, latency, tokens
//! and the upstream request ID: never headers, bodies or settings, so never a secret. Values a
//! client or upstream chose (the model, the upstream request ID) go through [`log_value`], so
//! no value can end the line, start a forged one, carry terminal escapes or fill the log.

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
            model = %log_value(self.model.as_deref().unwrap_or("-")),
            status,
            error = %error,
            latency_ms = latency.as_millis() as u64,
            tokens_in = self.tokens.map_or(0, |t| t.0),
            tokens_out = self.tokens.map_or(0, |t| t.1),
            upstream_request_id = %log_value(self.upstream_request_id.as_deref().unwrap_or("-")),
            "request"
        );
    }
}

/// The longest value written to the access log, in characters; longer ones are cut and end in
/// `...`.
const MAX_LOG_VALUE: usize = 200;

/// `value` as one token of a `key=value` line: unchanged when it is made only of characters
/// that cannot separate or start anything (letters, digits, `-_.:|/@+`), else quoted with every
/// quote, backslash, control character and non-ASCII character escaped (`\n`, `\u{1b}`), after
/// cutting it to [`MAX_LOG_VALUE`] characters.
pub(super) fn log_value(value: &str) -> String {
    let cut: String = value.chars().take(MAX_LOG_VALUE).collect();
    let cut = if cut.len() < value.len() { format!("{cut}...") } else { cut };
    let plain =
        !cut.is_empty() && cut.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:|/@+".contains(c));
    if plain {
        return cut;
    }
    let mut quoted = String::with_capacity(cut.len() + 2);
    quoted.push('"');
    for c in cut.chars() {
        if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
            quoted.push(c);
        } else {
            quoted.extend(c.escape_default());
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_values_cannot_forge_or_escape_a_line() {
        let rows = [
            ("amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0", None),
            ("-", None),
            ("x\nrequest_id=FAKE status=200", Some(r#""x\nrequest_id=FAKE status=200""#)),
            ("a\rb", Some(r#""a\rb""#)),
            ("\u{1b}[31mred", Some(r#""\u{1b}[31mred""#)),
            ("say \"hi\" \\", Some(r#""say \"hi\" \\""#)),
            ("caf\u{e9}", Some(r#""caf\u{e9}""#)),
            ("", Some(r#""""#)),
        ];
        for (value, want) in rows {
            let got = log_value(value);
            assert_eq!(got, want.unwrap_or(value), "{value:?}");
            assert!(!got.contains(['\n', '\r', '\u{1b}']), "{got}");
        }
        let long = log_value(&"m".repeat(1_000_000));
        assert_eq!(long.len(), MAX_LOG_VALUE + 3);
        assert!(long.ends_with("..."));
        // A forged `key=value` pair stays inside one quoted value.
        assert!(log_value("x status=200").starts_with('"'));
    }
}

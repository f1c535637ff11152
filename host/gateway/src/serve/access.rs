//! One structured log line and one metrics observation per request.
//!
//! The line holds the request ID, method, route, model, status, error kind, latency, tokens
//! and the upstream request ID: never headers, bodies or settings, so never a secret. Values a
//! client or upstream chose (the model, the method, the upstream request ID) go through
//! [`log_value`], so none can forge a line or a field, colour a terminal, or flood the log.
//!
//! Every request is recorded exactly once: by [`Access::finish`], or, when the client hangs up
//! before its answer started (hyper then drops the handler), by the drop as
//! `client-disconnected` with status 499.

use std::sync::Arc;
use std::time::Instant;

use super::Shared;
use super::limits::CLIENT_DISCONNECTED;
use super::metrics::Observation;

/// The most characters a client-chosen value takes in the log; a model ID is far shorter.
const MAX_LOGGED_CHARS: usize = 200;

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
    /// Set once recorded, so the drop does not record it again.
    recorded: bool,
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
            recorded: false,
        }
    }

    /// Logs the request and records it in the metrics.
    pub fn finish(mut self, status: u16) {
        self.record(status);
    }

    fn record(&mut self, status: u16) {
        if std::mem::replace(&mut self.recorded, true) {
            return;
        }
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
        let shown = |value: Option<&str>| value.map_or_else(|| "-".to_string(), log_value);
        tracing::info!(
            target: "bedrock_gateway::serve::access",
            request_id = %self.id,
            method = %log_value(&self.method),
            route = %self.route,
            model = %shown(self.model.as_deref()),
            status,
            error = %log_value(error),
            latency_ms = latency.as_millis() as u64,
            tokens_in = self.tokens.map_or(0, |t| t.0),
            tokens_out = self.tokens.map_or(0, |t| t.1),
            upstream_request_id = %shown(self.upstream_request_id.as_deref()),
            "request"
        );
    }
}

impl Drop for Access {
    /// A request dropped unrecorded is one whose client hung up before the answer started
    /// (hyper drops the handler, which also ends the upstream call): record it once, so the
    /// log, the counters and `requests_in_flight` stay true.
    fn drop(&mut self) {
        if !self.recorded {
            self.error = Some("client-disconnected".to_string());
            self.record(CLIENT_DISCONNECTED);
        }
    }
}

/// A value for a `key=value` log field that cannot break out of it: ASCII letters, digits and
/// `-._:/|@+,;~()[]{}*#%!?'$&^<>` stay; every other character (space, `=`, quotes, backslash,
/// control characters such as CR, LF and ESC, and all non-ASCII) is escaped as `\n`, `\r`,
/// `\t` or `\u{..}`. Longer values are cut to [`MAX_LOGGED_CHARS`] with a note of their length.
pub fn log_value(value: &str) -> String {
    let mut out = String::new();
    for c in value.chars() {
        let escaped = match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' => None,
            '-' | '.' | '_' | ':' | '/' | '|' | '@' | '+' | ',' | ';' | '~' | '(' | ')' | '['
            | ']' | '{' | '}' | '*' | '#' | '%' | '!' | '?' | '\'' | '$' | '&' | '^' | '<'
            | '>' => None,
            '\n' => Some("\\n".to_string()),
            '\r' => Some("\\r".to_string()),
            '\t' => Some("\\t".to_string()),
            other => Some(format!("\\u{{{:x}}}", u32::from(other))),
        };
        let piece_len = escaped.as_ref().map_or(1, String::len);
        if out.len() + piece_len > MAX_LOGGED_CHARS {
            out += &format!("...({} bytes)", value.len());
            return out;
        }
        match escaped {
            Some(e) => out += &e,
            None => out.push(c),
        }
    }
    if out.is_empty() { "\"\"".to_string() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_values_cannot_forge_or_flood_a_line() {
        let rows = [
            (
                "amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0",
                "amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            ),
            (
                "arn:aws:bedrock:us-east-1:123:inference-profile/x",
                "arn:aws:bedrock:us-east-1:123:inference-profile/x",
            ),
            // A newline cannot start a forged line, nor a space a forged field.
            ("x\nrequest_id=FAKE status=200", "x\\nrequest_id\\u{3d}FAKE\\u{20}status\\u{3d}200"),
            ("a\r\nb", "a\\r\\nb"),
            ("\u{1b}[31mred\u{1b}[0m", "\\u{1b}[31mred\\u{1b}[0m"),
            ("tab\there", "tab\\there"),
            ("quote\"back\\slash", "quote\\u{22}back\\u{5c}slash"),
            // Right-to-left override and other non-ASCII are escaped too.
            ("\u{202e}evil", "\\u{202e}evil"),
            ("é", "\\u{e9}"),
            ("", "\"\""),
        ];
        for (value, want) in rows {
            assert_eq!(log_value(value), want, "{value:?}");
        }
        // A megabyte is cut to a bounded field that says how long the value was.
        let huge = "m".repeat(1 << 20);
        let shown = log_value(&huge);
        assert!(shown.len() <= MAX_LOGGED_CHARS + 30, "{}", shown.len());
        assert!(shown.ends_with("...(1048576 bytes)"), "{shown}");
        let controls = "\n".repeat(1000);
        assert!(log_value(&controls).len() <= MAX_LOGGED_CHARS + 30);
        // Whatever the input, the output is one token of safe characters.
        for value in ["a b", "a=b", "\u{0}", "\u{7f}", "\u{85}", "\u{2028}"] {
            let shown = log_value(value);
            assert!(
                shown.chars().all(|c| c.is_ascii_graphic() && c != '=' && c != '"'),
                "{value:?} -> {shown}"
            );
        }
    }
}

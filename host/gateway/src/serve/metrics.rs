//! Prometheus metrics in the text exposition format, kept by hand: a few counters and one
//! histogram do not warrant a metrics library.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds: from a cached error to a long stream.
const BUCKETS: [f64; 14] =
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];

/// One finished request, as the metrics see it.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    /// The route label (`/v1/chat/completions`, `other`, ...).
    pub route: &'a str,
    /// The HTTP status sent.
    pub status: u16,
    /// The error kind (`throttled`, `overloaded`, ...), `none` on success.
    pub error: &'a str,
    /// From the request's arrival to its last byte.
    pub latency: Duration,
    /// The model that answered, when one did.
    pub model: Option<&'a str>,
    /// Prompt tokens (cached included) and completion tokens.
    pub tokens: Option<(u64, u64)>,
}

#[derive(Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Debug, Default)]
struct Tables {
    requests: BTreeMap<(String, u16, String), u64>,
    latency: BTreeMap<String, Histogram>,
    tokens: BTreeMap<(String, &'static str), u64>,
    reloads: BTreeMap<&'static str, u64>,
    connections_closed: BTreeMap<&'static str, u64>,
}

/// The gateway's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    tables: Mutex<Tables>,
    in_flight: AtomicI64,
    connections: AtomicI64,
}

impl Metrics {
    fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        match self.tables.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Records a finished request.
    pub fn observe(&self, o: &Observation<'_>) {
        let mut t = self.tables();
        *t.requests.entry((o.route.to_string(), o.status, o.error.to_string())).or_default() += 1;
        let seconds = o.latency.as_secs_f64();
        let h = t.latency.entry(o.route.to_string()).or_default();
        h.count += 1;
        h.sum += seconds;
        for (count, bound) in h.counts.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *count += 1;
            }
        }
        if let (Some(model), Some((input, output))) = (o.model, o.tokens) {
            *t.tokens.entry((model.to_string(), "in")).or_default() += input;
            *t.tokens.entry((model.to_string(), "out")).or_default() += output;
        }
    }

    /// Records a settings reload and whether it was applied.
    pub fn reload(&self, applied: bool) {
        *self.tables().reloads.entry(if applied { "applied" } else { "rejected" }).or_default() +=
            1;
    }

    /// A request started (+1) or finished (-1).
    pub fn in_flight(&self, delta: i64) {
        self.in_flight.fetch_add(delta, Ordering::Relaxed);
    }

    /// A client connection opened (+1) or closed (-1).
    pub fn connections(&self, delta: i64) {
        self.connections.fetch_add(delta, Ordering::Relaxed);
    }

    /// The gateway closed a connection for `reason` (a deadline, the connection cap).
    pub fn connection_closed(&self, reason: &'static str) {
        *self.tables().connections_closed.entry(reason).or_default() += 1;
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let t = self.tables();
        let mut out = String::new();
        out += "# HELP bedrock_gateway_requests_total Requests answered, by route, HTTP status and error kind.\n";
        out += "# TYPE bedrock_gateway_requests_total counter\n";
        for ((route, status, error), n) in &t.requests {
            let _ = writeln!(
                out,
                "bedrock_gateway_requests_total{{route=\"{}\",status=\"{status}\",error=\"{}\"}} {n}",
                escape(route),
                escape(error)
            );
        }
        out += "# HELP bedrock_gateway_request_duration_seconds Time from a request's arrival to its last byte.\n";
        out += "# TYPE bedrock_gateway_request_duration_seconds histogram\n";
        for (route, h) in &t.latency {
            let route = escape(route);
            for (count, bound) in h.counts.iter().zip(BUCKETS) {
                let _ = writeln!(
                    out,
                    "bedrock_gateway_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "bedrock_gateway_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "bedrock_gateway_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "bedrock_gateway_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        out += "# HELP bedrock_gateway_tokens_total Tokens processed, by model and direction (in: prompt including cached, out: completion).\n";
        out += "# TYPE bedrock_gateway_tokens_total counter\n";
        for ((model, direction), n) in &t.tokens {
            let _ = writeln!(
                out,
                "bedrock_gateway_tokens_total{{model=\"{}\",direction=\"{direction}\"}} {n}",
                escape(model)
            );
        }
        out += "# HELP bedrock_gateway_settings_reloads_total Settings reloads, by outcome.\n";
        out += "# TYPE bedrock_gateway_settings_reloads_total counter\n";
        for (outcome, n) in &t.reloads {
            let _ = writeln!(
                out,
                "bedrock_gateway_settings_reloads_total{{outcome=\"{outcome}\"}} {n}"
            );
        }
        out += "# HELP bedrock_gateway_requests_in_flight Requests being served.\n";
        out += "# TYPE bedrock_gateway_requests_in_flight gauge\n";
        let _ = writeln!(
            out,
            "bedrock_gateway_requests_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        out += "# HELP bedrock_gateway_connections_open Client connections open.\n";
        out += "# TYPE bedrock_gateway_connections_open gauge\n";
        let _ = writeln!(
            out,
            "bedrock_gateway_connections_open {}",
            self.connections.load(Ordering::Relaxed)
        );
        out += "# HELP bedrock_gateway_connections_closed_total Client connections the gateway closed, by reason.\n";
        out += "# TYPE bedrock_gateway_connections_closed_total counter\n";
        for (reason, n) in &t.connections_closed {
            let _ = writeln!(
                out,
                "bedrock_gateway_connections_closed_total{{reason=\"{reason}\"}} {n}"
            );
        }
        out
    }
}

/// Escapes a label value (backslash, double quote, newline).
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition() {
        let m = Metrics::default();
        let ok = Observation {
            route: "/v1/chat/completions",
            status: 200,
            error: "none",
            latency: Duration::from_millis(30),
            model: Some("amazon.nova-lite-v1:0"),
            tokens: Some((12, 5)),
        };
        m.observe(&ok);
        m.observe(&Observation { latency: Duration::from_secs(2), tokens: Some((3, 1)), ..ok });
        m.observe(&Observation {
            status: 429,
            error: "throttled",
            model: None,
            tokens: None,
            ..ok
        });
        m.reload(true);
        m.in_flight(2);
        m.in_flight(-1);
        m.connections(3);
        m.connections(-1);
        m.connection_closed("idle-timeout");
        let text = m.render();
        for line in [
            r#"bedrock_gateway_requests_total{route="/v1/chat/completions",status="200",error="none"} 2"#,
            r#"bedrock_gateway_requests_total{route="/v1/chat/completions",status="429",error="throttled"} 1"#,
            r#"bedrock_gateway_request_duration_seconds_bucket{route="/v1/chat/completions",le="0.05"} 2"#,
            r#"bedrock_gateway_request_duration_seconds_bucket{route="/v1/chat/completions",le="2.5"} 3"#,
            r#"bedrock_gateway_request_duration_seconds_bucket{route="/v1/chat/completions",le="+Inf"} 3"#,
            r#"bedrock_gateway_request_duration_seconds_count{route="/v1/chat/completions"} 3"#,
            r#"bedrock_gateway_tokens_total{model="amazon.nova-lite-v1:0",direction="in"} 15"#,
            r#"bedrock_gateway_tokens_total{model="amazon.nova-lite-v1:0",direction="out"} 6"#,
            r#"bedrock_gateway_settings_reloads_total{outcome="applied"} 1"#,
            "bedrock_gateway_requests_in_flight 1",
            "bedrock_gateway_connections_open 2",
            r#"bedrock_gateway_connections_closed_total{reason="idle-timeout"} 1"#,
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
        }
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}

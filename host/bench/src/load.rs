//! A small HTTP/1.1 load generator: `concurrency` keep-alive connections, each sending the same
//! request back to back for a fixed time, with per-request latencies.
//!
//! Built on hyper's connection API (no pool, no retries), so what it measures is the target.
//! Its own CPU is not charged to the target: a target may name a process whose CPU time
//! ([`ProcessProbe`]) is read at the start and the end of the measured window.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HOST, HeaderName, HeaderValue};
use http::{Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::procfs::{ProcessProbe, ProcessSample};
use super::stats::{Summary, percentile, summarize};

/// What to load: one request, sent again and again.
#[derive(Debug, Clone)]
pub struct LoadTarget {
    /// A label for reports, e.g. `direct` or `gateway`.
    pub name: String,
    /// `http://host:port/path` (plain HTTP/1.1).
    pub uri: Uri,
    /// The method.
    pub method: Method,
    /// Extra request headers (`host` is set from the URI).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The request body.
    pub body: Bytes,
    /// The process serving this target, whose CPU time and memory are reported (e.g. the
    /// gateway's pid). `None` for targets whose CPU does not matter, such as the floor.
    pub process: Option<u32>,
}

impl LoadTarget {
    /// A POST of `body` (JSON) to `uri`.
    pub fn post_json(name: &str, uri: Uri, body: impl Into<Bytes>) -> Self {
        Self {
            name: name.to_string(),
            uri,
            method: Method::POST,
            headers: vec![(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body: body.into(),
            process: None,
        }
    }
}

/// How hard and how long to load.
#[derive(Debug, Clone, Copy)]
pub struct LoadConfig {
    /// Connections, each with one request in flight at a time.
    pub concurrency: usize,
    /// Requests before this are sent but not recorded (connections warm up, caches fill).
    pub warmup: Duration,
    /// The measured window after the warm-up.
    pub duration: Duration,
}

/// What one load run measured.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// The target's name.
    pub target: String,
    /// The concurrency used.
    pub concurrency: usize,
    /// Successful (2xx) requests completed in the measured window.
    pub requests: u64,
    /// Failed requests (connection errors and non-2xx) in the window.
    pub errors: u64,
    /// The first failure seen, for diagnosis.
    pub first_error: Option<String>,
    /// The measured window.
    pub elapsed: Duration,
    /// Successful requests per second.
    pub requests_per_sec: f64,
    /// Median latency (request sent to last body byte).
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
    /// Slowest request.
    pub max: Duration,
    /// CPU time the target's process used in the window (when it names one).
    pub process_cpu: Option<Duration>,
    /// The target process's RSS at the end of the window, under load.
    pub process_rss_bytes: Option<u64>,
}

impl LoadReport {
    /// The target process's CPU time per successful request.
    pub fn cpu_per_request(&self) -> Option<Duration> {
        let cpu = self.process_cpu?;
        (self.requests > 0).then(|| cpu / u32::try_from(self.requests).unwrap_or(u32::MAX))
    }
}

/// Several runs of one target, summarised (median, min, max over the runs).
#[derive(Debug, Clone)]
pub struct LoadSummary {
    /// Successful requests per second.
    pub requests_per_sec: Summary,
    /// Median latency, seconds.
    pub p50: Summary,
    /// 99th percentile latency, seconds.
    pub p99: Summary,
    /// The target process's CPU seconds per request, when it names a process.
    pub cpu_per_request: Option<Summary>,
    /// The target process's RSS under load, bytes.
    pub rss_bytes: Option<Summary>,
    /// Failed requests over all runs.
    pub errors: u64,
    /// The first failure seen.
    pub first_error: Option<String>,
}

impl LoadSummary {
    /// Summarises the runs of one target; `None` when there are none.
    pub fn of(reports: &[LoadReport]) -> Option<Self> {
        let values = |f: &dyn Fn(&LoadReport) -> Option<f64>| -> Option<Summary> {
            let v: Option<Vec<f64>> = reports.iter().map(f).collect();
            summarize(&v?)
        };
        Some(Self {
            requests_per_sec: values(&|r| Some(r.requests_per_sec))?,
            p50: values(&|r| Some(r.p50.as_secs_f64()))?,
            p99: values(&|r| Some(r.p99.as_secs_f64()))?,
            cpu_per_request: values(&|r| r.cpu_per_request().map(|d| d.as_secs_f64())),
            rss_bytes: values(&|r| r.process_rss_bytes.map(|b| b as f64)),
            errors: reports.iter().map(|r| r.errors).sum(),
            first_error: reports.iter().find_map(|r| r.first_error.clone()),
        })
    }
}

/// Per-connection results.
#[derive(Default)]
struct WorkerResult {
    latencies_ns: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
}

/// Loads `target` with `config.concurrency` connections for `warmup + duration`, on the
/// current tokio runtime. Run it on a runtime of its own (not the target's).
pub async fn run_load(target: &LoadTarget, config: &LoadConfig) -> LoadReport {
    let start = Instant::now();
    let record_from = start + config.warmup;
    let stop_at = record_from + config.duration;
    let probe = target.process.map(ProcessProbe::new);
    let sampler = tokio::spawn(async move {
        let probe = probe?;
        tokio::time::sleep_until(record_from.into()).await;
        let before = probe.sample().ok()?;
        tokio::time::sleep_until(stop_at.into()).await;
        let after = probe.sample().ok()?;
        Some((before, after))
    });
    let workers: Vec<_> = (0..config.concurrency.max(1))
        .map(|_| tokio::spawn(worker(target.clone(), record_from, stop_at)))
        .collect();
    let mut latencies = Vec::new();
    let (mut errors, mut first_error) = (0, None);
    for worker in workers {
        match worker.await {
            Ok(result) => {
                latencies.extend(result.latencies_ns);
                errors += result.errors;
                first_error = first_error.or(result.first_error);
            }
            Err(e) => {
                errors += 1;
                first_error = first_error.or(Some(format!("load worker failed: {e}")));
            }
        }
    }
    let samples: Option<(ProcessSample, ProcessSample)> = sampler.await.ok().flatten();
    latencies.sort_unstable();
    let requests = latencies.len() as u64;
    LoadReport {
        target: target.name.clone(),
        concurrency: config.concurrency.max(1),
        requests,
        errors,
        first_error,
        elapsed: config.duration,
        requests_per_sec: requests as f64 / config.duration.as_secs_f64().max(1e-9),
        p50: Duration::from_nanos(percentile(&latencies, 50.0)),
        p99: Duration::from_nanos(percentile(&latencies, 99.0)),
        max: Duration::from_nanos(latencies.last().copied().unwrap_or(0)),
        process_cpu: samples.map(|(before, after)| after.cpu.saturating_sub(before.cpu)),
        process_rss_bytes: samples.map(|(_, after)| after.rss_bytes),
    }
}

/// Runs every target `rounds` times, interleaved (round 1: A, B; round 2: B, A; ...), so a
/// slow phase of a noisy machine hits all targets alike. Returns the reports per target, in
/// the order of `targets`, one per round.
pub async fn compare(
    targets: &[LoadTarget],
    config: &LoadConfig,
    rounds: usize,
) -> Vec<Vec<LoadReport>> {
    let mut reports: Vec<Vec<LoadReport>> = vec![Vec::new(); targets.len()];
    for round in 0..rounds {
        for k in 0..targets.len() {
            let i = (k + round) % targets.len();
            reports[i].push(run_load(&targets[i], config).await);
        }
    }
    reports
}

/// One connection: sends requests back to back until `stop_at`, recording those that both
/// start after `record_from` and end by `stop_at`.
async fn worker(target: LoadTarget, record_from: Instant, stop_at: Instant) -> WorkerResult {
    let mut result = WorkerResult::default();
    let mut sender = None;
    while Instant::now() < stop_at {
        let fail = |result: &mut WorkerResult, message: String, started: Instant| {
            if started >= record_from {
                result.errors += 1;
                result.first_error.get_or_insert(message);
            }
        };
        let started = Instant::now();
        if sender.is_none() {
            match connect(&target.uri).await {
                Ok(s) => sender = Some(s),
                Err(e) => {
                    fail(&mut result, format!("connect to {}: {e}", target.uri), started);
                    // Do not spin on a dead target.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let Some(s) = sender.as_mut() else { continue };
        let started = Instant::now();
        match send(s, &target).await {
            Ok(status) if status.is_success() => {
                let ended = Instant::now();
                if started >= record_from && ended <= stop_at {
                    result.latencies_ns.push((ended - started).as_nanos() as u64);
                }
            }
            Ok(status) => fail(&mut result, format!("HTTP {status}"), started),
            Err(e) => {
                fail(&mut result, e, started);
                sender = None;
            }
        }
    }
    result
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(uri: &Uri) -> Result<Sender, String> {
    let authority = uri.authority().ok_or("the target URI has no host")?.as_str();
    let tcp = TcpStream::connect(authority).await.map_err(|e| e.to_string())?;
    let _ = tcp.set_nodelay(true);
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    Ok(sender)
}

/// Sends one request and reads the whole response body.
async fn send(sender: &mut Sender, target: &LoadTarget) -> Result<http::StatusCode, String> {
    sender.ready().await.map_err(|e| e.to_string())?;
    let path = target.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = Request::builder().method(target.method.clone()).uri(path);
    if let Some(authority) = target.uri.authority()
        && let Ok(host) = HeaderValue::from_str(authority.as_str())
    {
        request = request.header(HOST, host);
    }
    for (name, value) in &target.headers {
        request = request.header(name, value);
    }
    let request = request.body(Full::new(target.body.clone())).map_err(|e| e.to_string())?;
    let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
    let status = response.status();
    response.into_body().collect().await.map_err(|e| e.to_string())?;
    Ok(status)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::CannedUpstream;

    #[test]
    fn loads_the_canned_upstream_and_reports_latencies() {
        let upstream = CannedUpstream::start(1).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let uri: Uri = format!("{}/model/m/converse", upstream.base_url()).parse().unwrap();
        let mut target = LoadTarget::post_json("direct", uri, "{}");
        target.process = Some(std::process::id());
        let config = LoadConfig {
            concurrency: 2,
            warmup: Duration::from_millis(20),
            duration: Duration::from_millis(200),
        };
        let report = runtime.block_on(run_load(&target, &config));
        assert_eq!(report.errors, 0, "{:?}", report.first_error);
        assert!(report.requests > 10, "{report:?}");
        assert!(
            report.p50 > Duration::ZERO && report.p50 <= report.p99 && report.p99 <= report.max
        );
        assert!(upstream.requests() >= report.requests);
        assert!(report.process_rss_bytes.unwrap() > 0);
        assert!(report.cpu_per_request().is_some());

        // A dead target yields errors, not a hang or a panic.
        drop(upstream);
        let dead = runtime.block_on(run_load(&target, &config));
        assert_eq!(dead.requests, 0);
        assert!(dead.errors > 0 && dead.first_error.is_some(), "{dead:?}");
    }

    #[test]
    fn compare_interleaves_rounds() {
        let upstream = CannedUpstream::start(1).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let base = upstream.base_url();
        let a = LoadTarget::post_json("a", format!("{base}/a").parse().unwrap(), "{}");
        let b = LoadTarget::post_json("b", format!("{base}/b").parse().unwrap(), "{}");
        let config = LoadConfig {
            concurrency: 1,
            warmup: Duration::ZERO,
            duration: Duration::from_millis(30),
        };
        let reports = runtime.block_on(compare(&[a, b], &config, 3));
        assert_eq!(reports.len(), 2);
        assert!(reports.iter().all(|r| r.len() == 3));
        assert!(reports[0].iter().all(|r| r.target == "a" && r.requests > 0));
        assert!(reports[1].iter().all(|r| r.target == "b" && r.requests > 0));
    }
}

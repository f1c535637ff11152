//! The sandbox under stress: components that misbehave on purpose (`tests/guests/misbehaving`)
//! and the real component pushed past its limits. Each failure must come back as the right
//! provider-error, and the same `Host` must then answer the next call normally.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::common::*;
use bedrock_emulator::EmulatorConfig;
use bedrock_gateway::types::*;
use bedrock_gateway::{Host, HostConfig};
use provider_runtime::limits;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const MIB: usize = 1024 * 1024;

/// A host running the misbehaving component.
fn misbehaving_host(config: HostConfig) -> Host {
    let config = HostConfig { cache_dir: Some(cache_dir()), max_concurrent_calls: 8, ..config };
    Host::load(bedrock_tests::misbehaving_component(), config).unwrap()
}

/// The misbehaving component's benign mode answers at once: the host is healthy.
async fn assert_benign_call_works(host: &Host) {
    let answer = host.generate("{}", chat("hi")).await.unwrap();
    assert_eq!(answer.text, "benign");
}

/// Runs `future` on its own task with an outer deadline, so a guest that is never interrupted
/// fails the test instead of hanging it (needs the multi-thread runtime).
async fn bounded<T: Send + 'static>(
    limit: Duration,
    future: impl Future<Output = T> + Send + 'static,
) -> T {
    tokio::time::timeout(limit, tokio::spawn(future))
        .await
        .expect("the call did not end: the host never interrupted it")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unbounded_allocation_hits_the_memory_limit() {
    let host = misbehaving_host(HostConfig { memory_limit_bytes: 16 * MIB, ..Default::default() });
    let h = host.clone();
    let e = bounded(Duration::from_secs(30), async move {
        h.generate(r#"{"misbehave":"allocate"}"#, chat("hi")).await
    })
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Internal, "{e:?}");
    assert_eq!(e.message, "the provider component exceeded its 16 MiB memory limit");
    assert!(e.solution.unwrap().contains("memory limit"));
    assert!(!e.retryable);
    assert_benign_call_works(&host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_loop_is_interrupted_at_the_deadline() {
    let limit = Duration::from_millis(500);
    let host = misbehaving_host(HostConfig { call_timeout: limit, ..Default::default() });
    let h = host.clone();
    let started = Instant::now();
    // Without epoch interruption the guest never returns to the executor, so neither the host's
    // own timeout nor this outer one could fire on its thread.
    let e = bounded(Duration::from_secs(10), async move {
        h.generate(r#"{"misbehave":"spin"}"#, chat("hi")).await
    })
    .await
    .unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(e.kind, ErrorKind::Timeout, "{e:?}");
    assert_eq!(e.message, "the provider component exceeded its 0.5 s time limit");
    assert!(e.retryable);
    assert!(elapsed >= limit, "interrupted early: {elapsed:?}");
    assert!(elapsed < limit * 6, "interrupted late: {elapsed:?}");

    // The host's deadline is the operator's alone: a tenant's `timeouts.totalMs` is the
    // provider's to enforce, so a component that ignores it runs until the operator's limit.
    let host = misbehaving_host(HostConfig { call_timeout: limit, ..Default::default() });
    let h = host.clone();
    let started = Instant::now();
    let e = bounded(Duration::from_secs(10), async move {
        h.generate(r#"{"misbehave":"spin","timeouts":{"totalMs":50}}"#, chat("hi")).await
    })
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout, "{e:?}");
    assert!(started.elapsed() >= limit, "the host read the tenant's deadline");
    assert_benign_call_works(&host).await;
}

#[tokio::test]
async fn a_host_outside_the_policy_is_refused_before_any_connection() {
    let host = misbehaving_host(HostConfig::default());
    let e = host.generate(r#"{"misbehave":"forbidden-host"}"#, chat("hi")).await.unwrap_err();
    // What the guest saw from wasi:http: the policy's refusal, not a DNS or connect failure
    // (this machine has no route to example.com, so an attempted connection would say so).
    assert_eq!(e.message, "the host answered ErrorCode::HttpRequestDenied", "{e:?}");
    assert_benign_call_works(&host).await;
}

/// A server that answers every request with `size` bytes, declaring the length or not.
async fn big_body_server(size: usize, declare_length: bool) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let _ = read_head(&mut tcp).await;
                let head = if declare_length {
                    format!("HTTP/1.1 200 OK\r\ncontent-length: {size}\r\n\r\n")
                } else {
                    "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_string()
                };
                if tcp.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b'x'; 64 * 1024];
                let mut sent = 0;
                while sent < size {
                    let n = chunk.len().min(size - sent);
                    let frame = if declare_length {
                        chunk[..n].to_vec()
                    } else {
                        [format!("{n:x}\r\n").as_bytes(), &chunk[..n], b"\r\n"].concat()
                    };
                    if tcp.write_all(&frame).await.is_err() {
                        return; // The client gave up, as it should past the cap.
                    }
                    sent += n;
                }
                if !declare_length {
                    let _ = tcp.write_all(b"0\r\n\r\n").await;
                }
            });
        }
    });
    addr
}

/// Reads a request head (enough for these servers: requests here have small or no bodies).
async fn read_head(tcp: &mut tokio::net::TcpStream) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tcp.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(head)
}

#[tokio::test]
async fn a_body_over_the_cap_is_cut_off() {
    let size = 4 * MIB;
    let capped =
        misbehaving_host(HostConfig { max_response_bytes: MIB as u64, ..Default::default() });
    for declare_length in [false, true] {
        let addr = big_body_server(size, declare_length).await;
        let settings = json!({"misbehave": "huge-body", "baseUrl": format!("http://{addr}")});
        let e = capped.generate(&settings.to_string(), chat("hi")).await.unwrap_err();
        assert!(
            e.message.starts_with("the host answered ErrorCode::HttpResponseBodySize"),
            "{e:?}"
        );
        if declare_length {
            // Refused from the declared length, before reading any of it.
            assert!(e.message.ends_with(&format!("(Some({size}))")), "{e:?}");
        }
        assert_benign_call_works(&capped).await;

        // The same body under a larger cap is read whole: the cap, not the server, cut it off.
        let roomy = misbehaving_host(HostConfig {
            max_response_bytes: 2 * size as u64,
            ..Default::default()
        });
        let answer = roomy.generate(&settings.to_string(), chat("hi")).await.unwrap();
        assert_eq!(answer.text, format!("read {size} bytes"));
    }
}

#[tokio::test]
async fn a_panic_is_an_internal_error() {
    let host = misbehaving_host(HostConfig::default());
    let e = host.generate(r#"{"misbehave":"panic"}"#, chat("hi")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Internal, "{e:?}");
    assert!(e.message.starts_with("the provider component crashed: "), "{e:?}");
    assert!(e.cause.unwrap().contains("bug in the component"));
    assert_benign_call_works(&host).await;
}

// ---- host resources: what the component makes the host hold or open ----

/// This process's resident memory, from `/proc/self/status` (`VmRSS`), in bytes.
fn rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .unwrap();
    kib * 1024
}

/// File descriptors this process holds.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Samples [`open_fds`] every few milliseconds until dropped; [`FdPeak::peak`] is the largest.
struct FdPeak {
    stop: Arc<std::sync::atomic::AtomicBool>,
    peak: Arc<AtomicUsize>,
}

impl FdPeak {
    fn start() -> FdPeak {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let peak = Arc::new(AtomicUsize::new(open_fds()));
        let (s, p) = (stop.clone(), peak.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                p.fetch_max(open_fds(), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        FdPeak { stop, peak }
    }

    fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

impl Drop for FdPeak {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Answers every request on a connection with `ok` after `delay`; counts connections.
async fn slow_ok_server(delay: Duration) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                while matches!(read_head(&mut tcp).await, Ok(head) if !head.is_empty()) {
                    tokio::time::sleep(delay).await;
                    let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                    if tcp.write_all(ok).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, accepted)
}

/// Reads request bodies to the end of the connection and adds up the bytes received.
async fn sink_server() -> (SocketAddr, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (accepted, received) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (a, r) = (accepted.clone(), received.clone());
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            a.fetch_add(1, Ordering::SeqCst);
            let r = r.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n) = tcp.read(&mut buf).await {
                    if n == 0 {
                        return;
                    }
                    r.fetch_add(n, Ordering::SeqCst);
                }
            });
        }
    });
    (addr, accepted, received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_header_maps_fails_its_own_call_and_spares_host_memory() {
    let host = misbehaving_host(HostConfig::default());
    let before = rss();
    // 5000 maps of 100 KiB: half a gigabyte of host memory without the caps.
    let h = host.clone();
    let flood =
        tokio::spawn(
            async move { h.generate(r#"{"misbehave":"flood-fields"}"#, chat("hi")).await },
        );
    // Another call of the same host is served meanwhile.
    assert_benign_call_works(&host).await;
    let e =
        bounded(Duration::from_secs(20), async move { flood.await.unwrap() }).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Internal, "{e:?}");
    assert_eq!(e.code.as_deref(), Some(limits::HOST_MEMORY_LIMIT_CODE), "{e:?}");
    assert_eq!(
        e.message,
        "the provider component exceeded its limit of 16 MiB of host memory for headers and \
         request targets"
    );
    assert!(!e.retryable);
    // Empty maps: the resource cap (table entries) ends the call instead.
    let e =
        host.generate(r#"{"misbehave":"flood-fields","bytes":0}"#, chat("hi")).await.unwrap_err();
    assert_eq!(e.code.as_deref(), Some(limits::HOST_RESOURCE_LIMIT_CODE), "{e:?}");
    assert_eq!(e.message, "the provider component exceeded its limit of 1000 host resources");
    let after = rss();
    let grown = after.saturating_sub(before);
    eprintln!("flood-fields: RSS {} MiB before, {} MiB after", before / MIB, after / MIB);
    // Other tests share the process, so allow for them; the flood alone would add ~500 MiB.
    assert!(grown < 128 * MIB, "host memory grew by {} MiB", grown / MIB);
    assert_benign_call_works(&host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_outgoing_requests_is_capped_per_call() {
    let (addr, accepted) = slow_ok_server(Duration::from_millis(300)).await;
    let host = misbehaving_host(HostConfig { max_host_resources: 10_000, ..Default::default() });
    let settings = json!({
        "misbehave": "flood-connections",
        "count": 2000,
        "target": format!("http://{addr}/"),
        "baseUrl": format!("http://{addr}"),
    });
    let fds = FdPeak::start();
    let before = fds.peak();
    let h = host.clone();
    let flood = tokio::spawn(async move { h.generate(&settings.to_string(), chat("hi")).await });
    assert_benign_call_works(&host).await;
    let e =
        bounded(Duration::from_secs(20), async move { flood.await.unwrap() }).await.unwrap_err();
    // The first 16 went out; the rest were refused at once, without a connection.
    assert_eq!(
        e.message, "16 answered, 1984 refused: the host answered ErrorCode::ConnectionLimitReached",
        "{e:?}"
    );
    let connections = accepted.load(Ordering::SeqCst);
    assert!(connections <= 16, "{connections} connections");
    let peak = fds.peak();
    eprintln!("flood-connections: {connections} connections, fds {before} before, peak {peak}");
    // Both ends are in this process (and so are other tests): without the cap, 4000+.
    assert!(peak < before + 200, "fds went from {before} to {peak}");

    // Under the default resource cap the same flood ends on it: every started request holds
    // a future.
    let host = misbehaving_host(HostConfig::default());
    let settings = json!({
        "misbehave": "flood-connections",
        "count": 2000,
        "target": format!("http://{addr}/"),
        "baseUrl": format!("http://{addr}"),
    });
    let e = host.generate(&settings.to_string(), chat("hi")).await.unwrap_err();
    assert_eq!(e.code.as_deref(), Some(limits::HOST_RESOURCE_LIMIT_CODE), "{e:?}");
    assert_benign_call_works(&host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_body_over_the_cap_is_cut_off() {
    let (addr, accepted, received) = sink_server().await;
    let host =
        misbehaving_host(HostConfig { max_request_body_bytes: MIB as u64, ..Default::default() });
    let base = format!("http://{addr}");
    // Streamed without a length: cut off once past the cap.
    let settings =
        json!({"misbehave": "huge-request-body", "target": format!("{base}/"), "baseUrl": base});
    let started = Instant::now();
    let e = host.generate(&settings.to_string(), chat("hi")).await.unwrap_err();
    assert!(e.message.contains("the host answered ErrorCode::HttpRequestBodySize"), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    let got = received.load(Ordering::SeqCst);
    assert!(got <= MIB + 256 * 1024, "the server received {got} bytes");
    // Declared over the cap: refused before anything is sent.
    let before = accepted.load(Ordering::SeqCst);
    let declared = json!({"misbehave": "huge-request-body", "declare": true,
        "target": format!("{base}/"), "baseUrl": base});
    let e = host.generate(&declared.to_string(), chat("hi")).await.unwrap_err();
    assert!(e.message.ends_with("ErrorCode::HttpRequestBodySize(Some(1073741824))"), "{e:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), before, "a connection was opened");
    assert_benign_call_works(&host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outgoing_requests_per_call_are_capped() {
    let (addr, _) = slow_ok_server(Duration::ZERO).await;
    let host = misbehaving_host(HostConfig { max_outbound_requests: 5, ..Default::default() });
    let settings = json!({"misbehave": "many-requests", "count": 10,
        "target": format!("http://{addr}/"), "baseUrl": format!("http://{addr}")});
    let e = host.generate(&settings.to_string(), chat("hi")).await.unwrap_err();
    assert_eq!(
        e.message,
        "after 5 requests: the host answered ErrorCode::InternalError(Some(\"the host's limit of \
         5 outbound requests per call was reached\"))",
        "{e:?}"
    );
    // The cap is per call: the next call starts from zero.
    let settings = json!({"misbehave": "many-requests", "count": 5,
        "target": format!("http://{addr}/"), "baseUrl": format!("http://{addr}")});
    assert_eq!(
        host.generate(&settings.to_string(), chat("hi")).await.unwrap().text,
        "all requests answered"
    );
}

// ---- the real component ----

/// The real component answers the emulator normally.
async fn assert_real_call_works(h: &Harness) {
    let answer = h.host.generate(&h.settings(json!({})), chat("hi")).await.unwrap();
    assert!(!answer.text.is_empty());
}

#[tokio::test]
async fn a_prompt_larger_than_the_memory_limit_is_refused_and_the_host_recovers() {
    let h = Harness::with(
        EmulatorConfig::default(),
        HostConfig { memory_limit_bytes: 16 * MIB, ..Default::default() },
    )
    .await;
    let e = h.host.generate(&h.settings(json!({})), chat(&"x".repeat(24 * MIB))).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Internal, "{e:?}");
    assert_eq!(e.message, "the provider component exceeded its 16 MiB memory limit");
    assert!(h.emulator.requests().is_empty());
    assert_real_call_works(&h).await;
}

/// Accepts connections and never answers; counts them.
async fn black_hole() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(tcp);
        }
    });
    (addr, accepted)
}

#[tokio::test]
async fn a_server_that_never_answers_hits_the_total_deadline() {
    let h = Harness::start().await;
    let (addr, _) = black_hole().await;
    let settings =
        h.settings(json!({"baseUrl": format!("http://{addr}"), "timeouts": {"totalMs": 500}}));
    let started = Instant::now();
    let e = h.host.generate(&settings, chat("hi")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout, "{e:?}");
    assert_eq!(e.field.as_deref(), Some("timeouts.totalMs"));
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(500) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    assert_real_call_works(&h).await;
}

#[tokio::test]
async fn a_server_that_never_answers_hits_the_first_byte_deadline_on_every_attempt() {
    let h = Harness::start().await;
    let (addr, accepted) = black_hole().await;
    let settings = h.settings(json!({
        "baseUrl": format!("http://{addr}"),
        "maxAttempts": 2,
        "timeouts": {"firstByteMs": 200, "totalMs": 10_000},
    }));
    let started = Instant::now();
    let e = h.host.generate(&settings, chat("hi")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout, "{e:?}");
    assert_eq!(e.field.as_deref(), Some("timeouts.firstByteMs"));
    assert!(e.message.contains("2 attempts"), "{}", e.message);
    // The stuck connection is not reused: the retry opened a second one.
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert_real_call_works(&h).await;
}

#[tokio::test]
async fn a_stalled_stream_times_out_between_bytes_and_is_not_retried_after_its_first_part() {
    let h = Harness::start().await;
    let settings = h.settings(json!({
        "headers": {"x-emulator-frame-delay-ms": "1500"},
        "maxAttempts": 3,
        "timeouts": {"betweenBytesMs": 200},
    }));
    let stream = h.host.stream(&settings, chat("hi")).await.unwrap();
    let (parts, error) = drain(stream).await;
    let e = error.expect("the stalled stream ended cleanly");
    assert!(!parts.is_empty(), "no part before the stall");
    assert_eq!(e.kind, ErrorKind::Timeout, "{e:?}");
    assert_eq!(e.field.as_deref(), Some("timeouts.betweenBytesMs"));
    // Parts were already delivered: sending the request again would duplicate them.
    assert_eq!(h.emulator.requests().len(), 1);
    assert_real_call_works(&h).await;
}

#[tokio::test]
async fn a_response_over_the_body_cap_is_an_invalid_response() {
    let h = Harness::with(
        EmulatorConfig::default(),
        HostConfig { max_response_bytes: MIB as u64, ..Default::default() },
    )
    .await;
    let addr = big_body_server(4 * MIB, false).await;
    let settings = h.settings(json!({"baseUrl": format!("http://{addr}"), "maxAttempts": 1}));
    let e = h.host.generate(&settings, chat("hi")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidResponse, "{e:?}");
    assert!(e.message.contains("larger than the"), "{e:?}");
    assert_real_call_works(&h).await;
}

#[tokio::test]
async fn an_operator_can_refuse_tenant_base_urls() {
    let h = Harness::with(
        EmulatorConfig::default(),
        HostConfig { allow_base_urls: false, ..Default::default() },
    )
    .await;
    let e = h.host.generate(&h.settings(json!({})), chat("hi")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::DeniedByHost, "{e:?}");
    assert_eq!(e.field.as_deref(), Some("baseUrl"));
    assert!(e.solution.unwrap().contains("`baseUrl`"));
    assert!(h.emulator.requests().is_empty(), "a refused request reached the emulator");
}

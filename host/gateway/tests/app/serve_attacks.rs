//! `serve` and the CLI attacked as a hostile client would, on loopback: slow bodies over
//! HTTP/1.1 and h2c, silent and half-open connections under a low open-file limit, a client
//! that stops reading a stream, log injection, secrets in a base URL, a settings file that is a
//! FIFO or a device, and signals during all of it. Every test is bounded in seconds.
#![allow(clippy::unwrap_used)]

use crate::common::{cache_dir, temp_dir};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bedrock_emulator::{DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY, Emulator, EmulatorConfig};
use bedrock_gateway::serve::conn::ClientTimeouts;
use bedrock_gateway::serve::{self, ServeConfig, Server};
use bedrock_gateway::{Host, HostConfig};
use bytes::Bytes;
use hyper::body::Frame;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

// ---------- harness ----------

fn settings_for(emulator: &Emulator, extra: Value) -> Value {
    let mut base = json!({
        "region": "us-east-1",
        "accessKeyId": DEMO_ACCESS_KEY_ID,
        "secretAccessKey": DEMO_SECRET_ACCESS_KEY,
        "baseUrl": emulator.base_url(),
        "languageModel": "amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "maxAttempts": 1,
    });
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

fn chat(text: &str) -> Value {
    json!({"messages": [{"role": "user", "content": text}]})
}

/// One request on a fresh connection (`connection: close`): the status and the body.
async fn request(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(body.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tcp.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or(String::new(), |(_, b)| b.to_string());
    (status, body)
}

async fn post_chat(addr: SocketAddr, body: &Value) -> (u16, String) {
    request(addr, "POST", "/v1/chat/completions", &body.to_string()).await
}

/// Whether the gateway closed `tcp` within `within` (end of stream or a reset); whatever it
/// sent first is read and ignored.
async fn closed_within(tcp: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, tcp.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

/// An HTTP/1.1 head announcing a 1000-byte body, and 12 bytes of it.
const SLOW_BODY: &[u8] = b"POST /v1/chat/completions HTTP/1.1\r\nhost: gateway\r\n\
    content-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"messages\":";

/// The HTTP/2 connection preface followed by an empty SETTINGS frame.
const H2_PREFACE_AND_SETTINGS: &[u8] =
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";

/// A request body that sends one chunk and then nothing, ever.
struct Stalled(Option<Bytes>);

impl hyper::body::Body for Stalled {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.0.take() {
            Some(chunk) => Poll::Ready(Some(Ok(Frame::data(chunk)))),
            None => Poll::Pending,
        }
    }
}

/// `n` h2c (prior knowledge) streams on one connection, each announcing 1000 bytes of body
/// and sending 12; kept alive as long as the returned tasks run.
async fn h2c_slow_streams(addr: SocketAddr, n: usize) -> Vec<tokio::task::JoinHandle<()>> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut send, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    let mut tasks = vec![tokio::spawn(async move {
        let _ = connection.await;
    })];
    for _ in 0..n {
        send.ready().await.unwrap();
        let request = hyper::Request::post(format!("http://{addr}/v1/chat/completions"))
            .header("content-type", "application/json")
            .header("content-length", "1000")
            .body(Stalled(Some(Bytes::from_static(b"{\"messages\":"))))
            .unwrap();
        let response = send.send_request(request);
        tasks.push(tokio::spawn(async move {
            let _ = response.await;
        }));
    }
    tasks
}

/// The gateway binary, optionally under an open-file limit, with its stderr collected.
struct Binary {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl Binary {
    fn spawn(settings: &std::path::Path, extra: &[&str], nofile: Option<u32>) -> Binary {
        let exe = env!("CARGO_BIN_EXE_bedrock-gateway");
        let mut command = match nofile {
            Some(n) => {
                let mut c = Command::new("prlimit");
                c.arg(format!("--nofile={n}:{n}")).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        let mut child = command
            .args(["--settings", settings.to_str().unwrap()])
            .args(["--cache-dir", cache_dir().to_str().unwrap()])
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .env_remove("BEDROCK_GATEWAY_API_KEY")
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let lines = log.clone();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        let Some(addr) = line.trim().strip_prefix("bedrock-gateway listening on http://") else {
            let _ = child.kill();
            std::thread::sleep(Duration::from_millis(200));
            panic!("unexpected first line {line:?}; stderr: {:?}", log.lock().unwrap());
        };
        Binary { addr: addr.parse().unwrap(), child, log }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Waits up to `within` for a log line containing `needle`.
    fn wait_for_log(&self, needle: &str, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.log().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// The exit status, if the process exits within `within`.
    fn exit_within(&mut self, within: Duration) -> Option<i32> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status.code().unwrap_or(-1));
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An emulator and a settings file for it.
async fn emulator_and_settings(name: &str, extra: Value) -> (Emulator, std::path::PathBuf) {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let path = temp_dir(name).join("settings.json");
    std::fs::write(&path, settings_for(&emulator, extra).to_string()).unwrap();
    (emulator, path)
}

/// An emulator and an in-process gateway in front of it.
struct InProcess {
    _emulator: Emulator,
    server: Option<Server>,
    stop: Option<oneshot::Sender<()>>,
    addr: SocketAddr,
}

impl InProcess {
    async fn start(extra: Value, config: ServeConfig, host: HostConfig) -> InProcess {
        let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
        let config = ServeConfig { listen: "127.0.0.1:0".parse().unwrap(), ..config };
        let host = HostConfig { cache_dir: Some(cache_dir()), max_concurrent_calls: 50, ..host };
        let host = Host::load(bedrock_gateway::bundled_component(), host).unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let settings = settings_for(&emulator, extra);
        let server = serve::start(config, host, settings, async move {
            let _ = stopped.await;
        })
        .await
        .unwrap();
        let addr = server.addr();
        InProcess { _emulator: emulator, server: Some(server), stop: Some(stop), addr }
    }

    async fn metrics(&self) -> String {
        request(self.addr, "GET", "/metrics", "").await.1
    }

    async fn shutdown(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(20), self.server.take().unwrap().wait())
            .await
            .unwrap();
    }
}

// ---------- admission: slow bodies, silent connections, the connection cap ----------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_bodies_and_idle_connections_leave_room_for_a_normal_client() {
    let (_emulator, path) = emulator_and_settings("attack", json!({})).await;
    let gateway = Binary::spawn(&path, &["--max-concurrency", "4"], Some(300));
    let addr = gateway.addr;
    assert_eq!(post_chat(addr, &chat("before")).await.0, 200);

    // 20 HTTP/1.1 clients and 20 h2c streams that never finish their bodies...
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        tcp.write_all(SLOW_BODY).await.unwrap();
        slow.push(tcp);
    }
    let mut streams = h2c_slow_streams(addr, 10).await;
    streams.extend(h2c_slow_streams(addr, 10).await);
    // ...and 320 silent connections (nothing, half a preface, a preface and SETTINGS), each
    // reopened as soon as the gateway closes it: more than the 300 descriptors it has.
    let stop = Arc::new(AtomicBool::new(false));
    let reopened = Arc::new(AtomicUsize::new(0));
    let mut idle = Vec::new();
    for i in 0..320 {
        let (stop, reopened) = (stop.clone(), reopened.clone());
        idle.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let Ok(mut tcp) = TcpStream::connect(addr).await else {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                let prefix: &[u8] = match i % 3 {
                    0 => b"",
                    1 => b"PRI * HTTP/2.0\r\n",
                    _ => H2_PREFACE_AND_SETTINGS,
                };
                let _ = tcp.write_all(prefix).await;
                let mut buf = [0u8; 1024];
                loop {
                    tokio::select! {
                        read = tcp.read(&mut buf) => match read {
                            Ok(0) | Err(_) => break,
                            Ok(_) => {}
                        },
                        () = tokio::time::sleep(Duration::from_millis(100)) => {
                            if stop.load(Ordering::SeqCst) { return; }
                        }
                    }
                }
                reopened.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Throughout the attack, a normal client is answered, each time within a second.
    let mut worst = Duration::ZERO;
    let mut times = Vec::new();
    for i in 0..20 {
        let started = Instant::now();
        let (status, body) = post_chat(addr, &chat(&format!("normal {i}"))).await;
        let took = started.elapsed();
        assert_eq!(status, 200, "{body}");
        assert!(took < Duration::from_secs(1), "request {i} took {took:?}");
        worst = worst.max(took);
        times.push(took);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    times.sort();
    eprintln!(
        "under attack: median {:?}, worst {worst:?}; {} silent connections closed and reopened",
        times[times.len() / 2],
        reopened.load(Ordering::SeqCst)
    );
    stop.store(true, Ordering::SeqCst);
    for task in idle {
        let _ = task.await;
    }
    for task in streams {
        task.abort();
    }
    drop(slow);
    let log = gateway.log();
    assert!(log.contains("connection limit reached"), "{log}");
    // The cap is logged once per period, never per connection.
    let noisy = log.lines().filter(|l| l.contains("connection limit reached")).count();
    let failed_accepts = log.lines().filter(|l| l.contains("cannot accept")).count();
    assert!(noisy <= 2 && failed_accepts <= 2, "{noisy} cap lines, {failed_accepts} accept errors");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_connection_state_has_a_deadline() {
    let timeouts = ClientTimeouts {
        head: Duration::from_millis(300),
        idle: Duration::from_millis(500),
        body: Duration::from_millis(400),
        ..ClientTimeouts::default()
    };
    let config = ServeConfig { max_concurrency: 1, timeouts, ..ServeConfig::default() };
    let g = InProcess::start(json!({}), config, HostConfig::default()).await;
    let slack = Duration::from_millis(1500);
    // Silent, half a preface, a preface and SETTINGS: closed at the head deadline.
    for prefix in [&b""[..], b"PRI * HTTP/2.0\r\n", H2_PREFACE_AND_SETTINGS, b"POST /v1/chat"] {
        let mut tcp = TcpStream::connect(g.addr).await.unwrap();
        tcp.write_all(prefix).await.unwrap();
        let started = Instant::now();
        assert!(closed_within(&mut tcp, slack).await, "{prefix:?} stayed open");
        assert!(started.elapsed() >= Duration::from_millis(250), "{prefix:?} closed early");
    }
    // Keep-alive: open after a request until the idle deadline.
    let mut tcp = TcpStream::connect(g.addr).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nhost: g\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 1024];
    assert!(tcp.read(&mut buf).await.unwrap() > 0);
    assert!(closed_within(&mut tcp, slack).await, "an idle keep-alive connection stayed open");

    // A body that stops arriving: 408 at the body deadline, and no model-call slot held
    // meanwhile (one slot only, yet the normal request is answered).
    let mut slow = TcpStream::connect(g.addr).await.unwrap();
    slow.write_all(SLOW_BODY).await.unwrap();
    let (status, body) = post_chat(g.addr, &chat("meanwhile")).await;
    assert_eq!(status, 200, "{body}");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(slack, slow.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request-timeout"), "{answer}");

    let metrics = g.metrics().await;
    for line in [
        r#"bedrock_gateway_connections_closed_total{reason="head-timeout"} 4"#,
        r#"bedrock_gateway_connections_closed_total{reason="idle-timeout"} 1"#,
        r#"bedrock_gateway_requests_total{route="/v1/chat/completions",status="408",error="request-timeout"} 1"#,
    ] {
        assert!(metrics.lines().any(|l| l == line), "missing {line} in\n{metrics}");
    }
    g.shutdown().await;
}

// ---------- streams ----------

/// A streamed chat whose answer is a tool call with a 40 KB argument (5000 list items):
/// about 9000 SSE events (some 2 MB), far more than a 64 KB HTTP/2 window and the gateway's
/// queue hold.
fn long_streamed_answer() -> Value {
    json!({
        "messages": [{"role": "user", "content": "call the tool"}],
        "stream": true,
        "tools": [{"type": "function", "function": {"name": "store", "parameters": {
            "type": "object",
            "properties": {"list": {"type": "array", "items": {"type": "string"}, "minItems": 5000}},
            "required": ["list"],
        }}}],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_stream_reader_frees_its_slot_within_the_request_timeout() {
    let timeout = Duration::from_secs(2);
    let config = ServeConfig { max_concurrency: 1, ..ServeConfig::default() };
    let host = HostConfig { call_timeout: timeout, ..HostConfig::default() };
    let g = InProcess::start(json!({}), config, host).await;
    // An h2c client that never reads its answer: with a 64 KB window (never updated), the
    // gateway can send that much and no more, so the stream's task soon waits on its client.
    let tcp = TcpStream::connect(g.addr).await.unwrap();
    let (mut send, connection) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
        .initial_stream_window_size(65_535)
        .initial_connection_window_size(65_535)
        .handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    let connection = tokio::spawn(connection);
    let request = hyper::Request::post(format!("http://{}/v1/chat/completions", g.addr))
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(Bytes::from(long_streamed_answer().to_string())))
        .unwrap();
    let started = Instant::now();
    let unread = send.send_request(request).await.unwrap();
    assert_eq!(unread.status(), 200);
    // The stream holds the only slot...
    assert_eq!(post_chat(g.addr, &chat("busy?")).await.0, 503);
    // ...until its deadline, even though its client stopped reading.
    let freed = loop {
        if post_chat(g.addr, &chat("my turn")).await.0 == 200 {
            break started.elapsed();
        }
        assert!(started.elapsed() < timeout * 3, "the slot was not freed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!(
        "stalled reader: slot freed {freed:?} after the stream started (timeout {timeout:?})"
    );
    assert!(freed < timeout + Duration::from_secs(1), "freed after {freed:?}");
    // It gave up on the client (not on the upstream), and closed the connection: what the
    // client had not read is not passed off as a whole answer.
    let metrics = g.metrics().await;
    assert!(metrics.contains(r#"status="200",error="client-stalled"} 1"#), "{metrics}");
    assert!(metrics.contains(r#"connections_closed_total{reason="aborted"} 1"#), "{metrics}");
    let closed = tokio::time::timeout(Duration::from_secs(2), connection).await;
    assert!(closed.is_ok(), "the connection stayed open");
    drop(unread);
    g.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_hangs_up_before_its_answer_is_logged_once_as_499() {
    let g = InProcess::start(
        json!({"headers": {"x-emulator-latency-ms": "1500"}}),
        ServeConfig::default(),
        HostConfig::default(),
    )
    .await;
    let mut tcp = TcpStream::connect(g.addr).await.unwrap();
    let body = chat("I will not wait").to_string();
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: g\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(tcp);
    let deadline = Instant::now() + Duration::from_secs(3);
    let line = r#"bedrock_gateway_requests_total{route="/v1/chat/completions",status="499",error="client-disconnected"} 1"#;
    let metrics = loop {
        let metrics = g.metrics().await;
        if metrics.contains(line) || Instant::now() > deadline {
            break metrics;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(metrics.lines().any(|l| l == line), "{metrics}");
    // Counted once, and no longer in flight (the /metrics request itself is).
    assert!(metrics.lines().any(|l| l == "bedrock_gateway_requests_in_flight 1"), "{metrics}");
    g.shutdown().await;
}

// ---------- bodies ----------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_under_the_limit_is_never_a_500() {
    use base64::Engine as _;
    let g = InProcess::start(json!({}), ServeConfig::default(), HostConfig::default()).await;
    let png = |bytes: usize| {
        let mut image = vec![0u8; bytes];
        image[..8].copy_from_slice(&[0x89, b'P', b'N', b'G', 13, 10, 26, 10]);
        base64::engine::general_purpose::STANDARD.encode(image)
    };
    let with_image = |bytes: usize| {
        json!({"messages": [{"role": "user", "content": [
            {"type": "text", "text": "What is this?"},
            {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{}", png(bytes))}},
        ]}]})
    };
    let many_messages = |n: usize| {
        let turns: Vec<Value> = (0..n)
            .map(|i| json!({"role": if i % 2 == 0 { "user" } else { "assistant" }, "content": "x"}))
            .collect();
        json!({"messages": turns})
    };
    // Text, an image and many turns, between half the body limit and the limit.
    for (what, body) in [
        ("9 MiB of text", chat(&"x".repeat(9 << 20))),
        ("a 7 MiB image", with_image(7 << 20)),
        // Turns cost the sandbox far more than their bytes: this one does not fit.
        ("200 000 short messages", many_messages(200_000)),
    ] {
        let (status, answer) = post_chat(g.addr, &body).await;
        eprintln!("{what} ({} bytes): {status}", body.to_string().len());
        assert!(status == 200 || status == 413, "{what}: {status} {answer}");
        if status == 413 {
            assert!(answer.contains("request-too-large") && answer.contains("memory"), "{answer}");
        }
    }
    g.shutdown().await;
}

// ---------- the log ----------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_log_lines_cannot_be_forged() {
    let (_emulator, path) = emulator_and_settings("inject", json!({})).await;
    let gateway = Binary::spawn(&path, &[], None);
    let forged = "x\nrequest_id=FAKE method=POST route=/v1/chat/completions model=y status=200 \
                  error=none latency_ms=1";
    for model in [
        forged.to_string(),
        "a\rrequest_id=FAKE\r".to_string(),
        "\u{1b}[31mred\u{1b}[0m\u{1b}]0;title\u{7}".to_string(),
        "m".repeat(1_000_000),
    ] {
        let body = json!({"model": model, "messages": [{"role": "user", "content": "hi"}]});
        let (status, _) = post_chat(gateway.addr, &body).await;
        assert!((400..500).contains(&status), "{status}");
    }
    assert!(
        gateway.wait_for_log("m...(1000000 bytes)", Duration::from_secs(5)),
        "{}",
        gateway.log()
    );
    let log = gateway.log();
    assert!(!log.contains("request_id=FAKE"), "a field was forged:\n{log}");
    assert!(!log.contains('\u{1b}') && !log.contains('\r') && !log.contains('\u{7}'), "{log:?}");
    let access: Vec<&str> = log.lines().filter(|l| l.contains("request_id=")).collect();
    assert_eq!(access.len(), 4, "{log}");
    for line in &access {
        assert!(line.len() < 2000, "a {}-byte line", line.len());
    }
}

// ---------- secrets ----------

/// Fails if `text` holds any 3-byte run of `secret`.
fn assert_no_part_of(secret: &str, what: &str, text: &str) {
    for window in secret.as_bytes().windows(3) {
        let window = std::str::from_utf8(window).unwrap();
        assert!(!text.contains(window), "{what} shows `{window}` of the secret:\n{text}");
    }
}

/// Runs a CLI command with a settings file; (exit status, stdout + stderr).
fn cli(settings: &std::path::Path, args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_bedrock-gateway"))
        .args(["--settings", settings.to_str().unwrap()])
        .args(["--cache-dir", cache_dir().to_str().unwrap()])
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_byte_of_a_userinfo_password_reaches_any_output() {
    const PASSWORD: &str = "Xq7/Zk9Vw";
    let (emulator, good) = emulator_and_settings("userinfo", json!({})).await;
    let bad = temp_dir("userinfo").join("bad.json");
    let leaky = settings_for(
        &emulator,
        json!({"baseUrl": format!("https://user:{PASSWORD}@bedrock.example")}),
    );
    std::fs::write(&bad, leaky.to_string()).unwrap();

    for args in [&["check"][..], &["check", "--json"], &["-v", "check"]] {
        let (code, text) = cli(&bad, args);
        assert_eq!(code, 2, "{args:?}: {text}");
        assert_no_part_of(PASSWORD, &format!("{args:?}"), &text);
    }
    // Start-up refuses the settings without quoting them.
    let output = Command::new(env!("CARGO_BIN_EXE_bedrock-gateway"))
        .args(["--settings", bad.to_str().unwrap(), "--cache-dir", cache_dir().to_str().unwrap()])
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert_no_part_of(PASSWORD, "serve start-up", &text);

    // A reload to those settings is rejected and logged without them.
    let gateway = Binary::spawn(&good, &[], None);
    std::fs::write(&good, leaky.to_string()).unwrap();
    gateway.signal("HUP");
    assert!(gateway.wait_for_log("settings reload rejected", Duration::from_secs(10)));
    assert_no_part_of(PASSWORD, "the reload warning", &gateway.log());

    // A proxy credential as a custom header is refused when the settings are read.
    let proxy = temp_dir("userinfo").join("proxy.json");
    let secret = "UHJveHlTZWNyZXQ6aHVudGVyMg";
    let headers = json!({"headers": {"Proxy-Authorization": format!("Basic {secret}")}});
    std::fs::write(&proxy, settings_for(&emulator, headers).to_string()).unwrap();
    let (code, text) = cli(&proxy, &["check"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("headers"), "{text}");
    assert_no_part_of(secret, "the proxy header refusal", &text);
}

// ---------- the settings file ----------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_settings_file_is_invalid_settings() {
    let path = temp_dir("huge-settings").join("settings.json");
    // Sparse: 100 MB long without using the disk.
    std::fs::File::create(&path).unwrap().set_len(100_000_000).unwrap();
    let started = Instant::now();
    let (code, text) = cli(&path, &["check"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("100000000 bytes"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_from_a_fifo_or_a_device_is_refused_and_signals_still_work() {
    let (_emulator, path) = emulator_and_settings("fifo", json!({})).await;
    let mut gateway = Binary::spawn(&path, &[], None);
    // The settings file becomes a FIFO nobody writes to: a blocking read would hang for good.
    std::fs::remove_file(&path).unwrap();
    let made = Command::new("mkfifo").arg(&path).status().unwrap();
    assert!(made.success());
    gateway.signal("HUP");
    assert!(gateway.wait_for_log("FIFO", Duration::from_secs(5)), "{}", gateway.log());
    assert!(gateway.log().contains("settings reload rejected"));
    assert_eq!(post_chat(gateway.addr, &chat("still here")).await.0, 200);
    // A device that never ends.
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
    gateway.signal("HUP");
    let deadline = Instant::now() + Duration::from_secs(5);
    while gateway.log().matches("settings reload rejected").count() < 2 {
        assert!(Instant::now() < deadline, "{}", gateway.log());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(post_chat(gateway.addr, &chat("still here")).await.0, 200);
    // SIGTERM is heard at once.
    gateway.signal("TERM");
    assert_eq!(gateway.exit_within(Duration::from_secs(5)), Some(0), "{}", gateway.log());
}

// ---------- signals ----------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_does_not_wait_for_half_sent_bodies_and_a_second_signal_forces_it() {
    let (_emulator, path) =
        emulator_and_settings("signals", json!({"headers": {"x-emulator-frame-delay-ms": "300"}}))
            .await;
    // A half-sent body does not hold the drain (it would have, for the call timeout + 10 s).
    let mut gateway = Binary::spawn(&path, &[], None);
    let mut slow = TcpStream::connect(gateway.addr).await.unwrap();
    slow.write_all(SLOW_BODY).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    gateway.signal("TERM");
    assert_eq!(gateway.exit_within(Duration::from_secs(5)), Some(0), "{}", gateway.log());
    eprintln!("SIGTERM with a half-sent body: exited after {:?}", started.elapsed());
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), slow.read_to_end(&mut answer)).await;
    assert!(String::from_utf8_lossy(&answer).contains("shutting-down"), "{answer:?}");

    // A stream in flight is drained after one SIGTERM; a second ends the wait.
    let mut gateway = Binary::spawn(&path, &[], None);
    let mut stream = TcpStream::connect(gateway.addr).await.unwrap();
    let body =
        json!({"messages": [{"role": "user", "content": "a long answer please"}], "stream": true})
            .to_string();
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: g\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = [0u8; 4096];
    assert!(stream.read(&mut buf).await.unwrap() > 0);
    gateway.signal("TERM");
    assert_eq!(gateway.exit_within(Duration::from_millis(800)), None, "did not drain");
    let started = Instant::now();
    gateway.signal("TERM");
    assert_eq!(gateway.exit_within(Duration::from_secs(3)), Some(1), "{}", gateway.log());
    assert!(gateway.log().contains("second signal"), "{}", gateway.log());
    eprintln!("second SIGTERM: exited after {:?}", started.elapsed());
}

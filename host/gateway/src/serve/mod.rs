//! `bedrock-gateway serve`: OpenAI- and Anthropic-compatible HTTP fronts over the provider
//! component.
//!
//! Endpoints: OpenAI's `POST /v1/chat/completions` (plain and SSE streaming), `POST
//! /v1/embeddings`, `POST /v1/rerank` (Cohere/Jina shape); Anthropic's `POST /v1/messages`
//! (plain and SSE streaming) and `POST /v1/messages/count_tokens`; `GET /v1/models` and `GET
//! /v1/models/{id}` (in Anthropic's shape for clients that send `anthropic-version`); `GET
//! /healthz`, `GET /readyz`, `GET /metrics`.
//! Every model call runs in a fresh component instance ([`Host`]); the server bounds how many
//! run at once (503 beyond), how large a request body may be (413) and how long it may take
//! to arrive (408), how long a call may take (the host's call timeout), and how many
//! connections are open and how long each may stay in any state ([`conn`]).
//! [`Server::apply_settings`] swaps the provider settings without touching requests in
//! flight, and the shutdown future stops accepting and drains.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use bedrock_gateway::serve::{self, ServeConfig};
//! use bedrock_gateway::{Host, HostConfig, bundled_component};
//! let host = Host::load(bundled_component(), HostConfig::default())?;
//! let settings = serde_json::json!({"region": "us-east-1", "apiKey": "...",
//!     "languageModel": "amazon-bedrock|amazon.nova-lite-v1:0"});
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let server = serve::start(ServeConfig::default(), host, settings, async move {
//!     let _ = stopped.await;
//! })
//! .await?;
//! println!("listening on http://{}", server.addr());
//! # let _ = stop.send(());
//! server.wait().await;
//! # Ok(()) }
//! ```

pub mod access;
pub mod anthropic;
pub mod auth;
pub mod catalog;
pub mod conn;
pub mod cors;
pub mod error;
pub mod limits;
pub mod metrics;
pub mod openai;
pub mod params;
pub mod sse;

mod routes;

use std::borrow::Cow;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::Host;
use crate::credentials::Prepared;
use crate::types::{ProviderError, error_kind_name};
use auth::ClientKeys;
use conn::{ClientTimeouts, Connections, RequestGuard, Throttle};
use limits::{BodyBudget, BodyLimits, Limiter, ReceivedBody};
use metrics::Metrics;

/// The default listen address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The default bound on model calls in progress.
pub const DEFAULT_MAX_CONCURRENCY: usize = 64;
/// Default `--reuse-instances`: calls one instance may serve for the same settings (see
/// ARCHITECTURE.md, "Instance reuse", for why reuse is on by default in `serve`).
pub const DEFAULT_REUSE_CALLS: u32 = 1000;
/// Default `--reuse-idle-timeout`, in seconds.
pub const DEFAULT_REUSE_IDLE_SECS: u64 = 30;
/// The default request-body limit: room for a few images as data URLs.
pub const DEFAULT_MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// How long an HTTP/1.1 request head may take once it started (hyper's own bound; the
/// connection's head and idle deadlines in [`conn`] cover the time before it starts).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// HTTP/2 streams a connection may have open at once. Each waits on its own body deadline,
/// and bodies share one memory budget, so this only bounds bookkeeping.
const MAX_STREAMS_PER_CONNECTION: u32 = 100;
/// How often a noisy condition (the connection cap, accept errors) may be logged.
const NOISY_LOG_PERIOD: Duration = Duration::from_secs(10);

/// How the gateway listens and what it admits.
#[derive(Clone)]
pub struct ServeConfig {
    /// Where to listen; port 0 picks a free port (see [`Server::addr`]).
    pub listen: SocketAddr,
    /// Client keys (`Authorization: Bearer <key>`); empty means no authentication, which is
    /// only allowed on loopback addresses.
    pub api_keys: Vec<String>,
    /// Model calls (chat, messages, embeddings, re-rank, token counts) in progress at once;
    /// more are refused with 503.
    pub max_concurrency: usize,
    /// The largest request body accepted; larger ones are refused with 413.
    pub max_body_bytes: usize,
    /// The request-body memory all requests may hold at once while their bodies arrive
    /// (503 `overloaded` beyond); `None`: [`limits::default_body_budget`].
    pub max_buffered_body_bytes: Option<usize>,
    /// Open client connections; `None`: [`conn::DEFAULT_MAX_CONNECTIONS`]. Either way lowered
    /// to fit the open-file limit ([`conn::connection_cap`]).
    pub max_connections: Option<usize>,
    /// How long clients may take at each step.
    pub timeouts: ClientTimeouts,
    /// Browser origins allowed by CORS (`https://app.example.com`, or `*`); empty means
    /// CORS is off. Check values with [`cors::parse_origin`].
    pub cors_origins: Vec<String>,
    /// Threads that accept and serve connections, each with its own listener on the same
    /// address (`SO_REUSEPORT`, the kernel spreads connections over them) and its own
    /// single-threaded runtime, so a request runs start to end on one thread. 1 (the default)
    /// accepts on the caller's runtime instead.
    pub threads: usize,
}

impl std::fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeConfig")
            .field("listen", &self.listen)
            .field("api_keys", &format_args!("<{} redacted>", self.api_keys.len()))
            .field("max_concurrency", &self.max_concurrency)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_buffered_body_bytes", &self.max_buffered_body_bytes)
            .field("max_connections", &self.max_connections)
            .field("timeouts", &self.timeouts)
            .field("cors_origins", &self.cors_origins)
            .field("threads", &self.threads)
            .finish()
    }
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            api_keys: Vec::new(),
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_buffered_body_bytes: None,
            max_connections: None,
            timeouts: ClientTimeouts::default(),
            cors_origins: Vec::new(),
            threads: 1,
        }
    }
}

/// Why the gateway did not start.
#[derive(Debug)]
pub enum StartError {
    /// A non-loopback address without a client key; the text says why that is refused.
    Unprotected(String),
    /// The provider settings do not validate.
    InvalidSettings(ProviderError),
    /// The address could not be bound.
    Bind(SocketAddr, std::io::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Unprotected(why) => f.write_str(why),
            StartError::InvalidSettings(e) => write!(
                f,
                "the provider settings are invalid ({}): {}{}",
                error_kind_name(e.kind),
                e.message,
                e.solution.as_deref().map(|s| format!(" {s}")).unwrap_or_default()
            ),
            StartError::Bind(addr, e) => write!(f, "cannot listen on {addr}: {e}"),
        }
    }
}

impl std::error::Error for StartError {}

/// The provider settings in force, shared by the requests that started under them.
#[derive(Debug)]
pub(crate) struct Settings {
    value: Value,
    /// The settings as JSON, and each call's keys when they name a credential source.
    prepared: Prepared,
}

impl Settings {
    /// The settings JSON for a call starting now: as loaded with static keys, else with
    /// the source's current keys in place of `credentials` (refreshed before they expire, so a
    /// rotation needs no reload).
    pub(crate) async fn for_call(&self) -> Result<Cow<'_, str>, ProviderError> {
        self.prepared.call_json().await
    }
}

/// What every request handler sees.
pub(crate) struct Shared {
    host: Host,
    settings: RwLock<Arc<Settings>>,
    keys: ClientKeys,
    limiter: Limiter,
    body_limits: BodyLimits,
    body_budget: BodyBudget,
    metrics: Metrics,
    draining: AtomicBool,
    /// Woken when draining starts, so requests still receiving their body stop waiting.
    drain: Notify,
    ids: RequestIds,
    front: routes::FrontConfig,
}

impl Shared {
    /// A request body, within the size limit, the body deadline and the shared body budget;
    /// the wait ends early when the gateway starts draining.
    async fn receive_body(
        &self,
        headers: &http::HeaderMap,
        body: Incoming,
    ) -> Result<ReceivedBody, error::ApiError> {
        limits::receive_body(headers, body, self.body_limits, &self.body_budget, self.drained())
            .await
    }

    /// Resolves once the gateway is draining.
    async fn drained(&self) {
        let notified = self.drain.notified();
        tokio::pin!(notified);
        // Registered before looking at the flag, so a drain that starts in between is seen.
        notified.as_mut().enable();
        if !self.draining.load(Ordering::SeqCst) {
            notified.await;
        }
    }

    /// The settings for a request starting now; later reloads do not change them.
    fn settings(&self) -> Arc<Settings> {
        match self.settings.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn replace_settings(&self, new: Settings) {
        let new = Arc::new(new);
        match self.settings.write() {
            Ok(mut s) => *s = new,
            Err(poisoned) => *poisoned.into_inner() = new,
        }
    }
}

/// Request IDs unique across restarts: a per-process prefix and a counter.
struct RequestIds {
    prefix: String,
    next: AtomicU64,
}

impl RequestIds {
    fn new() -> RequestIds {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let seed = format!("{}:{nanos}", std::process::id());
        let prefix = hex::encode(&Sha256::digest(seed.as_bytes())[..6]);
        RequestIds { prefix, next: AtomicU64::new(1) }
    }

    fn next(&self) -> String {
        format!("{}{:010x}", self.prefix, self.next.fetch_add(1, Ordering::Relaxed))
    }
}

/// A running gateway.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish_non_exhaustive()
    }
}

/// Starts the gateway on the current tokio runtime (which must be the one `host` makes its
/// calls on: its pooled HTTP client spawns connection tasks there).
///
/// Refuses a non-loopback `listen` without client keys, and settings that do not validate.
/// `settings` is a `serde_json::Value` with static credentials, or what
/// [`crate::credentials::prepare`] made of settings that name a credential source.
/// When `shutdown` completes the server stops accepting, lets requests in flight (streams
/// included) finish, and [`Server::wait`] returns.
pub async fn start(
    config: ServeConfig,
    host: Host,
    settings: impl Into<Prepared>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Server, StartError> {
    let keys = ClientKeys::new(&config.api_keys);
    auth::check_exposure(config.listen, &keys).map_err(StartError::Unprotected)?;
    let settings = validated(&host, settings.into()).await.map_err(StartError::InvalidSettings)?;
    let threads = config.threads.max(1);
    let listeners =
        bind_listeners(config.listen, threads).map_err(|e| StartError::Bind(config.listen, e))?;
    let addr = listeners
        .first()
        .map(|l| l.local_addr())
        .transpose()
        .map_err(|e| StartError::Bind(config.listen, e))?
        .unwrap_or(config.listen);
    let call_timeout = host.config().call_timeout;
    let drain_timeout = call_timeout + Duration::from_secs(10);
    let timeouts = config.timeouts;
    let nofile = conn::open_file_limit();
    let cap = conn::connection_cap(config.max_connections, nofile, config.max_concurrency);
    if config.max_connections.is_some_and(|wanted| wanted > cap) {
        tracing::warn!(
            wanted = config.max_connections,
            cap,
            open_file_limit = nofile,
            "the connection limit is lowered to fit the open-file limit"
        );
    }
    let budget = config
        .max_buffered_body_bytes
        .unwrap_or_else(|| limits::default_body_budget(config.max_body_bytes));
    let shared = Arc::new(Shared {
        host,
        settings: RwLock::new(Arc::new(settings)),
        keys,
        limiter: Limiter::new(config.max_concurrency),
        body_limits: BodyLimits { max_bytes: config.max_body_bytes, timeout: timeouts.body },
        body_budget: BodyBudget::new(budget),
        metrics: Metrics::default(),
        draining: AtomicBool::new(false),
        drain: Notify::new(),
        ids: RequestIds::new(),
        front: routes::FrontConfig::new(&config),
    });
    let supervisor = Supervisor {
        connections: Arc::new(Connections::new(cap)),
        timeouts,
        // A request is done within its body deadline plus the call timeout; its response then
        // has the write allowance to reach the client.
        request_limit: timeouts.body + call_timeout + timeouts.write,
    };
    let task = if threads == 1 {
        let listener = listeners
            .into_iter()
            .next()
            .map(TcpListener::from_std)
            .transpose()
            .map_err(|e| StartError::Bind(config.listen, e))?
            .ok_or_else(|| StartError::Bind(config.listen, std::io::ErrorKind::NotFound.into()))?;
        tokio::spawn(accept_loop(listener, shared.clone(), supervisor, shutdown, drain_timeout))
    } else {
        spawn_threads(listeners, &shared, &supervisor, shutdown, drain_timeout)
            .map_err(|e| StartError::Bind(config.listen, e))?
    };
    tracing::info!(
        %addr,
        max_concurrency = config.max_concurrency,
        max_connections = cap,
        "gateway listening"
    );
    Ok(Server { addr, shared, task })
}

impl Server {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The host serving the calls.
    pub fn host(&self) -> &Host {
        &self.shared.host
    }

    /// Switches to newly loaded settings if they validate, for requests that start from now
    /// on; requests in flight keep the settings they started with. A load failure or invalid
    /// settings keep the current ones; either way the outcome is logged and counted.
    pub async fn apply_settings(
        &self,
        loaded: Result<impl Into<Prepared>, ProviderError>,
    ) -> Result<(), ProviderError> {
        self.reloader().apply(loaded).await
    }

    /// A handle that applies settings to this server, for a reload that runs beside the
    /// signal loop rather than inside it.
    pub fn reloader(&self) -> Reloader {
        Reloader { shared: self.shared.clone() }
    }

    /// Waits until the server has shut down and drained.
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

/// Applies reloaded settings to a running [`Server`] (see [`Server::apply_settings`]).
#[derive(Clone)]
pub struct Reloader {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Reloader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reloader").finish_non_exhaustive()
    }
}

impl Reloader {
    /// See [`Server::apply_settings`].
    pub async fn apply(
        &self,
        loaded: Result<impl Into<Prepared>, ProviderError>,
    ) -> Result<(), ProviderError> {
        let outcome = match loaded {
            Ok(settings) => validated(&self.shared.host, settings.into()).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(settings) => {
                self.shared.replace_settings(settings);
                // Instances kept for the old settings can no longer be taken (their key is the
                // old bytes); dropping them now takes the old secrets out of memory at once.
                self.shared.host.drop_idle_instances();
                self.shared.metrics.reload(true);
                tracing::info!("settings reloaded; new requests use them");
                Ok(())
            }
            Err(e) => {
                self.shared.metrics.reload(false);
                tracing::warn!(
                    kind = error_kind_name(e.kind),
                    field = e.field.as_deref().unwrap_or("-"),
                    "settings reload rejected, keeping the current settings: {}{}",
                    e.message,
                    e.solution.as_deref().map(|s| format!(" {s}")).unwrap_or_default()
                );
                Err(e)
            }
        }
    }
}

async fn validated(host: &Host, prepared: Prepared) -> Result<Settings, ProviderError> {
    host.validate_settings(prepared.raw_json()).await?;
    Ok(Settings { value: prepared.value().clone(), prepared })
}

/// `threads` non-blocking listeners on `listen`; with more than one, each has `SO_REUSEPORT`
/// and the later ones bind the port the first one got (so port 0 works).
fn bind_listeners(
    listen: SocketAddr,
    threads: usize,
) -> std::io::Result<Vec<std::net::TcpListener>> {
    use rustix::net::{AddressFamily, SocketType, sockopt};
    let mut addr = listen;
    let mut listeners = Vec::with_capacity(threads);
    for _ in 0..threads {
        let family = if addr.is_ipv4() { AddressFamily::INET } else { AddressFamily::INET6 };
        let socket = rustix::net::socket(family, SocketType::STREAM, None)?;
        sockopt::set_socket_reuseaddr(&socket, true)?;
        if threads > 1 {
            sockopt::set_socket_reuseport(&socket, true)?;
        }
        rustix::net::bind(&socket, &addr)?;
        rustix::net::listen(&socket, 1024)?;
        let listener = std::net::TcpListener::from(socket);
        listener.set_nonblocking(true)?;
        addr = listener.local_addr()?;
        listeners.push(listener);
    }
    Ok(listeners)
}

/// Runs one accept loop per listener, each on its own thread with a single-threaded runtime;
/// `shutdown` stops them all. The returned task ends when every thread has drained.
fn spawn_threads(
    listeners: Vec<std::net::TcpListener>,
    shared: &Arc<Shared>,
    supervisor: &Supervisor,
    shutdown: impl Future<Output = ()> + Send + 'static,
    drain_timeout: Duration,
) -> std::io::Result<JoinHandle<()>> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut done = Vec::with_capacity(listeners.len());
    for (i, listener) in listeners.into_iter().enumerate() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (shared, supervisor) = (shared.clone(), supervisor.clone());
        let mut stopped = stopped.clone();
        let (finished, on_finish) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new().name(format!("serve-{i}")).spawn(move || {
            runtime.block_on(async move {
                match TcpListener::from_std(listener) {
                    Ok(listener) => {
                        let shutdown = async move {
                            let _ = stopped.wait_for(|stop| *stop).await;
                        };
                        accept_loop(listener, shared, supervisor, shutdown, drain_timeout).await;
                    }
                    Err(e) => tracing::error!(error = %e, "cannot serve on a listener"),
                }
            });
            // Whatever still runs on this thread (a connection past the drain) must not hold it.
            runtime.shutdown_timeout(Duration::from_millis(500));
            let _ = finished.send(());
        })?;
        done.push(on_finish);
    }
    Ok(tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
        for finished in done {
            let _ = finished.await;
        }
    }))
}

/// What the accept loop needs to supervise connections.
#[derive(Clone)]
struct Supervisor {
    connections: Arc<Connections>,
    timeouts: ClientTimeouts,
    /// How long a request may take, response written, before its connection is closed.
    request_limit: Duration,
}

/// A response body that keeps its request counted as in progress on its connection until
/// hyper is done with it (written, or the connection gone).
struct Tracked {
    inner: routes::ResponseBody,
    _request: RequestGuard,
}

impl Body for Tracked {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    supervisor: Supervisor,
    shutdown: impl Future<Output = ()>,
    drain_timeout: Duration,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT);
    builder.http2().timer(TokioTimer::new()).max_concurrent_streams(MAX_STREAMS_PER_CONNECTION);
    let graceful = GracefulShutdown::new();
    let connections = supervisor.connections.clone();
    let mut at_cap = Throttle::new(NOISY_LOG_PERIOD);
    let mut accept_failed = Throttle::new(NOISY_LOG_PERIOD);
    tokio::pin!(shutdown);
    'accept: loop {
        // At the cap, make room first: close the connection idle the longest (never one with a
        // request in progress) and wait for it to go, so descriptors never run out.
        while connections.len() >= connections.cap() {
            let closed = connections.closed();
            tokio::pin!(closed);
            closed.as_mut().enable();
            let evicted = connections.evict_one();
            if let Some(repeats) = at_cap.hit(Instant::now()) {
                let cap = connections.cap();
                if evicted {
                    tracing::info!(
                        cap,
                        repeats,
                        "connection limit reached: closing the connection idle the longest for each new one"
                    );
                } else {
                    tracing::warn!(
                        cap,
                        repeats,
                        "connection limit reached and every connection has a request in progress: not accepting until one closes"
                    );
                }
            }
            tokio::select! {
                () = &mut closed => {}
                () = tokio::time::sleep(Duration::from_millis(100)) => {}
                () = &mut shutdown => break 'accept,
            }
        }
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => serve(stream, &shared, &supervisor, &builder, &graceful),
                Err(e) => {
                    // Out of file descriptors (shared with upstream connections) and the like:
                    // free one if that is the cause, pause briefly rather than spin, and say so
                    // once per period, not per attempt.
                    let out_of_fds = matches!(
                        rustix::io::Errno::from_io_error(&e),
                        Some(rustix::io::Errno::MFILE | rustix::io::Errno::NFILE)
                    );
                    let evicted = out_of_fds && connections.evict_one();
                    if let Some(repeats) = accept_failed.hit(Instant::now()) {
                        tracing::warn!(error = %e, repeats, evicted, "cannot accept a connection");
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    shared.draining.store(true, Ordering::SeqCst);
    shared.drain.notify_waiters();
    tracing::info!(connections = graceful.count(), "shutting down: no longer accepting, draining");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("drained; all requests finished"),
        () = tokio::time::sleep(drain_timeout) => {
            tracing::warn!("drain timeout reached; closing the remaining connections");
        }
    }
}

/// Serves one accepted connection on its own task, under its watchdog.
fn serve(
    stream: TcpStream,
    shared: &Arc<Shared>,
    supervisor: &Supervisor,
    builder: &auto::Builder<TokioExecutor>,
    graceful: &GracefulShutdown,
) {
    let _ = stream.set_nodelay(true);
    let registration = supervisor.connections.register();
    let conn = registration.conn().clone();
    let request_limit = supervisor.request_limit;
    let for_requests = shared.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        let shared = for_requests.clone();
        let guard = conn.request_started(request_limit);
        request.extensions_mut().insert(guard.handle());
        let http1 = request.version() < http::Version::HTTP_2;
        async move {
            let mut response = routes::handle(shared, request).await;
            if http1 && response.status() == http::StatusCode::REQUEST_TIMEOUT {
                // The rest of the body may still come: the connection cannot carry another
                // request, so say so rather than leave the client waiting on it.
                response
                    .headers_mut()
                    .insert(http::header::CONNECTION, http::HeaderValue::from_static("close"));
            }
            Ok::<_, Infallible>(response.map(|inner| Tracked { inner, _request: guard }))
        }
    });
    let connection = builder.serve_connection(TokioIo::new(stream), service).into_owned();
    let connection = graceful.watch(connection);
    let shared = shared.clone();
    let timeouts = supervisor.timeouts;
    shared.metrics.connections(1);
    tokio::spawn(async move {
        let conn = registration.conn().clone();
        tokio::select! {
            result = connection => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
            }
            reason = conn.watch(&timeouts) => {
                shared.metrics.connection_closed(reason.label());
                tracing::debug!(reason = reason.label(), "closing a client connection");
            }
        }
        shared.metrics.connections(-1);
        drop(registration);
    });
}

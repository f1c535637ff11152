//! `bedrock-gateway serve`: an OpenAI-compatible HTTP front end over the provider component.
//!
//! Endpoints: `POST /v1/chat/completions` (plain and SSE streaming), `POST /v1/rerank`
//! (Cohere/Jina shape), `GET /v1/models`, `GET /healthz`, `GET /readyz`, `GET /metrics`.
//! Every model call runs in a fresh component instance ([`Host`]); the server bounds how many
//! run at once (503 beyond), how large a request body may be (413), and how long a call may
//! take (the host's call timeout). [`Server::apply_settings`] swaps the provider settings
//! without touching requests in flight, and the shutdown future stops accepting and drains.
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

pub mod auth;
pub mod error;
pub mod limits;
pub mod metrics;
pub mod openai;
pub mod sse;

mod access;
mod routes;

use std::borrow::Cow;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::Host;
use crate::credentials::Prepared;
use crate::types::{ProviderError, error_kind_name};
use auth::ClientKeys;
use limits::Limiter;
use metrics::Metrics;

/// The default listen address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The default bound on model calls in progress.
pub const DEFAULT_MAX_CONCURRENCY: usize = 64;
/// The default request-body limit: room for a few images as data URLs.
pub const DEFAULT_MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// How long a connection may take to send its request head.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How the gateway listens and what it admits.
#[derive(Clone)]
pub struct ServeConfig {
    /// Where to listen; port 0 picks a free port (see [`Server::addr`]).
    pub listen: SocketAddr,
    /// Client keys (`Authorization: Bearer <key>`); empty means no authentication, which is
    /// only allowed on loopback addresses.
    pub api_keys: Vec<String>,
    /// Model calls (chat, re-rank) in progress at once; more are refused with 503.
    pub max_concurrency: usize,
    /// The largest request body accepted; larger ones are refused with 413.
    pub max_body_bytes: usize,
}

impl std::fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeConfig")
            .field("listen", &self.listen)
            .field("api_keys", &format_args!("<{} redacted>", self.api_keys.len()))
            .field("max_concurrency", &self.max_concurrency)
            .field("max_body_bytes", &self.max_body_bytes)
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
    max_body_bytes: usize,
    metrics: Metrics,
    draining: AtomicBool,
    ids: RequestIds,
}

impl Shared {
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
    let listener =
        TcpListener::bind(config.listen).await.map_err(|e| StartError::Bind(config.listen, e))?;
    let addr = listener.local_addr().map_err(|e| StartError::Bind(config.listen, e))?;
    let drain_timeout = host.config().call_timeout + Duration::from_secs(10);
    let shared = Arc::new(Shared {
        host,
        settings: RwLock::new(Arc::new(settings)),
        keys,
        limiter: Limiter::new(config.max_concurrency),
        max_body_bytes: config.max_body_bytes,
        metrics: Metrics::default(),
        draining: AtomicBool::new(false),
        ids: RequestIds::new(),
    });
    let task = tokio::spawn(accept_loop(listener, shared.clone(), shutdown, drain_timeout));
    tracing::info!(%addr, max_concurrency = config.max_concurrency, "gateway listening");
    Ok(Server { addr, shared, task })
}

impl Server {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Switches to newly loaded settings if they validate, for requests that start from now
    /// on; requests in flight keep the settings they started with. A load failure or invalid
    /// settings keep the current ones; either way the outcome is logged and counted.
    pub async fn apply_settings(
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

    /// Waits until the server has shut down and drained.
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

async fn validated(host: &Host, prepared: Prepared) -> Result<Settings, ProviderError> {
    host.validate_settings(prepared.raw_json()).await?;
    Ok(Settings { value: prepared.value().clone(), prepared })
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    shutdown: impl Future<Output = ()>,
    drain_timeout: Duration,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let _ = stream.set_nodelay(true);
                    let shared = shared.clone();
                    let service = hyper::service::service_fn(move |request| {
                        let shared = shared.clone();
                        async move { Ok::<_, Infallible>(routes::handle(shared, request).await) }
                    });
                    let connection =
                        builder.serve_connection(TokioIo::new(stream), service).into_owned();
                    let connection = graceful.watch(connection);
                    tokio::spawn(async move {
                        if let Err(e) = connection.await {
                            tracing::debug!(error = %e, "connection ended with an error");
                        }
                    });
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    shared.draining.store(true, Ordering::SeqCst);
    tracing::info!(connections = graceful.count(), "shutting down: no longer accepting, draining");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("drained; all requests finished"),
        () = tokio::time::sleep(drain_timeout) => {
            tracing::warn!("drain timeout reached; closing the remaining connections");
        }
    }
}

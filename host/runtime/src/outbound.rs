//! Outbound HTTP for the component: the `wasi:http` hooks that apply the [`crate::policy`] and
//! send allowed requests through one shared, pooled client.
//!
//! The client (hyper-util's pooled client, rustls with the webpki roots, HTTP/1.1 and HTTP/2
//! by ALPN) is created once per [`crate::Host`] and shared by every call, so keep-alive
//! connections survive from one call to the next while each call still gets a fresh sandbox.
//! The guest's connect, first-byte and between-bytes timeouts are honoured per request, and
//! response bodies are capped. Each call's hooks also apply its [`OutboundLimits`]: how many
//! requests it may start, how many may be in flight at once (so how many connections it can
//! hold), and how large a request body may be.
//!
//! Benchmarks and tests can replace the network with an [`InMemoryUpstream`]: the policy still
//! decides, but an allowed request is answered by a function instead of the pooled client.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response, Uri};
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use wasmtime_wasi_http::p2::bindings::http::types::ErrorCode;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use crate::limits::{self, Admission, OutboundLimits};
use crate::policy::{self, Decision, Policy};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The connect deadline when the component sets none.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long an idle keep-alive connection stays in the pool.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// The most a component may write to a request body in one call, and so (with one chunk
/// buffered) what a request body holds in host memory before it is sent. wasmtime's default is
/// 1 MiB, which lets requests that are built but never sent hold a mebibyte each.
const BODY_CHUNK_BYTES: usize = 64 * 1024;

/// The pooled HTTPS client shared by all calls of a host.
#[derive(Clone)]
pub struct HttpClient {
    client: Client<TimeoutConnector<HttpsConnector<HttpConnector>>, WasiBody>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient").finish_non_exhaustive()
    }
}

impl HttpClient {
    /// Builds the client: TCP with no-delay and keep-alive, rustls (ring) trusting the webpki
    /// roots, HTTP/1.1 and HTTP/2 negotiated by ALPN, plain HTTP allowed (the policy decides
    /// where plain HTTP may go).
    pub fn new() -> anyhow::Result<Self> {
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_keepalive(Some(Duration::from_secs(60)));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(provider)?
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(tcp);
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .build(TimeoutConnector { inner: https });
        Ok(Self { client })
    }

    /// Sends a request, applying the connect and first-byte timeouts, and returns the response
    /// head with its body still streaming.
    ///
    /// The first-byte clock runs from the moment the request can be written: at once on a
    /// pooled connection, or once a new connection for it is established (connecting is
    /// bounded by the connect timeout instead).
    async fn send(
        &self,
        request: Request<WasiBody>,
        options: RequestOptions,
    ) -> Result<Response<Incoming>, Error> {
        let (phase, mut phase_changes) = watch::channel(ConnectPhase::Pooled);
        let connect_timeout = options.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
        let ctx = Arc::new(ConnectContext { timeout: connect_timeout, phase });
        let response = CONNECT_CONTEXT.scope(ctx, self.client.request(request));
        let mut response = std::pin::pin!(response);
        let Some(first_byte) = options.first_byte_timeout else {
            return response.await.map_err(|e| client_error(&e));
        };
        let deadline = tokio::time::sleep(first_byte);
        let mut deadline = std::pin::pin!(deadline);
        loop {
            tokio::select! {
                biased;
                result = &mut response => return result.map_err(|e| client_error(&e)),
                changed = phase_changes.changed() => {
                    if changed.is_err() {
                        continue;
                    }
                    let now = tokio::time::Instant::now();
                    let next = match *phase_changes.borrow_and_update() {
                        ConnectPhase::Pooled => continue,
                        // Bounded by the connector's own timeout; this is only a backstop.
                        ConnectPhase::Connecting => now + connect_timeout + first_byte,
                        ConnectPhase::Connected => now + first_byte,
                    };
                    deadline.as_mut().reset(next);
                }
                () = &mut deadline => return Err(Error::ConnectionReadTimeout),
            }
        }
    }
}

/// Where the request's connection stands, as far as the connector knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConnectPhase {
    /// No new connection was started (yet): a pooled one will do.
    Pooled,
    /// A new connection is being opened for the request.
    Connecting,
    /// The new connection is ready.
    Connected,
}

/// What the connector needs to know about the request it connects for.
struct ConnectContext {
    timeout: Duration,
    phase: watch::Sender<ConnectPhase>,
}

tokio::task_local! {
    /// The context of the request being sent; the pooled client calls the connector from
    /// inside the request's future, so the connector can read it.
    static CONNECT_CONTEXT: Arc<ConnectContext>;
}

/// The connect deadline fired.
#[derive(Debug)]
struct ConnectTimedOut;

impl std::fmt::Display for ConnectTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connect timed out")
    }
}

impl std::error::Error for ConnectTimedOut {}

/// Wraps the TCP+TLS connector with the per-request connect timeout.
#[derive(Clone)]
struct TimeoutConnector<C> {
    inner: C,
}

impl<C> tower_service::Service<Uri> for TimeoutConnector<C>
where
    C: tower_service::Service<Uri> + Send,
    C::Response: Send + 'static,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    type Response = C::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<C::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let ctx = CONNECT_CONTEXT.try_with(Arc::clone).ok();
        if let Some(ctx) = &ctx {
            ctx.phase.send_replace(ConnectPhase::Connecting);
        }
        let timeout = ctx.as_ref().map_or(DEFAULT_CONNECT_TIMEOUT, |c| c.timeout);
        let connect = self.inner.call(uri);
        Box::pin(async move {
            let connection = match tokio::time::timeout(timeout, connect).await {
                Ok(result) => result.map_err(Into::into)?,
                Err(_) => return Err(Box::new(ConnectTimedOut) as BoxError),
            };
            if let Some(ctx) = &ctx {
                ctx.phase.send_replace(ConnectPhase::Connected);
            }
            Ok(connection)
        })
    }
}

/// Maps a client failure onto the closest `wasi:http` error, so the component can tell DNS,
/// refused, TLS and timeout apart.
fn client_error(e: &hyper_util::client::legacy::Error) -> Error {
    // The request body cap travels inside hyper's own "user body" error: find it first.
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(Error::HttpRequestBodySize(size)) = err.downcast_ref::<Error>() {
            return Error::HttpRequestBodySize(*size);
        }
        source = err.source();
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(mapped) = classify(err) {
            return mapped;
        }
        source = err.source();
    }
    if e.is_connect() { Error::ConnectionRefused } else { Error::HttpProtocolError }
}

fn classify(err: &(dyn std::error::Error + 'static)) -> Option<Error> {
    if err.is::<ConnectTimedOut>() {
        return Some(Error::ConnectionTimeout);
    }
    if let Some(Error::HttpRequestBodySize(size)) = err.downcast_ref::<Error>() {
        // The request body cap fired while hyper was sending the body (see [`CappedRequest`]).
        return Some(Error::HttpRequestBodySize(*size));
    }
    if err.is::<rustls::pki_types::InvalidDnsNameError>() {
        // The authority is not a name TLS can verify a certificate for: refused before any
        // connection, so "connection refused" would send the operator to the wrong place.
        return Some(Error::DnsError {
            rcode: Some("invalid DNS name for TLS".to_string()),
            info_code: None,
        });
    }
    if let Some(tls) = err.downcast_ref::<rustls::Error>() {
        return Some(match tls {
            rustls::Error::InvalidCertificate(_) => Error::TlsCertificateError,
            rustls::Error::AlertReceived(alert) => Error::TlsAlertReceived {
                alert_id: Some(u8::from(*alert)),
                alert_message: Some(format!("{alert:?}")),
            },
            _ => Error::TlsProtocolError,
        });
    }
    if let Some(h) = err.downcast_ref::<hyper::Error>() {
        return Some(hyper_error(h));
    }
    if let Some(io) = err.downcast_ref::<std::io::Error>() {
        // A custom io::Error hides its payload from `source()`: look inside explicitly.
        if let Some(mapped) = io.get_ref().and_then(|inner| classify(inner)) {
            return Some(mapped);
        }
        use std::io::ErrorKind as K;
        return match io.kind() {
            K::ConnectionRefused => Some(Error::ConnectionRefused),
            K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
                Some(Error::ConnectionTerminated)
            }
            K::TimedOut => Some(Error::ConnectionTimeout),
            _ => None,
        };
    }
    // hyper-util's connector reports resolver failures as "dns error", with the resolver's
    // message as the source.
    if err.to_string().starts_with("dns error") {
        let detail = err.source().map_or_else(|| err.to_string(), |e| e.to_string());
        return Some(Error::DnsError { rcode: Some(detail), info_code: None });
    }
    None
}

fn hyper_error(h: &hyper::Error) -> Error {
    if h.is_timeout() {
        Error::HttpResponseTimeout
    } else if h.is_incomplete_message() {
        Error::HttpResponseIncomplete
    } else if h.is_closed() || h.is_canceled() {
        Error::ConnectionTerminated
    } else {
        Error::HttpProtocolError
    }
}

/// Answers outbound requests in memory, in place of the network: it receives the request head
/// and the whole request body, and returns the complete response.
///
/// For benchmarks and tests only (see [`crate::Host::load_with_upstream`]): it measures or
/// exercises the component and the host without a socket. The outbound policy still applies;
/// the response body cap too.
pub type InMemoryUpstream =
    Arc<dyn Fn(&http::request::Parts, &[u8]) -> Response<Bytes> + Send + Sync>;

/// The `wasi:http` hooks of one call: its policy, the shared client, the body caps and the
/// per-call request caps.
pub struct OutboundHooks {
    client: HttpClient,
    policy: Policy,
    max_response_bytes: u64,
    upstream: Option<InMemoryUpstream>,
    limits: OutboundLimits,
    /// Requests started so far by this call.
    started: u32,
    /// One permit per request in flight; held until its response body ends or is dropped.
    in_flight: Arc<Semaphore>,
    /// Set when a cap refused something in this call (a request, a request or response
    /// body), even if the component recovered: such an instance is never reused.
    limit_hit: Arc<AtomicBool>,
}

impl OutboundHooks {
    /// Hooks that send what `policy` allows through `client`, refusing bodies over
    /// `max_response_bytes`, under the default [`OutboundLimits`].
    pub fn new(client: HttpClient, policy: Policy, max_response_bytes: u64) -> Self {
        let limits = OutboundLimits::default();
        Self {
            client,
            policy,
            max_response_bytes,
            upstream: None,
            limits,
            started: 0,
            in_flight: Arc::new(Semaphore::new(limits.max_in_flight as usize)),
            limit_hit: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether a cap refused anything since the call started.
    pub fn limit_hit(&self) -> bool {
        self.limit_hit.load(Ordering::Relaxed)
    }

    /// Starts the counters of a new call on a reused instance: no requests started, none in
    /// flight, no cap hit. Bodies of an earlier call keep the old counters (an instance that
    /// left any behind is not reused anyway).
    pub(crate) fn renew(&mut self) {
        self.started = 0;
        self.in_flight = Arc::new(Semaphore::new(self.limits.max_in_flight as usize));
        self.limit_hit = Arc::new(AtomicBool::new(false));
    }

    /// Applies `limits` to the requests of this call.
    pub fn with_limits(mut self, limits: OutboundLimits) -> Self {
        self.in_flight = Arc::new(Semaphore::new(limits.max_in_flight as usize));
        self.limits = limits;
        self
    }

    /// Counts a request the component starts and takes its in-flight permit, or says which cap
    /// refuses it.
    fn admit(&mut self) -> Result<OwnedSemaphorePermit, Error> {
        let available = u32::try_from(self.in_flight.available_permits()).unwrap_or(u32::MAX);
        let in_flight = self.limits.max_in_flight.saturating_sub(available);
        let admission = limits::admit_request(self.started, in_flight, &self.limits);
        if admission != Admission::Admit {
            self.limit_hit.store(true, Ordering::Relaxed);
        }
        match admission {
            Admission::Admit => {}
            Admission::TooMany { limit } => {
                return Err(Error::InternalError(Some(format!(
                    "the host's limit of {limit} outbound requests per call was reached"
                ))));
            }
            Admission::TooManyAtOnce { limit } => {
                tracing::debug!(limit, "outbound request refused: too many in flight");
                return Err(Error::ConnectionLimitReached);
            }
        }
        // Permits only come back while this runs, so one is available.
        let permit = self
            .in_flight
            .clone()
            .try_acquire_owned()
            .map_err(|_| Error::ConnectionLimitReached)?;
        self.started = self.started.saturating_add(1);
        Ok(permit)
    }

    /// Answers allowed requests with `upstream` instead of sending them (benchmarks, tests).
    pub fn with_upstream(mut self, upstream: Option<InMemoryUpstream>) -> Self {
        self.upstream = upstream;
        self
    }
}

/// Answers `request` with `upstream`: reads the guest's body, calls it, caps the answer.
async fn answer_in_memory(
    upstream: InMemoryUpstream,
    request: Request<WasiBody>,
    cap: u64,
) -> Result<(Response<WasiBody>, IoFuture), Error> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await?.to_bytes();
    let response = upstream(&parts, &body);
    let length = response.body().len() as u64;
    if length > cap {
        return Err(Error::HttpResponseBodySize(Some(length)));
    }
    let response = response.map(|bytes| {
        http_body_util::Full::new(bytes).map_err(|never| match never {}).boxed_unsync()
    });
    Ok((response, Box::new(async { Ok(()) }) as IoFuture))
}

type IoFuture = Box<dyn Future<Output = Result<(), Error>> + Send>;
type SendFuture = Box<dyn Future<Output = Result<(Response<WasiBody>, IoFuture), Error>> + Send>;

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: Request<WasiBody>,
        options: Option<RequestOptions>,
        _response_errors: IoFuture,
    ) -> SendFuture {
        let scheme = request.uri().scheme_str().unwrap_or_default().to_string();
        let authority = request.uri().authority().map(|a| a.to_string()).unwrap_or_default();
        let decision = policy::decide(&self.policy, &scheme, &authority);
        let client = self.client.clone();
        let cap = self.max_response_bytes;
        let upstream = self.upstream.clone();
        let body_limit = self.limits.max_request_body_bytes;
        let limit_hit = self.limit_hit.clone();
        // A denied request is refused whatever the caps say, and does not count against them.
        let admitted = match decision {
            Decision::Allow => Some(self.admit()),
            Decision::Deny(_) => None,
        };
        Box::new(async move {
            if let Decision::Deny(reason) = decision {
                let (method, path) = (request.method(), request.uri().path());
                tracing::debug!(%method, %authority, %path, %reason, "outbound request denied");
                return Err(Error::HttpRequestDenied);
            }
            let permit = match admitted {
                Some(Ok(permit)) => permit,
                Some(Err(e)) => return Err(e),
                None => return Err(Error::HttpRequestDenied),
            };
            let declared = request
                .headers()
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if let Err(size) = limits::request_body_within(declared, body_limit) {
                limit_hit.store(true, Ordering::Relaxed);
                return Err(Error::HttpRequestBodySize(Some(size)));
            }
            let request = request
                .map(|body| CappedRequest::new(body, body_limit, limit_hit.clone()).boxed_unsync());
            if let Some(upstream) = upstream {
                let answer = answer_in_memory(upstream, request, cap).await;
                if matches!(answer, Err(Error::HttpResponseBodySize(_))) {
                    limit_hit.store(true, Ordering::Relaxed);
                }
                drop(permit);
                return answer;
            }
            let method = request.method().clone();
            let path = request.uri().path().to_string();
            let options = options.unwrap_or_default();
            let started = Instant::now();
            let response = match client.send(request, options).await {
                Ok(response) => response,
                Err(e) => {
                    tracing::debug!(%method, %authority, %path, error = %e,
                        elapsed = ?started.elapsed(), "outbound request failed");
                    return Err(e);
                }
            };
            tracing::debug!(%method, %authority, %path, status = response.status().as_u16(),
                elapsed = ?started.elapsed(), "outbound request");
            let declared = response
                .headers()
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if let Some(length) = declared.filter(|l| *l > cap) {
                limit_hit.store(true, Ordering::Relaxed);
                return Err(Error::HttpResponseBodySize(Some(length)));
            }
            let between_bytes = options.between_bytes_timeout;
            let response = response.map(|body| {
                CappedBody::new(body, cap, between_bytes, permit, limit_hit).boxed_unsync()
            });
            Ok((response, Box::new(async { Ok(()) }) as IoFuture))
        })
    }

    fn p2_outgoing_body_chunk_size(&mut self) -> usize {
        BODY_CHUNK_BYTES
    }

    fn p2_error_from_hyper(&mut self, err: &hyper::Error) -> ErrorCode {
        tracing::debug!(error = %err, "outbound HTTP error");
        match hyper_error(err) {
            Error::HttpResponseTimeout => ErrorCode::HttpResponseTimeout,
            Error::HttpResponseIncomplete => ErrorCode::HttpResponseIncomplete,
            Error::ConnectionTerminated => ErrorCode::ConnectionTerminated,
            _ => ErrorCode::HttpProtocolError,
        }
    }
}

/// The `wasi:http` error code the guest should see for a failed body read: the `error-code` a
/// stream error carries, whether it holds wasi:http's own `ErrorCode` or the embedder `Error`
/// that [`CappedBody`] fails with.
///
/// wasmtime-wasi-http 48 keeps response-body failures as its embedder `Error`, and its own
/// `http-error-code` only recognises `ErrorCode`, so without this the guest would read the body
/// cap or the between-bytes timeout as an anonymous I/O error. [`crate::sandbox`] links this in
/// place of the stock function.
pub fn http_error_code(error: &wasmtime::Error) -> Option<ErrorCode> {
    if let Some(code) = error.downcast_ref::<ErrorCode>() {
        return Some(code.clone());
    }
    error.downcast_ref::<Error>().map(error_code)
}

/// The `wasi:http` error code for an embedder error. Covers what this module produces; anything
/// else becomes `internal-error` with its description.
fn error_code(error: &Error) -> ErrorCode {
    match error {
        Error::Hyper(h) => match hyper_error(h) {
            Error::HttpResponseTimeout => ErrorCode::HttpResponseTimeout,
            Error::HttpResponseIncomplete => ErrorCode::HttpResponseIncomplete,
            Error::ConnectionTerminated => ErrorCode::ConnectionTerminated,
            _ => ErrorCode::HttpProtocolError,
        },
        Error::HttpResponseBodySize(size) => ErrorCode::HttpResponseBodySize(*size),
        Error::HttpResponseIncomplete => ErrorCode::HttpResponseIncomplete,
        Error::HttpResponseTimeout => ErrorCode::HttpResponseTimeout,
        Error::HttpProtocolError => ErrorCode::HttpProtocolError,
        Error::ConnectionReadTimeout => ErrorCode::ConnectionReadTimeout,
        Error::ConnectionTerminated => ErrorCode::ConnectionTerminated,
        Error::ConnectionTimeout => ErrorCode::ConnectionTimeout,
        Error::ConnectionRefused => ErrorCode::ConnectionRefused,
        Error::HttpRequestDenied => ErrorCode::HttpRequestDenied,
        other => ErrorCode::InternalError(Some(other.to_string())),
    }
}

/// A response body that fails once more than `limit` bytes arrived, or when no frame arrives
/// for `between_bytes`. It holds the request's in-flight permit until it ends (its connection
/// then goes back to the pool) or is dropped.
struct CappedBody {
    inner: Incoming,
    limit: u64,
    received: u64,
    between_bytes: Option<(Duration, Pin<Box<tokio::time::Sleep>>)>,
    done: bool,
    permit: Option<OwnedSemaphorePermit>,
    /// The call's "a cap refused something" flag.
    limit_hit: Arc<AtomicBool>,
}

impl CappedBody {
    fn new(
        inner: Incoming,
        limit: u64,
        between_bytes: Option<Duration>,
        permit: OwnedSemaphorePermit,
        limit_hit: Arc<AtomicBool>,
    ) -> Self {
        let between_bytes = between_bytes.map(|d| (d, Box::pin(tokio::time::sleep(d))));
        Self {
            inner,
            limit,
            received: 0,
            between_bytes,
            done: false,
            permit: Some(permit),
            limit_hit,
        }
    }

    /// Ends the body: nothing more will be read, so the request no longer counts as in flight.
    fn finish(&mut self) {
        self.done = true;
        self.permit = None;
    }
}

/// A request body that fails once more than `limit` bytes were sent: hyper then abandons the
/// request, and the guest's `handle` future reports `HTTP-request-body-size`.
struct CappedRequest {
    inner: WasiBody,
    limit: u64,
    sent: u64,
    /// The call's "a cap refused something" flag.
    limit_hit: Arc<AtomicBool>,
}

impl CappedRequest {
    fn new(inner: WasiBody, limit: u64, limit_hit: Arc<AtomicBool>) -> Self {
        Self { inner, limit, sent: 0, limit_hit }
    }
}

impl Body for CappedRequest {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.sent = this.sent.saturating_add(data.len() as u64);
                    if let Err(size) = limits::request_body_within(Some(this.sent), this.limit) {
                        this.limit_hit.store(true, Ordering::Relaxed);
                        return Poll::Ready(Some(Err(Error::HttpRequestBodySize(Some(size)))));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Body for CappedBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                    if this.received > this.limit {
                        this.limit_hit.store(true, Ordering::Relaxed);
                        this.finish();
                        return Poll::Ready(Some(Err(Error::HttpResponseBodySize(Some(
                            this.received,
                        )))));
                    }
                }
                if let Some((d, sleep)) = &mut this.between_bytes {
                    let next = tokio::time::Instant::now() + *d;
                    sleep.as_mut().reset(next);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.finish();
                Poll::Ready(Some(Err(hyper_error(&e))))
            }
            Poll::Ready(None) => {
                this.finish();
                Poll::Ready(None)
            }
            Poll::Pending => {
                if let Some((_, sleep)) = &mut this.between_bytes
                    && sleep.as_mut().poll(cx).is_ready()
                {
                    this.finish();
                    return Poll::Ready(Some(Err(Error::ConnectionReadTimeout)));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use http_body_util::{Empty, Full};
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;
    use std::convert::Infallible;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::net::TcpListener;

    /// A server-side body fed through a channel, so tests control when bytes arrive.
    struct ChannelBody(tokio::sync::mpsc::Receiver<Bytes>);

    impl Body for ChannelBody {
        type Data = Bytes;
        type Error = Infallible;
        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            self.0.poll_recv(cx).map(|chunk| chunk.map(|b| Ok(Frame::data(b))))
        }
    }

    type TestBody = http_body_util::combinators::BoxBody<Bytes, Infallible>;

    /// What the test server answers, by path.
    async fn respond(path: &str) -> Response<TestBody> {
        let body = match path {
            "/slow-head" => {
                tokio::time::sleep(Duration::from_millis(500)).await;
                Full::new(Bytes::from_static(b"late")).boxed()
            }
            "/big" => Full::new(Bytes::from(vec![b'x'; 1000])).boxed(),
            "/big-chunked" => {
                let (tx, rx) = tokio::sync::mpsc::channel(10);
                for _ in 0..10 {
                    tx.try_send(Bytes::from(vec![b'y'; 100])).unwrap();
                }
                ChannelBody(rx).boxed()
            }
            "/stall" => {
                let (tx, rx) = tokio::sync::mpsc::channel(1);
                tokio::spawn(async move {
                    let _ = tx.send(Bytes::from_static(b"first")).await;
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    let _ = tx.send(Bytes::from_static(b"second")).await;
                });
                ChannelBody(rx).boxed()
            }
            _ => Full::new(Bytes::from_static(b"hello")).boxed(),
        };
        Response::new(body)
    }

    /// Starts an HTTP/1.1 server on loopback; returns its address and a connection counter.
    async fn server() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        tokio::spawn(async move {
            loop {
                let (tcp, _) = listener.accept().await.unwrap();
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let service = service_fn(|req: Request<Incoming>| async move {
                        if req.uri().path() == "/sink" {
                            // Reads the whole request body before answering.
                            let n =
                                req.into_body().collect().await.map_or(0, |b| b.to_bytes().len());
                            return Ok::<_, Infallible>(Response::new(
                                Full::new(Bytes::from(n.to_string())).boxed(),
                            ));
                        }
                        Ok::<_, Infallible>(respond(req.uri().path()).await)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tcp), service)
                        .await;
                });
            }
        });
        (addr, connections)
    }

    fn hooks_for(addr: std::net::SocketAddr, cap: u64) -> OutboundHooks {
        let manifest = crate::Manifest::parse(
            r#"{"manifestVersion": 1, "provider": "p", "contract": "c",
                "outbound": {"originSettings": ["endpoint"]}}"#,
        )
        .unwrap();
        let settings = serde_json::json!({ "endpoint": format!("http://{addr}") });
        let policy = Policy::for_call(&manifest, &settings, &crate::policy::Rules::default());
        OutboundHooks::new(HttpClient::new().unwrap(), policy, cap)
    }

    fn get(url: &str) -> Request<WasiBody> {
        let body = Empty::<Bytes>::new().map_err(|e| match e {}).boxed_unsync();
        Request::builder().uri(url).body(body).unwrap()
    }

    async fn send(
        hooks: &mut OutboundHooks,
        url: &str,
        options: Option<RequestOptions>,
    ) -> Result<Response<WasiBody>, Error> {
        let future = hooks.send_request(get(url), options, Box::new(async { Ok(()) }));
        Pin::from(future).await.map(|(response, _io)| response)
    }

    async fn read_body(response: Response<WasiBody>) -> Result<Bytes, Error> {
        response.into_body().collect().await.map(|c| c.to_bytes())
    }

    #[tokio::test]
    async fn denied_requests_never_leave_the_host() {
        let (addr, connections) = server().await;
        let mut hooks = OutboundHooks::new(HttpClient::new().unwrap(), Policy::deny_all(), 1024);
        let err = send(&mut hooks, &format!("http://{addr}/"), None).await.unwrap_err();
        assert!(matches!(err, Error::HttpRequestDenied), "{err:?}");
        assert_eq!(connections.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn allowed_requests_reuse_one_pooled_connection() {
        let (addr, connections) = server().await;
        let mut hooks = hooks_for(addr, 1024);
        for _ in 0..3 {
            let response = send(&mut hooks, &format!("http://{addr}/"), None).await.unwrap();
            assert_eq!(response.status(), 200);
            assert_eq!(read_body(response).await.unwrap(), "hello");
        }
        assert_eq!(connections.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn response_bodies_are_capped() {
        let (addr, _) = server().await;
        let mut hooks = hooks_for(addr, 500);
        // Declared length over the cap: refused before reading.
        let err = send(&mut hooks, &format!("http://{addr}/big"), None).await.unwrap_err();
        assert!(matches!(err, Error::HttpResponseBodySize(Some(1000))), "{err:?}");
        // Chunked: the body fails once the cap is crossed.
        let response = send(&mut hooks, &format!("http://{addr}/big-chunked"), None).await.unwrap();
        let err = read_body(response).await.unwrap_err();
        assert!(
            matches!(err, Error::HttpResponseBodySize(Some(n)) if n > 500 && n <= 600),
            "{err:?}"
        );
        // Under the cap is fine.
        let response =
            send(&mut hooks_for(addr, 1000), &format!("http://{addr}/big"), None).await.unwrap();
        assert_eq!(read_body(response).await.unwrap().len(), 1000);
    }

    #[tokio::test]
    async fn first_byte_and_between_bytes_timeouts() {
        let (addr, _) = server().await;
        let mut hooks = hooks_for(addr, 1 << 20);
        let options = RequestOptions {
            first_byte_timeout: Some(Duration::from_millis(100)),
            between_bytes_timeout: Some(Duration::from_millis(200)),
            ..Default::default()
        };
        let started = Instant::now();
        let err =
            send(&mut hooks, &format!("http://{addr}/slow-head"), Some(options)).await.unwrap_err();
        assert!(matches!(err, Error::ConnectionReadTimeout), "{err:?}");
        assert!(started.elapsed() < Duration::from_millis(450), "{:?}", started.elapsed());

        let response =
            send(&mut hooks, &format!("http://{addr}/stall"), Some(options)).await.unwrap();
        let mut body = response.into_body();
        let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(first, "first");
        let started = Instant::now();
        let err = body.frame().await.unwrap().unwrap_err();
        assert!(matches!(err, Error::ConnectionReadTimeout), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    }

    #[test]
    fn body_errors_reach_the_guest_as_error_codes() {
        let rows = [
            (Error::HttpResponseBodySize(Some(7)), ErrorCode::HttpResponseBodySize(Some(7))),
            (Error::ConnectionReadTimeout, ErrorCode::ConnectionReadTimeout),
            (Error::HttpResponseIncomplete, ErrorCode::HttpResponseIncomplete),
            (Error::ConnectionTerminated, ErrorCode::ConnectionTerminated),
        ];
        for (error, want) in rows {
            let wrapped = wasmtime::Error::from(error);
            let got = http_error_code(&wrapped).unwrap();
            assert_eq!(format!("{got:?}"), format!("{want:?}"));
        }
        // The stock representation still works, and other errors are not error codes.
        let stock = wasmtime::Error::from(ErrorCode::HttpRequestDenied);
        assert!(matches!(http_error_code(&stock), Some(ErrorCode::HttpRequestDenied)));
        assert!(http_error_code(&wasmtime::Error::msg("disk on fire")).is_none());
    }

    /// A request whose body is `size` bytes in `chunk`-byte frames, declared or not.
    fn post(url: &str, size: usize, declare: bool) -> Request<WasiBody> {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        tokio::spawn(async move {
            let mut left = size;
            while left > 0 {
                let n = left.min(16 * 1024);
                if tx.send(Bytes::from(vec![b'z'; n])).await.is_err() {
                    return;
                }
                left -= n;
            }
        });
        let body = ChannelBody(rx).map_err(|never| match never {}).boxed_unsync();
        let mut request = Request::builder().method("POST").uri(url);
        if declare {
            request = request.header("content-length", size.to_string());
        }
        request.body(body).unwrap()
    }

    async fn send_request(
        hooks: &mut OutboundHooks,
        request: Request<WasiBody>,
    ) -> Result<Response<WasiBody>, Error> {
        let future = hooks.send_request(request, None, Box::new(async { Ok(()) }));
        Pin::from(future).await.map(|(response, _io)| response)
    }

    #[tokio::test]
    async fn requests_per_call_and_in_flight_are_capped() {
        let (addr, connections) = server().await;
        let limits =
            OutboundLimits { max_requests: 3, max_in_flight: 2, max_request_body_bytes: 1024 };
        let mut hooks = hooks_for(addr, 1 << 20).with_limits(limits);
        let slow = format!("http://{addr}/slow-head");
        // Two in flight (not awaited yet): the third is refused at once, before any connection.
        let first = hooks.send_request(get(&slow), None, Box::new(async { Ok(()) }));
        let second = hooks.send_request(get(&slow), None, Box::new(async { Ok(()) }));
        let err = send(&mut hooks, &slow, None).await.unwrap_err();
        assert!(matches!(err, Error::ConnectionLimitReached), "{err:?}");
        // A response holds its slot until its body is read to the end.
        let response = Pin::from(first).await.unwrap().0;
        let err = send(&mut hooks, &slow, None).await.unwrap_err();
        assert!(matches!(err, Error::ConnectionLimitReached), "{err:?}");
        read_body(response).await.unwrap();
        // ...and a dropped request gives its slot back too.
        drop(second);
        let response = send(&mut hooks, &format!("http://{addr}/"), None).await.unwrap();
        assert_eq!(read_body(response).await.unwrap(), "hello");
        // Three started: the fourth is over the per-call total, whatever is in flight.
        let err = send(&mut hooks, &format!("http://{addr}/"), None).await.unwrap_err();
        assert!(
            matches!(&err, Error::InternalError(Some(m)) if m.contains("limit of 3 outbound requests")),
            "{err:?}"
        );
        assert!(connections.load(Ordering::SeqCst) <= 3);
    }

    #[tokio::test]
    async fn request_bodies_are_capped() {
        let (addr, connections) = server().await;
        let limits = OutboundLimits { max_request_body_bytes: 64 * 1024, ..Default::default() };
        let mut hooks = hooks_for(addr, 1 << 20).with_limits(limits);
        let url = format!("http://{addr}/sink");
        // Declared over the cap: refused before connecting.
        let err = send_request(&mut hooks, post(&url, 1 << 20, true)).await.unwrap_err();
        assert!(matches!(err, Error::HttpRequestBodySize(Some(1048576))), "{err:?}");
        assert_eq!(connections.load(Ordering::SeqCst), 0);
        // Streamed: refused once it crosses the cap.
        let err = send_request(&mut hooks, post(&url, 1 << 20, false)).await.unwrap_err();
        assert!(
            matches!(err, Error::HttpRequestBodySize(Some(n)) if n > 64 * 1024 && n <= 80 * 1024),
            "{err:?}"
        );
        // At the cap is fine.
        let response = send_request(&mut hooks, post(&url, 64 * 1024, false)).await.unwrap();
        assert_eq!(read_body(response).await.unwrap(), "65536");
    }

    #[test]
    fn a_name_tls_cannot_use_is_not_a_refused_connection() {
        let err = rustls::pki_types::ServerName::try_from("bad..name").unwrap_err();
        let mapped = classify(&err);
        assert!(
            matches!(&mapped, Some(Error::DnsError { rcode: Some(r), .. }) if r.contains("TLS")),
            "{mapped:?}"
        );
    }

    #[tokio::test]
    async fn connection_failures_are_classified() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let mut hooks = hooks_for(addr, 1024);
        let err = send(&mut hooks, &format!("http://{addr}/"), None).await.unwrap_err();
        assert!(matches!(err, Error::ConnectionRefused), "{err:?}");
    }
}

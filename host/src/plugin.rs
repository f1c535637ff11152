//! The provider component, loaded once and run per call in a fresh sandbox.
//!
//! [`Host::load`] compiles (or loads from the cache) the component and pre-links it. Each call
//! then gets a new `Store`: nothing is shared between calls or tenants except the compiled
//! code and the pooled HTTP client. A store carries a memory limit, a wall-clock deadline
//! (epoch interruption for guest code, a tokio timeout for the whole call, I/O included), and
//! the outbound policy built from that call's settings. Traps and host failures come back as a
//! [`ProviderError`] like any other failure, so callers handle a single error type.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::Value;
use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource, ResourceAny, ResourceTable};
use wasmtime::{Engine, ResourceLimiter, Store, Trap, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::http::types::IoError;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::engine::{self, CacheOutcome, EPOCH_TICK, PoolLimits};
use crate::outbound::{self, HttpClient, InMemoryUpstream, OutboundHooks};
use crate::policy::{Policy, Rules};
use crate::types::{
    CheckReport, CountTokensResponse, EmbedRequest, EmbedResponse, ErrorKind, GenerateRequest,
    GenerateResponse, ProviderError, RerankRequest, RerankResponse, StreamPart,
};

/// Bindings generated from `wit/provider.wit`; the public types are re-exported by
/// [`crate::types`].
#[allow(missing_docs)]
pub(crate) mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "model-provider",
        exports: { default: async },
        with: {
            "wasi:http": wasmtime_wasi_http::p2::bindings::http,
            "wasi:io": wasmtime_wasi::p2::bindings::io,
            "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        },
        require_store_data_send: true,
    });
}

use bindings::{ModelProvider, ModelProviderPre};

const MIB: usize = 1024 * 1024;

/// Limits and locations for a [`Host`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostConfig {
    /// The most linear memory one call's instance may use. Default 64 MiB.
    pub memory_limit_bytes: usize,
    /// Wall-clock limit for a whole call (for a stream: from `stream` to its last part).
    /// Default 300 s. A smaller `timeouts.totalMs` in the call's settings takes precedence.
    pub call_timeout: Duration,
    /// The largest response body the component may receive. Default 32 MiB.
    pub max_response_bytes: u64,
    /// Where the compiled component is cached; `None` means [`engine::default_cache_dir`].
    pub cache_dir: Option<PathBuf>,
    /// Calls (and open streams) that may run at the same time; sizes the instance pool.
    /// Default 1000.
    pub max_concurrent_calls: u32,
    /// Whether the settings' `baseUrl` / `agentRuntimeBaseUrl` may send requests (and the
    /// credentials signing them) somewhere other than AWS. Default true; turn it off when
    /// tenants are not trusted to pick the destination: their base URLs are then refused
    /// (`denied-by-host`) and only the Bedrock endpoints of their region are reachable.
    pub allow_base_urls: bool,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            memory_limit_bytes: 64 * MIB,
            call_timeout: Duration::from_secs(300),
            max_response_bytes: 32 * MIB as u64,
            cache_dir: None,
            max_concurrent_calls: 1000,
            allow_base_urls: true,
        }
    }
}

/// A loaded provider component, ready to serve calls. Cheap to clone; clones share the
/// compiled component, the engine and the HTTP connection pool.
#[derive(Clone)]
pub struct Host {
    inner: Arc<Inner>,
}

/// The deadline for one call: the host's limit, shortened (never lengthened) by the tenant's
/// `timeouts.totalMs`, so a tenant cannot hold a sandbox longer than the operator allows.
fn call_timeout(host_limit: Duration, settings: &Value) -> Duration {
    settings
        .pointer("/timeouts/totalMs")
        .and_then(Value::as_u64)
        .filter(|ms| *ms > 0)
        .map_or(host_limit, |ms| host_limit.min(Duration::from_millis(ms)))
}

struct Inner {
    pre: ModelProviderPre<CallState>,
    client: HttpClient,
    config: HostConfig,
    cache: CacheOutcome,
    /// Answers outbound requests instead of `client` (benchmarks and tests only).
    upstream: Option<InMemoryUpstream>,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("config", &self.inner.config)
            .field("cache", &self.inner.cache)
            .finish_non_exhaustive()
    }
}

impl Host {
    /// Compiles `component_bytes` (or loads it from the cache), links it against the locked-down
    /// WASI imports and outbound HTTP, and starts the epoch ticker.
    ///
    /// Compiling takes a fraction of a second to a few seconds (milliseconds from the cache),
    /// on the calling thread: from async code, call it through `spawn_blocking` or at startup.
    pub fn load(component_bytes: &[u8], config: HostConfig) -> anyhow::Result<Host> {
        Self::load_inner(component_bytes, config, None)
    }

    /// Like [`Host::load`], but every outbound request the policy allows is answered by
    /// `upstream` in memory instead of going to the network.
    ///
    /// For benchmarks and tests: it measures the sandbox and the component without a socket
    /// (the in-process benchmarks compare it with the same Rust code called natively over an
    /// in-memory transport). Everything else (policy, limits, deadlines) works as in `load`.
    pub fn load_with_upstream(
        component_bytes: &[u8],
        config: HostConfig,
        upstream: InMemoryUpstream,
    ) -> anyhow::Result<Host> {
        Self::load_inner(component_bytes, config, Some(upstream))
    }

    fn load_inner(
        component_bytes: &[u8],
        config: HostConfig,
        upstream: Option<InMemoryUpstream>,
    ) -> anyhow::Result<Host> {
        let engine = engine::new_engine(PoolLimits {
            max_instances: config.max_concurrent_calls,
            memory_limit_bytes: config.memory_limit_bytes,
        })?;
        engine::start_epoch_ticker(&engine).context("cannot start the epoch ticker thread")?;
        let cache_dir = config.cache_dir.clone().unwrap_or_else(engine::default_cache_dir);
        let (component, cache) = engine::load_component(&engine, component_bytes, &cache_dir)?;

        let mut linker = Linker::<CallState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(anyhow::Error::from)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .map_err(anyhow::Error::from)?;
        link_http_error_code(&mut linker)?;
        let pre = linker
            .instantiate_pre(&component)
            .and_then(ModelProviderPre::new)
            .map_err(anyhow::Error::from)
            .context("the component does not fit the model-provider world")?;
        let client = HttpClient::new()?;
        Ok(Host { inner: Arc::new(Inner { pre, client, config, cache, upstream }) })
    }

    /// The configuration this host was loaded with.
    pub fn config(&self) -> &HostConfig {
        &self.inner.config
    }

    /// Whether the compiled component came from the cache.
    pub fn cache_outcome(&self) -> CacheOutcome {
        self.inner.cache
    }

    fn engine(&self) -> &Engine {
        self.inner.pre.engine()
    }

    /// The JSON Schema of the provider's settings.
    pub async fn settings_schema(&self) -> Result<String, ProviderError> {
        let mut call = self.instantiate(&Value::Null).await?;
        let guest = call.provider.ai_gateway_provider_provider();
        let outcome = call.budget.bounded(guest.call_settings_schema(&mut call.store)).await;
        call.settle(outcome.map(|r| r.map(Ok)))
    }

    /// Validates settings exactly as every call does (`client.open` in a fresh sandbox), with no
    /// network I/O: for readiness probes and for checking settings before switching to them.
    pub async fn validate_settings(&self, settings_json: &str) -> Result<(), ProviderError> {
        self.open(settings_json).await.map(|_| ())
    }

    /// Sends a chat request and waits for the whole answer.
    pub async fn generate(
        &self,
        settings_json: &str,
        request: GenerateRequest,
    ) -> Result<GenerateResponse, ProviderError> {
        let (mut call, client) = self.open(settings_json).await?;
        let guest = call.provider.ai_gateway_provider_provider().client();
        let outcome =
            call.budget.bounded(guest.call_generate(&mut call.store, client, &request)).await;
        call.settle(outcome)
    }

    /// Tests the configuration with a minimal request.
    pub async fn check(&self, settings_json: &str) -> Result<CheckReport, ProviderError> {
        let (mut call, client) = self.open(settings_json).await?;
        let guest = call.provider.ai_gateway_provider_provider().client();
        let outcome = call.budget.bounded(guest.call_check(&mut call.store, client)).await;
        call.settle(outcome)
    }

    /// Orders documents by relevance to a query.
    pub async fn rerank(
        &self,
        settings_json: &str,
        request: RerankRequest,
    ) -> Result<RerankResponse, ProviderError> {
        let (mut call, client) = self.open(settings_json).await?;
        let guest = call.provider.ai_gateway_provider_provider().client();
        let outcome =
            call.budget.bounded(guest.call_rerank(&mut call.store, client, &request)).await;
        call.settle(outcome)
    }

    /// Embeds texts (and images, where the model takes them); the embeddings come back in
    /// input order.
    pub async fn embed(
        &self,
        settings_json: &str,
        request: EmbedRequest,
    ) -> Result<EmbedResponse, ProviderError> {
        let (mut call, client) = self.open(settings_json).await?;
        let guest = call.provider.ai_gateway_provider_provider().client();
        let outcome =
            call.budget.bounded(guest.call_embed(&mut call.store, client, &request)).await;
        call.settle(outcome)
    }

    /// Counts the input tokens a chat request would use, without generating.
    pub async fn count_tokens(
        &self,
        settings_json: &str,
        request: GenerateRequest,
    ) -> Result<CountTokensResponse, ProviderError> {
        let (mut call, client) = self.open(settings_json).await?;
        let guest = call.provider.ai_gateway_provider_provider().client();
        let outcome =
            call.budget.bounded(guest.call_count_tokens(&mut call.store, client, &request)).await;
        call.settle(outcome)
    }

    /// Sends a chat request and returns the answer as a stream of parts. The call timeout
    /// covers the whole stream; dropping the stream ends the call and its HTTP request.
    pub async fn stream(
        &self,
        settings_json: &str,
        request: GenerateRequest,
    ) -> Result<ChatStream, ProviderError> {
        let (mut call, client) = self.open(settings_json).await?;
        let guest = call.provider.ai_gateway_provider_provider().client();
        let outcome =
            call.budget.bounded(guest.call_stream(&mut call.store, client, &request)).await;
        let stream = call.settle(outcome)?;
        Ok(ChatStream { call: Some(call), stream, buffered: VecDeque::new(), pulls: 0 })
    }

    /// Instantiates the component and opens a client with the settings.
    async fn open(&self, settings_json: &str) -> Result<(Call, ResourceAny), ProviderError> {
        let settings = serde_json::from_str::<Value>(settings_json).unwrap_or(Value::Null);
        let mut call = self.instantiate(&settings).await?;
        let guest = call.provider.ai_gateway_provider_provider().client();
        let outcome = call.budget.bounded(guest.call_open(&mut call.store, settings_json)).await;
        let client = call.settle(outcome)?;
        Ok((call, client))
    }

    /// A fresh store and instance for one call.
    async fn instantiate(&self, settings: &Value) -> Result<Call, ProviderError> {
        let config = &self.inner.config;
        let timeout = call_timeout(config.call_timeout, settings);
        let budget = Budget {
            deadline: Instant::now() + timeout,
            timeout,
            memory_limit: config.memory_limit_bytes,
        };
        let state = CallState {
            wasi: locked_down_wasi(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: OutboundHooks::new(
                self.inner.client.clone(),
                Policy::with_rules(settings, Rules { allow_base_urls: config.allow_base_urls }),
                config.max_response_bytes,
            )
            .with_upstream(self.inner.upstream.clone()),
            limiter: MemoryLimiter { limit: config.memory_limit_bytes, exceeded: false },
        };
        let mut store = Store::new(self.engine(), state);
        store.limiter(|state| &mut state.limiter);
        // Guest code checks the clock every tick and yields to the executor in between, so a
        // busy guest neither overruns its deadline nor starves other tasks on the thread.
        let deadline = budget.deadline;
        store.epoch_deadline_callback(move |_| {
            Ok(if Instant::now() >= deadline {
                UpdateDeadline::Interrupt
            } else {
                UpdateDeadline::Yield(1)
            })
        });
        store.set_epoch_deadline(if timeout < EPOCH_TICK * 2 { 0 } else { 1 });

        match budget.bounded(self.inner.pre.instantiate_async(&mut store)).await {
            Ok(Ok(provider)) => Ok(Call { store, provider, budget }),
            Ok(Err(e)) => Err(budget.failure(store.data().limiter.exceeded, &e)),
            Err(_) => Err(budget.timeout_error()),
        }
    }
}

/// Replaces `wasi:http/types.http-error-code` with [`outbound::http_error_code`], which also
/// recognises the errors a response body fails with (the body cap, the between-bytes timeout);
/// the stock function reports those to the guest as anonymous I/O errors.
fn link_http_error_code(linker: &mut Linker<CallState>) -> anyhow::Result<()> {
    linker.allow_shadowing(true);
    linker
        .instance(HTTP_TYPES)
        .and_then(|mut types| {
            types.func_wrap(
                "http-error-code",
                |store: StoreContextMut<'_, CallState>, (error,): (Resource<IoError>,)| {
                    let error = store.data().table.get(&error)?;
                    Ok((outbound::http_error_code(error),))
                },
            )
        })
        .map_err(anyhow::Error::from)
        .with_context(|| format!("cannot link {HTTP_TYPES}#http-error-code"))?;
    linker.allow_shadowing(false);
    Ok(())
}

/// The `wasi:http/types` instance the component imports (the version in `wit/deps`).
const HTTP_TYPES: &str = "wasi:http/types@0.2.12";

/// A streamed answer. Owns its sandbox: dropping it drops the instance and any HTTP body the
/// component was reading.
pub struct ChatStream {
    /// `None` once the stream ended, failed, or timed out.
    call: Option<Call>,
    stream: ResourceAny,
    /// Parts the component returned in one `next-batch` call and not handed out yet.
    buffered: VecDeque<StreamPart>,
    /// `next-batch` calls made so far; sets the next call's size (see [`batch_size`]).
    pulls: u32,
}

/// The most parts asked for in one `next-batch` call.
///
/// The component never waits for more upstream bytes to fill a batch, so the size only matters
/// when parts arrive together (a fast upstream, a 64 KiB read holding ~300 small frames): 64
/// then turns ~64 host -> guest calls (about 1 µs each) into one, and more would save little.
/// What a batch holds was decoded from bytes the component had already read, so its memory is
/// bounded by the read size, not by this number.
///
/// The size ramps up from 1 because a batch's first part waits for the rest of the batch to be
/// decoded (~2 µs per small frame): a whole short answer often arrives in one read, and asking
/// for 64 parts there would delay the first token by the decoding of the entire answer.
const BATCH_MAX: u32 = 64;

/// The size of the `pulls`-th `next-batch` call (from 0): 1 for `start` and for the first part
/// after it, then 2, 4, ... up to [`BATCH_MAX`].
fn batch_size(pulls: u32) -> u32 {
    (1u32 << pulls.saturating_sub(1).min(BATCH_MAX.trailing_zeros())).min(BATCH_MAX)
}

impl std::fmt::Debug for ChatStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatStream")
            .field("open", &self.call.is_some())
            .field("buffered", &self.buffered.len())
            .finish()
    }
}

impl ChatStream {
    /// The next part; `Ok(None)` at the end. After an error, or at the end, the sandbox is
    /// released and further calls return `Ok(None)`.
    ///
    /// Parts are pulled from the component with `next-batch` ([`batch_size`]: 1, 1, 2, 4, ...
    /// up to [`BATCH_MAX`] at a time, never waiting to fill a batch) and handed out one by one;
    /// the call deadline still applies to every part, buffered or not.
    pub async fn next(&mut self) -> Result<Option<StreamPart>, ProviderError> {
        let Some(call) = self.call.as_mut() else {
            return Ok(None);
        };
        if !self.buffered.is_empty() {
            if Instant::now() >= call.budget.deadline {
                let error = call.budget.timeout_error();
                self.release();
                return Err(error);
            }
            return Ok(self.buffered.pop_front());
        }
        let guest = call.provider.ai_gateway_provider_provider().chat_stream();
        let outcome = call
            .budget
            .bounded(guest.call_next_batch(&mut call.store, self.stream, batch_size(self.pulls)))
            .await;
        self.pulls = self.pulls.saturating_add(1);
        match call.settle(outcome) {
            Ok(parts) if !parts.is_empty() => {
                self.buffered.extend(parts);
                Ok(self.buffered.pop_front())
            }
            result => {
                self.release();
                result.map(|_| None)
            }
        }
    }

    /// Drops the sandbox (and the HTTP body it was reading) and anything still buffered.
    fn release(&mut self) {
        self.call = None;
        self.buffered.clear();
    }
}

/// The store data of one call.
struct CallState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: OutboundHooks,
    limiter: MemoryLimiter,
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for CallState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.hooks }
    }
}

/// No environment, arguments, preopened directories, sockets or name lookup; stdin closed and
/// stdout/stderr discarded. The component reaches the outside only through `wasi:http`.
fn locked_down_wasi() -> WasiCtx {
    WasiCtx::builder().allow_tcp(false).allow_udp(false).allow_ip_name_lookup(false).build()
}

/// Enforces the memory limit and remembers that it was hit, so the failure is reported as
/// such rather than as whatever the guest does when an allocation fails.
struct MemoryLimiter {
    limit: usize,
    exceeded: bool,
}

/// The error a refused memory growth traps with.
#[derive(Debug)]
struct MemoryLimitExceeded {
    desired: usize,
    limit: usize,
}

impl std::fmt::Display for MemoryLimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "memory growth to {} bytes exceeds the {}-byte limit", self.desired, self.limit)
    }
}

impl std::error::Error for MemoryLimitExceeded {}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.exceeded = true;
            return Err(wasmtime::Error::new(MemoryLimitExceeded { desired, limit: self.limit }));
        }
        Ok(maximum.is_none_or(|max| desired <= max))
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        Err(error)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(maximum.is_none_or(|max| desired <= max))
    }
}

/// One call's sandbox: its store and instance, and the limits it runs under.
struct Call {
    store: Store<CallState>,
    provider: ModelProvider,
    budget: Budget,
}

/// What `Call::bounded` produced: timed out, trapped, or the guest's own answer.
type Outcome<T> = Result<wasmtime::Result<Result<T, ProviderError>>, tokio::time::error::Elapsed>;

impl Call {
    /// The call's result, with traps and timeouts turned into provider errors.
    fn settle<T>(&self, outcome: Outcome<T>) -> Result<T, ProviderError> {
        match outcome {
            Ok(Ok(result)) => result,
            Ok(Err(e)) => Err(self.budget.failure(self.store.data().limiter.exceeded, &e)),
            Err(_) => Err(self.budget.timeout_error()),
        }
    }
}

/// The limits of one call, and the errors reported when one is hit.
#[derive(Debug, Clone, Copy)]
struct Budget {
    deadline: Instant,
    timeout: Duration,
    memory_limit: usize,
}

impl Budget {
    /// Runs `future` until the call's deadline (this covers time spent waiting on I/O, which
    /// epoch interruption cannot see).
    async fn bounded<F: Future>(
        &self,
        future: F,
    ) -> Result<F::Output, tokio::time::error::Elapsed> {
        tokio::time::timeout_at(self.deadline.into(), future).await
    }

    /// Classifies a trap or host failure. `memory_exceeded` is the limiter's record, which is
    /// authoritative even if the guest's reaction to the refused allocation is what trapped.
    fn failure(&self, memory_exceeded: bool, error: &wasmtime::Error) -> ProviderError {
        if memory_exceeded || error.is::<MemoryLimitExceeded>() {
            return self.memory_error();
        }
        let trap = error.downcast_ref::<Trap>();
        if matches!(trap, Some(Trap::Interrupt)) {
            return self.timeout_error();
        }
        if error.is::<wasmtime::PoolConcurrencyLimitError>() {
            return host_error(
                ErrorKind::ServiceUnavailable,
                "the gateway is running as many provider calls as it allows",
                "Every sandbox slot (`max_concurrent_calls`) is in use.",
                "Retry shortly, or raise the host's concurrent call limit.",
            )
            .retryable();
        }
        tracing::warn!(error = ?error, "the provider component failed");
        let (message, cause) = match trap {
            Some(trap) => (
                format!("the provider component crashed: {trap}"),
                "The component hit a fatal error (a trap), which is a bug in the component, \
                 not in the settings or the request.",
            ),
            None => (
                format!("the provider component failed: {}", error.root_cause()),
                "The host could not run the component.",
            ),
        };
        host_error(
            ErrorKind::Internal,
            &message,
            cause,
            "Retry; if it happens again, report it with the host's log (run with -v).",
        )
    }

    fn timeout_error(&self) -> ProviderError {
        host_error(
            ErrorKind::Timeout,
            &format!(
                "the provider component exceeded its {} s time limit",
                decimal(self.timeout.as_secs_f64())
            ),
            "The call, including every request it made, did not finish before the deadline.",
            "Retry; for long answers ask for fewer output tokens, or raise `timeouts.totalMs` \
             (up to the gateway's own call timeout).",
        )
        .with_field("timeouts.totalMs")
        .retryable()
    }

    fn memory_error(&self) -> ProviderError {
        host_error(
            ErrorKind::Internal,
            &format!(
                "the provider component exceeded its {} MiB memory limit",
                decimal(self.memory_limit as f64 / MIB as f64)
            ),
            "The request or its answer needed more memory than the sandbox allows; images, \
             documents and long conversations count in full.",
            "Send a smaller request (fewer or smaller images and documents, a shorter \
             conversation), or raise the host's memory limit.",
        )
    }
}

/// `300`, `0.05`: at most six decimals, no trailing zeros.
fn decimal(value: f64) -> String {
    let text = format!("{value:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// An error raised by the host rather than the component.
fn host_error(kind: ErrorKind, message: &str, cause: &str, solution: &str) -> ProviderError {
    ProviderError {
        kind,
        message: message.to_string(),
        cause: Some(cause.to_string()),
        solution: Some(solution.to_string()),
        status: None,
        code: None,
        request_id: None,
        retryable: false,
        retry_after_ms: None,
        field: None,
    }
}

trait ProviderErrorExt {
    fn retryable(self) -> Self;
    fn with_field(self, field: &str) -> Self;
}

impl ProviderErrorExt for ProviderError {
    fn retryable(mut self) -> Self {
        self.retryable = true;
        self
    }

    fn with_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_string());
        self
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::types::*;

    fn config() -> HostConfig {
        HostConfig {
            cache_dir: Some(std::env::temp_dir().join("bedrock-gateway-test-cache")),
            max_concurrent_calls: 64,
            ..HostConfig::default()
        }
    }

    fn host(config: HostConfig) -> Host {
        Host::load(crate::bundled_component(), config).unwrap()
    }

    /// Settings any version of the component accepts, pointing at a closed loopback port so
    /// that nothing leaves the machine.
    fn settings() -> String {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        serde_json::json!({
            "region": "us-east-1",
            "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
            "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "baseUrl": format!("http://127.0.0.1:{port}"),
            "languageModel": "amazon-bedrock|amazon.nova-lite-v1:0",
        })
        .to_string()
    }

    fn request(prompt: String) -> GenerateRequest {
        GenerateRequest {
            model: None,
            messages: vec![
                Message {
                    role: Role::System,
                    content: vec![ContentPart::Text("Be brief.".into())],
                },
                Message { role: Role::User, content: vec![ContentPart::Text(prompt)] },
            ],
            settings: InferenceSettings {
                max_tokens: Some(16),
                temperature: Some(0.5),
                top_p: None,
                stop_sequences: vec!["END".into()],
                reasoning_budget: None,
                reasoning_effort: None,
            },
            tools: vec![ToolDefinition {
                name: "get_weather".into(),
                description: Some("Weather by city".into()),
                input_schema_json: r#"{"type":"object"}"#.into(),
                cache_point: None,
            }],
            tool_choice: Some(ToolChoice::Tool("get_weather".into())),
            guardrail: None,
            response_format: None,
            provider_options: Some("{}".into()),
        }
    }

    /// The error was produced by the component (lifted through the boundary), not by the host.
    /// The stub client answers `unsupported`; the real one, without a server, `network`.
    fn assert_from_component(e: &ProviderError) {
        assert!(
            matches!(e.kind, ErrorKind::Unsupported | ErrorKind::Network),
            "not the component's own error: {e:?}"
        );
        assert!(!e.message.is_empty());
        assert!(!e.message.contains("provider component"), "{e:?}");
    }

    #[tokio::test]
    async fn settings_schema_is_a_json_object() {
        let schema = host(config()).settings_schema().await.unwrap();
        let value: Value = serde_json::from_str(&schema).unwrap();
        assert!(value.is_object(), "{schema}");
    }

    #[tokio::test]
    async fn every_operation_returns_the_components_errors() {
        let host = host(config());
        let settings = settings();
        let started = Instant::now();
        let e = host.generate(&settings, request("Hello".into())).await.unwrap_err();
        eprintln!("instantiate + open + generate: {:?}", started.elapsed());
        assert_from_component(&e);
        assert_from_component(&host.check(&settings).await.unwrap_err());
        assert_from_component(&host.stream(&settings, request("Hi".into())).await.unwrap_err());
        let rerank = RerankRequest {
            model: Some("amazon-bedrock|cohere.rerank-v3-5:0".into()),
            query: "capital".into(),
            documents: vec![
                RerankDocument::Text("Paris".into()),
                RerankDocument::Json("{}".into()),
            ],
            top_n: Some(1),
            provider_options: None,
        };
        assert_from_component(&host.rerank(&settings, rerank).await.unwrap_err());

        // Warm calls: a fresh instance each time, from the pool.
        let started = Instant::now();
        for _ in 0..20 {
            assert_from_component(
                &host.generate(&settings, request("Hi".into())).await.unwrap_err(),
            );
        }
        eprintln!("warm instantiate + open + generate: {:?} per call", started.elapsed() / 20);
    }

    /// What the recording upstream saw: URI, `authorization`, body.
    type Seen = Arc<std::sync::Mutex<Vec<(String, String, Vec<u8>)>>>;

    /// An in-memory upstream answering Converse with the spec's §15.1 text fixture and
    /// recording what it was sent.
    fn recording_upstream(seen: Seen) -> InMemoryUpstream {
        Arc::new(move |parts: &http::request::Parts, body: &[u8]| {
            let authorization = parts
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            seen.lock().unwrap().push((parts.uri.to_string(), authorization, body.to_vec()));
            http::Response::builder()
                .header("content-type", "application/json")
                .header("x-amzn-requestid", "req-1")
                .body(bytes::Bytes::from_static(crate::bench::CONVERSE_TEXT_FIXTURE.as_bytes()))
                .unwrap()
        })
    }

    #[tokio::test]
    async fn in_memory_upstream_answers_instead_of_the_network() {
        let seen = Seen::default();
        let host = Host::load_with_upstream(
            crate::bundled_component(),
            config(),
            recording_upstream(seen.clone()),
        )
        .unwrap();
        // No baseUrl: the request goes to the real regional endpoint, which the policy allows
        // and the upstream answers without any network.
        let settings = serde_json::json!({
            "region": "us-east-1",
            "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
            "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "languageModel": "amazon-bedrock|amazon.nova-lite-v1:0",
        })
        .to_string();
        let answer = host.generate(&settings, request("Hello".into())).await.unwrap();
        assert!(answer.text.starts_with("Let me count the \"r\"s"), "{}", answer.text);
        assert_eq!(answer.usage.total_tokens, 79);
        assert_eq!(answer.metadata.request_id.as_deref(), Some("req-1"));

        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        let (uri, authorization, body) = &seen[0];
        assert_eq!(
            uri,
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.nova-lite-v1%3A0/converse"
        );
        assert!(authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/"));
        let body: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(body.pointer("/messages/0/content/0/text"), Some(&Value::from("Hello")));
    }

    /// An in-memory upstream answering ConverseStream with the recorded TV-4 body.
    fn stream_upstream() -> InMemoryUpstream {
        Arc::new(|_: &http::request::Parts, _: &[u8]| {
            http::Response::builder()
                .header("content-type", "application/vnd.amazon.eventstream")
                .header("x-amzn-requestid", "req-2")
                .body(crate::bench::converse_stream_fixture())
                .unwrap()
        })
    }

    fn stream_settings() -> String {
        serde_json::json!({
            "region": "us-east-1",
            "apiKey": "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl",
            "languageModel": "amazon-bedrock|amazon.nova-lite-v1:0",
        })
        .to_string()
    }

    #[tokio::test]
    async fn stream_parts_come_in_batches_and_one_at_a_time() {
        let host =
            Host::load_with_upstream(crate::bundled_component(), config(), stream_upstream())
                .unwrap();
        let mut stream = host.stream(&stream_settings(), request("Hi".into())).await.unwrap();
        let Some(StreamPart::Start(metadata)) = stream.next().await.unwrap() else {
            panic!("the first part is `start`");
        };
        assert_eq!(metadata.request_id.as_deref(), Some("req-2"));
        assert!(stream.buffered.is_empty(), "`start` comes alone: no body was read for it");
        let Some(StreamPart::TextDelta(delta)) = stream.next().await.unwrap() else {
            panic!("then the text");
        };
        assert_eq!(delta.text, "OK");
        // The whole recording arrived in one read, but the first text comes alone: the rest is
        // decoded by later, larger batches.
        assert!(stream.buffered.is_empty(), "{:?}", stream.buffered);
        let Some(StreamPart::TextDelta(delta)) = stream.next().await.unwrap() else {
            panic!("then more text");
        };
        assert_eq!(delta.text, ".");
        assert_eq!(stream.buffered.len(), 1, "a batch of 2: {:?}", stream.buffered);
        let mut rest = Vec::new();
        while let Some(part) = stream.next().await.unwrap() {
            rest.push(part);
        }
        assert!(matches!(&rest[0], StreamPart::Finish(f) if f.raw == "end_turn"), "{rest:?}");
        assert!(matches!(&rest[1], StreamPart::Usage(u) if u.total_tokens == 17), "{rest:?}");
        assert_eq!(rest.len(), 2);
        assert!(stream.call.is_none(), "the sandbox is released at the end");
        assert!(stream.next().await.unwrap().is_none());
    }

    #[test]
    fn batches_ramp_up_to_the_maximum() {
        let sizes: Vec<u32> = (0..10).map(batch_size).collect();
        assert_eq!(sizes, [1, 1, 2, 4, 8, 16, 32, 64, 64, 64]);
        assert_eq!(batch_size(u32::MAX), BATCH_MAX);
    }

    #[tokio::test]
    async fn the_call_deadline_covers_buffered_parts() {
        let host =
            Host::load_with_upstream(crate::bundled_component(), config(), stream_upstream())
                .unwrap();
        let mut stream = host.stream(&stream_settings(), request("Hi".into())).await.unwrap();
        for _ in 0..3 {
            stream.next().await.unwrap();
        }
        assert!(!stream.buffered.is_empty());
        stream.call.as_mut().unwrap().budget.deadline = Instant::now();
        let e = stream.next().await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Timeout, "{e:?}");
        assert!(stream.call.is_none() && stream.buffered.is_empty(), "{stream:?}");
        assert!(stream.next().await.unwrap().is_none(), "a failed stream stays closed");
    }

    #[tokio::test]
    async fn in_memory_upstream_answers_are_capped() {
        let seen = Seen::default();
        let config = HostConfig { max_response_bytes: 100, ..config() };
        let host =
            Host::load_with_upstream(crate::bundled_component(), config, recording_upstream(seen))
                .unwrap();
        let settings = serde_json::json!({
            "region": "us-east-1",
            "apiKey": "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl",
            "languageModel": "amazon-bedrock|amazon.nova-lite-v1:0",
            "maxAttempts": 1,
        })
        .to_string();
        let e = host.generate(&settings, request("Hello".into())).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidResponse, "{e:?}");
        assert!(e.message.contains("larger than the gateway host allows"), "{}", e.message);
    }

    #[tokio::test]
    async fn memory_limit_is_reported_and_the_host_recovers() {
        let host = host(HostConfig { memory_limit_bytes: 4 * MIB, ..config() });
        let settings = settings();
        // Lowering the request copies the prompt into guest memory, past the limit.
        let e = host.generate(&settings, request("x".repeat(8 * MIB))).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Internal, "{e:?}");
        assert_eq!(e.message, "the provider component exceeded its 4 MiB memory limit");
        assert!(!e.retryable);
        // The next call gets a fresh sandbox and works as usual.
        assert_from_component(&host.generate(&settings, request("Hi".into())).await.unwrap_err());
    }

    #[tokio::test]
    async fn call_timeout_is_reported() {
        let host = host(HostConfig { call_timeout: Duration::from_micros(1), ..config() });
        let e = host.generate(&settings(), request("Hi".into())).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Timeout, "{e:?}");
        assert_eq!(e.message, "the provider component exceeded its 0.000001 s time limit");
        assert_eq!(e.field.as_deref(), Some("timeouts.totalMs"));
        assert!(e.retryable);
        let e = host.settings_schema().await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Timeout, "{e:?}");
    }

    #[test]
    fn settings_can_only_shorten_the_call_timeout() {
        let limit = Duration::from_secs(300);
        let json = |v| serde_json::json!({"timeouts": {"totalMs": v}});
        assert_eq!(call_timeout(limit, &json(1)), Duration::from_millis(1));
        assert_eq!(call_timeout(limit, &json(10_000_000)), limit);
        assert_eq!(call_timeout(limit, &json(0)), limit, "0 is not a deadline");
        assert_eq!(call_timeout(limit, &serde_json::json!({})), limit);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_calls_each_get_a_sandbox() {
        let host = host(config());
        let settings = settings();
        let calls: Vec<_> = (0..32)
            .map(|i| {
                let (host, settings) = (host.clone(), settings.clone());
                tokio::spawn(
                    async move { host.generate(&settings, request(format!("n{i}"))).await },
                )
            })
            .collect();
        for call in calls {
            assert_from_component(&call.await.unwrap().unwrap_err());
        }
    }

    #[test]
    fn handles_can_cross_threads() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        fn assert_send<T: Send + 'static>() {}
        assert_send_sync::<Host>();
        assert_send::<ChatStream>();
    }

    #[test]
    fn host_errors_have_operator_text() {
        let budget = Budget {
            deadline: Instant::now(),
            timeout: Duration::from_secs(300),
            memory_limit: 64 * MIB,
        };
        let e = budget.timeout_error();
        assert_eq!(e.message, "the provider component exceeded its 300 s time limit");
        assert!(e.cause.is_some() && e.solution.is_some());
        let e = budget.memory_error();
        assert_eq!(e.message, "the provider component exceeded its 64 MiB memory limit");

        let trap = wasmtime::Error::from(Trap::UnreachableCodeReached);
        let e = budget.failure(false, &trap);
        assert_eq!(e.kind, ErrorKind::Internal);
        assert!(e.message.starts_with("the provider component crashed: "), "{}", e.message);
        assert_eq!(
            budget.failure(false, &wasmtime::Error::from(Trap::Interrupt)).kind,
            ErrorKind::Timeout
        );
        // The limiter's record wins over whatever trap the guest raised afterwards.
        assert_eq!(budget.failure(true, &trap).message, budget.memory_error().message);
    }
}

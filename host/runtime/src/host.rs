//! [`Host`]: a provider component loaded once, run per call in a fresh sandbox.
//!
//! [`Host::load`] compiles (or loads from the cache) the component, checks its contract version
//! and reads its manifest, and pre-links it. Each call then gets a new `Store`: nothing is
//! shared between calls or tenants except the compiled code and the pooled HTTP client. With
//! [`HostConfig::reuse`], an operator lets calls with byte-identical settings share an instance
//! ([`crate::reuse`]); calls with other settings never do. A store
//! carries a memory limit, a wall-clock deadline (epoch interruption for guest code, a tokio
//! timeout for the whole call, I/O included), and the outbound policy the manifest gives for
//! that call's settings. Traps and host failures come back as a [`ProviderError`] like any other
//! failure, so callers handle a single error type.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::Value;
use wasmtime::component::{Linker, ResourceAny, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi_http::WasiHttpCtx;

use crate::bindings::ModelProviderPre;
use crate::contract;
use crate::engine::{self, CacheOutcome, PoolLimits};
use crate::limits::{self, OutboundLimits};
use crate::manifest::Manifest;
#[cfg(feature = "testing")]
use crate::outbound::InMemoryUpstream;
use crate::outbound::{HttpClient, OutboundHooks};
use crate::policy::{Policy, Rules};
use crate::reuse::{self, IdlePool, InstanceReuse};
use crate::sandbox::{self, Budget, Call, CallState, HostBytes, MIB, MemoryLimiter};
use crate::stream::ChatStream;
use crate::types::{
    CheckReport, CountTokensResponse, EmbedRequest, EmbedResponse, GenerateRequest,
    GenerateResponse, ProviderError, RerankRequest, RerankResponse,
};

/// Limits, locations and outbound rules for a [`Host`]: the operator's choices.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// The most linear memory one call's instance may use. Default 64 MiB.
    pub memory_limit_bytes: usize,
    /// Wall-clock limit for a whole call (for a stream: from `stream` to its last part).
    /// Default 300 s. This is the operator's hard limit; a provider may enforce shorter
    /// deadlines of its own from the tenant's settings.
    pub call_timeout: Duration,
    /// The largest response body the component may receive. Default 32 MiB.
    pub max_response_bytes: u64,
    /// Where the compiled component is cached; `None` means [`engine::default_cache_dir`].
    pub cache_dir: Option<PathBuf>,
    /// Calls (and open streams) that may run at the same time; sizes the instance pool.
    /// Default 1000.
    pub max_concurrent_calls: u32,
    /// Whether the manifest's `originSettings` (a tenant's base URLs) may send requests (and
    /// the credentials signing them) somewhere other than the provider's own endpoints.
    /// Default true; turn it off when tenants are not trusted to pick the destination: their
    /// base URLs are then refused (`denied-by-host`) and only the manifest's templated origins
    /// are reachable.
    pub allow_base_urls: bool,
    /// Origins every call may reach in addition to the manifest's (e.g. an egress proxy).
    pub extra_origins: Vec<String>,
    /// Replaces the manifest the component ships with (an operator's reviewed copy);
    /// `None` uses the component's own.
    pub manifest: Option<Manifest>,
    /// Host resources (header maps, HTTP requests and bodies, streams, pollables: entries of
    /// the call's resource table) one call may hold at once. They live in host memory, outside
    /// the memory limit; past the cap the call fails (`internal`, code
    /// `host-resource-limit`). Default 1000.
    pub max_host_resources: usize,
    /// Bytes one call may copy into host-side header maps and request targets, counted as
    /// they are built. Past it the call fails (`internal`, code `host-memory-limit`).
    /// Default 16 MiB.
    pub max_host_bytes: usize,
    /// Outbound requests one call may start, retries included; more fail with the wasi:http
    /// error `internal-error` naming the cap. Default 10 000.
    pub max_outbound_requests: u32,
    /// Outbound requests (and so connections) one call may have in flight at once, from
    /// `handle` until the response body ends or is dropped; more fail at once with
    /// `connection-limit-reached`. Default 16.
    pub max_outbound_connections: u32,
    /// The largest outbound request body: a larger declared `content-length` is refused before
    /// sending, a streamed body once it crosses the cap (`HTTP-request-body-size`).
    /// Default 32 MiB.
    pub max_request_body_bytes: u64,
    /// Whether calls with byte-identical settings may reuse an instance (and its opened
    /// client), within the bounds given; `None` (the default) gives every call a fresh one.
    /// Calls whose settings differ in any byte never share an instance; an instance is
    /// discarded after any error, trap or cap hit ([`crate::reuse`]); a stream's instance is
    /// kept only when the stream ended cleanly (read to its end, no error). Idle instances
    /// take pool slots beyond `max_concurrent_calls`.
    pub reuse: Option<InstanceReuse>,
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
            extra_origins: Vec::new(),
            manifest: None,
            max_host_resources: limits::DEFAULT_MAX_HOST_RESOURCES,
            max_host_bytes: limits::DEFAULT_MAX_HOST_BYTES,
            max_outbound_requests: limits::DEFAULT_MAX_OUTBOUND_REQUESTS,
            max_outbound_connections: limits::DEFAULT_MAX_OUTBOUND_CONNECTIONS,
            max_request_body_bytes: limits::DEFAULT_MAX_REQUEST_BODY_BYTES,
            reuse: None,
        }
    }
}

/// A loaded provider component, ready to serve calls. Cheap to clone; clones share the
/// compiled component, the engine and the HTTP connection pool.
#[derive(Clone)]
pub struct Host {
    inner: Arc<Inner>,
}

struct Inner {
    pre: ModelProviderPre<CallState>,
    client: HttpClient,
    config: HostConfig,
    cache: CacheOutcome,
    manifest: Manifest,
    rules: Rules,
    /// Instances kept for calls with the same settings (reuse on).
    idle: Option<IdlePool<Kept>>,
    /// Answers outbound requests instead of `client` (tests and benchmarks only).
    #[cfg(feature = "testing")]
    upstream: Option<InMemoryUpstream>,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("config", &self.inner.config)
            .field("cache", &self.inner.cache)
            .field("manifest", &self.inner.manifest)
            .finish_non_exhaustive()
    }
}

impl Host {
    /// Compiles `component_bytes` (or loads it from the cache), checks that it implements a
    /// compatible contract version ([`contract`]), reads its manifest (or takes the operator's,
    /// [`HostConfig::manifest`]), links it against the locked-down WASI imports and outbound
    /// HTTP, and starts the epoch ticker.
    ///
    /// Compiling takes a fraction of a second to a few seconds (milliseconds from the cache),
    /// on the calling thread: from async code, call it through `spawn_blocking` or at startup.
    pub fn load(component_bytes: &[u8], config: HostConfig) -> anyhow::Result<Host> {
        Self::load_inner(component_bytes, config, None)
    }

    /// Like [`Host::load`], but every outbound request the policy allows is answered by
    /// `upstream` in memory instead of going to the network (feature `testing`).
    ///
    /// For benchmarks and tests: it measures the sandbox and the component without a socket
    /// (the in-process benchmarks compare it with the same Rust code called natively over an
    /// in-memory transport). Everything else (policy, limits, deadlines) works as in `load`.
    #[cfg(feature = "testing")]
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
        #[cfg(feature = "testing")] upstream: Option<InMemoryUpstream>,
        #[cfg(not(feature = "testing"))] _upstream: Option<std::convert::Infallible>,
    ) -> anyhow::Result<Host> {
        let manifest = match &config.manifest {
            Some(manifest) => manifest.clone(),
            None => Manifest::from_component(component_bytes)?.ok_or_else(|| {
                anyhow::anyhow!(
                    "the component carries no provider manifest (custom section `{}`): build it \
                     with build-support, or give the host the manifest to use",
                    crate::manifest::SECTION
                )
            })?,
        };
        // Idle instances hold pool slots, so the pool has room for them beside the calls.
        let kept = config.reuse.map_or(0, |r| r.max_idle);
        let engine = engine::new_engine(PoolLimits {
            max_instances: config.max_concurrent_calls.saturating_add(kept),
            memory_limit_bytes: config.memory_limit_bytes,
        })?;
        engine::start_epoch_ticker(&engine).context("cannot start the epoch ticker thread")?;
        let cache_dir = config.cache_dir.clone().unwrap_or_else(engine::default_cache_dir);
        let (component, cache) = engine::load_component(&engine, component_bytes, &cache_dir)?;
        let exports = component.component_type();
        contract::check_exports(exports.exports(&engine).map(|(name, _)| name))
            .map_err(anyhow::Error::msg)?;

        let mut linker = Linker::<CallState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(anyhow::Error::from)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .map_err(anyhow::Error::from)?;
        sandbox::link_http_error_code(&mut linker)?;
        sandbox::link_host_bytes_accounting(&mut linker)?;
        sandbox::link_request_options_drop(&mut linker)?;
        let pre = linker
            .instantiate_pre(&component)
            .and_then(ModelProviderPre::new)
            .map_err(anyhow::Error::from)
            .context("the component does not fit the model-provider world")?;
        let client = HttpClient::new()?;
        let rules = Rules {
            allow_base_urls: config.allow_base_urls,
            extra_origins: config.extra_origins.clone(),
        };
        let idle = config.reuse.map(IdlePool::new);
        Ok(Host {
            inner: Arc::new(Inner {
                pre,
                client,
                config,
                cache,
                manifest,
                rules,
                idle,
                #[cfg(feature = "testing")]
                upstream,
            }),
        })
    }

    /// The configuration this host was loaded with.
    pub fn config(&self) -> &HostConfig {
        &self.inner.config
    }

    /// The manifest whose origins this host enforces (the component's, or the operator's).
    pub fn manifest(&self) -> &Manifest {
        &self.inner.manifest
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
        let mut lease = self.lease(settings_json).await?;
        let (call, client) = (&mut lease.call, lease.client);
        let guest = call.provider.ai_gateway_provider_provider().client();
        let outcome =
            call.budget.bounded(guest.call_generate(&mut call.store, client, &request)).await;
        let result = call.settle(outcome);
        self.release(lease, result.is_ok());
        result
    }

    /// Answers the setup checklist for every configured model (rows with their fixes), then
    /// makes one live call per model.
    pub async fn check(&self, settings_json: &str) -> Result<CheckReport, ProviderError> {
        let mut lease = self.lease(settings_json).await?;
        let (call, client) = (&mut lease.call, lease.client);
        let guest = call.provider.ai_gateway_provider_provider().client();
        let outcome = call.budget.bounded(guest.call_check(&mut call.store, client)).await;
        let result = call.settle(outcome);
        self.release(lease, result.is_ok());
        result
    }

    /// Orders documents by relevance to a query.
    pub async fn rerank(
        &self,
        settings_json: &str,
        request: RerankRequest,
    ) -> Result<RerankResponse, ProviderError> {
        let mut lease = self.lease(settings_json).await?;
        let (call, client) = (&mut lease.call, lease.client);
        let guest = call.provider.ai_gateway_provider_provider().client();
        let outcome =
            call.budget.bounded(guest.call_rerank(&mut call.store, client, &request)).await;
        let result = call.settle(outcome);
        self.release(lease, result.is_ok());
        result
    }

    /// Embeds texts (and images, where the model takes them); the embeddings come back in
    /// input order.
    pub async fn embed(
        &self,
        settings_json: &str,
        request: EmbedRequest,
    ) -> Result<EmbedResponse, ProviderError> {
        let mut lease = self.lease(settings_json).await?;
        let (call, client) = (&mut lease.call, lease.client);
        let guest = call.provider.ai_gateway_provider_provider().client();
        let outcome =
            call.budget.bounded(guest.call_embed(&mut call.store, client, &request)).await;
        let result = call.settle(outcome);
        self.release(lease, result.is_ok());
        result
    }

    /// Counts the input tokens a chat request would use, without generating.
    pub async fn count_tokens(
        &self,
        settings_json: &str,
        request: GenerateRequest,
    ) -> Result<CountTokensResponse, ProviderError> {
        let mut lease = self.lease(settings_json).await?;
        let (call, client) = (&mut lease.call, lease.client);
        let guest = call.provider.ai_gateway_provider_provider().client();
        let outcome =
            call.budget.bounded(guest.call_count_tokens(&mut call.store, client, &request)).await;
        let result = call.settle(outcome);
        self.release(lease, result.is_ok());
        result
    }

    /// Sends a chat request and returns the answer as a stream of parts. The call timeout
    /// covers the whole stream; dropping the stream ends the call and its HTTP request.
    pub async fn stream(
        &self,
        settings_json: &str,
        request: GenerateRequest,
    ) -> Result<ChatStream, ProviderError> {
        let mut lease = self.lease(settings_json).await?;
        let (call, client) = (&mut lease.call, lease.client);
        let guest = call.provider.ai_gateway_provider_provider().client();
        let outcome =
            call.budget.bounded(guest.call_stream(&mut call.store, client, &request)).await;
        // A failed start drops the instance with the lease.
        let stream = call.settle(outcome)?;
        // With reuse on, a stream that ends cleanly hands its instance back (`ChatStream`).
        let back = lease.settings.take().map(|settings| StreamLease {
            host: self.clone(),
            client: lease.client,
            calls_served: lease.calls_served,
            settings,
        });
        Ok(ChatStream::new(lease.call, stream, back))
    }

    /// Keeps the instance of a stream that ended cleanly (its stream resource dropped) for the
    /// next call with the same settings, under the same rules as any call.
    pub(crate) fn release_stream(&self, call: Call, back: StreamLease) {
        let lease = Lease {
            call,
            client: back.client,
            calls_served: back.calls_served,
            settings: Some(back.settings),
        };
        self.release(lease, true);
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

    /// An instance with a client opened on `settings_json` for one call: an idle one kept
    /// for exactly these settings when reuse is on and one may be taken, else a fresh one.
    async fn lease(&self, settings_json: &str) -> Result<Lease, ProviderError> {
        if let Some(idle) = &self.inner.idle
            && let Some((mut kept, calls_served)) = idle.take(settings_json, Instant::now())
        {
            kept.call.renew(self.inner.config.call_timeout);
            return Ok(Lease {
                call: kept.call,
                client: kept.client,
                calls_served,
                settings: Some(kept.settings),
            });
        }
        let (call, client) = self.open(settings_json).await?;
        let settings = self.inner.idle.as_ref().map(|_| Arc::from(settings_json));
        Ok(Lease { call, client, calls_served: 0, settings })
    }

    /// Ends a leased call: keeps the instance for the next call with the same settings when
    /// [`reuse::after_call`] allows it, else drops it.
    fn release(&self, mut lease: Lease, answered: bool) {
        let (Some(idle), Some(settings)) = (&self.inner.idle, lease.settings.take()) else {
            return;
        };
        let calls_served = lease.calls_served.saturating_add(1);
        let end = lease.call.end(answered);
        match reuse::after_call(Some(idle.reuse()), calls_served, end) {
            Ok(()) => {
                let kept =
                    Kept { call: lease.call, client: lease.client, settings: settings.clone() };
                idle.put(settings, kept, calls_served, Instant::now());
            }
            Err(why) => tracing::debug!(?why, calls_served, "instance not reused"),
        }
    }

    /// Instances kept idle for reuse right now (0 when reuse is off).
    pub fn idle_instances(&self) -> usize {
        self.inner.idle.as_ref().map_or(0, IdlePool::len)
    }

    /// Drops every instance kept for reuse, e.g. after the settings were replaced, so the old
    /// settings (and their secrets) leave memory at once instead of at the idle timeout.
    pub fn drop_idle_instances(&self) {
        if let Some(idle) = &self.inner.idle {
            idle.clear();
        }
    }

    /// A fresh store and instance for one call.
    async fn instantiate(&self, settings: &Value) -> Result<Call, ProviderError> {
        let config = &self.inner.config;
        let timeout = config.call_timeout;
        let budget = Budget {
            deadline: Instant::now() + timeout,
            timeout,
            memory_limit: config.memory_limit_bytes,
            max_host_resources: config.max_host_resources,
            max_host_bytes: config.max_host_bytes,
        };
        let mut table = ResourceTable::new();
        table.set_max_capacity(config.max_host_resources);
        let state = CallState {
            wasi: sandbox::locked_down_wasi(),
            http: WasiHttpCtx::new(),
            table,
            hooks: self.hooks(Policy::for_call(&self.inner.manifest, settings, &self.inner.rules)),
            limiter: MemoryLimiter { limit: config.memory_limit_bytes, exceeded: false },
            host_bytes: HostBytes { used: 0, limit: config.max_host_bytes, exceeded: false },
        };
        let mut store = Store::new(self.engine(), state);
        store.limiter(|state| &mut state.limiter);
        sandbox::arm_deadline(&mut store, budget.deadline, timeout);

        match budget.bounded(self.inner.pre.instantiate_async(&mut store)).await {
            Ok(Ok(provider)) => Ok(Call { store, provider, budget }),
            Ok(Err(e)) => Err(budget.failure(sandbox::Exceeded::of(store.data()), &e)),
            Err(_) => Err(budget.timeout_error()),
        }
    }

    /// The outbound hooks of one call: the shared client, this call's policy, the body caps
    /// and the per-call request caps.
    fn hooks(&self, policy: Policy) -> OutboundHooks {
        let config = &self.inner.config;
        let hooks =
            OutboundHooks::new(self.inner.client.clone(), policy, config.max_response_bytes)
                .with_limits(OutboundLimits {
                    max_requests: config.max_outbound_requests,
                    max_in_flight: config.max_outbound_connections,
                    max_request_body_bytes: config.max_request_body_bytes,
                });
        #[cfg(feature = "testing")]
        let hooks = hooks.with_upstream(self.inner.upstream.clone());
        hooks
    }
}

/// What a stream needs to hand its instance back when it ends cleanly (reuse on).
pub(crate) struct StreamLease {
    host: Host,
    client: ResourceAny,
    calls_served: u32,
    settings: Arc<str>,
}

impl StreamLease {
    /// The host the instance goes back to.
    pub(crate) fn host(&self) -> &Host {
        &self.host
    }
}

/// An instance with an opened client, lent to one call.
struct Lease {
    call: Call,
    client: ResourceAny,
    /// Calls the instance served before this one.
    calls_served: u32,
    /// The settings it was opened with, when reuse is on (the key it may be kept under).
    settings: Option<Arc<str>>,
}

/// An instance kept idle for the next call with the same settings.
struct Kept {
    call: Call,
    client: ResourceAny,
    settings: Arc<str>,
}

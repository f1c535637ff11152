//! One call's sandbox: its store data (an empty WASI context, the HTTP hooks, the memory
//! limiter), its limits, and how traps, timeouts and limit hits become provider errors.

use std::time::{Duration, Instant};

use anyhow::Context;
use wasmtime::component::{Linker, Resource, ResourceTable, ResourceTableError};
use wasmtime::{ResourceLimiter, Store, StoreContextMut, Trap, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::http::types::{
    self as http_types, HostFields, HostOutgoingRequest, IoError,
};
use wasmtime_wasi_http::{FieldMap, WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::bindings::ModelProvider;
use crate::engine::EPOCH_TICK;
use crate::limits::{self, HostLimit};
use crate::outbound::{self, OutboundHooks};
use crate::reuse::CallEnd;
use crate::types::{ErrorKind, ProviderError};

/// One mebibyte.
pub(crate) const MIB: usize = 1024 * 1024;

pub(crate) struct CallState {
    pub(crate) wasi: WasiCtx,
    pub(crate) http: WasiHttpCtx,
    pub(crate) table: ResourceTable,
    pub(crate) hooks: OutboundHooks,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) host_bytes: HostBytes,
}

/// The bytes a call has made the host copy into header maps and request targets, against its
/// cap ([`crate::HostConfig::max_host_bytes`]).
pub(crate) struct HostBytes {
    pub(crate) used: usize,
    pub(crate) limit: usize,
    /// Set when the cap refused a copy, so the failure is reported as such.
    pub(crate) exceeded: bool,
}

impl CallState {
    /// Counts `bytes` against the host-bytes cap, or fails the call (a trap) when they would
    /// pass it. Charged before the copy is made, so the refused bytes never reach host memory.
    fn charge(&mut self, bytes: usize) -> wasmtime::Result<()> {
        match limits::charge(self.host_bytes.used, bytes, self.host_bytes.limit) {
            Some(total) => {
                self.host_bytes.used = total;
                Ok(())
            }
            None => {
                self.host_bytes.exceeded = true;
                Err(wasmtime::Error::new(HostLimit::HostBytes { limit: self.host_bytes.limit }))
            }
        }
    }
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
pub(crate) fn locked_down_wasi() -> WasiCtx {
    WasiCtx::builder().allow_tcp(false).allow_udp(false).allow_ip_name_lookup(false).build()
}

/// Enforces the memory limit and remembers that it was hit, so the failure is reported as
/// such rather than as whatever the guest does when an allocation fails.
pub(crate) struct MemoryLimiter {
    pub(crate) limit: usize,
    pub(crate) exceeded: bool,
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
pub(crate) struct Call {
    pub(crate) store: Store<CallState>,
    pub(crate) provider: ModelProvider,
    pub(crate) budget: Budget,
}

/// What `Call::bounded` produced: timed out, trapped, or the guest's own answer.
pub(crate) type Outcome<T> =
    Result<wasmtime::Result<Result<T, ProviderError>>, tokio::time::error::Elapsed>;

/// Arms the epoch deadline of the call that runs next in `store`: guest code checks the clock
/// every tick and yields to the executor in between, so a busy guest neither overruns its
/// deadline nor starves other tasks on the thread.
pub(crate) fn arm_deadline(store: &mut Store<CallState>, deadline: Instant, timeout: Duration) {
    store.epoch_deadline_callback(move |_| {
        Ok(if Instant::now() >= deadline {
            UpdateDeadline::Interrupt
        } else {
            UpdateDeadline::Yield(1)
        })
    });
    store.set_epoch_deadline(if timeout < EPOCH_TICK * 2 { 0 } else { 1 });
}

impl Call {
    /// Prepares a kept instance for its next call: a new deadline `timeout` from now, and the
    /// per-call counters (host bytes, outbound requests started and in flight, caps hit) back
    /// at zero, so every call gets its whole budget and no more.
    pub(crate) fn renew(&mut self, timeout: Duration) {
        self.budget.deadline = Instant::now() + timeout;
        arm_deadline(&mut self.store, self.budget.deadline, timeout);
        let state = self.store.data_mut();
        state.host_bytes.used = 0;
        state.hooks.renew();
    }

    /// What the call that just finished left behind, for the reuse decision.
    pub(crate) fn end(&mut self, answered: bool) -> CallEnd {
        let state = self.store.data_mut();
        CallEnd {
            answered,
            limit_hit: state.limiter.exceeded
                || state.host_bytes.exceeded
                || state.hooks.limit_hit(),
            left_resources: state.table.iter_mut().next().is_some(),
        }
    }

    /// The call's result, with traps and timeouts turned into provider errors.
    pub(crate) fn settle<T>(&self, outcome: Outcome<T>) -> Result<T, ProviderError> {
        match outcome {
            Ok(Ok(result)) => result,
            Ok(Err(e)) => Err(self.budget.failure(Exceeded::of(self.store.data()), &e)),
            Err(_) => Err(self.budget.timeout_error()),
        }
    }
}

/// Which cap the store recorded as hit, if any: authoritative over whatever the guest did in
/// reaction (a refused allocation often ends in an unrelated trap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Exceeded {
    pub(crate) memory: bool,
    pub(crate) host_bytes: bool,
}

impl Exceeded {
    pub(crate) fn of(state: &CallState) -> Exceeded {
        Exceeded { memory: state.limiter.exceeded, host_bytes: state.host_bytes.exceeded }
    }
}

/// The limits of one call, and the errors reported when one is hit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    pub(crate) deadline: Instant,
    pub(crate) timeout: Duration,
    pub(crate) memory_limit: usize,
    pub(crate) max_host_resources: usize,
    pub(crate) max_host_bytes: usize,
}

impl Budget {
    /// Runs `future` until the call's deadline (this covers time spent waiting on I/O, which
    /// epoch interruption cannot see).
    pub(crate) async fn bounded<F: Future>(
        &self,
        future: F,
    ) -> Result<F::Output, tokio::time::error::Elapsed> {
        tokio::time::timeout_at(self.deadline.into(), future).await
    }

    /// Classifies a trap or host failure. `exceeded` is the store's record of the caps that
    /// refused something, which is authoritative even if the guest's reaction to the refusal
    /// is what trapped.
    pub(crate) fn failure(&self, exceeded: Exceeded, error: &wasmtime::Error) -> ProviderError {
        if exceeded.memory || error.is::<MemoryLimitExceeded>() {
            return self.memory_error();
        }
        if let Some(limit) = self.host_limit(exceeded, error) {
            return host_limit_error(limit);
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

    /// The host-side cap behind a failure, if one is.
    fn host_limit(&self, exceeded: Exceeded, error: &wasmtime::Error) -> Option<HostLimit> {
        if exceeded.host_bytes {
            return Some(HostLimit::HostBytes { limit: self.max_host_bytes });
        }
        if let Some(limit) = error.downcast_ref::<HostLimit>() {
            return Some(*limit);
        }
        // wasmtime's own refusal when the table is at its capacity, wherever the push was.
        match error.downcast_ref::<ResourceTableError>() {
            Some(ResourceTableError::Full) => {
                Some(HostLimit::Resources { limit: self.max_host_resources })
            }
            _ => None,
        }
    }

    pub(crate) fn timeout_error(&self) -> ProviderError {
        host_error(
            ErrorKind::Timeout,
            &format!(
                "the provider component exceeded its {} s time limit",
                decimal(self.timeout.as_secs_f64())
            ),
            "The call, including every request it made, did not finish before the host's call \
             deadline (the operator's limit, which no setting can extend).",
            "Retry; for long answers ask for fewer output tokens or stream them, or ask the \
             operator to raise the host's call timeout.",
        )
        .retryable()
    }

    fn memory_error(&self) -> ProviderError {
        let mut error = host_error(
            ErrorKind::Internal,
            &format!(
                "the provider component exceeded its {} MiB memory limit",
                decimal(self.memory_limit as f64 / MIB as f64)
            ),
            "The request or its answer needed more memory than the sandbox allows; images, \
             documents and long conversations count in full.",
            "Send a smaller request (fewer or smaller images and documents, a shorter \
             conversation), or raise the host's memory limit.",
        );
        // A stable name for callers that map limits (a gateway answers this one with 413).
        error.code = Some(limits::MEMORY_LIMIT_CODE.to_string());
        error
    }
}

/// The error for a host-side cap: the component's fault, so not retryable.
fn host_limit_error(limit: HostLimit) -> ProviderError {
    let (code, what) = match limit {
        HostLimit::Resources { .. } => (limits::HOST_RESOURCE_LIMIT_CODE, "host resources"),
        HostLimit::HostBytes { .. } => (limits::HOST_MEMORY_LIMIT_CODE, "host memory"),
    };
    let mut error = host_error(
        ErrorKind::Internal,
        &format!("the provider component exceeded its limit of {limit}"),
        &format!(
            "The component made the host hold {what} (header maps, HTTP requests, bodies, \
             streams) beyond the per-call cap, which protects the host's memory; this is a bug \
             in the component, or a request far larger than usual."
        ),
        "Report it to the component's authors with the request that caused it; the operator \
         can raise the host's per-call caps if the request is legitimate.",
    );
    error.code = Some(code.to_string());
    error
}

/// `300`, `0.05`: at most six decimals, no trailing zeros.
fn decimal(value: f64) -> String {
    let text = format!("{value:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// An error raised by the host rather than the component.
fn host_error(kind: ErrorKind, message: &str, cause: &str, solution: &str) -> ProviderError {
    ProviderError::new(kind, message).with_cause(cause).with_solution(solution)
}

/// Replaces `wasi:http/types.http-error-code` with [`outbound::http_error_code`], which also
/// recognises the errors a response body fails with (the body cap, the between-bytes timeout);
/// the stock function reports those to the guest as anonymous I/O errors.
pub(crate) fn link_http_error_code(linker: &mut Linker<CallState>) -> anyhow::Result<()> {
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

/// Replaces the `wasi:http/types` functions that copy a variable amount of guest data into a
/// host resource (header maps, a request's path and authority) with wrappers that first charge
/// the bytes to the call's host-bytes cap, then run the stock implementation. The resource
/// table's capacity bounds how many such resources exist; this bounds what they hold (a header
/// map alone may grow to 128 KiB, and `fields.clone` copies one).
pub(crate) fn link_host_bytes_accounting(linker: &mut Linker<CallState>) -> anyhow::Result<()> {
    type Fields = Resource<FieldMap>;
    type Request = Resource<http_types::OutgoingRequest>;
    type HeaderResult<T> = wasmtime::Result<(Result<T, http_types::HeaderError>,)>;

    /// Runs a stock `fields` function and lowers its header error the way the stock binding
    /// does.
    fn header_result<T>(
        state: &mut CallState,
        run: impl FnOnce(&mut WasiHttpCtxView<'_>) -> wasmtime_wasi_http::p2::HeaderResult<T>,
    ) -> HeaderResult<T> {
        let mut view = state.http();
        match run(&mut view) {
            Ok(value) => Ok((Ok(value),)),
            Err(e) => Ok((Err(http_types::Host::convert_header_error(&mut view, e)?),)),
        }
    }

    fn field_bytes(name: &str, value: &[u8]) -> usize {
        name.len().saturating_add(value.len())
    }

    linker.allow_shadowing(true);
    let mut types = linker.instance(HTTP_TYPES).map_err(anyhow::Error::from)?;
    let linked =
        types
            .func_wrap(
                "[static]fields.from-list",
                |mut store: StoreContextMut<'_, CallState>,
                 (entries,): (Vec<(String, Vec<u8>)>,)|
                 -> HeaderResult<Fields> {
                    let bytes = entries.iter().map(|(n, v)| field_bytes(n, v)).sum();
                    let state = store.data_mut();
                    state.charge(bytes)?;
                    header_result(state, |view| HostFields::from_list(view, entries))
                },
            )
            .and_then(|()| {
                types.func_wrap(
                    "[method]fields.append",
                    |mut store: StoreContextMut<'_, CallState>,
                     (fields, name, value): (Fields, String, Vec<u8>)|
                     -> HeaderResult<()> {
                        let state = store.data_mut();
                        state.charge(field_bytes(&name, &value))?;
                        header_result(state, |view| HostFields::append(view, fields, name, value))
                    },
                )
            })
            .and_then(|()| {
                types.func_wrap(
                    "[method]fields.set",
                    |mut store: StoreContextMut<'_, CallState>,
                     (fields, name, values): (Fields, String, Vec<Vec<u8>>)|
                     -> HeaderResult<()> {
                        let bytes = values.iter().map(|v| field_bytes(&name, v)).sum();
                        let state = store.data_mut();
                        state.charge(bytes)?;
                        header_result(state, |view| HostFields::set(view, fields, name, values))
                    },
                )
            })
            .and_then(|()| {
                types.func_wrap(
                    "[method]fields.clone",
                    |mut store: StoreContextMut<'_, CallState>,
                     (fields,): (Fields,)|
                     -> wasmtime::Result<(Fields,)> {
                        let state = store.data_mut();
                        let bytes = state
                            .table
                            .get(&fields)?
                            .iter()
                            .map(|(n, v)| field_bytes(n.as_str(), v.as_bytes()))
                            .sum();
                        state.charge(bytes)?;
                        Ok((HostFields::clone(&mut state.http(), fields)?,))
                    },
                )
            })
            .and_then(|()| {
                types.func_wrap(
                    "[method]outgoing-request.set-path-with-query",
                    |mut store: StoreContextMut<'_, CallState>,
                     (request, path): (Request, Option<String>)|
                     -> wasmtime::Result<(Result<(), ()>,)> {
                        let state = store.data_mut();
                        state.charge(path.as_ref().map_or(0, String::len))?;
                        Ok((HostOutgoingRequest::set_path_with_query(
                            &mut state.http(),
                            request,
                            path,
                        )?,))
                    },
                )
            })
            .and_then(|()| {
                types.func_wrap(
                    "[method]outgoing-request.set-authority",
                    |mut store: StoreContextMut<'_, CallState>,
                     (request, authority): (Request, Option<String>)|
                     -> wasmtime::Result<(Result<(), ()>,)> {
                        let state = store.data_mut();
                        state.charge(authority.as_ref().map_or(0, String::len))?;
                        Ok((HostOutgoingRequest::set_authority(
                            &mut state.http(),
                            request,
                            authority,
                        )?,))
                    },
                )
            });
    linked
        .map_err(anyhow::Error::from)
        .with_context(|| format!("cannot link the host-bytes accounting of {HTTP_TYPES}"))?;
    linker.allow_shadowing(false);
    Ok(())
}

/// Replaces `wasi:http/outgoing-handler.handle` with the stock function followed by dropping
/// the `request-options` the guest passed: the call owns that resource, but
/// wasmtime-wasi-http 48 only reads it and leaves it in the table. In a fresh instance per call
/// the leak dies with the store; a reused instance would keep one entry per request until the
/// host-resource cap failed it, and [`CallEnd::left_resources`] would refuse every reuse.
pub(crate) fn link_request_options_drop(linker: &mut Linker<CallState>) -> anyhow::Result<()> {
    use wasmtime_wasi_http::p2::bindings::http::outgoing_handler::Host as _;
    type Options = Resource<http_types::RequestOptions>;
    type Request = Resource<wasmtime_wasi_http::p2::types::HostOutgoingRequest>;
    type Future = Resource<wasmtime_wasi_http::p2::types::HostFutureIncomingResponse>;
    linker.allow_shadowing(true);
    linker
        .instance(OUTGOING_HANDLER)
        .and_then(|mut handler| {
            handler.func_wrap(
                "handle",
                |mut store: StoreContextMut<'_, CallState>,
                 (request, options): (Request, Option<Options>)|
                 -> wasmtime::Result<(Result<Future, http_types::ErrorCode>,)> {
                    let state = store.data_mut();
                    let kept = options.as_ref().map(|o| Options::new_own(o.rep()));
                    let mut view = state.http();
                    let result = match view.handle(request, options) {
                        Ok(future) => Ok(future),
                        Err(e) => Err(http_types::Host::convert_error_code(&mut view, e)?),
                    };
                    if let Some(options) = kept {
                        // Already gone if a later wasmtime drops it itself: nothing to do then.
                        let _ = state.table.delete(options);
                    }
                    Ok((result,))
                },
            )
        })
        .map_err(anyhow::Error::from)
        .with_context(|| format!("cannot link {OUTGOING_HANDLER}#handle"))?;
    linker.allow_shadowing(false);
    Ok(())
}

/// The `wasi:http/outgoing-handler` instance the component imports.
const OUTGOING_HANDLER: &str = "wasi:http/outgoing-handler@0.2.12";

/// The `wasi:http/types` instance the component imports (the version in `wit/deps`).
const HTTP_TYPES: &str = "wasi:http/types@0.2.12";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_errors_have_operator_text() {
        let budget = Budget {
            deadline: Instant::now(),
            timeout: Duration::from_secs(300),
            memory_limit: 64 * MIB,
            max_host_resources: 1000,
            max_host_bytes: 16 * MIB,
        };
        let e = budget.timeout_error();
        assert_eq!(e.message, "the provider component exceeded its 300 s time limit");
        assert!(e.cause.is_some() && e.solution.is_some());
        let e = budget.memory_error();
        assert_eq!(e.message, "the provider component exceeded its 64 MiB memory limit");

        let trap = wasmtime::Error::from(Trap::UnreachableCodeReached);
        let none = Exceeded::default();
        let e = budget.failure(none, &trap);
        assert_eq!(e.kind, ErrorKind::Internal);
        assert!(e.message.starts_with("the provider component crashed: "), "{}", e.message);
        assert_eq!(
            budget.failure(none, &wasmtime::Error::from(Trap::Interrupt)).kind,
            ErrorKind::Timeout
        );
        // The limiter's record wins over whatever trap the guest raised afterwards.
        let memory = Exceeded { memory: true, ..none };
        assert_eq!(budget.failure(memory, &trap).message, budget.memory_error().message);
        assert_eq!(budget.memory_error().code.as_deref(), Some(limits::MEMORY_LIMIT_CODE));
    }

    #[test]
    fn host_limits_are_reported_as_such() {
        let budget = Budget {
            deadline: Instant::now(),
            timeout: Duration::from_secs(300),
            memory_limit: 64 * MIB,
            max_host_resources: 7,
            max_host_bytes: 9,
        };
        let none = Exceeded::default();
        // A full resource table, under the context wasmtime-wasi-http adds.
        let full = wasmtime::Error::from(ResourceTableError::Full).context("[new_fields] pushing");
        let e = budget.failure(none, &full);
        assert_eq!(e.kind, ErrorKind::Internal);
        assert_eq!(e.message, "the provider component exceeded its limit of 7 host resources");
        assert_eq!(e.code.as_deref(), Some(limits::HOST_RESOURCE_LIMIT_CODE));
        assert!(!e.retryable);
        // The host-bytes cap, by its error or by the store's record.
        let bytes = wasmtime::Error::new(HostLimit::HostBytes { limit: 9 });
        assert_eq!(
            budget.failure(none, &bytes).code.as_deref(),
            Some(limits::HOST_MEMORY_LIMIT_CODE)
        );
        let recorded = Exceeded { host_bytes: true, ..none };
        let trap = wasmtime::Error::from(Trap::UnreachableCodeReached);
        assert_eq!(
            budget.failure(recorded, &trap).code.as_deref(),
            Some(limits::HOST_MEMORY_LIMIT_CODE)
        );
        // Other table errors are the component's misuse, not a cap.
        let misuse = wasmtime::Error::from(ResourceTableError::NotPresent);
        assert!(budget.failure(none, &misuse).code.is_none());
    }

    #[test]
    fn handles_cross_threads() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<crate::Host>();
    }
}

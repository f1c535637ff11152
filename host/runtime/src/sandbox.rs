//! One call's sandbox: its store data (an empty WASI context, the HTTP hooks, the memory
//! limiter), its limits, and how traps, timeouts and limit hits become provider errors.

use std::time::{Duration, Instant};

use anyhow::Context;
use wasmtime::component::{Linker, Resource, ResourceTable};
use wasmtime::{ResourceLimiter, Store, StoreContextMut, Trap};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::http::types::IoError;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::bindings::ModelProvider;
use crate::outbound::{self, OutboundHooks};
use crate::types::{ErrorKind, ProviderError};

/// One mebibyte.
pub(crate) const MIB: usize = 1024 * 1024;

pub(crate) struct CallState {
    pub(crate) wasi: WasiCtx,
    pub(crate) http: WasiHttpCtx,
    pub(crate) table: ResourceTable,
    pub(crate) hooks: OutboundHooks,
    pub(crate) limiter: MemoryLimiter,
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

impl Call {
    /// The call's result, with traps and timeouts turned into provider errors.
    pub(crate) fn settle<T>(&self, outcome: Outcome<T>) -> Result<T, ProviderError> {
        match outcome {
            Ok(Ok(result)) => result,
            Ok(Err(e)) => Err(self.budget.failure(self.store.data().limiter.exceeded, &e)),
            Err(_) => Err(self.budget.timeout_error()),
        }
    }
}

/// The limits of one call, and the errors reported when one is hit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    pub(crate) deadline: Instant,
    pub(crate) timeout: Duration,
    pub(crate) memory_limit: usize,
    pub(crate) max_host_resources: usize,
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

    /// Classifies a trap or host failure. `memory_exceeded` is the limiter's record, which is
    /// authoritative even if the guest's reaction to the refused allocation is what trapped.
    pub(crate) fn failure(&self, memory_exceeded: bool, error: &wasmtime::Error) -> ProviderError {
        if memory_exceeded || error.is::<MemoryLimitExceeded>() {
            return self.memory_error();
        }
        let trap = error.downcast_ref::<Trap>();
        if matches!(trap, Some(Trap::Interrupt)) {
            return self.timeout_error();
        }
        if matches!(
            error.downcast_ref::<wasmtime::component::ResourceTableError>(),
            Some(wasmtime::component::ResourceTableError::Full)
        ) {
            return host_error(
                ErrorKind::Internal,
                &format!(
                    "the provider component exceeded its limit of {} host resources",
                    self.max_host_resources
                ),
                "The component held more host-side handles at once (HTTP header maps, requests, \
                 bodies, streams) than the host allows one call; the call was stopped before \
                 they could use the host's memory.",
                "This is a bug in the component; if it happens with a legitimate request, raise \
                 the host's resource limit.",
            );
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

/// The `wasi:http/types` instance the component imports (the version in `wit/deps`).
const HTTP_TYPES: &str = "wasi:http/types@0.2.12";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn host_errors_have_operator_text() {
        let budget = Budget {
            deadline: Instant::now(),
            timeout: Duration::from_secs(300),
            memory_limit: 64 * MIB,
            max_host_resources: 1_000,
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

    #[test]
    fn handles_cross_threads() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<crate::Host>();
    }
}

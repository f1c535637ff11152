//! The credential cache: the keys every call shares, refreshed before they expire with at most
//! one refresh in flight.
//!
//! - Fresh keys are returned at once.
//! - Stale keys (near expiry, [`plan::freshness`]) are returned at once too, and the first
//!   caller to notice starts one refresh in the background; the others do not wait for it.
//! - Without usable keys, callers wait for the refresh in flight (or start one) and all get its
//!   outcome: a failure reaches every waiter once, it is not retried by each of them in turn.
//! - Every fetch is bounded by a timeout, so nobody waits longer than that; a failure is
//!   remembered for a moment so that a broken source is not hammered by every request.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use super::plan::{self, FailureClass, Freshness};

/// Temporary (or long-term) AWS keys. `Debug` shows the access key ID only.
#[derive(Clone, PartialEq, Eq)]
pub struct Keys {
    /// The access key ID (shown masked).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token of temporary keys.
    pub session_token: Option<String>,
    /// When the keys expire; `None` for long-term keys.
    pub expiry: Option<SystemTime>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.as_ref().map(|_| "<redacted>"))
            .field("expiry", &self.expiry)
            .finish()
    }
}

/// What one fetch from the source produced.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The keys.
    pub keys: Keys,
    /// What the SDK reported about where they came from.
    pub observed: Option<plan::Observed>,
}

/// Why a fetch failed. `detail` is the SDK's message (it never holds a secret: the SDK's
/// errors name files, variables and services, not keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// How it failed.
    pub class: FailureClass,
    /// What the source said.
    pub detail: String,
    /// Keys had been obtained before: they expired and could not be renewed.
    pub had_keys: bool,
}

/// The future one fetch returns.
pub type FetchFuture = Pin<Box<dyn Future<Output = Result<Fetched, Failure>> + Send>>;
/// Starts one fetch from the source.
pub type FetchFn = Arc<dyn Fn() -> FetchFuture + Send + Sync>;
/// The wall clock (a fake one in tests).
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// How long a failure is handed to new callers before the source is tried again.
const FAILURE_MEMORY: Duration = Duration::from_secs(2);

/// Keys shared by concurrent calls; see the module documentation.
pub struct Cache {
    fetch: FetchFn,
    clock: Clock,
    timeout: Duration,
    state: Mutex<State>,
    /// Held while a fetch runs: the "one refresh in flight".
    refresh: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Default)]
struct State {
    current: Option<Held>,
    /// Fetches finished so far: a waiter that sees this change knows a refresh happened
    /// while it waited, and takes its outcome instead of fetching again.
    attempts: u64,
    last_failure: Option<(SystemTime, Failure)>,
    observed: Option<plan::Observed>,
}

struct Held {
    keys: Arc<Keys>,
    fetched_at: SystemTime,
}

impl Cache {
    /// A cache over `fetch`; each fetch is abandoned after `timeout`.
    pub fn new(fetch: FetchFn, clock: Clock, timeout: Duration) -> Arc<Cache> {
        Arc::new(Cache {
            fetch,
            clock,
            timeout,
            state: Mutex::new(State::default()),
            refresh: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// What the SDK reported about the source of the current keys.
    pub fn observed(&self) -> Option<plan::Observed> {
        self.state().observed
    }

    /// Keys to sign a call that starts now.
    pub async fn get(self: &Arc<Self>) -> Result<Arc<Keys>, Failure> {
        let now = (self.clock)();
        let (held, attempts) = {
            let state = self.state();
            let held = state
                .current
                .as_ref()
                .map(|h| (plan::freshness(now, h.fetched_at, h.keys.expiry), h.keys.clone()));
            if held.is_none()
                && let Some((at, failure)) = &state.last_failure
                && now.duration_since(*at).unwrap_or_default() < FAILURE_MEMORY
            {
                return Err(failure.clone());
            }
            (held, state.attempts)
        };
        match held {
            Some((Freshness::Fresh, keys)) => return Ok(keys),
            Some((Freshness::Stale, keys)) => {
                // Whoever gets the lock refreshes; a refresh already in flight covers the rest.
                if let Ok(guard) = self.refresh.clone().try_lock_owned() {
                    let this = self.clone();
                    tokio::spawn(async move {
                        let _guard = guard;
                        if let Err(failure) = this.fetch_now().await {
                            tracing::warn!(
                                detail = %failure.detail,
                                "refreshing AWS credentials failed; the current keys stay in use \
                                 until they expire"
                            );
                        }
                    });
                }
                return Ok(keys);
            }
            Some((Freshness::Expired, _)) | None => {}
        }
        let _guard = self.refresh.lock().await;
        {
            let state = self.state();
            if state.attempts != attempts {
                // A refresh finished while we waited: its outcome is ours.
                let now = (self.clock)();
                if let Some(h) = &state.current
                    && plan::freshness(now, h.fetched_at, h.keys.expiry) != Freshness::Expired
                {
                    return Ok(h.keys.clone());
                }
                if let Some((_, failure)) = &state.last_failure {
                    return Err(failure.clone());
                }
            }
        }
        self.fetch_now().await
    }

    /// One fetch, bounded by the timeout; the caller holds the refresh lock.
    async fn fetch_now(&self) -> Result<Arc<Keys>, Failure> {
        let outcome = match tokio::time::timeout(self.timeout, (self.fetch)()).await {
            Ok(outcome) => outcome,
            Err(_) => Err(Failure {
                class: FailureClass::TimedOut,
                detail: format!("no answer within {} s", self.timeout.as_secs()),
                had_keys: false,
            }),
        };
        let now = (self.clock)();
        let mut state = self.state();
        state.attempts += 1;
        match outcome {
            Ok(fetched) => {
                let keys = Arc::new(fetched.keys);
                state.current = Some(Held { keys: keys.clone(), fetched_at: now });
                state.last_failure = None;
                state.observed = fetched.observed;
                Ok(keys)
            }
            Err(mut failure) => {
                failure.had_keys = state.current.is_some();
                // Keys still usable stay; expired ones are dropped so nobody signs with them.
                if state.current.as_ref().is_some_and(|h| {
                    plan::freshness(now, h.fetched_at, h.keys.expiry) == Freshness::Expired
                }) {
                    state.current = None;
                }
                state.last_failure = Some((now, failure.clone()));
                Err(failure)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

    /// A clock the test moves by hand.
    struct FakeClock(AtomicU64);

    impl FakeClock {
        fn now(&self) -> SystemTime {
            SystemTime::UNIX_EPOCH + Duration::from_millis(self.0.load(Ordering::SeqCst))
        }
        fn advance(&self, by: Duration) {
            self.0.fetch_add(by.as_millis() as u64, Ordering::SeqCst);
        }
    }

    /// A source that answers the n-th fetch with keys `K<n>` valid for `life`, after `delay`,
    /// or fails while `failing` is set.
    struct FakeSource {
        clock: Arc<FakeClock>,
        calls: AtomicUsize,
        failing: std::sync::atomic::AtomicBool,
        delay: Duration,
        life: Duration,
    }

    fn setup(delay: Duration, life: Duration) -> (Arc<FakeClock>, Arc<FakeSource>, Arc<Cache>) {
        let clock = Arc::new(FakeClock(AtomicU64::new(1_000_000_000)));
        let source = Arc::new(FakeSource {
            clock: clock.clone(),
            calls: AtomicUsize::new(0),
            failing: false.into(),
            delay,
            life,
        });
        let s = source.clone();
        let fetch: FetchFn = Arc::new(move || {
            let s = s.clone();
            Box::pin(async move {
                let n = s.calls.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::time::sleep(s.delay).await;
                if s.failing.load(Ordering::SeqCst) {
                    return Err(Failure {
                        class: FailureClass::Refused,
                        detail: "refused".into(),
                        had_keys: false,
                    });
                }
                Ok(Fetched {
                    keys: Keys {
                        access_key_id: format!("K{n}"),
                        secret_access_key: "s".into(),
                        session_token: Some("t".into()),
                        expiry: Some(s.clock.now() + s.life),
                    },
                    observed: None,
                })
            })
        });
        let c = clock.clone();
        let cache = Cache::new(fetch, Arc::new(move || c.now()), Duration::from_secs(1));
        (clock, source, cache)
    }

    async fn key(cache: &Arc<Cache>) -> String {
        cache.get().await.unwrap().access_key_id.clone()
    }

    #[tokio::test]
    async fn concurrent_first_calls_share_one_fetch() {
        let (_, source, cache) = setup(Duration::from_millis(50), Duration::from_secs(3600));
        let calls: Vec<_> = (0..32).map(|_| cache.clone()).collect();
        let keys = futures_join(calls.into_iter().map(|c| async move { key(&c).await })).await;
        assert!(keys.iter().all(|k| k == "K1"), "{keys:?}");
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
        // Cached afterwards.
        assert_eq!(key(&cache).await, "K1");
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn stale_keys_are_served_while_one_background_refresh_runs() {
        let (clock, source, cache) = setup(Duration::from_millis(100), Duration::from_secs(3600));
        assert_eq!(key(&cache).await, "K1");
        clock.advance(Duration::from_secs(3400)); // 200 s left: stale
        for _ in 0..10 {
            assert_eq!(key(&cache).await, "K1", "stale keys are still handed out");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(source.calls.load(Ordering::SeqCst), 2, "exactly one refresh");
        assert_eq!(key(&cache).await, "K2");
    }

    #[tokio::test]
    async fn expired_keys_are_never_handed_out() {
        let (clock, source, cache) = setup(Duration::from_millis(10), Duration::from_secs(3600));
        assert_eq!(key(&cache).await, "K1");
        clock.advance(Duration::from_secs(3590)); // 10 s left: withheld
        assert_eq!(key(&cache).await, "K2");
        assert_eq!(source.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_failure_reaches_every_waiter_once_and_is_not_hammered() {
        let (clock, source, cache) = setup(Duration::from_millis(50), Duration::from_secs(3600));
        assert_eq!(key(&cache).await, "K1");
        source.failing.store(true, Ordering::SeqCst);
        clock.advance(Duration::from_secs(3599));
        let calls: Vec<_> = (0..16).map(|_| cache.clone()).collect();
        let outcomes = futures_join(calls.into_iter().map(|c| async move { c.get().await })).await;
        for outcome in &outcomes {
            let failure = outcome.as_ref().unwrap_err();
            assert!(failure.had_keys, "the keys expired: {failure:?}");
        }
        assert_eq!(source.calls.load(Ordering::SeqCst), 2, "one failed refresh for all");
        // Remembered for a moment, then tried again.
        assert!(cache.get().await.is_err());
        assert_eq!(source.calls.load(Ordering::SeqCst), 2);
        clock.advance(FAILURE_MEMORY);
        source.failing.store(false, Ordering::SeqCst);
        assert_eq!(key(&cache).await, "K3");
    }

    #[tokio::test]
    async fn a_failed_background_refresh_keeps_the_stale_keys() {
        let (clock, source, cache) = setup(Duration::from_millis(10), Duration::from_secs(3600));
        assert_eq!(key(&cache).await, "K1");
        source.failing.store(true, Ordering::SeqCst);
        clock.advance(Duration::from_secs(3400));
        assert_eq!(key(&cache).await, "K1");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(key(&cache).await, "K1", "still usable after the failed refresh");
    }

    #[tokio::test]
    async fn a_hanging_source_times_out() {
        let (_, _, cache) = setup(Duration::from_secs(30), Duration::from_secs(3600));
        let started = std::time::Instant::now();
        let failure = cache.get().await.unwrap_err();
        assert_eq!(failure.class, FailureClass::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn debug_hides_the_secrets() {
        let keys = Keys {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "very-secret".into(),
            session_token: Some("token-value".into()),
            expiry: None,
        };
        let text = format!("{keys:?}");
        assert!(text.contains("ASIAEXAMPLE"));
        assert!(!text.contains("very-secret") && !text.contains("token-value"), "{text}");
    }

    /// Runs the futures concurrently on this task and collects their outputs in order.
    async fn futures_join<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handles: Vec<_> = futures.map(tokio::spawn).collect();
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap());
        }
        out
    }
}

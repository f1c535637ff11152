//! Instance reuse: an operator's choice to let one instance serve several calls that carry
//! byte-identical settings.
//!
//! Without it ([`crate::HostConfig::reuse`] `None`, the library default) every call gets a
//! fresh instance. With it, an instance that answered a call cleanly is kept, with its opened
//! `client` (the parsed settings, the provider's derived signing key), and the next call whose
//! settings are *the same bytes* may take it. That keeps what the isolation exists for: nothing
//! crosses between tenants or credentials, because settings that differ in any byte (another
//! tenant, a rotated key, a reload) never share an instance. The rules are the pure functions
//! below:
//!
//! - [`same_settings`]: the key is the settings' bytes, compared in full (a hash only finds the
//!   bucket);
//! - [`after_call`]: an instance is discarded after any error the call returned (the
//!   component's own, a trap, a timeout), any cap it hit (memory, host resources or bytes,
//!   outbound requests or bodies, even one the component recovered from), host resources it
//!   left behind, or its last allowed call;
//! - [`may_take`]: an idle instance is taken only while it has calls left and has been idle
//!   less than the idle timeout.
//!
//! Per-call limits still apply per call: a reused instance gets a new deadline, and its
//! host-bytes, outbound-request and in-flight counters start again from zero
//! (`sandbox::Call::renew`). Its linear memory is what it grew to; the memory limit caps it as
//! before, and a call that hits it discards the instance.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How far an instance may be reused (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstanceReuse {
    /// Calls one instance serves at most, the first included (`1` is the same as no reuse).
    pub max_calls: u32,
    /// How long an instance may sit idle and still be reused; older ones are dropped.
    pub idle_timeout: Duration,
    /// Idle instances kept at once, over all settings; each holds a pool slot and the memory
    /// its calls touched (about 1.5-2 MiB for a chat call). At the cap, the instance idle the
    /// longest makes room.
    pub max_idle: u32,
}

impl Default for InstanceReuse {
    /// 1000 calls, 30 s idle, 64 idle instances.
    fn default() -> Self {
        InstanceReuse { max_calls: 1000, idle_timeout: Duration::from_secs(30), max_idle: 64 }
    }
}

/// What a finished call left behind, as far as reuse is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallEnd {
    /// The call returned its answer (not an error of any kind).
    pub answered: bool,
    /// A cap refused something during the call, whether or not the component recovered.
    pub limit_hit: bool,
    /// The call left host resources (requests, bodies, streams, header maps) behind.
    pub left_resources: bool,
}

/// Why an instance is not kept for another call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discard {
    /// Reuse is off: every call gets a fresh instance.
    ReuseOff,
    /// The call returned an error, trapped or timed out.
    Error,
    /// A cap refused something during the call.
    LimitHit,
    /// The call left host resources behind.
    LeftResources,
    /// The instance served its last allowed call.
    CallsUsed,
}

/// Whether the instance that just served its `calls_served`-th call (this one included) may
/// be kept for another call with the same settings.
pub fn after_call(
    reuse: Option<&InstanceReuse>,
    calls_served: u32,
    end: CallEnd,
) -> Result<(), Discard> {
    let Some(reuse) = reuse else { return Err(Discard::ReuseOff) };
    if !end.answered {
        Err(Discard::Error)
    } else if end.limit_hit {
        Err(Discard::LimitHit)
    } else if end.left_resources {
        Err(Discard::LeftResources)
    } else if calls_served >= reuse.max_calls {
        Err(Discard::CallsUsed)
    } else {
        Ok(())
    }
}

/// Whether an idle instance that served `calls_served` calls and has been idle for `idle` may
/// serve another one.
pub fn may_take(reuse: &InstanceReuse, calls_served: u32, idle: Duration) -> bool {
    calls_served < reuse.max_calls && idle < reuse.idle_timeout
}

/// Whether two calls' settings are the same: every byte, never a hash alone.
pub fn same_settings(a: &str, b: &str) -> bool {
    a.as_bytes() == b.as_bytes()
}

/// An idle instance, with what decides whether it may be taken.
struct Idle<T> {
    settings: Arc<str>,
    item: T,
    calls_served: u32,
    since: Instant,
}

/// Idle instances keyed by their settings' bytes, under an [`InstanceReuse`] policy.
///
/// Generic over what is kept, so its rules are tested without a component. Instances that
/// expire are dropped when the pool is next used (every [`IdlePool::take`] and
/// [`IdlePool::put`] sweeps at most once per quarter of the idle timeout), outside its lock.
pub(crate) struct IdlePool<T> {
    reuse: InstanceReuse,
    hasher: RandomState,
    inner: Mutex<Inner<T>>,
}

struct Inner<T> {
    buckets: HashMap<u64, Vec<Idle<T>>>,
    len: usize,
    last_sweep: Instant,
}

impl<T> IdlePool<T> {
    pub(crate) fn new(reuse: InstanceReuse) -> Self {
        IdlePool {
            reuse,
            hasher: RandomState::new(),
            inner: Mutex::new(Inner {
                buckets: HashMap::new(),
                len: 0,
                last_sweep: Instant::now(),
            }),
        }
    }

    /// The policy this pool applies.
    pub(crate) fn reuse(&self) -> &InstanceReuse {
        &self.reuse
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<T>> {
        // Nothing panics while the lock is held except allocation failure; the map stays
        // consistent (entries are moved whole), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the most recently used idle instance with exactly these settings that may serve
    /// another call, with the calls it served so far.
    pub(crate) fn take(&self, settings: &str, now: Instant) -> Option<(T, u32)> {
        let key = self.hasher.hash_one(settings.as_bytes());
        let mut expired = Vec::new();
        let taken = {
            let mut inner = self.lock();
            self.sweep(&mut inner, now, &mut expired);
            let bucket = inner.buckets.get_mut(&key)?;
            let position = bucket.iter().rposition(|idle| {
                same_settings(&idle.settings, settings)
                    && may_take(
                        &self.reuse,
                        idle.calls_served,
                        now.saturating_duration_since(idle.since),
                    )
            });
            let taken = position.map(|i| bucket.remove(i));
            if bucket.is_empty() {
                inner.buckets.remove(&key);
            }
            if taken.is_some() {
                inner.len -= 1;
            }
            taken
        };
        drop(expired);
        taken.map(|idle| (idle.item, idle.calls_served))
    }

    /// Keeps `item`, which has served `calls_served` calls with `settings`, for a later call.
    /// At [`InstanceReuse::max_idle`], the instance idle the longest is dropped to make room.
    pub(crate) fn put(&self, settings: Arc<str>, item: T, calls_served: u32, now: Instant) {
        if self.reuse.max_idle == 0 {
            return;
        }
        let key = self.hasher.hash_one(settings.as_bytes());
        let mut dropped = Vec::new();
        {
            let mut inner = self.lock();
            self.sweep(&mut inner, now, &mut dropped);
            if inner.len >= self.reuse.max_idle as usize
                && let Some(oldest) = oldest(&inner.buckets)
            {
                let bucket = inner.buckets.get_mut(&oldest.0);
                if let Some(bucket) = bucket {
                    dropped.push(bucket.remove(oldest.1));
                    if bucket.is_empty() {
                        inner.buckets.remove(&oldest.0);
                    }
                    inner.len -= 1;
                }
            }
            inner.buckets.entry(key).or_default().push(Idle {
                settings,
                item,
                calls_served,
                since: now,
            });
            inner.len += 1;
        }
        drop(dropped);
    }

    /// Idle instances held now.
    pub(crate) fn len(&self) -> usize {
        self.lock().len
    }

    /// Drops every idle instance (a settings reload, a test).
    pub(crate) fn clear(&self) {
        let buckets = {
            let mut inner = self.lock();
            inner.len = 0;
            std::mem::take(&mut inner.buckets)
        };
        drop(buckets);
    }

    /// Moves the expired instances into `out` (dropped by the caller, outside the lock), at
    /// most once per quarter of the idle timeout.
    fn sweep(&self, inner: &mut Inner<T>, now: Instant, out: &mut Vec<Idle<T>>) {
        if now.saturating_duration_since(inner.last_sweep) < self.reuse.idle_timeout / 4 {
            return;
        }
        inner.last_sweep = now;
        let reuse = self.reuse;
        let mut removed = 0;
        inner.buckets.retain(|_, bucket| {
            let mut i = 0;
            while i < bucket.len() {
                let idle = &bucket[i];
                if may_take(&reuse, idle.calls_served, now.saturating_duration_since(idle.since)) {
                    i += 1;
                } else {
                    out.push(bucket.swap_remove(i));
                    removed += 1;
                }
            }
            !bucket.is_empty()
        });
        inner.len -= removed;
    }
}

/// The bucket and position of the instance idle the longest.
fn oldest<T>(buckets: &HashMap<u64, Vec<Idle<T>>>) -> Option<(u64, usize)> {
    buckets
        .iter()
        .flat_map(|(key, bucket)| {
            bucket.iter().enumerate().map(move |(i, idle)| (*key, i, idle.since))
        })
        .min_by_key(|(_, _, since)| *since)
        .map(|(key, i, _)| (key, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REUSE: InstanceReuse =
        InstanceReuse { max_calls: 3, idle_timeout: Duration::from_secs(10), max_idle: 2 };

    #[test]
    fn only_clean_calls_with_calls_left_keep_their_instance() {
        let clean = CallEnd { answered: true, limit_hit: false, left_resources: false };
        let rows = [
            // (reuse on, calls served, end) -> verdict
            ((false, 1, clean), Err(Discard::ReuseOff)),
            ((true, 1, clean), Ok(())),
            ((true, 2, clean), Ok(())),
            ((true, 3, clean), Err(Discard::CallsUsed)),
            ((true, u32::MAX, clean), Err(Discard::CallsUsed)),
            ((true, 1, CallEnd { answered: false, ..clean }), Err(Discard::Error)),
            ((true, 1, CallEnd { limit_hit: true, ..clean }), Err(Discard::LimitHit)),
            ((true, 1, CallEnd { left_resources: true, ..clean }), Err(Discard::LeftResources)),
            // An error wins over everything else: it is the reason reported.
            (
                (true, 3, CallEnd { answered: false, limit_hit: true, left_resources: true }),
                Err(Discard::Error),
            ),
        ];
        for ((on, served, end), want) in rows {
            let reuse = on.then_some(&REUSE);
            assert_eq!(after_call(reuse, served, end), want, "{on} {served} {end:?}");
        }
        // One call per instance is the fresh-instance mode.
        let single = InstanceReuse { max_calls: 1, ..REUSE };
        assert_eq!(after_call(Some(&single), 1, clean), Err(Discard::CallsUsed));
    }

    #[test]
    fn idle_instances_are_taken_while_fresh_and_not_used_up() {
        let rows = [
            ((0, 0), true),
            ((2, 9_999), true),
            ((3, 0), false),
            ((1, 10_000), false),
            ((1, 60_000), false),
        ];
        for ((served, idle_ms), want) in rows {
            let idle = Duration::from_millis(idle_ms);
            assert_eq!(may_take(&REUSE, served, idle), want, "{served} {idle_ms}");
        }
    }

    #[test]
    fn settings_match_byte_for_byte() {
        let rows = [
            (r#"{"k":"a"}"#, r#"{"k":"a"}"#, true),
            (r#"{"k":"a"}"#, r#"{"k":"b"}"#, false),
            // Equal as JSON, different bytes: not the same settings.
            (r#"{"k":"a"}"#, r#"{ "k":"a"}"#, false),
            (r#"{"k":"a"}"#, r#"{"k":"a"} "#, false),
            ("", "", true),
        ];
        for (a, b, want) in rows {
            assert_eq!(same_settings(a, b), want, "{a:?} {b:?}");
        }
    }

    #[test]
    fn the_pool_hands_back_only_the_same_settings() {
        let pool = IdlePool::new(REUSE);
        let now = Instant::now();
        let a: Arc<str> = Arc::from(r#"{"secret":"a"}"#);
        pool.put(a.clone(), "instance of a", 1, now);
        assert_eq!(pool.take(r#"{"secret":"b"}"#, now), None);
        assert_eq!(pool.take(r#"{"secret":"a"} "#, now), None);
        assert_eq!(pool.take(&a, now), Some(("instance of a", 1)));
        assert_eq!(pool.take(&a, now), None, "taken once");
        assert_eq!(pool.len(), 0);
    }

    #[test]
    fn the_pool_drops_expired_and_used_up_instances() {
        let pool = IdlePool::new(REUSE);
        let now = Instant::now();
        let a: Arc<str> = Arc::from("a");
        pool.put(a.clone(), 1, 3, now);
        assert_eq!(pool.take(&a, now), None, "no calls left");
        pool.put(a.clone(), 2, 1, now);
        assert_eq!(pool.take(&a, now + Duration::from_secs(10)), None, "idle too long");
        assert_eq!(pool.len(), 0, "the sweep dropped both");
    }

    #[test]
    fn the_pool_is_bounded_and_evicts_the_longest_idle() {
        let pool = IdlePool::new(REUSE);
        let now = Instant::now();
        let (a, b, c): (Arc<str>, Arc<str>, Arc<str>) = ("a".into(), "b".into(), "c".into());
        pool.put(a.clone(), "a", 1, now);
        pool.put(b.clone(), "b", 1, now + Duration::from_millis(1));
        pool.put(c.clone(), "c", 1, now + Duration::from_millis(2));
        assert_eq!(pool.len(), 2);
        let later = now + Duration::from_millis(3);
        assert_eq!(pool.take(&a, later), None, "a was idle the longest");
        assert_eq!(pool.take(&b, later), Some(("b", 1)));
        assert_eq!(pool.take(&c, later), Some(("c", 1)));
        let none = IdlePool::new(InstanceReuse { max_idle: 0, ..REUSE });
        none.put(a.clone(), "a", 1, now);
        assert_eq!(none.len(), 0);
    }

    #[test]
    fn the_most_recently_used_instance_is_taken_first() {
        let pool = IdlePool::new(REUSE);
        let now = Instant::now();
        let a: Arc<str> = "a".into();
        pool.put(a.clone(), "older", 1, now);
        pool.put(a.clone(), "newer", 2, now + Duration::from_millis(1));
        assert_eq!(pool.take(&a, now + Duration::from_millis(2)), Some(("newer", 2)));
        pool.clear();
        assert_eq!(pool.len(), 0);
    }
}

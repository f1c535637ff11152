//! Client connections: a deadline for every state a connection can be in, and a cap on how
//! many are open.
//!
//! hyper bounds only an HTTP/1.1 request head. A connection that sends nothing, half an HTTP/2
//! preface, or nothing after its SETTINGS frame, an idle keep-alive connection, and a response a
//! client never reads would otherwise hold a file descriptor for good. Each connection gets a
//! watchdog that closes it when its current deadline passes ([`verdict`]):
//!
//! - no request yet: the first request head must be complete within [`ClientTimeouts::head`];
//! - no request in progress: the next one must start within [`ClientTimeouts::idle`];
//! - requests in progress: each must be done, response written, within the body deadline plus
//!   the call timeout plus [`ClientTimeouts::write`] of its start (streams included).
//!
//! The number of connections is capped below the process's open-file limit
//! ([`connection_cap`]). At the cap the gateway closes the connection that has been idle the
//! longest (never one with a request in progress) before accepting another, so idle or silent
//! connections cannot lock other clients out; when every connection is busy it stops accepting
//! until one closes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// How long clients may take at each step, and how long idle connections live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientTimeouts {
    /// From accepting a connection to its first complete request head (HTTP/1.1 head, or the
    /// HTTP/2 preface, SETTINGS and HEADERS). Default 10 s.
    pub head: Duration,
    /// An idle connection (no request in progress) is closed after this. Default 60 s.
    pub idle: Duration,
    /// A request body must have arrived this long after its head. Default 30 s.
    pub body: Duration,
    /// A response may take this long to reach the client after the call's own deadline (body
    /// deadline + call timeout) before the connection is closed. Default 10 s.
    pub write: Duration,
}

impl Default for ClientTimeouts {
    fn default() -> Self {
        ClientTimeouts {
            head: Duration::from_secs(10),
            idle: Duration::from_secs(60),
            body: Duration::from_secs(30),
            write: Duration::from_secs(10),
        }
    }
}

/// The default cap on open client connections, when the open-file limit allows it.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;
/// File descriptors kept for everything but client connections: the listener, the runtime,
/// the component cache, stdio; [`FD_RESERVE_PER_CALL`] more per concurrent model call for its
/// upstream connections.
const FD_RESERVE: usize = 64;
/// See [`FD_RESERVE`].
const FD_RESERVE_PER_CALL: usize = 2;
/// The cap never goes below this, however low the open-file limit.
const MIN_CONNECTIONS: usize = 16;

/// The connection cap: the operator's `configured` value (else [`DEFAULT_MAX_CONNECTIONS`]),
/// lowered so that client connections plus a reserve for upstream connections fit in the
/// open-file limit `nofile` (`None`: unlimited or unknown).
pub fn connection_cap(
    configured: Option<usize>,
    nofile: Option<u64>,
    max_concurrency: usize,
) -> usize {
    let wanted = configured.unwrap_or(DEFAULT_MAX_CONNECTIONS);
    let reserve = FD_RESERVE.saturating_add(FD_RESERVE_PER_CALL.saturating_mul(max_concurrency));
    let by_fds = nofile.map(|n| usize::try_from(n).unwrap_or(usize::MAX).saturating_sub(reserve));
    by_fds.map_or(wanted, |fds| wanted.min(fds)).max(MIN_CONNECTIONS)
}

/// Raises the soft open-file limit to the hard one (as Go's runtime does: the soft limit is
/// often a default of 1024 that a server outgrows) and returns the soft limit now in force;
/// `None` when unlimited or unknown.
pub fn open_file_limit() -> Option<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = rustix::process::Rlimit { current: limit.maximum, maximum: limit.maximum };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            limit = raised;
        }
    }
    limit.current
}

/// Why the gateway closed a connection (the metrics label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// No complete request head within [`ClientTimeouts::head`] of connecting.
    HeadTimeout,
    /// Idle for [`ClientTimeouts::idle`].
    IdleTimeout,
    /// A request still in progress past its deadline (typically a client that stopped
    /// reading its response).
    ResponseTimeout,
    /// A request gave up on its client (a stream whose client stopped reading).
    Aborted,
    /// Closed to make room under the connection cap.
    Evicted,
}

impl CloseReason {
    /// The label in metrics and logs.
    pub fn label(self) -> &'static str {
        match self {
            CloseReason::HeadTimeout => "head-timeout",
            CloseReason::IdleTimeout => "idle-timeout",
            CloseReason::ResponseTimeout => "response-timeout",
            CloseReason::Aborted => "aborted",
            CloseReason::Evicted => "evicted",
        }
    }
}

/// What a connection is doing, as far as its deadlines go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// Requests started on the connection so far.
    pub started: u64,
    /// Since when no request has been in progress (`None` while one is): the connection's
    /// opening, or the end of its last request.
    pub idle_since: Option<Instant>,
    /// The requests in progress, with the time each must be done by.
    pub deadlines: Vec<(u64, Instant)>,
    /// A request gave up on the client: close now.
    pub aborted: bool,
    /// Chosen to make room under the connection cap: close now.
    pub evicted: bool,
}

impl Activity {
    /// A connection just accepted.
    pub fn new(now: Instant) -> Activity {
        Activity {
            started: 0,
            idle_since: Some(now),
            deadlines: Vec::new(),
            aborted: false,
            evicted: false,
        }
    }
}

/// What the watchdog does with a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Leave it open; look again at `until` (or when something changes).
    Keep {
        /// The next deadline, if any.
        until: Option<Instant>,
    },
    /// Close it.
    Close(CloseReason),
}

/// The watchdog's decision for a connection in state `a` at `now`.
pub fn verdict(a: &Activity, timeouts: &ClientTimeouts, now: Instant) -> Verdict {
    if a.aborted {
        return Verdict::Close(CloseReason::Aborted);
    }
    if a.evicted {
        return Verdict::Close(CloseReason::Evicted);
    }
    let (at, reason) = match a.idle_since {
        Some(since) if a.started == 0 => (since + timeouts.head, CloseReason::HeadTimeout),
        Some(since) => (since + timeouts.idle, CloseReason::IdleTimeout),
        None => match a.deadlines.iter().map(|(_, at)| *at).min() {
            Some(at) => (at, CloseReason::ResponseTimeout),
            None => return Verdict::Keep { until: None },
        },
    };
    if now >= at { Verdict::Close(reason) } else { Verdict::Keep { until: Some(at) } }
}

/// The connection to close to make room: the one idle the longest, never one with a request
/// in progress or already on its way out. `candidates` are `(id, idle since)`.
pub fn eviction_victim(
    candidates: impl IntoIterator<Item = (u64, Option<Instant>)>,
) -> Option<u64> {
    candidates
        .into_iter()
        .filter_map(|(id, idle_since)| idle_since.map(|since| (since, id)))
        .min()
        .map(|(_, id)| id)
}

/// Lets a noisy condition be logged once per `every` with the number of repeats in between,
/// rather than at the rate an attacker can cause it.
#[derive(Debug, Clone)]
pub struct Throttle {
    every: Duration,
    last: Option<Instant>,
    suppressed: u64,
}

impl Throttle {
    /// Allows one line per `every`.
    pub fn new(every: Duration) -> Throttle {
        Throttle { every, last: None, suppressed: 0 }
    }

    /// Whether to log this occurrence at `now`: `Some(repeats not logged since the last
    /// line)`, or `None` to stay quiet.
    pub fn hit(&mut self, now: Instant) -> Option<u64> {
        match self.last {
            Some(last) if now.saturating_duration_since(last) < self.every => {
                self.suppressed += 1;
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.suppressed))
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// One open connection, shared by its task, its requests and the registry.
#[derive(Debug)]
pub(crate) struct Conn {
    activity: Mutex<Activity>,
    changed: Notify,
}

impl Conn {
    fn update(&self, change: impl FnOnce(&mut Activity)) {
        change(&mut lock(&self.activity));
        self.changed.notify_one();
    }

    /// Resolves with the reason once the connection must close.
    pub(crate) async fn watch(&self, timeouts: &ClientTimeouts) -> CloseReason {
        loop {
            // Registered before looking, so a change between the look and the wait is seen.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let now = Instant::now();
            let verdict = verdict(&lock(&self.activity), timeouts, now);
            match verdict {
                Verdict::Close(reason) => return reason,
                Verdict::Keep { until: Some(at) } => {
                    tokio::select! {
                        () = &mut changed => {}
                        () = tokio::time::sleep_until(at.into()) => {}
                    }
                }
                Verdict::Keep { until: None } => changed.await,
            }
        }
    }

    /// A request started; it must be done (response written) within `limit`. The guard ends
    /// it when dropped.
    pub(crate) fn request_started(self: &Arc<Self>, limit: Duration) -> RequestGuard {
        let now = Instant::now();
        let mut id = 0;
        self.update(|a| {
            a.started += 1;
            id = a.started;
            a.idle_since = None;
            a.deadlines.push((id, now + limit));
        });
        RequestGuard { conn: self.clone(), id }
    }
}

/// A request in progress on a connection; dropping it (with the response body) ends it.
#[derive(Debug)]
pub(crate) struct RequestGuard {
    conn: Arc<Conn>,
    id: u64,
}

impl RequestGuard {
    /// A handle a request can keep to give up on its client.
    pub(crate) fn handle(&self) -> ConnectionHandle {
        ConnectionHandle(self.conn.clone())
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let id = self.id;
        self.conn.update(|a| {
            a.deadlines.retain(|(d, _)| *d != id);
            if a.deadlines.is_empty() {
                a.idle_since = Some(Instant::now());
            }
        });
    }
}

/// Lets a request close its connection (request extensions carry it to the handlers).
#[derive(Debug, Clone)]
pub(crate) struct ConnectionHandle(Arc<Conn>);

impl ConnectionHandle {
    /// Closes the connection now: its client stopped reading, and finishing the response
    /// cleanly would pass a cut-off answer for a complete one.
    pub(crate) fn abort(&self) {
        self.0.update(|a| a.aborted = true);
    }
}

/// The open connections, capped.
#[derive(Debug)]
pub(crate) struct Connections {
    open: Mutex<HashMap<u64, Arc<Conn>>>,
    next: Mutex<u64>,
    closed: Notify,
    cap: usize,
}

impl Connections {
    pub(crate) fn new(cap: usize) -> Connections {
        Connections {
            open: Mutex::new(HashMap::new()),
            next: Mutex::new(0),
            closed: Notify::new(),
            cap,
        }
    }

    /// The cap.
    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    /// Connections open now.
    pub(crate) fn len(&self) -> usize {
        lock(&self.open).len()
    }

    /// Registers a connection just accepted; dropping the registration removes it.
    pub(crate) fn register(self: &Arc<Self>) -> Registration {
        let id = {
            let mut next = lock(&self.next);
            *next += 1;
            *next
        };
        let conn = Arc::new(Conn {
            activity: Mutex::new(Activity::new(Instant::now())),
            changed: Notify::new(),
        });
        lock(&self.open).insert(id, conn.clone());
        Registration { connections: self.clone(), id, conn }
    }

    /// Asks the connection idle the longest to close; `false` when every connection has a
    /// request in progress.
    pub(crate) fn evict_one(&self) -> bool {
        let open = lock(&self.open);
        let candidates = open.iter().map(|(id, conn)| {
            let a = lock(&conn.activity);
            (*id, if a.evicted || a.aborted { None } else { a.idle_since })
        });
        let Some(victim) = eviction_victim(candidates.collect::<Vec<_>>()) else { return false };
        if let Some(conn) = open.get(&victim) {
            conn.update(|a| a.evicted = true);
        }
        true
    }

    /// Resolves when a connection closes after it was created (and enabled).
    pub(crate) fn closed(&self) -> tokio::sync::futures::Notified<'_> {
        self.closed.notified()
    }
}

/// A connection's place in [`Connections`].
#[derive(Debug)]
pub(crate) struct Registration {
    connections: Arc<Connections>,
    id: u64,
    conn: Arc<Conn>,
}

impl Registration {
    /// The connection's shared state.
    pub(crate) fn conn(&self) -> &Arc<Conn> {
        &self.conn
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        lock(&self.connections.open).remove(&self.id);
        self.connections.closed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn timeouts() -> ClientTimeouts {
        ClientTimeouts {
            head: Duration::from_secs(10),
            idle: Duration::from_secs(60),
            body: Duration::from_secs(30),
            write: Duration::from_secs(10),
        }
    }

    #[test]
    fn every_state_of_a_connection_has_a_deadline() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let fresh = Activity::new(t0);
        let idle = Activity { started: 3, idle_since: Some(t0), ..fresh.clone() };
        let busy = Activity {
            started: 2,
            idle_since: None,
            deadlines: vec![(1, t0 + s(50)), (2, t0 + s(40))],
            ..fresh.clone()
        };
        let rows = [
            // Silent since accepted (no bytes, half a preface, only SETTINGS): the head deadline.
            (&fresh, s(9), Verdict::Keep { until: Some(t0 + s(10)) }),
            (&fresh, s(10), Verdict::Close(CloseReason::HeadTimeout)),
            // Idle after requests: the keep-alive deadline, counted from the last one's end.
            (&idle, s(59), Verdict::Keep { until: Some(t0 + s(60)) }),
            (&idle, s(61), Verdict::Close(CloseReason::IdleTimeout)),
            // Requests in progress: the earliest request deadline; no idle deadline.
            (&busy, s(39), Verdict::Keep { until: Some(t0 + s(40)) }),
            (&busy, s(40), Verdict::Close(CloseReason::ResponseTimeout)),
        ];
        for (activity, after, want) in rows {
            assert_eq!(verdict(activity, &timeouts(), t0 + after), want, "{activity:?} {after:?}");
        }
        // Busy without a recorded deadline (never built that way): wait for a change.
        let unbounded = Activity { idle_since: None, started: 1, ..fresh.clone() };
        assert_eq!(verdict(&unbounded, &timeouts(), t0), Verdict::Keep { until: None });
        // Abort and eviction close at once, whatever the deadlines say.
        let aborted = Activity { aborted: true, ..busy.clone() };
        assert_eq!(verdict(&aborted, &timeouts(), t0), Verdict::Close(CloseReason::Aborted));
        let evicted = Activity { evicted: true, ..idle };
        assert_eq!(verdict(&evicted, &timeouts(), t0), Verdict::Close(CloseReason::Evicted));
    }

    #[test]
    fn the_longest_idle_connection_makes_room() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        type Candidates = Vec<(u64, Option<Instant>)>;
        let rows: Vec<(Candidates, Option<u64>)> = vec![
            (vec![], None),
            // Busy connections (no idle time) are never chosen.
            (vec![(1, None), (2, None)], None),
            (vec![(1, None), (2, Some(t0 + s(5))), (3, Some(t0 + s(1)))], Some(3)),
            (vec![(7, Some(t0)), (8, Some(t0 + s(1)))], Some(7)),
        ];
        for (candidates, want) in rows {
            assert_eq!(eviction_victim(candidates.clone()), want, "{candidates:?}");
        }
    }

    #[test]
    fn the_cap_fits_the_open_file_limit() {
        let rows = [
            // (configured, nofile, max concurrency) -> cap
            ((None, None, 64), DEFAULT_MAX_CONNECTIONS),
            ((None, Some(1_048_576), 64), DEFAULT_MAX_CONNECTIONS),
            ((None, Some(1024), 64), 1024 - 64 - 128),
            ((None, Some(300), 4), 300 - 64 - 8),
            ((Some(100), Some(300), 4), 100),
            ((Some(10_000), Some(300), 4), 228),
            // Never below the floor, even when the limit leaves nothing.
            ((None, Some(50), 64), MIN_CONNECTIONS),
            ((Some(1), None, 1), MIN_CONNECTIONS),
            ((None, Some(u64::MAX), usize::MAX), MIN_CONNECTIONS),
        ];
        for ((configured, nofile, concurrency), want) in rows {
            assert_eq!(
                connection_cap(configured, nofile, concurrency),
                want,
                "{configured:?} {nofile:?} {concurrency}"
            );
        }
    }

    #[test]
    fn noisy_conditions_are_logged_once_per_period() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut throttle = Throttle::new(Duration::from_secs(10));
        let hits: Vec<Option<u64>> = [0, 50, 100, 9_999, 10_000, 10_050, 30_000]
            .iter()
            .map(|t| throttle.hit(t0 + ms(*t)))
            .collect();
        assert_eq!(hits, [Some(0), None, None, None, Some(3), None, Some(1)]);
    }

    #[tokio::test]
    async fn requests_move_a_connection_between_its_deadlines() {
        let connections = Arc::new(Connections::new(4));
        let registration = connections.register();
        let conn = registration.conn().clone();
        let t = ClientTimeouts { head: Duration::from_millis(50), ..timeouts() };
        let guard = conn.request_started(Duration::from_secs(5));
        // In progress: no head or idle deadline applies.
        assert!(tokio::time::timeout(Duration::from_millis(120), conn.watch(&t)).await.is_err());
        assert!(!connections.evict_one(), "a busy connection was chosen");
        drop(guard);
        // Idle now: the cap may take it, and the watchdog closes it.
        assert!(connections.evict_one());
        assert_eq!(conn.watch(&t).await, CloseReason::Evicted);
        assert_eq!(connections.len(), 1);
        drop(registration);
        assert_eq!(connections.len(), 0);
    }
}

//! When and how long to wait before sending a failed request again.
//!
//! Modelled on the AWS SDKs' "standard" retry mode: exponential backoff with full jitter,
//! bounded attempts, only for errors that another attempt can fix, and a server-advised
//! `Retry-After` honoured. The pause itself is taken by the caller (in the component that is
//! `std::thread::sleep`, which blocks on `wasi:clocks`), so it counts against the call's deadline.
//!
//! That deadline (`timeouts.totalMs`) is a [`Deadline`]: the retry loop never starts an attempt
//! or a pause past it, the transport's own timeouts are shortened to what is left of it, and a
//! response body read through [`DeadlineBody`] stops at it, so a stream pulled part by part is
//! bounded too. The guest enforces it itself: the host only applies its own, operator-set limit.

use std::time::{Duration, Instant};

use crate::error::{ErrorKind, ProviderError};
use crate::transport::{Body, TimeoutPhase, Timeouts, TransportError};

/// First backoff step.
const BASE_DELAY_MS: u64 = 100;
/// No single pause is longer than this (the SDKs use 20 s).
const MAX_DELAY_MS: u64 = 20_000;

/// Whether another attempt can fix `error`, given what the transport told us.
///
/// Throttling, a model still loading, a busy or failing service, and timeouts are transient.
/// Quota, validation, access and authentication errors are not: repeating them only adds load.
/// A network failure is retried only when no response byte arrived, so a request the service
/// may have processed is never sent twice.
pub fn is_retryable(error: &ProviderError, before_response: bool) -> bool {
    match error.kind {
        ErrorKind::Throttled
        | ErrorKind::ModelNotReady
        | ErrorKind::ServiceUnavailable
        | ErrorKind::Internal
        | ErrorKind::ModelTimeout
        | ErrorKind::Timeout => true,
        ErrorKind::Network => before_response,
        _ => false,
    }
}

/// The pause before attempt `attempt + 1` (attempts count from 1), given a random `unit` in
/// `[0, 1)`: full jitter, `unit * min(MAX, BASE * 2^attempt)`; a server `Retry-After` wins.
pub fn backoff(attempt: u32, retry_after_ms: Option<u64>, unit: f64) -> Duration {
    if let Some(ms) = retry_after_ms {
        return Duration::from_millis(ms.min(MAX_DELAY_MS));
    }
    let ceiling = BASE_DELAY_MS.saturating_mul(1u64 << attempt.min(20)).min(MAX_DELAY_MS);
    Duration::from_millis((ceiling as f64 * unit.clamp(0.0, 1.0)) as u64)
}

/// A small xorshift generator for jitter: jitter needs spread, not cryptographic quality,
/// and this avoids pulling a RNG crate into the component.
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    /// Seeded from the clock; a zero seed is replaced, since xorshift would stay at zero.
    pub fn from_clock() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Self::new(nanos)
    }

    /// A generator with a fixed seed (tests).
    pub fn new(seed: u64) -> Self {
        Self(if seed == 0 { 0x9E37_79B9_7F4A_7C15 } else { seed })
    }

    /// The next value in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Adds "after N attempts" to an error that survived retries, so the operator knows the
/// provider already tried.
pub fn note_attempts(mut error: ProviderError, attempts: u32) -> ProviderError {
    if attempts > 1 {
        error.message = format!("{} (gave up after {attempts} attempts)", error.message);
    }
    error
}

/// When a whole call (every attempt, pause and body read) must be over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    /// `None` only if the clock cannot represent the instant, which no accepted setting reaches.
    at: Option<Instant>,
}

impl Deadline {
    /// `ms` milliseconds from now.
    pub fn after_ms(ms: u64) -> Self {
        Self { at: Instant::now().checked_add(Duration::from_millis(ms)) }
    }

    /// The instant itself, for transports that can wait on a clock.
    pub fn at(&self) -> Option<Instant> {
        self.at
    }

    /// The time left; zero once it has passed.
    pub fn remaining(&self) -> Duration {
        match self.at {
            Some(at) => at.saturating_duration_since(Instant::now()),
            None => Duration::MAX,
        }
    }

    /// Whether it has passed.
    pub fn expired(&self) -> bool {
        self.remaining().is_zero()
    }

    /// `timeouts` shortened to the time left, so no single wait the transport makes can outlast
    /// the call. Rounded up to whole milliseconds (and at least 1, as 0 would mean "none" to
    /// some hosts): a transport timeout that fires then has reached the deadline, which is how
    /// [`Deadline::explain`] recognises it.
    pub fn clamp(&self, timeouts: &Timeouts) -> Timeouts {
        let remaining = self.remaining();
        let ms =
            remaining.as_millis() + u128::from(!remaining.subsec_nanos().is_multiple_of(1_000_000));
        let left = u64::try_from(ms).unwrap_or(u64::MAX).max(1);
        Timeouts {
            connect_ms: timeouts.connect_ms.min(left),
            first_byte_ms: timeouts.first_byte_ms.min(left),
            between_bytes_ms: timeouts.between_bytes_ms.min(left),
        }
    }

    /// `error` unless it is a transport timeout that fired because this deadline passed (the
    /// transport's timeouts were clamped to it): then the call's own `timeout`, naming
    /// `timeouts.totalMs`.
    pub fn explain(&self, error: TransportError) -> TransportError {
        match error {
            TransportError::Timeout(_) if self.expired() => {
                TransportError::Timeout(TimeoutPhase::Total)
            }
            other => other,
        }
    }
}

/// A response body that stops at the call's [`Deadline`]: every read first checks the clock,
/// and a read the transport cut short at the deadline reports the total deadline.
pub struct DeadlineBody {
    inner: Box<dyn Body>,
    deadline: Deadline,
}

impl DeadlineBody {
    /// Reads `inner` until `deadline`.
    pub fn new(inner: Box<dyn Body>, deadline: Deadline) -> Self {
        Self { inner, deadline }
    }
}

impl Body for DeadlineBody {
    fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, TransportError> {
        if self.deadline.expired() {
            return Err(TransportError::Timeout(TimeoutPhase::Total));
        }
        self.inner.next_chunk().map_err(|e| self.deadline.explain(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(kind: ErrorKind) -> ProviderError {
        ProviderError::new(kind, "x")
    }

    #[test]
    fn only_transient_kinds_are_retried() {
        let retried = [
            ErrorKind::Throttled,
            ErrorKind::ModelNotReady,
            ErrorKind::ServiceUnavailable,
            ErrorKind::Internal,
            ErrorKind::ModelTimeout,
            ErrorKind::Timeout,
        ];
        for kind in retried {
            assert!(is_retryable(&err(kind), false), "{kind:?} should be retried");
        }
        let never = [
            ErrorKind::QuotaExceeded,
            ErrorKind::InvalidRequest,
            ErrorKind::InvalidSettings,
            ErrorKind::AccessDenied,
            ErrorKind::Authentication,
            ErrorKind::ExpiredCredentials,
            ErrorKind::ModelNotFound,
            ErrorKind::OnDemandUnsupported,
            ErrorKind::DeniedByHost,
            ErrorKind::InvalidResponse,
            ErrorKind::ModelError,
        ];
        for kind in never {
            assert!(!is_retryable(&err(kind), true), "{kind:?} must not be retried");
        }
    }

    #[test]
    fn network_failures_are_retried_only_before_the_response() {
        assert!(is_retryable(&err(ErrorKind::Network), true));
        assert!(!is_retryable(&err(ErrorKind::Network), false));
    }

    #[test]
    fn backoff_is_full_jitter_under_an_exponential_ceiling() {
        assert_eq!(backoff(1, None, 0.0), Duration::ZERO);
        assert_eq!(backoff(1, None, 0.999_999), Duration::from_millis(199));
        assert_eq!(backoff(3, None, 0.5), Duration::from_millis(400));
        // The ceiling stops growing at 20 s however many attempts were made.
        assert_eq!(backoff(30, None, 0.999_999), Duration::from_millis(19_999));
    }

    #[test]
    fn retry_after_wins_and_is_capped() {
        assert_eq!(backoff(1, Some(1500), 0.0), Duration::from_millis(1500));
        assert_eq!(backoff(1, Some(90_000), 0.0), Duration::from_millis(MAX_DELAY_MS));
    }

    #[test]
    fn jitter_spreads_over_the_unit_interval() {
        let mut j = Jitter::new(42);
        let values: Vec<f64> = (0..1000).map(|_| j.unit()).collect();
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
        let low = values.iter().filter(|v| **v < 0.5).count();
        assert!((400..600).contains(&low), "{low} of 1000 below 0.5");
    }

    #[test]
    fn attempts_are_reported() {
        assert_eq!(note_attempts(err(ErrorKind::Throttled), 1).message, "x");
        assert_eq!(
            note_attempts(err(ErrorKind::Throttled), 3).message,
            "x (gave up after 3 attempts)"
        );
    }

    #[test]
    fn a_deadline_clamps_the_transport_timeouts() {
        let t = Timeouts { connect_ms: 10_000, first_byte_ms: 60_000, between_bytes_ms: 5 };
        let clamped = Deadline::after_ms(1_000).clamp(&t);
        assert!((900..=1_000).contains(&clamped.connect_ms), "{clamped:?}");
        assert!((900..=1_000).contains(&clamped.first_byte_ms), "{clamped:?}");
        assert_eq!(clamped.between_bytes_ms, 5);
        let past = Deadline::after_ms(0);
        assert!(past.expired());
        assert_eq!(
            past.clamp(&t),
            Timeouts { connect_ms: 1, first_byte_ms: 1, between_bytes_ms: 1 }
        );
        assert!(!Deadline::after_ms(60_000).expired());
    }

    #[test]
    fn a_timeout_at_the_deadline_is_the_total_deadline() {
        let past = Deadline::after_ms(0);
        let first_byte = TransportError::Timeout(TimeoutPhase::FirstByte);
        assert_eq!(past.explain(first_byte.clone()), TransportError::Timeout(TimeoutPhase::Total));
        assert_eq!(Deadline::after_ms(60_000).explain(first_byte.clone()), first_byte);
        let reset = TransportError::Network { detail: "reset".into(), before_response: true };
        assert_eq!(past.explain(reset.clone()), reset);
    }

    #[test]
    fn a_body_stops_at_the_deadline() {
        struct Endless;
        impl Body for Endless {
            fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, TransportError> {
                Ok(Some(b"x".to_vec()))
            }
        }
        let mut body = DeadlineBody::new(Box::new(Endless), Deadline::after_ms(60_000));
        assert_eq!(body.next_chunk(), Ok(Some(b"x".to_vec())));
        let mut body = DeadlineBody::new(Box::new(Endless), Deadline::after_ms(0));
        assert_eq!(body.next_chunk(), Err(TransportError::Timeout(TimeoutPhase::Total)));
        let e = ProviderError::from(TransportError::Timeout(TimeoutPhase::Total));
        assert_eq!((e.kind, e.field.as_deref()), (ErrorKind::Timeout, Some("timeouts.totalMs")));
    }
}

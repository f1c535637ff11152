//! When and how long to wait before sending a failed request again.
//!
//! Modelled on the AWS SDKs' "standard" retry mode: exponential backoff with full jitter,
//! bounded attempts, only for errors that another attempt can fix, and a server-advised
//! `Retry-After` honoured. The pause itself is taken by the caller (in the component that is
//! `std::thread::sleep`, which blocks on `wasi:clocks`), so it counts against the call's deadline.

use std::time::Duration;

use crate::error::{ErrorKind, ProviderError};

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
}

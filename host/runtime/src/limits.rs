//! Per-call caps on what a component can make the *host* hold or do on its behalf.
//!
//! The sandbox's memory limit covers the component's own linear memory only. Host resources
//! (header maps, requests, streams, outbound connections) live in the host's memory and file
//! descriptors, so a component could otherwise exhaust the host through them: thousands of
//! header maps, thousands of outgoing requests started at once, an endless request body. These
//! caps bound them per call; the decisions are the pure functions below, and the `sandbox` module
//! and [`crate::outbound`] apply them.

/// Caps on one call's outbound HTTP requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboundLimits {
    /// Requests a call may start in total (retries and fan-out included).
    pub max_requests: u32,
    /// Requests a call may have in flight at once; each holds at most one connection until
    /// its response body ends or is dropped.
    pub max_in_flight: u32,
    /// The largest request body a call may send, declared or streamed.
    pub max_request_body_bytes: u64,
}

impl Default for OutboundLimits {
    fn default() -> Self {
        OutboundLimits {
            max_requests: DEFAULT_MAX_OUTBOUND_REQUESTS,
            max_in_flight: DEFAULT_MAX_OUTBOUND_CONNECTIONS,
            max_request_body_bytes: DEFAULT_MAX_REQUEST_BODY_BYTES,
        }
    }
}

/// Default [`OutboundLimits::max_requests`]: room for a 2048-input embedding call that needs
/// one request per input, with retries.
pub const DEFAULT_MAX_OUTBOUND_REQUESTS: u32 = 10_000;
/// Default [`OutboundLimits::max_in_flight`]: twice what a well-behaved provider fans out to.
pub const DEFAULT_MAX_OUTBOUND_CONNECTIONS: u32 = 16;
/// Default [`OutboundLimits::max_request_body_bytes`]: larger than any request a 64 MiB
/// sandbox can build.
pub const DEFAULT_MAX_REQUEST_BODY_BYTES: u64 = 32 * 1024 * 1024;
/// Default cap on host resources (`ResourceTable` entries) per call: a provider with eight
/// requests in flight uses about a hundred.
pub const DEFAULT_MAX_HOST_RESOURCES: usize = 1000;
/// Default cap on bytes a call may copy into host-side header maps and request targets.
pub const DEFAULT_MAX_HOST_BYTES: usize = 16 * 1024 * 1024;

/// What happens to a request the component starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Send it.
    Admit,
    /// The call already started `limit` requests.
    TooMany {
        /// [`OutboundLimits::max_requests`].
        limit: u32,
    },
    /// `limit` requests of the call are in flight.
    TooManyAtOnce {
        /// [`OutboundLimits::max_in_flight`].
        limit: u32,
    },
}

/// Whether a call that has `started` requests so far, `in_flight` of them still running, may
/// start another. Refused at once rather than queued: a queue would hold the request (and its
/// body) in host memory, which is what the caps are for.
pub fn admit_request(started: u32, in_flight: u32, limits: &OutboundLimits) -> Admission {
    if started >= limits.max_requests {
        Admission::TooMany { limit: limits.max_requests }
    } else if in_flight >= limits.max_in_flight {
        Admission::TooManyAtOnce { limit: limits.max_in_flight }
    } else {
        Admission::Admit
    }
}

/// Whether a request body is within `limit`: `Err(size)` for a declared length over it (refused
/// before anything is sent) or a streamed body that has crossed it.
pub fn request_body_within(size: Option<u64>, limit: u64) -> Result<(), u64> {
    match size {
        Some(size) if size > limit => Err(size),
        _ => Ok(()),
    }
}

/// Adds `bytes` to the `used` host-bytes budget: the new total, or `None` when it would pass
/// `limit`.
pub fn charge(used: usize, bytes: usize, limit: usize) -> Option<usize> {
    used.checked_add(bytes).filter(|total| *total <= limit)
}

/// A host-side cap a component ran into; the call fails with it (a trap, since the functions
/// that allocate host resources cannot all return an error to the guest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostLimit {
    /// `ResourceTable` entries: header maps, requests, bodies, streams, pollables.
    Resources {
        /// The cap.
        limit: usize,
    },
    /// Bytes copied into host-side header maps and request targets.
    HostBytes {
        /// The cap.
        limit: usize,
    },
}

impl std::fmt::Display for HostLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HostLimit::Resources { limit } => write!(f, "{limit} host resources"),
            HostLimit::HostBytes { limit } => {
                write!(f, "{} of host memory for headers and request targets", bytes(*limit))
            }
        }
    }
}

/// `16 MiB`, `3 KiB`, `100 bytes`: whole units only, so no figure is rounded.
fn bytes(n: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * KIB;
    match n {
        n if n >= MIB && n % MIB == 0 => format!("{} MiB", n / MIB),
        n if n >= KIB && n % KIB == 0 => format!("{} KiB", n / KIB),
        n => format!("{n} bytes"),
    }
}

/// The `code` of the error a call that ran out of sandbox (linear) memory fails with.
pub const MEMORY_LIMIT_CODE: &str = "memory-limit";
/// The `code` of the error a call that passed [`HostLimit::Resources`] fails with.
pub const HOST_RESOURCE_LIMIT_CODE: &str = "host-resource-limit";
/// The `code` of the error a call that passed [`HostLimit::HostBytes`] fails with.
pub const HOST_MEMORY_LIMIT_CODE: &str = "host-memory-limit";

impl std::error::Error for HostLimit {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_admitted_up_to_both_caps() {
        let limits =
            OutboundLimits { max_requests: 10, max_in_flight: 2, max_request_body_bytes: 100 };
        let rows = [
            // (started, in flight) -> admission
            ((0, 0), Admission::Admit),
            ((9, 1), Admission::Admit),
            ((1, 2), Admission::TooManyAtOnce { limit: 2 }),
            ((5, 7), Admission::TooManyAtOnce { limit: 2 }),
            // The total is checked first: a call past it is refused even when nothing runs.
            ((10, 0), Admission::TooMany { limit: 10 }),
            ((10, 2), Admission::TooMany { limit: 10 }),
            ((u32::MAX, 0), Admission::TooMany { limit: 10 }),
        ];
        for ((started, in_flight), want) in rows {
            assert_eq!(admit_request(started, in_flight, &limits), want, "{started} {in_flight}");
        }
    }

    #[test]
    fn request_bodies_are_checked_against_the_cap() {
        let rows = [
            (None, Ok(())),
            (Some(0), Ok(())),
            (Some(100), Ok(())),
            (Some(101), Err(101)),
            (Some(u64::MAX), Err(u64::MAX)),
        ];
        for (size, want) in rows {
            assert_eq!(request_body_within(size, 100), want, "{size:?}");
        }
    }

    #[test]
    fn the_host_bytes_budget_never_overflows() {
        let rows = [
            ((0, 0, 10), Some(0)),
            ((0, 10, 10), Some(10)),
            ((5, 5, 10), Some(10)),
            ((5, 6, 10), None),
            ((usize::MAX, 1, usize::MAX), None),
            ((1, usize::MAX, usize::MAX), None),
        ];
        for ((used, bytes, limit), want) in rows {
            assert_eq!(charge(used, bytes, limit), want, "{used} {bytes} {limit}");
        }
    }

    #[test]
    fn limits_describe_themselves() {
        assert_eq!(HostLimit::Resources { limit: 5 }.to_string(), "5 host resources");
        let rows = [
            (16 * 1024 * 1024, "16 MiB"),
            (3 * 1024, "3 KiB"),
            (1536 * 1024, "1536 KiB"),
            (1000, "1000 bytes"),
            (0, "0 bytes"),
        ];
        for (n, want) in rows {
            assert_eq!(
                HostLimit::HostBytes { limit: n }.to_string(),
                format!("{want} of host memory for headers and request targets")
            );
        }
    }
}

//! Request admission: a bounded number of model calls at once, and request bodies that are
//! bounded in size, in time and in the memory they hold together.
//!
//! A model-call slot is taken only once the request body has arrived and parsed: a client
//! that sends its body slowly (or never finishes it) holds a connection and a little memory
//! for at most the body deadline, never a slot other clients need.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::StatusCode;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::ApiError;

/// Bounds the model calls (chat and re-rank) in progress; a stream holds its slot until its
/// last byte. Over the bound, requests are refused at once rather than queued, so a client
/// sees a clear 503 instead of a timeout.
#[derive(Debug, Clone)]
pub struct Limiter {
    slots: Arc<Semaphore>,
    limit: usize,
}

impl Limiter {
    /// Allows `limit` calls at once (at least one).
    pub fn new(limit: usize) -> Limiter {
        let limit = limit.max(1);
        Limiter { slots: Arc::new(Semaphore::new(limit)), limit }
    }

    /// A slot, or the 503 error when all are taken.
    pub fn admit(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.slots.clone().try_acquire_owned().map_err(|_| ApiError::overloaded(self.limit))
    }
}

/// The request-body memory all requests may hold at once while their bodies arrive, in KiB
/// (a semaphore's permits). Without it, slow clients on many connections (or many HTTP/2
/// streams) could each park a body just under the size limit.
#[derive(Debug, Clone)]
pub struct BodyBudget {
    kib: Arc<Semaphore>,
    bytes: usize,
}

/// The body budget for a size limit: room for several full-size bodies, and at least 64 MiB.
pub fn default_body_budget(max_body_bytes: usize) -> usize {
    max_body_bytes.saturating_mul(8).max(64 * 1024 * 1024)
}

/// KiB needed to hold `bytes` (rounded up).
fn kib(bytes: usize) -> usize {
    bytes.div_ceil(1024)
}

impl BodyBudget {
    /// A budget of `bytes`.
    pub fn new(bytes: usize) -> BodyBudget {
        let permits = kib(bytes).clamp(1, Semaphore::MAX_PERMITS);
        BodyBudget { kib: Arc::new(Semaphore::new(permits)), bytes }
    }

    /// Grows `share` (held for one body) to cover `total` bytes, or the 503 error when the
    /// budget is spent.
    fn grow(&self, share: &mut Share, total: usize) -> Result<(), ApiError> {
        let needed = kib(total).saturating_sub(share.kib);
        if needed == 0 {
            return Ok(());
        }
        let permit = u32::try_from(needed)
            .ok()
            .and_then(|n| self.kib.clone().try_acquire_many_owned(n).ok())
            .ok_or_else(|| ApiError {
                retryable: true,
                retry_after: Some(Duration::from_secs(1)),
                ..ApiError::gateway(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "overloaded",
                    format!(
                        "The gateway is already receiving as many request bodies as it holds \
                             at once ({} MiB); retry shortly.",
                        self.bytes / (1024 * 1024)
                    ),
                )
            })?;
        match &mut share.permit {
            Some(held) => held.merge(permit),
            None => share.permit = Some(permit),
        }
        share.kib += needed;
        Ok(())
    }
}

/// One body's part of the [`BodyBudget`].
#[derive(Debug, Default)]
struct Share {
    permit: Option<OwnedSemaphorePermit>,
    kib: usize,
}

/// A request body received whole; it holds its share of the body budget until dropped.
#[derive(Debug)]
pub struct ReceivedBody {
    bytes: Bytes,
    _share: Share,
}

impl std::ops::Deref for ReceivedBody {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

/// How a request body may arrive.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// The largest body (413 beyond).
    pub max_bytes: usize,
    /// How long after the head the whole body must have arrived (408 beyond).
    pub timeout: Duration,
}

/// Reads a body within `limits`: an announced `content-length` over the size limit is refused
/// before reading anything, a chunked body as soon as it crosses it; a body that has not
/// arrived by the deadline gets 408; `drain` (the gateway shutting down) ends the wait with
/// 503; a client that hangs up mid-body is `client-disconnected` (499, for the log only).
pub async fn receive_body<B>(
    headers: &http::HeaderMap,
    body: B,
    limits: BodyLimits,
    budget: &BodyBudget,
    drain: impl Future<Output = ()>,
) -> Result<ReceivedBody, ApiError>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let announced = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limits.max_bytes as u64) {
        return Err(ApiError::body_too_large(limits.max_bytes));
    }
    let mut share = Share::default();
    if let Some(n) = announced {
        // Reserved up front: a body that will not fit is refused before it arrives.
        budget.grow(&mut share, usize::try_from(n).unwrap_or(usize::MAX))?;
    }
    let deadline = tokio::time::sleep(limits.timeout);
    tokio::pin!(deadline, drain, body);
    let mut received = BytesMut::new();
    loop {
        let frame = tokio::select! {
            frame = body.frame() => frame,
            () = &mut deadline => return Err(body_timeout(limits.timeout)),
            () = &mut drain => return Err(shutting_down()),
        };
        match frame {
            None => break,
            Some(Ok(frame)) => {
                let Ok(data) = frame.into_data() else { continue };
                let total = received.len().saturating_add(data.len());
                if total > limits.max_bytes {
                    return Err(ApiError::body_too_large(limits.max_bytes));
                }
                budget.grow(&mut share, total)?;
                received.extend_from_slice(&data);
            }
            Some(Err(e)) => return Err(body_error(e.into())),
        }
    }
    Ok(ReceivedBody { bytes: received.freeze(), _share: share })
}

/// The status logged for a client that went away before its answer started (nginx's
/// convention); the client never sees it.
pub const CLIENT_DISCONNECTED: u16 = 499;

/// The error for a body that could not be read: the client hanging up mid-body, or a
/// malformed body.
fn body_error(e: Box<dyn std::error::Error + Send + Sync>) -> ApiError {
    let gone = e
        .downcast_ref::<hyper::Error>()
        .is_some_and(|h| h.is_incomplete_message() || h.is_canceled() || h.is_closed());
    if gone {
        let status = StatusCode::from_u16(CLIENT_DISCONNECTED).unwrap_or(StatusCode::BAD_REQUEST);
        return ApiError::gateway(
            status,
            "client-disconnected",
            "The client closed the connection before its request body arrived.",
        );
    }
    ApiError::gateway(
        StatusCode::BAD_REQUEST,
        "invalid-request",
        format!("The request body could not be read: {e}."),
    )
}

fn body_timeout(timeout: Duration) -> ApiError {
    ApiError::gateway(
        StatusCode::REQUEST_TIMEOUT,
        "request-timeout",
        format!(
            "The request body did not arrive within {} s of the request head. Send the whole \
             body at once.",
            timeout.as_secs_f64()
        ),
    )
}

fn shutting_down() -> ApiError {
    ApiError {
        retryable: true,
        retry_after: Some(Duration::from_secs(1)),
        ..ApiError::gateway(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting-down",
            "The gateway is shutting down and no longer takes requests; retry (another \
             instance will answer).",
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use http_body_util::Full;

    #[test]
    fn slots_are_bounded_and_returned() {
        let limiter = Limiter::new(2);
        let a = limiter.admit().unwrap();
        let _b = limiter.admit().unwrap();
        let e = limiter.admit().unwrap_err();
        assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(e.message.contains("limit of 2 concurrent"), "{}", e.message);
        drop(a);
        assert!(limiter.admit().is_ok());
    }

    const LIMITS: BodyLimits = BodyLimits { max_bytes: 5, timeout: Duration::from_secs(5) };

    fn never() -> std::future::Pending<()> {
        std::future::pending()
    }

    #[tokio::test]
    async fn bodies_are_bounded() {
        let budget = BodyBudget::new(1 << 20);
        let empty = http::HeaderMap::new();
        let body = Full::new(Bytes::from_static(b"12345"));
        let ok = receive_body(&empty, body, LIMITS, &budget, never()).await.unwrap();
        assert_eq!(&ok[..], b"12345");
        let body = Full::new(Bytes::from_static(b"123456"));
        let e = receive_body(&empty, body, LIMITS, &budget, never()).await.unwrap_err();
        assert_eq!(e.status, StatusCode::PAYLOAD_TOO_LARGE);
        let mut announced = http::HeaderMap::new();
        announced.insert(http::header::CONTENT_LENGTH, "999".parse().unwrap());
        let e = receive_body(&announced, Full::new(Bytes::new()), LIMITS, &budget, never())
            .await
            .unwrap_err();
        assert_eq!(e.status, StatusCode::PAYLOAD_TOO_LARGE);
    }

    /// A body that sends its one chunk and then nothing, ever.
    struct Stalled(Option<Bytes>);

    impl hyper::body::Body for Stalled {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            _cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
            match self.0.take() {
                Some(chunk) => std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(chunk)))),
                None => std::task::Poll::Pending,
            }
        }
    }

    fn stalled() -> Stalled {
        Stalled(Some(Bytes::from_static(b"12")))
    }

    #[tokio::test]
    async fn a_body_that_stops_arriving_gets_408_or_503_when_draining() {
        let budget = BodyBudget::new(1 << 20);
        let limits = BodyLimits { max_bytes: 100, timeout: Duration::from_millis(100) };
        let empty = http::HeaderMap::new();
        let started = std::time::Instant::now();
        let e = receive_body(&empty, stalled(), limits, &budget, never()).await.unwrap_err();
        assert_eq!(e.status, StatusCode::REQUEST_TIMEOUT);
        assert_eq!(e.kind, "request-timeout");
        assert!(started.elapsed() < Duration::from_secs(2));
        // Shutting down ends the wait at once, with a retryable 503.
        let limits = BodyLimits { timeout: Duration::from_secs(60), ..limits };
        let e = receive_body(&empty, stalled(), limits, &budget, async {}).await.unwrap_err();
        assert_eq!(
            (e.status, e.kind.as_str(), e.retryable),
            (StatusCode::SERVICE_UNAVAILABLE, "shutting-down", true)
        );
    }

    #[tokio::test]
    async fn bodies_share_one_memory_budget() {
        let budget = BodyBudget::new(4 * 1024);
        let limits = BodyLimits { max_bytes: 1 << 20, timeout: Duration::from_secs(5) };
        let mut announced = http::HeaderMap::new();
        announced.insert(http::header::CONTENT_LENGTH, "3000".parse().unwrap());
        let body = Full::new(Bytes::from(vec![b'a'; 3000]));
        let held = receive_body(&announced, body, limits, &budget, never()).await.unwrap();
        // 3 KiB of 4 are held: a second 3000-byte body is refused before it arrives...
        let body = Full::new(Bytes::from(vec![b'a'; 3000]));
        let e = receive_body(&announced, body, limits, &budget, never()).await.unwrap_err();
        assert_eq!(
            (e.status, e.kind.as_str(), e.retryable),
            (StatusCode::SERVICE_UNAVAILABLE, "overloaded", true)
        );
        // ...and a chunked one once it grows past what is left.
        let empty = http::HeaderMap::new();
        let body = Full::new(Bytes::from(vec![b'a'; 2000]));
        assert_eq!(
            receive_body(&empty, body, limits, &budget, never()).await.unwrap_err().kind,
            "overloaded"
        );
        // Dropping the body returns its share.
        drop(held);
        let body = Full::new(Bytes::from(vec![b'a'; 3000]));
        assert_eq!(
            receive_body(&announced, body, limits, &budget, never()).await.unwrap().len(),
            3000
        );
        assert_eq!(default_body_budget(10 << 20), 80 << 20);
        assert_eq!(default_body_budget(1024), 64 << 20);
    }
}

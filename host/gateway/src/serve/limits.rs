//! Request admission: a bounded number of model calls at once, and a bounded request body.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
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

/// Reads a body of at most `limit` bytes: an announced `content-length` over the limit is
/// refused before reading anything, a chunked body as soon as it crosses the limit.
pub async fn read_body<B>(
    headers: &http::HeaderMap,
    body: B,
    limit: usize,
) -> Result<Bytes, ApiError>
where
    B: hyper::body::Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let announced = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::body_too_large(limit));
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(ApiError::body_too_large(limit)),
        Err(e) => Err(ApiError::gateway(
            StatusCode::BAD_REQUEST,
            "invalid-request",
            format!("The request body could not be read: {e}."),
        )),
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

    #[tokio::test]
    async fn bodies_are_bounded() {
        let empty = http::HeaderMap::new();
        let ok = read_body(&empty, Full::new(Bytes::from_static(b"12345")), 5).await.unwrap();
        assert_eq!(&ok[..], b"12345");
        let e = read_body(&empty, Full::new(Bytes::from_static(b"123456")), 5).await.unwrap_err();
        assert_eq!(e.status, StatusCode::PAYLOAD_TOO_LARGE);
        let mut announced = http::HeaderMap::new();
        announced.insert(http::header::CONTENT_LENGTH, "999".parse().unwrap());
        let e = read_body(&announced, Full::new(Bytes::new()), 5).await.unwrap_err();
        assert_eq!(e.status, StatusCode::PAYLOAD_TOO_LARGE);
    }
}

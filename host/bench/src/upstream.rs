//! A minimal Bedrock stand-in for benchmarks: answers every request with fixed bytes, checks
//! no signature, and runs on its own threads so its work is never charged to the code under
//! test.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use bytes::Bytes;
use http::{Request, Response, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

/// The Converse answer every non-streaming request gets: the spec's recorded text answer
/// (spec §15.1, vercel/ai `amazon-bedrock-text.json`), verbatim from `fixtures/converse/text.json`.
pub const CONVERSE_TEXT_FIXTURE: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/converse/text.json"))
        .trim_ascii_end();

/// The spec's complete recorded ConverseStream body (spec §10.3 TV-4, six frames, 1157 bytes),
/// base64.
const CONVERSE_STREAM_TV4: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/eventstream/tv4.base64"))
        .trim_ascii();

/// The recorded ConverseStream body (spec §10.3 TV-4): the answer "OK." in six frames.
pub fn converse_stream_fixture() -> Bytes {
    // The constant is checked by `fixture_decodes` below; an empty body would fail loudly in
    // any benchmark that streams.
    Bytes::from(
        base64::engine::general_purpose::STANDARD.decode(CONVERSE_STREAM_TV4).unwrap_or_default(),
    )
}

/// A loopback HTTP/1.1 server that answers like Bedrock with canned bytes: `.../converse-stream`
/// gets an event stream, everything else a Converse JSON answer. No signature checks.
///
/// It runs on a runtime of its own (its own threads), and stops when dropped.
pub struct CannedUpstream {
    addr: SocketAddr,
    requests: Arc<AtomicU64>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for CannedUpstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CannedUpstream").field("addr", &self.addr).finish_non_exhaustive()
    }
}

/// What the upstream answers.
#[derive(Clone)]
struct Canned {
    converse: Bytes,
    stream: Bytes,
}

impl CannedUpstream {
    /// Starts on `127.0.0.1` (any free port) with `threads` worker threads, answering with the
    /// recorded fixtures ([`CONVERSE_TEXT_FIXTURE`], [`converse_stream_fixture`]).
    pub fn start(threads: usize) -> std::io::Result<Self> {
        Self::with_bodies(
            threads,
            Bytes::from_static(CONVERSE_TEXT_FIXTURE.as_bytes()),
            converse_stream_fixture(),
        )
    }

    /// Like [`CannedUpstream::start`], with the given Converse and ConverseStream bodies.
    pub fn with_bodies(threads: usize, converse: Bytes, stream: Bytes) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name("canned-upstream")
            .enable_all()
            .build()?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(AtomicU64::new(0));
        let canned = Canned { converse, stream };
        let counter = requests.clone();
        runtime.spawn(async move {
            let Ok(listener) = TcpListener::from_std(listener) else { return };
            loop {
                let Ok((tcp, _)) = listener.accept().await else { continue };
                let _ = tcp.set_nodelay(true);
                let (canned, counter) = (canned.clone(), counter.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<Incoming>| {
                        let (canned, counter) = (canned.clone(), counter.clone());
                        async move {
                            counter.fetch_add(1, Ordering::Relaxed);
                            Ok::<_, Infallible>(answer(request, &canned).await)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .serve_connection(TokioIo::new(tcp), service)
                        .await;
                });
            }
        });
        Ok(Self { addr, requests, runtime: Some(runtime) })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`, for the provider's `baseUrl` setting.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

impl Drop for CannedUpstream {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Reads the whole request (as Bedrock would before answering), then answers.
async fn answer(request: Request<Incoming>, canned: &Canned) -> Response<Full<Bytes>> {
    let streaming = request.uri().path().ends_with("/converse-stream");
    let _ = request.into_body().collect().await;
    let (content_type, body) = if streaming {
        ("application/vnd.amazon.eventstream", canned.stream.clone())
    } else {
        ("application/json", canned.converse.clone())
    };
    let mut response = Response::new(Full::new(body));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static(content_type));
    headers.insert(
        "x-amzn-requestid",
        header::HeaderValue::from_static("00000000-0000-4000-8000-000000000000"),
    );
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn fixture_decodes() {
        let body = converse_stream_fixture();
        assert_eq!(body.len(), 1157);
        // First frame: total length 180 (0xb4), prelude CRC 0x05004165 (spec TV-4 table).
        assert_eq!(&body[..4], &[0, 0, 0, 0xb4]);
        assert_eq!(&body[8..12], &[0x05, 0x00, 0x41, 0x65]);
    }
}

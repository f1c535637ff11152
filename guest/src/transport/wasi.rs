//! The one place that touches `wasi:http`: sends an [`HttpRequest`] through the host's
//! outgoing handler and exposes the response body as a chunk reader.
//!
//! The host enforces the outbound policy; a refusal arrives as `HTTP-request-denied`, which we
//! keep distinct from network failures so the operator is told which setting to change.
//!
//! `send_all` overlaps requests on the single guest thread: it starts up to `max_in_flight`
//! outgoing requests, waits on all their pollables at once with `wasi:io/poll`, and advances
//! whichever is ready (response head, then non-blocking body reads).

use super::{
    BatchResult, Body, HttpRequest, HttpResponse, Received, Scheme, TimeoutPhase, Timeouts,
    Transport, TransportError,
};
use std::time::Instant;

use wasip2::clocks::monotonic_clock;
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, FutureIncomingResponse, IncomingBody, IncomingResponse, Method,
    OutgoingBody, OutgoingRequest, RequestOptions, Scheme as WasiScheme,
};
use wasip2::io::poll::{Pollable, poll};
use wasip2::io::streams::{InputStream, StreamError};

/// Largest chunk read from the response body at once.
const READ_CHUNK: u64 = 64 * 1024;
/// Largest chunk written to the request body at once (wasi streams cap a single write at 4 KiB).
const WRITE_CHUNK: usize = 4096;

/// Sends requests through the host's `wasi:http/outgoing-handler`.
pub struct WasiTransport;

impl Transport for WasiTransport {
    fn send(&self, req: &HttpRequest, timeouts: &Timeouts) -> Result<HttpResponse, TransportError> {
        send(req, timeouts, None)
    }

    fn send_until(
        &self,
        req: &HttpRequest,
        timeouts: &Timeouts,
        deadline: Instant,
    ) -> Result<HttpResponse, TransportError> {
        send(req, timeouts, Some(deadline))
    }

    fn send_all(
        &self,
        requests: &[HttpRequest],
        timeouts: &Timeouts,
        max_in_flight: usize,
        body_limit: usize,
    ) -> Vec<BatchResult> {
        let mut results: Vec<BatchResult> = requests.iter().map(|_| None).collect();
        let mut in_flight: Vec<InFlight> = Vec::new();
        let mut next = 0;
        let mut failed = false;
        loop {
            while !failed && in_flight.len() < max_in_flight.max(1) && next < requests.len() {
                match start(&requests[next], timeouts) {
                    Ok(future) => in_flight.push(InFlight {
                        index: next,
                        authority: requests[next].authority.clone(),
                        state: State::Waiting(future),
                    }),
                    Err(e) => {
                        results[next] = Some(Err(e));
                        failed = true;
                    }
                }
                next += 1;
            }
            if failed || in_flight.is_empty() {
                // Dropping what is still in flight abandons those requests.
                return results;
            }
            let ready = {
                // Pollables are children of the futures and streams: dropped before either.
                let pollables: Vec<Pollable> = in_flight.iter().map(InFlight::subscribe).collect();
                let refs: Vec<&Pollable> = pollables.iter().collect();
                poll(&refs)
            };
            let mut finished = Vec::new();
            for at in ready {
                let Some(entry) = in_flight.get_mut(at as usize) else { continue };
                if let Some(result) = entry.progress(body_limit) {
                    failed |= !matches!(&result, Ok(r) if r.is_success());
                    finished.push((at as usize, result));
                }
            }
            finished.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
            for (at, result) in finished {
                let entry = in_flight.swap_remove(at);
                results[entry.index] = Some(result);
            }
        }
    }
}

/// Sends `req`; with a `deadline`, every wait (the response head, each body chunk) also wakes
/// at it and then gives up with the total deadline. The request options alone cannot bound the
/// call: connect and first-byte add up, and between-bytes restarts with every chunk.
fn send(
    req: &HttpRequest,
    timeouts: &Timeouts,
    deadline: Option<Instant>,
) -> Result<HttpResponse, TransportError> {
    let deadline = deadline.map(clock_instant);
    let future = start(req, timeouts)?;
    {
        // The pollables are children of `future` and must be dropped before it.
        let ready = future.subscribe();
        if !wait(&ready, deadline) {
            return Err(TransportError::Timeout(TimeoutPhase::Total));
        }
    }
    let (status, headers, incoming, stream) = head(future.get(), &req.authority)?;
    Ok(HttpResponse {
        status,
        headers,
        body: Box::new(WasiBody {
            stream: Some(stream),
            _body: incoming,
            authority: req.authority.clone(),
            deadline,
        }),
    })
}

/// The monotonic-clock reading at `deadline` (std's `Instant` reads the same clock, but does
/// not expose its value).
fn clock_instant(deadline: Instant) -> monotonic_clock::Instant {
    let left = deadline.saturating_duration_since(Instant::now()).as_nanos();
    monotonic_clock::now().saturating_add(u64::try_from(left).unwrap_or(u64::MAX))
}

/// Blocks until `ready` is, or until `deadline`; `false` when the deadline came first.
fn wait(ready: &Pollable, deadline: Option<monotonic_clock::Instant>) -> bool {
    let Some(at) = deadline else {
        ready.block();
        return true;
    };
    let clock = monotonic_clock::subscribe_instant(at);
    // `poll` lists the ready ones by index; `ready` is index 0.
    poll(&[ready, &clock]).contains(&0) || ready.ready()
}

/// One request of a batch on its way.
struct InFlight {
    index: usize,
    authority: String,
    state: State,
}

/// Where a batch request is. Field order in `Reading` matters: the stream is a child of the
/// body and must be dropped first.
enum State {
    Waiting(FutureIncomingResponse),
    Reading {
        stream: InputStream,
        _body: IncomingBody,
        status: u16,
        headers: Vec<(String, String)>,
        bytes: Vec<u8>,
    },
}

impl InFlight {
    fn subscribe(&self) -> Pollable {
        match &self.state {
            State::Waiting(future) => future.subscribe(),
            State::Reading { stream, .. } => stream.subscribe(),
        }
    }

    /// Advances without blocking; the result once the response is complete or failed.
    fn progress(&mut self, body_limit: usize) -> Option<Result<Received, TransportError>> {
        if let State::Waiting(future) = &self.state {
            // `get` hands the response out once: keep what it returned.
            let got = future.get();
            got.as_ref()?;
            let (status, headers, body, stream) = match head(got, &self.authority) {
                Ok(parts) => parts,
                Err(e) => return Some(Err(e)),
            };
            self.state = State::Reading { stream, _body: body, status, headers, bytes: Vec::new() };
        }
        let State::Reading { stream, status, headers, bytes, .. } = &mut self.state else {
            return None;
        };
        loop {
            match stream.read(READ_CHUNK) {
                Ok(chunk) if chunk.is_empty() => return None,
                Ok(chunk) => {
                    if bytes.len() + chunk.len() > body_limit {
                        return Some(Err(TransportError::BodyTooLarge { limit: Some(body_limit) }));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Err(StreamError::Closed) => {
                    return Some(Ok(Received {
                        status: *status,
                        headers: std::mem::take(headers),
                        body: std::mem::take(bytes),
                    }));
                }
                Err(StreamError::LastOperationFailed(e)) => {
                    return Some(Err(match wasip2::http::types::http_error_code(&e) {
                        Some(code) => map_error(code, &self.authority, false),
                        None => TransportError::Network {
                            detail: format!("reading the response failed: {}", e.to_debug_string()),
                            before_response: false,
                        },
                    }));
                }
            }
        }
    }
}

/// Builds the outgoing request, hands it to the host and writes its body.
fn start(req: &HttpRequest, timeouts: &Timeouts) -> Result<FutureIncomingResponse, TransportError> {
    let fields = Fields::new();
    for (name, value) in &req.headers {
        // Header names and values were validated when the settings were parsed, so a
        // refusal here means a bug; report it as a network-level failure with the name.
        fields.append(name, value.as_bytes()).map_err(|e| TransportError::Network {
            detail: format!("the host refused header `{name}` ({e:?})"),
            before_response: true,
        })?;
    }
    let request = OutgoingRequest::new(fields);
    let method = match req.method {
        "GET" => Method::Get,
        "POST" => Method::Post,
        other => Method::Other(other.to_string()),
    };
    request.set_method(&method).map_err(|()| invalid("method"))?;
    let scheme = match req.scheme {
        Scheme::Https => WasiScheme::Https,
        Scheme::Http => WasiScheme::Http,
    };
    request.set_scheme(Some(&scheme)).map_err(|()| invalid("scheme"))?;
    request.set_authority(Some(&req.authority)).map_err(|()| invalid("authority"))?;
    request.set_path_with_query(Some(&req.path)).map_err(|()| invalid("path"))?;

    let options = RequestOptions::new();
    // The host may not support every option; an unsupported one keeps the host default.
    let _ = options.set_connect_timeout(Some(ms_to_ns(timeouts.connect_ms)));
    let _ = options.set_first_byte_timeout(Some(ms_to_ns(timeouts.first_byte_ms)));
    let _ = options.set_between_bytes_timeout(Some(ms_to_ns(timeouts.between_bytes_ms)));

    // A GET carries no body: leaving the body untaken makes the host send none, with no
    // `transfer-encoding: chunked` that some front ends refuse on a GET.
    let body = if req.body.is_empty() && req.method == "GET" {
        None
    } else {
        Some(request.body().map_err(|()| invalid("body"))?)
    };
    let future = outgoing_handler::handle(request, Some(options))
        .map_err(|e| map_error(e, &req.authority, true))?;
    if let Some(body) = body {
        write_body(body, &req.body)?;
    }
    Ok(future)
}

/// What a ready future's `get` returned.
type Got = Option<Result<Result<IncomingResponse, ErrorCode>, ()>>;

/// A response head: status, headers, and the body with its stream.
type Head = (u16, Vec<(String, String)>, IncomingBody, InputStream);

/// The response head from what a ready future's `get` returned, and its body stream.
fn head(got: Got, authority: &str) -> Result<Head, TransportError> {
    let response = match got {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(e))) => return Err(map_error(e, authority, true)),
        Some(Err(())) | None => {
            return Err(TransportError::Network {
                detail: "the host lost the response".into(),
                before_response: true,
            });
        }
    };
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), String::from_utf8_lossy(&v).into_owned()))
        .collect();
    let incoming = response.consume().map_err(|()| invalid("response body"))?;
    let stream = incoming.stream().map_err(|()| invalid("response body stream"))?;
    Ok((status, headers, incoming, stream))
}

fn invalid(what: &str) -> TransportError {
    TransportError::Network { detail: format!("invalid request {what}"), before_response: true }
}

fn write_body(body: OutgoingBody, bytes: &[u8]) -> Result<(), TransportError> {
    let broken = |detail: String| TransportError::Network { detail, before_response: true };
    {
        let out = body.write().map_err(|()| broken("request body unavailable".into()))?;
        for chunk in bytes.chunks(WRITE_CHUNK) {
            match out.blocking_write_and_flush(chunk) {
                Ok(()) => {}
                // The host closes the stream once `content-length` bytes arrived; the
                // request is complete, so go on and read the response.
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(e)) => {
                    return Err(broken(format!(
                        "sending the request body failed: {}",
                        e.to_debug_string()
                    )));
                }
            }
        }
        // The stream must be dropped before the body is finished.
    }
    // A failure here means the host already ended the body; the response tells the rest.
    let _ = OutgoingBody::finish(body, None);
    Ok(())
}

/// A response body being read from the host. Field order matters: the stream is a child of
/// the body and must be dropped first.
struct WasiBody {
    stream: Option<InputStream>,
    _body: IncomingBody,
    authority: String,
    /// When to stop waiting for the next chunk (the call's total deadline).
    deadline: Option<monotonic_clock::Instant>,
}

impl Body for WasiBody {
    fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, TransportError> {
        let Some(stream) = &self.stream else { return Ok(None) };
        loop {
            // With a deadline, read what is buffered without blocking (one host call while the
            // bytes flow), and wait on the stream and the clock together only when it is empty.
            let read = match self.deadline {
                None => stream.blocking_read(READ_CHUNK),
                Some(_) => stream.read(READ_CHUNK),
            };
            match read {
                Ok(bytes) if bytes.is_empty() => {
                    let ready = stream.subscribe();
                    let in_time = wait(&ready, self.deadline);
                    drop(ready); // A child of the stream, which is dropped below.
                    if !in_time {
                        self.stream = None;
                        return Err(TransportError::Timeout(TimeoutPhase::Total));
                    }
                }
                Ok(bytes) => return Ok(Some(bytes)),
                Err(StreamError::Closed) => {
                    self.stream = None;
                    return Ok(None);
                }
                Err(StreamError::LastOperationFailed(e)) => {
                    self.stream = None;
                    return Err(match wasip2::http::types::http_error_code(&e) {
                        Some(code) => map_error(code, &self.authority, false),
                        None => TransportError::Network {
                            detail: format!("reading the response failed: {}", e.to_debug_string()),
                            before_response: false,
                        },
                    });
                }
            }
        }
    }
}

fn ms_to_ns(ms: u64) -> u64 {
    ms.saturating_mul(1_000_000)
}

/// Maps wasi:http's error codes to the transport's few categories.
fn map_error(code: ErrorCode, authority: &str, before_response: bool) -> TransportError {
    match code {
        ErrorCode::HttpRequestDenied => TransportError::Denied { authority: authority.to_string() },
        ErrorCode::ConnectionTimeout | ErrorCode::DnsTimeout => {
            TransportError::Timeout(TimeoutPhase::Connect)
        }
        ErrorCode::HttpResponseTimeout => TransportError::Timeout(TimeoutPhase::FirstByte),
        ErrorCode::ConnectionReadTimeout => TransportError::Timeout(if before_response {
            TimeoutPhase::FirstByte
        } else {
            TimeoutPhase::BetweenBytes
        }),
        // The number carried here is the bytes received when the host's cap fired.
        ErrorCode::HttpResponseBodySize(_) => TransportError::BodyTooLarge { limit: None },
        other => TransportError::Network { detail: describe(&other), before_response },
    }
}

fn describe(code: &ErrorCode) -> String {
    match code {
        ErrorCode::DnsError(e) => format!(
            "DNS lookup failed ({})",
            e.rcode.clone().unwrap_or_else(|| "no answer".to_string())
        ),
        ErrorCode::ConnectionRefused => "connection refused".into(),
        ErrorCode::ConnectionTerminated => "connection closed by the server".into(),
        ErrorCode::TlsCertificateError => "TLS certificate not trusted".into(),
        ErrorCode::TlsProtocolError | ErrorCode::TlsAlertReceived(_) => {
            "TLS handshake failed".into()
        }
        ErrorCode::InternalError(Some(m)) => m.clone(),
        other => format!("{other:?}"),
    }
}

//! The HTTP/1.1 server: routing like Bedrock's front end, authentication, fault selection,
//! then the operation handlers. Every response carries `x-amzn-RequestId`.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Body, Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use crate::answer::{self, Answer, PromptCache};
use crate::auth::{self, Principal};
use crate::control_plane::{self, Scenario};
use crate::embed;
use crate::errors::ApiError;
use crate::faults::Fault;
use crate::models::{self, Provider, Resolved};
use crate::rerank::{self, RerankOutcome};
use crate::sigv4::RequestParts;
use crate::stream::{self, Chunk};
use crate::{EmulatorConfig, RecordedRequest, fixtures, rng, validate};

/// Largest request body read (InvokeModel allows 25 MB).
const MAX_BODY: usize = 26 * 1024 * 1024;

/// Shared server state.
pub(crate) struct State {
    pub config: EmulatorConfig,
    pub requests: Mutex<Vec<RecordedRequest>>,
    pub cache: PromptCache,
    /// Requests being handled right now.
    pub in_flight: AtomicUsize,
    /// The most requests handled at once since the last reset.
    pub peak_in_flight: AtomicUsize,
}

/// Counts a request as in flight until dropped, and records the peak.
struct InFlight<'a>(&'a State);

impl<'a> InFlight<'a> {
    fn enter(state: &'a State) -> Self {
        let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state.peak_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(state)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

type ResponseBody = UnsyncBoxBody<Bytes, io::Error>;

/// Accepts connections until `shutdown` fires; open connections are dropped then.
pub(crate) async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let state = state.clone();
                connections.spawn(async move {
                    let service = service_fn(move |req| handle(state.clone(), req));
                    if let Err(err) = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await {
                        tracing::debug!(%err, "emulator connection ended with an error");
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
}

/// The request as received.
struct Ctx {
    method: String,
    raw_path: String,
    raw_query: String,
    headers: Vec<(String, String)>,
    body: Bytes,
}

impl Ctx {
    fn parts(&self) -> RequestParts<'_> {
        RequestParts {
            method: &self.method,
            raw_path: &self.raw_path,
            raw_query: &self.raw_query,
            headers: &self.headers,
            body: &self.body,
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What to answer.
struct Reply {
    status: u16,
    content_type: &'static str,
    error_type: Option<String>,
    extra_headers: Vec<(&'static str, String)>,
    body: ReplyBody,
}

enum ReplyBody {
    Full(Vec<u8>),
    Stream { chunks: Vec<Chunk>, delay: Duration },
}

impl Reply {
    fn json(body: String) -> Reply {
        Reply {
            status: 200,
            content_type: "application/json",
            error_type: None,
            extra_headers: Vec::new(),
            body: ReplyBody::Full(body.into_bytes()),
        }
    }

    fn error(err: ApiError) -> Reply {
        Reply {
            status: err.status,
            content_type: err.content_type,
            error_type: err.error_type(),
            extra_headers: Vec::new(),
            body: ReplyBody::Full(err.body.into_bytes()),
        }
    }

    fn fault(fault: Fault) -> Reply {
        Reply::error(ApiError::from_fault(fault))
    }
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<ResponseBody>, Infallible> {
    let (parts, body) = req.into_parts();
    let in_flight = InFlight::enter(&state);
    let request_id = rng::request_id();
    let body = Limited::new(body, MAX_BODY).collect().await.map(|c| c.to_bytes());
    let ctx = Ctx {
        method: parts.method.as_str().to_string(),
        raw_path: parts.uri.path().to_string(),
        raw_query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())
            })
            .collect(),
        body: body.as_ref().cloned().unwrap_or_default(),
    };
    let latency = ctx.header("x-emulator-latency-ms").and_then(|ms| ms.trim().parse::<u64>().ok());
    if let Some(ms) = latency.filter(|ms| *ms > 0) {
        tokio::time::sleep(Duration::from_millis(ms.min(10_000))).await;
    }
    let (reply, signature_valid, signed_headers) = match body {
        Ok(_) => dispatch(&state, &ctx, &request_id).await,
        Err(_) => (
            Reply::error(ApiError::validation(
                "The request body could not be read or is too large.",
            )),
            None,
            Vec::new(),
        ),
    };
    tracing::debug!(method = %ctx.method, path = %ctx.raw_path, status = reply.status, "emulator request");
    let recorded = RecordedRequest {
        method: ctx.method.clone(),
        path: parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default(),
        headers: ctx.headers.clone(),
        body: ctx.body.to_vec(),
        signature_valid,
        signed_headers,
        status: reply.status,
    };
    match state.requests.lock() {
        Ok(mut requests) => requests.push(recorded),
        Err(poisoned) => poisoned.into_inner().push(recorded),
    }
    drop(in_flight);
    Ok(build_response(reply, &request_id))
}

fn build_response(reply: Reply, request_id: &str) -> Response<ResponseBody> {
    let mut builder = Response::builder()
        .status(reply.status)
        .header("x-amzn-RequestId", request_id)
        .header("content-type", reply.content_type);
    if let Some(error_type) = &reply.error_type {
        builder = builder.header("x-amzn-ErrorType", error_type);
    }
    for (name, value) in &reply.extra_headers {
        builder = builder.header(*name, value);
    }
    let body: ResponseBody = match reply.body {
        ReplyBody::Full(bytes) => {
            Full::new(Bytes::from(bytes)).map_err(|never| match never {}).boxed_unsync()
        }
        ReplyBody::Stream { chunks, delay } => {
            let (tx, rx) = mpsc::channel(1);
            tokio::spawn(send_chunks(tx, chunks, delay));
            ChannelBody(rx).boxed_unsync()
        }
    };
    builder.body(body).unwrap_or_else(|_| {
        let mut response =
            Response::new(Full::new(Bytes::new()).map_err(|never| match never {}).boxed_unsync());
        *response.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        response
    })
}

/// How long a cut stream waits after its last frame before the connection is aborted.
const CUT_GRACE: Duration = Duration::from_millis(20);

/// Sends stream chunks one by one, pausing `delay` between them, so each frame is flushed
/// on its own (a buffered body would deliver them all at once).
async fn send_chunks(
    tx: mpsc::Sender<Result<Frame<Bytes>, io::Error>>,
    chunks: Vec<Chunk>,
    delay: Duration,
) {
    for (i, chunk) in chunks.into_iter().enumerate() {
        if i > 0 && !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let item = match chunk {
            Chunk::Data(bytes) => Ok(Frame::data(Bytes::from(bytes))),
            Chunk::Abort => {
                // A reset after data still delivers that data. Give hyper the frames it has
                // taken time to reach the socket first: on a busy machine it could otherwise
                // take the last frame and the cut in one poll and drop both with the connection.
                while tx.capacity() < tx.max_capacity() && !tx.is_closed() {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                tokio::time::sleep(CUT_GRACE).await;
                Err(io::Error::other("emulator fault: stream cut"))
            }
        };
        let abort = item.is_err();
        if tx.send(item).await.is_err() || abort {
            break;
        }
    }
}

/// A response body fed by a channel.
struct ChannelBody(mpsc::Receiver<Result<Frame<Bytes>, io::Error>>);

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        self.0.poll_recv(cx)
    }
}

// ---------- routing ----------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Converse,
    ConverseStream,
    Invoke,
    CountTokens,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Model { label: String, op: Op },
    Rerank,
    Control(control_plane::Op),
    Unknown,
}

fn route_of(method: &str, path: &str) -> Route {
    if method == "GET" {
        return control_plane::route(method, path).map_or(Route::Unknown, Route::Control);
    }
    if method != "POST" {
        return Route::Unknown;
    }
    if path == "/rerank" {
        return Route::Rerank;
    }
    let segments: Vec<&str> = path.split('/').collect();
    let ["", "model", label, op] = segments[..] else { return Route::Unknown };
    let op = match op {
        "converse" => Op::Converse,
        "converse-stream" => Op::ConverseStream,
        "invoke" => Op::Invoke,
        "count-tokens" => Op::CountTokens,
        _ => return Route::Unknown,
    };
    if label.is_empty() {
        return Route::Unknown;
    }
    Route::Model { label: label.to_string(), op }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostService {
    Runtime,
    AgentRuntime,
    /// The control plane (`bedrock.<region>…`).
    ControlPlane,
    /// Loopback or any other name: every route is served.
    Any,
}

/// Which service an AWS host name addresses, and its region.
fn host_service(host: Option<&str>) -> (HostService, Option<String>) {
    let Some(host) = host else { return (HostService::Any, None) };
    let host = host.trim().to_ascii_lowercase();
    let name = host.rsplit_once(':').map_or(host.as_str(), |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) { h } else { host.as_str() }
    });
    let labels: Vec<&str> = name.split('.').collect();
    let service = match labels.first() {
        Some(&"bedrock-runtime" | &"bedrock-runtime-fips") => HostService::Runtime,
        Some(&"bedrock-agent-runtime" | &"bedrock-agent-runtime-fips") => HostService::AgentRuntime,
        Some(&"bedrock" | &"bedrock-fips") => HostService::ControlPlane,
        _ => return (HostService::Any, None),
    };
    (service, labels.get(1).filter(|_| labels.len() > 2).map(|r| r.to_string()))
}

async fn dispatch(
    state: &State,
    ctx: &Ctx,
    request_id: &str,
) -> (Reply, Option<bool>, Vec<String>) {
    let route = route_of(&ctx.method, &ctx.raw_path);
    let (service, host_region) = host_service(ctx.header("host"));
    let misrouted = matches!(
        (&route, service),
        (Route::Unknown, _)
            | (Route::Rerank, HostService::Runtime | HostService::ControlPlane)
            | (Route::Model { .. }, HostService::AgentRuntime | HostService::ControlPlane)
            | (Route::Control(_), HostService::Runtime | HostService::AgentRuntime)
    );
    if misrouted {
        return (Reply::fault(Fault::UnknownOperation), None, Vec::new());
    }
    let outcome = auth::authenticate(
        &state.config,
        &ctx.parts(),
        route == Route::Rerank,
        host_region.as_deref(),
    );
    let reply = match outcome.result {
        Err(err) => Reply::error(err),
        Ok(principal) => authenticated(state, ctx, &route, &principal, request_id),
    };
    (reply, outcome.signature_valid, outcome.signed_headers)
}

fn authenticated(
    state: &State,
    ctx: &Ctx,
    route: &Route,
    principal: &Principal,
    request_id: &str,
) -> Reply {
    match try_authenticated(state, ctx, route, principal, request_id) {
        Ok(reply) => reply,
        Err(err) => Reply::error(err),
    }
}

fn try_authenticated(
    state: &State,
    ctx: &Ctx,
    route: &Route,
    principal: &Principal,
    request_id: &str,
) -> Result<Reply, ApiError> {
    let header_fault = match ctx.header("x-emulator-fault").map(str::trim) {
        None | Some("") => None,
        Some(name) => Some(Fault::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = Fault::ALL.iter().map(Fault::name).collect();
            ApiError::validation(format!(
                "Unknown emulator fault '{name}' in x-emulator-fault. Known faults: {}.",
                names.join(", ")
            ))
        })?),
    };
    if let Some(fault) = header_fault
        && !fault.is_stream()
    {
        return Ok(Reply::fault(fault));
    }
    let delay = match ctx.header("x-emulator-frame-delay-ms") {
        None => state.config.frame_delay,
        Some(ms) => Duration::from_millis(ms.trim().parse().map_err(|_| {
            ApiError::validation(
                "x-emulator-frame-delay-ms must be a whole number of milliseconds.",
            )
        })?),
    };
    let scenario = match ctx.header("x-emulator-scenario").map(str::trim) {
        None | Some("") => None,
        Some(name)
            if fixtures::SCENARIOS.contains(&name) || Scenario::from_name(name).is_some() =>
        {
            Some(name)
        }
        Some(name) => {
            let accounts = Scenario::ALL.map(Scenario::name);
            return Err(ApiError::validation(format!(
                "Unknown emulator scenario '{name}' in x-emulator-scenario. Known scenarios: {}, {}.",
                fixtures::SCENARIOS.join(", "),
                accounts.join(", ")
            )));
        }
    };
    let account = scenario.and_then(Scenario::from_name);
    let region = principal.region();
    match route {
        Route::Model { label, op } => model_route(
            state,
            ctx,
            label,
            *op,
            region,
            header_fault,
            (scenario, account),
            delay,
            request_id,
        ),
        Route::Rerank => rerank_route(ctx, region, header_fault, account),
        Route::Control(op) => control_plane::handle(op, &ctx.raw_query, &ctx.body, region, account)
            .map(|answer| Reply::json(answer.to_string())),
        Route::Unknown => Ok(Reply::fault(Fault::UnknownOperation)),
    }
}

fn stream_only(fault: Fault) -> ApiError {
    ApiError::validation(format!(
        "The emulator fault '{}' only applies to ConverseStream.",
        fault.name()
    ))
}

/// Requires `Content-Type: application/json`. UNCERTAIN text: AWS's answer is not recorded.
fn require_json(ctx: &Ctx) -> Result<(), ApiError> {
    let ok = ctx
        .header("content-type")
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if ok {
        Ok(())
    } else {
        Err(ApiError::validation(
            "The request's Content-Type header must be application/json. Set it and try again.",
        ))
    }
}

fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    // UNCERTAIN: the code Bedrock uses for unparseable JSON is not recorded; Coral services
    // answer SerializationException.
    serde_json::from_slice(body).map_err(|_| ApiError {
        code: Some("SerializationException".to_string()),
        ..ApiError::validation("The request body is not valid JSON.")
    })
}

#[allow(clippy::too_many_arguments)]
fn model_route(
    state: &State,
    ctx: &Ctx,
    label: &str,
    op: Op,
    region: &str,
    header_fault: Option<Fault>,
    (scenario, account): (Option<&str>, Option<Scenario>),
    delay: Duration,
    request_id: &str,
) -> Result<Reply, ApiError> {
    let model_id = percent_encoding::percent_decode_str(label)
        .decode_utf8()
        .map_err(|_| ApiError::validation("The provided model identifier is invalid."))?
        .into_owned();
    let resolved = if op == Op::CountTokens {
        models::resolve_for_counting(&model_id, region)?
    } else {
        models::resolve(&model_id, region)?
    };
    let fault = header_fault.or(match resolved {
        Resolved::Fault(f) => Some(f),
        Resolved::Model(_) => None,
    });
    if let Some(fault) = fault {
        if !fault.is_stream() {
            return Ok(Reply::fault(fault));
        }
        if op != Op::ConverseStream {
            return Err(stream_only(fault));
        }
    }
    let model = match resolved {
        Resolved::Model(m) => m,
        Resolved::Fault(_) => models::generic_model(),
    };
    if let Some(refusal) =
        account.and_then(|a| a.runtime_refusal(models::names_profile(&model_id), false))
    {
        return Err(refusal);
    }
    require_json(ctx)?;

    if op == Op::CountTokens {
        let body = parse_json(&ctx.body)?;
        let input_tokens = validate::count_tokens(&body, model)?;
        return Ok(Reply::json(serde_json::json!({ "inputTokens": input_tokens }).to_string()));
    }

    if op == Op::Invoke {
        if model.rerank.is_none() && model.embed.is_none() {
            return Err(ApiError::validation(format!(
                "The Bedrock emulator implements InvokeModel only for rerank and embedding models (cohere.rerank-v3-5:0, amazon.rerank-v1:0, amazon.titan-embed-text-v2:0, cohere.embed-*), not {model_id}. Use Converse."
            )));
        }
        if let Some(accept) = ctx.header("accept")
            && !accept.split(',').any(|a| {
                let a = a.split(';').next().unwrap_or("").trim();
                a == "application/json" || a == "*/*"
            })
        {
            return Err(ApiError::validation(
                "The requested Accept type is not supported. Use application/json.",
            ));
        }
        if let Some(kind) = model.embed {
            let result = embed::invoke_embed(kind, &ctx.body, request_id)?;
            let mut reply = Reply::json(result.body.to_string());
            reply.extra_headers.push(("x-amzn-bedrock-invocation-latency", "12".to_string()));
            reply
                .extra_headers
                .push(("x-amzn-bedrock-input-token-count", result.input_tokens.to_string()));
            return Ok(reply);
        }
        let Some(kind) = model.rerank else { unreachable!("checked above") };
        let result = rerank::invoke_rerank(kind, &ctx.body, request_id)?;
        let mut reply = Reply::json(result.to_string());
        reply.extra_headers.push(("x-amzn-bedrock-invocation-latency", "42".to_string()));
        return Ok(reply);
    }

    let body = parse_json(&ctx.body)?;
    let request = validate::validate(&body, model, op == Op::ConverseStream)?;
    if op == Op::ConverseStream && scenario == Some("recording") {
        let frames = stream::recording();
        return Ok(stream_reply(stream::chunks(frames, fault), delay));
    }
    let answer = match scenario {
        Some("recording") => Answer::Generated(recording_as_converse()),
        Some(name) => fixtures::converse_fixture(name).map_or_else(
            || answer::answer(&request, model, &model_id, &state.cache),
            Answer::Fixture,
        ),
        None => answer::answer(&request, model, &model_id, &state.cache),
    };
    if op == Op::Converse {
        return Ok(Reply::json(answer.to_body()));
    }
    let events = stream::events(&answer.to_value(), model.provider == Provider::Anthropic);
    Ok(stream_reply(stream::chunks(stream::encode(&events), fault), delay))
}

/// The TV-4 recording's content as a Converse body (for `recording` on Converse).
fn recording_as_converse() -> Value {
    serde_json::json!({
        "additionalModelResponseFields": {"stop_sequence": null},
        "metrics": {"latencyMs": 802},
        "output": {"message": {"content": [{"text": "OK."}], "role": "assistant"}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 12, "outputTokens": 5, "serverToolUsage": {}, "totalTokens": 17}
    })
}

fn stream_reply(chunks: Vec<Chunk>, delay: Duration) -> Reply {
    Reply {
        status: 200,
        content_type: "application/vnd.amazon.eventstream",
        error_type: None,
        extra_headers: Vec::new(),
        body: ReplyBody::Stream { chunks, delay },
    }
}

fn rerank_route(
    ctx: &Ctx,
    region: &str,
    header_fault: Option<Fault>,
    account: Option<Scenario>,
) -> Result<Reply, ApiError> {
    if let Some(fault) = header_fault {
        return Err(stream_only(fault));
    }
    if let Some(refusal) = account.and_then(|a| a.runtime_refusal(false, true)) {
        return Err(refusal);
    }
    require_json(ctx)?;
    let body = parse_json(&ctx.body)?;
    match rerank::rerank_api(&body, region)? {
        RerankOutcome::Results(v) => Ok(Reply::json(v.to_string())),
        RerankOutcome::Fault(f) if f.is_stream() => Err(stream_only(f)),
        RerankOutcome::Fault(f) => Ok(Reply::fault(f)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            route_of("POST", "/model/a%3Ab/converse"),
            Route::Model { label: "a%3Ab".into(), op: Op::Converse }
        );
        assert_eq!(route_of("POST", "/model/arn:aws:x/y/converse"), Route::Unknown);
        assert_eq!(route_of("GET", "/model/a/converse"), Route::Unknown);
        assert!(matches!(route_of("GET", "/inference-profiles"), Route::Control(_)));
        assert_eq!(
            route_of("POST", "/model/a/count-tokens"),
            Route::Model { label: "a".into(), op: Op::CountTokens }
        );
        assert_eq!(route_of("POST", "/model/a/count_tokens"), Route::Unknown);
        assert_eq!(route_of("POST", "/rerank"), Route::Rerank);
        assert_eq!(route_of("POST", "/model//converse"), Route::Unknown);
    }

    #[test]
    fn hosts() {
        assert_eq!(
            host_service(Some("bedrock-runtime.us-east-1.amazonaws.com")),
            (HostService::Runtime, Some("us-east-1".into()))
        );
        assert_eq!(
            host_service(Some("bedrock-agent-runtime.us-west-2.amazonaws.com:443")),
            (HostService::AgentRuntime, Some("us-west-2".into()))
        );
        assert_eq!(host_service(Some("127.0.0.1:8080")), (HostService::Any, None));
        assert_eq!(
            host_service(Some("bedrock.us-east-1.amazonaws.com")),
            (HostService::ControlPlane, Some("us-east-1".into()))
        );
    }
}

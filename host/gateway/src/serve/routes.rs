//! Routing and the endpoint handlers of both fronts: what every route shares (the access
//! record, authentication, CORS, admission, the body limit, error shapes) is done here once,
//! and the pure mapping is in `openai/` and `anthropic/`.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::OwnedSemaphorePermit;

use super::access::Access;
use super::catalog::{self, ModelNames};
use super::conn::ConnectionHandle;
use super::cors::Cors;
use super::error::ApiError;
use super::params::ParamMap;
use super::sse::{ChannelBody, EventWriter};
use super::{ServeConfig, Settings, Shared, anthropic, openai};
use crate::ChatStream;
use crate::types::{GenerateRequest, ResponseMetadata, StreamPart};

/// The response body: a whole JSON document or an event stream.
pub(super) type ResponseBody = BoxBody<Bytes, Infallible>;

/// SSE events that may wait while the client reads slowly.
const STREAM_BUFFER: usize = 32;

/// How long past the call's deadline a stream's last events may wait for a slow reader.
const LAST_EVENTS_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Which API's shapes a request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    /// OpenAI's (and Cohere's for re-ranking).
    OpenAi,
    /// Anthropic's Messages API.
    Anthropic,
}

/// Which routes a front answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Front {
    OpenAi,
    Anthropic,
    /// Both fronts' clients call it: the `anthropic-version` header decides.
    Shared,
}

/// One route: its path (a trailing `/` matches everything below it), the method it answers,
/// and its front. The path is also the metrics and log label.
struct Route {
    path: &'static str,
    label: &'static str,
    method: Method,
    front: Front,
}

const fn route(path: &'static str, label: &'static str, method: Method, front: Front) -> Route {
    Route { path, label, method, front }
}

/// The routes. Probes and metrics are `Shared` so their errors follow the caller's dialect.
const ROUTES: &[Route] = &[
    route("/v1/chat/completions", "/v1/chat/completions", Method::POST, Front::OpenAi),
    route("/v1/embeddings", "/v1/embeddings", Method::POST, Front::OpenAi),
    route("/v1/rerank", "/v1/rerank", Method::POST, Front::OpenAi),
    route("/v1/messages", "/v1/messages", Method::POST, Front::Anthropic),
    route("/v1/messages/count_tokens", "/v1/messages/count_tokens", Method::POST, Front::Anthropic),
    route("/v1/models", "/v1/models", Method::GET, Front::Shared),
    route("/v1/models/", "/v1/models/{id}", Method::GET, Front::Shared),
    route("/healthz", "/healthz", Method::GET, Front::Shared),
    route("/readyz", "/readyz", Method::GET, Front::Shared),
    route("/metrics", "/metrics", Method::GET, Front::Shared),
];

fn find_route(path: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|r| match r.path.strip_suffix('/') {
        Some(_) => path.len() > r.path.len() && path.starts_with(r.path),
        None => path == r.path,
    })
}

/// What the routes need beyond the shared state: CORS and the models' `created` time.
#[derive(Debug)]
pub(super) struct FrontConfig {
    cors: Cors,
    /// When the gateway started, in Unix seconds: the models' `created`.
    started: u64,
}

impl FrontConfig {
    /// From the serve options.
    pub(super) fn new(config: &ServeConfig) -> FrontConfig {
        FrontConfig { cors: Cors::new(&config.cors_origins), started: unix_seconds() }
    }
}

/// Answers one request; the access record is finished here, or by the streaming task.
pub(super) async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Response<ResponseBody> {
    let path = request.uri().path().to_string();
    let route = find_route(&path);
    let label = route.map_or("other", |r| r.label);
    let dialect = match route.map_or(Front::Shared, |r| r.front) {
        Front::OpenAi => Dialect::OpenAi,
        Front::Anthropic => Dialect::Anthropic,
        Front::Shared if request.headers().contains_key(anthropic::VERSION_HEADER) => {
            Dialect::Anthropic
        }
        Front::Shared => Dialect::OpenAi,
    };
    let cors = &shared.front.cors;
    // Decided now: the request is consumed by its handler.
    let cors_headers = cors.response_headers(request.headers());
    let mut access = Some(Access::start(shared.clone(), request.method(), label));
    let request_id = access.as_ref().map(|a| a.id.clone()).unwrap_or_default();
    let response = if cors.is_preflight(request.method(), request.headers()) {
        preflight(cors, request.headers(), route)
    } else {
        match route {
            None => Err(ApiError::gateway(
                StatusCode::NOT_FOUND,
                "not-found",
                format!(
                    "No route {} {path}. The gateway serves POST /v1/chat/completions, POST \
                     /v1/embeddings, POST /v1/rerank, POST /v1/messages, POST \
                     /v1/messages/count_tokens, GET /v1/models, GET /v1/models/{{id}}, \
                     /healthz, /readyz and /metrics.",
                    request.method()
                ),
            )),
            Some(r) if request.method() != r.method => Err(ApiError::gateway(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                format!("{} answers {} only.", r.label, r.method),
            )),
            Some(r) => dispatch(&shared, r, dialect, request, &mut access).await,
        }
    };
    let mut response = match response {
        Ok(response) => response,
        Err(e) => {
            if let Some(access) = access.as_mut() {
                access.error = Some(e.kind.clone());
                access.upstream_request_id =
                    access.upstream_request_id.take().or(e.upstream_request_id.clone());
            }
            error_response(&e, dialect, &request_id)
        }
    };
    if let Some(r) = route
        && response.status() == StatusCode::METHOD_NOT_ALLOWED
        && let Ok(allow) = r.method.as_str().parse()
    {
        response.headers_mut().insert("allow", allow);
    }
    let headers = response.headers_mut();
    for (name, value) in cors_headers {
        if let Ok(value) = value.parse() {
            headers.insert(name, value);
        }
    }
    if let Ok(id) = request_id.parse::<http::HeaderValue>() {
        if dialect == Dialect::Anthropic {
            // Where the Anthropic SDKs read `_request_id` from.
            headers.insert("request-id", id.clone());
        }
        headers.insert("x-request-id", id);
    }
    if let Some(access) = access {
        access.finish(response.status().as_u16());
    }
    response
}

/// A CORS preflight: 204 with the allowed methods and headers, or 403 for another origin.
fn preflight(
    cors: &Cors,
    headers: &http::HeaderMap,
    route: Option<&Route>,
) -> Result<Response<ResponseBody>, ApiError> {
    let Some(route) = route else {
        return Err(ApiError::gateway(StatusCode::NOT_FOUND, "not-found", "No such route."));
    };
    let Some(allowed) = cors.preflight(headers, route.method.as_str()) else {
        return Err(ApiError::gateway(
            StatusCode::FORBIDDEN,
            "origin-not-allowed",
            "This origin may not call the gateway from a browser; the operator allows origins \
             with --cors-origin.",
        ));
    };
    let mut response = Response::new(full(Bytes::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    for (name, value) in allowed {
        if let Ok(value) = value.parse() {
            response.headers_mut().insert(name, value);
        }
    }
    Ok(response)
}

async fn dispatch(
    shared: &Arc<Shared>,
    route: &Route,
    dialect: Dialect,
    request: Request<Incoming>,
    access: &mut Option<Access>,
) -> Result<Response<ResponseBody>, ApiError> {
    match route.label {
        "/healthz" => return Ok(json_response(StatusCode::OK, &json!({"status": "ok"}))),
        "/readyz" => return Ok(ready(shared).await),
        _ => {}
    }
    if !shared.keys.allows(request.headers()) {
        return Err(ApiError::unauthorized());
    }
    match route.label {
        "/metrics" => Ok(Response::builder()
            .header("content-type", "text/plain; version=0.0.4; charset=utf-8")
            .body(full(shared.metrics.render()))
            .unwrap_or_else(|_| error_response(&internal(), dialect, ""))),
        "/v1/models" => Ok(models(shared, dialect, None)?),
        "/v1/models/{id}" => {
            let id = request.uri().path().strip_prefix(route.path).unwrap_or_default();
            Ok(models(shared, dialect, Some(&percent_decode(id)))?)
        }
        "/v1/chat/completions" => chat(shared, request, access).await,
        "/v1/embeddings" => embeddings(shared, request, access).await,
        "/v1/messages" => messages(shared, request, access).await,
        "/v1/messages/count_tokens" => count_tokens(shared, request, access).await,
        _ => rerank(shared, request, access).await,
    }
}

async fn ready(shared: &Shared) -> Response<ResponseBody> {
    if shared.draining.load(Ordering::SeqCst) {
        return json_response(StatusCode::SERVICE_UNAVAILABLE, &json!({"status": "draining"}));
    }
    // A fresh instance opened with the current settings: the component loads and runs, the
    // settings validate, and the credential source (if any) supplies keys.
    let settings = shared.settings();
    let outcome = match settings.for_call().await {
        Ok(json) => shared.host.validate_settings(&json).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => json_response(
            StatusCode::OK,
            &json!({"status": "ready", "component": "loaded", "settings": "valid"}),
        ),
        Err(e) => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"status": "not-ready", "error": ApiError::from_provider(&e).body()["error"]}),
        ),
    }
}

/// `GET /v1/models` (`id` absent) or `GET /v1/models/{id}`, in the caller's dialect.
fn models(
    shared: &Shared,
    dialect: Dialect,
    id: Option<&str>,
) -> Result<Response<ResponseBody>, ApiError> {
    let manifest = shared.host.manifest();
    let configured = catalog::configured_models(&shared.settings().value, manifest);
    let created = shared.front.started;
    let body = match (id, dialect) {
        (None, Dialect::OpenAi) => openai::models_list(&configured, manifest.provider(), created),
        (None, Dialect::Anthropic) => anthropic::models::models_list(&configured, created),
        (Some(id), dialect) => {
            let model = catalog::find(&configured, manifest, id)
                .ok_or_else(|| ApiError::model_not_listed(id))?;
            match dialect {
                Dialect::OpenAi => openai::model_object(model, manifest.provider(), created),
                Dialect::Anthropic => anthropic::models::model_object(model, created),
            }
        }
    };
    Ok(json_response(StatusCode::OK, &body))
}

/// A model call's request, read and admitted: what `parse` made of the body, the call's
/// concurrency slot, and the client connection (a stream closes it if its reader stalls).
struct Admitted<T> {
    call: T,
    permit: OwnedSemaphorePermit,
    connection: Option<ConnectionHandle>,
}

/// Receives a model call's body, parses it, and only then takes a concurrency slot: a slow or
/// unfinished body never holds one, and the body's share of the body budget is given back
/// before the call starts.
async fn receive<T>(
    shared: &Shared,
    request: Request<Incoming>,
    parse: impl FnOnce(&[u8]) -> Result<T, ApiError>,
) -> Result<Admitted<T>, ApiError> {
    let (parts, body) = request.into_parts();
    let call = parse(&shared.receive_body(&parts.headers, body).await?)?;
    let permit = shared.limiter.admit()?;
    let connection = parts.extensions.get::<ConnectionHandle>().cloned();
    Ok(Admitted { call, permit, connection })
}

/// The settings JSON for a call starting now: with a named credential source, its current
/// keys (refreshed before they expire, so a rotation needs no reload).
async fn call_settings(settings: &Settings) -> Result<std::borrow::Cow<'_, str>, ApiError> {
    settings.for_call().await.map_err(|e| ApiError::from_provider(&e))
}

/// Opens a provider stream and waits for its first part before answering 200: a stream that
/// fails at once gets a proper HTTP status (429, 403, ...) rather than an error event.
async fn open_stream(
    shared: &Shared,
    settings: &Settings,
    request: GenerateRequest,
    params: &ParamMap,
) -> Result<(ChatStream, Option<StreamPart>), ApiError> {
    let mut stream = shared
        .host
        .stream(&call_settings(settings).await?, request)
        .await
        .map_err(|e| ApiError::from_call(&e, params))?;
    let first = stream.next().await.map_err(|e| ApiError::from_call(&e, params))?;
    Ok((stream, first))
}

async fn chat(
    shared: &Arc<Shared>,
    request: Request<Incoming>,
    access: &mut Option<Access>,
) -> Result<Response<ResponseBody>, ApiError> {
    let Admitted { call, permit, connection } =
        receive(shared, request, openai::parse_chat).await?;
    let settings = shared.settings();
    let requested =
        call.request.model.clone().or_else(|| configured(shared, &settings, "language"));
    if let Some(access) = access.as_mut() {
        access.model = requested.clone();
    }
    let names = ModelNames::of(shared.host.manifest());
    let created = unix_seconds();
    if call.stream {
        let (stream, first) = open_stream(shared, &settings, call.request, &call.params).await?;
        let Some(access) = access.take() else { return Err(internal()) };
        let writer = openai::ChunkWriter::new(
            format!("chatcmpl-{}", access.id),
            created,
            requested.unwrap_or_default(),
            names,
            call.include_usage,
        );
        return Ok(start_stream(access, stream, first, writer, call.params, permit, connection));
    }
    let answer = shared
        .host
        .generate(&call_settings(&settings).await?, call.request)
        .await
        .map_err(|e| ApiError::from_call(&e, &call.params))?;
    drop(permit);
    record_answer(access, &answer);
    let id = access.as_ref().map_or_else(String::new, |a| format!("chatcmpl-{}", a.id));
    let model = names.public(&answer.metadata.model);
    let mut response =
        json_response(StatusCode::OK, &openai::chat_completion(&id, created, &model, &answer));
    upstream_header(&mut response, answer.metadata.request_id.as_deref());
    Ok(response)
}

async fn messages(
    shared: &Arc<Shared>,
    request: Request<Incoming>,
    access: &mut Option<Access>,
) -> Result<Response<ResponseBody>, ApiError> {
    let Admitted { call, permit, connection } =
        receive(shared, request, anthropic::parse_messages).await?;
    let settings = shared.settings();
    let requested =
        call.request.model.clone().or_else(|| configured(shared, &settings, "language"));
    if let Some(access) = access.as_mut() {
        access.model = requested.clone();
    }
    let names = ModelNames::of(shared.host.manifest());
    let stop_sequences = call.request.settings.stop_sequences.clone();
    if call.stream {
        let (stream, first) = open_stream(shared, &settings, call.request, &call.params).await?;
        let Some(access) = access.take() else { return Err(internal()) };
        let writer = anthropic::MessageWriter::new(
            format!("msg_{}", access.id),
            requested.unwrap_or_default(),
            names,
            stop_sequences,
        );
        return Ok(start_stream(access, stream, first, writer, call.params, permit, connection));
    }
    let answer = shared
        .host
        .generate(&call_settings(&settings).await?, call.request)
        .await
        .map_err(|e| ApiError::from_call(&e, &call.params))?;
    drop(permit);
    record_answer(access, &answer);
    let id = access.as_ref().map_or_else(String::new, |a| format!("msg_{}", a.id));
    let model = names.public(&answer.metadata.model);
    let mut response = json_response(
        StatusCode::OK,
        &anthropic::message_json(&id, &model, &answer, &stop_sequences),
    );
    upstream_header(&mut response, answer.metadata.request_id.as_deref());
    Ok(response)
}

async fn count_tokens(
    shared: &Arc<Shared>,
    request: Request<Incoming>,
    access: &mut Option<Access>,
) -> Result<Response<ResponseBody>, ApiError> {
    let Admitted { call, permit: _permit, .. } =
        receive(shared, request, anthropic::parse_messages).await?;
    let settings = shared.settings();
    if let Some(access) = access.as_mut() {
        access.model =
            call.request.model.clone().or_else(|| configured(shared, &settings, "language"));
    }
    let counted = shared
        .host
        .count_tokens(&call_settings(&settings).await?, call.request)
        .await
        .map_err(|e| ApiError::from_call(&e, &call.params))?;
    record_metadata(access, &counted.metadata);
    Ok(json_response(StatusCode::OK, &json!({"input_tokens": counted.input_tokens})))
}

async fn embeddings(
    shared: &Arc<Shared>,
    request: Request<Incoming>,
    access: &mut Option<Access>,
) -> Result<Response<ResponseBody>, ApiError> {
    let Admitted { call, permit: _permit, .. } =
        receive(shared, request, openai::parse_embeddings).await?;
    let settings = shared.settings();
    if let Some(access) = access.as_mut() {
        access.model =
            call.request.model.clone().or_else(|| configured(shared, &settings, "embedding"));
    }
    let answer = shared
        .host
        .embed(&call_settings(&settings).await?, call.request)
        .await
        .map_err(|e| ApiError::from_call(&e, &call.params))?;
    record_metadata(access, &answer.metadata);
    if let Some(access) = access.as_mut() {
        access.tokens = Some((answer.usage.input_tokens, 0));
    }
    let model = ModelNames::of(shared.host.manifest()).public(&answer.metadata.model);
    let body = openai::embeddings_response(&model, call.encoding, &answer)?;
    let mut response = json_response(StatusCode::OK, &body);
    upstream_header(&mut response, answer.metadata.request_id.as_deref());
    Ok(response)
}

async fn rerank(
    shared: &Arc<Shared>,
    request: Request<Incoming>,
    access: &mut Option<Access>,
) -> Result<Response<ResponseBody>, ApiError> {
    let Admitted { call, permit: _permit, .. } =
        receive(shared, request, openai::parse_rerank).await?;
    let settings = shared.settings();
    if let Some(access) = access.as_mut() {
        access.model =
            call.request.model.clone().or_else(|| configured(shared, &settings, "reranking"));
    }
    let ranking = shared
        .host
        .rerank(&call_settings(&settings).await?, call.request.clone())
        .await
        .map_err(|e| ApiError::from_call(&e, &call.params))?;
    let id = access.as_ref().map_or_else(String::new, |a| format!("rerank-{}", a.id));
    record_metadata(access, &ranking.metadata);
    let model = ModelNames::of(shared.host.manifest()).public(&ranking.metadata.model);
    Ok(json_response(StatusCode::OK, &openai::rerank_response(&id, &model, &call, &ranking)))
}

/// The access record's model (the one that answered) and upstream request ID.
fn record_metadata(access: &mut Option<Access>, metadata: &ResponseMetadata) {
    if let Some(access) = access.as_mut() {
        access.model = Some(metadata.model.clone());
        access.upstream_request_id = metadata.request_id.clone();
    }
}

/// What the access record keeps of a complete chat answer.
fn record_answer(access: &mut Option<Access>, answer: &crate::types::GenerateResponse) {
    record_metadata(access, &answer.metadata);
    if let Some(access) = access.as_mut() {
        access.tokens = Some((openai::prompt_tokens(&answer.usage), answer.usage.output_tokens));
    }
    for w in &answer.warnings {
        tracing::debug!(code = %w.code, "provider warning: {}", w.message);
    }
}

fn upstream_header(response: &mut Response<ResponseBody>, upstream: Option<&str>) {
    if let Some(upstream) = upstream.and_then(|v| v.parse().ok()) {
        response.headers_mut().insert("x-upstream-request-id", upstream);
    }
}

/// Answers with an event stream fed by a task that pulls the provider stream, starting with
/// the `first` part already pulled, and writes what the front's `writer` makes of each part.
/// The task holds the concurrency slot until the provider stream ends, and finishes the
/// access record after the last event.
///
/// Every wait honours the call's deadline, including handing events to a client that stopped
/// reading: at the deadline the task gives up, frees the slot, and closes the connection
/// (`connection`) rather than end the body as if the answer were complete.
fn start_stream(
    mut access: Access,
    mut stream: ChatStream,
    first: Option<StreamPart>,
    mut writer: impl EventWriter,
    params: ParamMap,
    permit: OwnedSemaphorePermit,
    connection: Option<ConnectionHandle>,
) -> Response<ResponseBody> {
    let (tx, body) = ChannelBody::channel(STREAM_BUFFER);
    tokio::spawn(async move {
        let deadline = stream.deadline().unwrap_or_else(std::time::Instant::now);
        // The last events (error, usage, [DONE]) may wait a little past the call's deadline:
        // the slot is already free then, and a slow reader should still get them.
        let last_events_deadline = deadline + LAST_EVENTS_GRACE;
        // Sends an event unless `until` passes first: `Err(true)` when the client is gone,
        // `Err(false)` when it did not take the event in time.
        let send = |tx: &tokio::sync::mpsc::Sender<Bytes>, event: Bytes, until| {
            let tx = tx.clone();
            async move {
                match tokio::time::timeout_at(tokio::time::Instant::from_std(until), tx.send(event))
                    .await
                {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(_)) => Err(true),
                    Err(_) => Err(false),
                }
            }
        };
        let mut client_gone = false;
        let mut stalled = false;
        let mut pending = Some(first);
        let failure = 'pull: loop {
            let next = match pending.take() {
                Some(first) => Ok(first),
                None => tokio::select! {
                    next = stream.next() => next,
                    // The client went away while the upstream was quiet: stop now, not at the
                    // next part.
                    () = tx.closed() => {
                        client_gone = true;
                        break 'pull None;
                    }
                },
            };
            match next {
                Ok(Some(part)) => {
                    if let StreamPart::Start(metadata) = &part {
                        access.upstream_request_id = metadata.request_id.clone();
                    }
                    for event in writer.part(&part) {
                        if let Err(gone) = send(&tx, event, deadline).await {
                            client_gone = gone;
                            stalled = !gone;
                            break 'pull None;
                        }
                    }
                }
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        // The provider call (and its upstream request) ends here, and so does its claim on a
        // concurrency slot: a client that saw the last event may start another at once.
        drop(stream);
        drop(permit);
        match failure {
            // A final event carrying the error: never a silent cut.
            Some(e) => {
                let error = ApiError::from_call(&e, &params);
                access.error = Some(error.kind.clone());
                access.upstream_request_id =
                    access.upstream_request_id.take().or(e.request_id.clone());
                stalled = send(&tx, writer.error(&error), last_events_deadline).await == Err(false);
            }
            None if client_gone => access.error = Some("client-disconnected".into()),
            None if stalled => {}
            None => {
                for event in writer.end() {
                    stalled = send(&tx, event, last_events_deadline).await == Err(false);
                    if stalled {
                        break;
                    }
                }
            }
        }
        if stalled {
            // The client stopped reading: ending the body would look like a complete answer
            // to a client that resumes, so the connection is closed instead.
            access.error = Some("client-stalled".into());
            if let Some(connection) = &connection {
                connection.abort();
            }
        }
        access.model = Some(writer.model().to_string()).filter(|m| !m.is_empty());
        access.tokens = writer.usage().map(|u| (openai::prompt_tokens(u), u.output_tokens));
        access.finish(200);
    });
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        // Proxies such as nginx would otherwise buffer the events.
        .header("x-accel-buffering", "no")
        .body(body.boxed())
        .unwrap_or_else(|_| error_response(&internal(), Dialect::OpenAi, ""))
}

/// The settings' default model of `kind` (`language`, `reranking`, `embedding`), through the
/// setting the component's manifest names for it.
fn configured(shared: &Shared, settings: &Settings, kind: &str) -> Option<String> {
    let key = shared.host.manifest().settings().models.get(kind)?;
    settings.value.get(key).and_then(Value::as_str).map(str::to_string)
}

fn unix_seconds() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `%7C` → `|` in a path segment (clients encode the `|` of `amazon-bedrock|<id>`); a
/// malformed escape is kept as written.
fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn internal() -> ApiError {
    ApiError::gateway(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "The gateway failed to build its answer.",
    )
}

fn full(body: impl Into<Bytes>) -> ResponseBody {
    Full::new(body.into()).boxed()
}

fn json_response(status: StatusCode, value: &Value) -> Response<ResponseBody> {
    let mut response = Response::new(full(value.to_string()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", http::HeaderValue::from_static("application/json"));
    response
}

/// The error in the dialect's shape, with its status and retry headers.
pub(super) fn error_response(
    e: &ApiError,
    dialect: Dialect,
    request_id: &str,
) -> Response<ResponseBody> {
    let mut response = match dialect {
        Dialect::OpenAi => json_response(e.status, &e.body()),
        Dialect::Anthropic => json_response(
            anthropic::error::status(e),
            &anthropic::error::body(e, Some(request_id).filter(|id| !id.is_empty())),
        ),
    };
    let headers = response.headers_mut();
    for (name, value) in e.retry_headers() {
        if let Ok(value) = value.parse() {
            headers.insert(name, value);
        }
    }
    if e.status == StatusCode::UNAUTHORIZED {
        headers.insert("www-authenticate", http::HeaderValue::from_static("Bearer"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_labels() {
        let label = |p: &str| find_route(p).map(|r| r.label);
        assert_eq!(label("/v1/models"), Some("/v1/models"));
        assert_eq!(label("/v1/models/amazon-bedrock%7Ca"), Some("/v1/models/{id}"));
        assert_eq!(label("/v1/models/"), None);
        assert_eq!(label("/v1/messages/count_tokens"), Some("/v1/messages/count_tokens"));
        assert_eq!(label("/v1/messages/other"), None);
        assert_eq!(label("/v1/embeddings"), Some("/v1/embeddings"));
    }

    #[test]
    fn path_segments_are_decoded() {
        assert_eq!(
            percent_decode("amazon-bedrock%7Camazon.nova-lite-v1%3A0"),
            "amazon-bedrock|amazon.nova-lite-v1:0"
        );
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("a%zz"), "a%zz");
    }
}

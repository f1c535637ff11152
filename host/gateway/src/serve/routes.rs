//! Routing and the endpoint handlers.

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
use super::error::ApiError;
use super::limits::read_body;
use super::openai;
use super::sse::{self, ChannelBody, ChunkWriter};
use super::{Settings, Shared};
use crate::ChatStream;
use crate::types::StreamPart;

/// The response body: a whole JSON document or an event stream.
pub(super) type ResponseBody = BoxBody<Bytes, Infallible>;

/// SSE events that may wait while the client reads slowly.
const STREAM_BUFFER: usize = 32;

/// The routes, with the methods they answer.
const ROUTES: &[(&str, Method)] = &[
    ("/v1/chat/completions", Method::POST),
    ("/v1/rerank", Method::POST),
    ("/v1/models", Method::GET),
    ("/healthz", Method::GET),
    ("/readyz", Method::GET),
    ("/metrics", Method::GET),
];

/// Answers one request; the access record is finished here, or by the streaming task.
pub(super) async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Response<ResponseBody> {
    let path = request.uri().path();
    let route = ROUTES.iter().find(|(p, _)| *p == path);
    let label = route.map_or("other", |(p, _)| *p);
    let mut access = Some(Access::start(shared.clone(), request.method(), label));
    let response = match route {
        None => Err(ApiError::gateway(
            StatusCode::NOT_FOUND,
            "not-found",
            format!(
                "No route {} {path}. The gateway serves POST /v1/chat/completions, POST \
                 /v1/rerank, GET /v1/models, /healthz, /readyz and /metrics.",
                request.method()
            ),
        )),
        Some((_, method)) if request.method() != method => Err(ApiError::gateway(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            format!("{path} answers {method} only."),
        )),
        Some((path, _)) => dispatch(&shared, path, request, &mut access).await,
    };
    let mut response = match response {
        Ok(response) => response,
        Err(e) => {
            if let Some(access) = access.as_mut() {
                access.error = Some(e.code.clone());
                access.upstream_request_id =
                    access.upstream_request_id.take().or(e.upstream_request_id.clone());
            }
            error_response(&e)
        }
    };
    if let Some((_, method)) = route
        && response.status() == StatusCode::METHOD_NOT_ALLOWED
        && let Ok(allow) = method.as_str().parse()
    {
        response.headers_mut().insert("allow", allow);
    }
    if let Some(access) = access {
        if let Ok(id) = access.id.parse() {
            response.headers_mut().insert("x-request-id", id);
        }
        access.finish(response.status().as_u16());
    }
    response
}

async fn dispatch(
    shared: &Arc<Shared>,
    path: &str,
    request: Request<Incoming>,
    access: &mut Option<Access>,
) -> Result<Response<ResponseBody>, ApiError> {
    match path {
        "/healthz" => return Ok(json_response(StatusCode::OK, &json!({"status": "ok"}))),
        "/readyz" => return Ok(ready(shared).await),
        _ => {}
    }
    if !shared.keys.allows(request.headers()) {
        return Err(ApiError::unauthorized());
    }
    match path {
        "/metrics" => Ok(Response::builder()
            .header("content-type", "text/plain; version=0.0.4; charset=utf-8")
            .body(full(shared.metrics.render()))
            .unwrap_or_else(|_| error_response(&internal()))),
        "/v1/models" => Ok(json_response(
            StatusCode::OK,
            &openai::models_list(&shared.settings().value, shared.host.manifest()),
        )),
        "/v1/chat/completions" => chat(shared, request, access).await,
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

async fn chat(
    shared: &Arc<Shared>,
    request: Request<Incoming>,
    access: &mut Option<Access>,
) -> Result<Response<ResponseBody>, ApiError> {
    let permit = shared.limiter.admit()?;
    let (parts, body) = request.into_parts();
    let body = read_body(&parts.headers, body, shared.max_body_bytes).await?;
    let call = openai::parse_chat(&body)?;
    let settings = shared.settings();
    let settings_json = settings.for_call().await.map_err(|e| ApiError::from_provider(&e))?;
    let requested =
        call.request.model.clone().or_else(|| configured(shared, &settings, "language"));
    if let Some(access) = access.as_mut() {
        access.model = requested.clone();
    }
    let created = unix_seconds();
    if call.stream {
        let mut stream = shared
            .host
            .stream(&settings_json, call.request)
            .await
            .map_err(|e| ApiError::from_provider(&e))?;
        // Wait for the first part before answering 200: a stream that fails at once gets a
        // proper HTTP status (429, 403, ...) rather than an error event.
        let first = stream.next().await.map_err(|e| ApiError::from_provider(&e))?;
        let Some(access) = access.take() else { return Err(internal()) };
        let writer = ChunkWriter::new(
            format!("chatcmpl-{}", access.id),
            created,
            requested.unwrap_or_default(),
            call.include_usage,
        );
        return Ok(start_stream(access, stream, first, writer, permit));
    }
    let answer = shared
        .host
        .generate(&settings_json, call.request)
        .await
        .map_err(|e| ApiError::from_provider(&e))?;
    drop(permit);
    if let Some(access) = access.as_mut() {
        access.model = Some(answer.metadata.model.clone());
        access.tokens = Some((openai::prompt_tokens(&answer.usage), answer.usage.output_tokens));
        access.upstream_request_id = answer.metadata.request_id.clone();
    }
    for w in &answer.warnings {
        tracing::debug!(code = %w.code, "provider warning: {}", w.message);
    }
    let id = access.as_ref().map_or_else(String::new, |a| format!("chatcmpl-{}", a.id));
    let mut response =
        json_response(StatusCode::OK, &openai::chat_completion(&id, created, &answer));
    if let Some(upstream) = answer.metadata.request_id.as_deref().and_then(|v| v.parse().ok()) {
        response.headers_mut().insert("x-upstream-request-id", upstream);
    }
    Ok(response)
}

/// Answers with an event stream fed by a task that pulls the provider stream, starting with
/// the `first` part already pulled. The task holds the concurrency slot until the provider
/// stream ends, and finishes the access record after the last event.
fn start_stream(
    mut access: Access,
    mut stream: ChatStream,
    first: Option<StreamPart>,
    mut writer: ChunkWriter,
    permit: OwnedSemaphorePermit,
) -> Response<ResponseBody> {
    let (tx, body) = ChannelBody::channel(STREAM_BUFFER);
    let request_id = access.id.clone();
    tokio::spawn(async move {
        let mut client_gone = false;
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
                    for chunk in writer.part(&part) {
                        if tx.send(sse::event(&chunk)).await.is_err() {
                            client_gone = true;
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
            // A final event carrying the error, and no [DONE]: never a silent cut.
            Some(e) => {
                let error = ApiError::from_provider(&e);
                access.error = Some(error.code.clone());
                access.upstream_request_id =
                    access.upstream_request_id.take().or(e.request_id.clone());
                let _ = tx.send(sse::event(&error.body())).await;
            }
            None if client_gone => access.error = Some("client-disconnected".into()),
            None => {
                if let Some(last) = writer.end() {
                    let _ = tx.send(sse::event(&last)).await;
                }
                let _ = tx.send(Bytes::from_static(sse::DONE)).await;
            }
        }
        access.model = Some(writer.model().to_string()).filter(|m| !m.is_empty());
        access.tokens = writer.usage().map(|u| (openai::prompt_tokens(u), u.output_tokens));
        access.finish(200);
    });
    let mut response = Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        // Proxies such as nginx would otherwise buffer the events.
        .header("x-accel-buffering", "no")
        .body(body.boxed())
        .unwrap_or_else(|_| error_response(&internal()));
    if let Ok(id) = request_id.parse() {
        response.headers_mut().insert("x-request-id", id);
    }
    response
}

async fn rerank(
    shared: &Arc<Shared>,
    request: Request<Incoming>,
    access: &mut Option<Access>,
) -> Result<Response<ResponseBody>, ApiError> {
    let _permit = shared.limiter.admit()?;
    let (parts, body) = request.into_parts();
    let body = read_body(&parts.headers, body, shared.max_body_bytes).await?;
    let call = openai::parse_rerank(&body)?;
    let settings = shared.settings();
    let settings_json = settings.for_call().await.map_err(|e| ApiError::from_provider(&e))?;
    if let Some(access) = access.as_mut() {
        access.model =
            call.request.model.clone().or_else(|| configured(shared, &settings, "reranking"));
    }
    let ranking = shared
        .host
        .rerank(&settings_json, call.request.clone())
        .await
        .map_err(|e| ApiError::from_provider(&e))?;
    let id = access.as_ref().map_or_else(String::new, |a| format!("rerank-{}", a.id));
    if let Some(access) = access.as_mut() {
        access.model = Some(ranking.metadata.model.clone());
        access.upstream_request_id = ranking.metadata.request_id.clone();
    }
    Ok(json_response(StatusCode::OK, &openai::rerank_response(&id, &call, &ranking)))
}

/// The settings' default model of `kind` (`language`, `reranking`), through the setting the
/// component's manifest names for it.
fn configured(shared: &Shared, settings: &Settings, kind: &str) -> Option<String> {
    let key = shared.host.manifest().settings().models.get(kind)?;
    settings.value.get(key).and_then(Value::as_str).map(str::to_string)
}

fn unix_seconds() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
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

/// The OpenAI error body with its status and retry headers.
pub(super) fn error_response(e: &ApiError) -> Response<ResponseBody> {
    let mut response = json_response(e.status, &e.body());
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

//! The life of one call: resolve the model, build the body, sign, send (with retries), map.
//!
//! This is the only module that sequences the others; each step lives in its own module
//! (`settings`, `model_id`, `converse`, `auth`, `errors`, `retry`, `stream`, `rerank`, `check`), and the
//! network is behind [`Transport`], so everything here runs natively against a mock transport.

use std::time::{Duration, SystemTime};

use crate::api::*;
use crate::auth;
use crate::converse;
use crate::diagnose;
use crate::error::{ErrorKind, ProviderError, Result};
use crate::errors::{self, ErrorContext, Operation};
use crate::model_id::{self, ModelId};
use crate::retry::{self, Deadline, DeadlineBody, Jitter};
use crate::settings::{Auth, Endpoint, InferenceProfileMode, Settings};
use crate::stream;
use crate::structured;
use crate::transport::{
    HttpRequest, HttpResponse, Received, TimeoutPhase, Transport, TransportError,
};

pub use crate::stream::ChatStream;

/// Largest non-streamed response body accepted (a Converse answer is far smaller).
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Largest error body read before mapping (errors are a few hundred bytes).
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// The settings JSON Schema, for gateways that render the settings form.
pub fn settings_schema() -> &'static str {
    crate::settings::SCHEMA
}

/// A configured provider: validated settings, nothing else. Opening never touches the network.
pub struct Client {
    settings: Settings,
    /// The SigV4 signing key derived last: reused by every call of the same day while the
    /// client stays open (an instance that serves several calls of one tenant).
    keys: auth::SigningKeys,
    /// How the retry loop waits; `std::thread::sleep` blocks on `wasi:clocks` in the component,
    /// so the pause counts against the call's deadline. Replaced in tests.
    pause: fn(Duration),
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// A response that made it through the retry loop, with what the loop had to do to get it.
pub(crate) struct Sent {
    /// The 2xx response, body unread.
    pub response: HttpResponse,
    /// Notices such as a corrected clock skew.
    pub warnings: Vec<Warning>,
}

impl Client {
    /// Parses and validates the settings JSON.
    pub fn open(settings_json: &str) -> Result<Client> {
        Ok(Client {
            settings: Settings::parse(settings_json)?,
            keys: auth::SigningKeys::default(),
            pause: std::thread::sleep,
        })
    }

    /// Replaces how the retry loop waits (tests record the pauses instead of sleeping).
    #[cfg(test)]
    pub(crate) fn with_pause(mut self, pause: fn(Duration)) -> Self {
        self.pause = pause;
        self
    }

    /// The validated settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Converse: sends the chat and waits for the whole answer.
    pub fn generate(
        &self,
        transport: &dyn Transport,
        request: GenerateRequest,
    ) -> Result<GenerateResponse> {
        let model = self.language_model(request.model.as_deref())?;
        self.with_profile_fallback(model, |model, deadline| {
            let built = converse::build_request(&request, model.as_str())?;
            let ctx = self.error_context(model, Operation::Converse);
            let sent = self
                .send(transport, &ctx, deadline, &|time| {
                    self.runtime_request(model, "converse", built.body.clone(), time)
                })
                .map_err(|e| refine(e, &built))?;
            let mut response = sent.response;
            let request_id = request_id(&response);
            let body = response.read_to_end(MAX_BODY_BYTES).map_err(ProviderError::from)?;
            let mut answer = converse::parse_response(&body, model.as_str(), request_id)?;
            if let Some(tool) = &built.synthetic_tool {
                structured::rewrite_response(&mut answer, tool);
            }
            let mut warnings = built.warnings;
            warnings.extend(sent.warnings);
            warnings.append(&mut answer.warnings);
            answer.warnings = warnings;
            Ok(answer)
        })
        .map(|(mut answer, warning)| {
            answer.warnings.extend(warning);
            answer
        })
    }

    /// ConverseStream: sends the chat and returns as soon as the answer starts. Failures before
    /// the first part are retried like any call; once parts flow, an error ends the stream.
    pub fn stream(
        &self,
        transport: &dyn Transport,
        request: GenerateRequest,
    ) -> Result<ChatStream> {
        let model = self.language_model(request.model.as_deref())?;
        self.with_profile_fallback(model, |model, deadline| {
            let built = converse::build_request(&request, model.as_str())?;
            let ctx = self.error_context(model, Operation::ConverseStream);
            let sent = self
                .send(transport, &ctx, deadline, &|time| {
                    self.runtime_request(model, "converse-stream", built.body.clone(), time)
                })
                .map_err(|e| refine(e, &built))?;
            let mut response = sent.response;
            let is_event_stream = response
                .header("content-type")
                .is_some_and(|v| v.starts_with("application/vnd.amazon.eventstream"));
            if !is_event_stream {
                // A 2xx that is not an event stream is an error document (such as the
                // UnknownOperationException body of a wrong route), never an empty answer.
                let body =
                    response.read_to_end(MAX_ERROR_BODY_BYTES).map_err(ProviderError::from)?;
                let id = request_id(&response);
                return Err(match converse::parse_response(&body, model.as_str(), id.clone()) {
                    Err(e) => e,
                    Ok(_) => errors::invalid_response(
                        "ConverseStream answered with a complete JSON answer instead of an event stream.",
                        id,
                    )
                    .with_cause("A gateway between the provider and Bedrock does not stream.")
                    .with_solution("Point `baseUrl` at a gateway that passes event streams through."),
                });
            }
            let metadata = ResponseMetadata {
                model: model.as_str().to_string(),
                request_id: request_id(&response),
                latency_ms: None,
            };
            let mut warnings = built.warnings;
            warnings.extend(sent.warnings);
            let filter = built.synthetic_tool.map(structured::StreamFilter::new);
            Ok(stream::ChatStream::new(response.body, metadata, ctx)
                .with_warnings(warnings)
                .with_filter(filter))
        })
        .map(|(stream, warning)| stream.with_warnings(warning))
    }

    /// Re-ranks documents (see `rerank`).
    pub fn rerank(
        &self,
        transport: &dyn Transport,
        request: RerankRequest,
    ) -> Result<RerankResponse> {
        crate::rerank::rerank(self, transport, request)
    }

    /// Embeds texts and images (see `embed`).
    pub fn embed(&self, transport: &dyn Transport, request: EmbedRequest) -> Result<EmbedResponse> {
        crate::embed::embed(self, transport, request)
    }

    /// CountTokens: the input tokens `generate` would use for `request`, counted by Bedrock.
    ///
    /// The body is the Converse body `generate` would send, cut to the members CountTokens
    /// takes. Inference profiles are counted with their base model: CountTokens refuses
    /// profile IDs, and the count does not depend on the route.
    pub fn count_tokens(
        &self,
        transport: &dyn Transport,
        request: GenerateRequest,
    ) -> Result<CountTokensResponse> {
        let model = self.language_model(request.model.as_deref())?;
        let model = match (model.kind(), model.base_model_id()) {
            (model_id::ModelKind::InferenceProfile { .. }, Some(base)) => model_id::parse_id(base)?,
            _ => model,
        };
        let built = converse::build_request(&request, model.as_str())?;
        let (body, left_out) = converse::count_tokens_body(&built.body)?;
        let mut warnings = built.warnings.clone();
        if !left_out.is_empty() {
            warnings.push(Warning::new(
                "not-counted",
                "The response format and reasoning effort (outputConfig) are not counted: \
                 CountTokens does not take them, though the model may add tokens for them.",
            ));
        }
        let ctx = self.error_context(&model, Operation::CountTokens);
        let sent = self
            .send(transport, &ctx, self.deadline(), &|time| {
                self.runtime_request(&model, "count-tokens", body.clone(), time)
            })
            .map_err(|e| refine(e, &built))?;
        warnings.extend(sent.warnings);
        let mut response = sent.response;
        let request_id = request_id(&response);
        let raw = response.read_to_end(MAX_ERROR_BODY_BYTES).map_err(ProviderError::from)?;
        let value: serde_json::Value = serde_json::from_slice(&raw).map_err(|e| {
            errors::invalid_response(
                format!("The CountTokens answer is not JSON ({e})."),
                request_id.clone(),
            )
        })?;
        if let Some(type_name) = value.pointer("/Output/__type").and_then(|t| t.as_str()) {
            return Err(errors::wrong_route(type_name, request_id));
        }
        let Some(input_tokens) = value.get("inputTokens").and_then(serde_json::Value::as_u64)
        else {
            return Err(errors::invalid_response(
                "The CountTokens answer has no `inputTokens` number.",
                request_id,
            ));
        };
        Ok(CountTokensResponse {
            input_tokens,
            metadata: ResponseMetadata {
                model: model.as_str().to_string(),
                request_id,
                latency_ms: None,
            },
            warnings,
        })
    }

    /// Answers the setup checklist for every configured model (see `check`).
    pub fn check(&self, transport: &dyn Transport) -> Result<CheckReport> {
        crate::check::run(self, transport)
    }

    /// Runs `call` for `model`; with `inferenceProfile: "auto"`, a model that needs an inference
    /// profile is tried once more through the region's geo profile, and a warning says so. Both
    /// tries share one deadline: they are one call.
    fn with_profile_fallback<T>(
        &self,
        model: ModelId,
        call: impl Fn(&ModelId, Deadline) -> Result<T>,
    ) -> Result<(T, Option<Warning>)> {
        let deadline = self.deadline();
        match call(&model, deadline) {
            Err(e)
                if e.kind == ErrorKind::OnDemandUnsupported
                    && self.settings.inference_profile == InferenceProfileMode::Auto =>
            {
                let Some(profile) = model.inference_profile_for(&self.settings.region) else {
                    return Err(e);
                };
                let profile_model = model_id::parse_id(&profile)?;
                let answer = call(&profile_model, deadline)?;
                let warning = Warning::new(
                    "inference-profile-used",
                    format!(
                        "`{}` does not support on-demand throughput in {}; the request was sent \
                         through the inference profile `{profile}` instead (inferenceProfile: auto). \
                         Set languageModel to `amazon-bedrock|{profile}` to skip the failed attempt.",
                        model.as_str(),
                        self.settings.region
                    ),
                );
                Ok((answer, Some(warning)))
            }
            other => other.map(|answer| (answer, None)),
        }
    }

    /// The model a chat goes to: the request's, else the settings' language model.
    fn language_model(&self, spec: Option<&str>) -> Result<ModelId> {
        match spec {
            Some(spec) => model_id::parse_spec(spec).map_err(|e| e.with_field("model")),
            None => self.settings.language_model.clone().ok_or_else(|| {
                ProviderError::settings(
                    "languageModel",
                    "No language model is configured and the request names none.",
                    "Set `languageModel`, e.g. `amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0`, \
                     or pass a model with the request.",
                )
            }),
        }
    }

    /// Facts the error mapper needs to write a precise solution.
    pub(crate) fn error_context(&self, model: &ModelId, operation: Operation) -> ErrorContext {
        ErrorContext {
            region: self.settings.region.clone(),
            model_id: model.as_str().to_string(),
            inference_profile: model.inference_profile_for(&self.settings.region),
            operation,
            bearer: matches!(self.settings.auth, Auth::ApiKey(_)),
            model_setting: None,
        }
    }

    /// A signed POST to `/model/{id}/{operation}` on the runtime endpoint.
    fn runtime_request(
        &self,
        model: &ModelId,
        operation: &str,
        body: Vec<u8>,
        time: SystemTime,
    ) -> Result<HttpRequest> {
        self.model_request(model, operation, vec![], body, time)
    }

    /// Builds and signs a request, then adds the unsigned headers. `extra` headers are signed.
    pub(crate) fn signed_request(
        &self,
        endpoint: &Endpoint,
        path: String,
        extra: Vec<(String, String)>,
        body: Vec<u8>,
        time: SystemTime,
    ) -> Result<HttpRequest> {
        let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
        headers.extend(extra);
        let mut request = HttpRequest {
            method: "POST",
            scheme: endpoint.scheme,
            authority: endpoint.authority.clone(),
            path,
            headers,
            body,
        };
        auth::authorize(
            &mut request,
            &self.settings.auth,
            &self.settings.region,
            time,
            &self.keys,
        )?;
        // Added after signing, like the AWS SDKs do, so a gateway that consumes or rewrites them
        // cannot break the signature. content-length is explicit so no host falls back to a
        // chunked body.
        request.headers.push(("content-length".into(), request.body.len().to_string()));
        for (name, value) in &self.settings.headers {
            request.headers.push((name.clone(), value.clone()));
        }
        Ok(request)
    }

    /// The signing keys this client derived so far, shared by every request it signs (the
    /// control plane's included).
    pub(crate) fn signing_keys(&self) -> &auth::SigningKeys {
        &self.keys
    }

    /// Starts the clock of one call: its deadline is `timeouts.totalMs` from now.
    pub(crate) fn deadline(&self) -> Deadline {
        Deadline::after_ms(self.settings.total_timeout_ms)
    }

    /// Sends the request `build` makes (re-signed for every attempt) until it succeeds, fails
    /// for good, runs out of attempts, or the call's `deadline` would pass: no attempt starts
    /// after it, no pause ends after it, the transport's timeouts are shortened to the time left,
    /// and the returned body stops at it.
    pub(crate) fn send(
        &self,
        transport: &dyn Transport,
        ctx: &ErrorContext,
        deadline: Deadline,
        build: &dyn Fn(SystemTime) -> Result<HttpRequest>,
    ) -> Result<Sent> {
        let max_attempts = self.settings.max_attempts.max(1);
        let mut jitter = Jitter::from_clock();
        let mut skew = Skew::default();
        let mut warnings = Vec::new();
        let mut attempt = 0;
        loop {
            if deadline.expired() {
                let error = ProviderError::from(TransportError::Timeout(TimeoutPhase::Total));
                return Err(retry::note_attempts(error, attempt));
            }
            attempt += 1;
            let request = build(skew.apply(SystemTime::now()))?;
            let timeouts = deadline.clamp(&self.settings.timeouts);
            let sent = match deadline.at() {
                Some(at) => transport.send_until(&request, &timeouts, at),
                None => transport.send(&request, &timeouts),
            };
            let (error, before_response) = match sent.map_err(|e| deadline.explain(e)) {
                Ok(mut response) => {
                    response.body = Box::new(DeadlineBody::new(response.body, deadline));
                    if (200..300).contains(&response.status) {
                        return Ok(Sent { response, warnings });
                    }
                    let body = response.read_to_end(MAX_ERROR_BODY_BYTES).unwrap_or_default();
                    let mut error =
                        errors::from_http(response.status, &response.headers, &body, ctx);
                    if !skew.corrected
                        && is_signature_expired(&error)
                        && let Some(offset) = skew.measure(response.header("date"))
                    {
                        warnings.push(offset);
                        attempt -= 1; // A re-sign is a correction, not a retry.
                        continue;
                    }
                    if error.code.as_deref() == Some("InvalidSignatureException") {
                        explain_signature_mismatch(&mut error, &body, &request);
                    }
                    (error, true)
                }
                Err(e) => {
                    let before = matches!(
                        e,
                        TransportError::Network { before_response: true, .. }
                            | TransportError::Timeout(TimeoutPhase::Connect)
                    );
                    (ProviderError::from(e), before)
                }
            };
            if attempt >= max_attempts || !retry::is_retryable(&error, before_response) {
                return Err(retry::note_attempts(error, attempt));
            }
            let delay = retry::backoff(attempt, error.retry_after_ms, jitter.unit());
            // Not `>`: a pause that ends exactly at the deadline leaves no time for the attempt.
            if delay >= deadline.remaining() {
                return Err(retry::note_attempts(error, attempt));
            }
            (self.pause)(delay);
        }
    }
}

/// Points an error about the natively sent response schema at the schema keyword at fault.
fn refine(error: ProviderError, built: &converse::BuiltRequest) -> ProviderError {
    match &built.native_schema {
        Some(schema) => structured::refine_error(error, schema),
        None => error,
    }
}

impl Client {
    /// Sends `count` requests (request `i` built by `build(i, time)`, re-signed per attempt),
    /// at most `max_in_flight` at a time, and returns the 2xx responses in order.
    ///
    /// The first failure stops the round (see [`Transport::send_all`]). A retryable one starts
    /// another round, after the usual backoff, for every request without an answer yet; any
    /// other failure, or running out of attempts or time, fails the whole call with it.
    pub(crate) fn send_many(
        &self,
        transport: &dyn Transport,
        ctx: &ErrorContext,
        count: usize,
        build: &dyn Fn(usize, SystemTime) -> Result<HttpRequest>,
        max_in_flight: usize,
        body_limit: usize,
    ) -> Result<Vec<Received>> {
        let deadline = self.deadline();
        let max_attempts = self.settings.max_attempts.max(1);
        let mut jitter = Jitter::from_clock();
        let mut done: Vec<Option<Received>> = (0..count).map(|_| None).collect();
        let mut attempt = 0;
        loop {
            if deadline.expired() {
                let error = ProviderError::from(TransportError::Timeout(TimeoutPhase::Total));
                return Err(retry::note_attempts(error, attempt));
            }
            attempt += 1;
            let pending: Vec<usize> = (0..count).filter(|&i| done[i].is_none()).collect();
            if pending.is_empty() {
                return Ok(done.into_iter().flatten().collect());
            }
            let time = SystemTime::now();
            let requests =
                pending.iter().map(|&i| build(i, time)).collect::<Result<Vec<HttpRequest>>>()?;
            let timeouts = deadline.clamp(&self.settings.timeouts);
            let results = transport.send_all(&requests, &timeouts, max_in_flight, body_limit);
            let mut failure = None;
            for (&i, result) in pending.iter().zip(results) {
                match result {
                    Some(Ok(received)) if received.is_success() => done[i] = Some(received),
                    Some(Ok(received)) if failure.is_none() => {
                        let error = errors::from_http(
                            received.status,
                            &received.headers,
                            &received.body,
                            ctx,
                        );
                        failure = Some((error, true));
                    }
                    Some(Err(e)) if failure.is_none() => {
                        let before = matches!(
                            e,
                            TransportError::Network { before_response: true, .. }
                                | TransportError::Timeout(TimeoutPhase::Connect)
                        );
                        failure = Some((ProviderError::from(e), before));
                    }
                    _ => {}
                }
            }
            if failure.is_none() && done.iter().any(Option::is_none) {
                // A batch stops only at a failure; a request left without one was lost.
                let lost = TransportError::Network {
                    detail: "the transport returned no answer for a request".into(),
                    before_response: true,
                };
                failure = Some((ProviderError::from(lost), true));
            }
            let Some((error, before_response)) = failure else { continue };
            if attempt >= max_attempts || !retry::is_retryable(&error, before_response) {
                return Err(retry::note_attempts(error, attempt));
            }
            let delay = retry::backoff(attempt, error.retry_after_ms, jitter.unit());
            if delay >= deadline.remaining() {
                return Err(retry::note_attempts(error, attempt));
            }
            (self.pause)(delay);
        }
    }

    /// A signed POST to `/model/{id}/{operation}` with extra signed headers.
    pub(crate) fn model_request(
        &self,
        model: &ModelId,
        operation: &str,
        extra: Vec<(String, String)>,
        body: Vec<u8>,
        time: SystemTime,
    ) -> Result<HttpRequest> {
        let endpoint = self.settings.runtime_endpoint();
        let path = endpoint.path(&format!("/model/{}/{operation}", model.path_label()));
        self.signed_request(&endpoint, path, extra, body, time)
    }

    /// The settings' embedding model, or the request's.
    pub(crate) fn embedding_model(&self, spec: Option<&str>) -> Result<ModelId> {
        match spec {
            Some(spec) => model_id::parse_spec(spec).map_err(|e| e.with_field("model")),
            None => self.settings.embedding_model.clone().ok_or_else(|| {
                ProviderError::settings(
                    "embeddingModel",
                    "No embedding model is configured and the request names none.",
                    "Set `embeddingModel`, e.g. `amazon-bedrock|amazon.titan-embed-text-v2:0`, or pass a model with the request.",
                )
            }),
        }
    }
}

/// The upstream request ID of a response.
pub(crate) fn request_id(response: &HttpResponse) -> Option<String> {
    response.header("x-amzn-requestid").map(str::to_string)
}

fn is_signature_expired(error: &ProviderError) -> bool {
    error.kind == ErrorKind::ExpiredCredentials
        && error.code.as_deref() == Some("InvalidSignatureException")
}

/// Puts the first difference between what we signed and what AWS computed into the cause.
fn explain_signature_mismatch(error: &mut ProviderError, body: &[u8], request: &HttpRequest) {
    let Some(names) = auth::signed_header_names(request) else { return };
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let ours = auth::canonical_request(request, &names);
    // AWS quotes its canonical string inside the JSON `message`; read it decoded.
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let message = json
        .as_ref()
        .and_then(|v| v.get("message").or_else(|| v.get("Message")))
        .and_then(serde_json::Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    if let Some(found) = diagnose::signature_mismatch(&message, &ours) {
        error.cause = Some(found);
    }
}

/// The offset between this machine's clock and AWS's, learnt from a "Signature expired"
/// answer's `Date` header; applied to every later signature of the call.
#[derive(Default)]
struct Skew {
    /// Seconds to add to the local clock (negative when it runs ahead).
    offset_secs: i64,
    corrected: bool,
}

impl Skew {
    fn apply(&self, now: SystemTime) -> SystemTime {
        let shift = Duration::from_secs(self.offset_secs.unsigned_abs());
        if self.offset_secs >= 0 { now + shift } else { now - shift }
    }

    /// Records the skew from the server's `Date` and describes it, or `None` if unusable.
    fn measure(&mut self, date: Option<&str>) -> Option<Warning> {
        let server = httpdate::parse_http_date(date?).ok()?;
        let now = SystemTime::now();
        let offset = match server.duration_since(now) {
            Ok(ahead) => ahead.as_secs() as i64,
            Err(behind) => -(behind.duration().as_secs() as i64),
        };
        self.offset_secs = offset;
        self.corrected = true;
        let direction = if offset >= 0 { "behind" } else { "ahead of" };
        Some(Warning::new(
            "clock-skew",
            format!(
                "This machine's clock is {} s {direction} AWS's; the request was signed again with \
                 the corrected time. Synchronise the clock (NTP) to avoid the extra round trip.",
                offset.unsigned_abs()
            ),
        ))
    }
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;

//! The call lifecycle against a mock transport: what goes on the wire, retries, clock skew,
//! signature diagnosis, inference-profile fallback, and both re-ranking paths.
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::time::Duration;

use super::*;
use crate::transport::Timeouts;
use crate::transport::mock::{Canned, MockTransport};

thread_local! {
    static PAUSES: RefCell<Vec<Duration>> = const { RefCell::new(Vec::new()) };
}

fn record_pause(d: Duration) {
    PAUSES.with(|p| p.borrow_mut().push(d));
}

fn pauses() -> Vec<Duration> {
    PAUSES.with(|p| p.borrow().clone())
}

const SIGV4: &str = r#"{"region":"us-east-1","accessKeyId":"AKIDEXAMPLE",
  "secretAccessKey":"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  "languageModel":"amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0",
  "rerankingModel":"amazon-bedrock|cohere.rerank-v3-5:0",
  "headers":{"X-Custom-Header":"custom-value"}}"#;

const TEXT_OK: &str = r#"{"metrics":{"latencyMs":1331},"output":{"message":{"content":[{"text":"hello"}],"role":"assistant"}},"stopReason":"end_turn","usage":{"inputTokens":12,"outputTokens":4,"totalTokens":16}}"#;

fn client(json: &str) -> Client {
    let mut c = Client::open(json).unwrap();
    c.pause = record_pause;
    c
}

fn with(json: &str, extra: &str) -> String {
    let trimmed = json.trim_end().strip_suffix('}').unwrap();
    format!("{trimmed},{extra}}}")
}

fn chat(text: &str) -> GenerateRequest {
    GenerateRequest {
        messages: vec![Message { role: Role::User, content: vec![ContentPart::Text(text.into())] }],
        ..Default::default()
    }
}

fn error(status: u16, code: &str, message: &str) -> Canned {
    Canned::json(status, &format!(r#"{{"message":"{message}"}}"#))
        .with_header(
            "x-amzn-ErrorType",
            &format!("{code}:http://internal.amazon.com/coral/com.amazon.bedrock/"),
        )
        .with_header("x-amzn-RequestId", "req-err")
}

#[test]
fn generate_sends_one_signed_converse_request() {
    let t =
        MockTransport::new([Canned::json(200, TEXT_OK).with_header("x-amzn-RequestId", "req-1")]);
    let answer = client(SIGV4).generate(&t, chat("Hello")).unwrap();
    assert_eq!(answer.text, "hello");
    assert_eq!(answer.metadata.request_id.as_deref(), Some("req-1"));
    let sent = t.sent.borrow();
    let req = &sent[0];
    assert_eq!(req.authority, "bedrock-runtime.us-east-1.amazonaws.com");
    assert_eq!(req.path, "/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse");
    let auth = req.header("authorization").unwrap();
    assert!(auth.contains("SignedHeaders=content-type;host;x-amz-date,"), "{auth}");
    // Custom headers and content-length travel unsigned, after the signature.
    assert_eq!(req.header("x-custom-header"), Some("custom-value"));
    assert_eq!(req.header("content-length"), Some(req.body.len().to_string().as_str()));
}

#[test]
fn a_missing_language_model_names_the_setting() {
    let json = SIGV4.replace(
        r#""languageModel":"amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0","#,
        "",
    );
    let t = MockTransport::new([]);
    let e = client(&json).generate(&t, chat("Hi")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidSettings);
    assert_eq!(e.field.as_deref(), Some("languageModel"));
    assert!(t.sent.borrow().is_empty());
}

#[test]
fn throttling_is_retried_with_backoff_then_succeeds() {
    PAUSES.with(|p| p.borrow_mut().clear());
    let t = MockTransport::new([
        error(429, "ThrottlingException", "Too many requests, please wait before trying again."),
        error(503, "ServiceUnavailableException", "Bedrock is unable to process your request."),
        Canned::json(200, TEXT_OK),
    ]);
    let answer = client(SIGV4).generate(&t, chat("Hi")).unwrap();
    assert_eq!(answer.text, "hello");
    assert_eq!(t.sent.borrow().len(), 3);
    let waits = pauses();
    assert_eq!(waits.len(), 2);
    assert!(waits[0] < Duration::from_millis(200) && waits[1] < Duration::from_millis(400));
}

#[test]
fn the_final_error_says_how_many_attempts_were_made() {
    let throttled =
        || error(429, "ThrottlingException", "Too many tokens, please wait before trying again.");
    let t = MockTransport::new([throttled(), throttled(), throttled(), throttled()]);
    let e = client(SIGV4).generate(&t, chat("Hi")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Throttled);
    assert!(e.message.contains("after 3 attempts"), "{}", e.message);
    assert_eq!(t.sent.borrow().len(), 3, "maxAttempts defaults to 3");

    let t = MockTransport::new([throttled(), throttled()]);
    let e = client(&with(SIGV4, r#""maxAttempts":1"#)).generate(&t, chat("Hi")).unwrap_err();
    assert_eq!(t.sent.borrow().len(), 1);
    assert!(!e.message.contains("attempts"));
}

#[test]
fn errors_that_retrying_cannot_fix_are_not_retried() {
    for (status, code) in [
        (400, "ValidationException"),
        (400, "ServiceQuotaExceededException"),
        (403, "AccessDeniedException"),
        (403, "UnrecognizedClientException"),
    ] {
        let t = MockTransport::new([error(status, code, "no"), Canned::json(200, TEXT_OK)]);
        assert!(client(SIGV4).generate(&t, chat("Hi")).is_err(), "{code}");
        assert_eq!(t.sent.borrow().len(), 1, "{code} must not be retried");
    }
}

#[test]
fn connection_failures_are_retried_only_before_a_response() {
    let refused = || {
        Canned::Error(TransportError::Network {
            detail: "connection refused".into(),
            before_response: true,
        })
    };
    let t = MockTransport::new([refused(), Canned::json(200, TEXT_OK)]);
    assert!(client(SIGV4).generate(&t, chat("Hi")).is_ok());
    assert_eq!(t.sent.borrow().len(), 2);

    let reset =
        Canned::Error(TransportError::Network { detail: "reset".into(), before_response: false });
    let t = MockTransport::new([reset, Canned::json(200, TEXT_OK)]);
    let e = client(SIGV4).generate(&t, chat("Hi")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Network);
    assert_eq!(t.sent.borrow().len(), 1);
}

#[test]
fn a_pause_past_the_total_deadline_is_not_taken() {
    let throttled =
        error(429, "ThrottlingException", "Too many requests").with_header("retry-after", "5");
    let t = MockTransport::new([throttled, Canned::json(200, TEXT_OK)]);
    let json = with(SIGV4, r#""timeouts":{"totalMs":1000}"#);
    let e = client(&json).generate(&t, chat("Hi")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Throttled);
    assert_eq!(t.sent.borrow().len(), 1);
}

#[test]
fn an_expired_signature_is_signed_again_with_the_server_time() {
    let server = SystemTime::now() + Duration::from_secs(600);
    let expired = error(
        403,
        "InvalidSignatureException",
        "Signature expired: 20250714T201419Z is now earlier than 20250714T202350Z (20250714T202850Z - 5 min.)",
    )
    .with_header("date", &httpdate::fmt_http_date(server));
    let t = MockTransport::new([expired, Canned::json(200, TEXT_OK)]);
    let answer = client(SIGV4).generate(&t, chat("Hi")).unwrap();
    let skew = answer.warnings.iter().find(|w| w.code == "clock-skew").unwrap();
    assert!(skew.message.contains("behind"), "{}", skew.message);
    let sent = t.sent.borrow();
    assert_eq!(sent.len(), 2);
    let first = sent[0].header("x-amz-date").unwrap().to_string();
    let second = sent[1].header("x-amz-date").unwrap().to_string();
    assert!(second > first, "re-signed with a later time: {first} -> {second}");
}

#[test]
fn a_signature_mismatch_names_the_first_difference() {
    // AWS's canonical string differs from ours in the path: a proxy re-encoded it.
    let t = MockTransport::new([]);
    let c = client(SIGV4);
    let _ = c.generate(&t, chat("Hi"));
    let ours = {
        let sent = t.sent.borrow();
        let names = auth::signed_header_names(&sent[0]).unwrap();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        auth::canonical_request(&sent[0], &names)
    };
    let theirs = ours.replace("%253A0", "%25253A0");
    let body = serde_json::json!({"message": format!(
        "The request signature we calculated does not match the signature you provided.\n\nThe Canonical String for this request should have been\n'{theirs}'\n\nThe String-to-Sign should have been\n'x'\n")});
    let reply = Canned::json(403, &body.to_string()).with_header(
        "x-amzn-ErrorType",
        "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/",
    );
    let t = MockTransport::new([reply]);
    let e = c.generate(&t, chat("Hi")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Authentication);
    let cause = e.cause.unwrap_or_default();
    assert!(cause.contains("the path") && cause.contains("%25253A0"), "{cause}");
}

#[test]
fn inference_profile_auto_retries_once_through_the_geo_profile() {
    let on_demand = || {
        error(
            400,
            "ValidationException",
            "Invocation of model ID anthropic.claude-sonnet-4-5-20250929-v1:0 with on-demand throughput isn\u{2019}t supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
        )
    };
    let base = SIGV4.replace("amazon-bedrock|us.anthropic", "amazon-bedrock|anthropic");

    // Off (the default): the error names the profile and nothing is retried.
    let t = MockTransport::new([on_demand(), Canned::json(200, TEXT_OK)]);
    let e = client(&base).generate(&t, chat("Hi")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::OnDemandUnsupported);
    assert!(
        e.solution.unwrap_or_default().contains("us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    );
    assert_eq!(t.sent.borrow().len(), 1);

    // Auto: one more call through the profile, reported in the warnings.
    let t = MockTransport::new([on_demand(), Canned::json(200, TEXT_OK)]);
    let answer =
        client(&with(&base, r#""inferenceProfile":"auto""#)).generate(&t, chat("Hi")).unwrap();
    let sent = t.sent.borrow();
    assert_eq!(sent.len(), 2);
    assert!(sent[1].path.starts_with("/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/"));
    assert!(answer.warnings.iter().any(|w| w.code == "inference-profile-used"));
}

#[test]
fn a_2xx_that_is_not_a_stream_is_an_error_not_an_empty_answer() {
    let t = MockTransport::new([Canned::json(
        200,
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/converse/unknown-operation.json"
        ))
        .trim_ascii_end(),
    )]);
    let e = client(SIGV4).stream(&t, chat("Hi")).err().unwrap();
    assert_eq!(e.kind, ErrorKind::InvalidResponse);
}

#[test]
fn a_denied_host_names_the_setting_to_change() {
    let t = MockTransport::new([Canned::Error(TransportError::Denied {
        authority: "bedrock-runtime.us-east-1.amazonaws.com".into(),
    })]);
    let e = client(SIGV4).generate(&t, chat("Hi")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::DeniedByHost);
    assert!(e.solution.unwrap_or_default().contains("baseUrl"));
}

fn twelve_documents() -> RerankRequest {
    RerankRequest {
        query: "capital of France".into(),
        documents: (0..12)
            .map(|i| RerankDocument::Text(format!("document {i} about Paris")))
            .collect(),
        ..Default::default()
    }
}

fn scores(n: usize, snake: bool) -> String {
    let key = if snake { "relevance_score" } else { "relevanceScore" };
    let items: Vec<String> =
        (0..n).map(|i| format!(r#"{{"index":{i},"{key}":{}}}"#, 0.01 * i as f64)).collect();
    format!(r#"{{"results":[{}]}}"#, items.join(","))
}

#[test]
fn rerank_with_sigv4_uses_the_rerank_api_and_asks_for_every_document() {
    let t = MockTransport::new([Canned::json(200, &scores(12, false))]);
    let answer = client(SIGV4).rerank(&t, twelve_documents()).unwrap();
    assert_eq!(answer.results.len(), 12);
    assert_eq!(answer.results[0].index, 11, "sorted by score, highest first");
    assert_eq!(answer.results[0].document, RerankDocument::Text("document 11 about Paris".into()));
    let sent = t.sent.borrow();
    assert_eq!(sent[0].authority, "bedrock-agent-runtime.us-east-1.amazonaws.com");
    assert_eq!(sent[0].path, "/rerank");
    let body: serde_json::Value = serde_json::from_slice(&sent[0].body).unwrap();
    let config = &body["rerankingConfiguration"]["bedrockRerankingConfiguration"];
    assert_eq!(config["numberOfResults"], 12);
    assert_eq!(
        config["modelConfiguration"]["modelArn"],
        "arn:aws:bedrock:us-east-1::foundation-model/cohere.rerank-v3-5:0"
    );
}

#[test]
fn rerank_with_an_api_key_uses_invoke_model_with_the_native_body() {
    let json = r#"{"region":"us-west-2","apiKey":"ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl",
      "rerankingModel":"amazon-bedrock|cohere.rerank-v3-5:0"}"#;
    let t = MockTransport::new([Canned::json(200, &scores(12, true))]);
    let mut request = twelve_documents();
    request.top_n = Some(3);
    let answer = client(json).rerank(&t, request).unwrap();
    assert_eq!(answer.results.len(), 3);
    let sent = t.sent.borrow();
    assert_eq!(sent[0].path, "/model/cohere.rerank-v3-5%3A0/invoke");
    assert!(sent[0].header("authorization").unwrap().starts_with("Bearer "));
    let body: serde_json::Value = serde_json::from_slice(&sent[0].body).unwrap();
    assert_eq!(body["api_version"], 2);
    assert_eq!(body["top_n"], 3);
    assert_eq!(body["documents"].as_array().unwrap().len(), 12);

    // Amazon Rerank refuses `api_version`.
    let amazon = json.replace("cohere.rerank-v3-5:0", "amazon.rerank-v1:0");
    let t = MockTransport::new([Canned::json(200, &scores(12, true))]);
    client(&amazon).rerank(&t, twelve_documents()).unwrap();
    let body: serde_json::Value = serde_json::from_slice(&t.sent.borrow()[0].body).unwrap();
    assert!(body.get("api_version").is_none());
}

#[test]
fn rerank_limits_are_checked_before_sending() {
    let t = MockTransport::new([]);
    let c = client(SIGV4);
    let mut r = twelve_documents();
    r.documents.push(RerankDocument::Text("  ".into()));
    assert_eq!(c.rerank(&t, r).unwrap_err().field.as_deref(), Some("documents[12]"));
    let mut r = twelve_documents();
    r.documents = (0..1001).map(|i| RerankDocument::Text(i.to_string())).collect();
    assert_eq!(c.rerank(&t, r).unwrap_err().field.as_deref(), Some("documents"));
    let mut r = twelve_documents();
    r.documents[0] = RerankDocument::Json("[1,2]".into());
    assert_eq!(c.rerank(&t, r).unwrap_err().kind, ErrorKind::InvalidRequest);
    assert!(t.sent.borrow().is_empty());
}

#[test]
fn a_result_index_out_of_range_is_an_invalid_response() {
    let t = MockTransport::new([Canned::json(
        200,
        r#"{"results":[{"index":99,"relevanceScore":0.5}]}"#,
    )]);
    let e = client(SIGV4).rerank(&t, twelve_documents()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidResponse);
}

// ---- the total deadline (timeouts.totalMs) ----

/// The mock transport behind a slow network that honours the timeouts it is given, as the
/// host does: the response head takes `head` (or fails at `firstByteMs`), each body chunk
/// `chunk` (or fails at `betweenBytesMs`). Records the timeouts of every request.
struct SlowTransport {
    inner: MockTransport,
    head: Duration,
    chunk: Duration,
    timeouts: RefCell<Vec<Timeouts>>,
}

impl SlowTransport {
    fn new(head_ms: u64, chunk_ms: u64, answers: impl IntoIterator<Item = Canned>) -> Self {
        Self {
            inner: MockTransport::new(answers),
            head: Duration::from_millis(head_ms),
            chunk: Duration::from_millis(chunk_ms),
            timeouts: RefCell::default(),
        }
    }
}

/// Waits `want`, or fails with `phase` when `limit_ms` is shorter.
fn slow(
    want: Duration,
    limit_ms: u64,
    phase: TimeoutPhase,
) -> std::result::Result<(), TransportError> {
    let limit = Duration::from_millis(limit_ms);
    std::thread::sleep(want.min(limit));
    if want > limit { Err(TransportError::Timeout(phase)) } else { Ok(()) }
}

struct SlowBody {
    inner: Box<dyn crate::transport::Body>,
    chunk: Duration,
    between_ms: u64,
}

impl crate::transport::Body for SlowBody {
    fn next_chunk(&mut self) -> std::result::Result<Option<Vec<u8>>, TransportError> {
        slow(self.chunk, self.between_ms, TimeoutPhase::BetweenBytes)?;
        self.inner.next_chunk()
    }
}

impl Transport for SlowTransport {
    fn send(
        &self,
        request: &HttpRequest,
        timeouts: &Timeouts,
    ) -> std::result::Result<HttpResponse, TransportError> {
        self.timeouts.borrow_mut().push(*timeouts);
        slow(self.head, timeouts.first_byte_ms, TimeoutPhase::FirstByte)?;
        let mut response = self.inner.send(request, timeouts)?;
        response.body = Box::new(SlowBody {
            inner: response.body,
            chunk: self.chunk,
            between_ms: timeouts.between_bytes_ms,
        });
        Ok(response)
    }
}

fn assert_total_timeout(e: &ProviderError) {
    assert_eq!(e.kind, ErrorKind::Timeout, "{e:?}");
    assert_eq!(e.field.as_deref(), Some("timeouts.totalMs"), "{e:?}");
    assert!(e.retryable, "{e:?}");
}

#[test]
fn a_slow_answer_is_cut_at_the_total_deadline() {
    let t = SlowTransport::new(10_000, 0, [Canned::json(200, TEXT_OK)]);
    let json = with(SIGV4, r#""timeouts":{"totalMs":150,"firstByteMs":60000}"#);
    let started = std::time::Instant::now();
    let e = client(&json).generate(&t, chat("Hi")).unwrap_err();
    let took = started.elapsed();
    assert_total_timeout(&e);
    assert!(took < Duration::from_millis(1_000), "{took:?}");
    // The transport was told to give up by the deadline, not after its own 60 s.
    let timeouts = t.timeouts.borrow();
    assert_eq!(timeouts.len(), 1, "no attempt after the deadline");
    assert!(timeouts[0].first_byte_ms <= 150 && timeouts[0].connect_ms <= 150, "{timeouts:?}");
}

#[test]
fn retries_stop_at_the_total_deadline() {
    // Every attempt takes 60 ms and asks to be retried at once; 10 attempts would take 600 ms.
    let unavailable = || {
        error(503, "ServiceUnavailableException", "Bedrock is unable to process your request.")
            .with_header("retry-after", "0")
    };
    let t = SlowTransport::new(60, 0, (0..10).map(|_| unavailable()));
    let json = with(SIGV4, r#""maxAttempts":10,"timeouts":{"totalMs":200}"#);
    let mut c = client(&json);
    c.pause = std::thread::sleep;
    let started = std::time::Instant::now();
    let e = c.generate(&t, chat("Hi")).unwrap_err();
    let took = started.elapsed();
    let attempts = t.timeouts.borrow().len();
    assert!(attempts <= 4, "{attempts} attempts in 200 ms of 60 ms attempts");
    // Either the last attempt was cut at the deadline, or it ended past it and its own error is
    // reported; never a whole extra attempt.
    assert!(
        e.field.as_deref() == Some("timeouts.totalMs") || e.kind == ErrorKind::ServiceUnavailable,
        "{e:?}"
    );
    assert!(took < Duration::from_millis(200 + 60 + 300), "{took:?}");
}

#[test]
fn a_call_that_starts_past_its_deadline_sends_nothing() {
    let c = client(SIGV4);
    let t = MockTransport::new([Canned::json(200, TEXT_OK)]);
    let ctx = c.error_context(c.settings.language_model.as_ref().unwrap(), Operation::Converse);
    let passed = Deadline::after_ms(0);
    let e = c
        .send(&t, &ctx, passed, &|_| panic!("no request may be built past the deadline"))
        .err()
        .unwrap();
    assert_total_timeout(&e);
    assert!(t.sent.borrow().is_empty());
}

#[test]
fn a_stream_is_cut_at_the_total_deadline() {
    // A healthy stream whose chunks arrive every 80 ms: each is within betweenBytesMs, but
    // the whole answer would take 800 ms.
    let mut frames = vec![stream::testing::event("messageStart", r#"{"role":"assistant"}"#)];
    for i in 0..8 {
        frames.push(stream::testing::event(
            "contentBlockDelta",
            &format!(r#"{{"contentBlockIndex":0,"delta":{{"text":"t{i}"}}}}"#),
        ));
    }
    frames.push(stream::testing::event("messageStop", r#"{"stopReason":"end_turn"}"#));
    let answer = Canned::Response {
        status: 200,
        headers: vec![("content-type".into(), "application/vnd.amazon.eventstream".into())],
        chunks: frames,
    };
    let t = SlowTransport::new(0, 80, [answer]);
    let json = with(SIGV4, r#""timeouts":{"totalMs":300,"betweenBytesMs":30000}"#);
    let started = std::time::Instant::now();
    let mut s = client(&json).stream(&t, chat("Hi")).unwrap();
    let mut texts = 0;
    let e = loop {
        match s.next() {
            Ok(Some(StreamPart::TextDelta { .. })) => texts += 1,
            Ok(Some(_)) => {}
            Ok(None) => panic!("the stream outlived its deadline"),
            Err(e) => break e,
        }
    };
    let took = started.elapsed();
    assert_total_timeout(&e);
    assert!(texts < 4, "{texts} text parts after 300 ms of 80 ms chunks");
    assert!(took < Duration::from_millis(300 + 80 + 300), "{took:?}");
    // The stream stays failed, and next-batch says the same.
    assert_total_timeout(&s.next_batch(8).unwrap_err());
}

// ---- structured output, token counting ----

fn json_schema(schema: &str) -> ResponseFormat {
    ResponseFormat::JsonSchema(JsonSchemaFormat {
        name: "answer".into(),
        description: None,
        schema_json: schema.into(),
        strict: true,
    })
}

const TOOL_ANSWER: &str = r#"{"metrics":{"latencyMs":9},"output":{"message":{"content":[{"toolUse":{"toolUseId":"tooluse_1","name":"json_response","input":{"city":"Paris"}}}],"role":"assistant"}},"stopReason":"tool_use","usage":{"inputTokens":12,"outputTokens":4,"totalTokens":16}}"#;

#[test]
fn the_forced_tool_answer_arrives_as_text() {
    let t = MockTransport::new([Canned::json(200, TOOL_ANSWER)]);
    let request = GenerateRequest {
        model: Some("amazon-bedrock|amazon.nova-lite-v1:0".into()),
        response_format: Some(json_schema(
            r#"{"type":"object","properties":{"city":{"type":"string"}}}"#,
        )),
        ..chat("Capital of France?")
    };
    let answer = client(SIGV4).generate(&t, request).unwrap();
    assert_eq!(answer.text, r#"{"city":"Paris"}"#);
    assert_eq!(answer.finish_reason, FinishReason::Stop);
    assert!(!answer.content.iter().any(|p| matches!(p, ContentPart::ToolCall(_))));
    assert!(answer.warnings.iter().any(|w| w.code == "structured-output-tool"));
}

#[test]
fn the_forced_tool_stream_arrives_as_text_deltas() {
    use crate::stream::testing::converse_body;
    let body = converse_body(&[
        r#"{"messageStart":{"role":"assistant"}}"#,
        r#"{"contentBlockStart":{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"tooluse_1","name":"json_response"}}}}"#,
        r#"{"contentBlockDelta":{"contentBlockIndex":0,"delta":{"toolUse":{"input":"{\"city\":"}}}}"#,
        r#"{"contentBlockDelta":{"contentBlockIndex":0,"delta":{"toolUse":{"input":"\"Paris\"}"}}}}"#,
        r#"{"contentBlockStop":{"contentBlockIndex":0}}"#,
        r#"{"messageStop":{"stopReason":"tool_use"}}"#,
        r#"{"metadata":{"usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3},"metrics":{"latencyMs":1}}}"#,
    ]);
    let t = MockTransport::new([Canned::Response {
        status: 200,
        headers: vec![("content-type".into(), "application/vnd.amazon.eventstream".into())],
        chunks: vec![body],
    }]);
    let request = GenerateRequest {
        model: Some("amazon-bedrock|amazon.nova-lite-v1:0".into()),
        response_format: Some(ResponseFormat::JsonObject),
        ..chat("Capital of France?")
    };
    let mut stream = client(SIGV4).stream(&t, request).unwrap();
    let mut parts = Vec::new();
    while let Some(part) = stream.next().unwrap() {
        parts.push(part);
    }
    let text: String = parts
        .iter()
        .filter_map(|p| match p {
            StreamPart::TextDelta { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(text, r#"{"city":"Paris"}"#);
    assert!(!parts.iter().any(|p| matches!(
        p,
        StreamPart::ToolCallStart { .. }
            | StreamPart::ToolCallDelta { .. }
            | StreamPart::ToolCallEnd(_)
    )));
    assert!(
        parts.iter().any(|p| matches!(p, StreamPart::Finish(f) if f.reason == FinishReason::Stop))
    );
    assert!(
        parts
            .iter()
            .any(|p| matches!(p, StreamPart::Warning(w) if w.code == "structured-output-tool"))
    );
}

#[test]
fn a_refused_schema_keyword_names_its_path() {
    let refused = error(
        400,
        "ValidationException",
        "The model returned the following errors: output_config.format.schema: For 'array' type, property 'maxItems' is not supported",
    );
    let t = MockTransport::new([refused]);
    let request = GenerateRequest {
        response_format: Some(json_schema(
            r#"{"type":"object","properties":{"tags":{"type":"array","maxItems":2}}}"#,
        )),
        ..chat("Tags?")
    };
    let e = client(SIGV4).generate(&t, request).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    assert_eq!(e.field.as_deref(), Some("responseFormat.schema.properties.tags.maxItems"));
    assert!(e.cause.unwrap().contains("maxItems"));
}

#[test]
fn count_tokens_sends_the_countable_members_to_the_base_model() {
    let t = MockTransport::new([
        Canned::json(200, r#"{"inputTokens":42}"#).with_header("x-amzn-RequestId", "req-count")
    ]);
    let request = GenerateRequest {
        response_format: Some(json_schema(r#"{"type":"object"}"#)),
        ..chat("How many tokens?")
    };
    let count = client(SIGV4).count_tokens(&t, request).unwrap();
    assert_eq!(count.input_tokens, 42);
    assert_eq!(count.metadata.request_id.as_deref(), Some("req-count"));
    assert_eq!(count.metadata.model, "anthropic.claude-sonnet-4-5-20250929-v1:0");
    assert!(count.warnings.iter().any(|w| w.code == "not-counted"));
    let sent = t.sent.borrow();
    assert_eq!(sent[0].path, "/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/count-tokens");
    let body: serde_json::Value = serde_json::from_slice(&sent[0].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"input": {"converse": {"messages": [
            {"role": "user", "content": [{"text": "How many tokens?"}]}
        ]}}})
    );
}

#[test]
fn count_tokens_for_a_model_that_cannot_count_is_unsupported() {
    let refused =
        error(400, "ValidationException", "The provided model doesn't support counting tokens.");
    let t = MockTransport::new([refused]);
    let request = GenerateRequest { model: Some("amazon.nova-lite-v1:0".into()), ..chat("Hi") };
    let e = client(SIGV4).count_tokens(&t, request).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unsupported);
    assert!(!e.retryable);
    assert!(e.cause.unwrap().contains("amazon.nova-lite-v1:0"));
    assert!(e.solution.unwrap().contains("not available for this model"));
    let t = MockTransport::new([Canned::json(200, r#"{"tokens":1}"#)]);
    let e = client(SIGV4).count_tokens(&t, chat("Hi")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidResponse);
}

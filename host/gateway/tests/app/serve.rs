//! `bedrock-gateway serve` end to end: a real socket, an HTTP client, the real component in the
//! real host, and the local Bedrock emulator as the upstream. Most tests start the server in
//! process; the signal tests (SIGTERM draining, SIGHUP reload) and the OpenAI Python client
//! test run the binary.
#![allow(clippy::unwrap_used)]

use crate::common::{cache_dir, temp_dir};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bedrock_emulator::{DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY, Emulator, EmulatorConfig};
use bedrock_gateway::serve::{self, ServeConfig, Server, StartError};
use bedrock_gateway::{Host, HostConfig};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub(crate) const CLAUDE: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const NOVA: &str = "amazon.nova-lite-v1:0";
const TITAN: &str = "amazon.titan-embed-text-v2:0";

/// A model ID as the gateway's answers and model list spell it.
pub(crate) fn public(id: &str) -> String {
    format!("amazon-bedrock|{id}")
}
pub(crate) const KEY: &str = "sk-gateway-test-key";

// ---------- harness ----------

/// SigV4 settings pointing at the emulator, one attempt per call, merged with `extra`.
pub(crate) fn settings_for(emulator: &Emulator, extra: Value) -> Value {
    let mut base = json!({
        "region": "us-east-1",
        "accessKeyId": DEMO_ACCESS_KEY_ID,
        "secretAccessKey": DEMO_SECRET_ACCESS_KEY,
        "baseUrl": emulator.base_url(),
        "languageModel": format!("amazon-bedrock|{CLAUDE}"),
        "rerankingModel": "amazon-bedrock|cohere.rerank-v3-5:0",
        "embeddingModel": format!("amazon-bedrock|{TITAN}"),
        "maxAttempts": 1,
    });
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

/// A frame delay for every stream (sent as an unsigned custom header).
pub(crate) fn slow_streams(ms: u64) -> Value {
    json!({"headers": {"x-emulator-frame-delay-ms": ms.to_string()}})
}

fn load_host(config: HostConfig) -> Host {
    let config = HostConfig { cache_dir: Some(cache_dir()), max_concurrent_calls: 100, ..config };
    Host::load(bedrock_gateway::bundled_component(), config).unwrap()
}

/// An HTTP client for a gateway address, with the key it presents.
#[derive(Clone)]
pub(crate) struct Http {
    pub(crate) addr: SocketAddr,
    pub(crate) key: Option<String>,
    client: Client<HttpConnector, Full<Bytes>>,
}

/// A whole response.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: http::HeaderMap,
    pub(crate) body: Bytes,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Http {
    pub(crate) fn new(addr: SocketAddr, key: Option<&str>) -> Http {
        let client = Client::builder(TokioExecutor::new()).build_http();
        Http { addr, key: key.map(str::to_string), client }
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Bytes,
    ) -> hyper::Response<Incoming> {
        let auth = key.map(|key| format!("Bearer {key}"));
        let headers: Vec<(&str, &str)> =
            auth.as_deref().map(|a| ("authorization", a)).into_iter().collect();
        self.send_with(method, path, &headers, body).await
    }

    /// A request with these headers (and `content-type: application/json`), no key unless
    /// one of them carries it.
    pub(crate) async fn send_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> hyper::Response<Incoming> {
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr))
            .header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.client.request(request.body(Full::new(body)).unwrap()).await.unwrap()
    }

    pub(crate) async fn call(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Bytes,
    ) -> Reply {
        let response = self.send(method, path, key, body).await;
        Self::whole(response).await
    }

    /// [`Http::send_with`], read whole.
    pub(crate) async fn call_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Reply {
        Self::whole(self.send_with(method, path, headers, body).await).await
    }

    async fn whole(response: hyper::Response<Incoming>) -> Reply {
        let (parts, body) = response.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        Reply { status: parts.status.as_u16(), headers: parts.headers, body }
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Reply {
        self.call("POST", path, self.key.as_deref(), Bytes::from(body.to_string())).await
    }

    pub(crate) async fn get(&self, path: &str) -> Reply {
        self.call("GET", path, self.key.as_deref(), Bytes::new()).await
    }

    /// A streamed chat: the status, then the events as they come.
    async fn stream(&self, body: Value) -> SseReader {
        let response = self
            .send(
                "POST",
                "/v1/chat/completions",
                self.key.as_deref(),
                Bytes::from(body.to_string()),
            )
            .await;
        SseReader {
            status: response.status().as_u16(),
            body: response.into_body(),
            buffer: String::new(),
        }
    }
}

/// Reads `data:` events from a response body.
struct SseReader {
    status: u16,
    body: Incoming,
    buffer: String,
}

impl SseReader {
    /// The next event's data, `None` at the end of the body.
    async fn next(&mut self) -> Option<String> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let event: String = self.buffer.drain(..end + 2).collect();
                let data = event
                    .trim_end()
                    .strip_prefix("data: ")
                    .unwrap_or_else(|| panic!("not an SSE data line: {event:?}"));
                return Some(data.to_string());
            }
            match self.body.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.buffer.push_str(std::str::from_utf8(&data).unwrap());
                    }
                }
                Some(Err(e)) => panic!("the stream broke: {e}"),
                None => {
                    assert!(self.buffer.is_empty(), "trailing bytes: {:?}", self.buffer);
                    return None;
                }
            }
        }
    }

    async fn all(mut self) -> Vec<String> {
        let mut events = Vec::new();
        while let Some(e) = self.next().await {
            events.push(e);
        }
        events
    }
}

/// An emulator and an in-process gateway in front of it.
pub(crate) struct Gateway {
    pub(crate) emulator: Emulator,
    server: Option<Server>,
    stop: Option<oneshot::Sender<()>>,
    pub(crate) http: Http,
}

impl Gateway {
    pub(crate) async fn start(extra: Value) -> Gateway {
        Self::with(
            extra,
            ServeConfig { listen: "127.0.0.1:0".parse().unwrap(), ..ServeConfig::default() },
            HostConfig::default(),
        )
        .await
    }

    pub(crate) async fn with(extra: Value, config: ServeConfig, host: HostConfig) -> Gateway {
        let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
        let key = config.api_keys.first().cloned();
        let settings = settings_for(&emulator, extra);
        let (stop, stopped) = oneshot::channel::<()>();
        let server = serve::start(config, load_host(host), settings, async move {
            let _ = stopped.await;
        })
        .await
        .unwrap();
        let http = Http::new(server.addr(), key.as_deref());
        Gateway { emulator, server: Some(server), stop: Some(stop), http }
    }

    fn server(&self) -> &Server {
        self.server.as_ref().unwrap()
    }

    pub(crate) async fn shutdown(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(30), self.server.take().unwrap().wait())
            .await
            .unwrap();
    }
}

fn chat(text: &str) -> Value {
    json!({"messages": [{"role": "user", "content": text}]})
}

fn with(mut body: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

fn parse_events(events: &[String]) -> Vec<Value> {
    events.iter().filter(|e| *e != "[DONE]").map(|e| serde_json::from_str(e).unwrap()).collect()
}

fn streamed_text(chunks: &[Value]) -> String {
    chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect()
}

// ---------- chat ----------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_answers_in_openai_shape() {
    let g = Gateway::start(json!({})).await;
    let reply = g
        .http
        .post(
            "/v1/chat/completions",
            json!({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi there"}],
                   "max_tokens": 100, "temperature": 0.5, "stop": ["zzz"]}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let request_id = reply.header("x-request-id").unwrap().to_string();
    assert!(reply.header("x-upstream-request-id").is_some());
    let v = reply.json();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["id"], format!("chatcmpl-{request_id}"));
    // No model in the request: the settings' languageModel answered, named as /v1/models
    // names it.
    assert_eq!(v["model"], public(CLAUDE));
    let choice = &v["choices"][0];
    assert_eq!(choice["message"]["role"], "assistant");
    assert_eq!(choice["message"]["content"], "Hello from the Bedrock emulator. You said: hi there");
    assert_eq!(choice["finish_reason"], "stop");
    let usage = &v["usage"];
    assert!(usage["prompt_tokens"].as_u64().unwrap() > 0);
    assert!(usage["completion_tokens"].as_u64().unwrap() > 0);
    assert_eq!(
        usage["total_tokens"].as_u64().unwrap(),
        usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap()
    );
    assert_eq!(usage["prompt_tokens_details"]["cached_tokens"], 0);

    // What reached Bedrock: a signed Converse call with the system prompt and the settings.
    let sent = g.emulator.requests().pop().unwrap();
    assert_eq!(sent.signature_valid, Some(true));
    assert_eq!(sent.path, "/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse");
    let body: Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(body["system"], json!([{"text": "Be brief."}]));
    assert_eq!(body["inferenceConfig"]["maxTokens"], 100);
    assert_eq!(body["inferenceConfig"]["stopSequences"], json!(["zzz"]));

    // `model` as `amazon-bedrock|<id>` or a bare ID.
    for model in [format!("amazon-bedrock|{NOVA}"), NOVA.to_string()] {
        let reply =
            g.http.post("/v1/chat/completions", with(chat("hi"), json!({"model": model}))).await;
        assert_eq!(reply.status, 200, "{model}: {}", reply.text());
        assert_eq!(reply.json()["model"], public(NOVA));
        assert_eq!(
            g.emulator.requests().pop().unwrap().path,
            "/model/amazon.nova-lite-v1%3A0/converse"
        );
    }

    // Truncation is `length`.
    let v = g
        .http
        .post(
            "/v1/chat/completions",
            with(chat("tell me a long story"), json!({"max_completion_tokens": 3})),
        )
        .await
        .json();
    assert_eq!(v["choices"][0]["finish_reason"], "length");
    g.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serving_threads_with_reused_instances_answer_and_drain() {
    // Three threads with their own SO_REUSEPORT listeners on one port, instance reuse on:
    // every request is answered (signatures verified by the emulator) and shutdown drains all.
    let config = ServeConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        threads: 3,
        ..ServeConfig::default()
    };
    let reuse = bedrock_gateway::InstanceReuse::default();
    let g = Gateway::with(
        json!({}),
        config,
        HostConfig { reuse: Some(reuse), ..HostConfig::default() },
    )
    .await;
    let mut replies = Vec::new();
    for i in 0..12 {
        // A fresh connection each time, so the kernel spreads them over the listeners.
        let http = Http::new(g.server().addr(), None);
        replies.push(tokio::spawn(async move {
            http.post("/v1/chat/completions", chat(&format!("hello {i}"))).await
        }));
    }
    for reply in replies {
        let reply = reply.await.unwrap();
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
    let requests = g.emulator.requests();
    assert_eq!(requests.len(), 12);
    assert!(requests.iter().all(|r| r.signature_valid == Some(true)));
    assert!(g.server().host().idle_instances() >= 1, "the instances were kept for reuse");
    g.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_travel_as_data_urls() {
    let g = Gateway::start(json!({})).await;
    let png = [0x89u8, b'P', b'N', b'G', 13, 10, 26, 10, 0, 0, 0, 13];
    use base64::Engine as _;
    let data = base64::engine::general_purpose::STANDARD.encode(png);
    let body = json!({"messages": [{"role": "user", "content": [
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{data}")}},
    ]}]});
    let reply = g.http.post("/v1/chat/completions", body).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let sent: Value = serde_json::from_slice(&g.emulator.requests().pop().unwrap().body).unwrap();
    let image = &sent["messages"][0]["content"][1]["image"];
    assert_eq!(image["format"], "png");
    assert_eq!(image["source"]["bytes"], data);

    // A URL the gateway would have to fetch is refused, naming the field.
    let body = json!({"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}]});
    let reply = g.http.post("/v1/chat/completions", body).await;
    assert_eq!(reply.status, 400);
    let e = reply.json();
    assert_eq!(e["error"]["param"], "messages[0].content[0].image_url.url");
    assert_eq!(e["error"]["kind"], "unsupported");
    assert_eq!(e["error"]["code"], "unsupported_value");
    g.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_sends_chunks_usage_and_done() {
    let g = Gateway::start(json!({})).await;
    let plain = g.http.post("/v1/chat/completions", chat("stream me")).await.json();
    let expected = plain["choices"][0]["message"]["content"].as_str().unwrap().to_string();

    let reader = g
        .http
        .stream(with(
            chat("stream me"),
            json!({"stream": true, "stream_options": {"include_usage": true}}),
        ))
        .await;
    assert_eq!(reader.status, 200);
    let events = reader.all().await;
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"), "{events:?}");
    let chunks = parse_events(&events);
    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["model"], public(CLAUDE));
        assert!(chunk["id"].as_str().unwrap().starts_with("chatcmpl-"));
        assert_eq!(chunk["id"], chunks[0]["id"], "one id per stream");
    }
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert!(chunks.len() > 4, "the text came in pieces: {chunks:?}");
    assert_eq!(streamed_text(&chunks), expected);
    let finish: Vec<&Value> =
        chunks.iter().filter(|c| !c["choices"][0]["finish_reason"].is_null()).collect();
    assert_eq!(finish.len(), 1);
    assert_eq!(finish[0]["choices"][0]["finish_reason"], "stop");
    // With include_usage: every chunk has `usage: null` except the last, which has no choices.
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"], json!([]));
    assert_eq!(last["usage"]["completion_tokens"], plain["usage"]["completion_tokens"]);
    assert!(chunks[..chunks.len() - 1].iter().all(|c| c["usage"].is_null()));

    // Without include_usage there is no usage chunk.
    let chunks = parse_events(
        &g.http.stream(with(chat("stream me"), json!({"stream": true}))).await.all().await,
    );
    assert!(
        chunks
            .iter()
            .all(|c| c.get("usage").is_none() && !c["choices"].as_array().unwrap().is_empty())
    );
    g.shutdown().await;
}

// ---------- tools ----------

fn weather_tool() -> Value {
    json!([{"type": "function", "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }}])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_calls_and_tool_results() {
    let g = Gateway::start(json!({})).await;
    let ask = json!({"messages": [{"role": "user", "content": "Weather in Paris?"}], "tools": weather_tool(), "tool_choice": "auto"});
    let v = g.http.post("/v1/chat/completions", ask.clone()).await.json();
    let choice = &v["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["content"], Value::Null);
    let call = &choice["message"]["tool_calls"][0];
    assert_eq!(call["type"], "function");
    assert_eq!(call["function"]["name"], "get_weather");
    let arguments: Value =
        serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(arguments, json!({"city": "Paris"}));
    let id = call["id"].as_str().unwrap().to_string();
    let sent: Value = serde_json::from_slice(&g.emulator.requests().pop().unwrap().body).unwrap();
    assert_eq!(sent["toolConfig"]["tools"][0]["toolSpec"]["name"], "get_weather");
    assert_eq!(sent["toolConfig"]["toolChoice"], json!({"auto": {}}));

    // The follow-up turn: the assistant's call and the tool's result go back.
    let follow_up = json!({
        "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": null, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": id, "content": "sunny, 24 C"},
        ],
        "tools": weather_tool(),
    });
    let reply = g.http.post("/v1/chat/completions", follow_up).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let v = reply.json();
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        v["choices"][0]["message"]["content"],
        "Hello from the Bedrock emulator. The tool get_weather returned: sunny, 24 C"
    );
    let sent: Value = serde_json::from_slice(&g.emulator.requests().pop().unwrap().body).unwrap();
    assert_eq!(sent["messages"][1]["content"][0]["toolUse"]["toolUseId"], id.as_str());
    assert_eq!(sent["messages"][2]["content"][0]["toolResult"]["toolUseId"], id.as_str());

    // Streamed: OpenAI's delta format, the argument fragments joining to the same JSON.
    let chunks = parse_events(&g.http.stream(with(ask, json!({"stream": true}))).await.all().await);
    let calls: Vec<&Value> = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"].as_array())
        .flatten()
        .collect();
    assert!(calls.len() >= 3, "a start and several fragments: {calls:?}");
    assert!(calls.iter().all(|c| c["index"] == 0));
    assert_eq!(calls[0]["id"], id.as_str());
    assert_eq!(calls[0]["type"], "function");
    assert_eq!(calls[0]["function"]["name"], "get_weather");
    assert!(
        calls[1..].iter().all(|c| c.get("id").is_none() && c["function"].get("name").is_none())
    );
    let joined: String = calls.iter().filter_map(|c| c["function"]["arguments"].as_str()).collect();
    assert_eq!(serde_json::from_str::<Value>(&joined).unwrap(), json!({"city": "Paris"}));
    let finish = chunks.iter().find_map(|c| c["choices"][0]["finish_reason"].as_str()).unwrap();
    assert_eq!(finish, "tool_calls");
    g.shutdown().await;
}

// ---------- rerank and models ----------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rerank_in_cohere_shape() {
    let g = Gateway::start(json!({})).await;
    let reply = g
        .http
        .post(
            "/v1/rerank",
            json!({"query": "capital of France",
                   "documents": ["Berlin is in Germany.", {"text": "Paris is the capital of France."}, "The Seine flows through Paris."],
                   "top_n": 2}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let v = reply.json();
    assert_eq!(v["model"], public("cohere.rerank-v3-5:0"));
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["index"], 1);
    assert_eq!(results[0]["document"], json!({"text": "Paris is the capital of France."}));
    assert!(
        results[0]["relevance_score"].as_f64().unwrap()
            >= results[1]["relevance_score"].as_f64().unwrap()
    );
    assert_eq!(v["usage"], json!({"search_units": 1}));
    assert!(v["id"].as_str().unwrap().starts_with("rerank-"));

    let v = g
        .http
        .post("/v1/rerank", json!({"model": "amazon-bedrock|cohere.rerank-v3-5:0", "query": "q", "documents": ["a", "b"], "return_documents": false}))
        .await
        .json();
    assert_eq!(v["results"].as_array().unwrap().len(), 2);
    assert!(v["results"][0].get("document").is_none());

    let e = g.http.post("/v1/rerank", json!({"documents": ["a"]})).await;
    assert_eq!(e.status, 400);
    assert_eq!(e.json()["error"]["param"], "query");

    g.shutdown().await;
}

// ---------- errors ----------

/// Sends a chat to the fault model and returns the reply.
async fn fault(g: &Gateway, name: &str) -> Reply {
    g.http
        .post(
            "/v1/chat/completions",
            with(chat("hi"), json!({"model": format!("emulator.fault-{name}")})),
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_class_has_its_status_and_openai_body() {
    let g = Gateway::start(json!({})).await;
    // fault, status, our kind, OpenAI code, OpenAI type, x-should-retry
    let rows = [
        (
            "validation",
            400,
            "invalid-request",
            Some("invalid_value"),
            "invalid_request_error",
            false,
        ),
        (
            "on-demand",
            400,
            "on-demand-unsupported",
            Some("model_not_found"),
            "invalid_request_error",
            false,
        ),
        (
            "model-error-too-long",
            400,
            "invalid-request",
            Some("context_length_exceeded"),
            "invalid_request_error",
            false,
        ),
        ("invalid-signature", 401, "authentication", None, "authentication_error", false),
        ("expired-token", 401, "expired-credentials", None, "authentication_error", false),
        ("no-model-access", 403, "access-denied", None, "permission_error", false),
        ("end-of-life", 404, "model-not-found", Some("model_not_found"), "not_found_error", false),
        ("throttling", 429, "throttled", Some("rate_limit_exceeded"), "rate_limit_error", true),
        ("quota", 429, "quota-exceeded", Some("insufficient_quota"), "insufficient_quota", false),
        ("internal", 500, "internal", None, "server_error", true),
        ("model-error", 502, "model-error", None, "server_error", false),
        ("unknown-operation", 502, "invalid-response", None, "server_error", false),
        ("unavailable", 503, "service-unavailable", None, "server_error", true),
        ("model-not-ready", 503, "model-not-ready", None, "server_error", true),
        ("model-timeout", 504, "model-timeout", None, "server_error", true),
    ];
    for (name, status, kind, code, error_type, should_retry) in rows {
        let reply = fault(&g, name).await;
        assert_eq!(reply.status, status, "{name}: {}", reply.text());
        assert_eq!(reply.header("content-type"), Some("application/json"));
        let e = reply.json();
        let error = &e["error"];
        assert_eq!(error["kind"], kind, "{name}");
        assert_eq!(error["code"].as_str(), code, "{name}");
        assert_eq!(error["type"], error_type, "{name}");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains(" Solution: "),
            "{name}: the solution belongs in the message: {message}"
        );
        assert!(!message.contains("http://internal"), "{name}: {message}");
        assert!(error.as_object().unwrap().contains_key("param"), "{name}");
        if name != "unknown-operation" {
            assert!(error["upstream_request_id"].is_string(), "{name}: {error}");
        }
        // One attempt per call here, so what may succeed later may be retried at once.
        assert_eq!(error["retryable"], should_retry, "{name}");
        assert_eq!(
            reply.header("x-should-retry"),
            Some(if should_retry { "true" } else { "false" }),
            "{name}"
        );
        assert_eq!(
            reply.header("retry-after").is_some(),
            should_retry && status != 500 && status != 504,
            "{name}"
        );
    }
    // A context-length failure names the request field a client can shorten.
    assert_eq!(fault(&g, "model-error-too-long").await.json()["error"]["param"], "messages");

    // Throttling says when to come back.
    let reply = fault(&g, "throttling").await;
    assert_eq!(reply.header("retry-after"), Some("1"));
    assert_eq!(reply.header("retry-after-ms"), Some("1000"));
    assert_eq!(reply.header("x-should-retry"), Some("true"));
    // A quota will not recover soon: a 429 the client should not retry.
    let reply = fault(&g, "quota").await;
    assert_eq!(reply.header("retry-after"), None);
    assert_eq!(reply.header("x-should-retry"), Some("false"));

    // A malformed request never reaches Bedrock and names the field.
    g.emulator.clear_requests();
    for (body, param) in [
        (json!({"messages": [{"role": "user", "content": "   "}]}), "messages[0].content"),
        (json!({"messages": [{"role": "wizard", "content": "x"}]}), "messages[0].role"),
    ] {
        let reply = g.http.post("/v1/chat/completions", body).await;
        assert_eq!(reply.status, 400, "{}", reply.text());
        let e = reply.json();
        assert_eq!(e["error"]["kind"], "invalid-request");
        assert_eq!(e["error"]["param"], param, "{e}");
    }
    let reply = g.call_raw("POST", "/v1/chat/completions", "{not json").await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.json()["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("The request body is not valid JSON")
    );
    assert!(g.emulator.requests().is_empty());

    // Routes and methods.
    let reply = g.http.get("/v1/nothing").await;
    assert_eq!((reply.status, reply.json()["error"]["kind"].as_str()), (404, Some("not-found")));
    let reply = g.http.get("/v1/chat/completions").await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("POST"));
    g.shutdown().await;
}

impl Gateway {
    async fn call_raw(&self, method: &str, path: &str, body: &str) -> Reply {
        self.http.call(method, path, self.http.key.as_deref(), Bytes::from(body.to_string())).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mid_stream_error_is_the_last_event() {
    let g = Gateway::start(json!({})).await;
    let reader = g
        .http
        .stream(with(
            chat("hi"),
            json!({"stream": true, "model": "emulator.fault-stream-throttling"}),
        ))
        .await;
    assert_eq!(reader.status, 200, "the stream had started");
    let events = reader.all().await;
    assert!(
        !events.contains(&"[DONE]".to_string()),
        "an error stream does not end cleanly: {events:?}"
    );
    let values = parse_events(&events);
    assert!(!streamed_text(&values).is_empty(), "the text before the error was delivered");
    let last = values.last().unwrap();
    assert_eq!(last["error"]["kind"], "throttled", "{last}");
    assert_eq!(last["error"]["code"], "rate_limit_exceeded", "{last}");
    assert_eq!(last["error"]["type"], "rate_limit_error");
    assert!(last["error"]["message"].as_str().unwrap().contains("Solution:"));

    // An error before the stream starts is a plain HTTP error.
    let reply = g
        .http
        .post(
            "/v1/chat/completions",
            with(chat("hi"), json!({"stream": true, "model": "emulator.fault-throttling"})),
        )
        .await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.json()["error"]["kind"], "throttled");
    g.shutdown().await;
}

// ---------- authentication and exposure ----------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_keys_are_required_when_configured() {
    let config = ServeConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        api_keys: vec![KEY.into()],
        ..ServeConfig::default()
    };
    let g = Gateway::with(json!({}), config, HostConfig::default()).await;
    let body = Bytes::from(chat("hi").to_string());
    for key in [None, Some("sk-wrong"), Some("sk-gateway-test-ke"), Some("")] {
        let reply = g.http.call("POST", "/v1/chat/completions", key, body.clone()).await;
        assert_eq!(reply.status, 401, "{key:?}");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
        let e = reply.json();
        assert_eq!(e["error"]["kind"], "invalid-api-key");
        assert_eq!(e["error"]["code"], "invalid_api_key");
        assert_eq!(e["error"]["type"], "authentication_error");
        assert!(!reply.text().contains(KEY));
    }
    for path in ["/v1/models", "/metrics"] {
        assert_eq!(g.http.call("GET", path, None, Bytes::new()).await.status, 401, "{path}");
        assert_eq!(g.http.call("GET", path, Some(KEY), Bytes::new()).await.status, 200, "{path}");
    }
    assert!(g.emulator.requests().is_empty(), "unauthenticated requests reached Bedrock");
    assert_eq!(g.http.call("POST", "/v1/chat/completions", Some(KEY), body).await.status, 200);
    // Probes stay open.
    assert_eq!(g.http.call("GET", "/healthz", None, Bytes::new()).await.status, 200);
    assert_eq!(g.http.call("GET", "/readyz", None, Bytes::new()).await.status, 200);
    g.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exposed_listener_without_a_key_is_refused() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let config = ServeConfig { listen: "0.0.0.0:0".parse().unwrap(), ..ServeConfig::default() };
    let outcome = serve::start(
        config,
        load_host(HostConfig::default()),
        settings_for(&emulator, json!({})),
        async {},
    )
    .await;
    let Err(StartError::Unprotected(why)) = outcome else { panic!("started: {outcome:?}") };
    assert!(
        why.contains("0.0.0.0:0")
            && why.contains("--api-key")
            && why.contains("BEDROCK_GATEWAY_API_KEY"),
        "{why}"
    );

    // With a key it starts.
    let config = ServeConfig {
        listen: "0.0.0.0:0".parse().unwrap(),
        api_keys: vec![KEY.into()],
        ..ServeConfig::default()
    };
    let server = serve::start(
        config,
        load_host(HostConfig::default()),
        settings_for(&emulator, json!({})),
        async {},
    )
    .await
    .unwrap();
    server.wait().await;

    // Invalid settings are refused at start-up, naming the field.
    let config = ServeConfig { listen: "127.0.0.1:0".parse().unwrap(), ..ServeConfig::default() };
    let outcome = serve::start(
        config,
        load_host(HostConfig::default()),
        settings_for(&emulator, json!({"region": "mars-1"})),
        async {},
    )
    .await;
    let Err(StartError::InvalidSettings(e)) = outcome else { panic!("started: {outcome:?}") };
    assert_eq!(e.field.as_deref(), Some("region"));
}

// ---------- limits ----------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saturation_is_a_clear_503() {
    let config = ServeConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        max_concurrency: 1,
        ..ServeConfig::default()
    };
    let g = Gateway::with(slow_streams(150), config, HostConfig::default()).await;
    let mut slow = g.http.stream(with(chat("take your time"), json!({"stream": true}))).await;
    assert_eq!(slow.status, 200);
    assert!(slow.next().await.is_some());

    for (path, body) in [
        ("/v1/chat/completions", chat("me too")),
        ("/v1/rerank", json!({"query": "q", "documents": ["a"]})),
    ] {
        let reply = g.http.post(path, body).await;
        assert_eq!(reply.status, 503, "{path}: {}", reply.text());
        assert_eq!(reply.header("retry-after"), Some("1"));
        let e = reply.json();
        assert_eq!(e["error"]["kind"], "overloaded");
        assert!(e["error"]["message"].as_str().unwrap().contains("limit of 1 concurrent"));
    }
    // Probes and metrics are not model calls: they still answer.
    assert_eq!(g.http.get("/healthz").await.status, 200);
    assert_eq!(g.http.get("/metrics").await.status, 200);

    let mut events = vec![];
    while let Some(e) = slow.next().await {
        events.push(e);
    }
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"));
    // The slot is free again as soon as the stream ended.
    assert_eq!(g.http.post("/v1/chat/completions", chat("now")).await.status, 200);
    g.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_goes_away_frees_its_slot() {
    let config = ServeConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        max_concurrency: 1,
        ..ServeConfig::default()
    };
    let g = Gateway::with(slow_streams(300), config, HostConfig::default()).await;
    let mut slow =
        g.http.stream(with(chat("I will not wait for the end"), json!({"stream": true}))).await;
    assert!(slow.next().await.is_some());
    let started = Instant::now();
    drop(slow);
    // The whole stream would take seconds; the slot comes back at the next frame at most.
    let reply = loop {
        let reply = g.http.post("/v1/chat/completions", chat("my turn")).await;
        if reply.status != 503 || started.elapsed() > Duration::from_secs(2) {
            break reply;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(started.elapsed() < Duration::from_secs(2));
    let metrics = g.http.get("/metrics").await.text();
    assert!(
        metrics.contains(r#"bedrock_gateway_requests_total{route="/v1/chat/completions",status="200",error="client-disconnected"} 1"#),
        "{metrics}"
    );
    g.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_is_a_413() {
    let config = ServeConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        max_body_bytes: 2048,
        ..ServeConfig::default()
    };
    let g = Gateway::with(json!({}), config, HostConfig::default()).await;
    let reply = g.http.post("/v1/chat/completions", chat(&"x".repeat(4096))).await;
    assert_eq!(reply.status, 413, "{}", reply.text());
    let e = reply.json();
    assert_eq!(e["error"]["kind"], "request-too-large");
    assert!(e["error"]["message"].as_str().unwrap().contains("2048 bytes"));
    assert!(g.emulator.requests().is_empty());
    assert_eq!(g.http.post("/v1/chat/completions", chat("small")).await.status, 200);
    g.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_call_deadline_ends_a_slow_stream_with_a_timeout() {
    let config = ServeConfig { listen: "127.0.0.1:0".parse().unwrap(), ..ServeConfig::default() };
    let host = HostConfig { call_timeout: Duration::from_millis(600), ..HostConfig::default() };
    let g = Gateway::with(slow_streams(200), config, host).await;
    let reader = g.http.stream(with(chat("slow"), json!({"stream": true}))).await;
    let error = if reader.status == 200 {
        // The stream started: the error is its last event.
        let values = parse_events(&reader.all().await);
        values.last().unwrap()["error"].clone()
    } else {
        // The deadline passed before the first byte: a plain 504.
        assert_eq!(reader.status, 504);
        let body = reader.body.collect().await.unwrap().to_bytes();
        serde_json::from_slice::<Value>(&body).unwrap()["error"].clone()
    };
    assert_eq!(error["kind"], "timeout", "{error}");
    assert_eq!(error["type"], "server_error");
    assert!(error["message"].as_str().unwrap().contains("0.6 s time limit"), "{error}");
    g.shutdown().await;
}

// ---------- operation ----------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_readiness() {
    let g = Gateway::start(json!({})).await;
    let ready = g.http.get("/readyz").await;
    assert_eq!(ready.status, 200);
    assert_eq!(
        ready.json(),
        json!({"status": "ready", "component": "loaded", "settings": "valid"})
    );
    assert_eq!(g.http.get("/healthz").await.json(), json!({"status": "ok"}));

    let ok = g.http.post("/v1/chat/completions", chat("count me")).await.json();
    let _ = fault(&g, "throttling").await;
    let _ = g.http.stream(with(chat("count me"), json!({"stream": true}))).await.all().await;

    let metrics = g.http.get("/metrics").await;
    assert_eq!(metrics.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    let text = metrics.text();
    let has = |line: &str| text.lines().any(|l| l == line);
    assert!(
        has(
            r#"bedrock_gateway_requests_total{route="/v1/chat/completions",status="200",error="none"} 2"#
        ),
        "{text}"
    );
    assert!(
        has(
            r#"bedrock_gateway_requests_total{route="/v1/chat/completions",status="429",error="throttled"} 1"#
        ),
        "{text}"
    );
    assert!(
        has(r#"bedrock_gateway_requests_total{route="/readyz",status="200",error="none"} 1"#),
        "{text}"
    );
    assert!(
        has(r#"bedrock_gateway_request_duration_seconds_count{route="/v1/chat/completions"} 3"#),
        "{text}"
    );
    assert!(
        has(
            r#"bedrock_gateway_request_duration_seconds_bucket{route="/v1/chat/completions",le="+Inf"} 3"#
        ),
        "{text}"
    );
    // Tokens in and out, by the model that answered; the stream counts the same as the call.
    let prompt = ok["usage"]["prompt_tokens"].as_u64().unwrap();
    let completion = ok["usage"]["completion_tokens"].as_u64().unwrap();
    assert!(
        has(&format!(
            r#"bedrock_gateway_tokens_total{{model="{CLAUDE}",direction="in"}} {}"#,
            2 * prompt
        )),
        "{text}"
    );
    assert!(
        has(&format!(
            r#"bedrock_gateway_tokens_total{{model="{CLAUDE}",direction="out"}} {}"#,
            2 * completion
        )),
        "{text}"
    );
    assert!(has("bedrock_gateway_requests_in_flight 1"), "only the metrics request itself: {text}");
    assert!(text.contains("# TYPE bedrock_gateway_request_duration_seconds histogram"));
    g.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_switches_new_requests_and_spares_those_in_flight() {
    let g = Gateway::start(slow_streams(100)).await;
    let mut in_flight =
        g.http.stream(with(chat("before the reload"), json!({"stream": true}))).await;
    let first: Value = serde_json::from_str(&in_flight.next().await.unwrap()).unwrap();
    assert_eq!(first["model"], public(CLAUDE));

    let new = settings_for(
        &g.emulator,
        with(slow_streams(100), json!({"languageModel": format!("amazon-bedrock|{NOVA}")})),
    );
    g.server().apply_settings(Ok(new)).await.unwrap();
    let v = g.http.post("/v1/chat/completions", chat("after the reload")).await.json();
    assert_eq!(v["model"], public(NOVA), "new requests use the new settings");
    assert!(g.http.get("/v1/models").await.text().contains(NOVA));

    // The stream that started before the reload finishes with its own settings.
    let mut rest = vec![];
    while let Some(e) = in_flight.next().await {
        rest.push(e);
    }
    assert_eq!(rest.last().map(String::as_str), Some("[DONE]"));
    let chunks = parse_events(&rest);
    assert!(chunks.iter().all(|c| c["model"] == public(CLAUDE)));
    assert_eq!(
        streamed_text(&chunks),
        "Hello from the Bedrock emulator. You said: before the reload"
    );

    // Invalid settings are rejected and the current ones stay.
    let bad = settings_for(&g.emulator, json!({"region": "mars-1"}));
    let e = g.server().apply_settings(Ok(bad)).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("region"));
    assert_eq!(
        g.http.post("/v1/chat/completions", chat("still fine")).await.json()["model"],
        public(NOVA)
    );
    let metrics = g.http.get("/metrics").await.text();
    assert!(
        metrics.contains(r#"bedrock_gateway_settings_reloads_total{outcome="applied"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"bedrock_gateway_settings_reloads_total{outcome="rejected"} 1"#),
        "{metrics}"
    );
    g.shutdown().await;
}

// ---------- the binary: signals ----------

/// The gateway binary, listening on a free loopback port.
pub(crate) struct Process {
    child: Child,
    pub(crate) addr: SocketAddr,
    stderr: std::sync::mpsc::Receiver<String>,
}

impl Process {
    pub(crate) fn spawn(settings: &std::path::Path, extra: &[&str]) -> Process {
        Self::spawn_with_env(settings, extra, &[])
    }

    fn spawn_with_env(settings: &std::path::Path, extra: &[&str], env: &[(&str, &str)]) -> Process {
        let mut child = crate::common::gateway_command()
            .args([
                "--settings",
                settings.to_str().unwrap(),
                "--cache-dir",
                cache_dir().to_str().unwrap(),
            ])
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .env_remove("BEDROCK_GATEWAY_API_KEY")
            .env_remove("RUST_LOG")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let Some(addr) = line.trim().strip_prefix("bedrock-gateway listening on http://") else {
            let _ = child.kill();
            let mut err = String::new();
            let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err);
            panic!("unexpected first line {line:?}; stderr: {err}");
        };
        let addr = addr.parse().unwrap();
        let (tx, stderr) = std::sync::mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Process { child, addr, stderr }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the exit status (at most 30 s).
    fn wait(&mut self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "the gateway did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log(&self) -> Vec<String> {
        self.stderr.try_iter().collect()
    }

    /// Everything the process wrote to stderr, once it has exited: waits (up to 5 s) for the
    /// reader thread to reach the end of the pipe, which [`Process::log`] would race.
    fn final_log(&self) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut lines = Vec::new();
        while let Ok(line) =
            self.stderr.recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            lines.push(line);
        }
        lines
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn write_settings(path: &std::path::Path, settings: &Value) {
    std::fs::write(path, settings.to_string()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_the_stream_in_flight_then_exits_0() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let path = temp_dir("sigterm").join("settings.json");
    write_settings(&path, &settings_for(&emulator, slow_streams(150)));
    let mut process = Process::spawn(&path, &[]);
    let http = Http::new(process.addr, None);

    let mut stream = http.stream(with(chat("drain me"), json!({"stream": true}))).await;
    assert_eq!(stream.status, 200);
    assert!(stream.next().await.is_some());
    process.signal("TERM");
    tokio::time::sleep(Duration::from_millis(300)).await;
    // No new connections once draining...
    assert!(
        tokio::net::TcpStream::connect(process.addr).await.is_err(),
        "still accepting after SIGTERM"
    );
    // ...but the stream in flight completes.
    let mut rest = vec![];
    while let Some(e) = stream.next().await {
        rest.push(e);
    }
    assert_eq!(rest.last().map(String::as_str), Some("[DONE]"), "{rest:?}");
    assert_eq!(
        streamed_text(&parse_events(&rest)),
        "Hello from the Bedrock emulator. You said: drain me"
    );
    let code = tokio::task::spawn_blocking(move || {
        let code = process.wait();
        (code, process.final_log())
    })
    .await
    .unwrap();
    assert_eq!(code.0, 0, "{:?}", code.1);
    let log = code.1.join("\n");
    // One structured line per request, with what an operator needs and no secret.
    let line = code
        .1
        .iter()
        .find(|l| {
            l.contains("route=\"/v1/chat/completions\"") || l.contains("route=/v1/chat/completions")
        })
        .unwrap_or_else(|| panic!("no access line in {log}"));
    for field in [
        "request_id=",
        "model=",
        "status=200",
        "error=none",
        "latency_ms=",
        "tokens_in=",
        "tokens_out=",
        "upstream_request_id=",
    ] {
        assert!(line.contains(field), "{field} missing from {line}");
    }
    assert!(!log.contains(DEMO_SECRET_ACCESS_KEY), "a secret reached the log");
    assert!(log.contains("drained"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_rotates_credentials_and_keeps_the_old_settings_when_the_new_are_bad() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let path = temp_dir("sighup").join("settings.json");
    let wrong = settings_for(
        &emulator,
        json!({"secretAccessKey": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYWRONGKEY"}),
    );
    write_settings(&path, &wrong);
    let process = Process::spawn(&path, &[]);
    let http = Http::new(process.addr, None);

    let reply = http.post("/v1/chat/completions", chat("hi")).await;
    assert_eq!(reply.status, 401, "{}", reply.text());
    assert_eq!(reply.json()["error"]["kind"], "authentication");

    // Rotate: the right secret and another language model, then SIGHUP.
    write_settings(
        &path,
        &settings_for(&emulator, json!({"languageModel": format!("amazon-bedrock|{NOVA}")})),
    );
    process.signal("HUP");
    let deadline = Instant::now() + Duration::from_secs(10);
    let reply = loop {
        let reply = http.post("/v1/chat/completions", chat("hi")).await;
        if reply.status == 200 || Instant::now() > deadline {
            break reply;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["model"], public(NOVA));

    // A broken file is logged and ignored.
    std::fs::write(&path, "{ not json").unwrap();
    process.signal("HUP");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(http.post("/v1/chat/completions", chat("hi")).await.status, 200);
    let log = process.log().join("\n");
    assert!(log.contains("settings reloaded"), "{log}");
    assert!(log.contains("settings reload rejected"), "{log}");
    assert!(log.contains("not valid JSON"), "{log}");
    assert!(
        !log.contains("WRONGKEY") && !log.contains(DEMO_SECRET_ACCESS_KEY),
        "a secret reached the log"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_key_can_come_from_the_environment() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let path = temp_dir("envkey").join("settings.json");
    write_settings(&path, &settings_for(&emulator, json!({})));
    let process = Process::spawn_with_env(&path, &[], &[("BEDROCK_GATEWAY_API_KEY", KEY)]);
    let http = Http::new(process.addr, None);
    let body = Bytes::from(chat("hi").to_string());
    assert_eq!(http.call("POST", "/v1/chat/completions", None, body.clone()).await.status, 401);
    assert_eq!(http.call("POST", "/v1/chat/completions", Some(KEY), body).await.status, 200);
    let log = process.log().join("\n");
    assert!(!log.contains(KEY), "the client key reached the log");
}

#[test]
fn the_binary_refuses_an_exposed_listener_without_a_key() {
    let output = crate::common::gateway_command()
        .args(["serve", "--listen", "0.0.0.0:0"])
        .env_remove("BEDROCK_GATEWAY_API_KEY")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("refusing to listen on 0.0.0.0:0 without a client API key"), "{err}");
    assert!(output.stdout.is_empty());
}

// ---------- the official Python clients ----------

/// Runs `host/gateway/tests/app/<script>` against the binary when `package` is importable
/// (`BEDROCK_GATEWAY_TEST_PYTHON` names the interpreter, default `python3`; .ci/run installs
/// the clients into a venv); prints SKIPPED and passes otherwise. `base_path` is what the
/// client's base URL adds to the gateway's address.
pub(crate) async fn run_python_client(package: &str, script: &str, base_path: &str) {
    let python = std::env::var("BEDROCK_GATEWAY_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let importable = Command::new(&python)
        .args(["-c", &format!("import {package}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !importable {
        eprintln!(
            "SKIPPED: `{python} -c \"import {package}\"` fails; install the {package} package (or set BEDROCK_GATEWAY_TEST_PYTHON) to run this test"
        );
        return;
    }
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let path = temp_dir(package).join("settings.json");
    write_settings(&path, &settings_for(&emulator, json!({})));
    let process = Process::spawn(&path, &["--api-key", KEY]);
    let script = format!("{}/tests/app/{script}", env!("CARGO_MANIFEST_DIR"));
    let base_url = format!("http://{}{base_path}", process.addr);
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .args([&script, "--base-url", &base_url, "--api-key", KEY])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprintln!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the script failed");
    assert!(stdout.contains("ALL OK"), "{stdout}");
}

/// host/gateway/tests/app/openai_client.py: chat, stream, tools, `parse` with a pydantic
/// model, embeddings, `models.retrieve`, and the mapped errors, with the official client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openai_python_client_works_against_the_gateway() {
    run_python_client("openai", "openai_client.py", "/v1").await;
}

/// The official OpenAI client giving up on a slow answer (its own `timeout`, no retries) leaves
/// the gateway as it was: nothing in flight but the metrics request, and the abandoned request
/// counted once as 499 `client-disconnected`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_openai_client_timeout_is_one_499_and_frees_its_slot() {
    let python = std::env::var("BEDROCK_GATEWAY_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let importable = Command::new(&python)
        .args(["-c", "import openai"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !importable {
        eprintln!("SKIPPED: `{python} -c \"import openai\"` fails");
        return;
    }
    let g = Gateway::start(json!({"headers": {"x-emulator-latency-ms": "2000"}})).await;
    let base_url = format!("http://{}/v1", g.server().addr());
    let script = r#"
import sys, openai
client = openai.OpenAI(base_url=sys.argv[1], api_key="unused", timeout=0.4, max_retries=0)
try:
    client.chat.completions.create(model="", messages=[{"role": "user", "content": "slow"}])
    print("ANSWERED")
except openai.APITimeoutError:
    print("TIMED OUT")
"#;
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python).args(["-c", script, &base_url]).output().unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("TIMED OUT"), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    let line = r#"bedrock_gateway_requests_total{route="/v1/chat/completions",status="499",error="client-disconnected"} 1"#;
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let metrics = loop {
        let metrics = g.http.get("/metrics").await.text();
        if metrics.contains(line) || std::time::Instant::now() > deadline {
            break metrics;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(metrics.lines().any(|l| l == line), "{metrics}");
    assert!(metrics.lines().any(|l| l == "bedrock_gateway_requests_in_flight 1"), "{metrics}");
    g.shutdown().await;
}

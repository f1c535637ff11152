//! The gateway under load: several hundred requests, 64 at a time (the server's concurrency
//! limit), a mix of plain and streamed chats and re-ranks with a fifth of them throttled
//! upstream. Every request must get its own correct answer, none may be refused for
//! saturation, and the server must be healthy afterwards.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use bedrock_emulator::{DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY, Emulator, EmulatorConfig};
use bedrock_gateway::serve::{self, ServeConfig};
use bedrock_gateway::{Host, HostConfig};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, oneshot};

const REQUESTS: usize = 500;
const CONCURRENCY: usize = 64;

/// What a request is and what it must get back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Chat,
    Stream,
    Rerank,
    Throttled,
    ThrottledStream,
}

impl Kind {
    fn of(i: usize) -> Kind {
        match i % 10 {
            0 | 5 => Kind::Throttled,
            7 => Kind::ThrottledStream,
            1 | 4 | 8 => Kind::Stream,
            3 => Kind::Rerank,
            _ => Kind::Chat,
        }
    }

    fn request(self, i: usize) -> (&'static str, Value) {
        let messages = json!([{"role": "user", "content": format!("request {i}")}]);
        match self {
            Kind::Chat => ("/v1/chat/completions", json!({"messages": messages})),
            Kind::Stream => ("/v1/chat/completions", json!({"messages": messages, "stream": true})),
            Kind::Rerank => {
                ("/v1/rerank", json!({"query": "capital", "documents": ["Paris", "Berlin"]}))
            }
            Kind::Throttled => (
                "/v1/chat/completions",
                json!({"messages": messages, "model": "emulator.fault-throttling"}),
            ),
            Kind::ThrottledStream => (
                "/v1/chat/completions",
                json!({"messages": messages, "model": "emulator.fault-throttling", "stream": true}),
            ),
        }
    }
}

async fn send(
    client: &Client<HttpConnector, Full<Bytes>>,
    base: &str,
    path: &str,
    body: &Value,
) -> (u16, http::HeaderMap, Bytes) {
    let request = hyper::Request::post(format!("{base}{path}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let (parts, body) = response.into_parts();
    (parts.status.as_u16(), parts.headers, body.collect().await.unwrap().to_bytes())
}

/// Checks one answer against what its kind must produce; returns a problem, if any.
fn verify(
    i: usize,
    kind: Kind,
    status: u16,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let problem = |what: &str| Some(format!("request {i} ({kind:?}): {what}: {status} {text}"));
    match kind {
        Kind::Chat => {
            let Ok(v) = serde_json::from_slice::<Value>(body) else { return problem("not JSON") };
            let want = format!("Hello from the Bedrock emulator. You said: request {i}");
            if status != 200 || v["choices"][0]["message"]["content"] != want.as_str() {
                return problem("not its own answer");
            }
        }
        Kind::Stream => {
            let want = format!("Hello from the Bedrock emulator. You said: request {i}");
            let mut streamed = String::new();
            for event in text.split("\n\n").filter(|e| !e.is_empty()) {
                let Some(data) = event.strip_prefix("data: ") else {
                    return problem("not an SSE event");
                };
                if data == "[DONE]" {
                    continue;
                }
                let Ok(v) = serde_json::from_str::<Value>(data) else {
                    return problem("not a JSON chunk");
                };
                streamed.push_str(v["choices"][0]["delta"]["content"].as_str().unwrap_or(""));
            }
            if status != 200 || streamed != want || !text.ends_with("data: [DONE]\n\n") {
                return problem("not its own complete stream");
            }
        }
        Kind::Rerank => {
            let Ok(v) = serde_json::from_slice::<Value>(body) else { return problem("not JSON") };
            if status != 200 || v["results"].as_array().map(Vec::len) != Some(2) {
                return problem("not a ranking");
            }
        }
        Kind::Throttled | Kind::ThrottledStream => {
            let Ok(v) = serde_json::from_slice::<Value>(body) else { return problem("not JSON") };
            if status != 429
                || v["error"]["kind"] != "throttled"
                || headers.get("retry-after").is_none()
            {
                return problem("not a 429 with Retry-After");
            }
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_concurrent_requests_all_get_their_answer() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let settings = json!({
        "region": "us-east-1",
        "accessKeyId": DEMO_ACCESS_KEY_ID,
        "secretAccessKey": DEMO_SECRET_ACCESS_KEY,
        "baseUrl": emulator.base_url(),
        "languageModel": "amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "rerankingModel": "amazon-bedrock|cohere.rerank-v3-5:0",
        "maxAttempts": 1,
    });
    let host = Host::load(
        bedrock_gateway::bundled_component(),
        HostConfig {
            cache_dir: Some(std::env::temp_dir().join("bedrock-provider-test-cache")),
            max_concurrent_calls: (CONCURRENCY + 8) as u32,
            ..HostConfig::default()
        },
    )
    .unwrap();
    let config = ServeConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        max_concurrency: CONCURRENCY,
        ..ServeConfig::default()
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let server = serve::start(config, host, settings, async move {
        let _ = stopped.await;
    })
    .await
    .unwrap();
    let base = format!("http://{}", server.addr());
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();

    let started = Instant::now();
    let slots = Arc::new(Semaphore::new(CONCURRENCY));
    let tasks: Vec<_> = (0..REQUESTS)
        .map(|i| {
            let (client, base, slots) = (client.clone(), base.clone(), slots.clone());
            tokio::spawn(async move {
                let _slot = slots.acquire_owned().await.unwrap();
                let kind = Kind::of(i);
                let (path, body) = kind.request(i);
                let (status, headers, body) = send(&client, &base, path, &body).await;
                (verify(i, kind, status, &headers, &body), status)
            })
        })
        .collect();
    let mut problems = Vec::new();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for task in tasks {
        let (problem, status) =
            tokio::time::timeout(Duration::from_secs(120), task).await.unwrap().unwrap();
        *statuses.entry(status).or_default() += 1;
        problems.extend(problem);
    }
    let elapsed = started.elapsed();
    eprintln!("{REQUESTS} requests, {CONCURRENCY} at a time, in {elapsed:?}: {statuses:?}");
    assert!(
        problems.is_empty(),
        "{} wrong answers, e.g. {:?}",
        problems.len(),
        &problems[..problems.len().min(3)]
    );
    assert_eq!(statuses.get(&429), Some(&(REQUESTS * 3 / 10)));
    assert_eq!(statuses.get(&200), Some(&(REQUESTS * 7 / 10)));

    // Still healthy, and the metrics add up.
    let get = |path: &'static str| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            let response = client.get(format!("{base}{path}").parse().unwrap()).await.unwrap();
            let status = response.status().as_u16();
            (
                status,
                String::from_utf8(
                    response.into_body().collect().await.unwrap().to_bytes().to_vec(),
                )
                .unwrap(),
            )
        }
    };
    assert_eq!(get("/healthz").await.0, 200);
    assert_eq!(get("/readyz").await.0, 200);
    let (_, metrics) = get("/metrics").await;
    let count = |line_start: &str| -> u64 {
        metrics
            .lines()
            .filter(|l| l.starts_with(line_start))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    };
    assert_eq!(
        count("bedrock_gateway_requests_total{route=\"/v1/chat/completions\"")
            + count("bedrock_gateway_requests_total{route=\"/v1/rerank\""),
        REQUESTS as u64,
        "{metrics}"
    );
    assert_eq!(
        count(
            "bedrock_gateway_requests_total{route=\"/v1/chat/completions\",status=\"429\",error=\"throttled\"}"
        ),
        (REQUESTS * 3 / 10) as u64
    );
    assert!(metrics.contains("bedrock_gateway_requests_in_flight 1\n"), "{metrics}");
    let (status, _, body) = send(
        &client,
        &base,
        "/v1/chat/completions",
        &json!({"messages": [{"role": "user", "content": "after"}]}),
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(30), server.wait()).await.unwrap();
}

//! What real OpenAI clients needed from `serve`: `param` naming the OpenAI request field,
//! OpenAI's error codes, no retry amplification, structured output and reasoning effort,
//! `/v1/embeddings`, `GET /v1/models/{id}` and CORS. Against the emulator, in process.
#![allow(clippy::unwrap_used)]

use base64::Engine as _;
use bedrock_gateway::HostConfig;
use bedrock_gateway::serve::ServeConfig;
use bytes::Bytes;
use serde_json::{Value, json};

use crate::serve::{CLAUDE, Gateway, public};

fn user(text: &str) -> Value {
    json!({"messages": [{"role": "user", "content": text}]})
}

fn merged(mut body: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

fn sent_body(g: &Gateway) -> Value {
    serde_json::from_slice(&g.emulator.requests().pop().unwrap().body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn param_is_the_openai_request_field() {
    let g = Gateway::start(json!({})).await;
    let conversation = json!({"messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
        {"role": "user", "content": [{"type": "text", "text": "   "}]},
    ]});
    // What the component refuses, by its own field, comes back as the field the client sent.
    let rows = [
        (merged(user("x"), json!({"temperature": 1.5})), "temperature"),
        (merged(user("x"), json!({"top_p": 2})), "top_p"),
        (merged(user("x"), json!({"max_tokens": 0})), "max_tokens"),
        (merged(user("x"), json!({"max_completion_tokens": 0})), "max_completion_tokens"),
        (merged(user("x"), json!({"tool_choice": "required"})), "tool_choice"),
        (merged(user("x"), json!({"stop": ["a", ""]})), "stop[1]"),
        (conversation, "messages[2].content[0]"),
        (
            merged(
                user("x"),
                json!({"tools": [{"type": "function", "function": {"name": "bad name!"}}]}),
            ),
            "tools[0].function.name",
        ),
    ];
    for (body, param) in rows {
        let reply = g.http.post("/v1/chat/completions", body.clone()).await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.text());
        let e = reply.json();
        assert_eq!(e["error"]["param"], param, "{body}: {e}");
        assert_eq!(e["error"]["code"], "invalid_value", "{body}");
        assert_eq!(e["error"]["kind"], "invalid-request", "{body}");
        assert_eq!(reply.header("x-should-retry"), Some("false"));
    }
    // The gateway's own checks use OpenAI's codes for the problem.
    let reply = g.http.post("/v1/chat/completions", json!({"model": "x"})).await;
    let e = reply.json();
    assert_eq!(
        (e["error"]["param"].as_str(), e["error"]["code"].as_str()),
        (Some("messages"), Some("missing_required_parameter"))
    );
    let reply =
        g.http.post("/v1/chat/completions", merged(user("x"), json!({"temperature": "hot"}))).await;
    assert_eq!(reply.json()["error"]["code"], "invalid_type");
    assert!(g.emulator.requests().is_empty(), "no refused request reached Bedrock");
    g.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_do_not_multiply_and_what_cannot_succeed_is_not_retried() {
    // Three attempts in the component, as in a default configuration.
    let g = Gateway::start(json!({"maxAttempts": 3})).await;
    let fault = |name: &str| merged(user("hi"), json!({"model": format!("emulator.fault-{name}")}));

    // Throttling: the component tried three times; the client is told not to try again at
    // once (3 upstream requests, not 3 × the SDK's 3), and still when to come back.
    let reply = g.http.post("/v1/chat/completions", fault("throttling")).await;
    assert_eq!(reply.status, 429);
    assert_eq!(g.emulator.requests().len(), 3);
    assert_eq!(reply.header("x-should-retry"), Some("false"));
    assert_eq!(reply.header("retry-after"), Some("1"));
    let e = reply.json();
    assert_eq!(
        (e["error"]["code"].as_str(), e["error"]["retryable"].as_bool()),
        (Some("rate_limit_exceeded"), Some(true))
    );
    assert!(e["error"]["message"].as_str().unwrap().contains("gave up after 3 attempts"));

    // A context-length failure sent as a 424 ModelErrorException: one request, a 400.
    g.emulator.clear_requests();
    let reply = g.http.post("/v1/chat/completions", fault("model-error-too-long")).await;
    assert_eq!(g.emulator.requests().len(), 1, "the component did not retry it");
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(reply.header("x-should-retry"), Some("false"));
    assert_eq!(reply.header("retry-after"), None);
    let e = reply.json();
    assert_eq!(e["error"]["code"], "context_length_exceeded");
    assert_eq!(e["error"]["param"], "messages");
    assert_eq!(e["error"]["type"], "invalid_request_error");

    // Any other model error: the component may retry it, clients are told not to.
    let reply = g.http.post("/v1/chat/completions", fault("model-error")).await;
    assert_eq!(reply.status, 502);
    assert_eq!(reply.header("x-should-retry"), Some("false"));
    assert_eq!(reply.json()["error"]["retryable"], false);
    g.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn structured_output_and_reasoning_effort() {
    let g = Gateway::start(json!({})).await;
    let schema = json!({"type": "object", "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
                        "required": ["city", "population"], "additionalProperties": false});
    let body = merged(
        user("The largest city in France?"),
        json!({"response_format": {"type": "json_schema", "json_schema": {"name": "city", "strict": true, "schema": schema}}}),
    );
    let reply = g.http.post("/v1/chat/completions", body.clone()).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let v = reply.json();
    let answer: Value =
        serde_json::from_str(v["choices"][0]["message"]["content"].as_str().unwrap()).unwrap();
    assert!(answer["city"].is_string() && answer["population"].is_i64(), "{answer}");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    // Claude Sonnet 4.5 takes the schema natively.
    let sent = sent_body(&g);
    let format = &sent["outputConfig"]["textFormat"];
    assert_eq!(format["type"], "json_schema", "{sent}");
    assert_eq!(format["structure"]["jsonSchema"]["name"], "city");
    let sent_schema: Value =
        serde_json::from_str(format["structure"]["jsonSchema"]["schema"].as_str().unwrap())
            .unwrap();
    assert_eq!(sent_schema, schema);

    // Streamed, the JSON arrives as content deltas.
    let streamed = g.http.post("/v1/chat/completions", merged(body, json!({"stream": true}))).await;
    let text: String = streamed
        .text()
        .split("\n\n")
        .filter_map(|e| e.strip_prefix("data: "))
        .filter(|d| *d != "[DONE]")
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str().map(str::to_string))
        .collect();
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), answer);

    // JSON mode: any object, through the forced-tool path.
    let reply = g
        .http
        .post(
            "/v1/chat/completions",
            merged(user("Describe Paris"), json!({"response_format": {"type": "json_object"}})),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let content = reply.json()["choices"][0]["message"]["content"].as_str().unwrap().to_string();
    assert!(serde_json::from_str::<Value>(&content).unwrap().is_object(), "{content}");
    assert_eq!(
        sent_body(&g)["toolConfig"]["toolChoice"],
        json!({"tool": {"name": "json_response"}})
    );

    // reasoning_effort: a thinking budget on this model; `none` sends no reasoning.
    let reply = g
        .http
        .post(
            "/v1/chat/completions",
            merged(user("Think about it"), json!({"reasoning_effort": "high"})),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let v = reply.json();
    assert!(v["choices"][0]["message"]["reasoning_content"].is_string(), "{v}");
    let sent = sent_body(&g);
    assert_eq!(sent["additionalModelRequestFields"]["thinking"]["budget_tokens"], 16384, "{sent}");
    g.http
        .post("/v1/chat/completions", merged(user("Quick"), json!({"reasoning_effort": "none"})))
        .await;
    assert!(sent_body(&g).get("additionalModelRequestFields").is_none());
    g.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embeddings_in_openai_shape() {
    let g = Gateway::start(json!({})).await;
    let inputs = ["Paris is the capital of France.", "The Seine flows through Paris.", "Berlin"];
    let reply = g.http.post("/v1/embeddings", json!({"input": inputs, "dimensions": 256})).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let v = reply.json();
    assert_eq!(v["object"], "list");
    assert_eq!(v["model"], public("amazon.titan-embed-text-v2:0"));
    let data = v["data"].as_array().unwrap();
    assert_eq!(data.len(), 3);
    let vectors: Vec<Vec<f32>> = data
        .iter()
        .enumerate()
        .map(|(i, d)| {
            assert_eq!(
                (d["object"].as_str(), d["index"].as_u64()),
                (Some("embedding"), Some(i as u64))
            );
            d["embedding"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect()
        })
        .collect();
    assert!(vectors.iter().all(|v| v.len() == 256));
    assert!(v["usage"]["prompt_tokens"].as_u64().unwrap() > 0);
    assert_eq!(v["usage"]["total_tokens"], v["usage"]["prompt_tokens"]);

    // In input order: each vector is the one its input gets alone, here as base64.
    for (i, input) in inputs.iter().enumerate() {
        let one = g
            .http
            .post(
                "/v1/embeddings",
                json!({"input": input, "dimensions": 256, "encoding_format": "base64"}),
            )
            .await
            .json();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(one["data"][0]["embedding"].as_str().unwrap())
            .unwrap();
        let floats: Vec<f32> =
            bytes.chunks(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
        assert_eq!(floats, vectors[i], "input {i}");
    }

    // Errors name the OpenAI field.
    let reply = g.http.post("/v1/embeddings", json!({"input": ["a"], "dimensions": 100})).await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(reply.json()["error"]["param"], "dimensions");
    let reply = g.http.post("/v1/embeddings", json!({"input": ["a", " "]})).await;
    assert_eq!(reply.json()["error"]["param"], "input[1]");
    let metrics = g.http.get("/metrics").await.text();
    assert!(
        metrics.contains(
            r#"bedrock_gateway_requests_total{route="/v1/embeddings",status="200",error="none"} 4"#
        ),
        "{metrics}"
    );
    g.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_are_listed_and_retrieved() {
    let g = Gateway::start(json!({})).await;
    let list = g.http.get("/v1/models").await.json();
    let data = list["data"].as_array().unwrap();
    let ids: Vec<&str> = data.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [public(CLAUDE), public("cohere.rerank-v3-5:0"), public("amazon.titan-embed-text-v2:0")]
    );
    let created = data[0]["created"].as_u64().unwrap();
    assert!(created > 1_700_000_000, "a real time, not 0: {created}");
    assert!(data.iter().all(|m| m["object"] == "model" && m["owned_by"] == "amazon-bedrock"));

    // The `|` arrives percent-encoded; the bare ID finds the same model.
    for path in [
        format!("/v1/models/amazon-bedrock%7C{}", CLAUDE.replace(':', "%3A")),
        format!("/v1/models/{CLAUDE}"),
    ] {
        let reply = g.http.get(&path).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text());
        assert_eq!(reply.json(), data[0], "{path}");
    }
    let reply = g.http.get("/v1/models/gpt-4o").await;
    assert_eq!(reply.status, 404);
    let e = reply.json();
    assert_eq!(
        (e["error"]["code"].as_str(), e["error"]["type"].as_str()),
        (Some("model_not_found"), Some("not_found_error"))
    );

    // An answer names its model as the list does, so a client can send it back.
    let answer = g.http.post("/v1/chat/completions", user("hi")).await.json();
    assert_eq!(answer["model"], data[0]["id"]);
    let again = g
        .http
        .post("/v1/chat/completions", merged(user("hi"), json!({"model": answer["model"]})))
        .await;
    assert_eq!(again.status, 200);
    g.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_is_off_by_default_and_allows_configured_origins() {
    let preflight = [
        ("origin", "https://app.example"),
        ("access-control-request-method", "POST"),
        ("access-control-request-headers", "authorization, content-type"),
    ];
    let g = Gateway::start(json!({})).await;
    let reply = g.http.call_with("OPTIONS", "/v1/chat/completions", &preflight, Bytes::new()).await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("access-control-allow-origin"), None);
    let body = Bytes::from(user("hi").to_string());
    let reply = g
        .http
        .call_with(
            "POST",
            "/v1/chat/completions",
            &[("origin", "https://app.example")],
            body.clone(),
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("access-control-allow-origin"), None);
    g.shutdown().await;

    let config = ServeConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        api_keys: vec![crate::serve::KEY.into()],
        cors_origins: vec!["https://app.example".into()],
        ..ServeConfig::default()
    };
    let g = Gateway::with(json!({}), config, HostConfig::default()).await;
    // The preflight needs no key; it names the route's method and echoes the headers.
    let reply = g.http.call_with("OPTIONS", "/v1/chat/completions", &preflight, Bytes::new()).await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    assert_eq!(reply.header("access-control-allow-origin"), Some("https://app.example"));
    assert_eq!(reply.header("access-control-allow-methods"), Some("POST, OPTIONS"));
    assert_eq!(reply.header("access-control-allow-headers"), Some("authorization, content-type"));
    let auth = format!("Bearer {}", crate::serve::KEY);
    let reply = g
        .http
        .call_with(
            "POST",
            "/v1/chat/completions",
            &[("origin", "https://app.example"), ("authorization", &auth)],
            body.clone(),
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("access-control-allow-origin"), Some("https://app.example"));
    assert!(reply.header("access-control-expose-headers").unwrap().contains("x-request-id"));
    // The key is still required after the preflight, and errors carry the CORS headers too
    // so the page can read them.
    let reply = g
        .http
        .call_with(
            "POST",
            "/v1/chat/completions",
            &[("origin", "https://app.example")],
            body.clone(),
        )
        .await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.header("access-control-allow-origin"), Some("https://app.example"));
    // Another origin: the preflight is refused and answers carry no CORS header.
    let other = [("origin", "https://evil.example"), ("access-control-request-method", "POST")];
    let reply = g.http.call_with("OPTIONS", "/v1/chat/completions", &other, Bytes::new()).await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.header("access-control-allow-origin"), None);
    let reply = g
        .http
        .call_with(
            "POST",
            "/v1/chat/completions",
            &[("origin", "https://evil.example"), ("authorization", &auth)],
            body,
        )
        .await;
    assert_eq!(reply.header("access-control-allow-origin"), None);
    g.shutdown().await;
}

//! The Anthropic front end to end: `POST /v1/messages` (plain and streamed, tools, thinking
//! with signatures), `POST /v1/messages/count_tokens`, Anthropic's error shape and statuses,
//! `x-api-key` authentication, and the official `anthropic` Python client. Against the
//! emulator, in process (the Python client against the binary).
#![allow(clippy::unwrap_used)]

use bedrock_gateway::HostConfig;
use bedrock_gateway::serve::ServeConfig;
use bytes::Bytes;
use serde_json::{Value, json};

use crate::serve::{CLAUDE, Gateway, KEY, Reply, public, run_python_client};

const VERSION: (&str, &str) = ("anthropic-version", "2023-06-01");

/// A gateway that requires `KEY`, as Anthropic clients send it (`x-api-key`).
async fn gateway(extra: Value) -> Gateway {
    let config = ServeConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        api_keys: vec![KEY.into()],
        ..ServeConfig::default()
    };
    Gateway::with(extra, config, HostConfig::default()).await
}

async fn post(g: &Gateway, path: &str, body: Value) -> Reply {
    g.http
        .call_with("POST", path, &[("x-api-key", KEY), VERSION], Bytes::from(body.to_string()))
        .await
}

fn ask(text: &str) -> Value {
    json!({"model": public(CLAUDE), "max_tokens": 1024, "messages": [{"role": "user", "content": text}]})
}

fn weather_tool() -> Value {
    json!([{"name": "get_weather", "description": "Current weather for a city",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}])
}

/// The named events of an Anthropic stream, in order.
fn events_of(reply: &Reply) -> Vec<(String, Value)> {
    reply
        .text()
        .split("\n\n")
        .filter(|e| !e.is_empty())
        .map(|e| {
            let (name, data) = e.split_once('\n').unwrap_or_else(|| panic!("not an event: {e:?}"));
            let name = name.strip_prefix("event: ").unwrap_or_else(|| panic!("unnamed: {e:?}"));
            let data = data.strip_prefix("data: ").unwrap_or_else(|| panic!("no data: {e:?}"));
            (name.to_string(), serde_json::from_str(data).unwrap())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_answer_in_anthropic_shape() {
    let g = gateway(json!({})).await;
    let body = json!({"model": public(CLAUDE), "max_tokens": 200, "system": "Be brief.",
                      "stop_sequences": ["zzz"], "messages": [{"role": "user", "content": "hi there"}]});
    let reply = post(&g, "/v1/messages", body).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let id = reply.header("request-id").unwrap().to_string();
    assert_eq!(reply.header("x-request-id"), Some(id.as_str()));
    let v = reply.json();
    assert_eq!(v["id"], format!("msg_{id}"));
    assert_eq!((v["type"].as_str(), v["role"].as_str()), (Some("message"), Some("assistant")));
    assert_eq!(v["model"], public(CLAUDE));
    assert_eq!(
        v["content"],
        json!([{"type": "text", "text": "Hello from the Bedrock emulator. You said: hi there"}])
    );
    assert_eq!((v["stop_reason"].as_str(), v["stop_sequence"].as_str()), (Some("end_turn"), None));
    assert!(v["usage"]["input_tokens"].as_u64().unwrap() > 0);
    assert!(v["usage"]["output_tokens"].as_u64().unwrap() > 0);
    assert!(v["usage"]["cache_read_input_tokens"].is_u64());
    let sent: Value = serde_json::from_slice(&g.emulator.requests().pop().unwrap().body).unwrap();
    assert_eq!(sent["system"], json!([{"text": "Be brief."}]));
    assert_eq!(sent["inferenceConfig"]["maxTokens"], 200);
    assert_eq!(sent["inferenceConfig"]["stopSequences"], json!(["zzz"]));

    // A stop sequence that matched is named; a Bearer key works as well as x-api-key.
    let reply = g
        .http
        .call_with(
            "POST",
            "/v1/messages",
            &[("authorization", &format!("Bearer {KEY}"))],
            Bytes::from(
                json!({"max_tokens": 100, "stop_sequences": ["emulator"],
                       "messages": [{"role": "user", "content": "hi"}]})
                .to_string(),
            ),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let v = reply.json();
    assert_eq!(
        (v["stop_reason"].as_str(), v["stop_sequence"].as_str()),
        (Some("stop_sequence"), Some("emulator"))
    );
    assert_eq!(v["content"][0]["text"], "Hello from the Bedrock ");

    // A tool call, and its result sent back as a user turn with a tool_result block.
    let body = json!({"max_tokens": 500, "tools": weather_tool(), "tool_choice": {"type": "auto"},
                      "messages": [{"role": "user", "content": "Weather in Paris?"}]});
    let v = post(&g, "/v1/messages", body).await.json();
    assert_eq!(v["stop_reason"], "tool_use");
    let call =
        v["content"].as_array().unwrap().iter().find(|b| b["type"] == "tool_use").unwrap().clone();
    assert_eq!(
        (call["name"].as_str(), &call["input"]),
        (Some("get_weather"), &json!({"city": "Paris"}))
    );
    let follow_up = json!({"max_tokens": 500, "tools": weather_tool(), "messages": [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": v["content"]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call["id"], "content": "sunny, 24 C"}]},
    ]});
    let reply = post(&g, "/v1/messages", follow_up).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.json()["content"][0]["text"],
        "Hello from the Bedrock emulator. The tool get_weather returned: sunny, 24 C"
    );
    g.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_in_anthropic_events() {
    let g = gateway(json!({})).await;
    let plain = post(&g, "/v1/messages", ask("stream me")).await.json();
    let reply = post(
        &g,
        "/v1/messages",
        json!({"stream": true, "max_tokens": 1024,
        "messages": [{"role": "user", "content": "stream me"}]}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    let events = events_of(&reply);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(&names[..3], ["message_start", "ping", "content_block_start"]);
    assert_eq!(&names[names.len() - 3..], ["content_block_stop", "message_delta", "message_stop"]);
    for (name, data) in &events {
        assert_eq!(&data["type"], name, "the data's type is the event's name");
    }
    let start = &events[0].1["message"];
    assert_eq!(start["model"], public(CLAUDE));
    assert!(start["id"].as_str().unwrap().starts_with("msg_"));
    let text: String = events
        .iter()
        .filter(|(n, _)| n == "content_block_delta")
        .map(|(_, e)| e["delta"]["text"].as_str().unwrap())
        .collect();
    assert!(names.iter().filter(|n| **n == "content_block_delta").count() > 2, "in pieces");
    assert_eq!(text, plain["content"][0]["text"].as_str().unwrap());
    let delta = &events[events.len() - 2].1;
    assert_eq!(delta["delta"]["stop_reason"], "end_turn");
    assert_eq!(delta["usage"]["output_tokens"], plain["usage"]["output_tokens"]);
    assert_eq!(delta["usage"]["input_tokens"], plain["usage"]["input_tokens"]);

    // A tool call: its input arrives as input_json_delta fragments that join to the JSON.
    let reply = post(
        &g,
        "/v1/messages",
        json!({"stream": true, "max_tokens": 500, "tools": weather_tool(),
        "messages": [{"role": "user", "content": "Weather in Paris?"}]}),
    )
    .await;
    let events = events_of(&reply);
    let (index, block) = events
        .iter()
        .find(|(n, e)| n == "content_block_start" && e["content_block"]["type"] == "tool_use")
        .map(|(_, e)| (e["index"].clone(), e["content_block"].clone()))
        .unwrap();
    assert_eq!((block["name"].as_str(), &block["input"]), (Some("get_weather"), &json!({})));
    let fragments: Vec<&str> = events
        .iter()
        .filter(|(n, e)| n == "content_block_delta" && e["index"] == index)
        .map(|(_, e)| {
            assert_eq!(e["delta"]["type"], "input_json_delta");
            e["delta"]["partial_json"].as_str().unwrap()
        })
        .collect();
    assert!(fragments.len() > 1, "{fragments:?}");
    assert_eq!(
        serde_json::from_str::<Value>(&fragments.concat()).unwrap(),
        json!({"city": "Paris"})
    );
    let delta = events.iter().find(|(n, _)| n == "message_delta").unwrap();
    assert_eq!(delta.1["delta"]["stop_reason"], "tool_use");

    // A failure after the start is one `error` event, after the text already sent.
    let reply = post(
        &g,
        "/v1/messages",
        json!({"stream": true, "model": "emulator.fault-stream-throttling",
        "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(reply.status, 200);
    let events = events_of(&reply);
    let (name, last) = events.last().unwrap();
    assert_eq!(name, "error");
    assert_eq!(last["error"]["type"], "rate_limit_error", "{last}");
    assert!(events.iter().any(|(n, _)| n == "content_block_delta"));
    assert!(!events.iter().any(|(n, _)| n == "message_stop"));
    g.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thinking_and_its_signature_round_trip() {
    let g = gateway(json!({})).await;
    let body = json!({"max_tokens": 4096, "thinking": {"type": "enabled", "budget_tokens": 2048},
                      "messages": [{"role": "user", "content": "Think, then greet"}]});
    let v = post(&g, "/v1/messages", body).await.json();
    let thinking = v["content"][0].clone();
    assert_eq!(thinking["type"], "thinking", "{v}");
    assert!(!thinking["signature"].as_str().unwrap().is_empty());
    let sent: Value = serde_json::from_slice(&g.emulator.requests().pop().unwrap().body).unwrap();
    assert_eq!(
        sent["additionalModelRequestFields"]["thinking"],
        json!({"type": "enabled", "budget_tokens": 2048})
    );

    // Sent back unchanged, the emulator (like Anthropic) verifies the signature.
    let turn = |block: Value| {
        json!({"max_tokens": 4096, "thinking": {"type": "enabled", "budget_tokens": 2048}, "messages": [
            {"role": "user", "content": "Think, then greet"},
            {"role": "assistant", "content": [block, v["content"][1].clone()]},
            {"role": "user", "content": "Again"},
        ]})
    };
    let reply = post(&g, "/v1/messages", turn(thinking.clone())).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let mut forged = thinking;
    forged["signature"] = json!("forged");
    let reply = post(&g, "/v1/messages", turn(forged)).await;
    assert_eq!(reply.status, 400, "{}", reply.text());

    // Streamed: thinking_delta then signature_delta in a thinking block.
    let body = json!({"stream": true, "max_tokens": 4096, "thinking": {"type": "enabled", "budget_tokens": 2048},
                      "messages": [{"role": "user", "content": "Think, then greet"}]});
    let events = events_of(&post(&g, "/v1/messages", body).await);
    let deltas: Vec<&str> = events
        .iter()
        .filter(|(n, e)| n == "content_block_delta" && e["index"] == 0)
        .map(|(_, e)| e["delta"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(deltas.first(), Some(&"thinking_delta"));
    assert_eq!(deltas.last(), Some(&"signature_delta"));
    g.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn count_tokens_errors_and_models_in_anthropic_shape() {
    let g = gateway(json!({})).await;
    let reply = post(
        &g,
        "/v1/messages/count_tokens",
        json!({"model": public(CLAUDE), "system": "Be brief.",
        "messages": [{"role": "user", "content": "How many tokens is this?"}]}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let n = reply.json()["input_tokens"].as_u64().unwrap();
    assert!(n > 0);
    assert!(g.emulator.requests().pop().unwrap().path.ends_with("/count-tokens"));

    // Errors: Anthropic's shape and statuses, the request field at the start of the message.
    let rows = [
        (json!({"model": "emulator.fault-throttling"}), 429, "rate_limit_error"),
        (json!({"model": "emulator.fault-unavailable"}), 529, "overloaded_error"),
        (json!({"model": "emulator.fault-no-model-access"}), 403, "permission_error"),
        (json!({"model": "emulator.fault-end-of-life"}), 404, "not_found_error"),
        (json!({"model": "emulator.fault-internal"}), 500, "api_error"),
        (json!({"model": "emulator.fault-model-timeout"}), 504, "timeout_error"),
        (json!({"max_tokens": 0}), 400, "invalid_request_error"),
    ];
    for (extra, status, kind) in rows {
        let mut body = ask("hi");
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let reply = post(&g, "/v1/messages", body).await;
        assert_eq!(reply.status, status, "{extra}: {}", reply.text());
        let e = reply.json();
        assert_eq!(e["type"], "error");
        assert_eq!(e["error"]["type"], kind, "{extra}");
        assert_eq!(e["request_id"].as_str(), reply.header("request-id"));
        if status == 429 {
            assert_eq!(reply.header("retry-after"), Some("1"));
        }
    }
    let reply = post(
        &g,
        "/v1/messages",
        json!({"max_tokens": 0, "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert!(reply.json()["error"]["message"].as_str().unwrap().starts_with("max_tokens: "));
    let reply = post(&g, "/v1/messages", json!({"messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "url", "url": "https://x/y.png"}}]}]})).await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("messages[0].content[0].source.type")
    );

    // A wrong key: 401 authentication_error, before anything reaches Bedrock.
    g.emulator.clear_requests();
    let reply = g
        .http
        .call_with(
            "POST",
            "/v1/messages",
            &[("x-api-key", "sk-wrong"), VERSION],
            Bytes::from(ask("hi").to_string()),
        )
        .await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json()["error"]["type"], "authentication_error");
    assert!(g.emulator.requests().is_empty());

    // Anthropic clients get Anthropic's model list.
    let list = g
        .http
        .call_with("GET", "/v1/models", &[("x-api-key", KEY), VERSION], Bytes::new())
        .await
        .json();
    assert_eq!(list["data"][0]["id"], public(CLAUDE));
    assert_eq!(list["data"][0]["type"], "model");
    assert!(list["data"][0]["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(list["has_more"], false);
    let path = format!("/v1/models/{}", public(CLAUDE).replace('|', "%7C"));
    let one = g.http.call_with("GET", &path, &[("x-api-key", KEY), VERSION], Bytes::new()).await;
    assert_eq!(one.json()["id"], public(CLAUDE));
    let missing = g
        .http
        .call_with("GET", "/v1/models/claude-x", &[("x-api-key", KEY), VERSION], Bytes::new())
        .await;
    assert_eq!(
        (missing.status, missing.json()["error"]["type"].as_str()),
        (404, Some("not_found_error"))
    );

    // The same metrics and log labels as the OpenAI routes.
    let metrics =
        g.http.call_with("GET", "/metrics", &[("x-api-key", KEY)], Bytes::new()).await.text();
    for line in [
        r#"bedrock_gateway_requests_total{route="/v1/messages/count_tokens",status="200",error="none"} 1"#,
        r#"bedrock_gateway_requests_total{route="/v1/messages",status="429",error="throttled"} 1"#,
        r#"bedrock_gateway_requests_total{route="/v1/messages",status="401",error="invalid-api-key"} 1"#,
    ] {
        assert!(metrics.lines().any(|l| l == line), "missing {line} in\n{metrics}");
    }
    g.shutdown().await;
}

/// host/gateway/tests/app/anthropic_client.py: messages.create, messages.stream (text and a
/// tool call), count_tokens and RateLimitError, with the official client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_anthropic_python_client_works_against_the_gateway() {
    run_python_client("anthropic", "anthropic_client.py", "").await;
}

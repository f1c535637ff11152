//! Structured output, embeddings and CountTokens through the server.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Instant;

use bedrock_emulator::{DEMO_API_KEY, Emulator, EmulatorConfig};
use common::*;
use serde_json::{Value, json};

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default()).await.unwrap()
}

fn key() -> Vec<(String, String)> {
    bearer(DEMO_API_KEY, RUNTIME_HOST)
}

fn body(v: Value) -> Vec<u8> {
    v.to_string().into_bytes()
}

const SONNET_45: &str = "/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0";

fn structured(schema: Value) -> Vec<u8> {
    body(json!({
        "messages": [{"role": "user", "content": [{"text": "Weather in Paris?"}]}],
        "outputConfig": {"textFormat": {"type": "json_schema", "structure": {"jsonSchema": {
            "schema": schema.to_string(), "name": "weather"}}}}
    }))
}

#[tokio::test]
async fn structured_answers_are_instances_of_the_schema() {
    let emu = emulator().await;
    let schema = json!({"type": "object", "required": ["city", "tempC", "tags", "when"],
        "properties": {"city": {"type": "string"}, "tempC": {"type": "integer", "minimum": 5, "maximum": 9},
                       "tags": {"type": "array", "items": {"enum": ["sun", "rain"]}},
                       "when": {"$ref": "#/$defs/day"}},
        "$defs": {"day": {"type": "string", "format": "date"}}});
    let path = format!("{SONNET_45}/converse");
    let resp = send(emu.addr(), "POST", &path, &key(), &structured(schema)).await;
    assert_eq!(resp.status, 200, "{}", resp.message());
    let v = resp.json();
    let text = v["output"]["message"]["content"][0]["text"].as_str().unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(text).unwrap(),
        json!({"city": "Paris", "tempC": 5, "tags": ["sun"], "when": "2025-01-01"})
    );
    assert_eq!(v["stopReason"], "end_turn");
    // Keywords Anthropic refuses, with the recorded message.
    let schema =
        json!({"type": "object", "properties": {"tags": {"type": "array", "maxItems": 2}}});
    let resp = send(emu.addr(), "POST", &path, &key(), &structured(schema.clone())).await;
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.message(),
        "The model returned the following errors: output_config.format.schema: For 'array' type, property 'maxItems' is not supported"
    );
    // Models without native structured output refuse the field.
    let old = "/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse";
    let resp = send(emu.addr(), "POST", old, &key(), &structured(json!({"type": "object"}))).await;
    assert_eq!(resp.status, 400);
    assert!(resp.message().contains("outputConfig.textFormat"), "{}", resp.message());
    // Effort: only where the model takes it.
    let effort = |level: &str| {
        body(json!({"messages": [{"role": "user", "content": [{"text": "Hi"}]}],
                    "outputConfig": {"effort": level}}))
    };
    let opus = "/model/us.anthropic.claude-opus-4-6-v1/converse";
    assert_eq!(send(emu.addr(), "POST", opus, &key(), &effort("max")).await.status, 200);
    let resp = send(emu.addr(), "POST", opus, &key(), &effort("minimal")).await;
    assert!(resp.message().contains("output_config.effort"), "{}", resp.message());
    let resp = send(emu.addr(), "POST", &path, &key(), &effort("low")).await;
    assert_eq!(
        resp.message(),
        "The model returned the following errors: output_config.effort: Extra inputs are not permitted"
    );
}

#[tokio::test]
async fn count_tokens() {
    let emu = emulator().await;
    let converse = json!({"messages": [{"role": "user", "content": [{"text": "12345678"}]}],
                          "system": [{"text": "abcd"}]});
    let count = |path: &str, b: Value| {
        let path = path.to_string();
        let headers = key();
        let addr = emu.addr();
        async move { send(addr, "POST", &path, &headers, &body(b)).await }
    };
    // Base IDs count even where Converse needs a profile.
    let path = "/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/count-tokens";
    let resp = count(path, json!({"input": {"converse": converse.clone()}})).await;
    assert_eq!(resp.status, 200, "{}", resp.message());
    assert_eq!(resp.json(), json!({"inputTokens": 3}));
    let resp = count(path, json!({"input": {"invokeModel": {"body": "eyJhIjoxfQ=="}}})).await;
    assert_eq!(resp.json(), json!({"inputTokens": 2}));
    // Fields outside ConverseTokensRequest are refused, like unknown Converse fields.
    let mut extra = converse.clone();
    extra["inferenceConfig"] = json!({"maxTokens": 5});
    let resp = count(path, json!({"input": {"converse": extra}})).await;
    assert_eq!(
        resp.message(),
        "The field inferenceConfig is not a valid member of input.converse. Remove it and try again."
    );
    // Profiles are not model IDs here; other providers cannot count.
    let resp = count(
        &format!("{SONNET_45}/count-tokens"),
        json!({"input": {"converse": converse.clone()}}),
    )
    .await;
    assert_eq!(resp.message(), "The provided model identifier is invalid.");
    let resp = count(
        "/model/amazon.nova-lite-v1%3A0/count-tokens",
        json!({"input": {"converse": converse.clone()}}),
    )
    .await;
    assert_eq!(
        (resp.status, resp.message().as_str()),
        (400, "The provided model doesn't support counting tokens.")
    );
    let resp = count(path, json!({"input": {"converse": converse}, "x": 1})).await;
    assert_eq!(resp.status, 400);
}

#[tokio::test]
async fn embeddings_with_token_headers_and_overlap() {
    let emu = emulator().await;
    let path = "/model/amazon.titan-embed-text-v2%3A0/invoke";
    let headers = {
        let mut h = key();
        h.push(("x-emulator-latency-ms".into(), "100".into()));
        h
    };
    let started = Instant::now();
    let calls = (0..4).map(|i| {
        let headers = headers.clone();
        let addr = emu.addr();
        async move {
            send(
                addr,
                "POST",
                path,
                &headers,
                &body(json!({"inputText": format!("text {i}"), "dimensions": 512})),
            )
            .await
        }
    });
    let responses = futures_join(calls.collect()).await;
    for resp in &responses {
        assert_eq!(resp.status, 200, "{}", resp.message());
        assert_eq!(resp.json()["embedding"].as_array().unwrap().len(), 512);
        assert_eq!(resp.header("x-amzn-bedrock-input-token-count"), Some("2"));
    }
    assert!(started.elapsed().as_millis() < 390, "the four calls overlapped");
    assert_eq!(emu.peak_in_flight(), 4);
    emu.clear_requests();
    assert_eq!(emu.peak_in_flight(), 0);
    let cohere = "/model/cohere.embed-v4%3A0/invoke";
    let resp = send(
        emu.addr(),
        "POST",
        cohere,
        &key(),
        &body(json!({"input_type": "search_query", "texts": ["a", "b"], "output_dimension": 256})),
    )
    .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["embeddings"]["float"][1].as_array().unwrap().len(), 256);
    let resp = send(emu.addr(), "POST", cohere, &key(), &body(json!({"texts": ["a"]}))).await;
    assert_eq!(
        resp.message(),
        "Malformed input request: #: required key [input_type] not found, please reformat your input and try again."
    );
    // Converse does not serve embedding models.
    let resp = send(emu.addr(), "POST", "/model/cohere.embed-v4%3A0/converse", &key(), HELLO).await;
    assert_eq!(resp.status, 400);
}

/// Runs the futures concurrently on the current runtime.
async fn futures_join<F: std::future::Future<Output = Resp> + Send + 'static>(
    futures: Vec<F>,
) -> Vec<Resp> {
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

//! Routing, model resolution, faults, fixtures, Rerank and InvokeModel through the server.

#![allow(clippy::unwrap_used)]

mod common;

use bedrock_emulator::{DEMO_API_KEY, Emulator, EmulatorConfig, Fault, fixtures};
use common::*;
use serde_json::{Value, json};

const BEDROCK: &str = ":http://internal.amazon.com/coral/com.amazon.bedrock/";

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default()).await.unwrap()
}

fn key() -> Vec<(String, String)> {
    bearer(DEMO_API_KEY, RUNTIME_HOST)
}

fn with(mut headers: Vec<(String, String)>, name: &str, value: &str) -> Vec<(String, String)> {
    headers.push((name.to_string(), value.to_string()));
    headers
}

#[tokio::test]
async fn base_claude_ids_need_a_profile() {
    let emu = emulator().await;
    let path = "/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse";
    let resp = send(emu.addr(), "POST", path, &key(), HELLO).await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.header("x-amzn-errortype").unwrap(), format!("ValidationException{BEDROCK}"));
    assert_eq!(
        resp.message(),
        "Invocation of model ID anthropic.claude-sonnet-4-5-20250929-v1:0 with on-demand throughput isn\u{2019}t supported. Retry your request with the ID or ARN of an inference profile that contains this model."
    );
    for ok in [
        "/model/global.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse",
        "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse",
        "/model/amazon.nova-lite-v1%3A0/converse",
    ] {
        assert_eq!(send(emu.addr(), "POST", ok, &key(), HELLO).await.status, 200, "{ok}");
    }
}

#[tokio::test]
async fn geography_and_encoding_mistakes() {
    let emu = emulator().await;
    // eu. profile signed for us-east-1.
    let path = "/model/eu.anthropic.claude-sonnet-4-20250514-v1%3A0/converse";
    let resp =
        send(emu.addr(), "POST", path, &signed(path, HELLO, Signing::default()), HELLO).await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.body, br#"{"message":"The provided model identifier is invalid."}"#);
    // Double encoding on the wire names a model that does not exist.
    let path = "/model/amazon.nova-lite-v1%253A0/converse";
    let resp = send(emu.addr(), "POST", path, &key(), HELLO).await;
    assert_eq!(resp.message(), "The provided model identifier is invalid.");
    // A literal `/` from an ARN adds path segments: HTTP 200 with an error body.
    let path = "/model/arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0/converse";
    let resp = send(emu.addr(), "POST", path, &key(), HELLO).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, fixtures::UNKNOWN_OPERATION.as_bytes());
    assert!(resp.header("x-amzn-requestid").is_some());
    // Rerank on the runtime host is not an operation there either.
    let resp = send(emu.addr(), "POST", "/rerank", &key(), b"{}").await;
    assert_eq!((resp.status, resp.body.as_slice()), (200, fixtures::UNKNOWN_OPERATION.as_bytes()));
}

#[tokio::test]
async fn faults_by_header_and_by_model_id() {
    let emu = emulator().await;
    let resp = send(
        emu.addr(),
        "POST",
        PROFILE_PATH,
        &with(key(), "x-emulator-fault", "throttling"),
        HELLO,
    )
    .await;
    assert_eq!(resp.status, 429);
    assert_eq!(resp.header("x-amzn-errortype").unwrap(), format!("ThrottlingException{BEDROCK}"));
    assert_eq!(resp.body, br#"{"message":"Too many requests, please wait before trying again."}"#);

    // Faults apply after authentication: a bad key still gets the auth error.
    let bad = with(bearer("nope", RUNTIME_HOST), "x-emulator-fault", "throttling");
    assert_eq!(send(emu.addr(), "POST", PROFILE_PATH, &bad, HELLO).await.status, 403);

    let resp =
        send(emu.addr(), "POST", "/model/emulator.fault-model-error/converse", &key(), HELLO).await;
    assert_eq!(resp.status, 424);
    assert_eq!(resp.json()["originalStatusCode"], 500);

    let resp = send(
        emu.addr(),
        "POST",
        PROFILE_PATH,
        &with(key(), "x-emulator-fault", "proxy-502"),
        HELLO,
    )
    .await;
    assert_eq!(resp.status, 502);
    assert_eq!(resp.header("content-type"), Some("text/html"));
    assert!(resp.header("x-amzn-errortype").is_none());

    let resp =
        send(emu.addr(), "POST", PROFILE_PATH, &with(key(), "x-emulator-fault", "no-such"), HELLO)
            .await;
    assert_eq!(resp.status, 400);
    assert!(resp.message().contains("Known faults: on-demand,"));

    let resp = send(
        emu.addr(),
        "POST",
        PROFILE_PATH,
        &with(key(), "x-emulator-fault", "stream-cut"),
        HELLO,
    )
    .await;
    assert_eq!(resp.status, 400);
    assert!(resp.message().contains("only applies to ConverseStream"));

    // Every HTTP fault answers with its table entry.
    for fault in Fault::ALL.iter().filter(|f| !f.is_stream()) {
        let resp = send(
            emu.addr(),
            "POST",
            PROFILE_PATH,
            &with(key(), "x-emulator-fault", fault.name()),
            HELLO,
        )
        .await;
        assert_eq!(resp.status, fault.status(), "{}", fault.name());
        assert_eq!(resp.body, fault.body().as_bytes(), "{}", fault.name());
        assert_eq!(
            resp.header("x-amzn-errortype").map(str::to_string),
            fault.error_type(),
            "{}",
            fault.name()
        );
    }
}

#[tokio::test]
async fn scenarios_return_fixtures_verbatim() {
    let emu = emulator().await;
    for (name, fixture) in [
        ("text-fixture", fixtures::TEXT_FIXTURE),
        ("reasoning-fixture", fixtures::REASONING_FIXTURE),
        ("tool-fixture", fixtures::TOOL_FIXTURE),
        ("citations-fixture", fixtures::CITATIONS_FIXTURE),
        ("guardrail-fixture", fixtures::GUARDRAIL_FIXTURE),
        ("arn-fixture", fixtures::ARN_FIXTURE),
    ] {
        let resp = send(
            emu.addr(),
            "POST",
            PROFILE_PATH,
            &with(key(), "x-emulator-scenario", name),
            HELLO,
        )
        .await;
        assert_eq!(resp.status, 200);
        assert_eq!(resp.body, fixture.as_bytes(), "{name}");
    }
    // Validation still runs first.
    let resp = send(
        emu.addr(),
        "POST",
        PROFILE_PATH,
        &with(key(), "x-emulator-scenario", "text-fixture"),
        br#"{"messages":[]}"#,
    )
    .await;
    assert_eq!(resp.status, 400);
}

#[tokio::test]
async fn converse_validation_and_tool_loop() {
    let emu = emulator().await;
    let post = |body: Value| {
        let addr = emu.addr();
        async move { send(addr, "POST", PROFILE_PATH, &key(), body.to_string().as_bytes()).await }
    };
    let resp = post(json!({"messages": [{"role": "user", "content": [{"text": "a"}]}, {"role": "assistant", "content": []}]})).await;
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.message(),
        "The content field in the Message object at messages.1 is empty. Add a ContentBlock object to the content field and try again."
    );
    let no_type = vec![
        ("host".to_string(), RUNTIME_HOST.to_string()),
        ("authorization".to_string(), format!("Bearer {DEMO_API_KEY}")),
    ];
    assert_eq!(send(emu.addr(), "POST", PROFILE_PATH, &no_type, HELLO).await.status, 400);
    let resp = send(emu.addr(), "POST", PROFILE_PATH, &key(), b"{not json").await;
    assert_eq!(resp.status, 400);
    assert!(resp.header("x-amzn-errortype").unwrap().starts_with("SerializationException:"));

    let tools = json!({"tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": {
        "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}}]});
    let first = post(json!({"messages": [{"role": "user", "content": [{"text": "Weather in Paris?"}]}], "toolConfig": tools})).await;
    assert_eq!(first.status, 200);
    let v = first.json();
    assert_eq!(v["stopReason"], "tool_use");
    let call = v["output"]["message"]["content"][0].clone();
    assert_eq!(call["toolUse"]["input"], json!({"city": "Paris"}));
    let id = call["toolUse"]["toolUseId"].clone();
    let second = post(json!({"messages": [
        {"role": "user", "content": [{"text": "Weather in Paris?"}]},
        {"role": "assistant", "content": [call]},
        {"role": "user", "content": [{"toolResult": {"toolUseId": id, "content": [{"text": "21 C, sunny"}]}}]}],
        "toolConfig": tools})).await;
    assert_eq!(second.status, 200, "{}", String::from_utf8_lossy(&second.body));
    assert_eq!(
        second.json()["output"]["message"]["content"][0]["text"],
        "Hello from the Bedrock emulator. The tool get_weather returned: 21 C, sunny"
    );
}

#[tokio::test]
async fn thinking_signatures_are_checked_on_the_way_back() {
    let emu = emulator().await;
    let ask = json!({"messages": [{"role": "user", "content": [{"text": "Hi"}]}],
        "inferenceConfig": {"maxTokens": 2048},
        "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 1024}}});
    let resp = send(emu.addr(), "POST", PROFILE_PATH, &key(), ask.to_string().as_bytes()).await;
    assert_eq!(resp.status, 200);
    let content = resp.json()["output"]["message"]["content"].clone();
    assert!(content[0]["reasoningContent"]["reasoningText"]["signature"].is_string());
    let mut follow = ask.clone();
    follow["messages"] = json!([ask["messages"][0], {"role": "assistant", "content": content}, {"role": "user", "content": [{"text": "And?"}]}]);
    let ok = send(emu.addr(), "POST", PROFILE_PATH, &key(), follow.to_string().as_bytes()).await;
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    follow["messages"][1]["content"][0]["reasoningContent"]["reasoningText"]["text"] =
        json!("edited");
    let bad = send(emu.addr(), "POST", PROFILE_PATH, &key(), follow.to_string().as_bytes()).await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.message(),
        "The model returned the following errors: messages.1.content.0: Invalid `signature` in `thinking` block"
    );
}

fn rerank_body(arn: &str) -> Vec<u8> {
    json!({
        "queries": [{"type": "TEXT", "textQuery": {"text": "What is the capital of France?"}}],
        "sources": [
            {"type": "INLINE", "inlineDocumentSource": {"type": "TEXT", "textDocument": {"text": "Berlin is in Germany."}}},
            {"type": "INLINE", "inlineDocumentSource": {"type": "TEXT", "textDocument": {"text": "Paris is the capital of France."}}},
            {"type": "INLINE", "inlineDocumentSource": {"type": "JSON", "jsonDocument": {"city": "Paris", "capital": true}}}
        ],
        "rerankingConfiguration": {"type": "BEDROCK_RERANKING_MODEL", "bedrockRerankingConfiguration": {
            "numberOfResults": 2, "modelConfiguration": {"modelArn": arn}}}
    })
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn rerank_api_signed_for_the_agent_runtime() {
    let emu = emulator().await;
    let host = "bedrock-agent-runtime.us-west-2.amazonaws.com";
    let signing = || Signing { host, region: "us-west-2", ..Signing::default() };
    let body = rerank_body("arn:aws:bedrock:us-west-2::foundation-model/cohere.rerank-v3-5:0");
    let resp =
        send(emu.addr(), "POST", "/rerank", &signed("/rerank", &body, signing()), &body).await;
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    let v = resp.json();
    assert_eq!(v["results"].as_array().unwrap().len(), 2);
    assert_eq!(v["results"][0]["index"], 1);
    assert!(v["results"][0]["relevanceScore"].is_f64());

    let body = rerank_body("arn:aws:bedrock:us-east-1::foundation-model/cohere.rerank-v3-5:0");
    let resp =
        send(emu.addr(), "POST", "/rerank", &signed("/rerank", &body, signing()), &body).await;
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.message(),
        "Reranking does not support cross-region calls. Please provide a valid model ARN."
    );

    // Converse is not an operation of the agent runtime host.
    let resp =
        send(emu.addr(), "POST", PROFILE_PATH, &signed(PROFILE_PATH, HELLO, signing()), HELLO)
            .await;
    assert_eq!(resp.body, fixtures::UNKNOWN_OPERATION.as_bytes());
}

#[tokio::test]
async fn rerank_through_invoke_model() {
    let emu = emulator().await;
    let path = "/model/cohere.rerank-v3-5%3A0/invoke";
    let body = br#"{"query": "What is the capital of France?", "documents": ["Paris is the capital of France.", "Berlin is in Germany."], "top_n": 2, "api_version": 2}"#;
    let resp =
        send(emu.addr(), "POST", path, &with(key(), "accept", "application/json"), body).await;
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    let v = resp.json();
    assert_eq!(v["results"][0]["index"], 0);
    assert!(
        v["results"][0]["relevance_score"].as_f64().unwrap()
            > v["results"][1]["relevance_score"].as_f64().unwrap()
    );

    let resp = send(
        emu.addr(),
        "POST",
        path,
        &key(),
        br#"{"query": "q", "documents": ["d"], "api_version": 1}"#,
    )
    .await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.body, Fault::CohereApiVersion.body().as_bytes());

    // Amazon Rerank is not offered in us-east-1.
    let resp = send(
        emu.addr(),
        "POST",
        "/model/amazon.rerank-v1%3A0/invoke",
        &key(),
        br#"{"query": "q", "documents": ["d"]}"#,
    )
    .await;
    assert_eq!(resp.message(), "The provided model identifier is invalid.");
    let west = bearer(DEMO_API_KEY, "bedrock-runtime.us-west-2.amazonaws.com");
    let resp = send(emu.addr(), "POST", "/model/amazon.rerank-v1%3A0/invoke", &west, body).await;
    assert_eq!(resp.body, Fault::AmazonRerankApiVersion.body().as_bytes());
}

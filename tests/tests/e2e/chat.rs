//! Chat through the real component against the emulator, which recomputes every SigV4
//! signature by hand: model IDs with `:`, ARNs, session tokens, custom headers, API keys.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use bedrock_emulator::{DEMO_API_KEY, DEMO_SESSION_TOKEN, DEMO_TEMPORARY_ACCESS_KEY_ID};
use bedrock_gateway::types::*;
use serde_json::json;

#[tokio::test]
async fn generate_answers_and_the_signature_verifies() {
    let h = Harness::start().await;
    let answer = h.host.generate(&h.settings(json!({})), chat("What is Bedrock?")).await.unwrap();
    assert!(answer.text.contains("What is Bedrock?"), "{}", answer.text);
    assert_eq!(answer.finish_reason, FinishReason::Stop);
    assert!(answer.usage.input_tokens > 0 && answer.usage.output_tokens > 0);
    assert_eq!(answer.usage.total_tokens, answer.usage.input_tokens + answer.usage.output_tokens);
    assert!(answer.metadata.request_id.is_some());
    let requests = h.emulator.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].signature_valid, Some(true));
    assert_eq!(requests[0].path, "/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse");
}

#[tokio::test]
async fn signatures_verify_for_every_model_id_form() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let models = [
        ("amazon-bedrock|amazon.nova-lite-v1:0", "/model/amazon.nova-lite-v1%3A0/converse"),
        (
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "/model/global.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse",
        ),
        (
            "amazon-bedrock|arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse",
        ),
        (
            "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0",
            "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Famazon.nova-lite-v1%3A0/converse",
        ),
    ];
    for (model, path) in models {
        let answer = h.host.generate(&settings, chat_with(model, "hi")).await;
        assert!(answer.is_ok(), "{model}: {answer:?}");
        let last = h.emulator.requests().pop().unwrap();
        assert_eq!(last.path, path);
        assert_eq!(last.signature_valid, Some(true), "{model}");
    }
}

#[tokio::test]
async fn temporary_credentials_sign_the_session_token() {
    let h = Harness::start().await;
    let settings = h.settings(json!({
        "accessKeyId": DEMO_TEMPORARY_ACCESS_KEY_ID,
        "sessionToken": DEMO_SESSION_TOKEN,
    }));
    h.host.generate(&settings, chat("hi")).await.unwrap();
    let request = h.emulator.requests().pop().unwrap();
    assert_eq!(request.signature_valid, Some(true));
    assert!(request.signed_headers.iter().any(|h| h == "x-amz-security-token"));
}

#[tokio::test]
async fn custom_headers_are_sent_but_not_signed() {
    let h = Harness::start().await;
    let settings = h.settings(json!({"headers": {"X-Custom-Header": "custom-value"}}));
    h.host.generate(&settings, chat("hi")).await.unwrap();
    let request = h.emulator.requests().pop().unwrap();
    assert_eq!(request.header("x-custom-header"), Some("custom-value"));
    assert!(!request.signed_headers.iter().any(|h| h == "x-custom-header"));
    assert_eq!(request.signature_valid, Some(true));
}

#[tokio::test]
async fn an_api_key_is_sent_as_a_bearer_token() {
    let h = Harness::start().await;
    let settings =
        h.settings(json!({"accessKeyId": null, "secretAccessKey": null, "apiKey": DEMO_API_KEY}));
    h.host.generate(&settings, chat("hi")).await.unwrap();
    let request = h.emulator.requests().pop().unwrap();
    assert_eq!(request.header("authorization"), Some(format!("Bearer {DEMO_API_KEY}").as_str()));
    assert!(request.header("x-amz-date").is_none());
}

#[tokio::test]
async fn check_reports_what_was_resolved() {
    let h = Harness::start().await;
    let report = h.host.check(&h.settings(json!({}))).await.unwrap();
    assert_eq!(report.region, "us-east-1");
    assert_eq!(report.endpoint, h.emulator.base_url());
    assert_eq!(report.models[0].model, "us.anthropic.claude-sonnet-4-5-20250929-v1:0");
    assert!(report.auth.contains("AKID") && !report.auth.contains("EXAMPLEKEY"), "{}", report.auth);
    let live = report.models[0].rows.last().unwrap();
    assert!(live.evidence.starts_with("Converse answered"), "{}", live.evidence);
}

#[tokio::test]
async fn inference_settings_reach_bedrock() {
    let h = Harness::start().await;
    let mut request = chat("Count: one two three four five six seven");
    request.settings.max_tokens = Some(3);
    request.settings.temperature = Some(0.2);
    let answer = h.host.generate(&h.settings(json!({})), request).await.unwrap();
    assert_eq!(answer.finish_reason, FinishReason::Length);
    let body: serde_json::Value = serde_json::from_slice(&h.emulator.requests()[0].body).unwrap();
    assert_eq!(body["inferenceConfig"]["maxTokens"], 3);
    let temperature = body["inferenceConfig"]["temperature"].as_f64().unwrap();
    assert!((temperature - 0.2).abs() < 1e-6, "{temperature}");
}

#[tokio::test]
async fn a_settings_schema_is_published() {
    let h = Harness::start().await;
    let schema: serde_json::Value =
        serde_json::from_str(&h.host.settings_schema().await.unwrap()).unwrap();
    assert_eq!(schema["properties"]["secretAccessKey"]["writeOnly"], true);
    assert!(schema["properties"]["region"].is_object());
}

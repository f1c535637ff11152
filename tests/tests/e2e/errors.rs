//! Every Bedrock error the emulator can inject comes out of the real component as the right
//! stable kind, with a cause and a solution; bad settings never reach the network.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use bedrock_emulator::Fault;
use bedrock_gateway::types::*;
use serde_json::json;

/// The kind each HTTP-level fault must map to.
fn expected_kind(fault: &str) -> Option<ErrorKind> {
    use ErrorKind as K;
    Some(match fault {
        "on-demand" | "no-on-demand" => K::OnDemandUnsupported,
        "invalid-model-id" | "end-of-life" | "legacy" => K::ModelNotFound,
        "no-model-access" | "iam-denied" | "marketplace" | "ftu-form" => K::AccessDenied,
        "throttling" | "throttling-long" | "too-many-tokens" => K::Throttled,
        "quota" => K::QuotaExceeded,
        "model-not-ready" => K::ModelNotReady,
        "model-timeout" => K::ModelTimeout,
        "model-error" => K::ModelError,
        // The context window, whatever the exception: a request error.
        "model-error-too-long" => K::InvalidRequest,
        "internal" => K::Internal,
        "unavailable" | "proxy-502" => K::ServiceUnavailable,
        "invalid-signature"
        | "unrecognized-client"
        | "incomplete-signature"
        | "invalid-client-token-id"
        | "missing-token"
        | "missing-auth"
        | "bad-api-key" => K::Authentication,
        "signature-expired" | "expired-token" => K::ExpiredCredentials,
        "unknown-operation" => K::InvalidResponse,
        f if f.starts_with("validation") => K::InvalidRequest,
        _ => return None,
    })
}

#[tokio::test]
async fn every_chat_fault_maps_to_its_kind_with_cause_and_solution() {
    let h = Harness::start().await;
    let mut checked = 0;
    for fault in Fault::ALL.iter().filter(|f| !f.is_stream()) {
        let name = fault.name();
        let Some(kind) = expected_kind(name) else { continue };
        // One attempt: the retry loop has its own tests.
        let settings = h.settings(json!({"maxAttempts": 1, "headers": {"x-emulator-fault": name}}));
        let e = h.host.generate(&settings, chat("hi")).await.unwrap_err();
        assert_eq!(e.kind, kind, "{name}: {e:?}");
        assert!(!e.message.is_empty(), "{name}");
        assert!(e.cause.as_deref().is_some_and(|c| !c.is_empty()), "{name} has no cause");
        assert!(e.solution.as_deref().is_some_and(|s| !s.is_empty()), "{name} has no solution");
        assert!(!e.message.contains("http://internal"), "{name}: {}", e.message);
        if name != "unknown-operation" && name != "proxy-502" {
            assert_eq!(e.status, Some(fault.status()), "{name}");
            assert_eq!(e.code.as_deref(), fault.code(), "{name}");
            assert!(e.request_id.is_some(), "{name} lost the request id");
        }
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} faults checked");
}

#[tokio::test]
async fn the_seed_errors_read_well() {
    let h = Harness::start().await;
    let settings = h.settings(json!({"maxAttempts": 1}));

    // On-demand throughput: calling the bare ID answers with the exact profile to use.
    let bare = "amazon-bedrock|anthropic.claude-sonnet-4-5-20250929-v1:0";
    let e = h.host.generate(&settings, chat_with(bare, "hi")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::OnDemandUnsupported);
    let solution = e.solution.unwrap();
    assert!(solution.contains("us.anthropic.claude-sonnet-4-5-20250929-v1:0"), "{solution}");
    assert!(!e.retryable);

    // The same in eu-west-1 names the EU profile.
    let eu = h.settings(json!({"maxAttempts": 1, "region": "eu-west-1"}));
    let e = h.host.generate(&eu, chat_with(bare, "hi")).await.unwrap_err();
    assert!(e.solution.unwrap().contains("eu.anthropic.claude-sonnet-4-5-20250929-v1:0"));

    // No access to the model: the console steps.
    let e = h.host.generate(&h.fault("no-model-access"), chat("hi")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::AccessDenied);
    assert!(e.solution.unwrap().contains("Model access"));

    // 429: retryable, with what to do.
    let e = h
        .host
        .generate(
            &h.settings(
                json!({"maxAttempts": 1, "headers": {"x-emulator-fault": "too-many-tokens"}}),
            ),
            chat("hi"),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Throttled);
    assert!(e.retryable);

    // Region problems: a profile from another geography.
    let e = h
        .host
        .generate(&settings, chat_with("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "hi"))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::ModelNotFound);
    assert!(e.solution.unwrap().contains("region"));
}

#[tokio::test]
async fn retryable_errors_are_retried_through_the_component() {
    let h = Harness::start().await;
    let settings =
        h.settings(json!({"maxAttempts": 3, "headers": {"x-emulator-fault": "throttling"}}));
    let e = h.host.generate(&settings, chat("hi")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Throttled);
    assert!(e.message.contains("3 attempts"), "{}", e.message);
    assert_eq!(h.emulator.requests().len(), 3);
}

#[tokio::test]
async fn bad_settings_name_the_field_and_never_reach_the_network() {
    let h = Harness::start().await;
    let cases = [
        (json!({"region": "mars-1"}), "region"),
        (json!({"regoin": "us-east-1"}), "regoin"),
        (json!({"secretAccessKey": null}), "secretAccessKey"),
        (json!({"accessKeyId": "ASIAEXAMPLETEMPORARY"}), "sessionToken"),
        (json!({"baseUrl": "http://bedrock.example.com"}), "baseUrl"),
        (json!({"headers": {"Authorization": "x"}}), "headers.Authorization"),
        (json!({"languageModel": "openai|gpt-4o"}), "languageModel"),
    ];
    for (extra, field) in cases {
        let e = h.host.generate(&h.settings(extra.clone()), chat("hi")).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidSettings, "{extra}");
        assert_eq!(e.field.as_deref(), Some(field), "{extra}: {e:?}");
        assert!(e.solution.is_some(), "{extra}");
    }
    assert!(h.emulator.requests().is_empty(), "bad settings reached the network");
}

#[tokio::test]
async fn a_bad_request_is_refused_before_sending() {
    let h = Harness::start().await;
    let mut request = chat("hi");
    request.messages[0].content = vec![ContentPart::Text("   ".into())];
    let e = h.host.generate(&h.settings(json!({})), request).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    assert!(e.field.is_some());
    assert!(h.emulator.requests().is_empty());
}

#[tokio::test]
async fn a_wrong_secret_is_diagnosed() {
    let h = Harness::start().await;
    let settings = h.settings(json!({"secretAccessKey": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYWRONGKEY"}));
    let e = h.host.generate(&settings, chat("hi")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Authentication);
    assert_eq!(e.code.as_deref(), Some("InvalidSignatureException"));
    // AWS's canonical string matches ours, so the diagnosis blames the key.
    assert!(e.cause.unwrap().contains("secret access key"));
    assert!(!e.message.contains("Canonical String"));
}

#[tokio::test]
async fn a_host_refusal_reaches_the_operator_as_denied_by_host() {
    let h = Harness::start().await;
    // The component accepts any https base URL; the host's policy refuses IP literals other
    // than loopback, so the request never leaves the machine.
    let settings = h.settings(json!({"baseUrl": "https://10.0.0.1/bedrock", "maxAttempts": 1}));
    let e = h.host.generate(&settings, chat("hi")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::DeniedByHost, "{e:?}");
    assert_eq!(e.field.as_deref(), Some("baseUrl"));
    assert!(e.solution.unwrap().contains("baseUrl"));
    assert!(h.emulator.requests().is_empty());
}

//! `check` through the real component against the emulator: the setup checklist per model
//! (on-demand, region, access, lifecycle), the live call, the control-plane requests' signatures
//! and botocore shapes, and that data-plane operations never read the control plane.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use bedrock_emulator::{DEMO_API_KEY, RecordedRequest};
use bedrock_gateway::HostConfig;
use bedrock_gateway::types::*;
use serde_json::json;

const SONNET: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";
const US_SONNET: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const NOVA: &str = "amazon-bedrock|amazon.nova-lite-v1:0";

/// Settings with one language model (no re-ranking model) and, optionally, an account scenario.
fn one_model(h: &Harness, model: &str, scenario: Option<&str>) -> String {
    let mut extra = json!({"languageModel": model, "rerankingModel": null});
    if let Some(s) = scenario {
        extra["headers"] = json!({"x-emulator-scenario": s});
    }
    h.settings(extra)
}

fn row<'a>(report: &'a CheckReport, requirement: &str) -> &'a CheckRow {
    report.models[0].rows.iter().find(|r| r.requirement == requirement).unwrap()
}

fn statuses(m: &ModelCheck) -> Vec<(&str, CheckStatus)> {
    m.rows.iter().map(|r| (r.requirement.as_str(), r.status)).collect()
}

fn is_control_plane(r: &RecordedRequest) -> bool {
    r.path.starts_with("/foundation-model") || r.path.starts_with("/inference-profiles")
}

#[tokio::test]
async fn a_bare_profile_only_model_fails_on_demand_with_the_profile_to_use() {
    let h = Harness::start().await;
    let report =
        h.host.check(&one_model(&h, &format!("amazon-bedrock|{SONNET}"), None)).await.unwrap();
    assert_eq!(report.control_plane_endpoint, h.emulator.base_url());
    let m = &report.models[0];
    assert_eq!(
        (m.kind.as_str(), m.setting.as_str(), m.model.as_str()),
        ("language", "languageModel", SONNET)
    );
    use CheckStatus::*;
    assert_eq!(
        statuses(m),
        [
            ("on-demand", Failed),
            ("region", Passed),
            ("access", Passed),
            ("lifecycle", Passed),
            ("live-call", Failed)
        ]
    );
    let on_demand = row(&report, "on-demand");
    assert!(
        on_demand.evidence.contains("inferenceTypesSupported [INFERENCE_PROFILE]"),
        "{}",
        on_demand.evidence
    );
    let fix = on_demand.fix.as_deref().unwrap();
    assert!(fix.contains(&format!("set languageModel to `amazon-bedrock|{US_SONNET}`")), "{fix}");
    assert!(
        fix.contains("routes requests to us-east-1, us-east-2, us-west-1 and us-west-2"),
        "{fix}"
    );
    assert!(on_demand.request_id.is_some());
    let live = row(&report, "live-call");
    assert!(live.evidence.contains("on-demand-unsupported"), "{}", live.evidence);
    assert!(live.latency_ms.is_some());

    // Each control-plane read is a GET in botocore's shape whose signature the emulator verified.
    let reads: Vec<RecordedRequest> =
        h.emulator.requests().into_iter().filter(is_control_plane).collect();
    let paths: Vec<&str> = reads.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/foundation-models/anthropic.claude-sonnet-4-5-20250929-v1%3A0",
            "/foundation-model-availability/anthropic.claude-sonnet-4-5-20250929-v1%3A0",
            "/inference-profiles/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0",
        ]
    );
    for r in &reads {
        assert_eq!(
            (r.method.as_str(), r.status, r.signature_valid),
            ("GET", 200, Some(true)),
            "{r:?}"
        );
        assert_eq!(r.signed_headers, ["host", "x-amz-date"]);
        assert!(r.header("authorization").unwrap().contains("/us-east-1/bedrock/aws4_request"));
        assert!(r.body.is_empty() && r.header("content-type").is_none(), "{r:?}");
    }
}

#[tokio::test]
async fn a_healthy_configuration_passes_every_row_for_every_model() {
    let h = Harness::start().await;
    let settings =
        h.settings(json!({"embeddingModel": "amazon-bedrock|amazon.titan-embed-text-v2:0"}));
    let report = h.host.check(&settings).await.unwrap();
    let kinds: Vec<&str> = report.models.iter().map(|m| m.kind.as_str()).collect();
    assert_eq!(kinds, ["language", "reranking", "embedding"]);
    for m in &report.models {
        let ids: Vec<&str> = m.rows.iter().map(|r| r.requirement.as_str()).collect();
        assert_eq!(ids, ["on-demand", "region", "access", "lifecycle", "live-call"]);
        for r in &m.rows {
            assert_eq!(r.status, CheckStatus::Passed, "{}: {r:?}", m.model);
            assert!(r.fix.is_none() && r.request_id.is_some(), "{r:?}");
        }
        assert!(m.rows[4].latency_ms.is_some());
    }
    assert!(report.models[1].rows[4].evidence.contains("ranked 2 documents"));
    assert!(report.models[2].rows[4].evidence.contains("1 vector(s)"));
    // The reranking model's foundation-model facts were read; no profile was needed.
    let reads: Vec<String> =
        h.emulator.requests().into_iter().filter(is_control_plane).map(|r| r.path).collect();
    assert!(
        reads.contains(&"/foundation-model-availability/cohere.rerank-v3-5%3A0".to_string()),
        "{reads:?}"
    );
    assert!(h.emulator.requests().iter().all(|r| r.signature_valid == Some(true)));
}

#[tokio::test]
async fn a_model_without_access_fails_access_with_the_console_steps() {
    let h = Harness::start().await;
    let report = h.host.check(&one_model(&h, NOVA, Some("no-access"))).await.unwrap();
    let access = row(&report, "access");
    assert_eq!(access.status, CheckStatus::Failed);
    assert!(access.evidence.contains("authorizationStatus NOT_AUTHORIZED"), "{}", access.evidence);
    let fix = access.fix.as_deref().unwrap();
    assert!(
        fix.contains("Amazon Bedrock in us-east-1 -> Model access -> Modify model access"),
        "{fix}"
    );
    assert!(fix.contains("\"Access granted\""), "{fix}");
    let live = row(&report, "live-call");
    assert_eq!(live.status, CheckStatus::Failed);
    assert!(live.evidence.contains("access-denied"), "{}", live.evidence);
}

#[tokio::test]
async fn a_pending_marketplace_agreement_gets_its_row_and_fix() {
    let h = Harness::start().await;
    let report = h.host.check(&one_model(&h, NOVA, Some("agreement-pending"))).await.unwrap();
    let access = row(&report, "access");
    assert_eq!(access.status, CheckStatus::Failed);
    assert!(access.evidence.contains("agreementAvailability PENDING"), "{}", access.evidence);
    assert!(access.fix.as_deref().unwrap().contains("within 15 minutes"));
    assert_eq!(row(&report, "region").status, CheckStatus::Passed);
}

#[tokio::test]
async fn a_region_without_the_model_names_a_profile_or_another_region() {
    let h = Harness::start().await;
    // Amazon Rerank 1.0 is not offered in us-east-1 (no scenario needed).
    let settings = h.settings(
        json!({"languageModel": null, "rerankingModel": "amazon-bedrock|amazon.rerank-v1:0"}),
    );
    let report = h.host.check(&settings).await.unwrap();
    assert_eq!(report.models[0].kind, "reranking");
    let region = row(&report, "region");
    assert_eq!(region.status, CheckStatus::Failed);
    assert!(region.evidence.contains("regionAvailability NOT_AVAILABLE"), "{}", region.evidence);
    let fix = region.fix.as_deref().unwrap();
    assert!(fix.contains("e.g. us-west-2") && fix.contains("rerankingModel"), "{fix}");

    // A chat model missing from the region: its inference profile still reaches it.
    let report = h.host.check(&one_model(&h, NOVA, Some("region-unavailable"))).await.unwrap();
    let region = row(&report, "region");
    assert_eq!(region.status, CheckStatus::Failed);
    let fix = region.fix.as_deref().unwrap();
    assert!(fix.contains("`amazon-bedrock|us.amazon.nova-lite-v1:0`"), "{fix}");
    assert!(
        fix.contains("set region to a region where the model is offered, e.g. us-east-2"),
        "{fix}"
    );
}

#[tokio::test]
async fn a_legacy_model_names_its_successor() {
    let h = Harness::start().await;
    let legacy = "amazon-bedrock|anthropic.claude-3-5-sonnet-20240620-v1:0";
    let report = h.host.check(&one_model(&h, legacy, None)).await.unwrap();
    let lifecycle = row(&report, "lifecycle");
    assert_eq!(lifecycle.status, CheckStatus::Failed);
    assert!(
        lifecycle.evidence.contains("modelLifecycle LEGACY (legacy since 2025-08-04"),
        "{}",
        lifecycle.evidence
    );
    let fix = lifecycle.fix.as_deref().unwrap();
    assert!(fix.contains(&format!("successor `{SONNET}` before 2026-03-01")), "{fix}");
    assert!(fix.contains(&format!("`amazon-bedrock|{US_SONNET}`")), "{fix}");
    // A legacy model still answers until its end of life.
    assert_eq!(row(&report, "live-call").status, CheckStatus::Passed);
}

#[tokio::test]
async fn control_plane_access_denied_is_unknown_with_the_missing_action() {
    let h = Harness::start().await;
    let report =
        h.host.check(&one_model(&h, NOVA, Some("availability-access-denied"))).await.unwrap();
    for requirement in ["region", "access"] {
        let r = row(&report, requirement);
        assert_eq!(r.status, CheckStatus::Unknown, "{r:?}");
        assert!(
            r.fix.as_deref().unwrap().contains("Allow `bedrock:GetFoundationModelAvailability`"),
            "{r:?}"
        );
    }
    assert_eq!(row(&report, "on-demand").status, CheckStatus::Passed);
    assert_eq!(row(&report, "lifecycle").status, CheckStatus::Passed);

    let report =
        h.host.check(&one_model(&h, NOVA, Some("control-plane-access-denied"))).await.unwrap();
    let on_demand = row(&report, "on-demand");
    assert_eq!(on_demand.status, CheckStatus::Unknown);
    assert!(
        on_demand.fix.as_deref().unwrap().contains("`bedrock:GetFoundationModel`"),
        "{on_demand:?}"
    );
    // Unknown rows do not fail the model: the live call decides.
    assert_eq!(row(&report, "live-call").status, CheckStatus::Passed);
    assert!(report.models[0].rows.iter().all(|r| r.status != CheckStatus::Failed));
}

#[tokio::test]
async fn an_api_key_makes_the_live_calls_and_says_what_it_cannot_check() {
    let h = Harness::start().await;
    let settings =
        h.settings(json!({"accessKeyId": null, "secretAccessKey": null, "apiKey": DEMO_API_KEY}));
    let report = h.host.check(&settings).await.unwrap();
    for m in &report.models {
        for r in &m.rows[..4] {
            assert_eq!(r.status, CheckStatus::Unknown, "{r:?}");
            assert!(r.evidence.contains("Bedrock API key"), "{r:?}");
        }
        assert_eq!(m.rows[4].status, CheckStatus::Passed, "{:?}", m.rows[4]);
    }
    assert!(report.warnings.iter().any(|w| w.code == "check-api-key"));
    assert!(!h.emulator.requests().iter().any(is_control_plane));
}

#[tokio::test]
async fn data_plane_operations_never_read_the_control_plane() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    h.host.generate(&settings, chat("hi")).await.unwrap();
    let (_, error) = drain(h.host.stream(&settings, chat("hi")).await.unwrap()).await;
    assert!(error.is_none());
    let rerank = RerankRequest {
        model: None,
        query: "capital of France".into(),
        documents: vec![RerankDocument::Text("Paris".into()), RerankDocument::Text("Rome".into())],
        top_n: None,
        provider_options: None,
    };
    h.host.rerank(&settings, rerank).await.unwrap();
    // Even a refusal whose fix names an inference profile is answered without a lookup.
    let e = h
        .host
        .generate(&settings, chat_with(&format!("amazon-bedrock|{SONNET}"), "hi"))
        .await
        .unwrap_err();
    assert!(e.solution.unwrap().contains(US_SONNET));
    let requests = h.emulator.requests();
    assert_eq!(requests.len(), 4);
    assert!(requests.iter().all(|r| r.method == "POST" && !is_control_plane(r)), "{requests:?}");
}

#[tokio::test]
async fn control_plane_reads_go_through_the_hosts_outbound_policy() {
    let h = Harness::with(
        bedrock_emulator::EmulatorConfig::default(),
        HostConfig { allow_base_urls: false, ..HostConfig::default() },
    )
    .await;
    let report = h.host.check(&one_model(&h, NOVA, None)).await.unwrap();
    let on_demand = row(&report, "on-demand");
    assert_eq!(on_demand.status, CheckStatus::Unknown);
    assert!(on_demand.evidence.contains("denied-by-host"), "{}", on_demand.evidence);
    assert!(on_demand.fix.as_deref().unwrap().contains("controlPlaneBaseUrl"));
    assert_eq!(row(&report, "live-call").status, CheckStatus::Failed);
    assert!(h.emulator.requests().is_empty());
}

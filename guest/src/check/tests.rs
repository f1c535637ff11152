//! The checklist: each row's decision from control-plane facts, and whole checks against a mock
//! transport (what goes on the wire, in which order, and that chats never touch the control
//! plane).
#![allow(clippy::unwrap_used)]

use super::*;
use crate::control_plane::Lifecycle;
use crate::transport::mock::{Canned, MockTransport};

const REGION_NAME: &str = "us-east-1";
const SONNET: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";
const US_SONNET: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

fn ctx(role: Role) -> Ctx<'static> {
    Ctx {
        region: REGION_NAME,
        role,
        geo: Some("us"),
        control_plane: "https://bedrock.us-east-1.amazonaws.com",
    }
}

fn got<T>(value: T) -> Option<Read<T>> {
    Some(Read::Got { value, request_id: Some("rid-1".into()) })
}

fn model(types: &[&str], lifecycle: &str) -> FoundationModel {
    FoundationModel {
        model_id: SONNET.into(),
        inference_types: types.iter().map(|t| t.to_string()).collect(),
        lifecycle: Some(Lifecycle {
            status: lifecycle.into(),
            legacy_time: Some("2025-08-04T00:00:00Z".into()),
            public_extended_access_time: None,
            end_of_life_time: Some("2026-03-01T00:00:00Z".into()),
        }),
    }
}

fn availability(auth: &str, entitlement: &str, agreement: &str, region: &str) -> Availability {
    Availability {
        authorization: auth.into(),
        entitlement: entitlement.into(),
        agreement: agreement.into(),
        agreement_error: None,
        region: region.into(),
    }
}

fn healthy() -> Availability {
    availability("AUTHORIZED", "AVAILABLE", "AVAILABLE", "AVAILABLE")
}

fn profile(id: &str, base: &str, regions: &[&str]) -> InferenceProfile {
    InferenceProfile {
        id: id.into(),
        kind: "SYSTEM_DEFINED".into(),
        status: "ACTIVE".into(),
        model_arns: regions
            .iter()
            .map(|r| format!("arn:aws:bedrock:{r}::foundation-model/{base}"))
            .collect(),
    }
}

fn base_facts(base: &str) -> Facts {
    Facts {
        target: Target::Base(base.into()),
        base: Some(base.into()),
        profile: None,
        model: got(model(&["ON_DEMAND"], "ACTIVE")),
        availability: got(healthy()),
        alternatives: None,
    }
}

fn status(row: &CheckRow) -> CheckStatus {
    row.status
}

// ---- row 1: on-demand ----

#[test]
fn on_demand_passes_for_on_demand_models_and_profiles() {
    let f = base_facts("amazon.nova-lite-v1:0");
    let row = rows::on_demand(&f, &ctx(Role::Language));
    assert_eq!(row.status, CheckStatus::Passed);
    assert!(row.evidence.contains("[ON_DEMAND]"), "{}", row.evidence);
    assert_eq!(row.request_id.as_deref(), Some("rid-1"));

    let f = Facts {
        target: Target::Profile { id: US_SONNET.into(), base: Some(SONNET.into()) },
        profile: got(profile(US_SONNET, SONNET, &["us-east-1", "us-east-2", "us-west-2"])),
        model: got(model(&["INFERENCE_PROFILE"], "ACTIVE")),
        ..base_facts(SONNET)
    };
    let row = rows::on_demand(&f, &ctx(Role::Language));
    assert_eq!(row.status, CheckStatus::Passed);
    assert!(row.evidence.contains("us-east-1, us-east-2 and us-west-2"), "{}", row.evidence);
}

#[test]
fn a_profile_only_model_fails_on_demand_with_the_profile_to_use() {
    let f = Facts {
        model: got(model(&["INFERENCE_PROFILE"], "ACTIVE")),
        alternatives: got(vec![
            profile(US_SONNET, SONNET, &["us-east-1", "us-east-2", "us-west-2"]),
            profile(&format!("global.{SONNET}"), SONNET, &[""]),
        ]),
        ..base_facts(SONNET)
    };
    assert!(rows::wants_alternatives(&f, Role::Language));
    let row = rows::on_demand(&f, &ctx(Role::Language));
    assert_eq!(row.status, CheckStatus::Failed);
    assert!(row.evidence.contains("[INFERENCE_PROFILE] (no ON_DEMAND)"), "{}", row.evidence);
    let fix = row.fix.unwrap();
    assert!(fix.contains(&format!("set languageModel to `amazon-bedrock|{US_SONNET}`")), "{fix}");
    assert!(fix.contains("routes requests to us-east-1, us-east-2 and us-west-2"), "{fix}");
    assert!(fix.contains(&format!("`global.{SONNET}`")), "{fix}");
}

#[test]
fn the_profile_fix_falls_back_on_the_regions_geography_when_profiles_cannot_be_read() {
    let f = Facts {
        model: got(model(&["INFERENCE_PROFILE"], "ACTIVE")),
        alternatives: Some(Read::Denied {
            action: "bedrock:ListInferenceProfiles".into(),
            message: "no".into(),
            request_id: None,
        }),
        ..base_facts(SONNET)
    };
    let fix = rows::on_demand(&f, &ctx(Role::Language)).fix.unwrap();
    assert!(fix.contains(&format!("`amazon-bedrock|{US_SONNET}`")), "{fix}");
    assert!(
        fix.contains("not confirmed: the control plane refused `bedrock:ListInferenceProfiles`")
    );
    let none = Facts { alternatives: got(vec![]), ..f.clone() };
    let fix = rows::on_demand(&none, &ctx(Role::Language)).fix.unwrap();
    assert!(fix.contains("No system-defined inference profile"), "{fix}");
    // Re-ranking cannot use a profile; the fix says so instead.
    let fix = rows::on_demand(&f, &ctx(Role::Reranking)).fix.unwrap();
    assert!(fix.contains("rerankingModel") && fix.contains("cohere.rerank-v3-5:0"), "{fix}");
    assert!(!rows::wants_alternatives(&f, Role::Reranking));
}

#[test]
fn provisioned_only_models_and_other_arns() {
    let f = Facts { model: got(model(&["PROVISIONED"], "ACTIVE")), ..base_facts(SONNET) };
    let row = rows::on_demand(&f, &ctx(Role::Language));
    assert_eq!(row.status, CheckStatus::Failed);
    assert!(row.fix.unwrap().contains("Provisioned throughput"));
    let other = Facts {
        target: Target::Other("provisioned-model"),
        base: None,
        profile: None,
        model: None,
        availability: None,
        alternatives: None,
    };
    for row in [
        rows::on_demand(&other, &ctx(Role::Language)),
        rows::region(&other, &ctx(Role::Language)),
        rows::access(&other, &ctx(Role::Language)),
        rows::lifecycle(&other, &ctx(Role::Language)),
    ] {
        assert_eq!(row.status, CheckStatus::Skipped, "{row:?}");
        assert!(row.evidence.contains("provisioned-model ARN"), "{row:?}");
    }
}

// ---- row 2: region ----

#[test]
fn region_not_available_names_a_profile_or_another_region() {
    let f = Facts {
        availability: got(availability("AUTHORIZED", "AVAILABLE", "AVAILABLE", "NOT_AVAILABLE")),
        alternatives: got(vec![profile(
            "us.amazon.nova-lite-v1:0",
            "amazon.nova-lite-v1:0",
            &["us-east-1", "us-west-2"],
        )]),
        ..base_facts("amazon.nova-lite-v1:0")
    };
    let row = rows::region(&f, &ctx(Role::Language));
    assert_eq!(row.status, CheckStatus::Failed);
    assert!(row.evidence.contains("regionAvailability NOT_AVAILABLE"), "{}", row.evidence);
    let fix = row.fix.unwrap();
    assert!(fix.contains("`amazon-bedrock|us.amazon.nova-lite-v1:0`"), "{fix}");
    assert!(
        fix.contains("set region to a region where the model is offered, e.g. us-west-2"),
        "{fix}"
    );

    let rerank = Facts {
        availability: got(availability("AUTHORIZED", "AVAILABLE", "AVAILABLE", "NOT_AVAILABLE")),
        ..base_facts("amazon.rerank-v1:0")
    };
    let fix = rows::region(&rerank, &ctx(Role::Reranking)).fix.unwrap();
    assert!(fix.contains("e.g. us-west-2") && fix.contains("rerankingModel"), "{fix}");
}

#[test]
fn a_profile_of_another_geography_fails_the_region_row() {
    let eu = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0";
    let f = Facts {
        target: Target::Profile { id: eu.into(), base: Some(SONNET.into()) },
        profile: Some(Read::NotFound {
            message: "The inference profile was not found.".into(),
            request_id: None,
        }),
        model: got(model(&["INFERENCE_PROFILE"], "ACTIVE")),
        alternatives: got(vec![profile(US_SONNET, SONNET, &["us-east-1", "us-west-2"])]),
        ..base_facts(SONNET)
    };
    assert!(rows::wants_alternatives(&f, Role::Language));
    let row = rows::region(&f, &ctx(Role::Language));
    assert_eq!(row.status, CheckStatus::Failed);
    let fix = row.fix.unwrap();
    assert!(fix.contains(&format!("`amazon-bedrock|{US_SONNET}`")), "{fix}");
    assert!(fix.contains("region of the `eu` geography"), "{fix}");
    // The model itself is fine for on-demand use through profiles.
    assert_eq!(status(&rows::on_demand(&f, &ctx(Role::Language))), CheckStatus::Passed);
}

// ---- row 3: access ----

#[test]
fn access_rows_for_each_availability_answer() {
    let cases = [
        (
            availability("NOT_AUTHORIZED", "AVAILABLE", "AVAILABLE", "AVAILABLE"),
            "is not granted",
            "Model access -> Modify model access",
        ),
        (
            availability("AUTHORIZED", "NOT_AVAILABLE", "AVAILABLE", "AVAILABLE"),
            "not entitled",
            "Modify model access",
        ),
        (
            availability("AUTHORIZED", "AVAILABLE", "PENDING", "AVAILABLE"),
            "still being created",
            "within 15 minutes",
        ),
        (
            availability("AUTHORIZED", "AVAILABLE", "NOT_AVAILABLE", "AVAILABLE"),
            "no AWS Marketplace agreement",
            "aws-marketplace:Subscribe",
        ),
        (
            availability("AUTHORIZED", "AVAILABLE", "ERROR", "AVAILABLE"),
            "failed",
            "contact AWS Support",
        ),
    ];
    for (a, evidence, fix) in cases {
        let f = Facts { availability: got(a.clone()), ..base_facts(SONNET) };
        let row = rows::access(&f, &ctx(Role::Language));
        assert_eq!(row.status, CheckStatus::Failed, "{a:?}");
        assert!(row.evidence.contains(evidence), "{a:?}: {}", row.evidence);
        let text = row.fix.unwrap();
        assert!(text.contains(fix), "{a:?}: {text}");
    }
    let row = rows::access(&base_facts(SONNET), &ctx(Role::Language));
    assert_eq!(row.status, CheckStatus::Passed);
    assert!(row.evidence.contains("authorizationStatus AUTHORIZED, entitlementAvailability AVAILABLE, agreementAvailability AVAILABLE"));
}

#[test]
fn console_steps_name_the_region_and_the_profiles_other_regions() {
    let f = Facts {
        target: Target::Profile { id: US_SONNET.into(), base: Some(SONNET.into()) },
        profile: got(profile(US_SONNET, SONNET, &["us-east-1", "us-east-2", "us-west-2"])),
        availability: got(availability("NOT_AUTHORIZED", "AVAILABLE", "AVAILABLE", "AVAILABLE")),
        ..base_facts(SONNET)
    };
    let fix = rows::access(&f, &ctx(Role::Language)).fix.unwrap();
    assert!(
        fix.starts_with("Request access in the AWS console: Amazon Bedrock in us-east-1 -> Model access -> Modify model access"),
        "{fix}"
    );
    assert!(fix.contains("\"Access granted\""), "{fix}");
    assert!(fix.contains("(us-east-2 and us-west-2)"), "{fix}");
}

// ---- row 4: lifecycle ----

#[test]
fn a_legacy_model_names_its_successor_and_the_dates() {
    let legacy = "anthropic.claude-3-5-sonnet-20240620-v1:0";
    let f = Facts { model: got(model(&["ON_DEMAND"], "LEGACY")), ..base_facts(legacy) };
    let row = rows::lifecycle(&f, &ctx(Role::Language));
    assert_eq!(row.status, CheckStatus::Failed);
    assert!(
        row.evidence.contains("LEGACY (legacy since 2025-08-04; end of life 2026-03-01)"),
        "{}",
        row.evidence
    );
    let fix = row.fix.unwrap();
    assert!(fix.contains(&format!("successor `{SONNET}` before 2026-03-01")), "{fix}");
    assert!(fix.contains(&format!("`amazon-bedrock|{US_SONNET}`")), "{fix}");
    // A family without a known successor still gets the way forward.
    let f = Facts { model: got(model(&["ON_DEMAND"], "LEGACY")), ..base_facts("acme.model-v1:0") };
    let fix = rows::lifecycle(&f, &ctx(Role::Language)).fix.unwrap();
    assert!(fix.starts_with("Move to an active model before 2026-03-01"), "{fix}");
    assert_eq!(
        status(&rows::lifecycle(&base_facts(SONNET), &ctx(Role::Language))),
        CheckStatus::Passed
    );
}

// ---- unknown rows ----

#[test]
fn control_plane_access_denied_is_unknown_with_the_missing_action() {
    let denied = Read::Denied {
        action: "bedrock:GetFoundationModelAvailability".into(),
        message: "User: arn:aws:iam::123456789012:user/x is not authorized to perform: bedrock:GetFoundationModelAvailability".into(),
        request_id: Some("rid-d".into()),
    };
    let f = Facts { availability: Some(denied), ..base_facts(SONNET) };
    for row in [rows::region(&f, &ctx(Role::Language)), rows::access(&f, &ctx(Role::Language))] {
        assert_eq!(row.status, CheckStatus::Unknown, "{row:?}");
        assert!(row.evidence.contains("refused GetFoundationModelAvailability (AccessDenied)"));
        assert!(
            row.fix.as_ref().unwrap().contains("Allow `bedrock:GetFoundationModelAvailability`")
        );
        assert_eq!(row.request_id.as_deref(), Some("rid-d"));
    }
    // The rows that rest on GetFoundationModel still decide.
    assert_eq!(status(&rows::on_demand(&f, &ctx(Role::Language))), CheckStatus::Passed);
    assert_eq!(status(&rows::lifecycle(&f, &ctx(Role::Language))), CheckStatus::Passed);
}

#[test]
fn a_host_refusal_names_the_control_plane_setting() {
    let e = ProviderError::from(crate::transport::TransportError::Denied {
        authority: "bedrock.us-east-1.amazonaws.com".into(),
    });
    let f = Facts { model: Some(Read::Failed(e)), ..base_facts(SONNET) };
    let row = rows::on_demand(&f, &ctx(Role::Language));
    assert_eq!(row.status, CheckStatus::Unknown);
    assert!(row.evidence.contains("(denied-by-host)"), "{}", row.evidence);
    assert!(row.fix.unwrap().contains("`controlPlaneBaseUrl`"));
}

#[test]
fn model_strings_map_to_what_the_control_plane_is_asked() {
    let target = |spec: &str| target_of(&crate::model_id::parse_spec(spec).unwrap());
    assert_eq!(target(&format!("amazon-bedrock|{SONNET}")), Target::Base(SONNET.into()));
    assert_eq!(
        target(US_SONNET),
        Target::Profile { id: US_SONNET.into(), base: Some(SONNET.into()) }
    );
    assert_eq!(
        target("arn:aws:bedrock:us-east-1::foundation-model/cohere.rerank-v3-5:0"),
        Target::Base("cohere.rerank-v3-5:0".into())
    );
    let app = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123";
    assert_eq!(target(app), Target::Profile { id: app.into(), base: None });
    assert_eq!(
        target("arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123"),
        Target::Other("provisioned-model")
    );
}

// ---- whole checks through the mock transport ----

const SIGV4: &str = r#"{"region":"us-east-1","accessKeyId":"AKIDEXAMPLE",
  "secretAccessKey":"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  "languageModel":"amazon-bedrock|anthropic.claude-sonnet-4-5-20250929-v1:0",
  "headers":{"X-Custom-Header":"custom-value"}}"#;

fn fm_body(id: &str, types: &str) -> String {
    format!(
        r#"{{"modelDetails":{{"modelArn":"arn:aws:bedrock:us-east-1::foundation-model/{id}","modelId":"{id}","inferenceTypesSupported":{types},"modelLifecycle":{{"status":"ACTIVE"}}}}}}"#
    )
}

fn availability_body(id: &str) -> String {
    format!(
        r#"{{"modelId":"{id}","agreementAvailability":{{"status":"AVAILABLE"}},"authorizationStatus":"AUTHORIZED","entitlementAvailability":"AVAILABLE","regionAvailability":"AVAILABLE"}}"#
    )
}

fn profile_body(id: &str, base: &str) -> String {
    let arns: Vec<String> = ["us-east-1", "us-east-2", "us-west-2"]
        .iter()
        .map(|r| format!(r#"{{"modelArn":"arn:aws:bedrock:{r}::foundation-model/{base}"}}"#))
        .collect();
    format!(
        r#"{{"inferenceProfileName":"US Claude Sonnet 4-5","inferenceProfileArn":"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{id}","inferenceProfileId":"{id}","status":"ACTIVE","type":"SYSTEM_DEFINED","models":[{}]}}"#,
        arns.join(",")
    )
}

fn ok(body: String) -> Canned {
    Canned::json(200, &body).with_header("x-amzn-RequestId", "cp-rid")
}

fn on_demand_error() -> Canned {
    Canned::json(
        400,
        &format!(
            r#"{{"message":"Invocation of model ID {SONNET} with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model."}}"#
        ),
    )
    .with_header("x-amzn-ErrorType", "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/")
}

#[test]
fn a_bare_profile_only_model_is_checked_with_signed_control_plane_gets() {
    let t = MockTransport::new([
        ok(fm_body(SONNET, r#"["INFERENCE_PROFILE"]"#)),
        ok(availability_body(SONNET)),
        ok(profile_body(US_SONNET, SONNET)),
        on_demand_error(),
    ]);
    let report = Client::open(SIGV4).unwrap().check(&t).unwrap();
    assert_eq!(report.control_plane_endpoint, "https://bedrock.us-east-1.amazonaws.com");
    assert_eq!(report.models.len(), 1);
    let m = &report.models[0];
    assert_eq!(
        (m.kind.as_str(), m.setting.as_str(), m.model.as_str()),
        ("language", "languageModel", SONNET)
    );
    let ids: Vec<&str> = m.rows.iter().map(|r| r.requirement.as_str()).collect();
    assert_eq!(ids, [ON_DEMAND, REGION, ACCESS, LIFECYCLE, LIVE_CALL]);
    let statuses: Vec<CheckStatus> = m.rows.iter().map(status).collect();
    use CheckStatus::*;
    assert_eq!(statuses, [Failed, Passed, Passed, Passed, Failed]);
    assert!(m.rows[0].fix.as_ref().unwrap().contains(&format!("amazon-bedrock|{US_SONNET}")));
    assert!(m.rows[4].evidence.contains("on-demand-unsupported"), "{}", m.rows[4].evidence);
    assert!(m.rows[4].latency_ms.is_some());

    let sent = t.sent.borrow();
    let wire: Vec<(&str, &str, &str)> =
        sent.iter().map(|r| (r.method, r.authority.as_str(), r.path.as_str())).collect();
    assert_eq!(
        wire,
        [
            (
                "GET",
                "bedrock.us-east-1.amazonaws.com",
                "/foundation-models/anthropic.claude-sonnet-4-5-20250929-v1%3A0"
            ),
            (
                "GET",
                "bedrock.us-east-1.amazonaws.com",
                "/foundation-model-availability/anthropic.claude-sonnet-4-5-20250929-v1%3A0"
            ),
            (
                "GET",
                "bedrock.us-east-1.amazonaws.com",
                "/inference-profiles/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0"
            ),
            (
                "POST",
                "bedrock-runtime.us-east-1.amazonaws.com",
                "/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse"
            ),
        ]
    );
    for get in &sent[..3] {
        // botocore's shape: no body, no content-type; signed for service bedrock.
        assert!(get.body.is_empty());
        assert_eq!(get.header("content-type"), None);
        assert_eq!(get.header("content-length"), None);
        let auth = get.header("authorization").unwrap();
        assert!(auth.contains("/us-east-1/bedrock/aws4_request"), "{auth}");
        assert!(auth.contains("SignedHeaders=host;x-amz-date,"), "{auth}");
        assert_eq!(get.header("x-custom-header"), Some("custom-value"));
    }
}

#[test]
fn the_profile_list_is_searched_when_the_geo_profile_is_missing() {
    let not_found = Canned::json(404, r#"{"message":"Inference profile not found."}"#).with_header(
        "x-amzn-ErrorType",
        "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazon.bedrock/",
    );
    let page1 = format!(
        r#"{{"inferenceProfileSummaries":[{}],"nextToken":"page/2"}}"#,
        profile_body("us.other.model-v1:0", "other.model-v1:0")
    );
    let page2 = format!(
        r#"{{"inferenceProfileSummaries":[{},{}]}}"#,
        profile_body(&format!("global.{SONNET}"), SONNET),
        profile_body(&format!("apac.{SONNET}"), SONNET)
    );
    let t = MockTransport::new([
        ok(fm_body(SONNET, r#"["INFERENCE_PROFILE"]"#)),
        ok(availability_body(SONNET)),
        not_found,
        ok(page1),
        ok(page2),
        on_demand_error(),
    ]);
    let report = Client::open(SIGV4).unwrap().check(&t).unwrap();
    let fix = report.models[0].rows[0].fix.clone().unwrap();
    // A geography profile before the global one.
    assert!(fix.starts_with(&format!("Use the inference profile `apac.{SONNET}`")), "{fix}");
    let sent = t.sent.borrow();
    assert_eq!(sent[3].path, "/inference-profiles?type=SYSTEM_DEFINED&maxResults=1000");
    assert_eq!(
        sent[4].path,
        "/inference-profiles?type=SYSTEM_DEFINED&maxResults=1000&nextToken=page%2F2"
    );
}

#[test]
fn an_api_key_check_skips_the_control_plane_and_still_makes_the_live_calls() {
    let json = r#"{"region":"us-east-1","apiKey":"ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl",
      "languageModel":"amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0"}"#;
    let t = MockTransport::new([Canned::json(
        200,
        r#"{"output":{"message":{"content":[{"text":"OK"}],"role":"assistant"}},"stopReason":"end_turn","usage":{"inputTokens":5,"outputTokens":1,"totalTokens":6}}"#,
    )]);
    let report = Client::open(json).unwrap().check(&t).unwrap();
    let rows = &report.models[0].rows;
    for row in &rows[..4] {
        assert_eq!(row.status, CheckStatus::Unknown, "{row:?}");
        assert!(row.evidence.contains("Bedrock API key"), "{}", row.evidence);
        assert!(row.fix.as_ref().unwrap().contains("accessKeyId"));
    }
    assert_eq!(rows[4].status, CheckStatus::Passed);
    assert!(rows[4].evidence.contains("\"OK\""), "{}", rows[4].evidence);
    assert!(report.warnings.iter().any(|w| w.code == "check-api-key"));
    let sent = t.sent.borrow();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].authority, "bedrock-runtime.us-east-1.amazonaws.com");
}

#[test]
fn a_re_ranking_model_gets_its_rows_and_a_two_document_live_call() {
    let json = r#"{"region":"us-east-1","accessKeyId":"AKIDEXAMPLE",
      "secretAccessKey":"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
      "rerankingModel":"amazon-bedrock|cohere.rerank-v3-5:0"}"#;
    let t = MockTransport::new([
        ok(fm_body("cohere.rerank-v3-5:0", r#"["ON_DEMAND"]"#)),
        ok(availability_body("cohere.rerank-v3-5:0")),
        ok(r#"{"results":[{"index":1,"relevanceScore":0.93},{"index":0,"relevanceScore":0.02}]}"#
            .into()),
    ]);
    let report = Client::open(json).unwrap().check(&t).unwrap();
    let m = &report.models[0];
    assert_eq!((m.kind.as_str(), m.setting.as_str()), ("reranking", "rerankingModel"));
    assert!(m.rows.iter().all(|r| r.status == CheckStatus::Passed), "{m:?}");
    assert!(m.rows[4].evidence.contains("ranked 2 documents"), "{}", m.rows[4].evidence);
    let sent = t.sent.borrow();
    let body: serde_json::Value = serde_json::from_slice(&sent[2].body).unwrap();
    assert_eq!(body["sources"].as_array().unwrap().len(), 2);
}

#[test]
fn an_embedding_model_gets_its_rows_and_a_one_text_live_call() {
    let json = r#"{"region":"us-east-1","accessKeyId":"AKIDEXAMPLE",
      "secretAccessKey":"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
      "embeddingModel":"amazon-bedrock|amazon.titan-embed-text-v2:0"}"#;
    let t = MockTransport::new([
        ok(fm_body("amazon.titan-embed-text-v2:0", r#"["ON_DEMAND"]"#)),
        ok(availability_body("amazon.titan-embed-text-v2:0")),
        ok(serde_json::json!({"embedding": vec![0.5f32; 1024], "inputTextTokenCount": 7})
            .to_string()),
    ]);
    let report = Client::open(json).unwrap().check(&t).unwrap();
    let m = &report.models[0];
    assert_eq!((m.kind.as_str(), m.setting.as_str()), ("embedding", "embeddingModel"));
    assert!(m.rows.iter().all(|r| r.status == CheckStatus::Passed), "{m:?}");
    assert!(
        m.rows[4].evidence.contains("1 vector(s) of 1024 dimensions"),
        "{}",
        m.rows[4].evidence
    );
    let sent = t.sent.borrow();
    assert_eq!(sent.len(), 3);
    assert!(sent[2].path.ends_with("/invoke"), "{}", sent[2].path);
}

#[test]
fn without_a_model_there_is_nothing_to_check() {
    let json = r#"{"region":"us-east-1","accessKeyId":"AKIDEXAMPLE",
      "secretAccessKey":"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}"#;
    let t = MockTransport::new([]);
    let e = Client::open(json).unwrap().check(&t).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidSettings);
    assert_eq!(e.field.as_deref(), Some("languageModel"));
    assert!(t.sent.borrow().is_empty());
}

#[test]
fn chats_and_streams_never_call_the_control_plane() {
    let text = r#"{"output":{"message":{"content":[{"text":"hi"}],"role":"assistant"}},"stopReason":"end_turn","usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2}}"#;
    let t = MockTransport::new([Canned::json(200, text), on_demand_error(), on_demand_error()]);
    let client = Client::open(SIGV4).unwrap();
    let chat = GenerateRequest {
        messages: vec![Message {
            role: crate::api::Role::User,
            content: vec![ContentPart::Text("hi".into())],
        }],
        ..Default::default()
    };
    client.generate(&t, chat.clone()).unwrap();
    // Even an on-demand refusal, whose fix names a profile, is answered without a lookup.
    let e = client.generate(&t, chat.clone()).unwrap_err();
    assert!(e.solution.unwrap().contains(US_SONNET));
    assert!(client.stream(&t, chat).is_err());
    let sent = t.sent.borrow();
    assert_eq!(sent.len(), 3);
    for request in sent.iter() {
        assert_eq!(request.method, "POST");
        assert_eq!(request.authority, "bedrock-runtime.us-east-1.amazonaws.com");
        assert!(request.path.starts_with("/model/"), "{}", request.path);
    }
}

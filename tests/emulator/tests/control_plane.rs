//! The control plane `check` reads: botocore's request shapes, SigV4 for service `bedrock`, the
//! catalogue's facts, and the account scenarios on both planes.

#![allow(clippy::unwrap_used)]

mod common;

use bedrock_emulator::{Emulator, EmulatorConfig, Scenario, fixtures, sigv4};
use common::*;
use serde_json::Value;

const SONNET: &str = "anthropic.claude-sonnet-4-5-20250929-v1%3A0";

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default()).await.unwrap()
}

async fn get(emu: &Emulator, path: &str, extra: &[(&str, &str)]) -> Resp {
    let mut headers = signed_get(path, control());
    headers.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    send(emu.addr(), "GET", path, &headers, b"").await
}

async fn scenario(emu: &Emulator, path: &str, name: &str) -> Resp {
    get(emu, path, &[("x-emulator-scenario", name)]).await
}

#[test]
fn the_verifier_signs_gets_like_botocore() {
    // botocore 1.43 at 2025-01-15T12:00:00Z with the documentation's example key.
    let vectors = [
        (
            "/foundation-models/anthropic.claude-sonnet-4-5-20250929-v1%3A0",
            "",
            "de7b5946ed658695828463ee2e3f825182ad6a4d58f4af4f80e8546663d2aeb0",
        ),
        (
            "/foundation-model-availability/anthropic.claude-sonnet-4-5-20250929-v1%3A0",
            "",
            "8dd7a028cbb21bbebd7275c03bc6fd7f837ce6b15bb05e505e4fb06d271f1909",
        ),
        (
            "/inference-profiles/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0",
            "",
            "f05f58a1e5944d309936a16d2c679982373e9f9ee625eeb0902cb9ed63e5a1b3",
        ),
        (
            "/inference-profiles",
            "type=SYSTEM_DEFINED&maxResults=1000",
            "3c920ae927018ae20e02f8053132bbab662ab18f1542af99afd5bdef012fc908",
        ),
    ];
    for (raw_path, raw_query, signature) in vectors {
        let headers = vec![("host".to_string(), CONTROL_HOST.to_string())];
        let signed = sigv4::sign(&sigv4::SigningInput {
            method: "GET",
            raw_path,
            raw_query,
            headers: &headers,
            body: b"",
            access_key_id: bedrock_emulator::DEMO_ACCESS_KEY_ID,
            secret_access_key: bedrock_emulator::DEMO_SECRET_ACCESS_KEY,
            session_token: None,
            region: "us-east-1",
            service: "bedrock",
            amz_date: "20250115T120000Z",
        });
        assert_eq!(signed.signature, signature, "{raw_path}?{raw_query}");
    }
}

#[tokio::test]
async fn every_read_verifies_its_signature_and_answers_botocores_shape() {
    let emu = emulator().await;
    let fm = get(&emu, &format!("/foundation-models/{SONNET}"), &[]).await;
    assert_eq!(fm.status, 200, "{}", String::from_utf8_lossy(&fm.body));
    let details = &fm.json()["modelDetails"];
    for member in [
        "modelArn",
        "modelId",
        "modelName",
        "providerName",
        "inferenceTypesSupported",
        "modelLifecycle",
    ] {
        assert!(!details[member].is_null(), "{member}");
    }
    assert_eq!(details["inferenceTypesSupported"], serde_json::json!(["INFERENCE_PROFILE"]));
    assert!(details["modelName"].as_str().unwrap().len() <= 20);

    let availability =
        get(&emu, &format!("/foundation-model-availability/{SONNET}"), &[]).await.json();
    for member in [
        "modelId",
        "agreementAvailability",
        "authorizationStatus",
        "entitlementAvailability",
        "regionAvailability",
    ] {
        assert!(!availability[member].is_null(), "{member}");
    }
    assert_eq!(availability["agreementAvailability"]["status"], "AVAILABLE");

    let profile = get(&emu, &format!("/inference-profiles/us.{SONNET}"), &[]).await.json();
    for member in [
        "inferenceProfileName",
        "inferenceProfileArn",
        "models",
        "inferenceProfileId",
        "status",
        "type",
    ] {
        assert!(!profile[member].is_null(), "{member}");
    }
    assert_eq!(profile["type"], "SYSTEM_DEFINED");

    let list =
        get(&emu, "/inference-profiles?type=SYSTEM_DEFINED&maxResults=1000", &[]).await.json();
    let ids: Vec<&str> = list["inferenceProfileSummaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["inferenceProfileId"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"us.anthropic.claude-sonnet-4-5-20250929-v1:0"), "{ids:?}");
    assert!(ids.contains(&"global.anthropic.claude-sonnet-4-5-20250929-v1:0"), "{ids:?}");
    assert!(!ids.iter().any(|id| id.starts_with("eu.")), "{ids:?}");
    assert!(list.get("nextToken").is_none());

    for r in emu.requests() {
        assert_eq!((r.method.as_str(), r.signature_valid), ("GET", Some(true)), "{r:?}");
        assert_eq!(r.signed_headers, ["host", "x-amz-date"]);
    }
}

#[tokio::test]
async fn signatures_are_checked_query_included() {
    let emu = emulator().await;
    // Signed for the runtime's name instead of the signing name `bedrock`.
    let path = format!("/foundation-models/{SONNET}");
    let headers = signed_get(&path, Signing { service: "bedrock-runtime", ..control() });
    let resp = send(emu.addr(), "GET", &path, &headers, b"").await;
    assert_eq!(resp.status, 403);
    assert!(resp.message().contains("scoped to correct service: 'bedrock'"), "{}", resp.message());
    // A query changed after signing.
    let headers = signed_get("/inference-profiles?type=SYSTEM_DEFINED&maxResults=1000", control());
    let resp = send(
        emu.addr(),
        "GET",
        "/inference-profiles?type=SYSTEM_DEFINED&maxResults=999",
        &headers,
        b"",
    )
    .await;
    assert_eq!(resp.status, 403);
    assert!(resp.message().starts_with("The request signature we calculated does not match"));
    // Scoped to another region than the host's.
    let resp = send(
        emu.addr(),
        "GET",
        &path,
        &signed_get(&path, Signing { region: "us-west-2", ..control() }),
        b"",
    )
    .await;
    assert_eq!(resp.status, 403);
}

#[tokio::test]
async fn request_shapes_follow_botocore() {
    let emu = emulator().await;
    let message = |r: &Resp| (r.status, r.message());
    // `typeEquals` is the member name; on the wire it is `type`.
    let r = get(&emu, "/inference-profiles?typeEquals=SYSTEM_DEFINED", &[]).await;
    assert_eq!(r.status, 400);
    assert!(r.message().contains("travels as 'type'"), "{}", r.message());
    let r = get(&emu, "/inference-profiles?type=ALL", &[]).await;
    assert!(message(&r).1.contains("enum value set: [SYSTEM_DEFINED, APPLICATION]"));
    let r = get(&emu, "/inference-profiles?maxResults=1001", &[]).await;
    assert!(message(&r).1.contains("between 1 and 1000"));
    // Labels must match the model's patterns.
    let r = get(&emu, "/foundation-models/Anthropic.Claude", &[]).await;
    assert_eq!(r.status, 400);
    assert!(r.message().contains("at 'modelIdentifier' failed to satisfy constraint: Member must satisfy regular expression pattern"), "{}", r.message());
    let arn = "arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Fcohere.rerank-v3-5%3A0";
    let r = get(&emu, &format!("/foundation-model-availability/{arn}"), &[]).await;
    assert!(r.message().contains("at 'modelId'"), "{}", r.message());
    // A foundation-model ARN is a valid GetFoundationModel identifier.
    assert_eq!(get(&emu, &format!("/foundation-models/{arn}"), &[]).await.status, 200);
    // No body, no query on the Get operations.
    let path = format!("/foundation-models/{SONNET}");
    let r = get(&emu, &format!("{path}?x=1"), &[]).await;
    assert!(r.message().contains("takes no query parameters"), "{}", r.message());
    let headers = {
        let mut h = signed_get(&path, control());
        h.retain(|(n, _)| n != "authorization");
        let out = sigv4::sign(&sigv4::SigningInput {
            method: "GET",
            raw_path: &path,
            raw_query: "",
            headers: &[("host".to_string(), CONTROL_HOST.to_string())],
            body: b"{}",
            access_key_id: bedrock_emulator::DEMO_ACCESS_KEY_ID,
            secret_access_key: bedrock_emulator::DEMO_SECRET_ACCESS_KEY,
            session_token: None,
            region: "us-east-1",
            service: "bedrock",
            amz_date: h.iter().find(|(n, _)| n == "x-amz-date").unwrap().1.as_str(),
        });
        h.extend(out.headers.into_iter().filter(|(n, _)| n == "authorization"));
        h
    };
    let r = send(emu.addr(), "GET", &path, &headers, b"{}").await;
    assert_eq!(r.status, 400);
    assert!(r.message().contains("takes no request body"), "{}", r.message());
}

#[tokio::test]
async fn routes_belong_to_their_host() {
    let emu = emulator().await;
    // A control-plane read sent to the runtime host, and a chat sent to the control plane.
    let path = format!("/foundation-models/{SONNET}");
    let headers = signed_get(&path, Signing { host: RUNTIME_HOST, ..control() });
    let r = send(emu.addr(), "GET", &path, &headers, b"").await;
    assert_eq!((r.status, r.body.as_slice()), (200, fixtures::UNKNOWN_OPERATION.as_bytes()));
    let headers = signed(PROFILE_PATH, HELLO, Signing { host: CONTROL_HOST, ..Signing::default() });
    let r = send(emu.addr(), "POST", PROFILE_PATH, &headers, HELLO).await;
    assert_eq!((r.status, r.body.as_slice()), (200, fixtures::UNKNOWN_OPERATION.as_bytes()));
}

#[tokio::test]
async fn profiles_page_and_unknown_ones_are_not_found() {
    let emu = emulator().await;
    let mut seen = Vec::new();
    let mut path = "/inference-profiles?type=SYSTEM_DEFINED&maxResults=5".to_string();
    loop {
        let page = get(&emu, &path, &[]).await.json();
        let items = page["inferenceProfileSummaries"].as_array().unwrap().clone();
        assert!(items.len() <= 5);
        seen.extend(
            items.into_iter().map(|p| p["inferenceProfileId"].as_str().unwrap().to_string()),
        );
        match page["nextToken"].as_str() {
            Some(token) => {
                path = format!(
                    "/inference-profiles?type=SYSTEM_DEFINED&maxResults=5&nextToken={token}"
                )
            }
            None => break,
        }
    }
    let all = get(&emu, "/inference-profiles?maxResults=1000", &[]).await.json();
    assert_eq!(seen.len(), all["inferenceProfileSummaries"].as_array().unwrap().len());
    let r = get(&emu, "/inference-profiles?nextToken=bogus", &[]).await;
    assert_eq!(r.status, 400);

    let r = get(&emu, &format!("/inference-profiles/eu.{SONNET}"), &[]).await;
    assert_eq!(r.status, 404);
    assert!(r.header("x-amzn-errortype").unwrap().starts_with("ResourceNotFoundException:"));
    let r = get(&emu, "/foundation-models/acme.unknown-v1%3A0", &[]).await;
    assert_eq!(
        (r.status, r.message().as_str()),
        (400, "The provided model identifier is invalid.")
    );
}

#[tokio::test]
async fn catalogue_facts_need_no_scenario() {
    let emu = emulator().await;
    let legacy = get(&emu, "/foundation-models/anthropic.claude-3-5-sonnet-20240620-v1%3A0", &[])
        .await
        .json();
    let lifecycle = &legacy["modelDetails"]["modelLifecycle"];
    assert_eq!(lifecycle["status"], "LEGACY");
    assert!(lifecycle["endOfLifeTime"].as_str().unwrap().ends_with('Z'));
    let rerank = get(&emu, "/foundation-model-availability/amazon.rerank-v1%3A0", &[]).await.json();
    assert_eq!(rerank["regionAvailability"], "NOT_AVAILABLE");
    let nova = get(&emu, "/foundation-models/amazon.nova-lite-v1%3A0", &[]).await.json();
    assert_eq!(nova["modelDetails"]["inferenceTypesSupported"], serde_json::json!(["ON_DEMAND"]));
}

#[tokio::test]
async fn account_scenarios_show_on_both_planes() {
    let emu = emulator().await;
    let availability = format!("/foundation-model-availability/{SONNET}");
    let converse = |name: &'static str| {
        let mut h = signed(PROFILE_PATH, HELLO, Signing::default());
        h.push(("x-emulator-scenario".into(), name.into()));
        h
    };

    let a = scenario(&emu, &availability, "no-access").await.json();
    assert_eq!(a["authorizationStatus"], "NOT_AUTHORIZED");
    let r = send(emu.addr(), "POST", PROFILE_PATH, &converse("no-access"), HELLO).await;
    assert_eq!(
        (r.status, r.message().as_str()),
        (403, "You don't have access to the model with the specified model ID.")
    );

    let a = scenario(&emu, &availability, "agreement-pending").await.json();
    assert_eq!(a["agreementAvailability"]["status"], "PENDING");
    let r = send(emu.addr(), "POST", PROFILE_PATH, &converse("agreement-pending"), HELLO).await;
    assert!(r.status == 403 && r.message().contains("AWS Marketplace"), "{}", r.message());

    let a = scenario(
        &emu,
        "/foundation-model-availability/amazon.nova-lite-v1%3A0",
        "region-unavailable",
    )
    .await
    .json();
    assert_eq!(a["regionAvailability"], "NOT_AVAILABLE");
    // Bare IDs are refused, inference profiles still route elsewhere.
    let bare = "/model/amazon.nova-lite-v1%3A0/converse";
    let mut h = signed(bare, HELLO, Signing::default());
    h.push(("x-emulator-scenario".into(), "region-unavailable".into()));
    assert_eq!(
        send(emu.addr(), "POST", bare, &h, HELLO).await.message(),
        "The provided model identifier is invalid."
    );
    assert_eq!(
        send(emu.addr(), "POST", PROFILE_PATH, &converse("region-unavailable"), HELLO).await.status,
        200
    );

    let fm = scenario(&emu, "/foundation-models/amazon.nova-lite-v1%3A0", "legacy").await.json();
    assert_eq!(fm["modelDetails"]["modelLifecycle"]["status"], "LEGACY");
    assert_eq!(
        send(emu.addr(), "POST", PROFILE_PATH, &converse("legacy"), HELLO).await.status,
        200
    );

    for path in [
        format!("/foundation-models/{SONNET}"),
        availability.clone(),
        format!("/inference-profiles/us.{SONNET}"),
        "/inference-profiles?type=SYSTEM_DEFINED".into(),
    ] {
        let r = scenario(&emu, &path, "control-plane-access-denied").await;
        assert_eq!(r.status, 403, "{path}");
        assert!(r.header("x-amzn-errortype").unwrap().starts_with("AccessDeniedException:"));
        let body: Value = r.json();
        assert!(
            body["Message"].as_str().unwrap().contains("is not authorized to perform: bedrock:"),
            "{body}"
        );
    }
    assert_eq!(
        send(emu.addr(), "POST", PROFILE_PATH, &converse("control-plane-access-denied"), HELLO)
            .await
            .status,
        200
    );

    let r = scenario(&emu, &availability, "availability-access-denied").await;
    assert!(r.message().contains("bedrock:GetFoundationModelAvailability"), "{}", r.message());
    assert_eq!(
        scenario(&emu, &format!("/foundation-models/{SONNET}"), "availability-access-denied")
            .await
            .status,
        200
    );

    let r = scenario(&emu, &availability, "no-such-scenario").await;
    assert_eq!(r.status, 400);
    for s in Scenario::ALL {
        assert!(r.message().contains(s.name()), "{}", r.message());
    }
}

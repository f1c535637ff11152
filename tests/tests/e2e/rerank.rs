//! Re-ranking through the real component against the emulator, on both wire paths: the agent
//! runtime's Rerank API (SigV4, signature verified) and InvokeModel with the model's native body
//! (API keys). Every document comes back unless top-n says otherwise.
#![allow(clippy::unwrap_used)]

use crate::common::*;
use bedrock_emulator::{DEMO_API_KEY, Emulator, EmulatorConfig, RecordedRequest};
use bedrock_gateway::types::*;
use serde_json::{Value, json};

const QUERY: &str = "What is the capital of France?";
const COHERE: &str = "cohere.rerank-v3-5:0";
const COHERE_INVOKE: &str = "/model/cohere.rerank-v3-5%3A0/invoke";

/// Twelve documents: more than the Rerank API's default of 5 results.
fn twelve() -> Vec<&'static str> {
    vec![
        "Berlin is the capital of Germany.",
        "Bananas are rich in potassium.",
        "Paris is the capital of France.",
        "France borders Spain and Italy.",
        "The Eiffel Tower is in Paris.",
        "What is a capital gain?",
        "Madrid is the capital of Spain.",
        "The Seine flows through the capital.",
        "Lyon is a city in France.",
        "Rust is a programming language.",
        "Is Paris the capital? It is.",
        "Tokyo is large.",
    ]
}

fn request(docs: &[&str], top_n: Option<u32>) -> RerankRequest {
    RerankRequest {
        model: None,
        query: QUERY.into(),
        documents: docs.iter().map(|d| RerankDocument::Text(d.to_string())).collect(),
        top_n,
        provider_options: None,
    }
}

/// Settings that authenticate with the demo API key instead of the key pair.
fn api_key(extra: Value) -> Value {
    let mut base = json!({"accessKeyId": null, "secretAccessKey": null, "apiKey": DEMO_API_KEY});
    merge(&mut base, extra);
    base
}

/// A document as comparable data (the generated type has no `PartialEq`).
fn doc(d: &RerankDocument) -> (&'static str, &str) {
    match d {
        RerankDocument::Text(t) => ("text", t),
        RerankDocument::Json(j) => ("json", j),
    }
}

fn body(request: &RecordedRequest) -> Value {
    serde_json::from_slice(&request.body).unwrap()
}

/// Results are sorted by score, carry the document they point at, and each index appears once.
fn assert_well_ranked(response: &RerankResponse, docs: &[&str]) {
    let scores: Vec<f64> = response.results.iter().map(|r| r.relevance_score).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "not sorted: {scores:?}");
    let mut seen = std::collections::HashSet::new();
    for r in &response.results {
        assert!(seen.insert(r.index), "index {} twice", r.index);
        assert_eq!(doc(&r.document), ("text", docs[r.index as usize]));
    }
    // The emulator scores by the query's words: the exact answer wins.
    assert_eq!(response.results[0].index, 2, "{:?}", response.results);
}

#[tokio::test]
async fn sigv4_reranks_through_the_rerank_api_and_returns_all_twelve() {
    let h = Harness::start().await;
    let docs = twelve();
    let response = h.host.rerank(&h.settings(json!({})), request(&docs, None)).await.unwrap();
    assert_eq!(response.results.len(), 12);
    assert_well_ranked(&response, &docs);
    assert_eq!(response.metadata.model, COHERE);
    assert!(response.metadata.request_id.is_some());

    let sent = h.emulator.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/rerank");
    assert_eq!(sent[0].signature_valid, Some(true));
    let body = body(&sent[0]);
    let config = &body["rerankingConfiguration"]["bedrockRerankingConfiguration"];
    assert_eq!(config["numberOfResults"], 12);
    assert_eq!(
        config["modelConfiguration"]["modelArn"],
        "arn:aws:bedrock:us-east-1::foundation-model/cohere.rerank-v3-5:0"
    );
    assert_eq!(body["queries"][0]["textQuery"]["text"], QUERY);
    assert_eq!(body["sources"].as_array().unwrap().len(), 12);
}

#[tokio::test]
async fn an_api_key_reranks_through_invoke_model_and_returns_all_twelve() {
    let h = Harness::start().await;
    let docs = twelve();
    let settings = h.settings(api_key(json!({})));
    let response = h.host.rerank(&settings, request(&docs, None)).await.unwrap();
    assert_eq!(response.results.len(), 12);
    assert_well_ranked(&response, &docs);
    assert_eq!(response.metadata.model, COHERE);

    let sent = h.emulator.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, COHERE_INVOKE);
    assert_eq!(sent[0].header("authorization"), Some(format!("Bearer {DEMO_API_KEY}").as_str()));
    assert_eq!(sent[0].header("accept"), Some("application/json"));
    let body = body(&sent[0]);
    assert_eq!(body["api_version"], 2);
    assert_eq!(body["top_n"], 12);
    assert_eq!(body["query"], QUERY);
    assert_eq!(body["documents"].as_array().unwrap().len(), 12);
}

#[tokio::test]
async fn both_paths_rank_alike_and_top_n_limits_the_results() {
    let h = Harness::start().await;
    let docs = twelve();
    let sigv4 = h.settings(json!({}));
    let bearer = h.settings(api_key(json!({})));
    let full_a = h.host.rerank(&sigv4, request(&docs, None)).await.unwrap();
    let full_b = h.host.rerank(&bearer, request(&docs, None)).await.unwrap();
    let order = |r: &RerankResponse| r.results.iter().map(|x| x.index).collect::<Vec<_>>();
    assert_eq!(order(&full_a), order(&full_b));

    for settings in [&sigv4, &bearer] {
        let top = h.host.rerank(settings, request(&docs, Some(3))).await.unwrap();
        assert_eq!(top.results.len(), 3);
        assert_eq!(order(&top), order(&full_a)[..3]);
        assert_well_ranked(&top, &docs);
    }
    // A top-n above the number of documents asks for them all.
    let all = h.host.rerank(&sigv4, request(&docs, Some(50))).await.unwrap();
    assert_eq!(all.results.len(), 12);

    let sent = h.emulator.requests();
    let limits: Vec<Value> = sent[2..]
        .iter()
        .map(|r| {
            let b = body(r);
            if r.path == "/rerank" {
                b["rerankingConfiguration"]["bedrockRerankingConfiguration"]["numberOfResults"]
                    .clone()
            } else {
                b["top_n"].clone()
            }
        })
        .collect();
    assert_eq!(limits, [json!(3), json!(3), json!(12)]);
}

#[tokio::test]
async fn the_rerank_api_setting_overrides_the_choice() {
    let h = Harness::start().await;
    let docs = ["Paris is the capital of France.", "Bananas."];
    let cases = [
        (json!({"rerankApi": "invoke-model"}), COHERE_INVOKE, Some(true)),
        (json!({"rerankApi": "rerank"}), "/rerank", Some(true)),
        (api_key(json!({"rerankApi": "invoke-model"})), COHERE_INVOKE, None),
        (json!({"rerankApi": ""}), "/rerank", Some(true)),
    ];
    for (extra, path, signed) in cases {
        h.emulator.clear_requests();
        let response = h.host.rerank(&h.settings(extra.clone()), request(&docs, None)).await;
        assert_eq!(response.unwrap().results.len(), 2, "{extra}");
        let sent = h.emulator.requests();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].path, path, "{extra}");
        assert_eq!(sent[0].signature_valid, signed, "{extra}");
    }

    // The Rerank API does not take API keys: refused with the setting named, nothing sent.
    h.emulator.clear_requests();
    let settings = h.settings(api_key(json!({"rerankApi": "rerank"})));
    let e = h.host.rerank(&settings, request(&docs, None)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidSettings);
    assert_eq!(e.field.as_deref(), Some("rerankApi"));
    assert!(e.solution.unwrap().contains("invoke-model"));
    assert!(h.emulator.requests().is_empty());
}

#[tokio::test]
async fn amazon_rerank_works_in_us_west_2_on_both_paths() {
    let h = Harness::start().await;
    let docs = twelve();
    let west =
        json!({"region": "us-west-2", "rerankingModel": "amazon-bedrock|amazon.rerank-v1:0"});

    let mut invoke = west.clone();
    merge(&mut invoke, json!({"rerankApi": "invoke-model"}));
    let response = h.host.rerank(&h.settings(invoke), request(&docs, None)).await.unwrap();
    assert_eq!(response.results.len(), 12);
    assert_well_ranked(&response, &docs);
    assert_eq!(response.metadata.model, "amazon.rerank-v1:0");
    let sent = h.emulator.requests().pop().unwrap();
    assert_eq!(sent.path, "/model/amazon.rerank-v1%3A0/invoke");
    assert_eq!(sent.signature_valid, Some(true));
    let b = body(&sent);
    assert!(b.get("api_version").is_none(), "Amazon Rerank refuses api_version: {b}");
    assert_eq!(b["top_n"], 12);

    let response = h.host.rerank(&h.settings(west), request(&docs, Some(4))).await.unwrap();
    assert_eq!(response.results.len(), 4);
    let sent = h.emulator.requests().pop().unwrap();
    assert_eq!(sent.path, "/rerank");
    assert_eq!(
        body(&sent)["rerankingConfiguration"]["bedrockRerankingConfiguration"]["modelConfiguration"]
            ["modelArn"],
        "arn:aws:bedrock:us-west-2::foundation-model/amazon.rerank-v1:0"
    );
}

#[tokio::test]
async fn amazon_rerank_is_refused_in_us_east_1_as_a_region_problem() {
    let h = Harness::start().await;
    let model = json!({"rerankingModel": "amazon-bedrock|amazon.rerank-v1:0", "maxAttempts": 1});
    let mut invoke = model.clone();
    merge(&mut invoke, json!({"rerankApi": "invoke-model"}));
    for extra in
        [model, invoke, api_key(json!({"rerankingModel": "amazon-bedrock|amazon.rerank-v1:0"}))]
    {
        let e =
            h.host.rerank(&h.settings(extra.clone()), request(&twelve(), None)).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::RegionUnsupported, "{extra}: {e:?}");
        assert_eq!(e.status, Some(400), "{extra}");
        let solution = e.solution.unwrap();
        assert!(solution.contains("us-west-2"), "{extra}: {solution}");
        assert!(solution.contains("cohere.rerank-v3-5:0"), "{extra}: {solution}");
    }
}

#[tokio::test]
async fn json_documents_travel_as_json_on_the_rerank_api() {
    let h = Harness::start().await;
    let documents = vec![
        RerankDocument::Json(
            json!({"title": "Germany", "text": "Berlin is the capital of Germany."}).to_string(),
        ),
        RerankDocument::Json(
            json!({"title": "France", "text": "Paris is the capital of France."}).to_string(),
        ),
        RerankDocument::Text("Bananas are yellow.".into()),
    ];
    let req = RerankRequest { documents: documents.clone(), ..request(&[], None) };
    let response = h.host.rerank(&h.settings(json!({})), req.clone()).await.unwrap();
    assert_eq!(response.results.len(), 3);
    assert_eq!(response.results[0].index, 1);
    for r in &response.results {
        assert_eq!(doc(&r.document), doc(&documents[r.index as usize]));
    }
    let sent = body(&h.emulator.requests()[0]);
    assert_eq!(
        sent["sources"][1],
        json!({"type": "INLINE", "inlineDocumentSource": {"type": "JSON", "jsonDocument": {"title": "France", "text": "Paris is the capital of France."}}})
    );
    assert_eq!(sent["sources"][2]["inlineDocumentSource"]["type"], "TEXT");
    assert!(response.warnings.is_empty(), "{:?}", response.warnings);

    // InvokeModel ranks strings: the JSON goes as its text, with a warning.
    let response = h.host.rerank(&h.settings(api_key(json!({}))), req).await.unwrap();
    assert_eq!(response.results[0].index, 1);
    assert_eq!(doc(&response.results[0].document), doc(&documents[1]));
    assert!(response.warnings.iter().any(|w| w.code == "json-documents-as-text"));
}

#[tokio::test]
async fn limits_are_refused_before_sending() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let many: Vec<&str> = vec!["a document"; 1001];
    let long = "x".repeat(32_001);
    let cases: Vec<(RerankRequest, &str)> = vec![
        (request(&many, None), "documents"),
        (request(&[], None), "documents"),
        (RerankRequest { query: "  ".into(), ..request(&["d"], None) }, "query"),
        (RerankRequest { query: long.clone(), ..request(&["d"], None) }, "query"),
        (request(&["fine", &long], None), "documents[1]"),
        (request(&["fine", " "], None), "documents[1]"),
        (
            RerankRequest {
                documents: vec![RerankDocument::Json("[1, 2]".into())],
                ..request(&[], None)
            },
            "documents[0]",
        ),
        (request(&["d"], Some(0)), "topN"),
    ];
    for (req, field) in cases {
        let e = h.host.rerank(&settings, req).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest, "{field}: {e:?}");
        assert_eq!(e.field.as_deref(), Some(field), "{e:?}");
    }
    // 1000 documents are within the limit.
    let thousand: Vec<&str> = vec!["a document"; 1000];
    let response = h.host.rerank(&settings, request(&thousand, None)).await.unwrap();
    assert_eq!(response.results.len(), 1000);
    assert_eq!(h.emulator.requests().len(), 1, "only the valid request was sent");
}

/// The kind, and the setting named, for each rerank fault.
fn rerank_fault(name: &str) -> (ErrorKind, Option<&'static str>, bool) {
    use ErrorKind as K;
    match name {
        "rerank-invalid-arn" => (K::ModelNotFound, Some("rerankingModel"), false),
        "rerank-region" => (K::RegionUnsupported, Some("region"), false),
        "rerank-access-denied" => (K::AccessDenied, Some("rerankingModel"), false),
        "rerank-conflict" => (K::InvalidRequest, None, false),
        "rerank-dependency-failed" | "rerank-bad-gateway" => (K::ServiceUnavailable, None, true),
        "rerank-internal" => (K::Internal, None, true),
        "rerank-throttling" => (K::Throttled, None, true),
        "rerank-quota" => (K::QuotaExceeded, None, false),
        "rerank-not-found" => (K::ModelNotFound, Some("rerankingModel"), false),
        "cohere-api-version" | "amazon-rerank-api-version" => (K::InvalidRequest, None, false),
        other => panic!("not a rerank fault: {other}"),
    }
}

#[tokio::test]
async fn rerank_faults_map_to_sensible_kinds_on_both_paths() {
    let h = Harness::start().await;
    let names = [
        "rerank-invalid-arn",
        "rerank-region",
        "rerank-access-denied",
        "rerank-conflict",
        "rerank-dependency-failed",
        "rerank-bad-gateway",
        "rerank-internal",
        "rerank-throttling",
        "rerank-quota",
        "rerank-not-found",
        "cohere-api-version",
        "amazon-rerank-api-version",
    ];
    for name in names {
        let (kind, field, retryable) = rerank_fault(name);
        let headers = json!({"maxAttempts": 1, "headers": {"x-emulator-fault": name}});
        for settings in [h.settings(headers.clone()), h.settings(api_key(headers.clone()))] {
            let e = h.host.rerank(&settings, request(&twelve(), None)).await.unwrap_err();
            let path = h.emulator.requests().pop().unwrap().path;
            assert_eq!(e.kind, kind, "{name} via {path}: {e:?}");
            assert_eq!(e.field.as_deref(), field, "{name} via {path}: {e:?}");
            assert_eq!(e.retryable, retryable, "{name} via {path}");
            assert!(e.request_id.is_some(), "{name} via {path}");
            assert!(e.cause.as_deref().is_some_and(|c| !c.is_empty()), "{name}");
            assert!(e.solution.as_deref().is_some_and(|s| !s.is_empty()), "{name}");
        }
    }
    // Retryable rerank faults are retried like chat.
    h.emulator.clear_requests();
    let settings =
        h.settings(json!({"maxAttempts": 2, "headers": {"x-emulator-fault": "rerank-throttling"}}));
    let e = h.host.rerank(&settings, request(&twelve(), None)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Throttled);
    assert_eq!(h.emulator.requests().len(), 2);
}

#[tokio::test]
async fn the_reasons_read_well() {
    let h = Harness::start().await;
    let fault =
        |name: &str| h.settings(json!({"maxAttempts": 1, "headers": {"x-emulator-fault": name}}));
    let e = h.host.rerank(&fault("rerank-internal"), request(&["d"], None)).await.unwrap_err();
    assert!(e.cause.unwrap().contains("BEDROCK_MODEL_INVOCATION_SERVICE_UNAVAILABLE"));
    let e = h.host.rerank(&fault("rerank-invalid-arn"), request(&["d"], None)).await.unwrap_err();
    assert!(e.solution.unwrap().contains("arn:aws:bedrock:us-east-1::foundation-model/"));
    let e = h.host.rerank(&fault("no-model-access"), request(&["d"], None)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::AccessDenied);
    assert_eq!(e.field.as_deref(), Some("rerankingModel"));
    let e = h
        .host
        .rerank(
            &h.settings(api_key(
                json!({"maxAttempts": 1, "headers": {"x-emulator-fault": "no-model-access"}}),
            )),
            request(&["d"], None),
        )
        .await
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("rerankingModel"), "InvokeModel is a rerank call too");
}

#[tokio::test]
async fn the_agent_runtime_base_url_takes_the_rerank_calls() {
    let h = Harness::start().await;
    let runtime = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let settings = h.settings(json!({
        "baseUrl": runtime.base_url(),
        "agentRuntimeBaseUrl": h.emulator.base_url(),
    }));
    // The Rerank API goes to the agent runtime URL, and the host's policy lets it through.
    let response = h.host.rerank(&settings, request(&twelve(), None)).await.unwrap();
    assert_eq!(response.results.len(), 12);
    let agent = h.emulator.requests();
    assert_eq!(agent.len(), 1);
    assert_eq!(agent[0].path, "/rerank");
    assert_eq!(agent[0].signature_valid, Some(true));
    assert!(runtime.requests().is_empty());

    // Chat (and InvokeModel) go to the runtime URL.
    h.host.generate(&settings, chat("hi")).await.unwrap();
    let mut invoke = serde_json::from_str::<Value>(&settings).unwrap();
    merge(&mut invoke, json!({"rerankApi": "invoke-model"}));
    h.host.rerank(&invoke.to_string(), request(&twelve(), None)).await.unwrap();
    let paths: Vec<String> = runtime.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        ["/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse", COHERE_INVOKE]
    );
    assert_eq!(h.emulator.requests().len(), 1);

    // An agent runtime URL the policy cannot allow is refused before anything is sent.
    let bad = h.settings(json!({"agentRuntimeBaseUrl": "http://agents.example.com"}));
    let e = h.host.rerank(&bad, request(&["d"], None)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidSettings, "{e:?}");
    assert_eq!(e.field.as_deref(), Some("agentRuntimeBaseUrl"));
}

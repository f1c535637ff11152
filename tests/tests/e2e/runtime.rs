//! The runtime's own guarantees, through the real Bedrock component and the misbehaving test
//! component: fresh sandboxes, limits, batching, in-memory upstreams, manifests and versions.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bedrock_gateway::bundled_component;
use gateway_bench::{CONVERSE_TEXT_FIXTURE, converse_stream_fixture};
use provider_runtime::outbound::InMemoryUpstream;
use provider_runtime::types::*;
use provider_runtime::{Host, HostConfig, Manifest};
use serde_json::Value;

const MIB: usize = 1024 * 1024;

fn config() -> HostConfig {
    HostConfig {
        cache_dir: Some(std::env::temp_dir().join("bedrock-gateway-test-cache")),
        max_concurrent_calls: 64,
        ..HostConfig::default()
    }
}

fn host_of(component: &[u8], config: HostConfig) -> Host {
    Host::load(component, config).unwrap()
}

fn host(config: HostConfig) -> Host {
    Host::load(bundled_component(), config).unwrap()
}

/// Settings any version of the component accepts, pointing at a closed loopback port so
/// that nothing leaves the machine.
fn settings() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    serde_json::json!({
        "region": "us-east-1",
        "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
        "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "baseUrl": format!("http://127.0.0.1:{port}"),
        "languageModel": "amazon-bedrock|amazon.nova-lite-v1:0",
    })
    .to_string()
}

fn request(prompt: String) -> GenerateRequest {
    let mut request = GenerateRequest::new(vec![
        Message::text(Role::System, "Be brief."),
        Message::text(Role::User, prompt),
    ]);
    request.settings.max_tokens = Some(16);
    request.settings.temperature = Some(0.5);
    request.settings.stop_sequences = vec!["END".into()];
    request.tools = vec![ToolDefinition {
        name: "get_weather".into(),
        description: Some("Weather by city".into()),
        input_schema_json: r#"{"type":"object"}"#.into(),
        cache_point: None,
    }];
    request.tool_choice = Some(ToolChoice::Tool("get_weather".into()));
    request.provider_options = Some("{}".into());
    request
}

/// The error was produced by the component (lifted through the boundary), not by the host.
/// The stub client answers `unsupported`; the real one, without a server, `network`.
fn assert_from_component(e: &ProviderError) {
    assert!(
        matches!(e.kind, ErrorKind::Unsupported | ErrorKind::Network),
        "not the component's own error: {e:?}"
    );
    assert!(!e.message.is_empty());
    assert!(!e.message.contains("provider component"), "{e:?}");
}

#[tokio::test]
async fn settings_schema_is_a_json_object() {
    let schema = host(config()).settings_schema().await.unwrap();
    let value: Value = serde_json::from_str(&schema).unwrap();
    assert!(value.is_object(), "{schema}");
}

#[tokio::test]
async fn every_operation_returns_the_components_errors() {
    let host = host(config());
    let settings = settings();
    let started = Instant::now();
    let e = host.generate(&settings, request("Hello".into())).await.unwrap_err();
    eprintln!("instantiate + open + generate: {:?}", started.elapsed());
    assert_from_component(&e);
    match host.check(&settings).await {
        Err(e) => assert_from_component(&e),
        // The real component reports an unreachable upstream in the check's rows.
        Ok(report) => {
            let live = report.models[0].rows.last().unwrap();
            assert_eq!(live.status, CheckStatus::Failed, "{live:?}");
            assert!(live.evidence.contains("(network)"), "{live:?}");
        }
    }
    assert_from_component(&host.stream(&settings, request("Hi".into())).await.unwrap_err());
    let rerank = RerankRequest {
        model: Some("amazon-bedrock|cohere.rerank-v3-5:0".into()),
        query: "capital".into(),
        documents: vec![RerankDocument::Text("Paris".into()), RerankDocument::Json("{}".into())],
        top_n: Some(1),
        provider_options: None,
    };
    assert_from_component(&host.rerank(&settings, rerank).await.unwrap_err());

    // Warm calls: a fresh instance each time, from the pool.
    let started = Instant::now();
    for _ in 0..20 {
        assert_from_component(&host.generate(&settings, request("Hi".into())).await.unwrap_err());
    }
    eprintln!("warm instantiate + open + generate: {:?} per call", started.elapsed() / 20);
}

/// What the recording upstream saw: URI, `authorization`, body.
type Seen = Arc<std::sync::Mutex<Vec<(String, String, Vec<u8>)>>>;

/// An in-memory upstream answering Converse with the spec's §15.1 text fixture and
/// recording what it was sent.
fn recording_upstream(seen: Seen) -> InMemoryUpstream {
    Arc::new(move |parts: &http::request::Parts, body: &[u8]| {
        let authorization = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        seen.lock().unwrap().push((parts.uri.to_string(), authorization, body.to_vec()));
        http::Response::builder()
            .header("content-type", "application/json")
            .header("x-amzn-requestid", "req-1")
            .body(bytes::Bytes::from_static(CONVERSE_TEXT_FIXTURE.as_bytes()))
            .unwrap()
    })
}

#[tokio::test]
async fn in_memory_upstream_answers_instead_of_the_network() {
    let seen = Seen::default();
    let host =
        Host::load_with_upstream(bundled_component(), config(), recording_upstream(seen.clone()))
            .unwrap();
    // No baseUrl: the request goes to the real regional endpoint, which the policy allows
    // and the upstream answers without any network.
    let settings = serde_json::json!({
        "region": "us-east-1",
        "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
        "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "languageModel": "amazon-bedrock|amazon.nova-lite-v1:0",
    })
    .to_string();
    let answer = host.generate(&settings, request("Hello".into())).await.unwrap();
    assert!(answer.text.starts_with("Let me count the \"r\"s"), "{}", answer.text);
    assert_eq!(answer.usage.total_tokens, 79);
    assert_eq!(answer.metadata.request_id.as_deref(), Some("req-1"));

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let (uri, authorization, body) = &seen[0];
    assert_eq!(
        uri,
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.nova-lite-v1%3A0/converse"
    );
    assert!(authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/"));
    let body: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(body.pointer("/messages/0/content/0/text"), Some(&Value::from("Hello")));
}

/// An in-memory upstream answering ConverseStream with the recorded TV-4 body.
fn stream_upstream() -> InMemoryUpstream {
    Arc::new(|_: &http::request::Parts, _: &[u8]| {
        http::Response::builder()
            .header("content-type", "application/vnd.amazon.eventstream")
            .header("x-amzn-requestid", "req-2")
            .body(converse_stream_fixture())
            .unwrap()
    })
}

fn stream_settings() -> String {
    serde_json::json!({
        "region": "us-east-1",
        "apiKey": "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl",
        "languageModel": "amazon-bedrock|amazon.nova-lite-v1:0",
    })
    .to_string()
}

#[tokio::test]
async fn stream_parts_come_in_batches_and_one_at_a_time() {
    let host = Host::load_with_upstream(bundled_component(), config(), stream_upstream()).unwrap();
    let mut stream = host.stream(&stream_settings(), request("Hi".into())).await.unwrap();
    let Some(StreamPart::Start(metadata)) = stream.next().await.unwrap() else {
        panic!("the first part is `start`");
    };
    assert_eq!(metadata.request_id.as_deref(), Some("req-2"));
    assert_eq!(stream.buffered_len(), 0, "`start` comes alone: no body was read for it");
    let Some(StreamPart::TextDelta(delta)) = stream.next().await.unwrap() else {
        panic!("then the text");
    };
    assert_eq!(delta.text, "OK");
    // The whole recording arrived in one read, but the first text comes alone: the rest is
    // decoded by later, larger batches.
    assert_eq!(stream.buffered_len(), 0, "{stream:?}");
    let Some(StreamPart::TextDelta(delta)) = stream.next().await.unwrap() else {
        panic!("then more text");
    };
    assert_eq!(delta.text, ".");
    assert_eq!(stream.buffered_len(), 1, "a batch of 2: {stream:?}");
    let mut rest = Vec::new();
    while let Some(part) = stream.next().await.unwrap() {
        rest.push(part);
    }
    assert!(matches!(&rest[0], StreamPart::Finish(f) if f.raw == "end_turn"), "{rest:?}");
    assert!(matches!(&rest[1], StreamPart::Usage(u) if u.total_tokens == 17), "{rest:?}");
    assert_eq!(rest.len(), 2);
    assert!(!stream.is_open(), "the sandbox is released at the end");
    assert!(stream.next().await.unwrap().is_none());
}

#[tokio::test]
async fn the_call_deadline_covers_buffered_parts() {
    let host = Host::load_with_upstream(bundled_component(), config(), stream_upstream()).unwrap();
    let mut stream = host.stream(&stream_settings(), request("Hi".into())).await.unwrap();
    for _ in 0..3 {
        stream.next().await.unwrap();
    }
    assert!(stream.buffered_len() > 0);
    stream.expire_now();
    let e = stream.next().await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout, "{e:?}");
    assert!(!stream.is_open() && stream.buffered_len() == 0, "{stream:?}");
    assert!(stream.next().await.unwrap().is_none(), "a failed stream stays closed");
}

#[tokio::test]
async fn in_memory_upstream_answers_are_capped() {
    let seen = Seen::default();
    let config = HostConfig { max_response_bytes: 100, ..config() };
    let host =
        Host::load_with_upstream(bundled_component(), config, recording_upstream(seen)).unwrap();
    let settings = serde_json::json!({
        "region": "us-east-1",
        "apiKey": "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl",
        "languageModel": "amazon-bedrock|amazon.nova-lite-v1:0",
        "maxAttempts": 1,
    })
    .to_string();
    let e = host.generate(&settings, request("Hello".into())).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidResponse, "{e:?}");
    assert!(e.message.contains("larger than the gateway host allows"), "{}", e.message);
}

#[tokio::test]
async fn memory_limit_is_reported_and_the_host_recovers() {
    let host = host(HostConfig { memory_limit_bytes: 4 * MIB, ..config() });
    let settings = settings();
    // Lowering the request copies the prompt into guest memory, past the limit.
    let e = host.generate(&settings, request("x".repeat(8 * MIB))).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Internal, "{e:?}");
    assert_eq!(e.message, "the provider component exceeded its 4 MiB memory limit");
    assert!(!e.retryable);
    // The next call gets a fresh sandbox and works as usual.
    assert_from_component(&host.generate(&settings, request("Hi".into())).await.unwrap_err());
}

#[tokio::test]
async fn call_timeout_is_reported() {
    let host = host(HostConfig { call_timeout: Duration::from_micros(1), ..config() });
    let e = host.generate(&settings(), request("Hi".into())).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout, "{e:?}");
    assert_eq!(e.message, "the provider component exceeded its 0.000001 s time limit");
    assert_eq!(e.field, None, "the host's deadline is the operator's, not a setting");
    assert!(e.retryable);
    let e = host.settings_schema().await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout, "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_each_get_a_sandbox() {
    let host = host(config());
    let settings = settings();
    let calls: Vec<_> = (0..32)
        .map(|i| {
            let (host, settings) = (host.clone(), settings.clone());
            tokio::spawn(async move { host.generate(&settings, request(format!("n{i}"))).await })
        })
        .collect();
    for call in calls {
        assert_from_component(&call.await.unwrap().unwrap_err());
    }
}

#[tokio::test]
async fn a_second_provider_loads_with_its_own_manifest() {
    let host = host_of(bedrock_tests::misbehaving_component(), config());
    assert_eq!(host.manifest().provider(), "misbehaving");
    assert_eq!(host.manifest().settings().secrets, ["token"]);
    // Its own template (`http://127.0.0.1:{port}` from `echoPort`) is what the policy allows:
    // the Bedrock endpoints mean nothing to it.
    let upstream: InMemoryUpstream = Arc::new(|_: &http::request::Parts, _: &[u8]| {
        http::Response::builder().body(bytes::Bytes::from_static(b"echo")).unwrap()
    });
    let host = Host::load_with_upstream(bedrock_tests::misbehaving_component(), config(), upstream)
        .unwrap();
    let allowed =
        r#"{"misbehave": "get", "target": "http://127.0.0.1:4321/x", "echoPort": "4321"}"#;
    let answer = host.generate(allowed, GenerateRequest::prompt("hi")).await;
    assert!(answer.is_ok(), "{answer:?}");
    let denied = r#"{"misbehave": "get", "target": "https://bedrock-runtime.us-east-1.amazonaws.com/", "region": "us-east-1"}"#;
    let e = host.generate(denied, GenerateRequest::prompt("hi")).await.unwrap_err();
    assert!(e.message.contains("HttpRequestDenied"), "{e:?}");
}

#[tokio::test]
async fn components_without_a_manifest_or_contract_are_refused_at_load() {
    let bare = {
        let bytes = bundled_component();
        // The same component with its manifest section renamed.
        let at = bytes.windows(19).rposition(|w| w == b"ai-gateway:manifest").unwrap();
        let mut copy = bytes.to_vec();
        copy[at..at + 19].copy_from_slice(b"ai-gateway:manifesx");
        copy
    };
    let e = Host::load(&bare, config()).unwrap_err().to_string();
    assert!(e.contains("carries no provider manifest"), "{e}");
    // The operator's manifest stands in for a missing one.
    let manifest = Manifest::parse(include_str!("../../../guest/manifest.json")).unwrap();
    let host = Host::load(&bare, HostConfig { manifest: Some(manifest), ..config() }).unwrap();
    assert_eq!(host.manifest().provider(), "amazon-bedrock");

    let empty = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
    let manifest = Manifest::parse(include_str!("../../guests/misbehaving/manifest.json")).unwrap();
    let e = Host::load(&empty, HostConfig { manifest: Some(manifest), ..config() })
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a provider component"), "{e}");
}

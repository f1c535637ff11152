//! Known secret values go through every operation and every error path of the library (the real
//! component in the real host, against the emulator), and none of them comes back out: not in
//! results, errors, `Debug` output or the trace-level log. The command line has the same test
//! in `host/tests/cli_secrets.rs`.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex, OnceLock};

use bedrock_emulator::{Credential, EmulatorConfig, Fault};
use bedrock_gateway::types::*;
use bedrock_gateway::{Host, HostConfig};
use common::*;
use serde_json::{Value, json};

const ACCESS_KEY_ID: &str = "AKIASECRETSTEST00001";
const TEMPORARY_ACCESS_KEY_ID: &str = "ASIASECRETSTEST00002";
const SECRET_ACCESS_KEY: &str = "sEcReT/aCcEsS+kEy9x7Q2w4E6r8T0y1U3i5O7pZ";
const SESSION_TOKEN: &str =
    "IQoJsEsSiOnToKeNb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDvalue==";
const API_KEY: &str = "ABSKc2VjcmV0cy10ZXN0LWFwaS1rZXk6dmFsdWU5ODc2NTQzMjE=";
const HEADER_SECRET: &str = "gw-key-9f8e7d6c5b4a3210fedcba";

/// Every secret used here.
const SECRETS: [&str; 4] = [SECRET_ACCESS_KEY, SESSION_TOKEN, API_KEY, HEADER_SECRET];

/// Fails if `text` contains any 12-character run of a secret: a partial leak is a leak.
/// (Twelve is more than the four characters of an API key that `check` shows on purpose.)
fn assert_no_secret(what: &str, text: &str) {
    for secret in SECRETS {
        for window in secret.as_bytes().windows(12) {
            let window = std::str::from_utf8(window).unwrap();
            assert!(!text.contains(window), "{what} leaks `{window}` of a secret:\n{text}");
        }
    }
}

/// The trace-level log of this test binary, captured in memory.
fn log() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        // The compiler's own trace output is huge and holds no request data.
        let filter = "trace,cranelift_codegen=info,regalloc2=info,wasmtime_cranelift=info";
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(move || LogWriter(sink.clone()))
            .with_ansi(false)
            .try_init();
        buffer
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn assert_log_clean() {
    let text = String::from_utf8_lossy(&log().lock().unwrap()).into_owned();
    assert!(!text.is_empty(), "nothing was logged: the capture is not working");
    assert_no_secret("the trace log", &text);
}

/// An emulator that accepts exactly the secrets above, and a host.
async fn harness(host: HostConfig) -> Harness {
    log();
    let emulator = EmulatorConfig {
        credentials: vec![
            Credential {
                access_key_id: ACCESS_KEY_ID.into(),
                secret_access_key: SECRET_ACCESS_KEY.into(),
                session_token: None,
                expires: None,
            },
            Credential {
                access_key_id: TEMPORARY_ACCESS_KEY_ID.into(),
                secret_access_key: SECRET_ACCESS_KEY.into(),
                session_token: Some(SESSION_TOKEN.into()),
                expires: None,
            },
        ],
        api_keys: vec![API_KEY.into()],
        ..EmulatorConfig::default()
    };
    Harness::with(emulator, host).await
}

/// The three ways to authenticate, each with a secret custom header.
fn auths() -> [(&'static str, Value); 3] {
    let headers = json!({"x-gateway-key": HEADER_SECRET});
    [
        (
            "key pair",
            json!({"accessKeyId": ACCESS_KEY_ID, "secretAccessKey": SECRET_ACCESS_KEY,
                   "headers": headers}),
        ),
        (
            "temporary key pair",
            json!({"accessKeyId": TEMPORARY_ACCESS_KEY_ID, "secretAccessKey": SECRET_ACCESS_KEY,
                   "sessionToken": SESSION_TOKEN, "headers": headers}),
        ),
        (
            "API key",
            json!({"accessKeyId": null, "secretAccessKey": null, "apiKey": API_KEY,
                   "headers": headers}),
        ),
    ]
}

/// Settings for `auth` plus `extra`, pointing at the emulator.
fn settings(h: &Harness, auth: &Value, extra: Value) -> String {
    let mut value: Value = serde_json::from_str(&h.settings(auth.clone())).unwrap();
    let extra_headers = extra.get("headers").cloned();
    merge(&mut value, extra);
    if let Some(Value::Object(more)) = extra_headers {
        // Keep the secret header next to test-only ones.
        let headers = value["headers"].as_object_mut().unwrap();
        headers.insert("x-gateway-key".into(), json!(HEADER_SECRET));
        headers.extend(more);
    }
    value.to_string()
}

fn rerank_request() -> RerankRequest {
    RerankRequest {
        model: None,
        query: "capital of France".into(),
        documents: vec![RerankDocument::Text("Paris".into()), RerankDocument::Text("Rome".into())],
        top_n: Some(1),
        provider_options: None,
    }
}

/// Runs every operation once and returns the `Debug` text of everything that came back.
async fn every_operation(host: &Host, settings: &str) -> String {
    let mut seen = String::new();
    seen += &format!("{:?}\n", host.generate(settings, chat("hi")).await);
    match host.stream(settings, chat("hi")).await {
        Ok(stream) => {
            seen += &format!("{stream:?}\n");
            seen += &format!("{:?}\n", drain(stream).await);
        }
        Err(e) => seen += &format!("{e:?}\n"),
    }
    seen += &format!("{:?}\n", host.rerank(settings, rerank_request()).await);
    seen += &format!("{:?}\n", host.check(settings).await);
    seen
}

#[tokio::test]
async fn successful_calls_never_show_a_secret() {
    let h = harness(HostConfig::default()).await;
    let mut seen = format!("{:?}\n{:?}\n", h.host, h.host.config());
    seen += &format!("{:?}\n", h.host.settings_schema().await);
    for (name, auth) in auths() {
        let settings = settings(&h, &auth, json!({}));
        let out = every_operation(&h.host, &settings).await;
        // The calls worked (the emulator accepted the secrets), so the check below means
        // something.
        assert!(out.contains("GenerateResponse"), "{name}: {out}");
        assert!(out.contains("CheckReport"), "{name}: {out}");
        assert!(out.contains("RerankResponse"), "{name}: {out}");
        seen += &out;
    }
    assert!(h.emulator.requests().iter().any(|r| r.header("x-gateway-key") == Some(HEADER_SECRET)));
    assert_no_secret("results", &seen);
    assert_log_clean();
}

#[tokio::test]
async fn every_injected_fault_is_reported_without_a_secret() {
    let h = harness(HostConfig::default()).await;
    let mut seen = String::new();
    let mut errors = 0;
    for (name, auth) in auths() {
        for fault in Fault::ALL {
            let settings = settings(
                &h,
                &auth,
                json!({"maxAttempts": 1, "headers": {"x-emulator-fault": fault.name()}}),
            );
            let outcome = if fault.is_stream() {
                match h.host.stream(&settings, chat("hi")).await {
                    Ok(stream) => format!("{:?}", drain(stream).await),
                    Err(e) => format!("{e:?}"),
                }
            } else if fault.name().contains("rerank") {
                format!("{:?}", h.host.rerank(&settings, rerank_request()).await)
            } else {
                format!("{:?}", h.host.generate(&settings, chat("hi")).await)
            };
            errors += usize::from(outcome.contains("ProviderError"));
            assert_no_secret(&format!("{name}, fault {}", fault.name()), &outcome);
            seen += &outcome;
        }
    }
    assert!(errors >= 3 * 60, "only {errors} faults produced errors:\n{seen}");
    assert_log_clean();
}

#[tokio::test]
async fn wrong_credentials_are_diagnosed_without_a_secret() {
    let h = harness(HostConfig::default()).await;
    let [_, (_, temporary), (_, api_key)] = auths();

    // A wrong secret with a session token: AWS's answer quotes a canonical string that lists
    // `x-amz-security-token:<token>`, and the diagnosis compares it with ours.
    let wrong_secret = settings(
        &h,
        &temporary,
        json!({"secretAccessKey": "wrong/aCcEsS+kEy9x7Q2w4E6r8T0y1U3i5O7pZ"}),
    );
    let e = h.host.generate(&wrong_secret, chat("hi")).await.unwrap_err();
    assert_eq!(e.code.as_deref(), Some("InvalidSignatureException"), "{e:?}");
    assert!(e.cause.as_deref().unwrap().contains("secret access key"), "{e:?}");
    let quoted = h.emulator.requests().last().map(|r| r.status);
    assert_eq!(quoted, Some(403));
    let mut seen = format!("{e:?}\n");

    // A session token that does not belong to the key.
    let wrong_token =
        settings(&h, &temporary, json!({"sessionToken": "bm90LXRoZS1yaWdodC10b2tlbg=="}));
    seen += &format!("{:?}\n", h.host.generate(&wrong_token, chat("hi")).await.unwrap_err());

    // An API key the service does not know.
    let wrong_key =
        settings(&h, &api_key, json!({"apiKey": "ABSKd3JvbmcteGV5LWZvci10aGlzLXRlc3Q="}));
    seen += &format!("{:?}\n", h.host.generate(&wrong_key, chat("hi")).await.unwrap_err());

    // The secrets themselves, sent with a valid signature but to the wrong model.
    let settings = settings(&h, &temporary, json!({}));
    seen += &format!(
        "{:?}\n",
        h.host.generate(&settings, chat_with("amazon-bedrock|no.such-model-v1:0", "hi")).await
    );

    assert_no_secret("credential errors", &seen);
    assert_log_clean();
}

#[tokio::test]
async fn invalid_settings_never_echo_a_secret() {
    let h = harness(HostConfig::default()).await;
    let [(_, pair), (_, temporary), (_, api_key)] = auths();
    let cases = [
        (&pair, json!({"secretAccessKey": format!("{SECRET_ACCESS_KEY} ")})),
        (&pair, json!({"secretAccessKey": format!("{SECRET_ACCESS_KEY}\u{7}")})),
        (&temporary, json!({"sessionToken": format!("{SESSION_TOKEN}\n")})),
        (&temporary, json!({"sessionToken": format!("{SESSION_TOKEN}\u{e9}")})),
        (&api_key, json!({"apiKey": format!(" {API_KEY}")})),
        (&api_key, json!({"apiKey": format!("{API_KEY}\u{0}")})),
        (&api_key, json!({"secretAccessKey": SECRET_ACCESS_KEY})),
        // The secret pasted into the wrong field, or under a misspelt key.
        (&pair, json!({"accessKeyId": SECRET_ACCESS_KEY})),
        (&pair, json!({"secretAcessKey": SECRET_ACCESS_KEY})),
        (&temporary, json!({"sessionTokn": SESSION_TOKEN})),
        (&api_key, json!({"apikey": API_KEY})),
        // Credentials in a base URL.
        (&pair, json!({"baseUrl": format!("https://user:{SECRET_ACCESS_KEY}@gw.example.com")})),
        (&pair, json!({"baseUrl": format!("https://gw.example.com/?key={API_KEY}")})),
        (&pair, json!({"baseUrl": format!("https://gw.example.com/{API_KEY}/ x")})),
        // A broken secret header.
        (&pair, json!({"headers": {"x-gateway-key": format!("{HEADER_SECRET}\r\n")}})),
        (&pair, json!({"headers": {"x-gateway-key": format!("{HEADER_SECRET}\u{e9}")}})),
        (&pair, json!({"headers": {"Authorization": format!("Bearer {API_KEY}")}})),
        (&pair, json!({"headers": {"x-gateway-key": 5, "X-Gateway-Key": HEADER_SECRET}})),
    ];
    let mut seen = String::new();
    for (auth, extra) in cases {
        let settings = settings(&h, auth, extra.clone());
        let e = h.host.generate(&settings, chat("hi")).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidSettings, "{extra}: {e:?}");
        seen += &format!("{e:?}\n");
    }
    // Not JSON at all, cut inside a secret.
    for text in [
        format!("{{\"apiKey\": \"{API_KEY}"),
        format!("\"{API_KEY}\""),
        format!("{{{SECRET_ACCESS_KEY}}}"),
    ] {
        let e = h.host.generate(&text, chat("hi")).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidSettings, "{e:?}");
        seen += &format!("{e:?}\n");
    }
    assert!(h.emulator.requests().is_empty());
    assert_no_secret("settings errors", &seen);
    assert_log_clean();
}

#[tokio::test]
async fn refused_and_failed_connections_never_show_a_secret() {
    let h = harness(HostConfig { allow_base_urls: false, ..HostConfig::default() }).await;
    let mut seen = String::new();
    for (_, auth) in auths() {
        // Denied by the host's policy.
        let denied = every_operation(&h.host, &settings(&h, &auth, json!({}))).await;
        assert!(denied.contains("DeniedByHost"), "{denied}");
        seen += &denied;
    }
    let h = harness(HostConfig::default()).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    for (_, auth) in auths() {
        // Nothing listening.
        let refused =
            settings(&h, &auth, json!({"baseUrl": format!("http://{closed}"), "maxAttempts": 1}));
        seen += &every_operation(&h.host, &refused).await;
        // The whole call timing out.
        let slow = settings(
            &h,
            &auth,
            json!({"headers": {"x-emulator-frame-delay-ms": "1000"}, "timeouts": {"totalMs": 300}}),
        );
        seen += &every_operation(&h.host, &slow).await;
    }
    assert_no_secret("connection errors", &seen);
    assert_log_clean();
}

/// The component's own types, compiled natively: `Debug` of the parsed settings, the client and
/// the signed requests it sends.
#[test]
fn guest_debug_output_never_shows_a_secret() {
    use bedrock_provider::transport::mock::{Canned, MockTransport};
    let base = json!({"region": "us-east-1", "baseUrl": "http://127.0.0.1:9",
                      "languageModel": "amazon-bedrock|amazon.nova-lite-v1:0"});
    let answer = r#"{"output":{"message":{"role":"assistant","content":[{"text":"hi"}]}},
        "stopReason":"end_turn","usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2},
        "metrics":{"latencyMs":1}}"#;
    let mut seen = String::new();
    for (name, auth) in auths() {
        let mut settings = base.clone();
        merge(&mut settings, auth);
        let settings = settings.to_string();
        let parsed = bedrock_provider::settings::Settings::parse(&settings).unwrap();
        seen += &format!("{parsed:?}\n");
        let client = bedrock_provider::client::Client::open(&settings).unwrap();
        seen += &format!("{client:?}\n");
        let transport = MockTransport::new([Canned::json(200, answer)]);
        let request = bedrock_provider::api::GenerateRequest {
            messages: vec![bedrock_provider::api::Message {
                role: bedrock_provider::api::Role::User,
                content: vec![bedrock_provider::api::ContentPart::Text("hi".into())],
            }],
            ..Default::default()
        };
        seen += &format!("{:?}\n", client.generate(&transport, request));
        let sent = transport.sent.borrow();
        assert_eq!(sent.len(), 1, "{name}");
        // The request does carry the secrets (so the check below is meaningful) ...
        let wire = format!("{:?}", sent[0].headers.iter().map(|(_, v)| v).collect::<Vec<_>>());
        assert!(wire.contains(HEADER_SECRET), "{name}");
        // ... and its Debug output does not.
        seen += &format!("{:?}\n", sent[0]);
    }
    assert_no_secret("the component's Debug output", &seen);
}

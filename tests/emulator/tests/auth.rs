//! Authentication through the real server: SigV4 verified by recomputation, bearer keys.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use bedrock_emulator::{
    DEMO_API_KEY, DEMO_SESSION_TOKEN, DEMO_TEMPORARY_ACCESS_KEY_ID, Emulator, EmulatorConfig,
};
use common::*;

const CORAL: &str = ":http://internal.amazon.com/coral/com.amazon.coral.service/";

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default()).await.unwrap()
}

#[tokio::test]
async fn correctly_signed_request_is_answered() {
    let emu = emulator().await;
    let headers = signed(PROFILE_PATH, HELLO, Signing::default());
    let resp = send(emu.addr(), "POST", PROFILE_PATH, &headers, HELLO).await;
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(resp.header("x-amzn-requestid").unwrap().len(), 36);
    let v = resp.json();
    assert_eq!(
        v["output"]["message"]["content"][0]["text"],
        "Hello from the Bedrock emulator. You said: Hello"
    );
    let recorded = emu.requests();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].path, PROFILE_PATH);
    assert_eq!(recorded[0].signature_valid, Some(true));
    assert_eq!(recorded[0].signed_headers, ["content-type", "host", "x-amz-date"]);
    assert_eq!(recorded[0].status, 200);
    assert_eq!(recorded[0].body, HELLO);
    emu.shutdown().await;
}

#[tokio::test]
async fn wrong_signature_gets_the_canonical_string() {
    let emu = emulator().await;
    let headers =
        signed(PROFILE_PATH, HELLO, Signing { secret: "not-the-secret", ..Signing::default() });
    let resp = send(emu.addr(), "POST", PROFILE_PATH, &headers, HELLO).await;
    assert_eq!(resp.status, 403);
    assert_eq!(
        resp.header("x-amzn-errortype").unwrap(),
        format!("InvalidSignatureException{CORAL}")
    );
    let message = resp.message();
    assert!(message.starts_with(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'POST\n/model/us.anthropic.claude-sonnet-4-5-20250929-v1%253A0/converse\n\ncontent-type:application/json\nhost:bedrock-runtime.us-east-1.amazonaws.com\nx-amz-date:"
    ), "{message}");
    assert!(message.contains("\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n"));
    assert!(message.ends_with("'\n"));
    assert_eq!(emu.requests()[0].signature_valid, Some(false));
}

#[tokio::test]
async fn body_changed_after_signing_is_refused() {
    let emu = emulator().await;
    let headers = signed(PROFILE_PATH, HELLO, Signing::default());
    let other = br#"{"messages":[{"role":"user","content":[{"text":"Hellp"}]}],"inferenceConfig":{"maxTokens":100}}"#;
    let resp = send(emu.addr(), "POST", PROFILE_PATH, &headers, other).await;
    assert_eq!(resp.status, 403);
    assert!(resp.message().contains(&bedrock_emulator::sigv4::sha256_hex(other)));
}

#[tokio::test]
async fn single_encoded_canonical_uri_is_refused_and_literal_colon_works() {
    let emu = emulator().await;
    // The classic bug: `%3A` on the wire but the signature computed over the decoded path.
    let decoded = "/model/us.anthropic.claude-sonnet-4-5-20250929-v1:0/converse";
    let headers =
        signed(PROFILE_PATH, HELLO, Signing { signed_path: Some(decoded), ..Signing::default() });
    let resp = send(emu.addr(), "POST", PROFILE_PATH, &headers, HELLO).await;
    assert_eq!(resp.status, 403);
    assert!(resp.message().contains("%253A0/converse"));
    // A literal `:` on the wire is routed, with the signature over that literal path.
    let headers = signed(decoded, HELLO, Signing::default());
    let resp = send(emu.addr(), "POST", decoded, &headers, HELLO).await;
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
}

#[tokio::test]
async fn session_tokens_must_match() {
    let emu = emulator().await;
    let temp = |token: Option<&'static str>| Signing {
        access_key_id: DEMO_TEMPORARY_ACCESS_KEY_ID,
        token,
        ..Signing::default()
    };
    let ok = signed(PROFILE_PATH, HELLO, temp(Some(DEMO_SESSION_TOKEN)));
    assert!(ok.iter().any(|(n, _)| n == "x-amz-security-token"));
    assert_eq!(send(emu.addr(), "POST", PROFILE_PATH, &ok, HELLO).await.status, 200);
    assert_eq!(
        emu.requests()[0].signed_headers,
        ["content-type", "host", "x-amz-date", "x-amz-security-token"]
    );
    for token in [None, Some("FQoGZXIvYXdzWRONGTOKEN")] {
        let resp = send(
            emu.addr(),
            "POST",
            PROFILE_PATH,
            &signed(PROFILE_PATH, HELLO, temp(token)),
            HELLO,
        )
        .await;
        assert_eq!(resp.status, 403);
        assert_eq!(
            resp.header("x-amzn-errortype").unwrap(),
            format!("UnrecognizedClientException{CORAL}")
        );
        assert_eq!(
            resp.json(),
            serde_json::json!({"message": "The security token included in the request is invalid."})
        );
    }
    let unknown =
        signed(PROFILE_PATH, HELLO, Signing { access_key_id: "AKIDUNKNOWN", ..Signing::default() });
    let resp = send(emu.addr(), "POST", PROFILE_PATH, &unknown, HELLO).await;
    assert_eq!(resp.status, 403);
    assert_eq!(resp.message(), "The security token included in the request is invalid.");
}

#[tokio::test]
async fn clock_skew_over_five_minutes_expires_the_signature() {
    let emu = emulator().await;
    let old = amz_date(Duration::from_secs(10 * 60));
    let headers =
        signed(PROFILE_PATH, HELLO, Signing { amz_date: old.clone(), ..Signing::default() });
    let resp = send(emu.addr(), "POST", PROFILE_PATH, &headers, HELLO).await;
    assert_eq!(resp.status, 403);
    assert_eq!(
        resp.header("x-amzn-errortype").unwrap(),
        format!("InvalidSignatureException{CORAL}")
    );
    let message = resp.message();
    let prefix = format!("Signature expired: {old} is now earlier than ");
    assert!(message.starts_with(&prefix), "{message}");
    let rest = &message[prefix.len()..];
    assert_eq!(rest.len(), "20250714T202350Z (20250714T202850Z - 5 min.)".len(), "{rest}");
    assert!(rest.ends_with(" - 5 min.)"));
    assert_eq!(emu.requests()[0].signature_valid, Some(true));

    // The server's pretend clock counts too.
    let skewed = Emulator::start(EmulatorConfig {
        clock_skew: Some(Duration::from_secs(600)),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let fresh = signed(PROFILE_PATH, HELLO, Signing::default());
    let resp = send(skewed.addr(), "POST", PROFILE_PATH, &fresh, HELLO).await;
    assert_eq!(resp.status, 403);
    assert!(resp.message().starts_with("Signature expired: "));
}

#[tokio::test]
async fn scope_and_header_shape_are_checked() {
    let emu = emulator().await;
    let wrong_service =
        signed(PROFILE_PATH, HELLO, Signing { service: "bedrock-runtime", ..Signing::default() });
    let resp = send(emu.addr(), "POST", PROFILE_PATH, &wrong_service, HELLO).await;
    assert_eq!(resp.status, 403);
    assert_eq!(resp.message(), "Credential should be scoped to correct service: 'bedrock'.");

    let wrong_region =
        signed(PROFILE_PATH, HELLO, Signing { region: "us-west-2", ..Signing::default() });
    let resp = send(emu.addr(), "POST", PROFILE_PATH, &wrong_region, HELLO).await;
    assert_eq!(resp.status, 403);
    assert_eq!(resp.message(), "Credential should be scoped to a valid region, not 'us-west-2'.");

    let malformed = vec![
        ("content-type".to_string(), "application/json".to_string()),
        ("host".to_string(), RUNTIME_HOST.to_string()),
        ("authorization".to_string(), "AWS4-HMAC-SHA256 Signature=abc".to_string()),
    ];
    let resp = send(emu.addr(), "POST", PROFILE_PATH, &malformed, HELLO).await;
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.header("x-amzn-errortype").unwrap(),
        format!("IncompleteSignatureException{CORAL}")
    );
    assert_eq!(
        resp.message(),
        "Authorization header requires 'Credential' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
    );

    // Host left out of SignedHeaders.
    let mut headers = signed(PROFILE_PATH, HELLO, Signing::default());
    for (n, v) in headers.iter_mut() {
        if n == "authorization" {
            *v = v.replace("content-type;host;x-amz-date", "content-type;x-amz-date");
        }
    }
    let resp = send(emu.addr(), "POST", PROFILE_PATH, &headers, HELLO).await;
    assert_eq!(resp.status, 403);
    assert_eq!(
        resp.message(),
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    );
}

#[tokio::test]
async fn bearer_keys() {
    let emu = emulator().await;
    let resp =
        send(emu.addr(), "POST", PROFILE_PATH, &bearer(DEMO_API_KEY, RUNTIME_HOST), HELLO).await;
    assert_eq!(resp.status, 200);
    assert_eq!(emu.requests()[0].signature_valid, None);

    let resp =
        send(emu.addr(), "POST", PROFILE_PATH, &bearer("ABSKwrong", RUNTIME_HOST), HELLO).await;
    assert_eq!(resp.status, 403);
    assert_eq!(
        resp.json(),
        serde_json::json!({"Message": "Authentication failed: Please make sure your API Key is valid."})
    );
    assert!(resp.header("x-amzn-errortype").unwrap().ends_with(CORAL));

    let none = vec![("content-type".to_string(), "application/json".to_string())];
    let resp = send(emu.addr(), "POST", PROFILE_PATH, &none, HELLO).await;
    assert_eq!(resp.status, 403);
    assert_eq!(resp.body, br#"{"Message":"Authorization header is missing"}"#);

    // The agent runtime (Rerank) takes SigV4 only.
    let resp = send(emu.addr(), "POST", "/rerank", &bearer(DEMO_API_KEY, "127.0.0.1"), b"{}").await;
    assert_eq!(resp.status, 403);
    assert!(resp.message().starts_with("Authorization header requires 'Credential' parameter."));
    assert!(!String::from_utf8_lossy(&resp.body).contains(DEMO_API_KEY));
    let debug = format!("{:?}", emu.requests());
    assert!(!debug.contains(DEMO_API_KEY), "bearer keys stay out of Debug");
}

//! A tiny HTTP/1.1 client for the emulator tests (hyper's low-level connection API, so the
//! raw path goes on the wire untouched and body frames are seen as they arrive).

#![allow(clippy::unwrap_used, dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use bedrock_emulator::{clock, sigv4};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

pub const RUNTIME_HOST: &str = "bedrock-runtime.us-east-1.amazonaws.com";

/// A response with its body chunks timed.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When each body chunk arrived, relative to the request being sent.
    pub chunk_times: Vec<Duration>,
    /// A body read error (for cut streams).
    pub error: Option<String>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn message(&self) -> String {
        let v = self.json();
        v.get("message").or_else(|| v.get("Message")).unwrap().as_str().unwrap().to_string()
    }
}

/// Sends one request on a fresh connection.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Resp {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut builder = hyper::Request::builder().method(method).uri(path);
    for (n, v) in headers {
        builder = builder.header(n.as_str(), v.as_str());
    }
    let request = builder.body(Full::new(Bytes::copy_from_slice(body))).unwrap();
    let start = Instant::now();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let mut body = response.into_body();
    let (mut bytes, mut chunk_times, mut error) = (Vec::new(), Vec::new(), None);
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    chunk_times.push(start.elapsed());
                    bytes.extend_from_slice(&data);
                }
            }
            Err(e) => {
                error = Some(e.to_string());
                break;
            }
        }
    }
    Resp { status, headers, body: bytes, chunk_times, error }
}

/// `X-Amz-Date` for now (optionally shifted back).
pub fn amz_date(ago: Duration) -> String {
    clock::format_amz_date(SystemTime::now() - ago)
}

/// Options for [`signed`].
pub struct Signing<'a> {
    pub host: &'a str,
    pub access_key_id: &'a str,
    pub secret: &'a str,
    pub token: Option<&'a str>,
    pub region: &'a str,
    pub service: &'a str,
    pub amz_date: String,
    /// Path used for signing (defaults to the wire path).
    pub signed_path: Option<&'a str>,
}

impl Default for Signing<'_> {
    fn default() -> Self {
        Signing {
            host: RUNTIME_HOST,
            access_key_id: bedrock_emulator::DEMO_ACCESS_KEY_ID,
            secret: bedrock_emulator::DEMO_SECRET_ACCESS_KEY,
            token: None,
            region: "us-east-1",
            service: "bedrock",
            amz_date: amz_date(Duration::ZERO),
            signed_path: None,
        }
    }
}

/// Headers of a SigV4-signed JSON POST (content-type, host, x-amz-date, token, authorization).
pub fn signed(path: &str, body: &[u8], s: Signing<'_>) -> Vec<(String, String)> {
    let mut headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        ("host".to_string(), s.host.to_string()),
    ];
    let out = sigv4::sign(&sigv4::SigningInput {
        method: "POST",
        raw_path: s.signed_path.unwrap_or(path),
        raw_query: "",
        headers: &headers,
        body,
        access_key_id: s.access_key_id,
        secret_access_key: s.secret,
        session_token: s.token,
        region: s.region,
        service: s.service,
        amz_date: &s.amz_date,
    });
    headers.extend(out.headers);
    headers
}

/// Headers of a bearer-authenticated JSON POST.
pub fn bearer(key: &str, host: &str) -> Vec<(String, String)> {
    vec![
        ("content-type".to_string(), "application/json".to_string()),
        ("host".to_string(), host.to_string()),
        ("authorization".to_string(), format!("Bearer {key}")),
    ]
}

pub const HELLO: &[u8] = br#"{"messages":[{"role":"user","content":[{"text":"Hello"}]}],"inferenceConfig":{"maxTokens":100}}"#;
pub const PROFILE_PATH: &str = "/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse";

pub const CONTROL_HOST: &str = "bedrock.us-east-1.amazonaws.com";

/// Headers of a SigV4-signed GET, as botocore sends control-plane reads: `host` and the
/// signature only (no content-type, no body). `path` may carry a query after `?`.
pub fn signed_get(path: &str, s: Signing<'_>) -> Vec<(String, String)> {
    let (raw_path, raw_query) = path.split_once('?').unwrap_or((path, ""));
    let mut headers = vec![("host".to_string(), s.host.to_string())];
    let out = sigv4::sign(&sigv4::SigningInput {
        method: "GET",
        raw_path,
        raw_query,
        headers: &headers,
        body: b"",
        access_key_id: s.access_key_id,
        secret_access_key: s.secret,
        session_token: s.token,
        region: s.region,
        service: s.service,
        amz_date: &s.amz_date,
    });
    headers.extend(out.headers);
    headers
}

/// [`Signing`] for the control-plane host.
pub fn control() -> Signing<'static> {
    Signing { host: CONTROL_HOST, ..Signing::default() }
}

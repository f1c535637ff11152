//! Loopback stand-ins for the AWS credential sources the gateway reaches through the AWS SDK:
//! STS (`AssumeRole`, `AssumeRoleWithWebIdentity`, XML answers), the container credentials
//! endpoint, IMDSv2 and the IAM Identity Center portal (`GetRoleCredentials`). The SDK is
//! pointed at them with its documented overrides (`AWS_ENDPOINT_URL_STS`,
//! `AWS_CONTAINER_CREDENTIALS_FULL_URI`, `AWS_EC2_METADATA_SERVICE_ENDPOINT`,
//! `AWS_ENDPOINT_URL_SSO`).
//!
//! Every source hands out the keys of a [`Schedule`]: generation k is current from
//! `t0 + k·period` and expires at `t0 + (k+2)·period`, so the emulator, configured with the
//! same schedule, refuses each key once it expired, as AWS does.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bedrock_emulator::{Credential, sigv4};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The IMDSv2 session token the fake hands out.
pub const IMDS_TOKEN: &str = "imds-session-token-6a1f0c";
/// The instance profile role name IMDS reports.
pub const IMDS_ROLE: &str = "gateway-instance-role";
/// The access token the SSO fake expects (the one written to the SSO token cache).
pub const SSO_ACCESS_TOKEN: &str = "aoaAAAAAGsso7Hq2pLx9Vw4Zc8Nm3RtQ1kL";

/// Temporary keys by generation, each valid for one to two periods.
pub struct Schedule {
    t0: SystemTime,
    period: Duration,
    keys: Vec<Credential>,
}

impl Schedule {
    /// `count` generations of keys named `ASIA<tag><k>` (tag: upper-case letters), starting
    /// now (rounded up to a whole second, since the sources' expiry times have seconds only).
    pub fn new(tag: &str, count: usize, period: Duration) -> Schedule {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let t0 = UNIX_EPOCH + Duration::from_secs(now.as_secs() + 1);
        let keys = (0..count)
            .map(|k| Credential {
                access_key_id: format!("ASIA{tag}{k:08}"),
                secret_access_key: format!("sEcReT+{tag}/{k:04}+kEy9x7Q2w4E6r8T0y1U3i5O"),
                session_token: Some(format!("SeSsIoNtOkEn{tag}{k:04}IQoJb3JpZ2luX2VjEJr//////wEa")),
                expires: Some(t0 + period * (k as u32 + 2)),
            })
            .collect();
        Schedule { t0, period, keys }
    }

    /// Everything the emulator must accept (each key until it expires).
    pub fn credentials(&self) -> Vec<Credential> {
        self.keys.clone()
    }

    /// Every secret of the schedule (secret keys and session tokens), for leak checks.
    pub fn secrets(&self) -> Vec<String> {
        self.keys
            .iter()
            .flat_map(|c| [c.secret_access_key.clone(), c.session_token.clone().unwrap()])
            .collect()
    }

    /// The generation current now (the first one before `t0`, the last one after the end).
    pub fn current(&self) -> &Credential {
        let elapsed = SystemTime::now().duration_since(self.t0).unwrap_or_default();
        let k = (elapsed.as_millis() / self.period.as_millis()) as usize;
        &self.keys[k.min(self.keys.len() - 1)]
    }

    /// The generation of an access key ID.
    pub fn generation(&self, access_key_id: &str) -> Option<usize> {
        self.keys.iter().position(|c| c.access_key_id == access_key_id)
    }
}

/// A request one of the fakes answered.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `sts`, `container`, `imds` or `sso`.
    pub service: &'static str,
    /// Method and path (with query).
    pub target: String,
    /// Headers, names lower case.
    pub headers: Vec<(String, String)>,
    /// The form parameters of an STS call.
    pub form: HashMap<String, String>,
    /// For a SigV4-signed STS call: the signing key ID and whether the signature verified.
    pub signed_by: Option<(String, bool)>,
}

impl Seen {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// The fakes, all on one loopback port.
pub struct FakeAws {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

struct State {
    schedule: Arc<Schedule>,
    /// Keys that may sign AssumeRole: ID → secret.
    signers: HashMap<String, String>,
    /// What the container endpoint requires in `Authorization`.
    container_token: Option<String>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeAws {
    /// Starts the fakes. `signers`: the long-term keys AssumeRole calls must be signed with;
    /// `container_token`: the `Authorization` value the container endpoint requires.
    pub async fn start(
        schedule: Arc<Schedule>,
        signers: &[(&str, &str)],
        container_token: Option<&str>,
    ) -> FakeAws {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = Arc::new(State {
            schedule,
            signers: signers.iter().map(|(k, s)| (k.to_string(), s.to_string())).collect(),
            container_token: container_token.map(str::to_string),
            seen: seen.clone(),
        });
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let state = state.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(answer(&state, request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        FakeAws { addr, seen, task }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests answered so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for FakeAws {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn iso8601(time: SystemTime) -> String {
    bedrock_gateway::credentials::iso8601(time)
}

fn respond(status: u16, content_type: &str, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

fn form(body: &str) -> HashMap<String, String> {
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

async fn answer(state: &State, request: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let path = parts.uri.path().to_string();
    let target = format!("{} {}", parts.method, parts.uri);
    let keys = state.schedule.current().clone();
    let mut seen = Seen { service: "", target, headers, form: HashMap::new(), signed_by: None };
    let response = if parts.method == hyper::Method::POST && body.starts_with(b"Action=") {
        seen.service = "sts";
        seen.form = form(&String::from_utf8_lossy(&body));
        if let Some(authorization) = seen.header("authorization") {
            let auth = sigv4::parse_authorization(authorization, true).unwrap();
            let secret = state.signers.get(&auth.access_key_id);
            let valid = secret.is_some_and(|secret| {
                let request = sigv4::RequestParts {
                    method: parts.method.as_str(),
                    raw_path: parts.uri.path(),
                    raw_query: parts.uri.query().unwrap_or(""),
                    headers: &seen.headers,
                    body: &body,
                };
                let amz_date = request.header("x-amz-date").unwrap_or("");
                let expected = sigv4::expected(&request, &auth, secret, amz_date);
                sigv4::constant_time_eq(&expected.signature, &auth.signature)
            });
            seen.signed_by = Some((auth.access_key_id.clone(), valid));
        }
        sts_answer(&seen, &keys)
    } else if path == "/container" {
        seen.service = "container";
        match (&state.container_token, seen.header("authorization")) {
            (Some(want), Some(got)) if want == got => container_json(&keys),
            (None, _) => container_json(&keys),
            _ => respond(401, "application/json", r#"{"message":"unauthorized"}"#.into()),
        }
    } else if path.starts_with("/latest/") {
        seen.service = "imds";
        imds_answer(&parts.method, &path, &seen, &keys)
    } else if path == "/federation/credentials" {
        seen.service = "sso";
        if seen.header("x-amz-sso_bearer_token") == Some(SSO_ACCESS_TOKEN) {
            let expiration = keys.expires.unwrap().duration_since(UNIX_EPOCH).unwrap().as_millis();
            respond(
                200,
                "application/json",
                serde_json::json!({"roleCredentials": {
                    "accessKeyId": keys.access_key_id,
                    "secretAccessKey": keys.secret_access_key,
                    "sessionToken": keys.session_token,
                    "expiration": expiration as u64,
                }})
                .to_string(),
            )
        } else {
            respond(
                401,
                "application/json",
                r#"{"message":"Session token not found or invalid"}"#.into(),
            )
        }
    } else {
        respond(404, "text/plain", "not found".into())
    };
    state.seen.lock().unwrap().push(seen);
    response
}

fn sts_answer(seen: &Seen, keys: &Credential) -> Response<Full<Bytes>> {
    let action = seen.form.get("Action").map(String::as_str).unwrap_or("");
    let ok = match action {
        "AssumeRole" => seen.signed_by.as_ref().is_some_and(|(_, valid)| *valid),
        // Unsigned: the web identity token is the proof.
        "AssumeRoleWithWebIdentity" => seen.form.contains_key("WebIdentityToken"),
        _ => false,
    };
    if !ok {
        return respond(
            403,
            "text/xml",
            format!(
                "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>\
                 <Type>Sender</Type><Code>AccessDenied</Code><Message>The fake STS refused \
                 {action}</Message></Error><RequestId>fake-sts-denied</RequestId></ErrorResponse>"
            ),
        );
    }
    let role = seen.form.get("RoleArn").cloned().unwrap_or_default();
    let session = seen.form.get("RoleSessionName").cloned().unwrap_or_default();
    let extra = if action == "AssumeRoleWithWebIdentity" {
        "<SubjectFromWebIdentityToken>system:serviceaccount:ai:gateway</SubjectFromWebIdentityToken>\
         <Audience>sts.amazonaws.com</Audience><Provider>oidc.eks.example</Provider>"
    } else {
        ""
    };
    respond(
        200,
        "text/xml",
        format!(
            "<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
             <{action}Result>{extra}<AssumedRoleUser><AssumedRoleId>AROAFAKE:{session}</AssumedRoleId>\
             <Arn>{role}/{session}</Arn></AssumedRoleUser><Credentials>\
             <AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey>\
             <SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials>\
             </{action}Result><ResponseMetadata><RequestId>fake-sts-1</RequestId>\
             </ResponseMetadata></{action}Response>",
            keys.access_key_id,
            keys.secret_access_key,
            keys.session_token.as_deref().unwrap_or(""),
            iso8601(keys.expires.unwrap()),
        ),
    )
}

fn container_json(keys: &Credential) -> Response<Full<Bytes>> {
    respond(
        200,
        "application/json",
        serde_json::json!({
            "AccessKeyId": keys.access_key_id,
            "SecretAccessKey": keys.secret_access_key,
            "Token": keys.session_token,
            "Expiration": iso8601(keys.expires.unwrap()),
            "RoleArn": "arn:aws:iam::123456789012:role/task-role",
        })
        .to_string(),
    )
}

fn imds_answer(
    method: &hyper::Method,
    path: &str,
    seen: &Seen,
    keys: &Credential,
) -> Response<Full<Bytes>> {
    if path == "/latest/api/token" {
        return if method == hyper::Method::PUT
            && seen.header("x-aws-ec2-metadata-token-ttl-seconds").is_some()
        {
            let mut response = respond(200, "text/plain", IMDS_TOKEN.into());
            let ttl = seen.header("x-aws-ec2-metadata-token-ttl-seconds").unwrap_or("21600");
            response
                .headers_mut()
                .insert("x-aws-ec2-metadata-token-ttl-seconds", ttl.parse().unwrap());
            response
        } else {
            respond(400, "text/plain", "bad token request".into())
        };
    }
    // IMDSv2: every read carries the session token.
    if seen.header("x-aws-ec2-metadata-token") != Some(IMDS_TOKEN) {
        return respond(401, "text/plain", "unauthorized".into());
    }
    match path {
        "/latest/meta-data/iam/security-credentials/" => {
            respond(200, "text/plain", IMDS_ROLE.into())
        }
        "/latest/meta-data/placement/region" => respond(200, "text/plain", "us-east-1".into()),
        p if p == format!("/latest/meta-data/iam/security-credentials/{IMDS_ROLE}") => respond(
            200,
            "text/plain",
            serde_json::json!({
                "Code": "Success",
                "LastUpdated": iso8601(SystemTime::now()),
                "Type": "AWS-HMAC",
                "AccessKeyId": keys.access_key_id,
                "SecretAccessKey": keys.secret_access_key,
                "Token": keys.session_token,
                "Expiration": iso8601(keys.expires.unwrap()),
            })
            .to_string(),
        ),
        _ => respond(404, "text/plain", "not found".into()),
    }
}

//! Request authentication: AWS SigV4 (through the aws-sigv4 crate) or a Bedrock API key (bearer).
//!
//! Signing is the last step of building a request, except for the operator's custom headers:
//! callers add those after [`authorize`], so they travel unsigned and a proxy that rewrites them
//! cannot break the signature.

use std::time::SystemTime;

use aws_sigv4::sign::v4;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};

use crate::error::{ErrorKind, ProviderError, Result};
use crate::settings::{Auth, Secret, SigV4Credentials};
use crate::transport::{HttpRequest, Scheme};

/// The SigV4 signing name of both Bedrock Runtime and Agents for Bedrock Runtime (spec §1.1):
/// the credential scope says `bedrock`, never `bedrock-runtime`.
pub const SIGNING_NAME: &str = "bedrock";

/// Headers [`authorize`] sets; any earlier values are replaced, so re-signing a request for a
/// retry is safe.
const AUTH_HEADERS: [&str; 3] = ["authorization", "x-amz-date", "x-amz-security-token"];

/// Everything except RFC 3986 unreserved characters and `/`: the canonical-URI encoding.
const CANONICAL_URI: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');

/// The SigV4 signing key a client derived last, so calls of the same day reuse it.
///
/// Deriving a key is four HMAC-SHA-256 rounds (`AWS4` + secret, date, region, service,
/// `aws4_request`): in the component that was about a third of the signing time, and the key
/// only changes once a day. A key is reused only when the date, region, service and secret all
/// match; anything else derives a new one. It lives in the opened client, so it never outlives
/// the settings it was derived from, and `Debug` never shows it.
#[derive(Default)]
pub struct SigningKeys {
    last: std::sync::Mutex<Option<CachedKey>>,
}

struct CachedKey {
    /// `YYYYMMDD`, the credential scope's date.
    date: String,
    region: String,
    service: String,
    secret: Secret,
    key: [u8; 32],
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeys").finish_non_exhaustive()
    }
}

impl SigningKeys {
    /// The signing key for `secret` on `date` in `region` for `service`: the cached one when
    /// all four match, else derived (with aws-sigv4) and cached.
    fn key(
        &self,
        secret: &Secret,
        date: &str,
        time: SystemTime,
        region: &str,
        service: &str,
    ) -> [u8; 32] {
        // A poisoned lock only means a panic elsewhere (which aborts the component); the cache
        // holds no invariant beyond its own fields, so its value is still usable.
        let mut last = self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(cached) = last.as_ref()
            && key_matches(cached, secret, date, region, service)
        {
            return cached.key;
        }
        let derived = v4::generate_signing_key(secret.expose(), time, region, service);
        let mut key = [0u8; 32];
        let bytes = derived.as_ref();
        key[..bytes.len().min(32)].copy_from_slice(&bytes[..bytes.len().min(32)]);
        *last = Some(CachedKey {
            date: date.to_string(),
            region: region.to_string(),
            service: service.to_string(),
            secret: secret.clone(),
            key,
        });
        key
    }

    /// How many keys are cached (0 or 1): for tests.
    #[cfg(test)]
    fn is_cached(&self) -> bool {
        self.last.lock().map(|l| l.is_some()).unwrap_or(false)
    }
}

/// Whether `cached` was derived for exactly this secret, date, region and service.
fn key_matches(
    cached: &CachedKey,
    secret: &Secret,
    date: &str,
    region: &str,
    service: &str,
) -> bool {
    cached.date == date
        && cached.region == region
        && cached.service == service
        && cached.secret.expose() == secret.expose()
}

/// Authenticates `request` in place.
///
/// - SigV4: signs with service `bedrock` in `region` at `time`, covering exactly `host` (from
///   `request.authority`), `content-type`, `x-amz-date`, `x-amz-security-token` (with temporary
///   credentials) and every `x-amzn-bedrock-*` header already on the request. Other headers
///   already present stay on the request unsigned. Adds `x-amz-date`, `x-amz-security-token`
///   (when there is a session token) and `authorization`.
///   `request.path` must be the encoded wire path (`%3A`); the canonical URI encodes it again
///   (`%253A`), which is what Bedrock expects. No `x-amz-content-sha256` header is sent.
///   The signing key comes from `keys` when it was derived for the same day, region and
///   secret before.
/// - API key: adds `authorization: Bearer <key>` and nothing else.
///
/// Add custom headers after calling this; they are then not signed. Calling it again (e.g.
/// for a retry with a fresh timestamp) replaces the previous authentication headers.
pub fn authorize(
    request: &mut HttpRequest,
    auth: &Auth,
    region: &str,
    time: SystemTime,
    keys: &SigningKeys,
) -> Result<()> {
    request.headers.retain(|(name, _)| !AUTH_HEADERS.iter().any(|h| name.eq_ignore_ascii_case(h)));
    match auth {
        Auth::ApiKey(key) => {
            request.headers.push(("authorization".into(), format!("Bearer {}", key.expose())));
            Ok(())
        }
        Auth::SigV4(credentials) => {
            let added = sign_v4(request, credentials, region, SIGNING_NAME, time, keys)?;
            request.headers.extend(added);
            Ok(())
        }
        // The host was to put temporary keys in place of `credentials` (see
        // `settings::credentials`); without them there is nothing to sign with, and the
        // request must not leave unsigned.
        Auth::HostResolved(source) => Err(ProviderError::new(
            ErrorKind::Authentication,
            format!(
                "The settings name a credential source ({}) that the host application resolves, \
                 and this host passed no keys for it.",
                source.describe()
            ),
        )
        .with_field("credentials")
        .with_cause(
            "The component never reads files or the environment and never calls STS; a host \
             that supports `credentials` replaces it with temporary keys before each call.",
        )
        .with_solution(
            "Run the provider in a host that resolves `credentials` (bedrock-gateway does), or \
             replace `credentials` with `accessKeyId` and `secretAccessKey`.",
        )),
    }
}

/// The headers SigV4 signs when they are present on the request (besides `host`, `x-amz-date`
/// and `x-amz-security-token`, which the signer adds).
pub fn is_signed_header(name: &str) -> bool {
    name.eq_ignore_ascii_case("content-type")
        || name.get(..15).is_some_and(|p| p.eq_ignore_ascii_case("x-amzn-bedrock-"))
}

/// The error for a request SigV4 cannot represent.
fn signing_failed(what: &str, detail: &dyn std::fmt::Display) -> ProviderError {
    ProviderError::new(
        ErrorKind::Internal,
        format!("Could not sign the request: {what} ({detail})."),
    )
    .with_cause("The request has a header or URL that SigV4 cannot represent.")
    .with_solution(
        "Check `baseUrl` and the custom `headers`; if they look right, report this as a bug.",
    )
}

/// Signs the request's signable headers and returns the headers to add, in aws-sigv4's order
/// (`x-amz-date`, `authorization`, `x-amz-security-token`).
///
/// The canonical request and string to sign are built here, exactly as aws-sigv4 1.6 builds
/// them for these requests (header values trimmed of spaces with inner runs collapsed, the
/// default port dropped from `host`, the path normalised and percent-encoded once more); the key
/// derivation and the signature are aws-sigv4's (`generate_signing_key`,
/// `calculate_signature`). aws-sigv4's `sign` cannot take a derived key, which is what the
/// per-client cache ([`SigningKeys`]) needs; a test signs a table of requests both ways and
/// requires identical headers.
fn sign_v4(
    request: &HttpRequest,
    credentials: &SigV4Credentials,
    region: &str,
    service: &str,
    time: SystemTime,
    keys: &SigningKeys,
) -> Result<Vec<(String, String)>> {
    let host = signing_host(request)?;
    let (date, amz_date) = amz_dates(time);
    let token = credentials.session_token.as_ref().map(Secret::expose);

    let mut signed: Vec<(String, String)> = Vec::with_capacity(request.headers.len() + 3);
    signed.push(("host".to_string(), host));
    for (name, value) in request.headers.iter().filter(|(name, _)| is_signed_header(name)) {
        let value = trim_spaces(value);
        http::HeaderValue::from_str(&value)
            .map_err(|e| signing_failed("invalid header value", &e))?;
        signed.push((name.to_ascii_lowercase(), value));
    }
    signed.push(("x-amz-date".to_string(), amz_date.clone()));
    if let Some(token) = token {
        signed.push(("x-amz-security-token".to_string(), token.to_string()));
    }
    // Stable: repeated headers keep their order, and are joined with `,` below.
    signed.sort_by(|a, b| a.0.cmp(&b.0));

    let (path, query) = request.path.split_once('?').unwrap_or((&request.path, ""));
    let mut creq = String::with_capacity(256 + request.path.len());
    creq.push_str(request.method);
    creq.push('\n');
    creq.push_str(&utf8_percent_encode(&normalize_path(path), CANONICAL_URI).to_string());
    creq.push('\n');
    creq.push_str(&canonical_query(query));
    creq.push('\n');
    let mut names = String::new();
    let mut i = 0;
    while i < signed.len() {
        let name = &signed[i].0;
        creq.push_str(name);
        creq.push(':');
        let mut first = true;
        while i < signed.len() && signed[i].0 == *name {
            if !first {
                creq.push(',');
            }
            creq.push_str(&signed[i].1);
            first = false;
            i += 1;
        }
        creq.push('\n');
        if !names.is_empty() {
            names.push(';');
        }
        names.push_str(name);
    }
    creq.push('\n');
    creq.push_str(&names);
    creq.push('\n');
    creq.push_str(&hex::encode(Sha256::digest(&request.body)));

    let scope = format!("{date}/{region}/{service}/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(creq.as_bytes()))
    );
    let key = keys.key(&credentials.secret_access_key, &date, time, region, service);
    let signature = v4::calculate_signature(key, string_to_sign.as_bytes());
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={names}, Signature={signature}",
        credentials.access_key_id
    );
    let mut added =
        vec![("x-amz-date".to_string(), amz_date), ("authorization".to_string(), authorization)];
    if let Some(token) = token {
        added.push(("x-amz-security-token".to_string(), token.to_string()));
    }
    Ok(added)
}

/// The `host` value SigV4 signs: the request's authority as sent (wasi:http sends it verbatim
/// as `Host`, default port included), once the URL is known to be valid (the same check
/// aws-sigv4's `SignableRequest::new` makes).
fn signing_host(request: &HttpRequest) -> Result<String> {
    let scheme = match request.scheme {
        Scheme::Http => "http",
        Scheme::Https => "https",
    };
    format!("{scheme}://{}{}", request.authority, request.path)
        .parse::<http::Uri>()
        .map_err(|e| signing_failed("invalid URL", &e))?;
    Ok(trim_spaces(&request.authority))
}

/// Trims spaces (only spaces) at both ends and collapses inner runs of spaces, as aws-sigv4
/// does for signed header values.
fn trim_spaces(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut space = false;
    for c in value.trim_matches(' ').chars() {
        if c == ' ' {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    out
}

/// The credential scope's date (`YYYYMMDD`) and the `x-amz-date` stamp (`YYYYMMDDTHHMMSSZ`)
/// of `time`, in UTC. Times before 1970 count as 1970 (no clock of a running host is).
pub fn amz_dates(time: SystemTime) -> (String, String) {
    let secs = time.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    let date = format!("{year:04}{month:02}{day:02}");
    let stamp = format!("{date}T{:02}{:02}{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60);
    (date, stamp)
}

/// The proleptic Gregorian (year, month, day) of a day count since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`, for non-negative days).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// The header names listed in the `SignedHeaders=` part of a signed request's `authorization`.
/// `None` when the request is not SigV4-signed.
pub fn signed_header_names(request: &HttpRequest) -> Option<Vec<String>> {
    let authorization = request.header("authorization")?;
    let rest = authorization.strip_prefix("AWS4-HMAC-SHA256 ")?;
    let list = rest.split(", ").find_map(|part| part.strip_prefix("SignedHeaders="))?;
    Some(list.split(';').map(str::to_string).collect())
}

/// Renders the SigV4 canonical request (spec §3.1/§3.2) of `request` for the given signed
/// header names, for diagnosing signature mismatches: compare it with the canonical string a
/// `InvalidSignatureException` quotes. Signing itself is done by aws-sigv4, not by this.
///
/// The canonical URI is the wire path with `.`/`..`/empty segments removed and every byte
/// except unreserved characters and `/` encoded again (`%3A` -> `%253A`). `host` comes from
/// `request.authority` unless a `host` header is present. Values are trimmed, inner whitespace
/// runs collapsed, and repeated headers joined with `,`.
pub fn canonical_request(request: &HttpRequest, signed_headers: &[&str]) -> String {
    let (path, query) = request.path.split_once('?').unwrap_or((&request.path, ""));
    let mut names: Vec<String> = signed_headers.iter().map(|n| n.to_ascii_lowercase()).collect();
    names.sort();
    names.dedup();

    let mut out = String::new();
    out.push_str(request.method);
    out.push('\n');
    out.push_str(&utf8_percent_encode(&normalize_path(path), CANONICAL_URI).to_string());
    out.push('\n');
    out.push_str(&canonical_query(query));
    out.push('\n');
    for name in &names {
        let values: Vec<String> = request
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        let value = if values.is_empty() && name == "host" {
            request.authority.clone()
        } else {
            values.join(",")
        };
        out.push_str(name);
        out.push(':');
        out.push_str(&value);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&names.join(";"));
    out.push('\n');
    out.push_str(&hex::encode(Sha256::digest(&request.body)));
    out
}

/// Removes `.`, `..` and empty segments like botocore's `normalize_url_path` and aws-sigv4's
/// normaliser, keeping a trailing `/`.
fn normalize_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = format!("/{}", segments.join("/"));
    if path.ends_with('/') && out != "/" {
        out.push('/');
    }
    out
}

/// Query parameters sorted by name, then value (already encoded on the wire; the operations
/// this provider calls have none).
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(&str, &str)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    pairs.sort_unstable();
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::settings::Secret;
    use std::time::{Duration, UNIX_EPOCH};

    const AKID: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const TOKEN: &str = "FQoGZXIvYXdzEXAMPLETOKEN";
    const CONVERSE_BODY: &str = r#"{"messages":[{"role":"user","content":[{"text":"Hello"}]}],"inferenceConfig":{"maxTokens":100}}"#;
    const RERANK_BODY: &str = r#"{"queries":[{"type":"TEXT","textQuery":{"text":"What is the capital of France?"}}],"sources":[{"type":"INLINE","inlineDocumentSource":{"type":"TEXT","textDocument":{"text":"Paris is the capital of France."}}}],"rerankingConfiguration":{"type":"BEDROCK_RERANKING_MODEL","bedrockRerankingConfiguration":{"numberOfResults":1,"modelConfiguration":{"modelArn":"arn:aws:bedrock:us-west-2::foundation-model/cohere.rerank-v3-5:0"}}}}"#;

    /// 2025-01-15T12:00:00Z.
    fn vector_time() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_736_942_400)
    }

    fn sigv4(token: Option<&str>) -> Auth {
        Auth::SigV4(SigV4Credentials {
            access_key_id: AKID.into(),
            secret_access_key: Secret::new(SECRET),
            session_token: token.map(Secret::new),
        })
    }

    fn post(authority: &str, path: &str, body: &str) -> HttpRequest {
        HttpRequest {
            method: "POST",
            scheme: Scheme::Https,
            authority: authority.into(),
            path: path.into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    struct Vector {
        name: &'static str,
        region: &'static str,
        token: Option<&'static str>,
        request: HttpRequest,
        canonical: &'static str,
        string_to_sign_hash: &'static str,
        authorization: &'static str,
    }

    /// Spec §3.3 vectors A-D, verbatim.
    fn vectors() -> Vec<Vector> {
        vec![
            Vector {
                name: "A",
                region: "us-east-1",
                token: None,
                request: post(
                    "bedrock-runtime.us-east-1.amazonaws.com",
                    "/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse",
                    CONVERSE_BODY,
                ),
                canonical: "POST\n/model/anthropic.claude-sonnet-4-5-20250929-v1%253A0/converse\n\ncontent-type:application/json\nhost:bedrock-runtime.us-east-1.amazonaws.com\nx-amz-date:20250115T120000Z\n\ncontent-type;host;x-amz-date\na70104911e71b59bfbdea1cc07d6b598b7013d3a263546af5dc9e53f8f57c8f1",
                string_to_sign_hash: "b02ab8b0a873ed9b91ecb1935a8586276880b5273d966d651f2444cb655bdaaa",
                authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/us-east-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=99d56db9aa5c3421d0bef09ab36b241fa1192f62823f66072c729c67de5c4064",
            },
            Vector {
                name: "B",
                region: "us-east-1",
                token: Some(TOKEN),
                request: post(
                    "bedrock-runtime.us-east-1.amazonaws.com",
                    "/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse",
                    CONVERSE_BODY,
                ),
                canonical: "POST\n/model/us.anthropic.claude-sonnet-4-5-20250929-v1%253A0/converse\n\ncontent-type:application/json\nhost:bedrock-runtime.us-east-1.amazonaws.com\nx-amz-date:20250115T120000Z\nx-amz-security-token:FQoGZXIvYXdzEXAMPLETOKEN\n\ncontent-type;host;x-amz-date;x-amz-security-token\na70104911e71b59bfbdea1cc07d6b598b7013d3a263546af5dc9e53f8f57c8f1",
                string_to_sign_hash: "b4bbae5fed1914dec5e280e698e4b234e74f4d31b0ff6d358dd29953a16f9474",
                authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/us-east-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=81eb8e33ee10d8e06c21fce0cde7df83158c455a6ca35184bf70db3cdd87c122",
            },
            Vector {
                name: "C",
                region: "us-west-2",
                token: None,
                request: post(
                    "bedrock-runtime.us-west-2.amazonaws.com",
                    "/model/arn%3Aaws%3Abedrock%3Aus-west-2%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse-stream",
                    CONVERSE_BODY,
                ),
                canonical: "POST\n/model/arn%253Aaws%253Abedrock%253Aus-west-2%253A123456789012%253Ainference-profile%252Fus.anthropic.claude-sonnet-4-5-20250929-v1%253A0/converse-stream\n\ncontent-type:application/json\nhost:bedrock-runtime.us-west-2.amazonaws.com\nx-amz-date:20250115T120000Z\n\ncontent-type;host;x-amz-date\na70104911e71b59bfbdea1cc07d6b598b7013d3a263546af5dc9e53f8f57c8f1",
                string_to_sign_hash: "2a4e8bfe7176be93f8593f395d9a7eda6bd5edbf9a011206ae39c2c07cf9f2ca",
                authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/us-west-2/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=4af1f15846f2d4d692dd917c198c117accc05e79404db3214309ac83116a4d5f",
            },
            Vector {
                name: "D",
                region: "us-west-2",
                token: None,
                request: post(
                    "bedrock-agent-runtime.us-west-2.amazonaws.com",
                    "/rerank",
                    RERANK_BODY,
                ),
                canonical: "POST\n/rerank\n\ncontent-type:application/json\nhost:bedrock-agent-runtime.us-west-2.amazonaws.com\nx-amz-date:20250115T120000Z\n\ncontent-type;host;x-amz-date\n327cd7fa05ff821b0b7629d7ddaf0b595353297aa5d79a5c0c9fdd7ff015e562",
                string_to_sign_hash: "ee63a58701efae16b5f4f2a4f94c3ec6e296b19679cf428c24cf893cd17dd1b1",
                authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/us-west-2/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=823a7decbab4bb3e1ab6d6228fa5cf51c06c423eb49e88f0bc8895663ccdb41b",
            },
        ]
    }

    /// Recomputes the signature from our own canonical request, independently of aws-sigv4's.
    fn signature_from_canonical(
        creq: &str,
        region: &str,
        service: &str,
        time: SystemTime,
    ) -> String {
        let date = "20250115";
        let sts = format!(
            "AWS4-HMAC-SHA256\n{}\n{date}/{region}/{service}/aws4_request\n{}",
            "20250115T120000Z",
            hex::encode(Sha256::digest(creq.as_bytes()))
        );
        let key = v4::generate_signing_key(SECRET, time, region, service);
        v4::calculate_signature(key, sts.as_bytes())
    }

    #[test]
    fn spec_vectors_a_to_d() {
        for v in vectors() {
            let mut request = v.request.clone();
            authorize(
                &mut request,
                &sigv4(v.token),
                v.region,
                vector_time(),
                &SigningKeys::default(),
            )
            .unwrap();
            assert_eq!(request.header("authorization"), Some(v.authorization), "vector {}", v.name);
            assert_eq!(request.header("x-amz-date"), Some("20250115T120000Z"), "vector {}", v.name);
            assert_eq!(request.header("x-amz-security-token"), v.token, "vector {}", v.name);
            assert_eq!(request.header("x-amz-content-sha256"), None, "vector {}", v.name);
            // Nothing else changed.
            assert_eq!((&request.path, &request.body), (&v.request.path, &v.request.body));
            assert_eq!(
                request.headers.len(),
                3 + usize::from(v.token.is_some()),
                "vector {}",
                v.name
            );

            let names = signed_header_names(&request).unwrap();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let creq = canonical_request(&request, &names);
            assert_eq!(creq, v.canonical, "vector {}", v.name);
            assert_eq!(
                hex::encode(Sha256::digest(creq.as_bytes())),
                v.string_to_sign_hash,
                "vector {}",
                v.name
            );
        }
    }

    #[test]
    fn spec_signing_keys() {
        // Spec §3.3: signing keys for us-east-1 (vector A) and us-west-2 (vector C).
        let key = v4::generate_signing_key(SECRET, vector_time(), "us-east-1", "bedrock");
        assert_eq!(
            hex::encode(key.as_ref()),
            "37edfb24f5de86dab7e5ace2798293a9db6342415fcd636d42c7a7199dbe6188"
        );
        let key = v4::generate_signing_key(SECRET, vector_time(), "us-west-2", "bedrock");
        assert_eq!(
            hex::encode(key.as_ref()),
            "41cd7de01d08425c027e5a57b4530b9899e7bc6f902be69492455d1714040702"
        );
    }

    #[test]
    fn get_vanilla_sanity_anchor() {
        // AWS SigV4 test suite "get-vanilla": service `service`, 2015-08-30T12:36:00Z.
        let time = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        let request = HttpRequest {
            method: "GET",
            scheme: Scheme::Https,
            authority: "example.amazonaws.com".into(),
            path: "/".into(),
            headers: Vec::new(),
            body: Vec::new(),
        };
        let Auth::SigV4(creds) = sigv4(None) else { unreachable!() };
        let added =
            sign_v4(&request, &creds, "us-east-1", "service", time, &SigningKeys::default())
                .unwrap();
        let authorization = added.iter().find(|(n, _)| n == "authorization").unwrap();
        assert_eq!(
            authorization.1,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
        let mut signed = request.clone();
        signed.headers.extend(added);
        assert_eq!(
            canonical_request(&signed, &["host", "x-amz-date"]),
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn only_content_type_and_bedrock_headers_are_signed() {
        let v = &vectors()[0];
        let mut request = v.request.clone();
        // Present before signing but not in the signed set: must not change the signature.
        request.headers.push(("accept".into(), "application/json".into()));
        request.headers.push(("user-agent".into(), "test/1.0".into()));
        request.headers.push(("x-custom".into(), "v".into()));
        request.headers.push(("content-length".into(), "93".into()));
        authorize(&mut request, &sigv4(None), v.region, vector_time(), &SigningKeys::default())
            .unwrap();
        assert_eq!(request.header("authorization"), Some(v.authorization));

        let mut request = v.request.clone();
        request.headers.push(("x-amzn-bedrock-accept".into(), "application/json".into()));
        request.headers.push(("X-Amzn-Bedrock-Trace".into(), "ENABLED".into()));
        authorize(&mut request, &sigv4(None), v.region, vector_time(), &SigningKeys::default())
            .unwrap();
        let names = signed_header_names(&request).unwrap();
        assert_eq!(
            names,
            ["content-type", "host", "x-amz-date", "x-amzn-bedrock-accept", "x-amzn-bedrock-trace"]
        );
        // Our canonical request agrees with what aws-sigv4 signed.
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let creq = canonical_request(&request, &names);
        let signature = signature_from_canonical(&creq, v.region, "bedrock", vector_time());
        assert!(
            request.header("authorization").unwrap().ends_with(&format!("Signature={signature}"))
        );
    }

    #[test]
    fn headers_added_after_authorize_are_not_signed() {
        let v = &vectors()[1];
        let mut request = v.request.clone();
        authorize(&mut request, &sigv4(v.token), v.region, vector_time(), &SigningKeys::default())
            .unwrap();
        request.headers.push(("x-gateway-key".into(), "k".into()));
        request.headers.push(("x-amzn-bedrock-late".into(), "1".into()));
        assert_eq!(request.header("authorization"), Some(v.authorization));
        assert_eq!(
            signed_header_names(&request).unwrap(),
            ["content-type", "host", "x-amz-date", "x-amz-security-token"]
        );
    }

    #[test]
    fn a_source_the_host_did_not_resolve_is_never_sent() {
        let mut request =
            post("bedrock-runtime.us-east-1.amazonaws.com", "/model/m/converse", "{}");
        let auth = Auth::HostResolved(crate::settings::CredentialSource::Profile("dev".into()));
        let e = authorize(&mut request, &auth, "us-east-1", vector_time(), &SigningKeys::default())
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Authentication);
        assert_eq!(e.field.as_deref(), Some("credentials"));
        assert!(e.message.contains("profile dev"), "{e:?}");
        assert!(request.header("authorization").is_none());
    }

    #[test]
    fn re_signing_replaces_the_previous_signature() {
        let v = &vectors()[1];
        let mut request = v.request.clone();
        // One cache for both: an hour later is the same day, so the second signature uses the
        // key the first one derived.
        let keys = SigningKeys::default();
        let later = vector_time() + Duration::from_secs(3600);
        authorize(&mut request, &sigv4(v.token), v.region, later, &keys).unwrap();
        assert!(keys.is_cached());
        authorize(&mut request, &sigv4(v.token), v.region, vector_time(), &keys).unwrap();
        assert_eq!(request.header("authorization"), Some(v.authorization));
        for name in AUTH_HEADERS {
            assert_eq!(request.headers.iter().filter(|(n, _)| n == name).count(), 1, "{name}");
        }
    }

    #[test]
    fn bearer_sends_only_the_api_key() {
        let mut request = vectors()[0].request.clone();
        // Left over from an earlier SigV4 attempt: must go.
        request.headers.push(("x-amz-date".into(), "20250115T120000Z".into()));
        let key = "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl";
        authorize(
            &mut request,
            &Auth::ApiKey(Secret::new(key)),
            "us-east-1",
            vector_time(),
            &SigningKeys::default(),
        )
        .unwrap();
        assert_eq!(
            request.headers,
            vec![
                ("content-type".to_string(), "application/json".to_string()),
                ("authorization".to_string(), format!("Bearer {key}")),
            ]
        );
        assert!(request.headers.iter().all(|(n, _)| !n.starts_with("x-amz")));
        assert_eq!(signed_header_names(&request), None);
    }

    #[test]
    fn loopback_http_with_a_port_signs_the_port() {
        let mut request = vectors()[0].request.clone();
        request.scheme = Scheme::Http;
        request.authority = "127.0.0.1:4000".into();
        authorize(&mut request, &sigv4(None), "us-east-1", vector_time(), &SigningKeys::default())
            .unwrap();
        let creq = canonical_request(&request, &["content-type", "host", "x-amz-date"]);
        assert!(creq.contains("\nhost:127.0.0.1:4000\n"), "{creq}");
        let signature = signature_from_canonical(&creq, "us-east-1", "bedrock", vector_time());
        assert!(
            request.header("authorization").unwrap().ends_with(&format!("Signature={signature}"))
        );
    }

    #[test]
    fn canonical_uri_normalisation_and_query() {
        let mut request = post("h", "/a/./b//c/../d%3A/?b=2&a=1", "");
        request.headers.push(("x-multi".into(), "  one   two ".into()));
        request.headers.push(("X-Multi".into(), "three".into()));
        let creq = canonical_request(&request, &["x-multi", "HOST"]);
        assert_eq!(
            creq,
            "POST\n/a/b/d%253A/\na=1&b=2\nhost:h\nx-multi:one two,three\n\nhost;x-multi\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn signing_errors_do_not_panic_or_leak() {
        let mut request = vectors()[0].request.clone();
        request.authority = "bad host".into();
        let keys = SigningKeys::default();
        let e = authorize(&mut request, &sigv4(Some(TOKEN)), "us-east-1", vector_time(), &keys)
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Internal);
        let text = format!("{e:?}");
        assert!(!text.contains(SECRET) && !text.contains(TOKEN), "{text}");
    }

    /// aws-sigv4's own `sign`, as the signer used it before the key cache: the oracle for
    /// [`sign_v4`].
    fn reference_headers(
        request: &HttpRequest,
        credentials: &SigV4Credentials,
        region: &str,
        time: SystemTime,
    ) -> Vec<(String, String)> {
        use aws_credential_types::Credentials;
        use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
        use aws_smithy_runtime_api::client::identity::Identity;
        let headers = std::iter::once(("host", request.authority.as_str())).chain(
            request
                .headers
                .iter()
                .filter(|(name, _)| is_signed_header(name))
                .map(|(name, value)| (name.as_str(), value.as_str())),
        );
        let scheme = if request.scheme == Scheme::Http { "http" } else { "https" };
        let uri = format!("{scheme}://{}{}", request.authority, request.path);
        let signable =
            SignableRequest::new(request.method, uri, headers, SignableBody::Bytes(&request.body))
                .unwrap();
        let identity: Identity = Credentials::new(
            credentials.access_key_id.clone(),
            credentials.secret_access_key.expose(),
            credentials.session_token.as_ref().map(|t| t.expose().to_string()),
            None,
            "test",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name(SIGNING_NAME)
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .unwrap();
        let (instructions, _) = sign(signable, &params.into()).unwrap().into_parts();
        instructions.headers().map(|(n, v)| (n.to_ascii_lowercase(), v.to_string())).collect()
    }

    #[test]
    fn signatures_match_aws_sigv4() {
        let mut requests: Vec<(HttpRequest, &str, Option<&str>)> =
            vectors().into_iter().map(|v| (v.request, v.region, v.token)).collect();
        let base = vectors()[0].request.clone();
        let with = |edit: &dyn Fn(&mut HttpRequest)| {
            let mut r = base.clone();
            edit(&mut r);
            r
        };
        requests.extend([
            (
                with(&|r| r.headers.push(("x-amzn-bedrock-trace".into(), " ENABLED  x ".into()))),
                "us-east-1",
                None,
            ),
            (
                with(&|r| {
                    r.headers.push(("X-Amzn-Bedrock-GuardrailIdentifier".into(), "gr-1".into()))
                }),
                "eu-west-3",
                Some(TOKEN),
            ),
            (with(&|r| r.headers.push(("x-amzn-bedrock-a".into(), "2".into()))), "us-east-1", None),
            (
                with(&|r| {
                    r.headers.push(("x-amzn-bedrock-a".into(), "1".into()));
                    r.headers.push(("x-amzn-bedrock-a".into(), "0".into()));
                }),
                "us-east-1",
                None,
            ),
            (
                with(&|r| {
                    r.scheme = Scheme::Http;
                    r.authority = "127.0.0.1:4000".into();
                }),
                "us-east-1",
                None,
            ),
            (
                with(&|r| {
                    r.scheme = Scheme::Http;
                    r.authority = "[::1]:80".into();
                }),
                "us-east-1",
                None,
            ),
            (with(&|r| r.authority = "gateway.example.com:443".into()), "us-east-1", None),
            (with(&|r| r.authority = "gateway.example.com:8443".into()), "us-east-1", None),
            (with(&|r| r.path = "/a/./b//c/../model/x%2Fy%3A1/converse".into()), "us-east-1", None),
            (with(&|r| r.path = "/model/a~b_c-d.e/count-tokens/".into()), "us-east-1", None),
            (with(&|r| r.body = Vec::new()), "ap-southeast-2", None),
            (with(&|r| r.body = vec![0xff; 5000]), "us-gov-west-1", Some("  tok  en ")),
            (with(&|r| r.headers.clear()), "us-east-1", None),
        ]);
        let times = [
            vector_time(),
            UNIX_EPOCH,
            UNIX_EPOCH + Duration::from_secs(951_782_400), // 2000-02-29
            UNIX_EPOCH + Duration::from_secs(4_102_444_799), // 2099-12-31T23:59:59Z
        ];
        // One cache across every case: a cached key must never leak into another scope.
        let keys = SigningKeys::default();
        for (n, (request, region, token)) in requests.iter().enumerate() {
            for secret in [SECRET, "other/secret+key"] {
                let credentials = SigV4Credentials {
                    access_key_id: AKID.into(),
                    secret_access_key: Secret::new(secret),
                    session_token: token.map(Secret::new),
                };
                for time in times {
                    let ours =
                        sign_v4(request, &credentials, region, SIGNING_NAME, time, &keys).unwrap();
                    let theirs = reference_headers(request, &credentials, region, time);
                    assert_eq!(ours, theirs, "case {n}, {region}, {time:?}");
                }
            }
        }
    }

    #[test]
    fn cached_keys_are_used_only_for_their_scope() {
        let secret = Secret::new(SECRET);
        let keys = SigningKeys::default();
        let day = vector_time();
        let key = keys.key(&secret, "20250115", day, "us-east-1", "bedrock");
        let fresh = |s: &str, t, r: &str, n: &str| {
            let mut k = [0u8; 32];
            k.copy_from_slice(v4::generate_signing_key(s, t, r, n).as_ref());
            k
        };
        assert_eq!(key, fresh(SECRET, day, "us-east-1", "bedrock"));
        let next_day = day + Duration::from_secs(86_400);
        let rows: [(&str, &str, SystemTime, &str, &str); 4] = [
            (SECRET, "20250116", next_day, "us-east-1", "bedrock"),
            (SECRET, "20250115", day, "us-west-2", "bedrock"),
            (SECRET, "20250115", day, "us-east-1", "service"),
            ("another", "20250115", day, "us-east-1", "bedrock"),
        ];
        for (s, date, time, region, service) in rows {
            // Start from the first scope's key each time, so every row is a miss against it.
            keys.key(&secret, "20250115", day, "us-east-1", "bedrock");
            let got = keys.key(&Secret::new(s), date, time, region, service);
            assert_eq!(got, fresh(s, time, region, service), "{date} {region} {service}");
        }
        assert!(!format!("{keys:?}").contains(SECRET));
    }

    #[test]
    fn amz_dates_are_utc_calendar_dates() {
        let rows = [
            (0, "19700101", "19700101T000000Z"),
            (1_736_942_400, "20250115", "20250115T120000Z"),
            (951_782_400, "20000229", "20000229T000000Z"),
            (951_868_799, "20000229", "20000229T235959Z"),
            (4_102_444_799, "20991231", "20991231T235959Z"),
            (1_709_251_199, "20240229", "20240229T235959Z"),
        ];
        for (secs, date, stamp) in rows {
            let got = amz_dates(UNIX_EPOCH + Duration::from_secs(secs));
            assert_eq!(got, (date.to_string(), stamp.to_string()), "{secs}");
        }
    }
}

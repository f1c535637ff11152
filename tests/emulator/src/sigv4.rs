//! A hand-written SigV4 verifier (and signer) used as a test oracle.
//!
//! The guest signs with the `aws-sigv4` crate; checking its output with the same crate would let
//! a shared misunderstanding pass unnoticed. This module follows spec §3.1/§3.2 (botocore's
//! `SigV4Auth`) line by line instead, and is unit-tested against the spec's verified vectors.
//!
//! Everything works on the request exactly as received: the raw wire path (re-encoded once more
//! for the canonical URI, so `%3A` becomes `%253A`), the received header values, the exact body.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The only algorithm Bedrock accepts.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Hex SHA-256 of an empty payload.
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

type HmacSha256 = Hmac<Sha256>;

/// Lower-case hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC-SHA256 takes keys of any length"),
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The canonical URI of a raw wire path: dot segments and empty segments removed (botocore
/// `normalize_url_path`), then every byte except `A-Za-z0-9-._~` and `/` percent-encoded with
/// upper-case hex (botocore `quote(path, safe='/~')`). Escapes already on the wire are thereby
/// encoded a second time, which is what non-S3 services expect.
pub fn canonical_uri(raw_path: &str) -> String {
    let normalized = normalize_path(raw_path);
    let mut out = String::with_capacity(normalized.len() + 16);
    for byte in normalized.bytes() {
        if byte == b'/' || is_unreserved(byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// RFC 3986 unreserved characters.
pub fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// Percent-encodes every byte outside the unreserved set (how SDKs encode a path label).
pub fn encode_label(label: &str) -> String {
    let mut out = String::with_capacity(label.len() * 2);
    for byte in label.bytes() {
        if is_unreserved(byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn normalize_path(path: &str) -> String {
    if path.is_empty() {
        return "/".to_string();
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let first = if path.starts_with('/') { "/" } else { "" };
    let last = if path.ends_with('/') && !segments.is_empty() { "/" } else { "" };
    format!("{first}{}{last}", segments.join("/"))
}

/// The canonical query string: `key=value` pairs sorted, as received (botocore keeps the
/// already-encoded wire form). Empty for every Bedrock operation in scope.
pub fn canonical_query(raw_query: &str) -> String {
    if raw_query.is_empty() {
        return String::new();
    }
    let mut pairs: Vec<(&str, &str)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// A header value as it enters the canonical request: trimmed, inner whitespace collapsed.
pub fn canonical_header_value(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The parts of a received request that the signature covers.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// HTTP method, e.g. `POST`.
    pub method: &'a str,
    /// The path exactly as on the wire (still percent-encoded), e.g. `/model/a%3Ab/converse`.
    pub raw_path: &'a str,
    /// The query string exactly as on the wire, without `?` (empty when none).
    pub raw_query: &'a str,
    /// Every received header, names in any case, values as received.
    pub headers: &'a [(String, String)],
    /// The exact body bytes.
    pub body: &'a [u8],
}

impl RequestParts<'_> {
    /// All values of a header (case-insensitive name), in order of arrival.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The first value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_values(name).into_iter().next()
    }
}

/// The canonical request for `parts` with the given signed header names (as listed in the
/// Authorization header, lower case, `;`-joined there).
pub fn canonical_request(parts: &RequestParts<'_>, signed_headers: &[String]) -> String {
    let mut headers_block = String::new();
    for name in signed_headers {
        let values: Vec<String> =
            parts.header_values(name).iter().map(|v| canonical_header_value(v)).collect();
        headers_block.push_str(&format!("{}:{}\n", name.to_ascii_lowercase(), values.join(",")));
    }
    let payload_hash = match parts.header("x-amz-content-sha256") {
        Some(value) if signed_headers.iter().any(|h| h == "x-amz-content-sha256") => {
            value.trim().to_string()
        }
        _ => sha256_hex(parts.body),
    };
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        parts.method,
        canonical_uri(parts.raw_path),
        canonical_query(parts.raw_query),
        headers_block,
        signed_headers.join(";"),
        payload_hash
    )
}

/// The credential scope `<yyyymmdd>/<region>/<service>/aws4_request`.
pub fn scope(date: &str, region: &str, service: &str) -> String {
    format!("{date}/{region}/{service}/aws4_request")
}

/// The string to sign for a canonical request.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{amz_date}\n{scope}\n{}", sha256_hex(canonical_request.as_bytes()))
}

/// The derived signing key: HMAC chain over date, region, service and `aws4_request`.
pub fn signing_key(secret_access_key: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret_access_key}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// Hex HMAC-SHA256 of the string to sign with the signing key.
pub fn signature(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    hex::encode(hmac(signing_key, string_to_sign.as_bytes()))
}

/// Compares two strings without an early exit on the first difference.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A parsed `Authorization: AWS4-HMAC-SHA256 ...` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// Access key ID from the credential.
    pub access_key_id: String,
    /// Scope date (`yyyymmdd`).
    pub date: String,
    /// Scope region.
    pub region: String,
    /// Scope service (must be `bedrock`).
    pub service: String,
    /// Scope terminator (must be `aws4_request`).
    pub terminator: String,
    /// The raw `Credential=` value.
    pub credential: String,
    /// Signed header names, in the order given.
    pub signed_headers: Vec<String>,
    /// The hex signature given by the client.
    pub signature: String,
}

/// Why an Authorization header could not be parsed (an `IncompleteSignatureException` text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedAuthorization(pub String);

/// Parses an `AWS4-HMAC-SHA256 Credential=.., SignedHeaders=.., Signature=..` header.
/// `has_date_header` is whether the request carries `X-Amz-Date` or `Date`; AWS reports its
/// absence together with the missing parameters.
pub fn parse_authorization(
    value: &str,
    has_date_header: bool,
) -> Result<Authorization, MalformedAuthorization> {
    let value = value.trim();
    let (algorithm, rest) = value.split_once(' ').unwrap_or((value, ""));
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    if algorithm == ALGORITHM {
        for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, val)) = part.split_once('=') else {
                return Err(MalformedAuthorization(format!(
                    "'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{value}'."
                )));
            };
            match key {
                "Credential" => credential = Some(val.to_string()),
                "SignedHeaders" => signed_headers = Some(val.to_string()),
                "Signature" => signature = Some(val.to_string()),
                _ => {}
            }
        }
    }
    let mut missing = Vec::new();
    if credential.is_none() {
        missing.push("Authorization header requires 'Credential' parameter.");
    }
    if signature.is_none() {
        missing.push("Authorization header requires 'Signature' parameter.");
    }
    if signed_headers.is_none() {
        missing.push("Authorization header requires 'SignedHeaders' parameter.");
    }
    if !has_date_header {
        missing.push(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        );
    }
    if !missing.is_empty() {
        return Err(MalformedAuthorization(missing.join(" ")));
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(MalformedAuthorization("Authorization header is incomplete.".into()));
    };
    let pieces: Vec<&str> = credential.split('/').collect();
    if pieces.len() != 5 || pieces.iter().any(|p| p.is_empty()) {
        return Err(MalformedAuthorization(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
        )));
    }
    Ok(Authorization {
        access_key_id: pieces[0].to_string(),
        date: pieces[1].to_string(),
        region: pieces[2].to_string(),
        service: pieces[3].to_string(),
        terminator: pieces[4].to_string(),
        credential: credential.clone(),
        signed_headers: signed_headers.split(';').map(str::to_string).collect(),
        signature,
    })
}

/// What the server computes for a request: the texts AWS quotes in a mismatch message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// The canonical request.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
    /// The hex signature the client should have sent.
    pub signature: String,
}

/// Recomputes the signature a request should carry, given its parsed Authorization header and
/// the secret key of its access key ID. `amz_date` is the received `X-Amz-Date` value.
pub fn expected(
    parts: &RequestParts<'_>,
    auth: &Authorization,
    secret_access_key: &str,
    amz_date: &str,
) -> Expected {
    let canonical_request = canonical_request(parts, &auth.signed_headers);
    let scope = scope(&auth.date, &auth.region, &auth.service);
    let string_to_sign = string_to_sign(amz_date, &scope, &canonical_request);
    let key = signing_key(secret_access_key, &auth.date, &auth.region, &auth.service);
    let signature = signature(&key, &string_to_sign);
    Expected { canonical_request, string_to_sign, signature }
}

/// Inputs for [`sign`]: a request to sign the way botocore does (test tooling).
pub struct SigningInput<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// The path exactly as it will go on the wire (already percent-encoded).
    pub raw_path: &'a str,
    /// The raw query string without `?` (empty when none).
    pub raw_query: &'a str,
    /// Headers to sign besides `x-amz-date` / `x-amz-security-token` (which [`sign`] adds);
    /// must include `host`.
    pub headers: &'a [(String, String)],
    /// The exact body bytes.
    pub body: &'a [u8],
    /// Access key ID.
    pub access_key_id: &'a str,
    /// Secret access key.
    pub secret_access_key: &'a str,
    /// Session token, signed as `x-amz-security-token` when present.
    pub session_token: Option<&'a str>,
    /// Signing region.
    pub region: &'a str,
    /// Signing service name (`bedrock` for Bedrock).
    pub service: &'a str,
    /// `X-Amz-Date` value (`yyyymmddThhmmssZ`).
    pub amz_date: &'a str,
}

/// The result of [`sign`]: headers to add to the request, and the intermediate texts.
#[derive(Clone, PartialEq, Eq)]
pub struct Signed {
    /// `x-amz-date`, `x-amz-security-token` (if any) and `authorization`, to add to the request.
    pub headers: Vec<(String, String)>,
    /// The canonical request that was signed.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
    /// The hex signature.
    pub signature: String,
}

impl std::fmt::Debug for Signed {
    // The headers and canonical request may hold a session token: keep it out of Debug.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signed").field("signature", &self.signature).finish_non_exhaustive()
    }
}

/// Signs a request (SigV4 header auth, every given header signed, no payload-hash header).
pub fn sign(input: &SigningInput<'_>) -> Signed {
    let mut all: Vec<(String, String)> =
        input.headers.iter().map(|(n, v)| (n.to_ascii_lowercase(), v.clone())).collect();
    let mut added = vec![("x-amz-date".to_string(), input.amz_date.to_string())];
    if let Some(token) = input.session_token {
        added.push(("x-amz-security-token".to_string(), token.to_string()));
    }
    all.extend(added.iter().cloned());
    let mut names: Vec<String> = all.iter().map(|(n, _)| n.clone()).collect();
    names.sort();
    names.dedup();
    let parts = RequestParts {
        method: input.method,
        raw_path: input.raw_path,
        raw_query: input.raw_query,
        headers: &all,
        body: input.body,
    };
    let date = input.amz_date.get(..8).unwrap_or(input.amz_date);
    let auth = Authorization {
        access_key_id: input.access_key_id.to_string(),
        date: date.to_string(),
        region: input.region.to_string(),
        service: input.service.to_string(),
        terminator: "aws4_request".to_string(),
        credential: String::new(),
        signed_headers: names.clone(),
        signature: String::new(),
    };
    let exp = expected(&parts, &auth, input.secret_access_key, input.amz_date);
    let authorization = format!(
        "{ALGORITHM} Credential={}/{}, SignedHeaders={}, Signature={}",
        input.access_key_id,
        scope(date, input.region, input.service),
        names.join(";"),
        exp.signature
    );
    added.push(("authorization".to_string(), authorization));
    Signed {
        headers: added,
        canonical_request: exp.canonical_request,
        string_to_sign: exp.string_to_sign,
        signature: exp.signature,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const AKID: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const DATE: &str = "20250115T120000Z";
    const BODY_A: &str = r#"{"messages":[{"role":"user","content":[{"text":"Hello"}]}],"inferenceConfig":{"maxTokens":100}}"#;
    const BODY_D: &str = r#"{"queries":[{"type":"TEXT","textQuery":{"text":"What is the capital of France?"}}],"sources":[{"type":"INLINE","inlineDocumentSource":{"type":"TEXT","textDocument":{"text":"Paris is the capital of France."}}}],"rerankingConfiguration":{"type":"BEDROCK_RERANKING_MODEL","bedrockRerankingConfiguration":{"numberOfResults":1,"modelConfiguration":{"modelArn":"arn:aws:bedrock:us-west-2::foundation-model/cohere.rerank-v3-5:0"}}}}"#;

    fn headers(host: &str) -> Vec<(String, String)> {
        vec![
            ("Content-Type".into(), "application/json".into()),
            ("Host".into(), host.into()),
            ("X-Amz-Date".into(), DATE.into()),
        ]
    }

    /// Verifies a request as the server does: parse the header, recompute, compare.
    fn verify(
        path: &str,
        mut hdrs: Vec<(String, String)>,
        body: &str,
        authorization: &str,
    ) -> Expected {
        hdrs.push(("Authorization".into(), authorization.into()));
        let parts = RequestParts {
            method: "POST",
            raw_path: path,
            raw_query: "",
            headers: &hdrs,
            body: body.as_bytes(),
        };
        let auth = parse_authorization(authorization, true).unwrap();
        let exp = expected(&parts, &auth, SECRET, DATE);
        assert!(constant_time_eq(&exp.signature, &auth.signature), "signature mismatch");
        exp
    }

    #[test]
    fn vector_a_base_model() {
        assert_eq!(
            sha256_hex(BODY_A.as_bytes()),
            "a70104911e71b59bfbdea1cc07d6b598b7013d3a263546af5dc9e53f8f57c8f1"
        );
        let exp = verify(
            "/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse",
            headers("bedrock-runtime.us-east-1.amazonaws.com"),
            BODY_A,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/us-east-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=99d56db9aa5c3421d0bef09ab36b241fa1192f62823f66072c729c67de5c4064",
        );
        assert_eq!(
            exp.canonical_request,
            "POST\n/model/anthropic.claude-sonnet-4-5-20250929-v1%253A0/converse\n\ncontent-type:application/json\nhost:bedrock-runtime.us-east-1.amazonaws.com\nx-amz-date:20250115T120000Z\n\ncontent-type;host;x-amz-date\na70104911e71b59bfbdea1cc07d6b598b7013d3a263546af5dc9e53f8f57c8f1"
        );
        assert_eq!(
            exp.string_to_sign,
            "AWS4-HMAC-SHA256\n20250115T120000Z\n20250115/us-east-1/bedrock/aws4_request\nb02ab8b0a873ed9b91ecb1935a8586276880b5273d966d651f2444cb655bdaaa"
        );
        assert_eq!(
            hex::encode(signing_key(SECRET, "20250115", "us-east-1", "bedrock")),
            "37edfb24f5de86dab7e5ace2798293a9db6342415fcd636d42c7a7199dbe6188"
        );
    }

    #[test]
    fn vector_b_session_token() {
        let mut hdrs = headers("bedrock-runtime.us-east-1.amazonaws.com");
        hdrs.push(("X-Amz-Security-Token".into(), "FQoGZXIvYXdzEXAMPLETOKEN".into()));
        let exp = verify(
            "/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse",
            hdrs,
            BODY_A,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/us-east-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=81eb8e33ee10d8e06c21fce0cde7df83158c455a6ca35184bf70db3cdd87c122",
        );
        assert!(
            exp.canonical_request.contains("\nx-amz-security-token:FQoGZXIvYXdzEXAMPLETOKEN\n")
        );
        assert!(
            exp.string_to_sign
                .ends_with("\nb4bbae5fed1914dec5e280e698e4b234e74f4d31b0ff6d358dd29953a16f9474")
        );
    }

    #[test]
    fn vector_c_inference_profile_arn() {
        let exp = verify(
            "/model/arn%3Aaws%3Abedrock%3Aus-west-2%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse-stream",
            headers("bedrock-runtime.us-west-2.amazonaws.com"),
            BODY_A,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/us-west-2/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=4af1f15846f2d4d692dd917c198c117accc05e79404db3214309ac83116a4d5f",
        );
        assert!(exp.canonical_request.starts_with(
            "POST\n/model/arn%253Aaws%253Abedrock%253Aus-west-2%253A123456789012%253Ainference-profile%252Fus.anthropic.claude-sonnet-4-5-20250929-v1%253A0/converse-stream\n"
        ));
        assert!(
            exp.string_to_sign
                .ends_with("\n2a4e8bfe7176be93f8593f395d9a7eda6bd5edbf9a011206ae39c2c07cf9f2ca")
        );
        assert_eq!(
            hex::encode(signing_key(SECRET, "20250115", "us-west-2", "bedrock")),
            "41cd7de01d08425c027e5a57b4530b9899e7bc6f902be69492455d1714040702"
        );
    }

    #[test]
    fn vector_d_rerank() {
        assert_eq!(
            sha256_hex(BODY_D.as_bytes()),
            "327cd7fa05ff821b0b7629d7ddaf0b595353297aa5d79a5c0c9fdd7ff015e562"
        );
        let exp = verify(
            "/rerank",
            headers("bedrock-agent-runtime.us-west-2.amazonaws.com"),
            BODY_D,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/us-west-2/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=823a7decbab4bb3e1ab6d6228fa5cf51c06c423eb49e88f0bc8895663ccdb41b",
        );
        assert!(
            exp.string_to_sign
                .ends_with("\nee63a58701efae16b5f4f2a4f94c3ec6e296b19679cf428c24cf893cd17dd1b1")
        );
    }

    #[test]
    fn get_vanilla() {
        let hdrs = vec![
            ("Host".to_string(), "example.amazonaws.com".to_string()),
            ("X-Amz-Date".to_string(), "20150830T123600Z".to_string()),
        ];
        let parts =
            RequestParts { method: "GET", raw_path: "/", raw_query: "", headers: &hdrs, body: b"" };
        let auth = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            true,
        )
        .unwrap();
        let exp = expected(&parts, &auth, SECRET, "20150830T123600Z");
        assert_eq!(exp.signature, auth.signature);
        assert!(exp.canonical_request.ends_with(EMPTY_PAYLOAD_SHA256));
    }

    #[test]
    fn signer_reproduces_vector_a_and_b() {
        let hdrs = vec![
            ("content-type".to_string(), "application/json".to_string()),
            ("host".to_string(), "bedrock-runtime.us-east-1.amazonaws.com".to_string()),
        ];
        let mut input = SigningInput {
            method: "POST",
            raw_path: "/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse",
            raw_query: "",
            headers: &hdrs,
            body: BODY_A.as_bytes(),
            access_key_id: AKID,
            secret_access_key: SECRET,
            session_token: None,
            region: "us-east-1",
            service: "bedrock",
            amz_date: DATE,
        };
        let signed = sign(&input);
        assert_eq!(
            signed.headers.last().unwrap().1,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/us-east-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=99d56db9aa5c3421d0bef09ab36b241fa1192f62823f66072c729c67de5c4064"
        );
        input.raw_path = "/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse";
        input.session_token = Some("FQoGZXIvYXdzEXAMPLETOKEN");
        assert_eq!(
            sign(&input).signature,
            "81eb8e33ee10d8e06c21fce0cde7df83158c455a6ca35184bf70db3cdd87c122"
        );
        assert!(!format!("{:?}", sign(&input)).contains("FQoG"));
    }

    #[test]
    fn canonical_uri_double_encodes_and_normalizes() {
        assert_eq!(canonical_uri("/model/a%3Ab/converse"), "/model/a%253Ab/converse");
        assert_eq!(canonical_uri("/model/a:b/converse"), "/model/a%3Ab/converse");
        assert_eq!(canonical_uri("//model/./x/../y/"), "/model/y/");
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(encode_label("arn:aws/x y~"), "arn%3Aaws%2Fx%20y~");
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        assert_eq!(canonical_header_value("  a   b \t c  "), "a b c");
    }

    #[test]
    fn malformed_headers_name_what_is_missing() {
        let err = parse_authorization("Bearer abc", false).unwrap_err();
        assert_eq!(
            err.0,
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        );
        let err =
            parse_authorization("AWS4-HMAC-SHA256 Credential=a/b/c/d/e, Oops", true).unwrap_err();
        assert!(err.0.starts_with("'Oops' not a valid key=value pair (missing equal-sign)"));
        let err = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=a/b/c, SignedHeaders=host, Signature=00",
            true,
        )
        .unwrap_err();
        assert!(err.0.contains("5 slash-delimited"));
    }

    #[test]
    fn constant_time_compare() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}

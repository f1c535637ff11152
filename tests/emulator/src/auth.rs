//! The authentication layer: bearer API keys and SigV4, with AWS's error texts (spec §3, §4,
//! §12.4). Checks run in the order the brief fixes; the first failure answers.

use std::time::{Duration, SystemTime};

use crate::clock::{format_amz_date, parse_amz_date};
use crate::errors::ApiError;
use crate::sigv4::{self, RequestParts};
use crate::{Credential, EmulatorConfig};

/// Who made an authenticated request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Principal {
    /// SigV4 with a known access key; `region` is the credential-scope region.
    SigV4 { region: String },
    /// A valid Bedrock API key; `region` comes from the Host header when it names one.
    Bearer { region: Option<String> },
}

impl Principal {
    /// The region the request is served in (bearer calls to a loopback host: us-east-1).
    pub fn region(&self) -> &str {
        match self {
            Principal::SigV4 { region } => region,
            Principal::Bearer { region } => region.as_deref().unwrap_or("us-east-1"),
        }
    }
}

/// The result of authentication plus what the request recorder keeps.
#[derive(Debug, Clone)]
pub(crate) struct AuthOutcome {
    pub result: Result<Principal, ApiError>,
    /// `Some(valid)` for SigV4 attempts, `None` for bearer or no Authorization.
    pub signature_valid: Option<bool>,
    pub signed_headers: Vec<String>,
}

const MAX_SKEW: Duration = Duration::from_secs(5 * 60);

fn coral(status: u16, code: &str, message: &str) -> ApiError {
    ApiError::auth(status, code, message)
}

fn capital_message(status: u16, code: &str, message: &str) -> ApiError {
    ApiError {
        body: serde_json::json!({ "Message": message }).to_string(),
        ..coral(status, code, message)
    }
}

fn invalid_signature(message: &str) -> ApiError {
    coral(403, "InvalidSignatureException", message)
}

fn unrecognized() -> ApiError {
    coral(
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )
}

/// Authenticates a request. `is_rerank` marks the agent-runtime route (SigV4 only);
/// `host_region` is the region named by an AWS Host header, if any.
pub(crate) fn authenticate(
    config: &EmulatorConfig,
    parts: &RequestParts<'_>,
    is_rerank: bool,
    host_region: Option<&str>,
) -> AuthOutcome {
    let Some(authorization) = parts.header("authorization") else {
        return AuthOutcome {
            result: Err(capital_message(
                403,
                "MissingAuthenticationTokenException",
                "Authorization header is missing",
            )),
            signature_valid: None,
            signed_headers: Vec::new(),
        };
    };
    if let Some(key) = bearer_token(authorization) {
        return AuthOutcome {
            result: bearer(config, key, is_rerank, host_region),
            signature_valid: None,
            signed_headers: Vec::new(),
        };
    }
    sigv4_outcome(config, parts, authorization, host_region)
}

fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, rest) = authorization.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

fn bearer(
    config: &EmulatorConfig,
    key: &str,
    is_rerank: bool,
    host_region: Option<&str>,
) -> Result<Principal, ApiError> {
    if is_rerank {
        // The agent runtime accepts SigV4 only (spec §1.1, §4). Its exact answer to a bearer
        // token is UNCERTAIN; this is what AWS front ends say for a non-SigV4 Authorization
        // header, without echoing the key.
        return Err(coral(
            403,
            "IncompleteSignatureException",
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        ));
    }
    let known = config.api_keys.iter().any(|k| sigv4::constant_time_eq(k, key));
    if !known {
        return Err(capital_message(
            403,
            "UnrecognizedClientException",
            "Authentication failed: Please make sure your API Key is valid.",
        ));
    }
    Ok(Principal::Bearer { region: host_region.map(str::to_string) })
}

fn sigv4_outcome(
    config: &EmulatorConfig,
    parts: &RequestParts<'_>,
    authorization: &str,
    host_region: Option<&str>,
) -> AuthOutcome {
    let has_date = parts.header("x-amz-date").is_some() || parts.header("date").is_some();
    let auth = match sigv4::parse_authorization(authorization, has_date) {
        Ok(auth) => auth,
        Err(malformed) => {
            return AuthOutcome {
                result: Err(coral(400, "IncompleteSignatureException", &malformed.0)),
                signature_valid: Some(false),
                signed_headers: Vec::new(),
            };
        }
    };
    let signed_headers = auth.signed_headers.clone();
    let mut valid = false;
    let result = check_sigv4(config, parts, &auth, host_region, &mut valid);
    AuthOutcome { result, signature_valid: Some(valid), signed_headers }
}

fn check_sigv4(
    config: &EmulatorConfig,
    parts: &RequestParts<'_>,
    auth: &sigv4::Authorization,
    host_region: Option<&str>,
    valid: &mut bool,
) -> Result<Principal, ApiError> {
    let credential: &Credential = config
        .credentials
        .iter()
        .find(|c| c.access_key_id == auth.access_key_id)
        .ok_or_else(unrecognized)?;
    if auth.terminator != "aws4_request" {
        return Err(invalid_signature(&format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'.",
            auth.terminator
        )));
    }
    if auth.service != "bedrock" {
        return Err(invalid_signature(
            "Credential should be scoped to correct service: 'bedrock'.",
        ));
    }
    if let Some(region) = host_region
        && region != auth.region
    {
        return Err(invalid_signature(&format!(
            "Credential should be scoped to a valid region, not '{}'.",
            auth.region
        )));
    }
    let Some(amz_date) = parts.header("x-amz-date") else {
        return Err(invalid_signature(
            "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    };
    let amz_date = amz_date.trim();
    let Some(request_time) = parse_amz_date(amz_date) else {
        return Err(invalid_signature(&format!(
            "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )));
    };
    if !amz_date.starts_with(&auth.date) {
        return Err(invalid_signature(&format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{amz_date}'.",
            auth.date,
            &amz_date[..8]
        )));
    }
    match (credential.session_token.as_deref(), parts.header("x-amz-security-token")) {
        (Some(expected), Some(got)) if sigv4::constant_time_eq(expected, got.trim()) => {}
        (None, None) => {}
        _ => return Err(unrecognized()),
    }
    let signed = |name: &str| auth.signed_headers.iter().any(|h| h == name);
    if !signed("host") {
        return Err(invalid_signature(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    if !signed("x-amz-date") {
        return Err(invalid_signature(
            "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    if parts.header("x-amz-security-token").is_some() && !signed("x-amz-security-token") {
        return Err(invalid_signature(
            "'X-Amz-Security-Token' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    if let Some(claimed) = parts.header("x-amz-content-sha256")
        && claimed.trim() != sigv4::sha256_hex(parts.body)
    {
        return Err(coral(
            400,
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ));
    }
    let expected = sigv4::expected(parts, auth, &credential.secret_access_key, amz_date);
    if !sigv4::constant_time_eq(&expected.signature, &auth.signature) {
        return Err(invalid_signature(&format!(
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'{}'\n\nThe String-to-Sign should have been\n'{}'\n",
            expected.canonical_request, expected.string_to_sign
        )));
    }
    *valid = true;
    check_clock(config, request_time, amz_date)?;
    // Temporary credentials stop working at their expiry, whatever the signature says.
    if credential.expires.is_some_and(|expires| SystemTime::now() >= expires) {
        return Err(coral(
            403,
            "ExpiredTokenException",
            "The security token included in the request is expired",
        ));
    }
    Ok(Principal::SigV4 { region: auth.region.clone() })
}

fn check_clock(
    config: &EmulatorConfig,
    request_time: SystemTime,
    amz_date: &str,
) -> Result<(), ApiError> {
    let now = SystemTime::now() + config.clock_skew.unwrap_or_default();
    if request_time + MAX_SKEW < now {
        let earliest = now - MAX_SKEW;
        return Err(invalid_signature(&format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 5 min.)",
            format_amz_date(earliest),
            format_amz_date(now)
        )));
    }
    if request_time > now + MAX_SKEW {
        return Err(invalid_signature(&format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 5 min.)",
            format_amz_date(now + MAX_SKEW),
            format_amz_date(now)
        )));
    }
    Ok(())
}

//! Credentials: the [`Secret`] wrapper that never prints its value, the two ways to
//! authenticate, and their validation. No error here ever echoes a credential.

use std::fmt;

use json_fields::Fields;

use super::credentials::{self, CredentialSource};
use super::json::opt_str;
use crate::error::{ProviderError, Result};

/// The settings that hold secrets: never shown, not even in part (the manifest's
/// `settings.secrets`; the schema marks them `writeOnly`).
pub const SECRET_KEYS: [&str; 4] = ["secretAccessKey", "sessionToken", "apiKey", "headers"];

/// The settings shown only masked (the manifest's `settings.masked`): an access key ID is not
/// a secret, but with the secret key it is the credential.
pub const MASKED_KEYS: [&str; 1] = ["accessKeyId"];

/// A credential. `Debug` and `Display` print `***`; only [`Secret::expose`] gives the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for signing and for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// An AWS access key pair, optionally with the session token of temporary credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigV4Credentials {
    /// The access key ID (not secret, but shown masked).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: Secret,
    /// The session token of temporary (`ASIA…`) credentials.
    pub session_token: Option<Secret>,
}

/// How requests are authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// AWS Signature Version 4 with an access key pair.
    SigV4(SigV4Credentials),
    /// A Bedrock API key, sent as `Authorization: Bearer <key>`.
    ApiKey(Secret),
    /// SigV4 with keys the host resolves from this source (`credentials`) and puts in place of
    /// it before each call; reaching a call like this means the host did not.
    HostResolved(CredentialSource),
}

pub(super) fn parse_auth(obj: &Fields<'_>) -> Result<Auth> {
    if let Some(source) = credentials::parse_credentials(obj)? {
        return Ok(Auth::HostResolved(source));
    }
    let akid = opt_str(obj, "accessKeyId")?;
    let secret = opt_str(obj, "secretAccessKey")?;
    let token = opt_str(obj, "sessionToken")?;
    let api_key = opt_str(obj, "apiKey")?;
    for (key, value, header) in [
        ("accessKeyId", akid, false),
        ("secretAccessKey", secret, false),
        ("sessionToken", token, true),
        ("apiKey", api_key, true),
    ] {
        if let Some(v) = value {
            check_credential(key, v, header)?;
        }
    }

    let pair_hint = "Set both `accessKeyId` and `secretAccessKey` (IAM console → Users → \
                     Security \
                     credentials), plus `sessionToken` for temporary credentials.";
    if api_key.is_some() && (akid.is_some() || secret.is_some()) {
        return Err(ProviderError::settings(
            "apiKey",
            "Both `apiKey` and an access key pair are set, so it is ambiguous which one to use.",
            "Keep one: remove `apiKey` to sign with the access key pair (needed for `rerankApi` \
             `rerank`), or remove `accessKeyId`/`secretAccessKey`/`sessionToken` to use the API \
             key.",
        ));
    }
    if token.is_some() && (akid.is_none() || secret.is_none()) {
        let (missing, set) = match (akid, secret) {
            (None, Some(_)) => ("`accessKeyId` is", "`secretAccessKey` is"),
            (Some(_), None) => ("`secretAccessKey` is", "`accessKeyId` is"),
            _ => ("`accessKeyId` and `secretAccessKey` are", "neither is"),
        };
        return Err(ProviderError::settings(
            "sessionToken",
            format!(
                "`sessionToken` is set but {missing} missing ({set} set); a session token only \
                 works together with the temporary access key pair it was issued with."
            ),
            pair_hint,
        ));
    }
    if let Some(key) = api_key {
        return Ok(Auth::ApiKey(Secret::new(key)));
    }
    let (akid, secret) = match (akid, secret) {
        (Some(a), Some(s)) => (a, s),
        (Some(_), None) => {
            return Err(ProviderError::settings(
                "secretAccessKey",
                "`secretAccessKey` is missing: `accessKeyId` is set, and signing needs both halves \
                 of the key pair.",
                pair_hint,
            ));
        }
        (None, Some(_)) => {
            return Err(ProviderError::settings(
                "accessKeyId",
                "`accessKeyId` is missing: `secretAccessKey` is set, and signing needs both halves \
                 of the key pair.",
                pair_hint,
            ));
        }
        (None, None) => {
            return Err(ProviderError::settings(
                "accessKeyId",
                "No credentials are set: neither an access key pair, an API key nor a \
                 `credentials` source.",
                "Set `accessKeyId` and `secretAccessKey` (plus `sessionToken` for temporary \
                 credentials), set `apiKey` to a Bedrock API key (Bedrock console → API keys), \
                 or set `credentials` (e.g. \"default-chain\" or {\"profile\": \"dev\"}) for a host \
                 that resolves AWS credentials.",
            ));
        }
    };
    if !akid.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) || akid.len() > 128 {
        return Err(ProviderError::settings(
            "accessKeyId",
            "`accessKeyId` is not an AWS access key ID: those are upper-case letters and digits \
             only (e.g. `AKIA…` or `ASIA…`), at most 128 characters.",
            "Copy the Access key ID (not the secret access key, not an ARN or user name) from the \
             IAM console or your credentials file.",
        ));
    }
    if akid.starts_with("ASIA") && token.is_none() {
        return Err(ProviderError::settings(
            "sessionToken",
            "`accessKeyId` starts with `ASIA`, which marks temporary credentials, but \
             `sessionToken` is not set.",
            "Set `sessionToken` to the session token issued with these credentials (e.g. \
             `AWS_SESSION_TOKEN` from `aws sts get-session-token` or SSO), or use long-term \
             `AKIA…` keys.",
        ));
    }
    Ok(Auth::SigV4(SigV4Credentials {
        access_key_id: akid.to_string(),
        secret_access_key: Secret::new(secret),
        session_token: token.map(Secret::new),
    }))
}

/// Credential hygiene. The value is never echoed.
fn check_credential(key: &str, value: &str, goes_in_header: bool) -> Result<()> {
    if value.trim() != value {
        return Err(ProviderError::settings(
            key,
            format!("`{key}` starts or ends with whitespace (a space, tab or line break)."),
            format!(
                "Paste `{key}` again without the surrounding whitespace; this is almost always a \
                 copy-paste error."
            ),
        ));
    }
    let bad = |c: char| {
        if goes_in_header { !(c.is_ascii_graphic() || c == ' ') } else { c.is_control() }
    };
    if value.chars().any(bad) {
        return Err(ProviderError::settings(
            key,
            format!(
                "`{key}` contains a character that cannot be part of this credential (a control \
                 or non-ASCII character)."
            ),
            format!("Paste `{key}` again, copying exactly the credential and nothing else."),
        ));
    }
    Ok(())
}

/// How requests are authenticated, safe to display (see [`super::Settings::auth_summary`]).
pub(super) fn summary(auth: &Auth) -> String {
    match auth {
        Auth::SigV4(c) => {
            let id = &c.access_key_id;
            let chars: Vec<char> = id.chars().collect();
            let n = chars.len();
            let shown: String = if n > 8 {
                chars[..4].iter().chain(['…'].iter()).chain(chars[n - 4..].iter()).collect()
            } else {
                chars[..n.min(2)].iter().chain(['…'].iter()).collect()
            };
            let token = if c.session_token.is_some() { "with" } else { "no" };
            format!("SigV4, access key {shown}, {token} session token")
        }
        Auth::HostResolved(source) => {
            format!("SigV4 with credentials the host resolves from {}", source.describe())
        }
        Auth::ApiKey(key) => {
            let key = key.expose();
            let n = key.chars().count();
            if n >= 16 {
                let head: String = key.chars().take(4).collect();
                format!("Bedrock API key {head}…({n} chars)")
            } else {
                format!("Bedrock API key ({n} chars)")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;
    use crate::settings::test_support::*;

    /// One row per rule: the settings, the field, and words the message must contain.
    #[test]
    fn each_rule_names_its_field() {
        check_rules(vec![
            // Credentials.
            (json!({"region": "us-east-1"}), Some("accessKeyId"), &["No credentials"]),
            (
                with(base(), json!({"secretAccessKey": null})),
                Some("secretAccessKey"),
                &["`secretAccessKey` is missing"],
            ),
            (
                with(base(), json!({"accessKeyId": ""})),
                Some("accessKeyId"),
                &["`accessKeyId` is missing"],
            ),
            (with(base(), json!({"apiKey": API_KEY})), Some("apiKey"), &["ambiguous"]),
            (
                json!({"region": "us-east-1", "apiKey": API_KEY, "secretAccessKey": SECRET}),
                Some("apiKey"),
                &["ambiguous"],
            ),
            (
                json!({"region": "us-east-1", "apiKey": API_KEY, "sessionToken": TOKEN}),
                Some("sessionToken"),
                &["`sessionToken` is set", "missing"],
            ),
            (
                json!({"region": "us-east-1", "sessionToken": TOKEN}),
                Some("sessionToken"),
                &["`sessionToken` is set"],
            ),
            (
                with(base(), json!({"accessKeyId": "ASIAIOSFODNN7EXAMPLE"})),
                Some("sessionToken"),
                &["ASIA", "temporary"],
            ),
            (
                with(base(), json!({"accessKeyId": " AKIDEXAMPLE"})),
                Some("accessKeyId"),
                &["whitespace"],
            ),
            (
                with(base(), json!({"secretAccessKey": format!("{SECRET}\n")})),
                Some("secretAccessKey"),
                &["whitespace"],
            ),
            (
                with(base(), json!({"sessionToken": format!("{TOKEN} ")})),
                Some("sessionToken"),
                &["whitespace"],
            ),
            (
                json!({"region": "us-east-1", "apiKey": format!("\t{API_KEY}")}),
                Some("apiKey"),
                &["whitespace"],
            ),
            (
                json!({"region": "us-east-1", "apiKey": "ABSK\u{7f}x"}),
                Some("apiKey"),
                &["control or non-ASCII"],
            ),
            (
                with(base(), json!({"accessKeyId": "akidexample"})),
                Some("accessKeyId"),
                &["upper-case letters and digits"],
            ),
            (
                with(base(), json!({"accessKeyId": "arn:aws:iam::123456789012:user/x"})),
                Some("accessKeyId"),
                &["not an AWS access key ID"],
            ),
        ]);
    }

    #[test]
    fn secrets_never_show_in_debug_or_summary() {
        let s = ok(&with(
            base(),
            json!({"sessionToken": TOKEN, "headers": {"X-Gateway-Key": "gw-secret-value"}}),
        ));
        let debug = format!("{s:?}");
        for secret in [SECRET, TOKEN, "gw-secret-value"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert!(debug.contains("AKIDEXAMPLE") && debug.contains("x-gateway-key"), "{debug}");
        assert_eq!(s.auth_summary(), "SigV4, access key AKID…MPLE, with session token");
        assert_eq!(ok(&base()).auth_summary(), "SigV4, access key AKID…MPLE, no session token");
        let s = ok(&json!({"region": "us-east-1", "apiKey": API_KEY}));
        assert!(!format!("{s:?}").contains(API_KEY));
        assert_eq!(s.auth_summary(), "Bedrock API key ABSK…(32 chars)");
        let s = ok(&json!({"region": "us-east-1", "apiKey": "short-key"}));
        assert_eq!(s.auth_summary(), "Bedrock API key (9 chars)");
        let s = ok(&with(base(), json!({"accessKeyId": "AKIA1234"})));
        assert_eq!(s.auth_summary(), "SigV4, access key AK…, no session token");
        assert_eq!(Secret::new("x").to_string(), "***");
        assert_eq!(format!("{:?}", Secret::new("x")), "***");
    }
}

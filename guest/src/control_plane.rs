//! Reads from the Bedrock control plane (service `bedrock`): the facts `check` answers the setup
//! checklist with. Only `check` calls these; chat, streams and re-ranking never do.
//!
//! Wire shapes follow botocore's `bedrock` service model (2023-04-20): every operation is a
//! `GET` with no body and no `content-type`, signed with SigV4 for service `bedrock` like the
//! runtime; path labels are percent-encoded like the runtime's `{modelId}` (`:` -> `%3A`), and
//! ListInferenceProfiles' `typeEquals` member travels as the query parameter `type`.
//!
//! | operation | request | answer used |
//! |---|---|---|
//! | GetFoundationModel | `GET /foundation-models/{modelIdentifier}` | `modelDetails.inferenceTypesSupported`, `modelDetails.modelLifecycle` |
//! | GetFoundationModelAvailability | `GET /foundation-model-availability/{modelId}` | `authorizationStatus`, `entitlementAvailability`, `agreementAvailability`, `regionAvailability` |
//! | GetInferenceProfile | `GET /inference-profiles/{inferenceProfileIdentifier}` | `inferenceProfileId`, `type`, `status`, `models[].modelArn` |
//! | ListInferenceProfiles | `GET /inference-profiles?type=SYSTEM_DEFINED&maxResults=1000[&nextToken=…]` | `inferenceProfileSummaries`, `nextToken` |
//!
//! Parsing keeps only what the checklist needs and refuses answers that lack a member botocore
//! marks required, so a gateway that answers something else is reported, not misread.

use std::time::SystemTime;

use serde_json::Value;

use crate::api::Warning;
use crate::auth;
use crate::client::{Client, request_id};
use crate::error::{ProviderError, Result};
use crate::errors::{self, ErrorContext};
use crate::model_id::encode_label;
use crate::transport::{HttpRequest, Transport};

/// Largest control-plane answer read (a full page of 1000 inference profiles is ~1 MB).
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Page size asked of ListInferenceProfiles (the model's maximum).
pub const LIST_PAGE_SIZE: u32 = 1000;

/// `GET /foundation-models/{modelIdentifier}`.
pub fn foundation_model_path(model_identifier: &str) -> String {
    format!("/foundation-models/{}", encode_label(model_identifier))
}

/// `GET /foundation-model-availability/{modelId}`.
pub fn availability_path(model_id: &str) -> String {
    format!("/foundation-model-availability/{}", encode_label(model_id))
}

/// `GET /inference-profiles/{inferenceProfileIdentifier}`.
pub fn inference_profile_path(identifier: &str) -> String {
    format!("/inference-profiles/{}", encode_label(identifier))
}

/// `GET /inference-profiles?type=SYSTEM_DEFINED&maxResults=…[&nextToken=…]`.
pub fn list_inference_profiles_path(next_token: Option<&str>) -> String {
    let mut path = format!("/inference-profiles?type=SYSTEM_DEFINED&maxResults={LIST_PAGE_SIZE}");
    if let Some(token) = next_token {
        // Everything but unreserved characters, as botocore and SigV4's canonical query do.
        path.push_str("&nextToken=");
        path.push_str(&encode_label(token));
    }
    path
}

/// `FoundationModelDetails`, the parts the checklist reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundationModel {
    /// `modelId`.
    pub model_id: String,
    /// `inferenceTypesSupported`: `ON_DEMAND`, `PROVISIONED`, `INFERENCE_PROFILE` (the last is
    /// sent by Bedrock although botocore's enum does not list it).
    pub inference_types: Vec<String>,
    /// `modelLifecycle`, when present.
    pub lifecycle: Option<Lifecycle>,
}

/// `FoundationModelLifecycle`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    /// `ACTIVE` or `LEGACY`.
    pub status: String,
    /// When the model became legacy (ISO 8601 as sent, or epoch seconds rendered as a date).
    pub legacy_time: Option<String>,
    /// When public extended access begins.
    pub public_extended_access_time: Option<String>,
    /// When the model stops working.
    pub end_of_life_time: Option<String>,
}

/// `GetFoundationModelAvailabilityResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Availability {
    /// `authorizationStatus`: `AUTHORIZED` or `NOT_AUTHORIZED`.
    pub authorization: String,
    /// `entitlementAvailability`: `AVAILABLE` or `NOT_AVAILABLE`.
    pub entitlement: String,
    /// `agreementAvailability.status`: `AVAILABLE`, `PENDING`, `NOT_AVAILABLE` or `ERROR`.
    pub agreement: String,
    /// `agreementAvailability.errorMessage`, sanitised.
    pub agreement_error: Option<String>,
    /// `regionAvailability`: `AVAILABLE` or `NOT_AVAILABLE`.
    pub region: String,
}

/// An inference profile (`GetInferenceProfileResponse` or an `InferenceProfileSummary`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InferenceProfile {
    /// `inferenceProfileId`, e.g. `us.anthropic.claude-sonnet-4-5-20250929-v1:0`.
    pub id: String,
    /// `type`: `SYSTEM_DEFINED` or `APPLICATION`.
    pub kind: String,
    /// `status`: `ACTIVE`.
    pub status: String,
    /// `models[].modelArn`: the foundation model in each destination region.
    pub model_arns: Vec<String>,
}

impl InferenceProfile {
    /// The destination regions, in the order listed, without repeats. An ARN with an empty
    /// region field (seen for `global.` profiles) is reported as `any commercial region`.
    pub fn regions(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for arn in &self.model_arns {
            let region = match arn.split(':').nth(3) {
                Some("") => "any commercial region".to_string(),
                Some(r) => r.to_string(),
                None => continue,
            };
            if !out.contains(&region) {
                out.push(region);
            }
        }
        out
    }

    /// The base model IDs the profile routes to (from its foundation-model ARNs).
    pub fn base_models(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for arn in &self.model_arns {
            if let Some((_, id)) = arn.split_once(":foundation-model/")
                && !out.iter().any(|o| o == id)
            {
                out.push(id.to_string());
            }
        }
        out
    }

    /// Whether the profile routes to the base model `base`.
    pub fn serves(&self, base: &str) -> bool {
        self.base_models().iter().any(|m| m == base)
    }
}

/// One page of ListInferenceProfiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfilePage {
    /// `inferenceProfileSummaries`.
    pub profiles: Vec<InferenceProfile>,
    /// `nextToken`, when there are more.
    pub next_token: Option<String>,
}

/// Parses a GetFoundationModel answer.
pub fn parse_foundation_model(body: &[u8]) -> std::result::Result<FoundationModel, String> {
    let v = json(body)?;
    let details = v.get("modelDetails").ok_or("it has no `modelDetails`")?;
    let model_id = required_str(details, "modelId")?;
    required_str(details, "modelArn")?;
    let inference_types = match details.get("inferenceTypesSupported") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            items.iter().filter_map(Value::as_str).map(display_word).collect()
        }
        Some(_) => return Err("`inferenceTypesSupported` is not a list".into()),
    };
    let lifecycle = match details.get("modelLifecycle") {
        None | Some(Value::Null) => None,
        Some(l) => Some(Lifecycle {
            status: required_str(l, "status")?,
            legacy_time: time_field(l, "legacyTime"),
            public_extended_access_time: time_field(l, "publicExtendedAccessTime"),
            end_of_life_time: time_field(l, "endOfLifeTime"),
        }),
    };
    Ok(FoundationModel { model_id, inference_types, lifecycle })
}

/// Parses a GetFoundationModelAvailability answer.
pub fn parse_availability(body: &[u8]) -> std::result::Result<Availability, String> {
    let v = json(body)?;
    required_str(&v, "modelId")?;
    let agreement = v.get("agreementAvailability").ok_or("it has no `agreementAvailability`")?;
    Ok(Availability {
        authorization: required_str(&v, "authorizationStatus")?,
        entitlement: required_str(&v, "entitlementAvailability")?,
        agreement: required_str(agreement, "status")?,
        agreement_error: agreement
            .get("errorMessage")
            .and_then(Value::as_str)
            .map(errors::sanitize_text)
            .filter(|m| !m.is_empty()),
        region: required_str(&v, "regionAvailability")?,
    })
}

/// Parses a GetInferenceProfile answer.
pub fn parse_inference_profile(body: &[u8]) -> std::result::Result<InferenceProfile, String> {
    profile(&json(body)?)
}

/// Parses a ListInferenceProfiles answer.
pub fn parse_profile_page(body: &[u8]) -> std::result::Result<ProfilePage, String> {
    let v = json(body)?;
    let profiles = match v.get("inferenceProfileSummaries") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(profile).collect::<Result<_, _>>()?,
        Some(_) => return Err("`inferenceProfileSummaries` is not a list".into()),
    };
    let next_token = v.get("nextToken").and_then(Value::as_str).map(str::to_string);
    Ok(ProfilePage { profiles, next_token: next_token.filter(|t| !t.is_empty()) })
}

fn profile(v: &Value) -> std::result::Result<InferenceProfile, String> {
    required_str(v, "inferenceProfileArn")?;
    required_str(v, "inferenceProfileName")?;
    let Some(Value::Array(models)) = v.get("models") else {
        return Err("an inference profile has no `models` list".into());
    };
    Ok(InferenceProfile {
        id: required_str(v, "inferenceProfileId")?,
        kind: required_str(v, "type")?,
        status: required_str(v, "status")?,
        model_arns: models
            .iter()
            .filter_map(|m| m.get("modelArn").and_then(Value::as_str))
            .map(display_word)
            .collect(),
    })
}

fn json(body: &[u8]) -> std::result::Result<Value, String> {
    match serde_json::from_slice(body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err("it is not a JSON object".into()),
        Err(e) => Err(format!("it is not JSON ({e})")),
    }
}

fn required_str(v: &Value, key: &str) -> std::result::Result<String, String> {
    v.get(key).and_then(Value::as_str).map(display_word).ok_or_else(|| format!("it has no `{key}`"))
}

/// A timestamp as sent: ISO 8601 (the model's `timestampFormat`) or, from a server that
/// ignores it, epoch seconds.
fn time_field(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(display_word(s)),
        Value::Number(n) => {
            let secs = n.as_f64().filter(|s| s.is_finite() && *s >= 0.0)?;
            let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64);
            Some(httpdate::fmt_http_date(at))
        }
        _ => None,
    }
}

/// Upstream identifiers and enum values go into text shown to operators: keep them to the
/// characters such values have, and short.
pub fn display_word(text: &str) -> String {
    let clean: String = text
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-_.:/+ ".contains(*c))
        .take(256)
        .collect();
    if clean.is_empty() { "(empty)".to_string() } else { clean }
}

/// A control-plane answer: the body and the upstream request ID.
pub(crate) struct Answer {
    pub body: Vec<u8>,
    pub request_id: Option<String>,
    /// Notices from the retry loop, such as a corrected clock skew.
    pub warnings: Vec<Warning>,
}

/// Sends a signed control-plane `GET` through the same retry loop and transport as the runtime
/// operations (so the same outbound policy, timeouts and error mapping apply).
pub(crate) fn get(
    client: &Client,
    transport: &dyn Transport,
    ctx: &ErrorContext,
    path_and_query: &str,
) -> Result<Answer> {
    let settings = client.settings();
    let endpoint = settings.control_plane_endpoint();
    let path = endpoint.path(path_and_query);
    let build = |time: SystemTime| -> Result<HttpRequest> {
        let mut request = HttpRequest {
            method: "GET",
            scheme: endpoint.scheme,
            authority: endpoint.authority.clone(),
            path: path.clone(),
            headers: Vec::new(),
            body: Vec::new(),
        };
        auth::authorize(
            &mut request,
            &settings.auth,
            &settings.region,
            time,
            client.signing_keys(),
        )?;
        // Unsigned, like on the runtime requests, so a gateway may consume or rewrite them.
        for (name, value) in &settings.headers {
            request.headers.push((name.clone(), value.clone()));
        }
        Ok(request)
    };
    // Each read is a call of its own: `timeouts.totalMs` bounds it, not the whole check.
    let sent = client.send(transport, ctx, client.deadline(), &build)?;
    let mut response = sent.response;
    let request_id = request_id(&response);
    let body = response.read_to_end(MAX_BODY_BYTES).map_err(ProviderError::from)?;
    Ok(Answer { body, request_id, warnings: sent.warnings })
}

/// The error for an answer that does not parse as the operation's response.
pub(crate) fn not_the_answer(
    operation: &str,
    why: &str,
    request_id: Option<String>,
) -> ProviderError {
    errors::invalid_response(
        format!("The control plane's answer to {operation} is not a {operation} response: {why}."),
        request_id,
    )
    .with_solution(
        "Check `controlPlaneBaseUrl` (or `baseUrl`, which it defaults to): it must reach the Bedrock \
         control plane (https://bedrock.<region>.amazonaws.com) or a gateway that forwards it.",
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn paths_match_botocore() {
        // botocore 1.43 serialises these exact URLs for the same inputs.
        assert_eq!(
            foundation_model_path("anthropic.claude-sonnet-4-5-20250929-v1:0"),
            "/foundation-models/anthropic.claude-sonnet-4-5-20250929-v1%3A0"
        );
        assert_eq!(
            foundation_model_path(
                "arn:aws:bedrock:us-east-1::foundation-model/cohere.rerank-v3-5:0"
            ),
            "/foundation-models/arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Fcohere.rerank-v3-5%3A0"
        );
        assert_eq!(
            availability_path("anthropic.claude-sonnet-4-5-20250929-v1:0"),
            "/foundation-model-availability/anthropic.claude-sonnet-4-5-20250929-v1%3A0"
        );
        assert_eq!(
            inference_profile_path("us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
            "/inference-profiles/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0"
        );
        assert_eq!(
            list_inference_profiles_path(None),
            "/inference-profiles?type=SYSTEM_DEFINED&maxResults=1000"
        );
        assert_eq!(
            list_inference_profiles_path(Some("abc/+=")),
            "/inference-profiles?type=SYSTEM_DEFINED&maxResults=1000&nextToken=abc%2F%2B%3D"
        );
    }

    /// botocore 1.43's Authorization for these GETs, signed at 2025-01-15T12:00:00Z with the
    /// AWS documentation's example key: our signer must produce the same bytes.
    #[test]
    fn signatures_match_botocore() {
        use crate::settings::{Auth, Secret, SigV4Credentials};
        use crate::transport::Scheme;
        let auth = Auth::SigV4(SigV4Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            session_token: None,
        });
        let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_736_942_400);
        let model = "anthropic.claude-sonnet-4-5-20250929-v1:0";
        let vectors = [
            (
                foundation_model_path(model),
                "de7b5946ed658695828463ee2e3f825182ad6a4d58f4af4f80e8546663d2aeb0",
            ),
            (
                availability_path(model),
                "8dd7a028cbb21bbebd7275c03bc6fd7f837ce6b15bb05e505e4fb06d271f1909",
            ),
            (
                inference_profile_path(&format!("us.{model}")),
                "f05f58a1e5944d309936a16d2c679982373e9f9ee625eeb0902cb9ed63e5a1b3",
            ),
            (
                list_inference_profiles_path(None),
                "3c920ae927018ae20e02f8053132bbab662ab18f1542af99afd5bdef012fc908",
            ),
        ];
        for (path, signature) in vectors {
            let mut request = HttpRequest {
                method: "GET",
                scheme: Scheme::Https,
                authority: "bedrock.us-east-1.amazonaws.com".into(),
                path: path.clone(),
                headers: Vec::new(),
                body: Vec::new(),
            };
            auth::authorize(&mut request, &auth, "us-east-1", time, &auth::SigningKeys::default())
                .unwrap();
            assert_eq!(
                request.header("authorization").unwrap(),
                format!(
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/us-east-1/bedrock/aws4_request, \
                     SignedHeaders=host;x-amz-date, Signature={signature}"
                ),
                "{path}"
            );
        }
    }

    #[test]
    fn foundation_model_answers_parse() {
        let body = br#"{"modelDetails":{"modelArn":"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0","modelId":"anthropic.claude-sonnet-4-5-20250929-v1:0","inferenceTypesSupported":["INFERENCE_PROFILE"],"modelLifecycle":{"status":"ACTIVE"}}}"#;
        let m = parse_foundation_model(body).unwrap();
        assert_eq!(m.inference_types, ["INFERENCE_PROFILE"]);
        assert_eq!(m.lifecycle.unwrap().status, "ACTIVE");
        let legacy = br#"{"modelDetails":{"modelArn":"a","modelId":"m","modelLifecycle":{"status":"LEGACY","legacyTime":"2025-08-04T00:00:00Z","endOfLifeTime":1772323200}}}"#;
        let l = parse_foundation_model(legacy).unwrap().lifecycle.unwrap();
        assert_eq!(l.legacy_time.as_deref(), Some("2025-08-04T00:00:00Z"));
        assert_eq!(l.end_of_life_time.as_deref(), Some("Sun, 01 Mar 2026 00:00:00 GMT"));
        assert!(parse_foundation_model(br#"{"modelDetails":{"modelId":"m"}}"#).is_err());
        assert!(parse_foundation_model(br#"{"Output":{"__type":"x"}}"#).is_err());
        assert!(parse_foundation_model(b"<html>").is_err());
    }

    #[test]
    fn availability_answers_parse() {
        let body = br#"{"modelId":"m","agreementAvailability":{"status":"ERROR","errorMessage":"Bearer abc.def failed\nagain"},"authorizationStatus":"AUTHORIZED","entitlementAvailability":"AVAILABLE","regionAvailability":"NOT_AVAILABLE"}"#;
        let a = parse_availability(body).unwrap();
        assert_eq!((a.region.as_str(), a.agreement.as_str()), ("NOT_AVAILABLE", "ERROR"));
        let message = a.agreement_error.unwrap();
        assert!(!message.contains("abc.def") && !message.contains('\n'), "{message}");
        assert!(parse_availability(br#"{"modelId":"m"}"#).is_err());
    }

    #[test]
    fn profiles_parse_and_name_their_regions() {
        let body = br#"{"inferenceProfileName":"US Claude","inferenceProfileArn":"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.m:0","inferenceProfileId":"us.m:0","status":"ACTIVE","type":"SYSTEM_DEFINED","models":[{"modelArn":"arn:aws:bedrock:us-east-1::foundation-model/m:0"},{"modelArn":"arn:aws:bedrock:us-west-2::foundation-model/m:0"},{"modelArn":"arn:aws:bedrock:us-east-1::foundation-model/m:0"}]}"#;
        let p = parse_inference_profile(body).unwrap();
        assert_eq!(p.regions(), ["us-east-1", "us-west-2"]);
        assert_eq!(p.base_models(), ["m:0"]);
        assert!(p.serves("m:0") && !p.serves("m"));
        let global = InferenceProfile {
            id: "global.m".into(),
            kind: "SYSTEM_DEFINED".into(),
            status: "ACTIVE".into(),
            model_arns: vec!["arn:aws:bedrock:::foundation-model/m".into()],
        };
        assert_eq!(global.regions(), ["any commercial region"]);
        let page = parse_profile_page(
            format!(
                r#"{{"inferenceProfileSummaries":[{}],"nextToken":"t2"}}"#,
                String::from_utf8_lossy(body)
            )
            .as_bytes(),
        )
        .unwrap();
        assert_eq!((page.profiles.len(), page.next_token.as_deref()), (1, Some("t2")));
        assert_eq!(parse_profile_page(b"{}").unwrap().profiles, vec![]);
    }

    #[test]
    fn upstream_words_are_kept_displayable() {
        assert_eq!(display_word("ON_DEMAND"), "ON_DEMAND");
        assert_eq!(display_word("a\u{1b}[31mb\nc"), "a31mbc");
        assert_eq!(display_word("\n"), "(empty)");
    }
}

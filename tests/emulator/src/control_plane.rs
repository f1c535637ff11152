//! The Bedrock control plane (service `bedrock`, host `bedrock.<region>.<suffix>`), as far as
//! the setup checklist reads it: GetFoundationModel, GetFoundationModelAvailability,
//! GetInferenceProfile and ListInferenceProfiles.
//!
//! Requests are checked against botocore's `bedrock` service model (2023-04-20): `GET`, no body,
//! path labels matching the model's patterns (copied verbatim below), and for
//! ListInferenceProfiles only the query parameters `type` (the member `typeEquals`),
//! `maxResults` and `nextToken`. Unknown query parameters are refused, which AWS would ignore:
//! it keeps a client that sends `typeEquals=` from passing here and listing everything there.
//!
//! Answers come from the model catalogue (on-demand vs inference-profile-only, regions,
//! lifecycle) and from the account scenario of `x-emulator-scenario` ([`Scenario`]), which also
//! makes the runtime answer the way AWS does for that account state.

use std::sync::LazyLock;

use percent_encoding::percent_decode_str;
use regex_lite::Regex;
use serde_json::{Value, json};

use crate::embed::EmbedKind;
use crate::errors::ApiError;
use crate::faults::{Fault, Namespace};
use crate::models::{self, ModelInfo};

/// The emulator's account, in ARNs.
const ACCOUNT: &str = "123456789012";

/// botocore `GetFoundationModelIdentifier` (length 1-2048).
const FOUNDATION_MODEL_IDENTIFIER: &str = r"(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}::foundation-model/[a-z0-9-]{1,63}[.]{1}([a-z0-9-]{1,63}[.]){0,2}[a-z0-9-]{1,63}([:][a-z0-9-]{1,63}){0,2})|([a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.]?[a-z0-9-]{1,63})([:][a-z0-9-]{1,63}){0,2})";
/// botocore `BedrockModelId` (length 0-140).
const BEDROCK_MODEL_ID: &str = r"[a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([a-z0-9-]{1,63}[.]){0,2}[a-z0-9-]{1,63}([:][a-z0-9-]{1,63}){0,2}(/[a-z0-9]{12}|)";
/// botocore `InferenceProfileIdentifier` (length 1-2048).
const INFERENCE_PROFILE_IDENTIFIER: &str = r"(arn:aws(|-us-gov|-cn|-iso|-iso-b):bedrock:(|[0-9a-z-]{0,20}):(|[0-9]{12}):(inference-profile|application-inference-profile)/)?[a-zA-Z0-9-:.]+";
/// botocore `PaginationToken` (length 1-2048).
const PAGINATION_TOKEN: &str = r"\S*";

/// Coral validates patterns against the whole value.
fn anchored(pattern: &str) -> Regex {
    // The patterns are the constants above; `botocore_patterns_compile…` below proves them.
    Regex::new(&format!("^(?:{pattern})$")).expect("a botocore pattern regex-lite accepts")
}

static FM_IDENTIFIER: LazyLock<Regex> = LazyLock::new(|| anchored(FOUNDATION_MODEL_IDENTIFIER));
static MODEL_ID: LazyLock<Regex> = LazyLock::new(|| anchored(BEDROCK_MODEL_ID));
static PROFILE_IDENTIFIER: LazyLock<Regex> =
    LazyLock::new(|| anchored(INFERENCE_PROFILE_IDENTIFIER));
static TOKEN: LazyLock<Regex> = LazyLock::new(|| anchored(PAGINATION_TOKEN));

/// An account state the checklist has a row for, selected with `x-emulator-scenario`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Model access not granted: `authorizationStatus` NOT_AUTHORIZED; the runtime answers
    /// 403 "You don't have access to the model with the specified model ID.".
    NoAccess,
    /// The Marketplace agreement is being created: `agreementAvailability.status` PENDING; the
    /// runtime answers the Marketplace AccessDenied.
    AgreementPending,
    /// The model is not offered in the region: `regionAvailability` NOT_AVAILABLE; the runtime
    /// refuses bare IDs ("The provided model identifier is invalid."), inference profiles work.
    RegionUnavailable,
    /// Every model is LEGACY (`modelLifecycle`); the runtime still serves them.
    Legacy,
    /// Every control-plane read is refused by IAM (AccessDenied naming the action).
    ControlPlaneAccessDenied,
    /// Only GetFoundationModelAvailability is refused by IAM (a newer action policies lack).
    AvailabilityAccessDenied,
}

impl Scenario {
    /// Every scenario.
    pub const ALL: [Scenario; 6] = [
        Scenario::NoAccess,
        Scenario::AgreementPending,
        Scenario::RegionUnavailable,
        Scenario::Legacy,
        Scenario::ControlPlaneAccessDenied,
        Scenario::AvailabilityAccessDenied,
    ];

    /// The `x-emulator-scenario` value.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::NoAccess => "no-access",
            Scenario::AgreementPending => "agreement-pending",
            Scenario::RegionUnavailable => "region-unavailable",
            Scenario::Legacy => "legacy",
            Scenario::ControlPlaneAccessDenied => "control-plane-access-denied",
            Scenario::AvailabilityAccessDenied => "availability-access-denied",
        }
    }

    /// The scenario named `name`.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// How the runtime refuses a model call in this account state (`profile`: the call names
    /// an inference profile; `rerank_api`: the agent runtime's Rerank).
    pub(crate) fn runtime_refusal(self, profile: bool, rerank_api: bool) -> Option<ApiError> {
        match self {
            Scenario::NoAccess if rerank_api => {
                Some(ApiError::from_fault(Fault::RerankAccessDenied))
            }
            Scenario::NoAccess => Some(ApiError::from_fault(Fault::NoModelAccess)),
            Scenario::AgreementPending => Some(ApiError::from_fault(Fault::Marketplace)),
            Scenario::RegionUnavailable if !profile => {
                Some(ApiError::validation("The provided model identifier is invalid."))
            }
            _ => None,
        }
    }
}

/// A control-plane operation and its decoded path label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    /// `GET /foundation-models/{modelIdentifier}`.
    GetFoundationModel(String),
    /// `GET /foundation-model-availability/{modelId}`.
    GetFoundationModelAvailability(String),
    /// `GET /inference-profiles/{inferenceProfileIdentifier}`.
    GetInferenceProfile(String),
    /// `GET /inference-profiles`.
    ListInferenceProfiles,
}

impl Op {
    fn name(&self) -> &'static str {
        match self {
            Op::GetFoundationModel(_) => "GetFoundationModel",
            Op::GetFoundationModelAvailability(_) => "GetFoundationModelAvailability",
            Op::GetInferenceProfile(_) => "GetInferenceProfile",
            Op::ListInferenceProfiles => "ListInferenceProfiles",
        }
    }
}

/// The control-plane route of a request, if it is one (raw labels, still encoded).
pub(crate) fn route(method: &str, path: &str) -> Option<Op> {
    if method != "GET" {
        return None;
    }
    let segments: Vec<&str> = path.split('/').collect();
    match segments[..] {
        ["", "foundation-models", label] if !label.is_empty() => {
            Some(Op::GetFoundationModel(label.to_string()))
        }
        ["", "foundation-model-availability", label] if !label.is_empty() => {
            Some(Op::GetFoundationModelAvailability(label.to_string()))
        }
        ["", "inference-profiles", label] if !label.is_empty() => {
            Some(Op::GetInferenceProfile(label.to_string()))
        }
        ["", "inference-profiles"] => Some(Op::ListInferenceProfiles),
        _ => None,
    }
}

/// Answers one control-plane request for a caller in `region`.
pub(crate) fn handle(
    op: &Op,
    raw_query: &str,
    body: &[u8],
    region: &str,
    scenario: Option<Scenario>,
) -> Result<Value, ApiError> {
    if !body.is_empty() {
        // botocore sends these GETs without a body; the emulator is stricter than AWS here.
        return Err(ApiError::validation(format!(
            "{} takes no request body (the Bedrock emulator follows botocore's bedrock model).",
            op.name()
        )));
    }
    if !matches!(op, Op::ListInferenceProfiles) && !raw_query.is_empty() {
        return Err(ApiError::validation(format!(
            "{} takes no query parameters (the Bedrock emulator follows botocore's bedrock model).",
            op.name()
        )));
    }
    let denied = matches!(
        (scenario, op),
        (Some(Scenario::ControlPlaneAccessDenied), _)
            | (Some(Scenario::AvailabilityAccessDenied), Op::GetFoundationModelAvailability(_))
    );
    match op {
        Op::GetFoundationModel(label) => {
            let id = label_value(
                label,
                "modelIdentifier",
                &FM_IDENTIFIER,
                FOUNDATION_MODEL_IDENTIFIER,
                1,
                2048,
            )?;
            let base = match id.split_once("::foundation-model/") {
                Some((prefix, base)) => {
                    if prefix.rsplit(':').next() != Some(region) {
                        return Err(invalid_identifier());
                    }
                    base.to_string()
                }
                None => id.clone(),
            };
            if denied {
                return Err(access_denied("bedrock:GetFoundationModel", &fm_arn(region, &base)));
            }
            let info = models::base_model(&base).ok_or_else(invalid_identifier)?;
            Ok(json!({ "modelDetails": details(info, region, scenario) }))
        }
        Op::GetFoundationModelAvailability(label) => {
            let id = label_value(label, "modelId", &MODEL_ID, BEDROCK_MODEL_ID, 0, 140)?;
            if denied {
                return Err(access_denied(
                    "bedrock:GetFoundationModelAvailability",
                    &fm_arn(region, &id),
                ));
            }
            let info = models::base_model(&id).ok_or_else(invalid_identifier)?;
            Ok(availability(info, region, scenario))
        }
        Op::GetInferenceProfile(label) => {
            let id = label_value(
                label,
                "inferenceProfileIdentifier",
                &PROFILE_IDENTIFIER,
                INFERENCE_PROFILE_IDENTIFIER,
                1,
                2048,
            )?;
            if denied {
                let arn = format!("arn:aws:bedrock:{region}:{ACCOUNT}:inference-profile/{id}");
                return Err(access_denied("bedrock:GetInferenceProfile", &arn));
            }
            inference_profile(&id, region)
        }
        Op::ListInferenceProfiles => {
            let query = list_query(raw_query)?;
            if denied {
                let arn = format!("arn:aws:bedrock:{region}:{ACCOUNT}:inference-profile/*");
                return Err(access_denied("bedrock:ListInferenceProfiles", &arn));
            }
            Ok(list(&query, region))
        }
    }
}

/// Decodes a path label and checks it against its botocore shape.
fn label_value(
    raw: &str,
    member: &str,
    regex: &Regex,
    pattern: &str,
    min: usize,
    max: usize,
) -> Result<String, ApiError> {
    let value =
        percent_decode_str(raw).decode_utf8().map_err(|_| invalid_identifier())?.into_owned();
    let length = value.chars().count();
    if length < min || length > max {
        return Err(ApiError::constraint(
            member,
            &format!("Member must have length between {min} and {max}"),
        ));
    }
    if !regex.is_match(&value) {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}"
        )));
    }
    Ok(value)
}

/// UNCERTAIN: the control plane's text for an unknown model is not recorded; this is the
/// runtime's.
fn invalid_identifier() -> ApiError {
    ApiError::validation("The provided model identifier is invalid.")
}

fn fm_arn(region: &str, id: &str) -> String {
    format!("arn:aws:bedrock:{region}::foundation-model/{id}")
}

/// The IAM refusal AWS sends with a capital `Message` (spec §12.4).
fn access_denied(action: &str, resource: &str) -> ApiError {
    ApiError {
        body: json!({
            "Message": format!(
                "User: arn:aws:iam::{ACCOUNT}:user/x is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action"
            )
        })
        .to_string(),
        ..ApiError::new(403, "AccessDeniedException", Namespace::Bedrock, "")
    }
}

/// `FoundationModelDetails`. Models that need an inference profile list `INFERENCE_PROFILE`
/// (what Bedrock sends, beyond botocore's enum), the others `ON_DEMAND`.
fn details(info: &ModelInfo, region: &str, scenario: Option<Scenario>) -> Value {
    let legacy = scenario == Some(Scenario::Legacy) || models::is_legacy(info.id);
    let lifecycle = if legacy {
        // The emulator's dates, in the model's `iso8601` timestamp format.
        json!({
            "status": "LEGACY",
            "startOfLifeTime": "2024-06-20T00:00:00Z",
            "legacyTime": "2025-08-04T00:00:00Z",
            "publicExtendedAccessTime": "2025-12-01T00:00:00Z",
            "endOfLifeTime": "2026-03-01T00:00:00Z",
        })
    } else {
        json!({ "status": "ACTIVE" })
    };
    let rerank = info.rerank.is_some();
    // Cohere's embedding models take images too; Titan Text Embeddings takes text only.
    let images =
        info.vision || matches!(info.embed, Some(EmbedKind::CohereV3 | EmbedKind::CohereV4));
    let input = if images { json!(["TEXT", "IMAGE"]) } else { json!(["TEXT"]) };
    let output = if info.embed.is_some() { "EMBEDDING" } else { "TEXT" };
    json!({
        "modelArn": fm_arn(region, info.id),
        "modelId": info.id,
        "modelName": models::display_name(info.id),
        "providerName": models::provider_name(info.provider),
        "inputModalities": input,
        "outputModalities": [output],
        "responseStreamingSupported": !rerank && info.embed.is_none(),
        "customizationsSupported": [],
        "inferenceTypesSupported": if info.needs_profile { json!(["INFERENCE_PROFILE"]) } else { json!(["ON_DEMAND"]) },
        "modelLifecycle": lifecycle,
    })
}

/// `GetFoundationModelAvailabilityResponse`.
fn availability(info: &ModelInfo, region: &str, scenario: Option<Scenario>) -> Value {
    let offered =
        !info.unavailable_in.contains(&region) && scenario != Some(Scenario::RegionUnavailable);
    let authorized = scenario != Some(Scenario::NoAccess);
    let agreement =
        if scenario == Some(Scenario::AgreementPending) { "PENDING" } else { "AVAILABLE" };
    json!({
        "modelId": info.id,
        "agreementAvailability": { "status": agreement },
        "authorizationStatus": if authorized { "AUTHORIZED" } else { "NOT_AUTHORIZED" },
        "entitlementAvailability": "AVAILABLE",
        "regionAvailability": if offered { "AVAILABLE" } else { "NOT_AVAILABLE" },
    })
}

fn profile_json(id: &str, geo: &str, info: &ModelInfo, region: &str) -> Value {
    let label = match geo {
        "us-gov" => "US-GOV".to_string(),
        "global" => "Global".to_string(),
        g => g.to_ascii_uppercase(),
    };
    // InferenceProfileName allows letters, digits and single ` `, `_` or `-` between them.
    let name: String = format!("{label} {}", models::display_name(info.id))
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == ' ' || c == '-' { c } else { '-' })
        .collect();
    let models: Vec<Value> = models::destination_regions(geo, region)
        .into_iter()
        .map(|r| json!({ "modelArn": fm_arn(r, info.id) }))
        .collect();
    json!({
        "inferenceProfileName": name,
        "description": format!("Routes requests to {} in its destination regions.", models::display_name(info.id)),
        "inferenceProfileArn": format!("arn:aws:bedrock:{region}:{ACCOUNT}:inference-profile/{id}"),
        "inferenceProfileId": id,
        "models": models,
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED",
    })
}

/// UNCERTAIN: AWS's text for an unknown profile is not recorded.
fn profile_not_found(id: &str) -> ApiError {
    ApiError::new(
        404,
        "ResourceNotFoundException",
        Namespace::Bedrock,
        &format!("The inference profile {id} was not found."),
    )
}

fn inference_profile(identifier: &str, region: &str) -> Result<Value, ApiError> {
    let id = match identifier.strip_prefix("arn:") {
        None => identifier.to_string(),
        Some(_) => {
            let parts: Vec<&str> = identifier.splitn(6, ':').collect();
            let [_, _, _, arn_region, _, resource] = parts[..] else {
                return Err(profile_not_found(identifier));
            };
            if arn_region != region {
                return Err(profile_not_found(identifier));
            }
            match resource.split_once('/') {
                Some(("inference-profile", id)) => id.to_string(),
                Some(("application-inference-profile", app)) => {
                    let info = models::generic_model();
                    return Ok(json!({
                        "inferenceProfileName": format!("app-{app}"),
                        "inferenceProfileArn": identifier,
                        "inferenceProfileId": app,
                        "models": [{ "modelArn": fm_arn(region, info.id) }],
                        "status": "ACTIVE",
                        "type": "APPLICATION",
                    }));
                }
                _ => return Err(profile_not_found(identifier)),
            }
        }
    };
    let (geo, info) = models::system_profile(&id, region).ok_or_else(|| profile_not_found(&id))?;
    Ok(profile_json(&id, geo, info, region))
}

/// ListInferenceProfiles' query, validated.
struct ListQuery {
    kind: Option<String>,
    max_results: usize,
    offset: usize,
}

/// Page size when `maxResults` is absent (AWS's default is not documented).
const DEFAULT_PAGE: usize = 100;

fn list_query(raw: &str) -> Result<ListQuery, ApiError> {
    let mut query = ListQuery { kind: None, max_results: DEFAULT_PAGE, offset: 0 };
    let mut seen: Vec<String> = Vec::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode_str(value)
            .decode_utf8()
            .map_err(|_| ApiError::validation("The query string is not valid UTF-8."))?
            .into_owned();
        if seen.iter().any(|k| k == key) {
            return Err(ApiError::validation(format!("The query parameter '{key}' is repeated.")));
        }
        seen.push(key.to_string());
        match key {
            "type" => {
                if !["SYSTEM_DEFINED", "APPLICATION"].contains(&value.as_str()) {
                    return Err(ApiError::validation(format!(
                        "1 validation error detected: Value '{value}' at 'typeEquals' failed to satisfy constraint: Member must satisfy enum value set: [SYSTEM_DEFINED, APPLICATION]"
                    )));
                }
                query.kind = Some(value);
            }
            "maxResults" => {
                query.max_results = match value.parse::<usize>() {
                    Ok(n) if (1..=1000).contains(&n) => n,
                    _ => {
                        return Err(ApiError::validation(format!(
                            "1 validation error detected: Value '{value}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 1000"
                        )));
                    }
                };
            }
            "nextToken" => {
                if value.is_empty() || value.len() > 2048 || !TOKEN.is_match(&value) {
                    return Err(ApiError::constraint(
                        "nextToken",
                        "Member must satisfy regular expression pattern: \\S*",
                    ));
                }
                query.offset =
                    value.strip_prefix("emulator-page-").and_then(|n| n.parse().ok()).ok_or_else(
                        || ApiError::validation("The provided pagination token is invalid."),
                    )?;
            }
            other => {
                return Err(ApiError::validation(format!(
                    "ListInferenceProfiles has no query parameter '{other}' (botocore's bedrock model: type, maxResults, nextToken; the member typeEquals travels as 'type')."
                )));
            }
        }
    }
    Ok(query)
}

fn list(query: &ListQuery, region: &str) -> Value {
    let all: Vec<Value> = if query.kind.as_deref() == Some("APPLICATION") {
        Vec::new()
    } else {
        models::system_profiles(region)
            .into_iter()
            .map(|(id, geo, info)| profile_json(&id, geo, info, region))
            .collect()
    };
    let page: Vec<Value> = all.iter().skip(query.offset).take(query.max_results).cloned().collect();
    let next = query.offset + page.len();
    let mut out = json!({ "inferenceProfileSummaries": page });
    if next < all.len() {
        out["nextToken"] = json!(format!("emulator-page-{next}"));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn botocore_patterns_compile_and_accept_what_botocore_sends() {
        for pattern in [
            FOUNDATION_MODEL_IDENTIFIER,
            BEDROCK_MODEL_ID,
            INFERENCE_PROFILE_IDENTIFIER,
            PAGINATION_TOKEN,
        ] {
            assert!(Regex::new(pattern).is_ok(), "{pattern}");
        }
        for id in [
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            "cohere.rerank-v3-5:0",
            "amazon.nova-lite-v1:0",
            "arn:aws:bedrock:us-east-1::foundation-model/cohere.rerank-v3-5:0",
        ] {
            assert!(FM_IDENTIFIER.is_match(id), "{id}");
        }
        assert!(MODEL_ID.is_match("anthropic.claude-sonnet-4-5-20250929-v1:0"));
        assert!(
            !MODEL_ID.is_match("arn:aws:bedrock:us-east-1::foundation-model/cohere.rerank-v3-5:0")
        );
        assert!(!FM_IDENTIFIER.is_match("Anthropic.Claude"));
        assert!(PROFILE_IDENTIFIER.is_match("us.anthropic.claude-sonnet-4-5-20250929-v1:0"));
        assert!(PROFILE_IDENTIFIER.is_match(
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123"
        ));
        assert!(!PROFILE_IDENTIFIER.is_match("us/anthropic"));
    }

    #[test]
    fn routes() {
        assert_eq!(
            route("GET", "/foundation-models/a%3Ab"),
            Some(Op::GetFoundationModel("a%3Ab".into()))
        );
        assert_eq!(route("GET", "/inference-profiles"), Some(Op::ListInferenceProfiles));
        assert_eq!(route("POST", "/inference-profiles"), None);
        assert_eq!(route("GET", "/foundation-models/"), None);
        assert_eq!(route("GET", "/foundation-models/a/b"), None);
    }

    #[test]
    fn scenarios_round_trip() {
        for s in Scenario::ALL {
            assert_eq!(Scenario::from_name(s.name()), Some(s));
        }
    }

    #[test]
    fn the_catalogue_drives_the_answers() {
        let sonnet = handle(
            &Op::GetFoundationModel("anthropic.claude-sonnet-4-5-20250929-v1%3A0".into()),
            "",
            b"",
            "us-east-1",
            None,
        )
        .unwrap();
        assert_eq!(sonnet["modelDetails"]["inferenceTypesSupported"], json!(["INFERENCE_PROFILE"]));
        assert_eq!(sonnet["modelDetails"]["modelLifecycle"]["status"], "ACTIVE");
        let legacy = handle(
            &Op::GetFoundationModel("anthropic.claude-3-5-sonnet-20240620-v1%3A0".into()),
            "",
            b"",
            "us-east-1",
            None,
        )
        .unwrap();
        assert_eq!(legacy["modelDetails"]["modelLifecycle"]["status"], "LEGACY");
        let rerank = handle(
            &Op::GetFoundationModelAvailability("amazon.rerank-v1%3A0".into()),
            "",
            b"",
            "us-east-1",
            None,
        )
        .unwrap();
        assert_eq!(rerank["regionAvailability"], "NOT_AVAILABLE");
        let profile = handle(
            &Op::GetInferenceProfile("us.anthropic.claude-sonnet-4-5-20250929-v1%3A0".into()),
            "",
            b"",
            "us-east-1",
            None,
        )
        .unwrap();
        let regions: Vec<&str> = profile["models"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["modelArn"].as_str().unwrap().split(':').nth(3).unwrap())
            .collect();
        assert_eq!(regions, ["us-east-1", "us-east-2", "us-west-1", "us-west-2"]);
        let missing = handle(
            &Op::GetInferenceProfile("eu.anthropic.claude-sonnet-4-5-20250929-v1%3A0".into()),
            "",
            b"",
            "us-east-1",
            None,
        )
        .unwrap_err();
        assert_eq!(missing.status, 404);
    }

    #[test]
    fn list_pages_and_refuses_unknown_parameters() {
        let first = handle(
            &Op::ListInferenceProfiles,
            "type=SYSTEM_DEFINED&maxResults=2",
            b"",
            "us-east-1",
            None,
        )
        .unwrap();
        assert_eq!(first["inferenceProfileSummaries"].as_array().unwrap().len(), 2);
        let token = first["nextToken"].as_str().unwrap();
        let second = handle(
            &Op::ListInferenceProfiles,
            &format!("type=SYSTEM_DEFINED&maxResults=2&nextToken={token}"),
            b"",
            "us-east-1",
            None,
        )
        .unwrap();
        assert_ne!(first["inferenceProfileSummaries"][0], second["inferenceProfileSummaries"][0]);
        let e =
            handle(&Op::ListInferenceProfiles, "typeEquals=SYSTEM_DEFINED", b"", "us-east-1", None)
                .unwrap_err();
        assert!(e.body.contains("travels as 'type'"), "{}", e.body);
        assert!(
            handle(&Op::ListInferenceProfiles, "maxResults=0", b"", "us-east-1", None).is_err()
        );
        assert!(handle(&Op::ListInferenceProfiles, "type=OTHER", b"", "us-east-1", None).is_err());
        assert!(
            handle(&Op::GetFoundationModel("a.b".into()), "", b"{}", "us-east-1", None).is_err()
        );
    }
}

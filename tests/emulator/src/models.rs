//! The emulator's model catalogue and model-ID resolution (spec §2.1, §13).
//!
//! A small, explicit catalogue: unknown IDs are refused like Bedrock refuses them, so a test
//! cannot pass with an ID that AWS would reject.

use crate::embed::EmbedKind;
use crate::errors::ApiError;
use crate::faults::Fault;

/// Who made a model (drives response details such as usage fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Provider {
    Anthropic,
    Amazon,
    Meta,
    Cohere,
}

/// Which reranking schema a model speaks through InvokeModel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RerankKind {
    Cohere,
    Amazon,
}

/// Extended-thinking support of an Anthropic model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Thinking {
    None,
    /// `{"type":"enabled","budget_tokens":N}`.
    Enabled,
    /// Also `{"type":"adaptive"}` (Claude 4.6).
    Adaptive,
}

/// What the emulator knows about a base model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ModelInfo {
    /// The base model ID, e.g. `anthropic.claude-sonnet-4-5-20250929-v1:0`.
    pub id: &'static str,
    pub provider: Provider,
    /// Largest `maxTokens` accepted.
    pub max_output: u64,
    /// Accepts image blocks.
    pub vision: bool,
    /// Accepts tools.
    pub tools: bool,
    pub thinking: Thinking,
    /// On-demand calls with the bare ID are refused; an inference profile is needed.
    pub needs_profile: bool,
    /// `temperature` and `topP` may not be combined (Claude 4.5 and later).
    pub exclusive_sampling: bool,
    /// Has system-defined (geo) inference profiles.
    pub has_profiles: bool,
    /// A reranking model (not usable with Converse).
    pub rerank: Option<RerankKind>,
    /// An embedding model (InvokeModel only).
    pub embed: Option<EmbedKind>,
    /// Takes Converse `outputConfig.textFormat` (Claude 4.5 and later).
    pub structured_output: bool,
    /// Takes Converse `outputConfig.effort` (Claude Opus 4.5, Claude 4.6).
    pub effort: bool,
    /// Regions where the model is not offered.
    pub unavailable_in: &'static [&'static str],
}

const fn chat(
    id: &'static str,
    provider: Provider,
    max_output: u64,
    vision: bool,
    tools: bool,
) -> ModelInfo {
    ModelInfo {
        id,
        provider,
        max_output,
        vision,
        tools,
        thinking: Thinking::None,
        needs_profile: false,
        exclusive_sampling: false,
        has_profiles: false,
        rerank: None,
        embed: None,
        structured_output: false,
        effort: false,
        unavailable_in: &[],
    }
}

const fn claude(
    id: &'static str,
    max_output: u64,
    thinking: Thinking,
    exclusive: bool,
) -> ModelInfo {
    ModelInfo {
        id,
        provider: Provider::Anthropic,
        max_output,
        vision: true,
        tools: true,
        thinking,
        needs_profile: true,
        exclusive_sampling: exclusive,
        has_profiles: true,
        rerank: None,
        embed: None,
        structured_output: false,
        effort: false,
        unavailable_in: &[],
    }
}

/// Claude 4.5 and later: native structured output (and effort where `effort`).
const fn structured(mut info: ModelInfo, effort: bool) -> ModelInfo {
    info.structured_output = true;
    info.effort = effort;
    info
}

const fn embedder(id: &'static str, provider: Provider, kind: EmbedKind) -> ModelInfo {
    let mut info = chat(id, provider, 0, false, false);
    info.embed = Some(kind);
    info
}

const fn profiled(mut info: ModelInfo) -> ModelInfo {
    info.has_profiles = true;
    info
}

const fn reranker(id: &'static str, provider: Provider, kind: RerankKind) -> ModelInfo {
    let mut info = chat(id, provider, 0, false, false);
    info.rerank = Some(kind);
    info
}

/// The catalogue. Claude 3.7 and every 4.x model need an inference profile (spec §13).
static CATALOGUE: &[ModelInfo] = &[
    profiled(chat("anthropic.claude-3-haiku-20240307-v1:0", Provider::Anthropic, 4096, true, true)),
    profiled(chat(
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
        Provider::Anthropic,
        4096,
        true,
        true,
    )),
    claude("anthropic.claude-3-5-sonnet-20241022-v2:0", 8192, Thinking::None, false),
    claude("anthropic.claude-3-7-sonnet-20250219-v1:0", 64000, Thinking::Enabled, false),
    claude("anthropic.claude-sonnet-4-20250514-v1:0", 64000, Thinking::Enabled, false),
    claude("anthropic.claude-opus-4-20250514-v1:0", 32000, Thinking::Enabled, false),
    claude("anthropic.claude-opus-4-1-20250805-v1:0", 32000, Thinking::Enabled, true),
    structured(
        claude("anthropic.claude-sonnet-4-5-20250929-v1:0", 64000, Thinking::Enabled, true),
        false,
    ),
    structured(
        claude("anthropic.claude-haiku-4-5-20251001-v1:0", 64000, Thinking::Enabled, true),
        false,
    ),
    structured(
        claude("anthropic.claude-opus-4-5-20251101-v1:0", 64000, Thinking::Enabled, true),
        true,
    ),
    structured(claude("anthropic.claude-sonnet-4-6", 64000, Thinking::Adaptive, true), true),
    structured(claude("anthropic.claude-opus-4-6-v1", 128000, Thinking::Adaptive, true), true),
    profiled(chat("amazon.nova-micro-v1:0", Provider::Amazon, 10000, false, true)),
    profiled(chat("amazon.nova-lite-v1:0", Provider::Amazon, 10000, true, true)),
    profiled(chat("amazon.nova-pro-v1:0", Provider::Amazon, 10000, true, true)),
    chat("meta.llama3-8b-instruct-v1:0", Provider::Meta, 2048, false, false),
    reranker("cohere.rerank-v3-5:0", Provider::Cohere, RerankKind::Cohere),
    embedder("amazon.titan-embed-text-v2:0", Provider::Amazon, EmbedKind::TitanV2),
    embedder("cohere.embed-english-v3", Provider::Cohere, EmbedKind::CohereV3),
    embedder("cohere.embed-multilingual-v3", Provider::Cohere, EmbedKind::CohereV3),
    embedder("cohere.embed-v4:0", Provider::Cohere, EmbedKind::CohereV4),
    ModelInfo {
        unavailable_in: &["us-east-1"],
        ..reranker("amazon.rerank-v1:0", Provider::Amazon, RerankKind::Amazon)
    },
];

/// Resolves the `{modelId}` of CountTokens: a base model ID or a foundation-model ARN of the
/// signing region. Inference profiles are refused as invalid identifiers (as Bedrock does), and
/// on-demand support does not matter (nothing is generated).
pub(crate) fn resolve_for_counting(model_id: &str, region: &str) -> Result<Resolved, ApiError> {
    if let Some(name) = model_id.strip_prefix("emulator.fault-") {
        return Fault::from_name(name).map(Resolved::Fault).ok_or_else(invalid);
    }
    let id = match model_id.strip_prefix("arn:") {
        Some(_) => {
            let parts: Vec<&str> = model_id.splitn(6, ':').collect();
            match parts[..] {
                [_, _, "bedrock", arn_region, "", resource] if arn_region == region => {
                    resource.strip_prefix("foundation-model/").ok_or_else(invalid)?
                }
                _ => return Err(invalid()),
            }
        }
        None => model_id,
    };
    let info = base_model(id).ok_or_else(invalid)?;
    if info.unavailable_in.contains(&region) {
        return Err(invalid());
    }
    Ok(Resolved::Model(info))
}

/// Looks up a base model ID.
pub(crate) fn base_model(id: &str) -> Option<&'static ModelInfo> {
    CATALOGUE.iter().find(|m| m.id == id)
}

/// The model's name as the control plane shows it (`modelName`, at most 20 characters).
pub(crate) fn display_name(id: &str) -> &'static str {
    match id {
        "anthropic.claude-3-haiku-20240307-v1:0" => "Claude 3 Haiku",
        "anthropic.claude-3-5-sonnet-20240620-v1:0" => "Claude 3.5 Sonnet",
        "anthropic.claude-3-5-sonnet-20241022-v2:0" => "Claude 3.5 Sonnet v2",
        "anthropic.claude-3-7-sonnet-20250219-v1:0" => "Claude 3.7 Sonnet",
        "anthropic.claude-sonnet-4-20250514-v1:0" => "Claude Sonnet 4",
        "anthropic.claude-opus-4-20250514-v1:0" => "Claude Opus 4",
        "anthropic.claude-opus-4-1-20250805-v1:0" => "Claude Opus 4.1",
        "anthropic.claude-sonnet-4-5-20250929-v1:0" => "Claude Sonnet 4.5",
        "anthropic.claude-haiku-4-5-20251001-v1:0" => "Claude Haiku 4.5",
        "anthropic.claude-opus-4-5-20251101-v1:0" => "Claude Opus 4.5",
        "anthropic.claude-sonnet-4-6" => "Claude Sonnet 4.6",
        "anthropic.claude-opus-4-6-v1" => "Claude Opus 4.6",
        "amazon.nova-micro-v1:0" => "Nova Micro",
        "amazon.nova-lite-v1:0" => "Nova Lite",
        "amazon.nova-pro-v1:0" => "Nova Pro",
        "meta.llama3-8b-instruct-v1:0" => "Llama 3 8B Instruct",
        "cohere.rerank-v3-5:0" => "Rerank 3.5",
        "amazon.rerank-v1:0" => "Rerank 1.0",
        "amazon.titan-embed-text-v2:0" => "Titan Text Embed V2",
        "cohere.embed-english-v3" => "Embed English",
        "cohere.embed-multilingual-v3" => "Embed Multilingual",
        "cohere.embed-v4:0" => "Embed v4",
        _ => "Model",
    }
}

/// The model provider's name as the control plane shows it (`providerName`).
pub(crate) fn provider_name(provider: Provider) -> &'static str {
    match provider {
        Provider::Anthropic => "Anthropic",
        Provider::Amazon => "Amazon",
        Provider::Meta => "Meta",
        Provider::Cohere => "Cohere",
    }
}

/// Models whose lifecycle status is LEGACY (Claude 3.5 Sonnet v1 is, on Bedrock).
const LEGACY: &[&str] = &["anthropic.claude-3-5-sonnet-20240620-v1:0"];

/// Whether the model is legacy.
pub(crate) fn is_legacy(id: &str) -> bool {
    LEGACY.contains(&id)
}

/// The system-defined inference profiles a caller in `region` can use: `(profile ID, geo,
/// model)`, in catalogue order, each model's geographies in table order and `global` last.
pub(crate) fn system_profiles(region: &str) -> Vec<(String, &'static str, &'static ModelInfo)> {
    let mut out = Vec::new();
    for info in CATALOGUE.iter().filter(|m| m.has_profiles) {
        for geo in GEOS.iter().map(|(g, _)| *g).chain(["global"]) {
            if geo_serves(geo, region) == Some(true) {
                out.push((format!("{geo}.{}", info.id), geo, info));
            }
        }
    }
    out
}

/// The system-defined profile `id` (`<geo>.<base>`) as seen from `region`, if it exists there.
pub(crate) fn system_profile(id: &str, region: &str) -> Option<(&'static str, &'static ModelInfo)> {
    let (geo, base) = split_geo(id)?;
    let info = base_model(base).filter(|m| m.has_profiles)?;
    if geo_serves(geo, region) != Some(true) {
        return None;
    }
    let geo = GEOS.iter().map(|(g, _)| *g).chain(["global"]).find(|g| *g == geo)?;
    Some((geo, info))
}

/// The destination regions of a `geo` profile used from `region`. UNCERTAIN for `global`: it
/// routes to any commercial region; this lists the caller's geography and then an ARN region of
/// "" for "anywhere", which is what a recorded answer is believed to show.
pub(crate) fn destination_regions(geo: &str, region: &str) -> Vec<&'static str> {
    let regions_of = |g: &str| GEOS.iter().find(|(name, _)| *name == g).map(|(_, r)| r.to_vec());
    if geo == "global" {
        let own = GEOS
            .iter()
            .filter(|(name, _)| !["jp", "au"].contains(name))
            .find(|(_, regions)| regions.contains(&region))
            .map(|(_, r)| r.to_vec())
            .unwrap_or_default();
        return own.into_iter().chain([""]).collect();
    }
    regions_of(geo).unwrap_or_default()
}

/// The model used for `emulator.fault-*` IDs and application inference profiles.
pub(crate) fn generic_model() -> &'static ModelInfo {
    CATALOGUE.iter().find(|m| m.id == "amazon.nova-lite-v1:0").unwrap_or(&CATALOGUE[0])
}

/// Geographic inference-profile prefixes and their source regions (spec §13).
const GEOS: &[(&str, &[&str])] = &[
    ("us-gov", &["us-gov-east-1", "us-gov-west-1"]),
    ("us", &["us-east-1", "us-east-2", "us-west-1", "us-west-2"]),
    (
        "eu",
        &[
            "eu-central-1",
            "eu-central-2",
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "eu-north-1",
            "eu-south-1",
            "eu-south-2",
        ],
    ),
    (
        "apac",
        &[
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-northeast-3",
            "ap-south-1",
            "ap-south-2",
            "ap-southeast-1",
            "ap-southeast-2",
            "ap-southeast-3",
            "ap-southeast-4",
            "ap-southeast-5",
            "ap-southeast-7",
            "ap-east-2",
            "me-central-1",
        ],
    ),
    ("jp", &["ap-northeast-1", "ap-northeast-3"]),
    ("au", &["ap-southeast-2", "ap-southeast-4"]),
    ("ca", &["ca-central-1"]),
    ("sa", &["sa-east-1"]),
];

/// Whether `region` is in the commercial `aws` partition (where `global.` profiles exist).
fn is_commercial(region: &str) -> bool {
    let prefixes = ["us-", "eu-", "ap-", "sa-", "ca-", "me-", "af-", "il-", "mx-"];
    prefixes.iter().any(|p| region.starts_with(p)) && !region.starts_with("us-gov-")
}

fn geo_serves(geo: &str, region: &str) -> Option<bool> {
    if geo == "global" {
        return Some(is_commercial(region));
    }
    GEOS.iter().find(|(g, _)| *g == geo).map(|(_, regions)| regions.contains(&region))
}

/// The outcome of resolving the `{modelId}` of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// A usable model.
    Model(&'static ModelInfo),
    /// `emulator.fault-<name>`.
    Fault(Fault),
}

/// The on-demand refusal for a base ID that needs a profile (note the U+2019 apostrophe).
pub(crate) fn on_demand_error(model_id: &str) -> ApiError {
    ApiError::validation(format!(
        "Invocation of model ID {model_id} with on-demand throughput isn\u{2019}t supported. Retry your request with the ID or ARN of an inference profile that contains this model."
    ))
}

fn invalid() -> ApiError {
    ApiError::validation("The provided model identifier is invalid.")
}

fn is_account(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Resolves a decoded model ID for a call signed for `region`.
pub(crate) fn resolve(model_id: &str, region: &str) -> Result<Resolved, ApiError> {
    if let Some(name) = model_id.strip_prefix("emulator.fault-") {
        return Fault::from_name(name).map(Resolved::Fault).ok_or_else(invalid);
    }
    if model_id.starts_with("arn:") {
        return resolve_arn(model_id, region);
    }
    if let Some((geo, rest)) = split_geo(model_id) {
        return resolve_profile(geo, rest, region);
    }
    let info = base_model(model_id).ok_or_else(invalid)?;
    if info.unavailable_in.contains(&region) {
        return Err(invalid());
    }
    if info.needs_profile {
        return Err(on_demand_error(model_id));
    }
    Ok(Resolved::Model(info))
}

/// Whether a decoded model ID names an inference profile (system-defined or application).
pub(crate) fn names_profile(model_id: &str) -> bool {
    split_geo(model_id).is_some()
        || model_id.contains(":inference-profile/")
        || model_id.contains(":application-inference-profile/")
}

fn split_geo(model_id: &str) -> Option<(&str, &str)> {
    let (geo, rest) = model_id.split_once('.')?;
    let known = geo == "global" || GEOS.iter().any(|(g, _)| *g == geo);
    (known && rest.contains('.')).then_some((geo, rest))
}

fn resolve_profile(geo: &str, base: &str, region: &str) -> Result<Resolved, ApiError> {
    let info = base_model(base).ok_or_else(invalid)?;
    if !info.has_profiles || geo_serves(geo, region) != Some(true) {
        return Err(invalid());
    }
    Ok(Resolved::Model(info))
}

fn resolve_arn(arn: &str, region: &str) -> Result<Resolved, ApiError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, partition, service, arn_region, account, resource] = parts[..] else {
        return Err(invalid());
    };
    if !(partition == "aws" || partition.starts_with("aws-")) || service != "bedrock" {
        return Err(invalid());
    }
    if arn_region != region {
        return Err(invalid());
    }
    let (kind, id) = resource.split_once('/').ok_or_else(invalid)?;
    match kind {
        "foundation-model" if account.is_empty() => {
            let info = base_model(id).ok_or_else(invalid)?;
            if info.unavailable_in.contains(&region) {
                return Err(invalid());
            }
            if info.needs_profile {
                return Err(on_demand_error(id));
            }
            Ok(Resolved::Model(info))
        }
        "inference-profile" if is_account(account) => {
            let (geo, base) = split_geo(id).ok_or_else(invalid)?;
            resolve_profile(geo, base, region)
        }
        "application-inference-profile" if is_account(account) => {
            let valid =
                !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric());
            if valid { Ok(Resolved::Model(generic_model())) } else { Err(invalid()) }
        }
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn model(id: &str, region: &str) -> &'static str {
        match resolve(id, region) {
            Ok(Resolved::Model(info)) => info.id,
            other => panic!("{id}: {other:?}"),
        }
    }

    fn message(id: &str, region: &str) -> String {
        let err = resolve(id, region).unwrap_err();
        let v: serde_json::Value = serde_json::from_str(&err.body).unwrap();
        v["message"].as_str().unwrap().to_string()
    }

    #[test]
    fn new_claude_needs_a_profile() {
        let id = "anthropic.claude-sonnet-4-5-20250929-v1:0";
        assert_eq!(
            message(id, "us-east-1"),
            "Invocation of model ID anthropic.claude-sonnet-4-5-20250929-v1:0 with on-demand throughput isn\u{2019}t supported. Retry your request with the ID or ARN of an inference profile that contains this model."
        );
        assert_eq!(model(&format!("us.{id}"), "us-east-1"), id);
        assert_eq!(model(&format!("global.{id}"), "eu-west-1"), id);
        assert_eq!(
            model(
                &format!("arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.{id}"),
                "us-west-2"
            ),
            id
        );
        assert!(
            message(&format!("arn:aws:bedrock:us-east-1::foundation-model/{id}"), "us-east-1")
                .contains("on-demand throughput")
        );
    }

    #[test]
    fn geography_must_match_the_signing_region() {
        let id = "eu.anthropic.claude-sonnet-4-20250514-v1:0";
        assert_eq!(message(id, "us-east-1"), "The provided model identifier is invalid.");
        assert_eq!(model(id, "eu-central-1"), "anthropic.claude-sonnet-4-20250514-v1:0");
        assert!(resolve("global.anthropic.claude-sonnet-4-6", "us-gov-west-1").is_err());
        assert!(resolve(
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-6",
            "us-west-2"
        )
        .is_err());
    }

    #[test]
    fn on_demand_models_and_unknown_ones() {
        assert_eq!(model("amazon.nova-lite-v1:0", "us-east-1"), "amazon.nova-lite-v1:0");
        assert_eq!(
            model("meta.llama3-8b-instruct-v1:0", "us-west-2"),
            "meta.llama3-8b-instruct-v1:0"
        );
        assert_eq!(
            model("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0", "us-east-1"),
            "amazon.nova-lite-v1:0"
        );
        assert!(resolve("acme.unknown-model-v1:0", "us-east-1").is_err());
        assert!(resolve("amazon.nova-lite-v1%3A0", "us-east-1").is_err());
        assert!(resolve("amazon.rerank-v1:0", "us-east-1").is_err());
        assert_eq!(model("amazon.rerank-v1:0", "us-west-2"), "amazon.rerank-v1:0");
        assert!(resolve("us.meta.llama3-8b-instruct-v1:0", "us-east-1").is_err());
    }

    #[test]
    fn fault_ids() {
        assert_eq!(
            resolve("emulator.fault-throttling", "us-east-1").unwrap(),
            Resolved::Fault(Fault::Throttling)
        );
        assert!(resolve("emulator.fault-nonsense", "us-east-1").is_err());
    }
}

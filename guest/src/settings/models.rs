//! The model settings (`languageModel`, `rerankingModel`, `embeddingModel`) and how they are used
//! (`rerankApi`, `inferenceProfile`).

use json_fields::Fields;

use super::json::opt_str;
use crate::error::{ErrorKind, ProviderError, Result};
use crate::model_id::{ModelId, parse_spec};

/// Which API re-ranking uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RerankApi {
    /// Agents for Bedrock Runtime `POST /rerank` (SigV4 only).
    Rerank,
    /// Bedrock Runtime `InvokeModel` with the model's native body (works with API keys).
    InvokeModel,
}

/// Whether base model IDs are rewritten to the region's cross-region inference profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InferenceProfileMode {
    /// Send model IDs exactly as configured.
    #[default]
    Off,
    /// Send `<geo>.<base model ID>` for base model IDs when the region has a geography prefix.
    Auto,
}

pub(super) fn parse_model(obj: &Fields<'_>, key: &str) -> Result<Option<ModelId>> {
    let Some(spec) = opt_str(obj, key)? else { return Ok(None) };
    parse_spec(spec).map(Some).map_err(|mut e| {
        e.kind = ErrorKind::InvalidSettings;
        e.field = Some(key.to_string());
        e.message = format!("`{key}`: {}", e.message);
        e
    })
}

/// `rerankApi`; `None` when unset.
pub(super) fn parse_rerank_api(obj: &Fields<'_>) -> Result<Option<RerankApi>> {
    Ok(match opt_str(obj, "rerankApi")? {
        None => None,
        Some("rerank") => Some(RerankApi::Rerank),
        Some("invoke-model") => Some(RerankApi::InvokeModel),
        Some(other) => {
            return Err(ProviderError::settings(
                "rerankApi",
                format!("`rerankApi` is `{other}`, which is not a known re-ranking API."),
                "Set `rerankApi` to `rerank` (Agents for Bedrock Runtime, needs an access \
                 key pair) or `invoke-model` (Bedrock Runtime InvokeModel), or leave it empty.",
            ));
        }
    })
}

/// `inferenceProfile`; `off` when unset.
pub(super) fn parse_inference_profile(obj: &Fields<'_>) -> Result<InferenceProfileMode> {
    Ok(match opt_str(obj, "inferenceProfile")? {
        None | Some("off") => InferenceProfileMode::Off,
        Some("auto") => InferenceProfileMode::Auto,
        Some(other) => {
            return Err(ProviderError::settings(
                "inferenceProfile",
                format!("`inferenceProfile` is `{other}`; it must be `off` or `auto`."),
                "Use `auto` to send base model IDs through the region's cross-region inference \
                 profile (e.g. `us.` + model ID in us-east-1), or `off` to send them as \
                 configured.",
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use crate::settings::test_support::*;

    /// One row per rule: the settings, the field, and words the message must contain.
    #[test]
    fn each_rule_names_its_field() {
        check_rules(vec![
            // Models.
            (
                with(base(), json!({"languageModel": "openai|gpt-4o"})),
                Some("languageModel"),
                &["`openai`", "`amazon-bedrock`"],
            ),
            (
                with(base(), json!({"rerankingModel": "cohere rerank"})),
                Some("rerankingModel"),
                &["whitespace"],
            ),
            (
                with(base(), json!({"embeddingModel": "openai|text-embedding-3-small"})),
                Some("embeddingModel"),
                &["`openai`"],
            ),
            // Enumerations and numbers.
            (with(base(), json!({"rerankApi": "bedrock"})), Some("rerankApi"), &["`bedrock`"]),
            (
                json!({"region": "us-east-1", "apiKey": API_KEY, "rerankApi": "rerank"}),
                Some("rerankApi"),
                &["does not accept Bedrock API keys"],
            ),
            (
                with(base(), json!({"inferenceProfile": "on"})),
                Some("inferenceProfile"),
                &["`on`", "`off` or `auto`"],
            ),
        ]);
    }
}

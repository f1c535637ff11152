//! The models the gateway lists, and the one spelling of a model ID in its answers.
//!
//! `GET /v1/models` lists the settings' default models as the component's manifest names
//! their settings (`languageModel`, `rerankingModel`, `embeddingModel`), in the form those
//! settings hold (`amazon-bedrock|<id>`). Answers name the model that answered in the same
//! form, so a client can send back any `model` it was given and compare it with the list.

use serde_json::Value;

use crate::Manifest;

/// A model named in the settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredModel {
    /// The manifest's kind of model (`language`, `reranking`, `embedding`).
    pub kind: String,
    /// The ID as the setting holds it (`amazon-bedrock|us.anthropic...`).
    pub id: String,
}

/// The settings' default models: language first, then re-ranking, then the rest, each ID once.
pub fn configured_models(settings: &Value, manifest: &Manifest) -> Vec<ConfiguredModel> {
    let models = &manifest.settings().models;
    let order = ["language", "reranking"];
    let kinds = order
        .iter()
        .map(|k| k.to_string())
        .filter(|k| models.contains_key(k))
        .chain(models.keys().filter(|k| !order.contains(&k.as_str())).cloned());
    let mut out: Vec<ConfiguredModel> = Vec::new();
    for kind in kinds {
        let Some(key) = models.get(&kind) else { continue };
        if let Some(id) = settings.get(key).and_then(Value::as_str).filter(|id| !id.is_empty())
            && !out.iter().any(|m| m.id == id)
        {
            out.push(ConfiguredModel { kind, id: id.to_string() });
        }
    }
    out
}

/// How answers spell a model ID: the manifest's model prefix (`amazon-bedrock|`) before the ID
/// the component reports, which is bare (`us.anthropic.claude-sonnet-4-5-20250929-v1:0`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelNames {
    prefix: Option<String>,
}

impl ModelNames {
    /// The spelling the component's manifest declares.
    pub fn of(manifest: &Manifest) -> ModelNames {
        ModelNames { prefix: manifest.settings().model_prefix.clone() }
    }

    /// `id` as answers show it; an ID that already has the prefix, or none, is unchanged.
    pub fn public(&self, id: &str) -> String {
        match self.prefix.as_deref() {
            Some(prefix) if !id.is_empty() && !id.starts_with(prefix) => format!("{prefix}{id}"),
            _ => id.to_string(),
        }
    }
}

/// `id` as answers show it (see [`ModelNames`]).
pub fn public_id(manifest: &Manifest, id: &str) -> String {
    ModelNames::of(manifest).public(id)
}

/// The configured model `wanted` names, with or without the prefix.
pub fn find<'a>(
    models: &'a [ConfiguredModel],
    manifest: &Manifest,
    wanted: &str,
) -> Option<&'a ConfiguredModel> {
    let wanted = public_id(manifest, wanted);
    models.iter().find(|m| public_id(manifest, &m.id) == wanted)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn manifest() -> Manifest {
        Manifest::parse(include_str!("../../../../guest/manifest.json")).unwrap()
    }

    #[test]
    fn configured_models_in_order_once() {
        let m = manifest();
        let settings = json!({"embeddingModel": "amazon-bedrock|e", "languageModel": "amazon-bedrock|a",
                              "rerankingModel": "amazon-bedrock|a", "region": "us-east-1"});
        let models = configured_models(&settings, &m);
        let ids: Vec<(&str, &str)> =
            models.iter().map(|c| (c.kind.as_str(), c.id.as_str())).collect();
        assert_eq!(ids, [("language", "amazon-bedrock|a"), ("embedding", "amazon-bedrock|e")]);
        assert!(configured_models(&json!({"languageModel": ""}), &m).is_empty());
    }

    #[test]
    fn ids_are_shown_with_the_prefix_and_found_either_way() {
        let m = manifest();
        assert_eq!(public_id(&m, "amazon.nova-lite-v1:0"), "amazon-bedrock|amazon.nova-lite-v1:0");
        assert_eq!(public_id(&m, "amazon-bedrock|x"), "amazon-bedrock|x");
        assert_eq!(public_id(&m, ""), "");
        let models = configured_models(&json!({"languageModel": "amazon-bedrock|a"}), &m);
        assert_eq!(find(&models, &m, "a").map(|c| c.kind.as_str()), Some("language"));
        assert!(find(&models, &m, "amazon-bedrock|a").is_some());
        assert!(find(&models, &m, "b").is_none());
    }
}

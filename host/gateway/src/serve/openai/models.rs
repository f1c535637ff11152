//! `GET /v1/models` and `GET /v1/models/{id}` in OpenAI's shape.

use serde_json::{Value, json};

use crate::serve::catalog::ConfiguredModel;

/// One model object. `created` is when the gateway started serving with its settings: Bedrock
/// publishes no creation time, and clients sort and cache by this field, so it is a real,
/// stable time rather than 0.
pub fn model_object(model: &ConfiguredModel, owner: &str, created: u64) -> Value {
    json!({"id": model.id, "object": "model", "created": created, "owned_by": owner})
}

/// The list of the configured models.
pub fn models_list(models: &[ConfiguredModel], owner: &str, created: u64) -> Value {
    let data: Vec<Value> = models.iter().map(|m| model_object(m, owner, created)).collect();
    json!({"object": "list", "data": data})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_list_shape() {
        let models = [
            ConfiguredModel { kind: "language".into(), id: "amazon-bedrock|a".into() },
            ConfiguredModel { kind: "embedding".into(), id: "amazon-bedrock|e".into() },
        ];
        assert_eq!(
            models_list(&models, "amazon-bedrock", 1_700_000_000),
            json!({"object": "list", "data": [
                {"id": "amazon-bedrock|a", "object": "model", "created": 1_700_000_000_u64, "owned_by": "amazon-bedrock"},
                {"id": "amazon-bedrock|e", "object": "model", "created": 1_700_000_000_u64, "owned_by": "amazon-bedrock"},
            ]})
        );
        assert_eq!(models_list(&[], "x", 1)["data"], json!([]));
    }
}

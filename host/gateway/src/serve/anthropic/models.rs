//! `GET /v1/models` and `GET /v1/models/{id}` in Anthropic's shape, for clients that send
//! `anthropic-version` (the Anthropic SDKs' `models.list()` and `models.retrieve()`).

use serde_json::{Value, json};

use crate::serve::catalog::ConfiguredModel;

/// One model object; `created` (Unix seconds) is written as RFC 3339.
pub fn model_object(model: &ConfiguredModel, created: u64) -> Value {
    json!({
        "type": "model",
        "id": model.id,
        "display_name": model.id,
        "created_at": crate::output::utc_seconds(created),
    })
}

/// The list of the configured models, as one page.
pub fn models_list(models: &[ConfiguredModel], created: u64) -> Value {
    let data: Vec<Value> = models.iter().map(|m| model_object(m, created)).collect();
    json!({
        "data": data,
        "has_more": false,
        "first_id": models.first().map(|m| m.id.as_str()),
        "last_id": models.last().map(|m| m.id.as_str()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anthropic_list_shape() {
        let models = [ConfiguredModel { kind: "language".into(), id: "amazon-bedrock|a".into() }];
        assert_eq!(
            models_list(&models, 0),
            json!({"data": [{"type": "model", "id": "amazon-bedrock|a", "display_name": "amazon-bedrock|a",
                             "created_at": "1970-01-01T00:00:00Z"}],
                   "has_more": false, "first_id": "amazon-bedrock|a", "last_id": "amazon-bedrock|a"})
        );
    }
}

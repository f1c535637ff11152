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
        "created_at": rfc3339(created),
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

/// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds (the civil-from-days algorithm; no date crate
/// for one field).
pub fn rfc3339(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }

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

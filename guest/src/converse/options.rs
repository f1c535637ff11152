//! Provider options (the request's Bedrock-specific JSON object) and the guardrail.
//!
//! Only the keys below are accepted: anything else is a typo or a field this provider does not
//! know how to send safely, and a silent drop would hide it.

use serde_json::{Map, Value, json};

use super::checks::{is_guardrail_identifier, is_guardrail_version, is_metadata_char};
use crate::api::Guardrail;
use crate::error::{ProviderError, Result};

const KNOWN_KEYS: &str = "additionalModelRequestFields, additionalModelResponseFieldPaths, \
performanceConfig, serviceTier, requestMetadata";

/// Validated provider options, ready to go into the body.
#[derive(Debug, Default)]
pub(super) struct ProviderOptions {
    /// `additionalModelRequestFields`, to merge with what the request generates.
    pub additional_request_fields: Map<String, Value>,
    /// Top-level body members passed through unchanged (already validated).
    pub passthrough: Map<String, Value>,
}

/// Parses and validates `provider-options`.
pub(super) fn parse(text: Option<&str>) -> Result<ProviderOptions> {
    let mut out = ProviderOptions::default();
    let Some(text) = text else {
        return Ok(out);
    };
    let root = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            return Err(ProviderError::request(
                "providerOptions",
                "Provider options must be a JSON object.",
            )
            .with_solution(format!("Send an object with some of: {KNOWN_KEYS}.")));
        }
        Err(e) => {
            return Err(ProviderError::request(
                "providerOptions",
                format!("Provider options are not valid JSON: {e}."),
            )
            .with_solution(format!("Send a JSON object with some of: {KNOWN_KEYS}.")));
        }
    };
    for (key, value) in root {
        let field = format!("providerOptions.{key}");
        match key.as_str() {
            "additionalModelRequestFields" => match value {
                Value::Object(map) => out.additional_request_fields = map,
                _ => return Err(not_object(&field)),
            },
            "additionalModelResponseFieldPaths" => {
                check_response_paths(&value, &field)?;
                out.passthrough.insert(key, value);
            }
            "performanceConfig" => {
                check_enum_object(&value, &field, "latency", &["standard", "optimized"])?;
                out.passthrough.insert(key, value);
            }
            "serviceTier" => {
                check_enum_object(
                    &value,
                    &field,
                    "type",
                    &["priority", "default", "flex", "reserved"],
                )?;
                out.passthrough.insert(key, value);
            }
            "requestMetadata" => {
                check_metadata(&value, &field)?;
                out.passthrough.insert(key, value);
            }
            _ => {
                return Err(ProviderError::request(
                    field,
                    format!("Unknown provider option `{key}`."),
                )
                .with_solution(format!("Use only: {KNOWN_KEYS}.")));
            }
        }
    }
    Ok(out)
}

fn not_object(field: &str) -> ProviderError {
    ProviderError::request(field, format!("`{field}` must be a JSON object."))
}

fn check_response_paths(value: &Value, field: &str) -> Result<()> {
    let bad = || {
        ProviderError::request(
            field,
            "additionalModelResponseFieldPaths must be an array of 1 to 10 JSON Pointers.",
        )
        .with_solution("Use e.g. [\"/stop_sequence\"]: each path starts with `/` and is at most 256 characters.")
    };
    let Value::Array(items) = value else {
        return Err(bad());
    };
    if !(1..=10).contains(&items.len()) {
        return Err(bad());
    }
    for (k, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(p) if p.starts_with('/') && p.chars().count() <= 256 => {}
            _ => return Err(bad().with_field(format!("{field}[{k}]"))),
        }
    }
    Ok(())
}

/// An object with exactly one member `key` whose value is one of `allowed`.
fn check_enum_object(value: &Value, field: &str, key: &str, allowed: &[&str]) -> Result<()> {
    let solution = format!("Use {{\"{key}\": \"{}\"}}.", allowed.join("\" | \""));
    let Value::Object(map) = value else {
        return Err(not_object(field).with_solution(solution));
    };
    for (k, v) in map {
        if k != key {
            return Err(ProviderError::request(
                format!("{field}.{k}"),
                format!("Unknown member `{k}` in {field}."),
            )
            .with_solution(solution));
        }
        if !v.as_str().is_some_and(|s| allowed.contains(&s)) {
            return Err(ProviderError::request(
                format!("{field}.{k}"),
                format!("`{field}.{k}` must be one of: {}.", allowed.join(", ")),
            )
            .with_solution(solution));
        }
    }
    if !map.contains_key(key) {
        return Err(ProviderError::request(
            format!("{field}.{key}"),
            format!("`{field}` needs `{key}`."),
        )
        .with_solution(solution));
    }
    Ok(())
}

fn check_metadata(value: &Value, field: &str) -> Result<()> {
    let solution = "Use 1 to 16 string entries; keys 1 to 256 and values up to 256 characters of \
letters, digits, whitespace and : _ @ $ # = / + , - .";
    let Value::Object(map) = value else {
        return Err(not_object(field).with_solution(solution));
    };
    if !(1..=16).contains(&map.len()) {
        return Err(ProviderError::request(field, "requestMetadata must have 1 to 16 entries.")
            .with_solution(solution));
    }
    for (k, v) in map {
        let key_ok = (1..=256).contains(&k.chars().count()) && k.chars().all(is_metadata_char);
        let value_ok =
            v.as_str().is_some_and(|s| s.chars().count() <= 256 && s.chars().all(is_metadata_char));
        if !key_ok || !value_ok {
            return Err(ProviderError::request(
                format!("{field}.{k}"),
                format!("The request metadata entry `{k}` is not allowed."),
            )
            .with_solution(solution));
        }
    }
    Ok(())
}

/// The `guardrailConfig` member.
pub(super) fn guardrail_config(g: &Guardrail) -> Result<Value> {
    if !is_guardrail_identifier(&g.identifier) {
        return Err(ProviderError::request(
            "guardrail.identifier",
            format!("The guardrail identifier `{}` is not valid.", g.identifier),
        )
        .with_solution("Use the guardrail ID (lower-case letters and digits) or its ARN, from the Bedrock console's Guardrails page."));
    }
    if !is_guardrail_version(&g.version) {
        return Err(ProviderError::request(
            "guardrail.version",
            format!("The guardrail version `{}` is not valid.", g.version),
        )
        .with_solution("Use DRAFT or a published version number (1 to 99999999)."));
    }
    let mut config = Map::new();
    config.insert("guardrailIdentifier".into(), json!(g.identifier));
    config.insert("guardrailVersion".into(), json!(g.version));
    if let Some(trace) = &g.trace {
        if !matches!(trace.as_str(), "enabled" | "disabled" | "enabled_full") {
            return Err(ProviderError::request(
                "guardrail.trace",
                format!("The guardrail trace setting `{trace}` is not valid."),
            )
            .with_solution("Use enabled, disabled or enabled_full."));
        }
        config.insert("trace".into(), json!(trace));
    }
    Ok(Value::Object(config))
}

//! Provider settings for the CLI: read the settings file, fill gaps from the standard AWS
//! environment variables, and redact secrets for display.
//!
//! The component never reads the environment; the host does it here, once, with the same
//! precedence the AWS SDKs use, and never mixes credential sources. When no credential is
//! configured anywhere, the settings get `"credentials": "default-chain"`: the AWS SDK's
//! standard chain (profiles, SSO, web identity, container, instance metadata), which
//! [`crate::credentials`] resolves.

use std::path::Path;

use anyhow::{Context, bail};
use provider_runtime::manifest::SettingsFacts;

use crate::credentials::plan::DEFAULT_CHAIN;
use serde_json::{Map, Value};

/// The settings keys that carry credentials (or name their source). If any is present, the
/// environment adds none.
const CREDENTIAL_KEYS: [&str; 5] =
    ["accessKeyId", "secretAccessKey", "sessionToken", "apiKey", "credentials"];

/// Reads the settings (an empty object without a file) and fills missing fields from `env`.
///
/// `region` comes from `AWS_REGION`, then `AWS_DEFAULT_REGION`. Credentials are added only when
/// the settings hold none of `accessKeyId`, `secretAccessKey`, `sessionToken`, `apiKey`,
/// `credentials`: then `apiKey` from `AWS_BEARER_TOKEN_BEDROCK` if set, else the key pair and
/// session token from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, else
/// (none of them set) `"credentials": "default-chain"`. Empty variables count as unset. The
/// result is not validated: that is the component's job.
pub fn load(path: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Value> {
    let mut settings = match path {
        None => Map::new(),
        Some(path) => {
            let text = crate::settings_file::read(path)
                .with_context(|| format!("cannot read the settings file {}", path.display()))?;
            match serde_json::from_str::<Value>(&text) {
                Ok(Value::Object(map)) => map,
                Ok(_) => bail!("the settings file {} must hold a JSON object", path.display()),
                // serde_json's message ends with "at line L column C".
                Err(e) => bail!("the settings file {} is not valid JSON: {e}", path.display()),
            }
        }
    };
    let env = |name: &str| env(name).filter(|v| !v.is_empty());
    let missing =
        |settings: &Map<String, Value>, key: &str| settings.get(key).is_none_or(Value::is_null);

    if missing(&settings, "region")
        && let Some(region) = env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION"))
    {
        settings.insert("region".into(), Value::String(region));
    }

    if CREDENTIAL_KEYS.iter().all(|k| missing(&settings, k)) {
        if let Some(key) = env("AWS_BEARER_TOKEN_BEDROCK") {
            settings.insert("apiKey".into(), Value::String(key));
        } else {
            for (key, var) in [
                ("accessKeyId", "AWS_ACCESS_KEY_ID"),
                ("secretAccessKey", "AWS_SECRET_ACCESS_KEY"),
                ("sessionToken", "AWS_SESSION_TOKEN"),
            ] {
                if let Some(value) = env(var) {
                    settings.insert(key.into(), Value::String(value));
                }
            }
        }
        if CREDENTIAL_KEYS.iter().all(|k| missing(&settings, k)) {
            // Nothing static anywhere: what the AWS CLI and SDKs would use (AWS_PROFILE, SSO,
            // web identity, a task or instance role).
            settings.insert("credentials".into(), Value::String(DEFAULT_CHAIN.into()));
        }
    }
    Ok(Value::Object(settings))
}

/// A copy of the settings that is safe to print, by the component manifest's word on which
/// settings are secret (`facts.secrets`: `"**** (N chars)"`, or every value of an object
/// `"****"`) and which are shown masked (`facts.masked`: the first and last four characters).
/// Keys are matched by name at any depth, so a secret nested where it does not belong is
/// hidden too.
pub fn redacted(settings: &Value, facts: &SettingsFacts) -> Value {
    let is = |list: &[String], key: &str| list.iter().any(|k| k == key);
    match settings {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let shown = if is(&facts.masked, key) {
                        mask_key_id(value)
                    } else if is(&facts.secrets, key) {
                        match value {
                            Value::Object(_) => mask_headers(value),
                            _ => mask_secret(value),
                        }
                    } else {
                        redacted(value, facts)
                    };
                    (key.clone(), shown)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| redacted(v, facts)).collect()),
        other => other.clone(),
    }
}

fn mask_key_id(value: &Value) -> Value {
    match value.as_str() {
        Some(id) if id.chars().count() >= 12 => {
            let chars: Vec<char> = id.chars().collect();
            let head: String = chars[..4].iter().collect();
            let tail: String = chars[chars.len() - 4..].iter().collect();
            Value::String(format!("{head}...{tail}"))
        }
        Some(_) => Value::String("****".into()),
        None if value.is_null() => Value::Null,
        None => Value::String("****".into()),
    }
}

fn mask_secret(value: &Value) -> Value {
    match value {
        Value::Null => Value::Null,
        Value::String(s) => Value::String(format!("**** ({} chars)", s.chars().count())),
        _ => Value::String("****".into()),
    }
}

fn mask_headers(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.keys().map(|k| (k.clone(), Value::String("****".into()))).collect())
        }
        Value::Null => Value::Null,
        _ => Value::String("****".into()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| map.get(name).cloned()
    }

    fn temp_file(contents: &str) -> std::path::PathBuf {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir()
            .join(format!("bedrock-gateway-settings-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("settings.json");
        std::fs::write(&path, contents).unwrap();
        path
    }

    fn load_with(settings: &Value, vars: &[(&str, &str)]) -> Value {
        let path = temp_file(&settings.to_string());
        load(Some(&path), &env_of(vars)).unwrap()
    }

    const ALL_ENV: &[(&str, &str)] = &[
        ("AWS_REGION", "eu-west-1"),
        ("AWS_DEFAULT_REGION", "us-west-2"),
        ("AWS_ACCESS_KEY_ID", "AKIAENVENVENVENV1234"),
        ("AWS_SECRET_ACCESS_KEY", "env-secret"),
        ("AWS_SESSION_TOKEN", "env-token"),
    ];

    #[test]
    fn environment_fills_gaps_without_mixing_sources() {
        type Env<'a> = &'a [(&'a str, &'a str)];
        let rows: Vec<(Value, Env, Value)> = vec![
            // Nothing in the file: everything from the environment.
            (
                json!({}),
                ALL_ENV,
                json!({"region": "eu-west-1", "accessKeyId": "AKIAENVENVENVENV1234",
                       "secretAccessKey": "env-secret", "sessionToken": "env-token"}),
            ),
            // AWS_DEFAULT_REGION only when AWS_REGION is unset or empty; no credentials
            // anywhere: the standard chain.
            (
                json!({}),
                &[("AWS_DEFAULT_REGION", "us-west-2")],
                json!({"region": "us-west-2", "credentials": "default-chain"}),
            ),
            (
                json!({}),
                &[("AWS_REGION", ""), ("AWS_DEFAULT_REGION", "us-west-2")],
                json!({"region": "us-west-2", "credentials": "default-chain"}),
            ),
            // The file's region wins; a null counts as missing.
            (
                json!({"region": "ap-south-1"}),
                ALL_ENV,
                json!({"region": "ap-south-1",
                "accessKeyId": "AKIAENVENVENVENV1234", "secretAccessKey": "env-secret",
                "sessionToken": "env-token"}),
            ),
            (
                json!({"region": null}),
                &[("AWS_REGION", "eu-west-1")],
                json!({"region": "eu-west-1", "credentials": "default-chain"}),
            ),
            // A source in the file blocks the environment's keys, like any credential.
            (
                json!({"credentials": {"profile": "dev"}}),
                ALL_ENV,
                json!({"region": "eu-west-1", "credentials": {"profile": "dev"}}),
            ),
            (
                json!({"credentials": "default-chain"}),
                &[("AWS_BEARER_TOKEN_BEDROCK", "env-key")],
                json!({"credentials": "default-chain"}),
            ),
            // A partial pair from the environment is the component's error to report, not a
            // reason to fall back to the chain.
            (
                json!({}),
                &[("AWS_SECRET_ACCESS_KEY", "env-secret")],
                json!({"secretAccessKey": "env-secret"}),
            ),
            // Both keys in the file: the session token never comes from the environment.
            (
                json!({"accessKeyId": "AKIAFILEFILEFILE0000", "secretAccessKey": "file"}),
                ALL_ENV,
                json!({"region": "eu-west-1", "accessKeyId": "AKIAFILEFILEFILE0000",
                       "secretAccessKey": "file"}),
            ),
            // Any one credential field in the file blocks all environment credentials.
            (
                json!({"sessionToken": "file-token"}),
                ALL_ENV,
                json!({"region": "eu-west-1", "sessionToken": "file-token"}),
            ),
            (
                json!({"apiKey": "file-key"}),
                &[("AWS_BEARER_TOKEN_BEDROCK", "env-key"), ("AWS_ACCESS_KEY_ID", "AKIA")],
                json!({"apiKey": "file-key"}),
            ),
            // The bearer token wins over the key pair and excludes it.
            (
                json!({"region": "us-east-1"}),
                &[
                    ("AWS_BEARER_TOKEN_BEDROCK", "env-key"),
                    ("AWS_ACCESS_KEY_ID", "AKIAENVENVENVENV1234"),
                    ("AWS_SECRET_ACCESS_KEY", "env-secret"),
                ],
                json!({"region": "us-east-1", "apiKey": "env-key"}),
            ),
            // An empty bearer token is unset.
            (
                json!({"region": "us-east-1"}),
                &[("AWS_BEARER_TOKEN_BEDROCK", ""), ("AWS_ACCESS_KEY_ID", "AKIAX")],
                json!({"region": "us-east-1", "accessKeyId": "AKIAX"}),
            ),
            // Other keys pass through untouched.
            (
                json!({"baseUrl": "http://127.0.0.1:9", "headers": {"x-a": "b"}, "apiKey": "k"}),
                &[],
                json!({"baseUrl": "http://127.0.0.1:9", "headers": {"x-a": "b"}, "apiKey": "k"}),
            ),
        ];
        for (file, vars, want) in rows {
            assert_eq!(load_with(&file, vars), want, "file {file}, env {vars:?}");
        }
    }

    #[test]
    fn no_file_means_environment_only() {
        let got = load(None, &env_of(&[("AWS_REGION", "us-east-2")])).unwrap();
        assert_eq!(got, json!({"region": "us-east-2", "credentials": "default-chain"}));
        assert_eq!(load(None, &env_of(&[])).unwrap(), json!({"credentials": "default-chain"}));
    }

    #[test]
    fn file_errors_name_the_file_and_position() {
        let path = temp_file("{\n  \"region\": \"us-east-1\",\n}");
        let err = format!("{:#}", load(Some(&path), &env_of(&[])).unwrap_err());
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains("line 3 column 1"), "{err}");

        let path = temp_file("[1, 2]");
        let err = format!("{:#}", load(Some(&path), &env_of(&[])).unwrap_err());
        assert!(err.contains("must hold a JSON object"), "{err}");

        let missing = std::path::Path::new("/nonexistent/bedrock/settings.json");
        let err = format!("{:#}", load(Some(missing), &env_of(&[])).unwrap_err());
        assert!(err.contains("/nonexistent/bedrock/settings.json"), "{err}");
    }

    /// What the Bedrock component's manifest says about its settings.
    fn facts() -> SettingsFacts {
        provider_runtime::Manifest::parse(include_str!("../../../guest/manifest.json"))
            .unwrap()
            .settings()
            .clone()
    }

    fn redacted(settings: &Value) -> Value {
        super::redacted(settings, &facts())
    }

    #[test]
    fn redaction() {
        let rows = [
            (
                json!({"accessKeyId": "AKIAIOSFODNN7EXAMPLE",
                       "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}),
                json!({"accessKeyId": "AKIA...MPLE", "secretAccessKey": "**** (40 chars)"}),
            ),
            (
                json!({"sessionToken": "abc", "apiKey": "bedrock-api-key-xyz"}),
                json!({"sessionToken": "**** (3 chars)", "apiKey": "**** (19 chars)"}),
            ),
            (json!({"accessKeyId": "AKIASHORT"}), json!({"accessKeyId": "****"})),
            (json!({"apiKey": 12345}), json!({"apiKey": "****"})),
            (json!({"apiKey": null}), json!({"apiKey": null})),
            (
                json!({"headers": {"x-api-key": "secret", "x-team": "blue"}}),
                json!({"headers": {"x-api-key": "****", "x-team": "****"}}),
            ),
            (
                json!({"region": "us-east-1", "baseUrl": "https://gw.example.com"}),
                json!({"region": "us-east-1", "baseUrl": "https://gw.example.com"}),
            ),
            // Nested objects are redacted too.
            (json!({"extra": {"apiKey": "k"}}), json!({"extra": {"apiKey": "**** (1 chars)"}})),
        ];
        for (settings, want) in rows {
            assert_eq!(redacted(&settings), want, "{settings}");
        }
    }

    #[test]
    fn redacted_output_never_contains_the_secrets() {
        let settings = json!({"accessKeyId": "AKIAIOSFODNN7EXAMPLE",
            "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "sessionToken": "FwoGZXIvYXdzEJr//////////wEaDOPcN8o", "apiKey": "bedrock-api-key-abc",
            "headers": {"authorization-proxy": "Bearer hunter2"}});
        let shown = redacted(&settings).to_string();
        for secret in
            ["wJalrXUtnFEMI", "FwoGZXIvYXdz", "bedrock-api-key-abc", "hunter2", "IOSFODNN7"]
        {
            assert!(!shown.contains(secret), "{secret} leaked: {shown}");
        }
    }
}

//! `Settings::parse`: arbitrary text, and JSON objects built from the input with the known keys
//! and mostly plausible values, so the fuzzer gets past the first unknown key or wrong type.
//!
//! Properties:
//! - every failure is `invalid-settings` with a message; for a JSON object it names a `field`;
//! - an accepted configuration is in range (attempts, timeouts, partition of the region) and
//!   its endpoints and auth summary render;
//! - secrets never show: rotating every letter, digit and ASCII symbol of `secretAccessKey`,
//!   `sessionToken` and `apiKey` changes neither the outcome nor `Debug` of the settings or of
//!   the error, and a secret of 8 characters or more never appears in either unless it also
//!   appears with the secrets rotated (then it came from another field).

use arbitrary::Unstructured;
use bedrock_provider::error::ErrorKind;
use bedrock_provider::region::partition_of;
use bedrock_provider::settings::{
    KEYS, MAX_MAX_ATTEMPTS, MAX_TIMEOUT_MS, RESERVED_HEADERS, Settings, TIMEOUT_KEYS,
};
use serde_json::{Map, Number, Value};

use super::{Outcomes, near, word};

/// The settings keys that hold secrets.
const SECRET_KEYS: [&str; 3] = ["secretAccessKey", "sessionToken", "apiKey"];

/// Runs the settings properties on `data` as text and as a generated settings object.
pub fn check(data: &[u8]) -> Outcomes {
    let mut out = Outcomes::default();
    if let Ok(text) = std::str::from_utf8(data) {
        check_text(text, &mut out);
    }
    if let Ok(object) = settings_object(&mut Unstructured::new(data)) {
        check_text(&Value::Object(object).to_string(), &mut out);
    }
    out
}

fn check_text(text: &str, out: &mut Outcomes) {
    let result = Settings::parse(text);
    out.record(&result);
    let object = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    };
    match &result {
        Ok(settings) => accepted(settings),
        Err(e) => {
            assert_eq!(e.kind, ErrorKind::InvalidSettings, "{e:?}");
            assert!(!e.message.is_empty(), "{e:?}");
            if object.is_some() {
                // The field may be empty: it names an unknown key exactly, even the key "".
                assert!(e.field.is_some(), "no field: {e:?}");
            }
        }
    }
    if let Some(object) = object {
        secrets_stay_hidden(&object);
    }
}

/// What an accepted configuration promises.
fn accepted(s: &Settings) {
    assert!((1..=MAX_MAX_ATTEMPTS).contains(&s.max_attempts), "{s:?}");
    let t = &s.timeouts;
    for ms in [t.connect_ms, t.first_byte_ms, t.between_bytes_ms, s.total_timeout_ms] {
        assert!((1..=MAX_TIMEOUT_MS).contains(&ms), "{s:?}");
    }
    assert_eq!(partition_of(&s.region), Some(s.partition), "{s:?}");
    for (name, _) in &s.headers {
        assert_eq!(name, &name.to_ascii_lowercase());
        assert!(!name.starts_with("x-amz-") && !RESERVED_HEADERS.contains(&name.as_str()));
    }
    for endpoint in [s.runtime_endpoint(), s.agent_runtime_endpoint()] {
        let shown = endpoint.to_string();
        assert!(shown.starts_with("https://") || endpoint.is_loopback(), "{shown}");
        assert!(!endpoint.host().is_empty(), "{shown}");
        assert!(endpoint.path("/x").ends_with("/x"));
    }
    let _ = s.auth_summary();
}

/// The secret-hiding properties, differential: the same settings with rotated secrets. Both
/// sides are re-serialised from `object`: serde_json's default float parsing is not exactly
/// round-trip, so the original text could differ from either in the last digit of a number.
fn secrets_stay_hidden(object: &Map<String, Value>) {
    let result = Settings::parse(&Value::Object(object.clone()).to_string());
    let mut rotated = object.clone();
    for key in SECRET_KEYS {
        if let Some(Value::String(s)) = rotated.get_mut(key) {
            *s = s.chars().map(rotate).collect();
        }
    }
    let again = Settings::parse(&Value::Object(rotated).to_string());
    let (shown, shown_rotated) = match (&result, &again) {
        (Ok(a), Ok(b)) => {
            let (a_summary, b_summary) = (a.auth_summary(), b.auth_summary());
            for secret in long_secrets(object) {
                assert!(
                    !a_summary.contains(secret) || b_summary.contains(secret),
                    "auth_summary shows a secret: {a_summary}"
                );
            }
            (format!("{a:?}"), format!("{b:?}"))
        }
        (Err(a), Err(b)) => (format!("{a:?}"), format!("{b:?}")),
        _ => panic!("rotating secret characters changed the outcome: {result:?} vs {again:?}"),
    };
    assert_eq!(shown, shown_rotated, "Debug depends on a secret's value");
    for secret in long_secrets(object) {
        assert!(!shown.contains(secret) || shown_rotated.contains(secret), "secret shown: {shown}");
    }
}

/// The secret values of 8 characters or more.
fn long_secrets(object: &Map<String, Value>) -> impl Iterator<Item = &str> {
    SECRET_KEYS
        .iter()
        .filter_map(|k| object.get(*k).and_then(Value::as_str))
        .filter(|s| s.chars().count() >= 8)
}

/// Maps a character to another of the same class (letter case, digit, ASCII symbol), so every
/// validity check on credentials answers the same for the rotated value.
fn rotate(c: char) -> char {
    const SYMBOLS: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    let next = |set: &str| {
        let chars: Vec<char> = set.chars().collect();
        chars.iter().position(|x| *x == c).map(|i| chars[(i + 1) % chars.len()])
    };
    next("abcdefghijklmnopqrstuvwxyz")
        .or_else(|| next("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        .or_else(|| next("0123456789"))
        .or_else(|| next(SYMBOLS))
        .unwrap_or(c)
}

// ---- Generated settings objects ----

const REGIONS: &[&str] = &[
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "ap-northeast-1",
    "ap-southeast-2",
    "us-gov-west-1",
    "cn-north-1",
    "eusc-de-east-1",
    "us-iso-east-1",
    "sa-east-1",
    "US-EAST-1",
    " us-east-1",
    "us-east",
];
const ACCESS_KEY_IDS: &[&str] =
    &["AKIDEXAMPLE", "AKIAIOSFODNN7EXAMPLE", "ASIAIOSFODNN7EXAMPLE", "akid", "AKIA EXAMPLE"];
const SECRETS: &[&str] = &[
    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    "IQoJb3JpZ2luX2VjEXAMPLETOKEN//////////wEaCXVzLWVhc3QtMSJHMEUCIQ==",
    "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl",
    "bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t",
    "short",
];
const URLS: &[&str] = &[
    "https://ai-gateway.example.com/bedrock",
    "https://ai-gateway.example.com:443/bedrock/",
    "http://127.0.0.1:4000",
    "http://localhost:8080/v1",
    "http://[::1]:9000",
    "HTTPS://Gateway.Example.COM",
    "http://example.com",
    "https://user:pw@example.com",
    "https://example.com/a?key=1",
    "https://example.com/a//b",
    "https://example.com/%zz",
    "https://[::1",
    "https://example.com:0",
    "ftp://example.com",
    "example.com",
];
const MODELS: &[&str] = &[
    "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "amazon-bedrock|amazon.nova-lite-v1:0",
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "cohere.rerank-v3-5:0",
    "arn:aws:bedrock:us-west-2::foundation-model/cohere.rerank-v3-5:0",
    "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123xyz",
    "openai|gpt-4o",
    "Anthropic.Claude-v2",
];
const HEADER_NAMES: &[&str] =
    &["X-Gateway-Key", "x-custom", "Authorization", "X-Amz-Date", "Host", "bad name", ""];
const HEADER_VALUES: &[&str] = &["secret-123", " padded\t", "a\r\nb", "é", ""];
const ENUMS: &[&str] = &["rerank", "invoke-model", "off", "auto", "on", ""];
const UNKNOWN_KEYS: &[&str] = &["Region", "access_key_id", "timeout", "maxAttempt", "apikey"];

/// A settings object: each known key present or not, with a value that is usually of the
/// right type and often valid, plus now and then an unknown key.
fn settings_object(u: &mut Unstructured) -> arbitrary::Result<Map<String, Value>> {
    let mut map = Map::new();
    for key in KEYS {
        if u.ratio(1, 2)? {
            let value = match key {
                "region" => text(u, REGIONS)?,
                "accessKeyId" => text(u, ACCESS_KEY_IDS)?,
                "secretAccessKey" | "sessionToken" | "apiKey" => text(u, SECRETS)?,
                "baseUrl" | "agentRuntimeBaseUrl" | "controlPlaneBaseUrl" => text(u, URLS)?,
                "languageModel" | "rerankingModel" | "embeddingModel" => text(u, MODELS)?,
                "headers" => headers(u)?,
                "maxAttempts" => number(u)?,
                "timeouts" => timeouts(u)?,
                _ => text(u, ENUMS)?,
            };
            map.insert(key.to_string(), value);
        }
    }
    if u.ratio(1, 8)? {
        map.insert(word(u, UNKNOWN_KEYS)?, Value::Null);
    }
    Ok(map)
}

/// Mostly a near-valid string; sometimes another JSON type (which must be refused by name).
fn text(u: &mut Unstructured, vocab: &[&str]) -> arbitrary::Result<Value> {
    if u.ratio(1, 10)? {
        return other_type(u);
    }
    let w = word(u, vocab)?;
    Ok(Value::String(near(u, w)?))
}

fn other_type(u: &mut Unstructured) -> arbitrary::Result<Value> {
    Ok(match u.int_in_range(0..=4)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => number(u)?,
        3 => Value::Array(vec![Value::String(u.arbitrary()?)]),
        _ => Value::Object(Map::new()),
    })
}

fn number(u: &mut Unstructured) -> arbitrary::Result<Value> {
    Ok(match u.int_in_range(0..=3)? {
        0 => Value::from(u.int_in_range(0..=12_u64)?),
        1 => Value::from(u.arbitrary::<u64>()?),
        2 => Value::from(u.arbitrary::<i64>()?),
        _ => Number::from_f64(u.arbitrary()?).map_or(Value::Null, Value::Number),
    })
}

fn headers(u: &mut Unstructured) -> arbitrary::Result<Value> {
    if u.ratio(1, 8)? {
        return other_type(u);
    }
    let mut map = Map::new();
    for _ in 0..u.int_in_range(0..=3)? {
        let value = if u.ratio(1, 8)? { other_type(u)? } else { text(u, HEADER_VALUES)? };
        map.insert(word(u, HEADER_NAMES)?, value);
    }
    Ok(Value::Object(map))
}

fn timeouts(u: &mut Unstructured) -> arbitrary::Result<Value> {
    if u.ratio(1, 8)? {
        return other_type(u);
    }
    let mut map = Map::new();
    for key in TIMEOUT_KEYS {
        if u.ratio(1, 2)? {
            let value = match u.int_in_range(0..=3)? {
                0 => Value::from(u.int_in_range(0..=MAX_TIMEOUT_MS + 1)?),
                1 => other_type(u)?,
                _ => Value::from(u.int_in_range(1..=600_000_u64)?),
            };
            map.insert(key.to_string(), value);
        }
    }
    if u.ratio(1, 8)? {
        map.insert(word(u, &["connectTimeoutMs", "total"])?, Value::from(1));
    }
    Ok(Value::Object(map))
}

//! Reading settings JSON: absent values, types, unknown keys.

use serde_json::{Map, Value};

use crate::error::{ProviderError, Result};

/// The value of `key`, treating `null` and `""` as absent (settings pages store empty strings).
pub(super) fn present<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    match obj.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(v) => Some(v),
    }
}

pub(super) fn opt_str<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>> {
    match present(obj, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(wrong_type(key, v, "a string")),
    }
}

pub(super) fn opt_int(obj: &Map<String, Value>, key: &str, field: &str) -> Result<Option<u64>> {
    match present(obj, key) {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(n) => Ok(Some(n)),
            None => Err(ProviderError::settings(
                field,
                format!("`{field}` is {n}; it must be a positive whole number."),
                format!(
                    "Set `{field}` to a whole number such as 3 or 10000, without a fraction or \
                     sign."
                ),
            )),
        },
        Some(v) => Err(wrong_type(field, v, "a whole number")),
    }
}

pub(super) fn wrong_type(field: &str, value: &Value, expected: &str) -> ProviderError {
    ProviderError::settings(
        field,
        format!("`{field}` must be {expected}, but it is {}.", type_name(value)),
        format!("Store `{field}` as {expected} (see the settings schema)."),
    )
}

pub(super) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Refuses keys not in `known`, suggesting the likely intended key.
pub(super) fn check_keys(obj: &Map<String, Value>, prefix: &str, known: &[&str]) -> Result<()> {
    for key in obj.keys() {
        if known.contains(&key.as_str()) {
            continue;
        }
        let field = format!("{prefix}{key}");
        let solution = match closest(key, known) {
            Some(k) => format!("Did you mean `{prefix}{k}`? Rename the key, or remove it."),
            None => format!(
                "Remove it. Known keys: {}.",
                known.iter().map(|k| format!("`{prefix}{k}`")).collect::<Vec<_>>().join(", ")
            ),
        };
        return Err(ProviderError::settings(
            &field,
            format!("Unknown setting `{field}`."),
            solution,
        ));
    }
    Ok(())
}

/// The known key `unknown` most likely stands for: same letters ignoring case and `_`/`-`,
/// one contains the other, or a small edit distance.
pub(super) fn closest<'a>(unknown: &str, known: &[&'a str]) -> Option<&'a str> {
    let norm = |s: &str| -> String {
        s.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
    };
    let u = norm(unknown);
    if u.is_empty() {
        return None;
    }
    let mut best: Option<(usize, &str)> = None;
    for k in known {
        let kn = norm(k);
        let d = edit_distance(&u, &kn);
        let likely = d == 0
            || d <= (kn.len() / 4).max(2)
            || (u.len() >= 5 && (kn.contains(&u) || u.contains(&kn)));
        if likely && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, k));
        }
    }
    best.map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::KEYS;

    #[test]
    fn typos_get_a_suggestion() {
        let table = [
            ("accessKey", Some("accessKeyId")),
            ("access_key_id", Some("accessKeyId")),
            ("AccessKeyID", Some("accessKeyId")),
            ("secretKey", None),
            ("secret_access_key", Some("secretAccessKey")),
            ("baseURL", Some("baseUrl")),
            ("awsRegion", Some("region")),
            ("regoin", Some("region")),
            ("sesionToken", Some("sessionToken")),
            ("header", Some("headers")),
            ("rerankModel", Some("rerankingModel")),
            ("zzz", None),
        ];
        for (typo, want) in table {
            assert_eq!(closest(typo, &KEYS), want, "{typo}");
        }
    }
}

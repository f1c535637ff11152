//! The `timeouts` setting: connect, first-byte, between-bytes and total deadlines.

use json_fields::Fields;

use super::json::{invalid, opt_whole};
use crate::error::{ProviderError, Result};
use crate::transport::Timeouts;

/// The keys of the `timeouts` object.
pub const TIMEOUT_KEYS: [&str; 4] = ["connectMs", "firstByteMs", "betweenBytesMs", "totalMs"];

/// Default for `timeouts.totalMs`.
pub const DEFAULT_TOTAL_TIMEOUT_MS: u64 = 300_000;
/// Largest accepted timeout (24 hours): larger values are a unit mistake, and adding them to a
/// clock could overflow.
pub const MAX_TIMEOUT_MS: u64 = 86_400_000;

/// `timeouts`: the transport's deadlines and the total deadline (milliseconds).
pub(super) fn parse_timeouts(obj: &Fields<'_>) -> Result<(Timeouts, u64)> {
    let defaults = Timeouts::default();
    let map = obj
        .opt_object("timeouts")
        .map_err(|e| invalid(e.expecting("an object such as {\"connectMs\": 10000}")))?;
    let Some(map) = map else {
        return Ok((defaults, DEFAULT_TOTAL_TIMEOUT_MS));
    };
    map.check_keys(&TIMEOUT_KEYS).map_err(invalid)?;
    let get = |key: &str, default: u64| -> Result<u64> {
        let field = map.path_of(key);
        match opt_whole(&map, key)? {
            None => Ok(default),
            Some(n) if (1..=MAX_TIMEOUT_MS).contains(&n) => Ok(n),
            Some(n) => Err(ProviderError::settings(
                &field,
                format!(
                    "`{field}` is {n}; it must be between 1 and {MAX_TIMEOUT_MS} milliseconds."
                ),
                format!(
                    "Set `{field}` to a positive number of milliseconds, or remove it for the \
                     default ({default})."
                ),
            )),
        }
    };
    let timeouts = Timeouts {
        connect_ms: get("connectMs", defaults.connect_ms)?,
        first_byte_ms: get("firstByteMs", defaults.first_byte_ms)?,
        between_bytes_ms: get("betweenBytesMs", defaults.between_bytes_ms)?,
    };
    Ok((timeouts, get("totalMs", DEFAULT_TOTAL_TIMEOUT_MS)?))
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
            (
                with(base(), json!({"timeouts": {"connectMs": 0}})),
                Some("timeouts.connectMs"),
                &["between 1 and"],
            ),
            (
                with(base(), json!({"timeouts": {"totalMs": 1e12}})),
                Some("timeouts.totalMs"),
                &["whole number"],
            ),
            (
                with(base(), json!({"timeouts": {"firstByteMs": 100000000}})),
                Some("timeouts.firstByteMs"),
                &["between 1 and 86400000"],
            ),
            (
                with(base(), json!({"timeouts": {"betweenBytesMs": "5"}})),
                Some("timeouts.betweenBytesMs"),
                &["a string"],
            ),
            (
                with(base(), json!({"timeouts": {"connect": 5}})),
                Some("timeouts.connect"),
                &["Unknown setting `timeouts.connect`"],
            ),
        ]);
    }
}

//! The `region` setting.

use json_fields::Fields;

use super::json::opt_str;
use crate::error::{ProviderError, Result};
use crate::region::{MAX_REGION_LEN, Partition, partition_of};

/// `region`, and the partition it belongs to.
pub(super) fn parse_region(obj: &Fields<'_>) -> Result<(String, Partition)> {
    let solution = "Set `region` to the AWS region where you use Bedrock, in the form `us-east-1`.";
    let Some(region) = opt_str(obj, "region")? else {
        return Err(ProviderError::settings("region", "`region` is missing.", solution));
    };
    // Checked first, so that no later message repeats a value of any length.
    if region.len() > MAX_REGION_LEN {
        return Err(ProviderError::settings(
            "region",
            format!(
                "`region` is {} bytes long; AWS region names are at most {MAX_REGION_LEN} \
                 (e.g. `us-east-1`).",
                region.len()
            ),
            solution,
        ));
    }
    if region.trim() != region {
        return Err(ProviderError::settings(
            "region",
            format!("`region` {region:?} has leading or trailing whitespace."),
            "Remove the spaces; this is usually a copy-paste error.",
        ));
    }
    // Only suggest the lower-case spelling when it is a real region; "US East" is a display
    // name, and the generic message below shows the expected form instead.
    if region.chars().any(|c| c.is_ascii_uppercase())
        && partition_of(&region.to_ascii_lowercase()).is_some()
    {
        return Err(ProviderError::settings(
            "region",
            format!("`region` `{region}` contains upper-case letters."),
            format!("Region names are lower-case: use `{}`.", region.to_ascii_lowercase()),
        ));
    }
    match partition_of(region) {
        Some(p) => Ok((region.to_string(), p)),
        None => Err(ProviderError::settings(
            "region",
            format!(
                "`region` `{region}` is not an AWS region name (expected the form `us-east-1`)."
            ),
            solution,
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use crate::settings::Settings;
    use crate::settings::test_support::*;

    /// One row per rule: the settings, the field, and words the message must contain.
    #[test]
    fn each_rule_names_its_field() {
        check_rules(vec![
            // Region.
            (with(base(), json!({"region": null})), Some("region"), &["`region` is missing"]),
            (with(base(), json!({"region": ""})), Some("region"), &["`region` is missing"]),
            (with(base(), json!({"region": "Frankfurt"})), Some("region"), &["us-east-1"]),
            (with(base(), json!({"region": "US-EAST-1"})), Some("region"), &["upper-case"]),
            (
                with(base(), json!({"region": "us-east"})),
                Some("region"),
                &["not an AWS region", "us-east-1"],
            ),
            (with(base(), json!({"region": "us-east-1 "})), Some("region"), &["whitespace"]),
            (
                with(base(), json!({"region": "us-east-1".repeat(1200)})),
                Some("region"),
                &["10800 bytes long", "at most 32"],
            ),
            (
                with(base(), json!({"region": format!("us-{}-1", "a".repeat(28))})),
                Some("region"),
                &["33 bytes long"],
            ),
        ]);
    }

    #[test]
    fn a_long_region_is_not_repeated() {
        let e = Settings::parse(&with(base(), json!({"region": "x".repeat(10_000)})).to_string())
            .unwrap_err();
        assert!(!format!("{e:?}").contains("xxx"), "{e:?}");
    }
}

//! Helpers shared by the settings tests.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use crate::error::ErrorKind;
use crate::settings::Settings;

/// A secret access key.
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// A session token.
pub const TOKEN: &str = "FQoGZXIvYXdzEXAMPLETOKEN";
/// A Bedrock API key.
pub const API_KEY: &str = "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl";

/// Valid settings: a region and an access key pair.
pub fn base() -> Value {
    json!({"region": "us-east-1", "accessKeyId": "AKIDEXAMPLE", "secretAccessKey": SECRET})
}

/// `v` with the keys of `patch` set, or removed where `patch` has `null`.
pub fn with(mut v: Value, patch: Value) -> Value {
    for (k, val) in patch.as_object().unwrap() {
        if val.is_null() {
            v.as_object_mut().unwrap().remove(k);
        } else {
            v[k] = val.clone();
        }
    }
    v
}

/// Parses settings that must be accepted.
pub fn ok(v: &Value) -> Settings {
    Settings::parse(&v.to_string()).unwrap()
}

/// A rule: settings, the `field` the error must name, and words its message must contain.
pub type Rule = (Value, Option<&'static str>, &'static [&'static str]);

/// Checks that each row is refused as `invalid-settings` naming its field, with a solution, the
/// words, and no secret.
pub fn check_rules(table: Vec<Rule>) {
    for (settings, field, needles) in table {
        let e = Settings::parse(&settings.to_string()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidSettings, "{settings}");
        assert_eq!(e.field.as_deref(), field, "{settings}: {e:?}");
        assert!(e.solution.is_some(), "{settings}");
        for needle in needles {
            assert!(e.message.contains(needle), "{settings}: {:?} lacks {needle:?}", e.message);
        }
        let text = format!("{e:?}");
        for secret in [SECRET, TOKEN, API_KEY, "pw@", "key=1"] {
            assert!(!text.contains(secret), "{settings}: error shows a secret: {text}");
        }
    }
}

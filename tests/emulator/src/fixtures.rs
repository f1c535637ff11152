//! Recorded Bedrock responses from the spec, kept verbatim (spec §15, §10.3, §2.2).
//!
//! The recordings live once, in the repository's `fixtures/` directory (see its README): the JSON
//! fixtures are the spec's text exactly (including its line breaks); the event-stream recordings
//! are the spec's base64/hex, decoded at run time.

use base64::Engine as _;

/// A file under the repository's `fixtures/`, without its final newline.
macro_rules! fixture_file {
    ($path:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/", $path))
            .trim_ascii_end()
    };
}

/// Spec §15.1: Converse text answer (vercel/ai `amazon-bedrock-text.json`).
pub const TEXT_FIXTURE: &str = fixture_file!("converse/text.json");

/// Spec §15.2: Converse answer with Claude reasoning (`amazon-bedrock-reasoning.json`).
pub const REASONING_FIXTURE: &str = fixture_file!("converse/reasoning.json");

/// Spec §15.3: Converse tool use with `additionalModelResponseFields` (`issue-11363-stop-sequence-null.json`).
pub const TOOL_FIXTURE: &str = fixture_file!("converse/tool-use-stop-sequence-null.json");

/// Spec §15.4: Converse answer with document citations (`bedrock-citations-content.json`).
pub const CITATIONS_FIXTURE: &str = fixture_file!("converse/citations.json");

/// Spec §15.5: Converse answer where a guardrail intervened (`amazon-bedrock-guard-content-intervened.json`).
pub const GUARDRAIL_FIXTURE: &str = fixture_file!("converse/guardrail-intervened.json");

/// Spec §15.6: Converse answer for a foundation-model ARN, Nova Lite, no cache fields (`issue-17523-foundation-model-arn.json`).
pub const ARN_FIXTURE: &str = fixture_file!("converse/foundation-model-arn.json");

/// HTTP 200 body Bedrock returns for an unknown route (spec §2.2, vercel/ai issue 17523).
pub const UNKNOWN_OPERATION: &str = fixture_file!("converse/unknown-operation.json");

/// Spec TV-4: a real ConverseStream response body (1157 bytes, six frames), base64.
pub const TV4_BASE64: &str = fixture_file!("eventstream/tv4.base64");

/// Spec TV-4 as six hex frame dumps, one per line (concatenated: the TV-4 body).
pub const TV4_FRAMES_HEX: &str = fixture_file!("eventstream/tv4-frames.hex");

/// Spec TV-4's decoded frames, one `<:event-type> <payload>` per line (the spec's table).
pub const TV4_EVENTS: &str = fixture_file!("eventstream/tv4-events.txt");

/// Spec TV-5: an in-stream `modelStreamErrorException` frame, base64.
pub const TV5_BASE64: &str = fixture_file!("eventstream/tv5.base64");

/// Spec TV-5 as hex (the same bytes as [`TV5_BASE64`]).
pub const TV5_HEX: &str = fixture_file!("eventstream/tv5.hex");

/// Spec TV-6: an in-stream `throttlingException` frame, hex.
pub const TV6_HEX: &str = fixture_file!("eventstream/tv6.hex");

/// Spec TV-8: a `contentBlockStop` frame without the `p` padding field, hex.
pub const TV8_HEX: &str = fixture_file!("eventstream/tv8.hex");

/// The decoded TV-4 body.
pub fn tv4_bytes() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(TV4_BASE64).unwrap_or_default()
}

/// The decoded TV-5 frame.
pub fn tv5_bytes() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(TV5_BASE64).unwrap_or_default()
}

/// The decoded TV-6 frame.
pub fn tv6_bytes() -> Vec<u8> {
    hex::decode(TV6_HEX).unwrap_or_default()
}

/// TV-4's events as (`:event-type`, payload) pairs, in stream order.
pub fn tv4_events() -> impl Iterator<Item = (&'static str, &'static str)> {
    TV4_EVENTS.lines().filter_map(|line| line.split_once(' '))
}

/// The Converse fixture for a scenario name (`None` for `recording` and unknown names).
pub fn converse_fixture(scenario: &str) -> Option<&'static str> {
    Some(match scenario {
        "text-fixture" => TEXT_FIXTURE,
        "reasoning-fixture" => REASONING_FIXTURE,
        "tool-fixture" => TOOL_FIXTURE,
        "citations-fixture" => CITATIONS_FIXTURE,
        "guardrail-fixture" => GUARDRAIL_FIXTURE,
        "arn-fixture" => ARN_FIXTURE,
        _ => return None,
    })
}

/// Every scenario name the `x-emulator-scenario` header accepts.
pub const SCENARIOS: &[&str] = &[
    "text-fixture",
    "reasoning-fixture",
    "tool-fixture",
    "citations-fixture",
    "guardrail-fixture",
    "arn-fixture",
    "recording",
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn fixtures_are_json_and_recordings_decode() {
        for name in SCENARIOS.iter().filter(|s| **s != "recording") {
            let v: serde_json::Value =
                serde_json::from_str(converse_fixture(name).unwrap()).unwrap();
            assert!(v.get("stopReason").is_some(), "{name}");
        }
        assert_eq!(tv4_bytes().len(), 1157);
        assert_eq!(tv5_bytes().len(), 221);
        assert_eq!(tv6_bytes().len(), 0xb2);
    }
}

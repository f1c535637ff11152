//! Hand-written checks for the identifier patterns in Bedrock's service model.
//!
//! Written out instead of a regex engine: the patterns are character classes with a length
//! range, and the component should stay small.

/// A tool-use ID: `[a-zA-Z0-9_.:-]{1,64}`.
pub(super) fn is_tool_use_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

/// A tool name: `[a-zA-Z0-9_-]{1,64}`.
pub(crate) fn is_tool_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
}

/// What is wrong with a document name, if anything. Bedrock allows 1..200 characters of
/// letters, digits, whitespace, hyphens, parentheses and square brackets, and no two
/// whitespace characters in a row.
pub(super) fn document_name_problem(name: &str) -> Option<&'static str> {
    let len = name.chars().count();
    if len == 0 {
        return Some("is empty");
    }
    if len > 200 {
        return Some("is longer than 200 characters");
    }
    if !name.chars().all(|c| {
        c.is_ascii_alphanumeric()
            || c.is_ascii_whitespace()
            || matches!(c, '-' | '(' | ')' | '[' | ']')
    }) {
        return Some(
            "may only contain letters, digits, whitespace, hyphens, parentheses and square brackets",
        );
    }
    let mut prev_space = false;
    for c in name.chars() {
        let space = c.is_ascii_whitespace();
        if space && prev_space {
            return Some("contains two whitespace characters in a row");
        }
        prev_space = space;
    }
    None
}

/// A request-metadata key or value character: `[a-zA-Z0-9\s:_@$#=/+,-.]`.
pub(super) fn is_metadata_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || c.is_whitespace()
        || matches!(c, ':' | '_' | '@' | '$' | '#' | '=' | '/' | '+' | ',' | '-' | '.')
}

/// A guardrail identifier: `[a-z0-9]+` or a guardrail ARN.
pub(super) fn is_guardrail_identifier(s: &str) -> bool {
    if s.starts_with("arn:") {
        return s.len() <= 2048 && s.contains(":guardrail/") && !s.contains(char::is_whitespace);
    }
    (1..=2048).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// A guardrail version: `DRAFT` or a number 1..99999999 without leading zeros.
pub(super) fn is_guardrail_version(s: &str) -> bool {
    s == "DRAFT"
        || ((1..=8).contains(&s.len())
            && !s.starts_with('0')
            && s.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_use_ids() {
        assert!(is_tool_use_id("tooluse_j6gIgqF8PljNKBylAe15oP"));
        assert!(is_tool_use_id("call_61f8fcbe423a58699163c53e076f1a06"));
        assert!(is_tool_use_id("a.b:c-d_e"));
        assert!(is_tool_use_id(&"x".repeat(64)));
        assert!(!is_tool_use_id(&"x".repeat(65)));
        assert!(!is_tool_use_id(""));
        assert!(!is_tool_use_id("has space"));
        assert!(!is_tool_use_id("slash/no"));
    }

    #[test]
    fn tool_names() {
        assert!(is_tool_name("get_weather-2"));
        assert!(!is_tool_name("get.weather"));
        assert!(!is_tool_name("get:weather"));
        assert!(!is_tool_name(""));
        assert!(!is_tool_name(&"n".repeat(65)));
    }

    #[test]
    fn document_names() {
        assert_eq!(document_name_problem("Annual report (2024) [final]-v2"), None);
        assert_eq!(document_name_problem(""), Some("is empty"));
        assert!(document_name_problem(&"a".repeat(201)).is_some());
        assert_eq!(document_name_problem(&"a".repeat(200)), None);
        assert!(document_name_problem("report.pdf").is_some());
        assert!(document_name_problem("two  spaces").is_some());
        assert!(document_name_problem("tab\t and space").is_some());
    }

    #[test]
    fn guardrail_ids_and_versions() {
        assert!(is_guardrail_identifier("1abcd2ef34gh"));
        assert!(is_guardrail_identifier("arn:aws:bedrock:us-east-1:123456789012:guardrail/abc"));
        assert!(!is_guardrail_identifier("Upper"));
        assert!(!is_guardrail_identifier(""));
        assert!(is_guardrail_version("DRAFT"));
        assert!(is_guardrail_version("1"));
        assert!(is_guardrail_version("99999999"));
        assert!(!is_guardrail_version("100000000"));
        assert!(!is_guardrail_version("0"));
        assert!(!is_guardrail_version("draft"));
    }

    #[test]
    fn metadata_chars() {
        assert!("tenant: acme@x.com/#1 + a=b, c-d".chars().all(is_metadata_char));
        assert!(!is_metadata_char('!'));
        assert!(!is_metadata_char('*'));
    }
}

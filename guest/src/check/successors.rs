//! Hand-kept knowledge the control plane does not give: which model succeeds a legacy one, and
//! where a model that is missing from a region is offered instead.
//!
//! Both are hints for the fix text only; a row's status never rests on them. The successor is
//! the newest model of the same family this provider knows (not an AWS statement), and the
//! fix says to confirm it in the console. Extend the tables as models are retired.

/// A recommended replacement for a legacy model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Successor {
    /// The successor's base model ID.
    pub id: &'static str,
    /// Whether it is called through an inference profile rather than by its bare ID.
    pub needs_profile: bool,
}

const SONNET: Successor =
    Successor { id: "anthropic.claude-sonnet-4-5-20250929-v1:0", needs_profile: true };
const HAIKU: Successor =
    Successor { id: "anthropic.claude-haiku-4-5-20251001-v1:0", needs_profile: true };
const OPUS: Successor =
    Successor { id: "anthropic.claude-opus-4-5-20251101-v1:0", needs_profile: true };

/// Model-ID prefixes of retired or retiring families and their successor.
const SUCCESSORS: &[(&str, Successor)] = &[
    ("anthropic.claude-v2", SONNET),
    ("anthropic.claude-instant-", HAIKU),
    ("anthropic.claude-3-sonnet-", SONNET),
    ("anthropic.claude-3-5-sonnet-", SONNET),
    ("anthropic.claude-3-7-sonnet-", SONNET),
    ("anthropic.claude-sonnet-4-2025", SONNET),
    ("anthropic.claude-3-haiku-", HAIKU),
    ("anthropic.claude-3-5-haiku-", HAIKU),
    ("anthropic.claude-3-opus-", OPUS),
    ("anthropic.claude-opus-4-2025", OPUS),
    ("amazon.titan-text-lite-", Successor { id: "amazon.nova-micro-v1:0", needs_profile: false }),
    ("amazon.titan-text-express-", Successor { id: "amazon.nova-lite-v1:0", needs_profile: false }),
    ("amazon.titan-text-premier-", Successor { id: "amazon.nova-pro-v1:0", needs_profile: false }),
];

/// The successor of a legacy base model ID, if this provider knows one.
pub fn successor(base: &str) -> Option<Successor> {
    SUCCESSORS.iter().find(|(prefix, s)| base.starts_with(prefix) && s.id != base).map(|(_, s)| *s)
}

/// Regions that offer models whose regional gaps are documented (spec 11.1: Amazon Rerank 1.0
/// is not offered in us-east-1; the Rerank examples use us-west-2).
const OFFERED_IN: &[(&str, &[&str])] = &[("amazon.rerank-v1:0", &["us-west-2"])];

/// A region that offers `base`, for a model the configured region lacks.
pub fn offered_in(base: &str) -> Option<&'static [&'static str]> {
    OFFERED_IN.iter().find(|(id, _)| *id == base).map(|(_, regions)| *regions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_map_to_their_newest_model() {
        assert_eq!(successor("anthropic.claude-3-5-sonnet-20240620-v1:0"), Some(SONNET));
        assert_eq!(successor("anthropic.claude-sonnet-4-20250514-v1:0"), Some(SONNET));
        assert_eq!(successor("anthropic.claude-3-haiku-20240307-v1:0"), Some(HAIKU));
        assert_eq!(
            successor("amazon.titan-text-express-v1").map(|s| s.id),
            Some("amazon.nova-lite-v1:0")
        );
        // The current models and unknown families have none.
        assert_eq!(successor("anthropic.claude-sonnet-4-5-20250929-v1:0"), None);
        assert_eq!(successor("cohere.rerank-v3-5:0"), None);
        assert_eq!(offered_in("amazon.rerank-v1:0"), Some(&["us-west-2"][..]));
        assert_eq!(offered_in("cohere.rerank-v3-5:0"), None);
    }
}

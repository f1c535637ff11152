//! What each chat model family can do with structured output and reasoning: the one table.
//!
//! Everything that depends on the model family (the reasoning dialect, whether Bedrock's
//! native structured output and `outputConfig.effort` apply) is decided here from the model
//! ID, so the request builder never tests model names itself. Families are recognised by the
//! base model ID inside the ID (`anthropic.claude-…`, `amazon.nova-2…`), so geo inference
//! profiles and foundation-model ARNs resolve like the base ID; an application inference
//! profile ARN names no model and gets the `other` row.
//!
//! | family | structured output | `reasoning-effort` | `reasoning-budget` |
//! |---|---|---|---|
//! | Claude Opus 4.5 | native `outputConfig.textFormat` | `outputConfig.effort` (minimal→low, xhigh/max→high) | `thinking.budget_tokens` |
//! | Claude 4.6 and later (Sonnet 4.6, Opus 4.6, …, 5.x) | native | `outputConfig.effort` (minimal→low) | `thinking.budget_tokens` |
//! | Claude Sonnet 4.5, Haiku 4.5 | native | a thinking budget (table below) | `thinking.budget_tokens` |
//! | Claude 3.7 Sonnet, Sonnet 4, Opus 4, Opus 4.1 | forced tool | a thinking budget | `thinking.budget_tokens` |
//! | Claude 3, 3.5 | forced tool | dropped (`setting-dropped`) | dropped |
//! | Amazon Nova 2 | forced tool | `reasoningConfig.maxReasoningEffort` (minimal→low, xhigh/max→high) | mapped to an effort |
//! | everything else (Nova 1, Llama, Mistral, …, application profiles) | forced tool | dropped | dropped |
//!
//! Native structured output is what Bedrock documents for Claude 4.5-generation models and
//! later (the `output_config.format` errors it passes through are Anthropic's). The forced
//! tool needs a model that honours `toolChoice.tool`; Bedrock refuses the request for a model
//! that does not, and that refusal is reported as `invalid-request`. `json-object` always takes
//! the forced-tool path: Bedrock's native format takes a schema, not "any object".
//!
//! Budgets for effort levels on models that only take a thinking budget (Anthropic's minimum
//! is 1024; `max` plus the 4096 tokens of answer room the builder adds stays under the
//! 32,000-token output limit of Claude Opus 4 and 4.1, the smallest among these models):
//!
//! | effort | budget tokens |
//! |---|---|
//! | minimal | 1024 |
//! | low | 2048 |
//! | medium | 8192 |
//! | high | 16384 |
//! | xhigh | 24576 |
//! | max | 27648 |

use crate::api::Effort;

/// Which reasoning parameters a model speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Anthropic's `thinking` object in `additionalModelRequestFields`.
    Anthropic,
    /// Nova 2's `reasoningConfig`.
    Nova2,
    /// No known reasoning parameter.
    Other,
}

/// How a response format is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructuredOutput {
    /// Converse `outputConfig.textFormat` (the schema is enforced while generating).
    Native,
    /// A forced call of a synthetic tool whose input schema is the requested schema.
    ForcedTool,
}

/// How `reasoning-effort` is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EffortSupport {
    /// Converse `outputConfig.effort`; `max_level` is the highest level the model takes.
    Native {
        /// Levels above this are sent as this.
        max_level: Effort,
    },
    /// Translated to an Anthropic thinking budget ([`budget_for`]).
    Budget,
    /// Nova 2's `maxReasoningEffort` (low, medium, high).
    Nova2,
    /// Not sent; a `setting-dropped` warning says so.
    Unsupported,
}

/// The capabilities of one model family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Reasoning dialect (for `reasoning-budget`).
    pub dialect: Dialect,
    /// How structured output is obtained.
    pub structured_output: StructuredOutput,
    /// How `reasoning-effort` is sent.
    pub effort: EffortSupport,
}

/// The capabilities of the model `model_id` (a base ID, profile ID or ARN).
pub fn of(model_id: &str) -> Capabilities {
    if let Some(at) = model_id.find("anthropic.claude-") {
        return claude(&model_id[at + "anthropic.claude-".len()..]);
    }
    let other = Capabilities {
        dialect: Dialect::Other,
        structured_output: StructuredOutput::ForcedTool,
        effort: EffortSupport::Unsupported,
    };
    if model_id.contains("amazon.nova-2") {
        return Capabilities { dialect: Dialect::Nova2, effort: EffortSupport::Nova2, ..other };
    }
    other
}

/// The thinking budget an effort level stands for (see the module table).
pub fn budget_for(effort: Effort) -> u32 {
    match effort {
        Effort::Minimal => 1024,
        Effort::Low => 2048,
        Effort::Medium => 8192,
        Effort::High => 16384,
        Effort::Xhigh => 24576,
        Effort::Max => 27648,
    }
}

/// `rest` is what follows `anthropic.claude-`, e.g. `sonnet-4-5-20250929-v1:0` or
/// `3-7-sonnet-20250219-v1:0`.
fn claude(rest: &str) -> Capabilities {
    let (major, minor) = claude_version(rest);
    let version = (major, minor);
    let opus = rest.starts_with("opus") || rest.contains("-opus");
    let structured_output =
        if version >= (4, 5) { StructuredOutput::Native } else { StructuredOutput::ForcedTool };
    let effort = if version >= (4, 6) {
        EffortSupport::Native { max_level: Effort::Max }
    } else if opus && version == (4, 5) {
        EffortSupport::Native { max_level: Effort::High }
    } else if version >= (3, 7) {
        EffortSupport::Budget
    } else {
        EffortSupport::Unsupported
    };
    Capabilities { dialect: Dialect::Anthropic, structured_output, effort }
}

/// The generation in a Claude model name: the first one- or two-digit token is the major
/// version, a directly following one the minor (dates are eight digits). `(0, 0)` for names
/// without one (Claude 2, Instant).
fn claude_version(rest: &str) -> (u32, u32) {
    let small = |t: &str| (1..=2).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit());
    let tokens: Vec<&str> = rest.split('-').collect();
    let Some(at) = tokens.iter().position(|t| small(t)) else { return (0, 0) };
    let major = tokens[at].parse().unwrap_or(0);
    let minor = tokens.get(at + 1).filter(|t| small(t)).and_then(|t| t.parse().ok()).unwrap_or(0);
    (major, minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claude_versions() {
        for (id, want) in [
            ("sonnet-4-5-20250929-v1:0", (4, 5)),
            ("3-7-sonnet-20250219-v1:0", (3, 7)),
            ("3-haiku-20240307-v1:0", (3, 0)),
            ("3-5-sonnet-20241022-v2:0", (3, 5)),
            ("sonnet-4-20250514-v1:0", (4, 0)),
            ("opus-4-1-20250805-v1:0", (4, 1)),
            ("opus-4-6-v1", (4, 6)),
            ("sonnet-4-6", (4, 6)),
            ("haiku-4-5-20251001-v1:0", (4, 5)),
            ("v2:1", (0, 0)),
            ("instant-v1", (0, 0)),
        ] {
            assert_eq!(claude_version(id), want, "{id}");
        }
    }

    #[test]
    fn the_table() {
        use EffortSupport as E;
        use StructuredOutput as S;
        let rows = [
            (
                "anthropic.claude-opus-4-5-20251101-v1:0",
                S::Native,
                E::Native { max_level: Effort::High },
            ),
            ("us.anthropic.claude-opus-4-6-v1", S::Native, E::Native { max_level: Effort::Max }),
            ("anthropic.claude-sonnet-4-6", S::Native, E::Native { max_level: Effort::Max }),
            ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", S::Native, E::Budget),
            ("anthropic.claude-haiku-4-5-20251001-v1:0", S::Native, E::Budget),
            ("anthropic.claude-sonnet-4-20250514-v1:0", S::ForcedTool, E::Budget),
            ("anthropic.claude-opus-4-1-20250805-v1:0", S::ForcedTool, E::Budget),
            ("anthropic.claude-3-7-sonnet-20250219-v1:0", S::ForcedTool, E::Budget),
            ("anthropic.claude-3-5-sonnet-20241022-v2:0", S::ForcedTool, E::Unsupported),
            ("anthropic.claude-3-haiku-20240307-v1:0", S::ForcedTool, E::Unsupported),
            ("us.amazon.nova-2-lite-v1:0", S::ForcedTool, E::Nova2),
            ("amazon.nova-lite-v1:0", S::ForcedTool, E::Unsupported),
            ("meta.llama3-8b-instruct-v1:0", S::ForcedTool, E::Unsupported),
            (
                "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6",
                S::Native,
                E::Native { max_level: Effort::Max },
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123",
                S::ForcedTool,
                E::Unsupported,
            ),
        ];
        for (id, structured, effort) in rows {
            let caps = of(id);
            assert_eq!(caps.structured_output, structured, "{id}");
            assert_eq!(caps.effort, effort, "{id}");
        }
        assert_eq!(of("anthropic.claude-sonnet-4-6").dialect, Dialect::Anthropic);
        assert_eq!(of("amazon.nova-2-lite-v1:0").dialect, Dialect::Nova2);
        assert_eq!(of("amazon.nova-pro-v1:0").dialect, Dialect::Other);
    }

    #[test]
    fn budgets_rise_and_fit_the_smallest_output_limit() {
        let levels = [
            Effort::Minimal,
            Effort::Low,
            Effort::Medium,
            Effort::High,
            Effort::Xhigh,
            Effort::Max,
        ];
        assert_eq!(budget_for(Effort::Minimal), 1024);
        for pair in levels.windows(2) {
            assert!(budget_for(pair[0]) < budget_for(pair[1]));
        }
        assert!(budget_for(Effort::Max) + 4096 <= 32_000);
    }
}

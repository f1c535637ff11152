//! Model specs (`amazon-bedrock|<id>`): parsing, validation against the forms Bedrock accepts
//! (spec §2.1), inference-profile knowledge (§13) and the `{modelId}` path label (§2.2).
//!
//! Validation is deliberately a little stricter than Bedrock's own pattern, whose catch-all
//! alternatives accept almost any string: a typo caught here comes with a precise explanation,
//! while Bedrock would only answer "The provided model identifier is invalid" after a round trip.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::error::{ErrorKind, ProviderError, Result};
use crate::region::{Partition, geo_prefix, partition_of};

/// The provider name in model specs such as `amazon-bedrock|amazon.nova-lite-v1:0`.
pub const PROVIDER: &str = "amazon-bedrock";

/// Bedrock's length limit for model identifiers.
pub const MAX_LEN: usize = 2048;

/// Geography prefixes of system-defined inference profiles (`us.anthropic.…`).
pub const GEO_PREFIXES: [&str; 8] = ["us", "eu", "apac", "jp", "au", "ca", "global", "us-gov"];

/// Everything except RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`) is encoded, like
/// botocore's `percent_encode` for non-greedy labels: `:` becomes `%3A`, `/` becomes `%2F`.
const LABEL: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

const EXAMPLES: &str = "a base model ID such as `anthropic.claude-sonnet-4-5-20250929-v1:0`, an \
     inference-profile ID such as `us.anthropic.claude-sonnet-4-5-20250929-v1:0`, or an ARN such \
     as `arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123xyz`";

/// The resource type of a Bedrock ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArnResourceType {
    /// `foundation-model/<base model ID>` (empty account field).
    FoundationModel,
    /// `inference-profile/<geo>.<base model ID>` (system-defined cross-region profile).
    InferenceProfile,
    /// `application-inference-profile/<id>`.
    ApplicationInferenceProfile,
    /// `provisioned-model/<id>`.
    ProvisionedModel,
    /// `custom-model/<base>/<id>`.
    CustomModel,
    /// `custom-model-deployment/<id>`.
    CustomModelDeployment,
    /// `imported-model/<id>`.
    ImportedModel,
    /// `prompt/<id>[:<version>]` (Prompt management; Converse only).
    Prompt,
    /// `prompt-router/<id>`.
    PromptRouter,
    /// `default-prompt-router/<id>`.
    DefaultPromptRouter,
}

impl ArnResourceType {
    /// Every resource type.
    pub const ALL: [ArnResourceType; 10] = [
        Self::FoundationModel,
        Self::InferenceProfile,
        Self::ApplicationInferenceProfile,
        Self::ProvisionedModel,
        Self::CustomModel,
        Self::CustomModelDeployment,
        Self::ImportedModel,
        Self::Prompt,
        Self::PromptRouter,
        Self::DefaultPromptRouter,
    ];

    /// The name used in ARNs, e.g. `foundation-model`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FoundationModel => "foundation-model",
            Self::InferenceProfile => "inference-profile",
            Self::ApplicationInferenceProfile => "application-inference-profile",
            Self::ProvisionedModel => "provisioned-model",
            Self::CustomModel => "custom-model",
            Self::CustomModelDeployment => "custom-model-deployment",
            Self::ImportedModel => "imported-model",
            Self::Prompt => "prompt",
            Self::PromptRouter => "prompt-router",
            Self::DefaultPromptRouter => "default-prompt-router",
        }
    }

    /// The resource type named `name` in an ARN.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// What a model ID names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelKind {
    /// A base (foundation) model ID, e.g. `anthropic.claude-sonnet-4-5-20250929-v1:0`.
    Base,
    /// A system-defined cross-region inference profile ID, e.g. `us.anthropic.…`.
    InferenceProfile {
        /// The geography prefix without the dot: one of [`GEO_PREFIXES`].
        geo: &'static str,
    },
    /// A Bedrock ARN.
    Arn {
        /// The partition named by the ARN.
        partition: Partition,
        /// The region named by the ARN.
        region: String,
        /// The account ID; `None` for foundation-model ARNs, whose account field is empty.
        account: Option<String>,
        /// What the ARN names.
        resource_type: ArnResourceType,
        /// The part after `<resource type>/`.
        resource: String,
    },
}

/// A validated Bedrock model identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelId {
    id: String,
    kind: ModelKind,
}

/// Parses a model spec: `amazon-bedrock|<id>` or a bare `<id>`.
///
/// Errors are [`ErrorKind::InvalidRequest`] with a message and a solution but no `field`: the
/// caller knows which setting or request field the spec came from and sets it.
pub fn parse_spec(spec: &str) -> Result<ModelId> {
    check_whitespace(spec)?;
    let id = match spec.split_once('|') {
        Some((PROVIDER, id)) => id,
        Some(("", _)) => {
            return Err(invalid(
                format!("The model spec `{spec}` has an empty provider name before `|`."),
                format!("Write `{PROVIDER}|<model-id>` or just the model ID."),
            ));
        }
        Some((other, _)) => {
            return Err(invalid(
                format!(
                    "The model spec `{spec}` is for the provider `{other}`, but this provider is \
                     `{PROVIDER}`."
                ),
                format!(
                    "Configure that model under the `{other}` provider, or choose a Bedrock model \
                     here, e.g. `{PROVIDER}|anthropic.claude-sonnet-4-5-20250929-v1:0`."
                ),
            ));
        }
        None => spec,
    };
    parse_id(id)
}

/// Parses a bare model ID (no `amazon-bedrock|` prefix).
pub fn parse_id(id: &str) -> Result<ModelId> {
    if id.is_empty() {
        return Err(invalid("The model ID is empty.", format!("Set a model ID: {EXAMPLES}.")));
    }
    check_whitespace(id)?;
    if id.len() > MAX_LEN {
        return Err(invalid(
            format!(
                "The model ID is {} characters long; Bedrock accepts at most {MAX_LEN}.",
                id.len()
            ),
            "Check that the setting holds one model ID and nothing else.",
        ));
    }
    if let Some(c) = id.chars().find(|c| !is_id_char(*c)) {
        return Err(invalid(
            format!(
                "The model ID `{id}` contains the character {c:?}, which no Bedrock model ID has."
            ),
            format!("Model IDs use only letters, digits and `. _ : / -`. Use {EXAMPLES}."),
        ));
    }
    let kind = if id.starts_with("arn:") {
        parse_arn(id)?
    } else if let Some((geo, base)) = split_geo(id) {
        validate_base(base).map_err(|why| {
            invalid(
                format!(
                    "`{id}` looks like an inference-profile ID (prefix `{geo}.`), but `{base}` is \
                     not a base model ID: {why}."
                ),
                "An inference-profile ID is `<geo>.<provider>.<model>`, e.g. \
                 `us.anthropic.claude-sonnet-4-5-20250929-v1:0`.",
            )
        })?;
        ModelKind::InferenceProfile { geo }
    } else {
        validate_base(id).map_err(|why| {
            invalid(
                format!("`{id}` is not a Bedrock model ID: {why}."),
                format!("Use {EXAMPLES}. The Bedrock console lists model IDs under Model catalog."),
            )
        })?;
        ModelKind::Base
    };
    Ok(ModelId { id: id.to_string(), kind })
}

/// Any text as a path label, encoded like [`ModelId::path_label`] (`:` -> `%3A`, `/` -> `%2F`).
pub fn encode_label(text: &str) -> String {
    utf8_percent_encode(text, LABEL).to_string()
}

/// The ARN of a foundation model: `arn:<partition>:bedrock:<region>::foundation-model/<id>`
/// (the account field is empty). Rerank names its model this way.
pub fn foundation_model_arn(partition: Partition, region: &str, id: &str) -> String {
    format!("arn:{}:bedrock:{region}::foundation-model/{id}", partition.arn_name())
}

impl ModelId {
    /// The model ID as sent to Bedrock (without the `amazon-bedrock|` prefix).
    pub fn as_str(&self) -> &str {
        &self.id
    }

    /// What the ID names.
    pub fn kind(&self) -> &ModelKind {
        &self.kind
    }

    /// The `{modelId}` path label as it goes on the wire: every byte except RFC 3986 unreserved
    /// characters percent-encoded with upper-case hex (`:` -> `%3A`, `/` -> `%2F`).
    pub fn path_label(&self) -> String {
        encode_label(&self.id)
    }

    /// The base model ID behind this ID: the ID itself for a base ID, without the geography
    /// prefix for an inference profile, and the resource part of foundation-model and
    /// inference-profile ARNs (again without a geography prefix). `None` for other ARNs, which
    /// do not name their model.
    pub fn base_model_id(&self) -> Option<&str> {
        match &self.kind {
            ModelKind::Base => Some(&self.id),
            ModelKind::InferenceProfile { geo } => self.id.get(geo.len() + 1..),
            ModelKind::Arn { resource_type, resource, .. } => match resource_type {
                ArnResourceType::FoundationModel => Some(resource),
                ArnResourceType::InferenceProfile => match split_geo(resource) {
                    Some((_, base)) if validate_base(base).is_ok() => Some(base),
                    _ => Some(resource),
                },
                _ => None,
            },
        }
    }

    /// The model provider, e.g. `anthropic`, `amazon` or `cohere`, when the ID names a model.
    pub fn provider(&self) -> Option<&str> {
        let base = self.base_model_id()?;
        base.split_once('.').map(|(provider, _)| provider)
    }

    /// The system-defined inference-profile ID to use from `region` for a base model ID, e.g.
    /// `us.anthropic.claude-sonnet-4-5-20250929-v1:0` for
    /// `anthropic.claude-sonnet-4-5-20250929-v1:0` in `us-east-1`. `None` for profiles and ARNs,
    /// and for regions without a geography prefix.
    /// Not every model has a profile in every geography; see [`geo_prefix`].
    pub fn inference_profile_for(&self, region: &str) -> Option<String> {
        match self.kind {
            ModelKind::Base => geo_prefix(region).map(|geo| format!("{geo}.{}", self.id)),
            _ => None,
        }
    }

    /// The global cross-region inference-profile ID of this model (`global.<base model ID>`),
    /// when the model is named by ID rather than by ARN.
    pub fn global_profile(&self) -> Option<String> {
        match self.kind {
            ModelKind::Base | ModelKind::InferenceProfile { .. } => {
                self.base_model_id().map(|base| format!("global.{base}"))
            }
            ModelKind::Arn { .. } => None,
        }
    }
}

impl fmt::Display for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

/// Whitespace is refused with its own message: it is almost always a copy-paste leftover, and
/// it is invisible in most error displays.
fn check_whitespace(id: &str) -> Result<()> {
    if let Some(c) = id.chars().find(|c| c.is_whitespace()) {
        let message = if id.starts_with(char::is_whitespace) || id.ends_with(char::is_whitespace) {
            format!("The model ID {id:?} has leading or trailing whitespace.")
        } else {
            format!("The model ID {id:?} contains whitespace ({c:?}).")
        };
        Err(invalid(
            message,
            "Remove the whitespace; it is usually a copy-paste leftover. Model IDs never contain \
             spaces.",
        ))
    } else {
        Ok(())
    }
}

fn invalid(message: impl Into<String>, solution: impl Into<String>) -> ProviderError {
    ProviderError::new(ErrorKind::InvalidRequest, message).with_solution(solution)
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '/' | '-')
}

/// Splits `us.anthropic.…` into (`us`, `anthropic.…`) when the first label is a geography
/// prefix.
fn split_geo(id: &str) -> Option<(&'static str, &str)> {
    let (first, rest) = id.split_once('.')?;
    GEO_PREFIXES.into_iter().find(|g| *g == first).map(|g| (g, rest))
}

/// Checks the `provider.model[-version][:n]` shape; the error says what is wrong.
fn validate_base(id: &str) -> std::result::Result<(), String> {
    if id.contains('/') {
        return Err("only ARNs contain `/`".into());
    }
    if id.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "Bedrock model IDs are lower-case (did you mean `{}`?)",
            id.to_ascii_lowercase()
        ));
    }
    if id.contains('_') {
        return Err("Bedrock model IDs do not contain `_`".into());
    }
    let Some((provider, model)) = id.split_once('.') else {
        return Err("it has no `.` between the model provider and the model name (expected \
                    `provider.model`, e.g. `anthropic.claude-sonnet-4-5-20250929-v1:0`)"
            .into());
    };
    if provider.is_empty() || provider.len() > 63 || provider.contains(':') {
        return Err(
            "the part before the first `.` must be the model provider, e.g. `anthropic`".into()
        );
    }
    if model.is_empty() || model.split(['.', ':']).any(str::is_empty) {
        return Err("it has an empty part between `.` or `:` separators".into());
    }
    Ok(())
}

fn parse_arn(id: &str) -> Result<ModelKind> {
    let form = "Bedrock ARNs have the form \
                `arn:<partition>:bedrock:<region>:<account>:<type>/<id>`, e.g. \
                `arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123xyz` \
                or `arn:aws:bedrock:us-west-2::foundation-model/cohere.rerank-v3-5:0`.";
    let bad = |why: String| invalid(format!("`{id}` is not a valid Bedrock ARN: {why}."), form);
    let parts: Vec<&str> = id.splitn(6, ':').collect();
    let [_, partition, service, region, account, resource] = parts.as_slice() else {
        return Err(bad("it has fewer than six `:`-separated fields".into()));
    };
    let partition = Partition::from_arn_name(partition).ok_or_else(|| {
        bad(format!(
            "`{partition}` is not an AWS partition (expected one of {})",
            Partition::ALL.map(|p| format!("`{}`", p.arn_name())).join(", ")
        ))
    })?;
    if *service != "bedrock" {
        return Err(bad(format!(
            "the service is `{service}`; this provider calls Bedrock models only (`bedrock`)"
        )));
    }
    match partition_of(region) {
        Some(p) if p == partition => {}
        Some(p) => {
            return Err(bad(format!(
                "the region `{region}` belongs to the partition `{}`, not `{}`",
                p.arn_name(),
                partition.arn_name()
            )));
        }
        None => return Err(bad(format!("`{region}` is not an AWS region (e.g. `us-east-1`)"))),
    }
    let Some((type_name, resource)) = resource.split_once('/') else {
        return Err(bad(format!("the resource `{resource}` has no `<type>/` prefix")));
    };
    let resource_type = ArnResourceType::from_name(type_name).ok_or_else(|| {
        bad(format!(
            "`{type_name}` is not a Bedrock model resource type (expected one of {})",
            ArnResourceType::ALL.map(|t| format!("`{}`", t.as_str())).join(", ")
        ))
    })?;
    if resource.is_empty() {
        return Err(bad(format!("nothing follows `{type_name}/`")));
    }
    let account = if resource_type == ArnResourceType::FoundationModel {
        if !account.is_empty() {
            return Err(bad(format!(
                "foundation-model ARNs have an empty account field \
                 (`…:{region}::foundation-model/…`), \
                 but this one has `{account}`"
            )));
        }
        if let Err(why) = validate_base(resource) {
            return Err(bad(format!("`{resource}` is not a base model ID: {why}")));
        }
        None
    } else {
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(format!(
                "the account field must be a 12-digit AWS account ID for `{type_name}` ARNs, \
                 but it is `{account}`"
            )));
        }
        if resource_type != ArnResourceType::CustomModel && resource.contains('/') {
            return Err(bad(format!("the `{type_name}` ID `{resource}` contains `/`")));
        }
        Some(account.to_string())
    };
    Ok(ModelKind::Arn {
        partition,
        region: region.to_string(),
        account,
        resource_type,
        resource: resource.to_string(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const SONNET: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";

    fn err(spec: &str) -> ProviderError {
        match parse_spec(spec) {
            Ok(id) => panic!("{spec:?} was accepted as {id:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn spec_examples_parse_to_the_right_kind() {
        let arn = |region: &str, account: Option<&str>, t, resource: &str| ModelKind::Arn {
            partition: Partition::Aws,
            region: region.into(),
            account: account.map(String::from),
            resource_type: t,
            resource: resource.into(),
        };
        use ArnResourceType as T;
        let table = [
            (SONNET, ModelKind::Base, Some(SONNET), Some("anthropic")),
            (
                "amazon.nova-lite-v1:0",
                ModelKind::Base,
                Some("amazon.nova-lite-v1:0"),
                Some("amazon"),
            ),
            ("cohere.rerank-v3-5:0", ModelKind::Base, Some("cohere.rerank-v3-5:0"), Some("cohere")),
            (
                "anthropic.claude-sonnet-4-6",
                ModelKind::Base,
                Some("anthropic.claude-sonnet-4-6"),
                Some("anthropic"),
            ),
            (
                "anthropic.claude-opus-4-6-v1",
                ModelKind::Base,
                Some("anthropic.claude-opus-4-6-v1"),
                Some("anthropic"),
            ),
            (
                "anthropic.claude-sonnet-4-20250514-v1:0",
                ModelKind::Base,
                Some("anthropic.claude-sonnet-4-20250514-v1:0"),
                Some("anthropic"),
            ),
            (
                "amazon.titan-text-lite-v1:0:4k",
                ModelKind::Base,
                Some("amazon.titan-text-lite-v1:0:4k"),
                Some("amazon"),
            ),
            (
                "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
                ModelKind::InferenceProfile { geo: "us" },
                Some(SONNET),
                Some("anthropic"),
            ),
            (
                "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
                ModelKind::InferenceProfile { geo: "global" },
                Some(SONNET),
                Some("anthropic"),
            ),
            (
                "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
                ModelKind::InferenceProfile { geo: "eu" },
                Some(SONNET),
                Some("anthropic"),
            ),
            (
                "apac.amazon.nova-lite-v1:0",
                ModelKind::InferenceProfile { geo: "apac" },
                Some("amazon.nova-lite-v1:0"),
                Some("amazon"),
            ),
            (
                "jp.anthropic.claude-sonnet-4-5-20250929-v1:0",
                ModelKind::InferenceProfile { geo: "jp" },
                Some(SONNET),
                Some("anthropic"),
            ),
            (
                "au.anthropic.claude-sonnet-4-5-20250929-v1:0",
                ModelKind::InferenceProfile { geo: "au" },
                Some(SONNET),
                Some("anthropic"),
            ),
            (
                "ca.amazon.nova-lite-v1:0",
                ModelKind::InferenceProfile { geo: "ca" },
                Some("amazon.nova-lite-v1:0"),
                Some("amazon"),
            ),
            (
                "us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0",
                ModelKind::InferenceProfile { geo: "us-gov" },
                Some(SONNET),
                Some("anthropic"),
            ),
            (
                "arn:aws:bedrock:us-west-2::foundation-model/cohere.rerank-v3-5:0",
                arn("us-west-2", None, T::FoundationModel, "cohere.rerank-v3-5:0"),
                Some("cohere.rerank-v3-5:0"),
                Some("cohere"),
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
                arn(
                    "us-east-1",
                    Some("123456789012"),
                    T::InferenceProfile,
                    "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
                ),
                Some(SONNET),
                Some("anthropic"),
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123xyz",
                arn("us-east-1", Some("123456789012"), T::ApplicationInferenceProfile, "abc123xyz"),
                None,
                None,
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcdefghijkl",
                arn("us-east-1", Some("123456789012"), T::ProvisionedModel, "abcdefghijkl"),
                None,
                None,
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:prompt/PROMPT12345:1",
                arn("us-east-1", Some("123456789012"), T::Prompt, "PROMPT12345:1"),
                None,
                None,
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-lite-v1:0:300k/abcdefghijkl",
                arn(
                    "us-east-1",
                    Some("123456789012"),
                    T::CustomModel,
                    "amazon.nova-lite-v1:0:300k/abcdefghijkl",
                ),
                None,
                None,
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/abcdefghijkl",
                arn("us-east-1", Some("123456789012"), T::CustomModelDeployment, "abcdefghijkl"),
                None,
                None,
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:imported-model/abcdefghijkl",
                arn("us-east-1", Some("123456789012"), T::ImportedModel, "abcdefghijkl"),
                None,
                None,
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:prompt-router/anthropic.claude:1",
                arn("us-east-1", Some("123456789012"), T::PromptRouter, "anthropic.claude:1"),
                None,
                None,
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:default-prompt-router/anthropic.claude:1",
                arn(
                    "us-east-1",
                    Some("123456789012"),
                    T::DefaultPromptRouter,
                    "anthropic.claude:1",
                ),
                None,
                None,
            ),
        ];
        for (id, kind, base, provider) in table {
            for spec in [id.to_string(), format!("amazon-bedrock|{id}")] {
                let parsed = parse_spec(&spec).unwrap();
                assert_eq!(parsed.as_str(), id);
                assert_eq!(parsed.to_string(), id);
                assert_eq!(parsed.kind(), &kind, "{spec}");
                assert_eq!(parsed.base_model_id(), base, "{spec}");
                assert_eq!(parsed.provider(), provider, "{spec}");
            }
        }
    }

    #[test]
    fn other_partitions_in_arns() {
        let id = parse_spec(
            "arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/amazon.nova-lite-v1:0",
        )
        .unwrap();
        let ModelKind::Arn { partition, region, .. } = id.kind() else { panic!() };
        assert_eq!((*partition, region.as_str()), (Partition::AwsUsGov, "us-gov-west-1"));
        let id = parse_spec(
            "arn:aws-eusc:bedrock:eusc-de-east-1::foundation-model/amazon.nova-lite-v1:0",
        );
        assert!(id.is_ok());
    }

    #[test]
    fn wire_labels_match_the_verified_urls() {
        // Spec §2.2: the verified wire URLs, rebuilt from the IDs.
        let table = [
            (
                "us-east-1",
                SONNET,
                "converse",
                "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse",
            ),
            (
                "us-east-1",
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
                "converse",
                "https://bedrock-runtime.us-east-1.amazonaws.com/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse",
            ),
            (
                "us-west-2",
                "cohere.rerank-v3-5:0",
                "invoke",
                "https://bedrock-runtime.us-west-2.amazonaws.com/model/cohere.rerank-v3-5%3A0/invoke",
            ),
            // Spec §3.3 vectors B and C.
            (
                "us-east-1",
                "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
                "converse",
                "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse",
            ),
            (
                "us-west-2",
                "arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
                "converse-stream",
                "https://bedrock-runtime.us-west-2.amazonaws.com/model/arn%3Aaws%3Abedrock%3Aus-west-2%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse-stream",
            ),
        ];
        for (region, id, op, url) in table {
            let label = parse_spec(id).unwrap().path_label();
            let host = crate::region::runtime_host(region).unwrap();
            assert_eq!(format!("https://{host}/model/{label}/{op}"), url);
        }
    }

    #[test]
    fn path_label_keeps_only_unreserved_characters() {
        let id = parse_spec("arn:aws:bedrock:us-east-1:123456789012:prompt/PROMPT12345:1").unwrap();
        assert_eq!(
            id.path_label(),
            "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aprompt%2FPROMPT12345%3A1"
        );
        let id = parse_spec("arn:aws:bedrock:us-east-1:123456789012:custom-model/a.b_c/x").unwrap();
        assert_eq!(
            id.path_label(),
            "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Acustom-model%2Fa.b_c%2Fx"
        );
    }

    #[test]
    fn inference_profiles_for_regions() {
        let id = parse_spec(&format!("amazon-bedrock|{SONNET}")).unwrap();
        let table = [
            ("us-east-1", Some("us.anthropic.claude-sonnet-4-5-20250929-v1:0")),
            ("us-west-2", Some("us.anthropic.claude-sonnet-4-5-20250929-v1:0")),
            ("eu-west-1", Some("eu.anthropic.claude-sonnet-4-5-20250929-v1:0")),
            ("ap-northeast-1", Some("jp.anthropic.claude-sonnet-4-5-20250929-v1:0")),
            ("ap-southeast-2", Some("au.anthropic.claude-sonnet-4-5-20250929-v1:0")),
            ("ap-south-1", Some("apac.anthropic.claude-sonnet-4-5-20250929-v1:0")),
            ("us-gov-west-1", Some("us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0")),
            ("sa-east-1", None),
        ];
        for (region, want) in table {
            assert_eq!(id.inference_profile_for(region).as_deref(), want, "{region}");
        }
        assert_eq!(
            id.global_profile().as_deref(),
            Some("global.anthropic.claude-sonnet-4-5-20250929-v1:0")
        );
        let profile = parse_spec("us.anthropic.claude-sonnet-4-5-20250929-v1:0").unwrap();
        assert_eq!(profile.inference_profile_for("us-east-1"), None);
        assert_eq!(
            profile.global_profile().as_deref(),
            Some("global.anthropic.claude-sonnet-4-5-20250929-v1:0")
        );
        let arn =
            parse_spec("arn:aws:bedrock:us-west-2::foundation-model/cohere.rerank-v3-5:0").unwrap();
        assert_eq!(arn.inference_profile_for("us-west-2"), None);
        assert_eq!(arn.global_profile(), None);
    }

    #[test]
    fn foundation_model_arn_matches_the_rerank_vector() {
        // Spec §3.3 vector D's body.
        assert_eq!(
            foundation_model_arn(Partition::Aws, "us-west-2", "cohere.rerank-v3-5:0"),
            "arn:aws:bedrock:us-west-2::foundation-model/cohere.rerank-v3-5:0"
        );
        assert_eq!(
            foundation_model_arn(Partition::AwsCn, "cn-north-1", "x.y"),
            "arn:aws-cn:bedrock:cn-north-1::foundation-model/x.y"
        );
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        let long = format!("amazon.{}", "a".repeat(MAX_LEN));
        let table: Vec<(&str, &[&str])> = vec![
            ("", &["empty"]),
            ("amazon-bedrock|", &["empty"]),
            ("openai|gpt-4o", &["`openai`", "`amazon-bedrock`"]),
            ("|gpt-4o", &["empty provider"]),
            (" anthropic.claude-sonnet-4-6", &["leading or trailing whitespace"]),
            ("anthropic.claude-sonnet-4-6\n", &["leading or trailing whitespace"]),
            ("amazon-bedrock| amazon.nova-lite-v1:0", &["whitespace"]),
            ("anthropic.claude sonnet", &["contains whitespace"]),
            (&long, &["2048"]),
            ("anthropic.claude-sonnet-4-6?x=1", &["'?'"]),
            ("anthropic.claüde", &["'ü'"]),
            ("claude-sonnet", &["no `.`"]),
            ("Anthropic.Claude-v2", &["lower-case", "anthropic.claude-v2"]),
            ("anthropic.claude_v2", &["`_`"]),
            ("anthropic/claude", &["only ARNs"]),
            ("anthropic..claude", &["empty part"]),
            ("anthropic.claude:", &["empty part"]),
            (".claude", &["provider"]),
            ("us.claude", &["inference-profile", "`claude`"]),
            ("arn:aws:bedrock:us-east-1", &["six"]),
            ("arn:aws-moon:bedrock:us-east-1::foundation-model/a.b", &["`aws-moon`", "partition"]),
            ("arn:aws:sagemaker:us-east-1:123456789012:endpoint/x", &["`sagemaker`"]),
            ("arn:aws:bedrock:moon-1::foundation-model/a.b", &["`moon-1`"]),
            ("arn:aws:bedrock:us-gov-west-1::foundation-model/a.b", &["aws-us-gov"]),
            ("arn:aws:bedrock:us-east-1::foundation-model", &["`<type>/`"]),
            ("arn:aws:bedrock:us-east-1:123456789012:agent/x", &["`agent`", "resource type"]),
            ("arn:aws:bedrock:us-east-1:123456789012:provisioned-model/", &["nothing follows"]),
            ("arn:aws:bedrock:us-east-1:123456789012:foundation-model/a.b", &["empty account"]),
            ("arn:aws:bedrock:us-east-1::foundation-model/Claude", &["not a base model ID"]),
            ("arn:aws:bedrock:us-east-1::inference-profile/us.a.b", &["12-digit"]),
            ("arn:aws:bedrock:us-east-1:1234:inference-profile/us.a.b", &["12-digit", "`1234`"]),
            ("arn:aws:bedrock:us-east-1:123456789012:provisioned-model/a/b", &["contains `/`"]),
        ];
        for (spec, needles) in table {
            let e = err(spec);
            assert_eq!(e.kind, ErrorKind::InvalidRequest, "{spec}");
            assert_eq!(e.field, None, "{spec}");
            assert!(e.solution.is_some(), "{spec}");
            for needle in needles {
                assert!(e.message.contains(needle), "{spec:?}: {:?} lacks {needle:?}", e.message);
            }
        }
    }
}

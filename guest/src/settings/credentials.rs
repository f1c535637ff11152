//! The `credentials` setting: an AWS credential source that the host application resolves.
//!
//! The component never reads files or the environment and never calls STS, so it cannot use
//! a profile, SSO, web identity or an instance role itself. The split is: the component owns
//! the shape (schema, validation, the rule that sources are never mixed, field-named errors),
//! the host owns the resolution. A host that supports `credentials` validates the settings as
//! they are stored, resolves the source, and before each call replaces `credentials` with the
//! temporary `accessKeyId`, `secretAccessKey` and `sessionToken` it obtained, so the component
//! signs exactly as with static keys. A call that still carries `credentials` reached a host
//! that does not resolve it, and fails with `authentication` before any network I/O.

use std::fmt;

use json_fields::Fields;
use serde_json::Value;

use super::json::{invalid, opt_str, opt_whole};
use crate::error::{ProviderError, Result};

/// The keys of the object form of `credentials`.
pub const CREDENTIALS_KEYS: [&str; 5] =
    ["profile", "roleArn", "externalId", "sessionName", "durationSeconds"];

/// The string form of `credentials`: the AWS SDKs' standard credential chain.
pub const DEFAULT_CHAIN: &str = "default-chain";

/// Shortest and longest AssumeRole session, in seconds (STS's limits).
pub const DURATION_SECONDS: (u64, u64) = (900, 43_200);

/// Where the host application gets the AWS credentials from.
#[derive(Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// The standard chain: environment, shared config/credentials files (`AWS_PROFILE`), SSO,
    /// web identity, the container endpoint, instance metadata.
    DefaultChain,
    /// One named profile of the shared config/credentials files.
    Profile(String),
    /// STS AssumeRole with the credentials of `profile` (or of the standard chain).
    AssumeRole(AssumeRole),
}

/// The AssumeRole form of `credentials`.
#[derive(Clone, PartialEq, Eq)]
pub struct AssumeRole {
    /// The role to assume, `arn:<partition>:iam::<account>:role/<name>`.
    pub role_arn: String,
    /// The external ID the role's trust policy requires.
    pub external_id: Option<String>,
    /// The role session name (STS: 2-64 of `[\w+=,.@-]`).
    pub session_name: Option<String>,
    /// The session length, 900-43200 seconds.
    pub duration_seconds: Option<u32>,
    /// The profile whose credentials call AssumeRole; `None`: the standard chain.
    pub profile: Option<String>,
}

// The external ID is the one value here a role owner may treat as confidential: keep it out
// of debug output like the other credentials.
impl fmt::Debug for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl CredentialSource {
    /// A one-line description for `check` and errors, e.g. `profile dev` or
    /// `role arn:aws:iam::123456789012:role/bedrock (AssumeRole) on profile dev`.
    pub fn describe(&self) -> String {
        match self {
            CredentialSource::DefaultChain => "the standard AWS credential chain".into(),
            CredentialSource::Profile(name) => format!("profile {name}"),
            CredentialSource::AssumeRole(role) => format!(
                "role {} (AssumeRole) on {}",
                role.role_arn,
                role.profile.as_deref().map_or_else(
                    || "the standard AWS credential chain".to_string(),
                    |p| format!("profile {p}")
                )
            ),
        }
    }
}

/// `credentials`, when set. Refused together with any static credential: sources are never
/// mixed, so it is always clear which keys sign a request.
pub(super) fn parse_credentials(obj: &Fields<'_>) -> Result<Option<CredentialSource>> {
    let Some(value) = obj.get("credentials") else { return Ok(None) };
    let statics: Vec<&str> = ["accessKeyId", "secretAccessKey", "sessionToken", "apiKey"]
        .into_iter()
        .filter(|k| obj.get(k).is_some())
        .collect();
    if !statics.is_empty() {
        let listed = statics.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
        return Err(ProviderError::settings(
            "credentials",
            format!(
                "Both `credentials` and {listed} are set; credential sources are never mixed, so \
                 it is ambiguous which keys should sign."
            ),
            format!(
                "Keep one: remove `credentials` to use the static keys, or remove {listed} to \
                 resolve credentials from the source `credentials` names."
            ),
        ));
    }
    let source = match value {
        Value::String(s) if s == DEFAULT_CHAIN => CredentialSource::DefaultChain,
        Value::String(other) => {
            return Err(ProviderError::settings(
                "credentials",
                format!(
                    "`credentials` is the string {:?}; the only string form is \
                     \"{DEFAULT_CHAIN}\".",
                    shorten(other)
                ),
                SHAPES,
            ));
        }
        Value::Object(_) => parse_object(obj)?,
        other => {
            return Err(ProviderError::settings(
                "credentials",
                format!(
                    "`credentials` must be \"{DEFAULT_CHAIN}\" or an object, but it is {}.",
                    json_fields::type_name(other)
                ),
                SHAPES,
            ));
        }
    };
    Ok(Some(source))
}

const SHAPES: &str = "Set `credentials` to \"default-chain\", to {\"profile\": \"dev\"}, or to \
                      {\"roleArn\": \"arn:aws:iam::123456789012:role/bedrock\"} (optionally with \
                      \"externalId\", \"sessionName\", \"durationSeconds\" and a base \
                      \"profile\").";

fn parse_object(obj: &Fields<'_>) -> Result<CredentialSource> {
    let map = obj.opt_object("credentials").map_err(invalid)?;
    let Some(map) = map else { return Ok(CredentialSource::DefaultChain) };
    map.check_keys(&CREDENTIALS_KEYS).map_err(invalid)?;
    let map = map.empty_string_is_absent();
    let profile = opt_str(&map, "profile")?.map(|p| check_profile(&map.path_of("profile"), p));
    let profile = profile.transpose()?;
    let Some(role_arn) = opt_str(&map, "roleArn")? else {
        for key in ["externalId", "sessionName", "durationSeconds"] {
            if map.get(key).is_some() {
                let field = map.path_of(key);
                return Err(ProviderError::settings(
                    &field,
                    format!("`{field}` is set, but `credentials.roleArn` is not."),
                    format!(
                        "`{key}` belongs to AssumeRole: set `credentials.roleArn` to the role to \
                         assume, or remove `{field}`."
                    ),
                ));
            }
        }
        return match profile {
            Some(profile) => Ok(CredentialSource::Profile(profile)),
            None => Err(ProviderError::settings(
                "credentials",
                "`credentials` is an object with neither `profile` nor `roleArn`.",
                SHAPES,
            )),
        };
    };
    check_role_arn(&map.path_of("roleArn"), role_arn)?;
    let external_id = opt_str(&map, "externalId")?;
    if let Some(id) = external_id {
        check_sts_text(&map.path_of("externalId"), id, 2, 1224, "+=,.@:/-")?;
    }
    let session_name = opt_str(&map, "sessionName")?;
    if let Some(name) = session_name {
        check_sts_text(&map.path_of("sessionName"), name, 2, 64, "+=,.@-")?;
    }
    let duration_seconds = match opt_whole(&map, "durationSeconds")? {
        None => None,
        Some(n) if (DURATION_SECONDS.0..=DURATION_SECONDS.1).contains(&n) => Some(n as u32),
        Some(n) => {
            let field = map.path_of("durationSeconds");
            return Err(ProviderError::settings(
                &field,
                format!(
                    "`{field}` is {n}; STS sessions last {} to {} seconds.",
                    DURATION_SECONDS.0, DURATION_SECONDS.1
                ),
                format!(
                    "Set `{field}` between {} (15 minutes) and the role's maximum session \
                     duration (at most {}), or remove it for one hour.",
                    DURATION_SECONDS.0, DURATION_SECONDS.1
                ),
            ));
        }
    };
    Ok(CredentialSource::AssumeRole(AssumeRole {
        role_arn: role_arn.to_string(),
        external_id: external_id.map(str::to_string),
        session_name: session_name.map(str::to_string),
        duration_seconds,
        profile,
    }))
}

/// A profile name as the shared files spell it: no whitespace, brackets or control characters.
fn check_profile(field: &str, name: &str) -> Result<String> {
    let bad = |c: char| c.is_whitespace() || c.is_control() || matches!(c, '[' | ']');
    if name.chars().any(bad) || name.len() > 128 {
        return Err(ProviderError::settings(
            field,
            format!("`{field}` is not a profile name: {:?}.", shorten(name)),
            format!(
                "Set `{field}` to a profile of ~/.aws/config or ~/.aws/credentials, e.g. \"dev\" \
                 for [profile dev] (`aws configure list-profiles` lists them)."
            ),
        ));
    }
    Ok(name.to_string())
}

/// `arn:<partition>:iam::<12 digits>:role/<path and name>`.
fn check_role_arn(field: &str, arn: &str) -> Result<()> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = match parts.as_slice() {
        ["arn", partition, "iam", "", account, resource] => {
            partition.starts_with("aws")
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && resource.strip_prefix("role/").is_some_and(|name| {
                    !name.is_empty()
                        && name.len() <= 512
                        && name.chars().all(|c| c.is_ascii_graphic() && c != ':')
                })
        }
        _ => false,
    };
    if ok {
        return Ok(());
    }
    Err(ProviderError::settings(
        field,
        format!("`{field}` is not an IAM role ARN: {:?}.", shorten(arn)),
        format!(
            "Set `{field}` to the role's ARN as the IAM console shows it, e.g. \
             arn:aws:iam::123456789012:role/bedrock-invoke."
        ),
    ))
}

/// STS's pattern for external IDs and session names: word characters and a few symbols.
fn check_sts_text(field: &str, value: &str, min: usize, max: usize, symbols: &str) -> Result<()> {
    let len = value.chars().count();
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || symbols.contains(c);
    if (min..=max).contains(&len) && value.chars().all(allowed) {
        return Ok(());
    }
    Err(ProviderError::settings(
        field,
        format!(
            "`{field}` must be {min} to {max} characters of letters, digits, `_` and `{symbols}` \
             (it has {len} characters{}).",
            if value.chars().all(allowed) { "" } else { ", some of them not allowed" }
        ),
        format!("Set `{field}` to the value the role's trust policy expects."),
    ))
}

/// The start of a value for an error message (the values here are not secrets, but a long
/// paste does not belong in a one-line message).
fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(64).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;
    use crate::settings::test_support::*;
    use crate::settings::{Auth, Settings};

    const ROLE: &str = "arn:aws:iam::123456789012:role/bedrock-invoke";

    fn region_and(credentials: Value) -> Value {
        json!({"region": "us-east-1", "credentials": credentials})
    }

    #[test]
    fn each_form_is_accepted() {
        let rows = [
            (json!("default-chain"), CredentialSource::DefaultChain),
            (json!({"profile": "dev"}), CredentialSource::Profile("dev".into())),
            (
                json!({"roleArn": ROLE}),
                CredentialSource::AssumeRole(AssumeRole {
                    role_arn: ROLE.into(),
                    external_id: None,
                    session_name: None,
                    duration_seconds: None,
                    profile: None,
                }),
            ),
            (
                json!({"roleArn": "arn:aws-cn:iam::123456789012:role/path/to/r", "profile": "base",
                       "externalId": "ext-1234", "sessionName": "gw@host", "durationSeconds": 900}),
                CredentialSource::AssumeRole(AssumeRole {
                    role_arn: "arn:aws-cn:iam::123456789012:role/path/to/r".into(),
                    external_id: Some("ext-1234".into()),
                    session_name: Some("gw@host".into()),
                    duration_seconds: Some(900),
                    profile: Some("base".into()),
                }),
            ),
            // Empty strings are unset, as everywhere in the settings.
            (
                json!({"profile": "dev", "roleArn": "", "externalId": ""}),
                CredentialSource::Profile("dev".into()),
            ),
        ];
        for (credentials, want) in rows {
            let s = ok(&region_and(credentials.clone()));
            assert_eq!(s.auth, Auth::HostResolved(want), "{credentials}");
        }
        // "" means unset: then there are no credentials at all.
        let e = Settings::parse(&region_and(json!("")).to_string()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("accessKeyId"));
    }

    #[test]
    fn each_rule_names_its_field() {
        check_rules(vec![
            (
                with(base(), json!({"credentials": "default-chain"})),
                Some("credentials"),
                &["`accessKeyId`, `secretAccessKey`", "never mixed"],
            ),
            (
                json!({"region": "us-east-1", "apiKey": API_KEY, "credentials": {"profile": "p"}}),
                Some("credentials"),
                &["`apiKey`", "never mixed"],
            ),
            (region_and(json!("default")), Some("credentials"), &["only string form"]),
            (region_and(json!(true)), Some("credentials"), &["a boolean"]),
            (region_and(json!({})), Some("credentials"), &["neither `profile` nor `roleArn`"]),
            (
                region_and(json!({"profle": "dev"})),
                Some("credentials.profle"),
                &["Unknown setting"],
            ),
            (region_and(json!({"profile": 7})), Some("credentials.profile"), &["a number"]),
            (
                region_and(json!({"profile": "my dev"})),
                Some("credentials.profile"),
                &["not a profile name"],
            ),
            (
                region_and(json!({"roleArn": "arn:aws:iam::123:role/x"})),
                Some("credentials.roleArn"),
                &["not an IAM role ARN"],
            ),
            (
                region_and(json!({"roleArn": "arn:aws:iam::123456789012:user/x"})),
                Some("credentials.roleArn"),
                &["not an IAM role ARN"],
            ),
            (
                region_and(json!({"roleArn": ROLE, "durationSeconds": 60})),
                Some("credentials.durationSeconds"),
                &["900 to 43200"],
            ),
            (
                region_and(json!({"roleArn": ROLE, "sessionName": "has space"})),
                Some("credentials.sessionName"),
                &["not allowed"],
            ),
            (
                region_and(json!({"roleArn": ROLE, "externalId": "x"})),
                Some("credentials.externalId"),
                &["2 to 1224"],
            ),
            (
                region_and(json!({"profile": "dev", "externalId": "abc"})),
                Some("credentials.externalId"),
                &["`credentials.roleArn` is not"],
            ),
        ]);
    }

    #[test]
    fn descriptions_and_debug_show_no_external_id() {
        let s = ok(&region_and(json!({"roleArn": ROLE, "externalId": "very-private-id"})));
        let Auth::HostResolved(source) = &s.auth else { panic!("{:?}", s.auth) };
        assert_eq!(
            source.describe(),
            format!("role {ROLE} (AssumeRole) on the standard AWS credential chain")
        );
        assert!(!format!("{s:?}").contains("very-private-id"));
        assert_eq!(
            s.auth_summary(),
            format!(
                "SigV4 with credentials the host resolves from role {ROLE} (AssumeRole) on the standard AWS credential chain"
            )
        );
    }
}

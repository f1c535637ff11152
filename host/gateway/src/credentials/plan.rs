//! The pure decisions of credential resolution, apart from any I/O so that each is a table:
//! which source the settings name ([`plan`], the never-mix rule), which member of the standard
//! chain will answer ([`chain_source`]) and how to describe it ([`Source::describe`]), when
//! held keys must be refreshed ([`freshness`]), and what to tell an operator when a source
//! fails ([`advice`]).

use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

use crate::types::ErrorKind;

/// The settings keys that hold static credentials.
pub const STATIC_KEYS: [&str; 4] = ["accessKeyId", "secretAccessKey", "sessionToken", "apiKey"];

/// The string form of `credentials`.
pub const DEFAULT_CHAIN: &str = "default-chain";

/// The `credentials` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting {
    /// The AWS SDK's standard chain.
    DefaultChain,
    /// One profile of the shared config/credentials files.
    Profile(String),
    /// STS AssumeRole on top of a profile or of the chain.
    AssumeRole(AssumeRole),
}

/// The AssumeRole form of `credentials`.
#[derive(Clone, PartialEq, Eq)]
pub struct AssumeRole {
    /// The role to assume.
    pub role_arn: String,
    /// The external ID the role's trust policy requires.
    pub external_id: Option<String>,
    /// The role session name.
    pub session_name: Option<String>,
    /// The session length in seconds.
    pub duration_seconds: Option<u32>,
    /// The profile whose credentials call AssumeRole; `None`: the standard chain.
    pub profile: Option<String>,
}

// A role owner may treat the external ID as confidential: debug output leaves it out.
impl std::fmt::Debug for AssumeRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssumeRole")
            .field("role_arn", &self.role_arn)
            .field("external_id", &self.external_id.as_ref().map(|_| "<redacted>"))
            .field("session_name", &self.session_name)
            .field("duration_seconds", &self.duration_seconds)
            .field("profile", &self.profile)
            .finish()
    }
}

impl Setting {
    /// The profile whose `region` applies when the settings have none: the one the setting
    /// names, else `None` (the chain's own choice: `AWS_PROFILE` or `default`).
    pub fn profile(&self) -> Option<&str> {
        match self {
            Setting::DefaultChain => None,
            Setting::Profile(name) => Some(name),
            Setting::AssumeRole(role) => role.profile.as_deref(),
        }
    }
}

/// Where the keys of each call come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Static keys or an API key in the settings: handed to the component as they are, exactly
    /// as before `credentials` existed.
    Static,
    /// Resolved by the host from this source, refreshed before expiry.
    Resolve(Setting),
}

/// Decides the plan for loaded settings. `credentials` together with any static credential is
/// refused (sources are never mixed); so is a `credentials` value of the wrong shape. The
/// component refuses both too, with the same field; this is the host's own guard.
pub fn plan(settings: &Map<String, Value>) -> Result<Plan, String> {
    let present = |key: &str| match settings.get(key) {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    };
    if !present("credentials") {
        return Ok(Plan::Static);
    }
    if let Some(key) = STATIC_KEYS.iter().find(|k| present(k)) {
        return Err(format!(
            "`credentials` and `{key}` are both set; credential sources are never mixed"
        ));
    }
    let value = settings.get("credentials").unwrap_or(&Value::Null);
    parse_setting(value).map(Plan::Resolve)
}

/// The `credentials` value: `"default-chain"`, `{"profile"}` or `{"roleArn", ...}`.
pub fn parse_setting(value: &Value) -> Result<Setting, String> {
    let text = |map: &Map<String, Value>, key: &str| -> Result<Option<String>, String> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("`credentials.{key}` must be a string")),
        }
    };
    match value {
        Value::String(s) if s == DEFAULT_CHAIN => Ok(Setting::DefaultChain),
        Value::Object(map) => {
            if let Some(key) = map.keys().find(|k| {
                !["profile", "roleArn", "externalId", "sessionName", "durationSeconds"]
                    .contains(&k.as_str())
            }) {
                return Err(format!("`credentials.{key}` is not a known key"));
            }
            let profile = text(map, "profile")?;
            match text(map, "roleArn")? {
                None => profile
                    .map(Setting::Profile)
                    .ok_or_else(|| "`credentials` names neither `profile` nor `roleArn`".into()),
                Some(role_arn) => {
                    let duration_seconds = match map.get("durationSeconds") {
                        None | Some(Value::Null) => None,
                        Some(v) => Some(
                            v.as_u64()
                                .and_then(|n| u32::try_from(n).ok())
                                .ok_or("`credentials.durationSeconds` must be a whole number")?,
                        ),
                    };
                    Ok(Setting::AssumeRole(AssumeRole {
                        role_arn,
                        external_id: text(map, "externalId")?,
                        session_name: text(map, "sessionName")?,
                        duration_seconds,
                        profile,
                    }))
                }
            }
        }
        _ => Err(format!("`credentials` must be \"{DEFAULT_CHAIN}\" or an object")),
    }
}

/// What a profile of the shared files holds, as far as credentials go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileKind {
    /// The profile is in neither file.
    Missing,
    /// The profile exists but holds no credential settings (e.g. only `region`).
    NoCredentials,
    /// `aws_access_key_id` and `aws_secret_access_key`.
    StaticKeys,
    /// IAM Identity Center: `sso_session` or `sso_start_url`.
    Sso,
    /// `credential_process`.
    Process,
    /// `role_arn` with `web_identity_token_file`.
    WebIdentity {
        /// The role.
        role_arn: String,
    },
    /// `role_arn` with `source_profile` or `credential_source`.
    AssumeRole {
        /// The role.
        role_arn: String,
        /// `profile <name>` or the `credential_source` (`Environment`, `Ec2InstanceMetadata`,
        /// `EcsContainer`).
        from: String,
    },
}

/// Classifies a profile from its properties, in the order the AWS SDK for Rust tries them
/// (role first, then SSO, then `credential_process`, then static keys).
pub fn profile_kind(get: &dyn Fn(&str) -> Option<String>) -> ProfileKind {
    let has = |key: &str| get(key).is_some_and(|v| !v.trim().is_empty());
    if let Some(role_arn) = get("role_arn").filter(|v| !v.trim().is_empty()) {
        if has("web_identity_token_file") && !has("source_profile") {
            return ProfileKind::WebIdentity { role_arn };
        }
        let from = match (get("source_profile"), get("credential_source")) {
            (Some(p), _) if !p.is_empty() => format!("profile {p}"),
            (_, Some(source)) if !source.is_empty() => source,
            _ => "an unnamed source".into(),
        };
        return ProfileKind::AssumeRole { role_arn, from };
    }
    if has("sso_session") || has("sso_start_url") {
        return ProfileKind::Sso;
    }
    if has("credential_process") {
        return ProfileKind::Process;
    }
    if has("aws_access_key_id") {
        return ProfileKind::StaticKeys;
    }
    ProfileKind::NoCredentials
}

/// The environment and files as far as the standard chain looks at them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainFacts {
    /// `AWS_ACCESS_KEY_ID` is set.
    pub env_keys: bool,
    /// The profile the chain reads (`AWS_PROFILE`, else `default`) and what it holds.
    pub profile: (String, ProfileKind),
    /// `AWS_PROFILE` is set: a missing profile is then a mistake worth naming.
    pub profile_selected: bool,
    /// `AWS_ROLE_ARN` when `AWS_WEB_IDENTITY_TOKEN_FILE` is set too.
    pub web_identity_role: Option<String>,
    /// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or `..._FULL_URI` is set.
    pub container: bool,
    /// `AWS_EC2_METADATA_DISABLED=true`.
    pub imds_disabled: bool,
}

/// A credential source, as resolved or as expected to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `AWS_ACCESS_KEY_ID` and friends, through the chain.
    Environment,
    /// A profile of the shared files.
    Profile(String, ProfileKind),
    /// `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` (EKS IRSA).
    WebIdentity {
        /// `AWS_ROLE_ARN`.
        role_arn: String,
    },
    /// The container endpoint (ECS task role, EKS Pod Identity).
    Container,
    /// EC2 instance metadata (IMDSv2).
    InstanceMetadata,
    /// Nothing in the chain applies.
    Nothing,
    /// AssumeRole with the credentials of `base`.
    AssumeRole {
        /// The role.
        role_arn: String,
        /// What signs the AssumeRole call.
        base: Box<Source>,
    },
}

/// Which member of the standard chain will answer, in the chain's order: environment,
/// profile, web identity, container endpoint, instance metadata. A profile without credential
/// settings is passed over, as the SDK does, except one that `AWS_PROFILE` names but the files
/// lack: the SDK passes over it too, but when nothing else answers, that is what to fix.
pub fn chain_source(facts: &ChainFacts) -> Source {
    let (name, kind) = &facts.profile;
    if facts.env_keys {
        Source::Environment
    } else if !matches!(kind, ProfileKind::Missing | ProfileKind::NoCredentials)
        || (facts.profile_selected && *kind == ProfileKind::Missing)
    {
        Source::Profile(name.clone(), kind.clone())
    } else if let Some(role_arn) = &facts.web_identity_role {
        Source::WebIdentity { role_arn: role_arn.clone() }
    } else if facts.container {
        Source::Container
    } else if !facts.imds_disabled {
        Source::InstanceMetadata
    } else {
        Source::Nothing
    }
}

/// The broad kind of source the SDK reports on the credentials it returned (its "credential
/// features"), to confirm or correct the expectation of [`chain_source`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    /// Environment variables.
    Environment,
    /// A profile (of any kind).
    Profile,
    /// Web identity outside a profile.
    WebIdentity,
    /// The container endpoint.
    Container,
    /// Instance metadata.
    InstanceMetadata,
}

/// The source to report: the expected one when the SDK's report agrees (or says nothing),
/// else one rebuilt from the report, so `check` never names a source that did not answer.
pub fn reconcile(expected: Source, observed: Option<Observed>, facts: &ChainFacts) -> Source {
    let agrees = |o: Observed| match (&expected, o) {
        (Source::Environment, Observed::Environment)
        | (Source::Profile(..), Observed::Profile)
        | (Source::WebIdentity { .. }, Observed::WebIdentity)
        | (Source::Container, Observed::Container)
        | (Source::InstanceMetadata, Observed::InstanceMetadata) => true,
        // The SDK reports profile web identity with the same feature as the environment one.
        (Source::Profile(_, ProfileKind::WebIdentity { .. }), Observed::WebIdentity) => true,
        _ => false,
    };
    match observed {
        None => expected,
        Some(o) if agrees(o) => expected,
        Some(Observed::Environment) => Source::Environment,
        Some(Observed::Profile) => {
            Source::Profile(facts.profile.0.clone(), facts.profile.1.clone())
        }
        Some(Observed::WebIdentity) => Source::WebIdentity {
            role_arn: facts.web_identity_role.clone().unwrap_or_else(|| "(unknown)".into()),
        },
        Some(Observed::Container) => Source::Container,
        Some(Observed::InstanceMetadata) => Source::InstanceMetadata,
    }
}

impl Source {
    /// What `check` and errors call it, e.g. `profile dev (SSO)`,
    /// `web identity, role arn:aws:iam::123456789012:role/x`, `container credentials`.
    pub fn describe(&self) -> String {
        match self {
            Source::Environment => "environment (AWS_ACCESS_KEY_ID)".into(),
            Source::Profile(name, kind) => match kind {
                ProfileKind::Sso => format!("profile {name} (SSO)"),
                ProfileKind::Process => format!("profile {name} (credential_process)"),
                ProfileKind::WebIdentity { role_arn } => {
                    format!("profile {name} (web identity, role {role_arn})")
                }
                ProfileKind::AssumeRole { role_arn, from } => {
                    format!("profile {name} (role {role_arn} via {from})")
                }
                ProfileKind::StaticKeys => format!("profile {name} (access keys)"),
                ProfileKind::Missing | ProfileKind::NoCredentials => format!("profile {name}"),
            },
            Source::WebIdentity { role_arn } => format!("web identity, role {role_arn}"),
            Source::Container => "container credentials".into(),
            Source::InstanceMetadata => "EC2 instance metadata (IMDSv2)".into(),
            Source::Nothing => "the standard AWS credential chain".into(),
            Source::AssumeRole { role_arn, base } => {
                format!("role {role_arn} (AssumeRole) on {}", base.describe())
            }
        }
    }
}

/// Where held keys stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Use them.
    Fresh,
    /// Use them, and have one refresh start in the background.
    Stale,
    /// Do not hand them out: wait for a refresh.
    Expired,
}

/// Refresh this long before expiry at most: keys handed to a call then outlive the call's
/// default 300 s deadline, retries included (each attempt is signed again with the same keys).
pub const REFRESH_BEFORE: Duration = Duration::from_secs(300);
/// Keys with less than this left are not handed out at all (a request signed with them could
/// arrive after they expired).
pub const MIN_REMAINING: Duration = Duration::from_secs(15);

/// Decides whether keys fetched at `fetched_at` and expiring at `expiry` can be used `now`.
/// Short-lived keys (a few minutes, or seconds in tests) scale the margins down: refresh in
/// the last half of their life, stop handing them out in the last eighth.
pub fn freshness(now: SystemTime, fetched_at: SystemTime, expiry: Option<SystemTime>) -> Freshness {
    let Some(expiry) = expiry else { return Freshness::Fresh };
    let lifetime = expiry.duration_since(fetched_at).unwrap_or_default();
    let Ok(left) = expiry.duration_since(now) else { return Freshness::Expired };
    if left <= MIN_REMAINING.min(lifetime / 8) {
        Freshness::Expired
    } else if left <= REFRESH_BEFORE.min(lifetime / 2) {
        Freshness::Stale
    } else {
        Freshness::Fresh
    }
}

/// How a credential source failed, as the SDK reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// The source holds no credentials (nothing configured, a missing profile).
    NotFound,
    /// The source did not answer in time.
    TimedOut,
    /// The configuration is wrong (e.g. a profile that names a missing source profile).
    Configuration,
    /// The source answered with an error (STS refused, the process failed, ...).
    Refused,
}

/// What the operator is told: the kind, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advice {
    /// `authentication`, or `expired-credentials` when keys ran out (or an SSO session did).
    pub kind: ErrorKind,
    /// The next step, naming the command or setting.
    pub solution: String,
}

/// The advice for a failure of `source`. `had_keys`: the source answered before (so keys
/// expired and could not be renewed); `detail` is the SDK's message, consulted only for the
/// words that tell an expired SSO session apart.
pub fn advice(source: &Source, class: FailureClass, had_keys: bool, detail: &str) -> Advice {
    let expired_session = detail.to_ascii_lowercase().contains("expired");
    let kind = if had_keys || expired_session {
        ErrorKind::ExpiredCredentials
    } else {
        ErrorKind::Authentication
    };
    let solution = match (source, class) {
        (_, FailureClass::TimedOut) => format!(
            "{} did not answer in time: check that its endpoint is reachable from this host \
             (a proxy, a firewall, or the instance metadata hop limit in containers).",
            source.describe()
        ),
        (Source::Profile(name, ProfileKind::Sso), _) => format!(
            "Run `aws sso login --profile {name}` to start a new IAM Identity Center session, \
             then try again."
        ),
        (Source::Profile(name, ProfileKind::Process), _) => format!(
            "Run the `credential_process` command of profile {name} by hand (or `aws configure \
             export-credentials --profile {name}`) and fix what it reports."
        ),
        (Source::Profile(name, ProfileKind::AssumeRole { role_arn, from }), _) => format!(
            "Check that {from} has working credentials and may call sts:AssumeRole on \
             {role_arn} (the role's trust policy), e.g. with `aws sts get-caller-identity \
             --profile {name}`."
        ),
        (Source::Profile(name, ProfileKind::WebIdentity { role_arn }), _) => format!(
            "Check the `web_identity_token_file` of profile {name} (readable, not expired) and \
             that the trust policy of {role_arn} accepts its issuer."
        ),
        (Source::Profile(name, ProfileKind::Missing | ProfileKind::NoCredentials), _) => format!(
            "Profile {name} holds no credentials in ~/.aws/config or ~/.aws/credentials (or \
             AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE): run `aws configure --profile {name}` \
             or `aws configure sso --profile {name}`, or name another profile."
        ),
        (Source::Profile(name, ProfileKind::StaticKeys), _) => format!(
            "Check aws_access_key_id and aws_secret_access_key of profile {name} (`aws configure \
             --profile {name}`); keys that were deactivated or deleted must be replaced."
        ),
        (Source::Environment, _) => "Check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and \
             AWS_SESSION_TOKEN in the gateway's environment; temporary keys must be renewed \
             together."
            .into(),
        (Source::WebIdentity { role_arn }, _) => format!(
            "Check that AWS_WEB_IDENTITY_TOKEN_FILE is readable and current (EKS mounts and \
             renews it for the service account) and that the trust policy of {role_arn} accepts \
             the cluster's OIDC provider (the service account's eks.amazonaws.com/role-arn \
             annotation)."
        ),
        (Source::Container, _) => "Check the ECS task role, or the EKS Pod Identity \
             association of the service account, and that the endpoint in \
             AWS_CONTAINER_CREDENTIALS_FULL_URI / _RELATIVE_URI answers."
            .into(),
        (Source::InstanceMetadata, _) => "Attach an IAM instance profile to the EC2 instance and \
             make sure instance metadata (IMDSv2) is reachable (in containers, a hop limit of 2); \
             off EC2, configure another source (`aws configure`, `aws sso login`, AWS_PROFILE, \
             or keys in the settings)."
            .into(),
        (Source::Nothing, _) => "Configure AWS credentials: `aws configure` (access keys) or \
             `aws configure sso` then `aws sso login`, and AWS_PROFILE to pick a profile; or put \
             `accessKeyId`/`secretAccessKey` or `apiKey` in the settings."
            .into(),
        (Source::AssumeRole { role_arn, base }, _) => format!(
            "Check that {} has working credentials and may call sts:AssumeRole on {role_arn}, \
             and that `credentials.externalId` matches the role's trust policy.",
            base.describe()
        ),
    };
    Advice { kind, solution }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    const ROLE: &str = "arn:aws:iam::123456789012:role/bedrock";

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn the_plan_follows_the_settings_and_never_mixes() {
        let rows: Vec<(Value, Result<Plan, &str>)> = vec![
            (json!({"accessKeyId": "AKIA", "secretAccessKey": "s"}), Ok(Plan::Static)),
            (json!({"apiKey": "k"}), Ok(Plan::Static)),
            // No credentials at all is the component's error to report.
            (json!({"region": "us-east-1"}), Ok(Plan::Static)),
            (json!({"credentials": null, "apiKey": "k"}), Ok(Plan::Static)),
            (json!({"credentials": "", "apiKey": "k"}), Ok(Plan::Static)),
            (json!({"credentials": "default-chain"}), Ok(Plan::Resolve(Setting::DefaultChain))),
            (
                json!({"credentials": {"profile": "dev"}, "apiKey": ""}),
                Ok(Plan::Resolve(Setting::Profile("dev".into()))),
            ),
            (
                json!({"credentials": {"roleArn": ROLE, "externalId": "x1", "sessionName": "s",
                       "durationSeconds": 900, "profile": "base"}}),
                Ok(Plan::Resolve(Setting::AssumeRole(AssumeRole {
                    role_arn: ROLE.into(),
                    external_id: Some("x1".into()),
                    session_name: Some("s".into()),
                    duration_seconds: Some(900),
                    profile: Some("base".into()),
                }))),
            ),
            (json!({"credentials": "default-chain", "accessKeyId": "AKIA"}), Err("`accessKeyId`")),
            (json!({"credentials": {"profile": "p"}, "apiKey": "k"}), Err("never mixed")),
            (json!({"credentials": {"profile": "p"}, "sessionToken": "t"}), Err("`sessionToken`")),
            (json!({"credentials": "chain"}), Err("must be \"default-chain\"")),
            (json!({"credentials": 1}), Err("must be \"default-chain\"")),
            (json!({"credentials": {}}), Err("neither `profile` nor `roleArn`")),
            (json!({"credentials": {"profile": 1}}), Err("must be a string")),
            (json!({"credentials": {"role": ROLE}}), Err("`credentials.role`")),
            (
                json!({"credentials": {"roleArn": ROLE, "durationSeconds": "900"}}),
                Err("whole number"),
            ),
        ];
        for (settings, want) in rows {
            let got = plan(&map(settings.clone()));
            match (got, want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{settings}"),
                (Err(got), Err(needle)) => assert!(got.contains(needle), "{settings}: {got}"),
                (got, want) => panic!("{settings}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn profiles_are_classified_like_the_sdk_reads_them() {
        let rows: Vec<(&[(&str, &str)], ProfileKind)> = vec![
            (&[("region", "us-east-1")], ProfileKind::NoCredentials),
            (
                &[("aws_access_key_id", "AKIA"), ("aws_secret_access_key", "s")],
                ProfileKind::StaticKeys,
            ),
            (&[("sso_session", "corp"), ("sso_account_id", "1")], ProfileKind::Sso),
            (&[("sso_start_url", "https://x.awsapps.com/start")], ProfileKind::Sso),
            (&[("credential_process", "/bin/creds")], ProfileKind::Process),
            (
                &[("role_arn", ROLE), ("source_profile", "base")],
                ProfileKind::AssumeRole { role_arn: ROLE.into(), from: "profile base".into() },
            ),
            (
                &[("role_arn", ROLE), ("credential_source", "Ec2InstanceMetadata")],
                ProfileKind::AssumeRole {
                    role_arn: ROLE.into(),
                    from: "Ec2InstanceMetadata".into(),
                },
            ),
            (
                &[("role_arn", ROLE), ("web_identity_token_file", "/t")],
                ProfileKind::WebIdentity { role_arn: ROLE.into() },
            ),
            // A role beats the static keys beside it, as in the SDK.
            (
                &[("role_arn", ROLE), ("source_profile", "b"), ("aws_access_key_id", "AKIA")],
                ProfileKind::AssumeRole { role_arn: ROLE.into(), from: "profile b".into() },
            ),
            (&[("credential_process", " ")], ProfileKind::NoCredentials),
        ];
        for (props, want) in rows {
            let get = |key: &str| props.iter().find(|(k, _)| *k == key).map(|(_, v)| v.to_string());
            assert_eq!(profile_kind(&get), want, "{props:?}");
        }
    }

    fn facts() -> ChainFacts {
        ChainFacts {
            env_keys: false,
            profile: ("default".into(), ProfileKind::Missing),
            profile_selected: false,
            web_identity_role: None,
            container: false,
            imds_disabled: false,
        }
    }

    #[test]
    fn the_chain_answers_in_the_sdks_order() {
        let sso = ("dev".to_string(), ProfileKind::Sso);
        let rows = [
            (ChainFacts { env_keys: true, profile: sso.clone(), ..facts() }, Source::Environment),
            (
                ChainFacts { profile: sso.clone(), container: true, ..facts() },
                Source::Profile("dev".into(), ProfileKind::Sso),
            ),
            // A profile with only a region is passed over.
            (
                ChainFacts {
                    profile: ("default".into(), ProfileKind::NoCredentials),
                    web_identity_role: Some(ROLE.into()),
                    ..facts()
                },
                Source::WebIdentity { role_arn: ROLE.into() },
            ),
            (
                ChainFacts { web_identity_role: Some(ROLE.into()), container: true, ..facts() },
                Source::WebIdentity { role_arn: ROLE.into() },
            ),
            (ChainFacts { container: true, ..facts() }, Source::Container),
            // AWS_PROFILE names a profile the files lack.
            (
                ChainFacts {
                    profile: ("ghost".into(), ProfileKind::Missing),
                    profile_selected: true,
                    container: true,
                    ..facts()
                },
                Source::Profile("ghost".into(), ProfileKind::Missing),
            ),
            (facts(), Source::InstanceMetadata),
            (ChainFacts { imds_disabled: true, ..facts() }, Source::Nothing),
        ];
        for (facts, want) in rows {
            assert_eq!(chain_source(&facts), want, "{facts:?}");
        }
    }

    #[test]
    fn the_sdks_report_wins_over_the_expectation() {
        let f = ChainFacts { profile: ("dev".into(), ProfileKind::Sso), ..facts() };
        let profile = Source::Profile("dev".into(), ProfileKind::Sso);
        assert_eq!(reconcile(profile.clone(), Some(Observed::Profile), &f), profile);
        assert_eq!(reconcile(profile.clone(), None, &f), profile);
        assert_eq!(reconcile(profile, Some(Observed::Container), &f), Source::Container);
        assert_eq!(
            reconcile(Source::InstanceMetadata, Some(Observed::Profile), &f),
            Source::Profile("dev".into(), ProfileKind::Sso)
        );
        let web = Source::Profile("w".into(), ProfileKind::WebIdentity { role_arn: ROLE.into() });
        assert_eq!(reconcile(web.clone(), Some(Observed::WebIdentity), &f), web);
    }

    #[test]
    fn descriptions() {
        let rows = [
            (Source::Profile("dev".into(), ProfileKind::Sso), "profile dev (SSO)"),
            (Source::Profile("ci".into(), ProfileKind::Process), "profile ci (credential_process)"),
            (Source::Profile("k".into(), ProfileKind::StaticKeys), "profile k (access keys)"),
            (
                Source::Profile(
                    "dev".into(),
                    ProfileKind::AssumeRole { role_arn: ROLE.into(), from: "profile base".into() },
                ),
                "profile dev (role arn:aws:iam::123456789012:role/bedrock via profile base)",
            ),
            (
                Source::WebIdentity { role_arn: ROLE.into() },
                "web identity, role arn:aws:iam::123456789012:role/bedrock",
            ),
            (Source::Container, "container credentials"),
            (Source::InstanceMetadata, "EC2 instance metadata (IMDSv2)"),
            (
                Source::AssumeRole {
                    role_arn: ROLE.into(),
                    base: Box::new(Source::Profile("dev".into(), ProfileKind::Sso)),
                },
                "role arn:aws:iam::123456789012:role/bedrock (AssumeRole) on profile dev (SSO)",
            ),
        ];
        for (source, want) in rows {
            assert_eq!(source.describe(), want);
        }
    }

    #[test]
    fn freshness_scales_with_the_lifetime() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let s = Duration::from_secs;
        let ms = Duration::from_millis;
        let rows = [
            // No expiry: static keys of a profile or the environment.
            (t0, None, s(10_000), Freshness::Fresh),
            // One hour: refreshed in the last 5 minutes, withheld in the last 15 s.
            (t0, Some(t0 + s(3600)), s(0), Freshness::Fresh),
            (t0, Some(t0 + s(3600)), s(3299), Freshness::Fresh),
            (t0, Some(t0 + s(3600)), s(3300), Freshness::Stale),
            (t0, Some(t0 + s(3600)), s(3584), Freshness::Stale),
            (t0, Some(t0 + s(3600)), s(3585), Freshness::Expired),
            (t0, Some(t0 + s(3600)), s(4000), Freshness::Expired),
            // Four seconds (the tests' fake sources): stale after 2 s, withheld in the last 0.5 s.
            (t0, Some(t0 + s(4)), ms(1999), Freshness::Fresh),
            (t0, Some(t0 + s(4)), ms(2000), Freshness::Stale),
            (t0, Some(t0 + s(4)), ms(3499), Freshness::Stale),
            (t0, Some(t0 + s(4)), ms(3500), Freshness::Expired),
            // Already expired when fetched (a clock far off, or a broken source).
            (t0, Some(t0 - s(1)), s(0), Freshness::Expired),
        ];
        for (fetched, expiry, after, want) in rows {
            assert_eq!(freshness(t0 + after, fetched, expiry), want, "{expiry:?} after {after:?}");
        }
    }

    #[test]
    fn advice_names_the_source_and_the_next_step() {
        let sso = Source::Profile("dev".into(), ProfileKind::Sso);
        let rows = [
            (
                &sso,
                FailureClass::Refused,
                false,
                "the SSO token has expired",
                ErrorKind::ExpiredCredentials,
                "aws sso login --profile dev",
            ),
            (
                &sso,
                FailureClass::NotFound,
                false,
                "no token",
                ErrorKind::Authentication,
                "aws sso login --profile dev",
            ),
            (
                &Source::Nothing,
                FailureClass::NotFound,
                false,
                "",
                ErrorKind::Authentication,
                "aws configure",
            ),
            (
                &Source::Container,
                FailureClass::Refused,
                true,
                "",
                ErrorKind::ExpiredCredentials,
                "Pod Identity",
            ),
            (
                &Source::WebIdentity { role_arn: ROLE.into() },
                FailureClass::Refused,
                false,
                "AccessDenied",
                ErrorKind::Authentication,
                "AWS_WEB_IDENTITY_TOKEN_FILE",
            ),
            (
                &Source::InstanceMetadata,
                FailureClass::TimedOut,
                false,
                "",
                ErrorKind::Authentication,
                "did not answer in time",
            ),
            (
                &Source::Profile("x".into(), ProfileKind::Missing),
                FailureClass::NotFound,
                false,
                "",
                ErrorKind::Authentication,
                "aws configure --profile x",
            ),
        ];
        for (source, class, had, detail, kind, needle) in rows {
            let a = advice(source, class, had, detail);
            assert_eq!(a.kind, kind, "{source:?}");
            assert!(a.solution.contains(needle), "{source:?}: {}", a.solution);
        }
    }
}

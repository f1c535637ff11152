//! AWS credentials for the component: the host resolves them, the component signs.
//!
//! The component never reads files or the environment and never calls STS. When the settings
//! name a source in `credentials` (`"default-chain"`, `{"profile": ...}`, `{"roleArn": ...}`;
//! `settings::load` puts `"default-chain"` there when no credential is configured anywhere),
//! [`prepare`] resolves it through the AWS SDK for Rust and keeps the temporary keys in a
//! [`cache`] that refreshes them before they expire; [`Prepared::call_json`] then hands the
//! component, for each call, the settings with `credentials` replaced by `accessKeyId`,
//! `secretAccessKey` and `sessionToken`, exactly as if they had been stored there. Static keys
//! in the settings (or from `AWS_ACCESS_KEY_ID`, ...) pass through untouched, as before.
//!
//! The component validates `credentials` like any setting (shape, never mixed with static
//! keys); [`plan`] holds the host's pure decisions and [`sdk`] all of the I/O.

pub mod cache;
pub mod plan;
mod sdk;

use std::borrow::Cow;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde_json::Value;

pub use cache::Keys;
use cache::{Cache, Failure};
use plan::{FailureClass, Plan, Setting, Source};

use crate::Host;
use crate::types::{ErrorKind, ProviderError};

/// How long one fetch from a credential source (STS, SSO, the container endpoint, instance
/// metadata, a `credential_process`) may take before it counts as failed.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// Settings ready for calls: as loaded (shown by `check`, read for the default models), plus
/// the credential source that supplies each call's keys when they name one.
#[derive(Clone)]
pub struct Prepared {
    value: Value,
    json: String,
    resolver: Option<Arc<Resolver>>,
}

impl std::fmt::Debug for Prepared {
    // The settings may hold static secrets: show only what resolves the keys.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("source", &self.resolver.as_ref().map(|r| r.describe()))
            .finish_non_exhaustive()
    }
}

/// Settings with static credentials (or none): every call gets them as they are.
impl From<Value> for Prepared {
    fn from(value: Value) -> Self {
        let json = value.to_string();
        Prepared { value, json, resolver: None }
    }
}

impl Prepared {
    /// The settings as loaded, `credentials` included (never the resolved keys).
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// [`Prepared::value`] as JSON: what the component validates.
    pub fn raw_json(&self) -> &str {
        &self.json
    }

    /// The settings JSON for a call starting now: with the current keys in place of
    /// `credentials` (refreshed first when they are about to expire), or as loaded when the
    /// keys are static.
    pub async fn call_json(&self) -> Result<Cow<'_, str>, ProviderError> {
        match &self.resolver {
            None => Ok(Cow::Borrowed(&self.json)),
            Some(resolver) => {
                let keys = resolver.keys().await?;
                Ok(Cow::Owned(with_keys(&self.value, &keys)))
            }
        }
    }

    /// Where the keys come from, the access key ID masked, and when they expire; `None` for
    /// static keys (the component's `check` report describes those).
    pub async fn report(&self) -> Option<Result<Report, ProviderError>> {
        let resolver = self.resolver.as_ref()?;
        Some(resolver.keys().await.map(|keys| Report {
            source: resolver.describe(),
            access_key_id: mask_key_id(&keys.access_key_id),
            expiry: keys.expiry,
        }))
    }
}

/// What `check` shows about resolved credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// E.g. `profile dev (SSO)`, `web identity, role arn:...`, `container credentials`.
    pub source: String,
    /// The access key ID, masked like everywhere else (`ASIA...WXYZ`).
    pub access_key_id: String,
    /// When the keys expire (`None`: long-term keys).
    pub expiry: Option<SystemTime>,
}

/// A credential source with its cache of keys.
pub struct Resolver {
    source: Mutex<Source>,
    expected_chain: Option<plan::ChainFacts>,
    cache: Arc<Cache>,
}

impl Resolver {
    /// The source, described for people: `profile dev (SSO)` and the like.
    pub fn describe(&self) -> String {
        self.source().describe()
    }

    fn source(&self) -> Source {
        match self.source.lock() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The current keys, refreshed when needed; a failure says which source failed and what to
    /// do about it.
    pub async fn keys(&self) -> Result<Arc<Keys>, ProviderError> {
        match self.cache.get().await {
            Ok(keys) => {
                self.confirm_source();
                Ok(keys)
            }
            Err(failure) => Err(credential_error(&self.source(), &failure)),
        }
    }

    /// The standard chain may answer from another member than the files and environment
    /// suggested: once the SDK says which one answered, report that one.
    fn confirm_source(&self) {
        let Some(facts) = &self.expected_chain else { return };
        let observed = self.cache.observed();
        let mut source = match self.source.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        *source = plan::reconcile(source.clone(), observed, facts);
    }
}

/// Resolves the credential source the settings name, if any, ready for calls.
///
/// For a source: the region comes from the source's profile (or from instance metadata when
/// the chain will use it) when neither the settings nor `AWS_REGION` name one; the component
/// then validates the settings (so a malformed `credentials` gets its field-named error); and
/// the keys are fetched once, so a source that cannot supply them fails here, with what to do,
/// rather than at the first call. Static settings are returned as they are: the component
/// validates them at each call, as it always did.
pub async fn prepare(host: &Host, mut value: Value) -> Result<Prepared, ProviderError> {
    let setting = match value.as_object().map(plan::plan) {
        None | Some(Ok(Plan::Static)) => return Ok(Prepared::from(value)),
        Some(Ok(Plan::Resolve(setting))) => setting,
        Some(Err(why)) => {
            // The component words every settings error; this is only a fallback.
            host.validate_settings(&value.to_string()).await?;
            return Err(ProviderError::new(ErrorKind::InvalidSettings, format!("{why}."))
                .with_field("credentials")
                .with_solution(
                    "Set `credentials` to \"default-chain\", {\"profile\": \"dev\"} or \
                     {\"roleArn\": \"arn:aws:iam::123456789012:role/name\"}, without static keys.",
                ));
        }
    };
    let (source, chain) = expected_source(&setting).await;
    let missing_region = value.get("region").and_then(Value::as_str).is_none_or(str::is_empty);
    if missing_region {
        let ask_imds = matches!(base(&source), Source::InstanceMetadata);
        let found = tokio::time::timeout(FETCH_TIMEOUT, sdk::region(setting.profile(), ask_imds));
        if let (Ok(Some(region)), Some(map)) = (found.await, value.as_object_mut()) {
            map.insert("region".into(), Value::String(region));
        }
    }
    let prepared_json = value.to_string();
    host.validate_settings(&prepared_json).await?;
    // Validated: the component requires a region.
    let region = value.get("region").and_then(Value::as_str).unwrap_or("us-east-1").to_string();
    let provider = sdk::provider(&setting, &region).await;
    let cache = Cache::new(sdk::fetcher(provider), Arc::new(SystemTime::now), FETCH_TIMEOUT);
    let resolver = Resolver { source: Mutex::new(source), expected_chain: chain, cache };
    let keys = resolver.keys().await?;
    tracing::debug!(
        source = %resolver.describe(),
        access_key_id = %mask_key_id(&keys.access_key_id),
        expires = %keys.expiry.map(iso8601).unwrap_or_else(|| "never".into()),
        "resolved AWS credentials"
    );
    Ok(Prepared { value, json: prepared_json, resolver: Some(Arc::new(resolver)) })
}

/// The source the setting will answer from, from the files and environment (no network), and
/// the chain's facts when the standard chain decides.
async fn expected_source(setting: &Setting) -> (Source, Option<plan::ChainFacts>) {
    match setting {
        Setting::DefaultChain => {
            let facts = sdk::chain_facts().await;
            (plan::chain_source(&facts), Some(facts))
        }
        Setting::Profile(name) => {
            let (name, kind) = sdk::profile_facts(Some(name)).await;
            (Source::Profile(name, kind), None)
        }
        Setting::AssumeRole(role) => {
            let base = match &role.profile {
                Some(name) => {
                    let (name, kind) = sdk::profile_facts(Some(name)).await;
                    Source::Profile(name, kind)
                }
                None => plan::chain_source(&sdk::chain_facts().await),
            };
            (Source::AssumeRole { role_arn: role.role_arn.clone(), base: Box::new(base) }, None)
        }
    }
}

/// The source that supplies the keys in the end (under any AssumeRole).
fn base(source: &Source) -> &Source {
    match source {
        Source::AssumeRole { base, .. } => self::base(base),
        other => other,
    }
}

/// The `authentication` / `expired-credentials` error for a failed source.
fn credential_error(source: &Source, failure: &Failure) -> ProviderError {
    let advice = plan::advice(source, failure.class, failure.had_keys, &failure.detail);
    let what = source.describe();
    let message = match (failure.had_keys, failure.class) {
        (true, _) => format!("The AWS credentials from {what} expired and could not be renewed."),
        (false, FailureClass::TimedOut) => {
            format!("Getting AWS credentials from {what} timed out.")
        }
        (false, _) => format!("No AWS credentials from {what}."),
    };
    ProviderError::new(advice.kind, message)
        .with_cause(failure.detail.clone())
        .with_solution(advice.solution)
        .with_field("credentials")
}

/// `settings` with `credentials` replaced by `keys`: what the component signs with.
pub fn with_keys(settings: &Value, keys: &Keys) -> String {
    let mut map = settings.as_object().cloned().unwrap_or_default();
    map.remove("credentials");
    map.insert("accessKeyId".into(), Value::String(keys.access_key_id.clone()));
    map.insert("secretAccessKey".into(), Value::String(keys.secret_access_key.clone()));
    match &keys.session_token {
        Some(token) => map.insert("sessionToken".into(), Value::String(token.clone())),
        None => map.remove("sessionToken"),
    };
    Value::Object(map).to_string()
}

/// An access key ID as `check` shows it: the first and last four characters.
pub fn mask_key_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() < 12 {
        return "****".into();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}...{tail}")
}

/// `2025-07-14T20:14:19Z` ([`crate::output::utc_seconds`]).
pub fn iso8601(time: SystemTime) -> String {
    crate::output::utc_seconds(
        time.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs()),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_replace_the_source_and_nothing_else() {
        let settings = json!({"region": "us-east-1", "credentials": {"profile": "dev"},
                              "baseUrl": "http://127.0.0.1:1"});
        let keys = Keys {
            access_key_id: "ASIATEMPTEMPTEMP0001".into(),
            secret_access_key: "secret".into(),
            session_token: Some("token".into()),
            expiry: None,
        };
        let got: Value = serde_json::from_str(&with_keys(&settings, &keys)).unwrap();
        assert_eq!(
            got,
            json!({"region": "us-east-1", "baseUrl": "http://127.0.0.1:1",
                   "accessKeyId": "ASIATEMPTEMPTEMP0001", "secretAccessKey": "secret",
                   "sessionToken": "token"})
        );
        let long_term = Keys { session_token: None, ..keys };
        let got: Value = serde_json::from_str(&with_keys(&settings, &long_term)).unwrap();
        assert!(got.get("sessionToken").is_none(), "{got}");
    }

    #[test]
    fn formats() {
        assert_eq!(mask_key_id("ASIAEXAMPLEEXAMPLE12"), "ASIA...LE12");
        assert_eq!(mask_key_id("ASIASHORT"), "****");
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_752_524_059);
        assert_eq!(iso8601(t), "2025-07-14T20:14:19Z");
        assert_eq!(iso8601(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let leap = SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(iso8601(leap), "2000-02-29T00:00:00Z");
    }
}

//! The I/O of credential resolution, all through the AWS SDK for Rust (`aws-config`): the
//! standard chain, profiles (with `source_profile`/`role_arn` chains, `credential_process` and
//! IAM Identity Center), web identity, the container endpoint, instance metadata and STS
//! AssumeRole. Nothing here decides anything that [`super::plan`] can decide without I/O.
//!
//! The SDK reads the process environment and the shared files itself (`AWS_PROFILE`,
//! `AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`, `AWS_ENDPOINT_URL_STS`,
//! `AWS_CONTAINER_CREDENTIALS_FULL_URI`, `AWS_EC2_METADATA_SERVICE_ENDPOINT`, ...), exactly as
//! the AWS CLI does. Its HTTP goes through a rustls + ring client (the crypto the rest of the
//! host already links) with bounded connect/read/operation timeouts.

use std::borrow::Cow;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_config::imds;
use aws_config::meta::region::ProvideRegion;
use aws_config::profile::{ProfileFileCredentialsProvider, ProfileFileRegionProvider};
use aws_config::provider_config::ProviderConfig;
use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_config::{Region, SdkConfig};
use aws_credential_types::credential_feature::AwsCredentialFeature;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_smithy_async::rt::sleep::TokioSleep;
use aws_smithy_http_client::tls;
use aws_types::os_shim_internal::{Env, Fs};

use super::cache::{Failure, FetchFn, Fetched, Keys};
use super::plan::{self, ChainFacts, FailureClass, Observed, ProfileKind, Setting};

/// Connecting to STS, SSO or a credential endpoint.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Waiting for a response to start (and between its parts).
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// One SDK operation, retries included.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(20);
/// Instance metadata answers in milliseconds on EC2; off EC2 nothing answers at all, so waiting
/// long only delays the error.
const IMDS_TIMEOUT: Duration = Duration::from_secs(1);
/// The session name AssumeRole uses when `credentials.sessionName` is not set (shows in
/// CloudTrail).
pub const DEFAULT_SESSION_NAME: &str = "bedrock-gateway";

/// The SDK's configuration for credential providers: our HTTP client, tokio's sleep, timeouts.
fn provider_config(region: Option<&str>) -> ProviderConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring))
        .build_https();
    ProviderConfig::without_region()
        .with_http_client(http)
        .with_sleep_impl(TokioSleep::new())
        .with_timeout_config(timeouts())
        .with_retry_config(RetryConfig::standard().with_max_attempts(2))
        .with_behavior_version(Some(BehaviorVersion::latest()))
        .with_region(region.map(|r| Region::new(r.to_string())))
}

fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

fn imds_client(conf: &ProviderConfig) -> imds::Client {
    imds::Client::builder()
        .configure(conf)
        .max_attempts(2)
        .connect_timeout(IMDS_TIMEOUT)
        .read_timeout(IMDS_TIMEOUT)
        .build()
}

/// The region of `profile` (or of the chain's profile: `AWS_PROFILE`, else `default`), and
/// from instance metadata when `ask_imds` (the chain will use it for the keys too, so this is
/// an EC2 instance). `AWS_REGION` / `AWS_DEFAULT_REGION` were consulted before this.
pub async fn region(profile: Option<&str>, ask_imds: bool) -> Option<String> {
    let conf = provider_config(None);
    let mut builder = ProfileFileRegionProvider::builder().configure(&conf);
    if let Some(profile) = profile {
        builder = builder.profile_name(profile);
    }
    if let Some(region) = builder.build().region().await {
        return Some(region.to_string());
    }
    if !ask_imds {
        return None;
    }
    let provider = imds::region::ImdsRegionProvider::builder()
        .configure(&conf)
        .imds_client(imds_client(&conf))
        .build();
    provider.region().await.map(|r| r.to_string())
}

/// What the shared files say about `profile` (or the chain's profile), read the way the SDK
/// reads them.
pub async fn profile_facts(profile: Option<&str>) -> (String, ProfileKind) {
    let (fs, env) = (Fs::real(), Env::real());
    let selected = profile.map(|p| Cow::Owned(p.to_string()));
    match aws_config::profile::load(&fs, &env, &EnvConfigFiles::default(), selected).await {
        Ok(set) => {
            let name = set.selected_profile().to_string();
            let kind = match set.get_profile(&name) {
                None => ProfileKind::Missing,
                Some(p) => plan::profile_kind(&|key| p.get(key).map(str::to_string)),
            };
            (name, kind)
        }
        // An unreadable or malformed file: the SDK reports the details when it is used.
        Err(_) => (profile.unwrap_or("default").to_string(), ProfileKind::Missing),
    }
}

/// The environment and shared files as the standard chain sees them.
pub async fn chain_facts() -> ChainFacts {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    ChainFacts {
        env_keys: var("AWS_ACCESS_KEY_ID").is_some(),
        profile: profile_facts(None).await,
        profile_selected: var("AWS_PROFILE").is_some(),
        web_identity_role: var("AWS_WEB_IDENTITY_TOKEN_FILE").and(var("AWS_ROLE_ARN")),
        container: var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
            || var("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some(),
        imds_disabled: var("AWS_EC2_METADATA_DISABLED")
            .is_some_and(|v| v.eq_ignore_ascii_case("true")),
    }
}

/// The SDK provider for `setting`, signing STS calls in `region`.
pub async fn provider(setting: &Setting, region: &str) -> SharedCredentialsProvider {
    let conf = provider_config(Some(region));
    let chain = || async {
        SharedCredentialsProvider::new(
            DefaultCredentialsChain::builder()
                .configure(conf.clone())
                .region(Region::new(region.to_string()))
                .imds_client(imds_client(&conf))
                .build()
                .await,
        )
    };
    let profile = |name: &str| {
        SharedCredentialsProvider::new(
            ProfileFileCredentialsProvider::builder().configure(&conf).profile_name(name).build(),
        )
    };
    match setting {
        Setting::DefaultChain => chain().await,
        Setting::Profile(name) => profile(name),
        Setting::AssumeRole(role) => {
            let base = match &role.profile {
                Some(name) => profile(name),
                None => chain().await,
            };
            // An SdkConfig loaded from the environment like any SDK client's, so that
            // AWS_ENDPOINT_URL_STS and the profile's STS settings apply to AssumeRole too.
            let sdk: SdkConfig = aws_config::defaults(BehaviorVersion::latest())
                .http_client(
                    aws_smithy_http_client::Builder::new()
                        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring))
                        .build_https(),
                )
                .sleep_impl(TokioSleep::new())
                .timeout_config(timeouts())
                .retry_config(RetryConfig::standard().with_max_attempts(2))
                .region(Region::new(region.to_string()))
                .credentials_provider(base.clone())
                .load()
                .await;
            let mut builder = AssumeRoleProvider::builder(&role.role_arn)
                .configure(&sdk)
                .session_name(role.session_name.as_deref().unwrap_or(DEFAULT_SESSION_NAME));
            if let Some(id) = &role.external_id {
                builder = builder.external_id(id);
            }
            if let Some(seconds) = role.duration_seconds {
                builder = builder.session_length(Duration::from_secs(u64::from(seconds)));
            }
            SharedCredentialsProvider::new(builder.build_from_provider(base).await)
        }
    }
}

/// A fetch function over `provider` for the cache.
pub fn fetcher(provider: SharedCredentialsProvider) -> FetchFn {
    std::sync::Arc::new(move || {
        let provider = provider.clone();
        Box::pin(async move { fetch(&provider).await })
    })
}

async fn fetch(provider: &SharedCredentialsProvider) -> Result<Fetched, Failure> {
    let credentials = provider.provide_credentials().await.map_err(failure)?;
    let features = credentials.get_property::<Vec<AwsCredentialFeature>>();
    let observed = features.and_then(|features| {
        // The outermost provider pushes last; the first match from the end is what answered.
        features.iter().rev().find_map(|f| match f {
            AwsCredentialFeature::CredentialsProfile => Some(Observed::Profile),
            AwsCredentialFeature::CredentialsEnvVars => Some(Observed::Environment),
            AwsCredentialFeature::CredentialsProfileStsWebIdToken
            | AwsCredentialFeature::CredentialsEnvVarsStsWebIdToken
            | AwsCredentialFeature::CredentialsStsAssumeRoleWebId => Some(Observed::WebIdentity),
            AwsCredentialFeature::CredentialsHttp => Some(Observed::Container),
            AwsCredentialFeature::CredentialsImds => Some(Observed::InstanceMetadata),
            _ => None,
        })
    });
    Ok(Fetched {
        keys: Keys {
            access_key_id: credentials.access_key_id().to_string(),
            secret_access_key: credentials.secret_access_key().to_string(),
            session_token: credentials.session_token().map(str::to_string),
            expiry: credentials.expiry(),
        },
        observed,
    })
}

/// The SDK's error as a [`Failure`]; the message with its causes, cut to a readable length.
fn failure(e: CredentialsError) -> Failure {
    let class = match &e {
        CredentialsError::CredentialsNotLoaded(_) => FailureClass::NotFound,
        CredentialsError::ProviderTimedOut(_) => FailureClass::TimedOut,
        CredentialsError::InvalidConfiguration(_) => FailureClass::Configuration,
        _ => FailureClass::Refused,
    };
    let mut detail = aws_smithy_types::error::display::DisplayErrorContext(&e).to_string();
    if detail.chars().count() > 600 {
        detail = detail.chars().take(600).collect::<String>() + "…";
    }
    Failure { class, detail, had_keys: false }
}

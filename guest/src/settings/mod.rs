//! The provider settings: the JSON a gateway's settings page stores, parsed and validated before
//! any network I/O.
//!
//! Parsing walks a `serde_json::Value` by hand instead of deriving `Deserialize`: every failure
//! must name the exact key (`headers.X-Foo`, `timeouts.connectMs`) and say what to do, and a
//! typo'd key should come with the key that was probably meant.
//!
//! This module holds [`Settings`] and the order fields are read in; each setting (or group)
//! has its own file: `region`, `secret` (credentials), `url` (base URLs), `headers`, `models`,
//! `timeouts`, and `schema` (the JSON Schema a settings page renders).

mod credentials;
mod headers;
mod json;
mod models;
mod region;
mod schema;
mod secret;
#[cfg(test)]
mod test_support;
mod timeouts;
mod url;

use std::fmt;

use json_fields::Fields;
use serde_json::Value;

use crate::error::{ErrorKind, ProviderError, Result};
use crate::model_id::ModelId;
use crate::region::{AGENT_RUNTIME_SERVICE, CONTROL_PLANE_SERVICE, Partition, RUNTIME_SERVICE};
use crate::transport::Timeouts;

pub use credentials::{AssumeRole, CREDENTIALS_KEYS, CredentialSource, DEFAULT_CHAIN};
pub use headers::{FORBIDDEN_HEADERS, RESERVED_HEADERS};
pub use models::{InferenceProfileMode, RerankApi};
pub use schema::SCHEMA;
pub use secret::{Auth, MASKED_KEYS, SECRET_KEYS, Secret, SigV4Credentials};
pub use timeouts::{DEFAULT_TOTAL_TIMEOUT_MS, MAX_TIMEOUT_MS, TIMEOUT_KEYS};
pub use url::{BaseUrl, Endpoint, URL_KEYS};

/// Every top-level settings key, as stored by the settings page.
pub const KEYS: [&str; 17] = [
    "region",
    "accessKeyId",
    "secretAccessKey",
    "sessionToken",
    "apiKey",
    "credentials",
    "baseUrl",
    "agentRuntimeBaseUrl",
    "controlPlaneBaseUrl",
    "headers",
    "languageModel",
    "rerankingModel",
    "embeddingModel",
    "rerankApi",
    "maxAttempts",
    "timeouts",
    "inferenceProfile",
];

/// Default for `maxAttempts`.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// Largest accepted `maxAttempts`.
pub const MAX_MAX_ATTEMPTS: u32 = 10;

/// Validated provider settings.
///
/// `Debug` is written by hand: credentials are [`Secret`]s already, and custom header values
/// (often a gateway's own key) are masked too.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    /// The AWS region, e.g. `us-east-1`.
    pub region: String,
    /// The region's partition.
    pub partition: Partition,
    /// How requests are authenticated.
    pub auth: Auth,
    /// Replaces the Bedrock Runtime endpoint (and the agent runtime one, unless
    /// `agent_runtime_base_url` is set).
    pub base_url: Option<BaseUrl>,
    /// Replaces the Agents for Bedrock Runtime endpoint (Rerank).
    pub agent_runtime_base_url: Option<BaseUrl>,
    /// Replaces the Bedrock control-plane endpoint (unless unset, then `base_url` does).
    pub control_plane_base_url: Option<BaseUrl>,
    /// Extra headers for every request, added after signing (so not signed). Names lower-case.
    pub headers: Vec<(String, String)>,
    /// The default language model.
    pub language_model: Option<ModelId>,
    /// The default re-ranking model.
    pub reranking_model: Option<ModelId>,
    /// The default embedding model.
    pub embedding_model: Option<ModelId>,
    /// The re-ranking API; `None` lets the caller choose.
    pub rerank_api: Option<RerankApi>,
    /// Attempts per call, first one included (1..=10).
    pub max_attempts: u32,
    /// Connect, first-byte and between-bytes deadlines.
    pub timeouts: Timeouts,
    /// The deadline for a whole call, retries included.
    pub total_timeout_ms: u64,
    /// Inference-profile rewriting.
    pub inference_profile: InferenceProfileMode,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> =
            self.headers.iter().map(|(n, _)| (n.as_str(), "***")).collect();
        f.debug_struct("Settings")
            .field("region", &self.region)
            .field("partition", &self.partition)
            .field("auth", &self.auth)
            .field("base_url", &self.base_url)
            .field("agent_runtime_base_url", &self.agent_runtime_base_url)
            .field("control_plane_base_url", &self.control_plane_base_url)
            .field("headers", &headers)
            .field("language_model", &self.language_model)
            .field("reranking_model", &self.reranking_model)
            .field("embedding_model", &self.embedding_model)
            .field("rerank_api", &self.rerank_api)
            .field("max_attempts", &self.max_attempts)
            .field("timeouts", &self.timeouts)
            .field("total_timeout_ms", &self.total_timeout_ms)
            .field("inference_profile", &self.inference_profile)
            .finish()
    }
}

impl Settings {
    /// Parses and validates the settings JSON. Every failure is `invalid-settings` naming the key.
    pub fn parse(json: &str) -> Result<Settings> {
        let value: Value = serde_json::from_str(json).map_err(|e| {
            ProviderError::new(
                ErrorKind::InvalidSettings,
                format!("The settings are not valid JSON: {e}."),
            )
            .with_solution(
                "Store the settings as one JSON object, e.g. {\"region\": \"us-east-1\", ...}.",
            )
        })?;
        let Value::Object(map) = value else {
            return Err(ProviderError::new(
                ErrorKind::InvalidSettings,
                format!(
                    "The settings must be a JSON object, but they are {}.",
                    json_fields::type_name(&value)
                ),
            )
            .with_solution(
                "Store the settings as one JSON object, e.g. {\"region\": \"us-east-1\", ...}.",
            ));
        };
        // Settings pages store an untouched text box as "", which means unset.
        let obj = Fields::new(&map).empty_string_is_absent();
        obj.check_keys(&KEYS).map_err(json::invalid)?;

        let (region, partition) = region::parse_region(&obj)?;
        let auth = secret::parse_auth(&obj)?;
        let base_url =
            json::opt_str(&obj, "baseUrl")?.map(|u| Endpoint::parse("baseUrl", u)).transpose()?;
        let agent_runtime_base_url = json::opt_str(&obj, "agentRuntimeBaseUrl")?
            .map(|u| Endpoint::parse("agentRuntimeBaseUrl", u))
            .transpose()?;
        let control_plane_base_url = json::opt_str(&obj, "controlPlaneBaseUrl")?
            .map(|u| Endpoint::parse("controlPlaneBaseUrl", u))
            .transpose()?;
        let headers = headers::parse_headers(&obj)?;
        let language_model = models::parse_model(&obj, "languageModel")?;
        let reranking_model = models::parse_model(&obj, "rerankingModel")?;
        let embedding_model = models::parse_model(&obj, "embeddingModel")?;
        let rerank_api = models::parse_rerank_api(&obj)?;
        if rerank_api == Some(RerankApi::Rerank) && matches!(auth, Auth::ApiKey(_)) {
            return Err(ProviderError::settings(
                "rerankApi",
                "`rerankApi` is `rerank`, but the Rerank API (Agents for Bedrock Runtime) does not \
                 accept Bedrock API keys, and `apiKey` is the only credential set.",
                "Set `rerankApi` to `invoke-model` (or leave it empty) to re-rank with the API \
                 key, \
                 or replace `apiKey` with an access key pair (`accessKeyId`, `secretAccessKey`).",
            ));
        }
        let max_attempts = parse_max_attempts(&obj)?;
        let (timeouts, total_timeout_ms) = timeouts::parse_timeouts(&obj)?;
        let inference_profile = models::parse_inference_profile(&obj)?;

        Ok(Settings {
            region,
            partition,
            auth,
            base_url,
            agent_runtime_base_url,
            control_plane_base_url,
            headers,
            language_model,
            reranking_model,
            embedding_model,
            rerank_api,
            max_attempts,
            timeouts,
            total_timeout_ms,
            inference_profile,
        })
    }

    /// Where Bedrock Runtime requests go: the base URL, else the region's endpoint.
    pub fn runtime_endpoint(&self) -> Endpoint {
        match &self.base_url {
            Some(url) => url.clone(),
            None => Endpoint::https(self.partition.host(RUNTIME_SERVICE, &self.region)),
        }
    }

    /// Where Rerank requests go: the agent runtime base URL, else the base URL, else the
    /// region's Agents for Bedrock Runtime endpoint.
    pub fn agent_runtime_endpoint(&self) -> Endpoint {
        match (&self.agent_runtime_base_url, &self.base_url) {
            (Some(url), _) | (None, Some(url)) => url.clone(),
            (None, None) => {
                Endpoint::https(self.partition.host(AGENT_RUNTIME_SERVICE, &self.region))
            }
        }
    }

    /// Where Bedrock control-plane requests go: the control-plane base URL, else the base URL,
    /// else the region's `bedrock` endpoint.
    pub fn control_plane_endpoint(&self) -> Endpoint {
        match (&self.control_plane_base_url, &self.base_url) {
            (Some(url), _) | (None, Some(url)) => url.clone(),
            (None, None) => {
                Endpoint::https(self.partition.host(CONTROL_PLANE_SERVICE, &self.region))
            }
        }
    }

    /// How requests are authenticated, safe to display: at most the first and last four
    /// characters of the access key ID, and of an API key only its first four characters and
    /// its length. E.g. `SigV4, access key AKID…MPLE, with session token`.
    pub fn auth_summary(&self) -> String {
        secret::summary(&self.auth)
    }
}

/// `maxAttempts`; the default when unset.
fn parse_max_attempts(obj: &Fields<'_>) -> Result<u32> {
    Ok(match json::opt_whole(obj, "maxAttempts")? {
        None => DEFAULT_MAX_ATTEMPTS,
        Some(n) if (1..=u64::from(MAX_MAX_ATTEMPTS)).contains(&n) => n as u32,
        Some(n) => {
            return Err(ProviderError::settings(
                "maxAttempts",
                format!("`maxAttempts` is {n}; it must be between 1 and {MAX_MAX_ATTEMPTS}."),
                "Set `maxAttempts` to the number of attempts per call including the first \
                 (3 is the default; 1 disables retries).",
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;
    use crate::settings::test_support::*;
    use crate::transport::Scheme;

    #[test]
    fn seed_example_settings_are_accepted() {
        let s = ok(&json!({
            "region": "us-east-1",
            "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
            "secretAccessKey": SECRET,
            "sessionToken": "",
            "baseUrl": "https://ai-gateway.example.com/bedrock",
            "headers": {"X-Custom-Header": "custom-value"},
            "languageModel": "amazon-bedrock|anthropic.claude-sonnet-4-5-20250929-v1:0",
            "rerankingModel": "amazon-bedrock|cohere.rerank-v3-5:0",
            "embeddingModel": "amazon-bedrock|amazon.titan-embed-text-v2:0"
        }));
        assert_eq!(s.region, "us-east-1");
        assert_eq!(s.partition, Partition::Aws);
        assert_eq!(
            s.auth,
            Auth::SigV4(SigV4Credentials {
                access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
                secret_access_key: Secret::new(SECRET),
                session_token: None,
            })
        );
        let url = s.base_url.clone().unwrap();
        assert_eq!(
            url,
            Endpoint {
                scheme: Scheme::Https,
                authority: "ai-gateway.example.com".into(),
                path_prefix: "/bedrock".into()
            }
        );
        assert_eq!(s.runtime_endpoint(), url);
        assert_eq!(s.agent_runtime_endpoint(), url);
        assert_eq!(s.headers, vec![("x-custom-header".to_string(), "custom-value".to_string())]);
        assert_eq!(
            s.language_model.as_ref().unwrap().as_str(),
            "anthropic.claude-sonnet-4-5-20250929-v1:0"
        );
        assert_eq!(s.reranking_model.as_ref().unwrap().as_str(), "cohere.rerank-v3-5:0");
        assert_eq!(s.embedding_model.as_ref().unwrap().as_str(), "amazon.titan-embed-text-v2:0");
        assert_eq!(s.rerank_api, None);
        assert_eq!(s.max_attempts, 3);
        assert_eq!(
            s.timeouts,
            Timeouts { connect_ms: 10_000, first_byte_ms: 60_000, between_bytes_ms: 30_000 }
        );
        assert_eq!(s.total_timeout_ms, 300_000);
        assert_eq!(s.inference_profile, InferenceProfileMode::Off);
    }

    #[test]
    fn demo_form_with_loopback_http_is_accepted() {
        let s = ok(&json!({
            "region": "us-east-1",
            "accessKeyId": "AKIDEXAMPLE",
            "secretAccessKey": SECRET,
            "sessionToken": TOKEN,
            "apiKey": "",
            "baseUrl": "http://127.0.0.1:4000",
            "agentRuntimeBaseUrl": "",
            "headers": {},
            "languageModel": "amazon-bedrock|anthropic.claude-sonnet-4-5-20250929-v1:0",
            "rerankingModel": "",
            "embeddingModel": "",
            "rerankApi": "rerank",
            "maxAttempts": 5,
            "timeouts": {"connectMs": 500, "totalMs": 2000},
            "inferenceProfile": "auto"
        }));
        let ep = s.runtime_endpoint();
        assert_eq!(
            ep,
            Endpoint {
                scheme: Scheme::Http,
                authority: "127.0.0.1:4000".into(),
                path_prefix: String::new()
            }
        );
        assert_eq!(ep.to_string(), "http://127.0.0.1:4000");
        assert!(ep.is_loopback());
        assert_eq!(ep.host(), "127.0.0.1");
        assert_eq!(ep.path("/rerank"), "/rerank");
        assert!(
            matches!(&s.auth, Auth::SigV4(c) if c.session_token.as_ref().map(Secret::expose) == Some(TOKEN))
        );
        assert_eq!(s.reranking_model, None);
        assert_eq!(s.embedding_model, None);
        assert_eq!(s.rerank_api, Some(RerankApi::Rerank));
        assert_eq!(s.max_attempts, 5);
        assert_eq!(s.timeouts.connect_ms, 500);
        assert_eq!(s.timeouts.first_byte_ms, 60_000);
        assert_eq!(s.total_timeout_ms, 2000);
        assert_eq!(s.inference_profile, InferenceProfileMode::Auto);
    }

    #[test]
    fn default_endpoints_follow_the_region() {
        let s = ok(&base());
        assert_eq!(
            s.runtime_endpoint().to_string(),
            "https://bedrock-runtime.us-east-1.amazonaws.com"
        );
        assert_eq!(
            s.agent_runtime_endpoint().to_string(),
            "https://bedrock-agent-runtime.us-east-1.amazonaws.com"
        );
        let s = ok(&with(base(), json!({"region": "cn-north-1"})));
        assert_eq!(s.partition, Partition::AwsCn);
        assert_eq!(s.runtime_endpoint().authority, "bedrock-runtime.cn-north-1.amazonaws.com.cn");
        let s = ok(&with(
            base(),
            json!({
                "baseUrl": "https://gw.example.com/runtime",
                "agentRuntimeBaseUrl": "https://gw.example.com/agent"
            }),
        ));
        assert_eq!(s.runtime_endpoint().path_prefix, "/runtime");
        assert_eq!(s.agent_runtime_endpoint().path_prefix, "/agent");
        let s = ok(&with(base(), json!({"agentRuntimeBaseUrl": "https://gw.example.com/agent"})));
        assert_eq!(s.runtime_endpoint().authority, "bedrock-runtime.us-east-1.amazonaws.com");
        assert_eq!(s.control_plane_endpoint().authority, "bedrock.us-east-1.amazonaws.com");
    }

    #[test]
    fn the_control_plane_base_url_defaults_to_the_base_url() {
        let s = ok(&with(base(), json!({"region": "eusc-de-east-1"})));
        assert_eq!(
            s.control_plane_endpoint().to_string(),
            "https://bedrock.eusc-de-east-1.amazonaws.eu"
        );
        let s = ok(&with(base(), json!({"baseUrl": "https://gw.example.com/runtime"})));
        assert_eq!(s.control_plane_endpoint().to_string(), "https://gw.example.com/runtime");
        let s = ok(&with(
            base(),
            json!({
                "baseUrl": "https://gw.example.com/runtime",
                "controlPlaneBaseUrl": "http://127.0.0.1:4000/control"
            }),
        ));
        assert_eq!(s.control_plane_endpoint().to_string(), "http://127.0.0.1:4000/control");
        assert_eq!(s.runtime_endpoint().path_prefix, "/runtime");
        assert_eq!(s.agent_runtime_endpoint().path_prefix, "/runtime");
        let e = Settings::parse(
            &with(base(), json!({"controlPlaneBaseUrl": "http://gw.example.com"})).to_string(),
        )
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("controlPlaneBaseUrl"));
    }

    #[test]
    fn api_key_auth_and_http_loopback_bearer() {
        let s = ok(
            &json!({"region": "us-west-2", "apiKey": API_KEY, "baseUrl": "http://localhost:8080/"}),
        );
        assert_eq!(s.auth, Auth::ApiKey(Secret::new(API_KEY)));
        assert_eq!(s.runtime_endpoint().to_string(), "http://localhost:8080");
    }

    /// One row per rule: the settings, the field, and words the message must contain.
    #[test]
    fn each_rule_names_its_field() {
        check_rules(vec![
            // Not an object / not JSON.
            (json!(["region"]), None, &["JSON object", "an array"]),
            (json!("us-east-1"), None, &["JSON object", "a string"]),
            // Unknown keys, with and without a suggestion.
            (
                with(base(), json!({"accessKey": "x"})),
                Some("accessKey"),
                &["Unknown setting `accessKey`"],
            ),
            (with(base(), json!({"bogus": 1})), Some("bogus"), &["Unknown setting `bogus`"]),
            // Wrong JSON types.
            (with(base(), json!({"region": 1})), Some("region"), &["must be a string", "a number"]),
            (
                with(base(), json!({"headers": "X-Foo: 1"})),
                Some("headers"),
                &["object", "a string"],
            ),
            (
                with(base(), json!({"headers": {"X-Foo": 1}})),
                Some("headers.X-Foo"),
                &["must be a string", "a number"],
            ),
            (
                with(base(), json!({"maxAttempts": "3"})),
                Some("maxAttempts"),
                &["whole number", "a string"],
            ),
            (with(base(), json!({"timeouts": 5})), Some("timeouts"), &["object", "a number"]),
            (with(base(), json!({"apiKey": true})), Some("apiKey"), &["a boolean"]),
            (with(base(), json!({"maxAttempts": 0})), Some("maxAttempts"), &["between 1 and 10"]),
            (with(base(), json!({"maxAttempts": 11})), Some("maxAttempts"), &["between 1 and 10"]),
            (
                with(base(), json!({"maxAttempts": -1})),
                Some("maxAttempts"),
                &["positive whole number"],
            ),
            (
                with(base(), json!({"maxAttempts": 2.5})),
                Some("maxAttempts"),
                &["positive whole number"],
            ),
        ]);
    }

    #[test]
    fn invalid_json_is_reported() {
        let e = Settings::parse("{\"region\": ").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidSettings);
        assert!(e.message.contains("not valid JSON"));
    }

    #[test]
    fn typos_get_a_suggestion() {
        let table = [
            ("accessKey", Some("accessKeyId")),
            ("access_key_id", Some("accessKeyId")),
            ("AccessKeyID", Some("accessKeyId")),
            ("secretKey", None),
            ("secret_access_key", Some("secretAccessKey")),
            ("baseURL", Some("baseUrl")),
            ("awsRegion", Some("region")),
            ("regoin", Some("region")),
            ("sesionToken", Some("sessionToken")),
            ("header", Some("headers")),
            ("rerankModel", Some("rerankingModel")),
            ("zzz", None),
        ];
        for (typo, want) in table {
            assert_eq!(json_fields::closest(typo, &KEYS), want, "{typo}");
        }
        let e = Settings::parse(&with(base(), json!({"accessKey": "x"})).to_string()).unwrap_err();
        assert!(e.solution.unwrap().contains("Did you mean `accessKeyId`?"));
        let e = Settings::parse(&with(base(), json!({"timeouts": {"totalMS": 1}})).to_string())
            .unwrap_err();
        assert!(e.solution.unwrap().contains("`timeouts.totalMs`"));
    }
}

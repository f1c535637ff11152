//! The provider settings: the JSON a gateway's settings page stores, parsed and validated before
//! any network I/O.
//!
//! Parsing walks a `serde_json::Value` by hand instead of deriving `Deserialize`: every failure
//! must name the exact key (`headers.X-Foo`, `timeouts.connectMs`) and say what to do, and a
//! typo'd key should come with the key that was probably meant.
//!
//! Base URLs are parsed by hand (no `url` crate): the accepted shape is small
//! (`scheme://host[:port][/path]`), and the checks we need (loopback-only http, no userinfo,
//! no query, no dot segments) are easier to state exactly than to re-derive from a general URL
//! parser's normalised output.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::{Map, Value};

use crate::error::{ErrorKind, ProviderError, Result};
use crate::model_id::{ModelId, parse_spec};
use crate::region::{Partition, partition_of};
use crate::transport::{Scheme, Timeouts};

/// Every top-level settings key, as stored by the settings page.
pub const KEYS: [&str; 15] = [
    "region",
    "accessKeyId",
    "secretAccessKey",
    "sessionToken",
    "apiKey",
    "baseUrl",
    "agentRuntimeBaseUrl",
    "headers",
    "languageModel",
    "rerankingModel",
    "embeddingModel",
    "rerankApi",
    "maxAttempts",
    "timeouts",
    "inferenceProfile",
];

/// The keys of the `timeouts` object.
pub const TIMEOUT_KEYS: [&str; 4] = ["connectMs", "firstByteMs", "betweenBytesMs", "totalMs"];

/// Default for `maxAttempts`.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// Largest accepted `maxAttempts`.
pub const MAX_MAX_ATTEMPTS: u32 = 10;
/// Default for `timeouts.totalMs`.
pub const DEFAULT_TOTAL_TIMEOUT_MS: u64 = 300_000;
/// Largest accepted timeout (24 hours): larger values are a unit mistake, and adding them to a
/// clock could overflow.
pub const MAX_TIMEOUT_MS: u64 = 86_400_000;

/// Header names a custom header may not set (compared lower-case), besides every `x-amz-*`.
pub const RESERVED_HEADERS: [&str; 12] = [
    "authorization",
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "upgrade",
    "te",
    "trailer",
    "expect",
];

/// A credential. `Debug` and `Display` print `***`; only [`Secret::expose`] gives the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for signing and for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// An AWS access key pair, optionally with the session token of temporary credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigV4Credentials {
    /// The access key ID (not secret, but shown masked).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: Secret,
    /// The session token of temporary (`ASIA…`) credentials.
    pub session_token: Option<Secret>,
}

/// How requests are authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// AWS Signature Version 4 with an access key pair.
    SigV4(SigV4Credentials),
    /// A Bedrock API key, sent as `Authorization: Bearer <key>`.
    ApiKey(Secret),
}

/// Where requests go: scheme, `host[:port]` (lower-case, default port removed) and a path
/// prefix (empty, or starting with `/` and without a trailing `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https`, or `http` for loopback hosts only.
    pub scheme: Scheme,
    /// `host` or `host:port`, exactly as signed and sent.
    pub authority: String,
    /// Prepended to every operation path, e.g. `/bedrock`.
    pub path_prefix: String,
}

/// A configured base URL: the same shape as an [`Endpoint`].
pub type BaseUrl = Endpoint;

impl Endpoint {
    /// An https endpoint for `host` with no path prefix.
    pub fn https(host: impl Into<String>) -> Self {
        Self { scheme: Scheme::Https, authority: host.into(), path_prefix: String::new() }
    }

    /// Parses and normalises a base URL; errors name `field`.
    pub fn parse(field: &str, url: &str) -> Result<Endpoint> {
        parse_base_url(field, url)
    }

    /// The host without the port (IPv6 literals keep their brackets).
    pub fn host(&self) -> &str {
        if self.authority.starts_with('[') {
            match self.authority.find(']') {
                Some(end) => &self.authority[..=end],
                None => &self.authority,
            }
        } else {
            self.authority.split(':').next().unwrap_or(&self.authority)
        }
    }

    /// Whether the host is a loopback address (`localhost`, `127.0.0.0/8`, `[::1]`).
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(self.host())
    }

    /// The wire path of an operation: the path prefix followed by `path` (which starts with `/`).
    pub fn path(&self, path: &str) -> String {
        format!("{}{path}", self.path_prefix)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", scheme_name(self.scheme), self.authority, self.path_prefix)
    }
}

/// Which API re-ranking uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RerankApi {
    /// Agents for Bedrock Runtime `POST /rerank` (SigV4 only).
    Rerank,
    /// Bedrock Runtime `InvokeModel` with the model's native body (works with API keys).
    InvokeModel,
}

/// Whether base model IDs are rewritten to the region's cross-region inference profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InferenceProfileMode {
    /// Send model IDs exactly as configured.
    #[default]
    Off,
    /// Send `<geo>.<base model ID>` for base model IDs when the region has a geography prefix.
    Auto,
}

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
        let Value::Object(obj) = value else {
            return Err(ProviderError::new(
                ErrorKind::InvalidSettings,
                format!("The settings must be a JSON object, but they are {}.", type_name(&value)),
            )
            .with_solution(
                "Store the settings as one JSON object, e.g. {\"region\": \"us-east-1\", ...}.",
            ));
        };
        check_keys(&obj, "", &KEYS)?;

        let (region, partition) = parse_region(&obj)?;
        let auth = parse_auth(&obj)?;
        let base_url =
            opt_str(&obj, "baseUrl")?.map(|u| Endpoint::parse("baseUrl", u)).transpose()?;
        let agent_runtime_base_url = opt_str(&obj, "agentRuntimeBaseUrl")?
            .map(|u| Endpoint::parse("agentRuntimeBaseUrl", u))
            .transpose()?;
        let headers = parse_headers(&obj)?;
        let language_model = parse_model(&obj, "languageModel")?;
        let reranking_model = parse_model(&obj, "rerankingModel")?;
        let embedding_model = parse_model(&obj, "embeddingModel")?;
        let rerank_api = match opt_str(&obj, "rerankApi")? {
            None => None,
            Some("rerank") => Some(RerankApi::Rerank),
            Some("invoke-model") => Some(RerankApi::InvokeModel),
            Some(other) => {
                return Err(ProviderError::settings(
                    "rerankApi",
                    format!("`rerankApi` is `{other}`, which is not a known re-ranking API."),
                    "Set `rerankApi` to `rerank` (Agents for Bedrock Runtime, needs an access \
                     key pair) or `invoke-model` (Bedrock Runtime InvokeModel), or leave it empty.",
                ));
            }
        };
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
        let max_attempts = match opt_int(&obj, "maxAttempts", "maxAttempts")? {
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
        };
        let (timeouts, total_timeout_ms) = parse_timeouts(&obj)?;
        let inference_profile = match opt_str(&obj, "inferenceProfile")? {
            None | Some("off") => InferenceProfileMode::Off,
            Some("auto") => InferenceProfileMode::Auto,
            Some(other) => {
                return Err(ProviderError::settings(
                    "inferenceProfile",
                    format!("`inferenceProfile` is `{other}`; it must be `off` or `auto`."),
                    "Use `auto` to send base model IDs through the region's cross-region inference \
                     profile (e.g. `us.` + model ID in us-east-1), or `off` to send them as \
                     configured.",
                ));
            }
        };

        Ok(Settings {
            region,
            partition,
            auth,
            base_url,
            agent_runtime_base_url,
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
            None => Endpoint::https(self.partition.host("bedrock-runtime", &self.region)),
        }
    }

    /// Where Rerank requests go: the agent runtime base URL, else the base URL, else the
    /// region's Agents for Bedrock Runtime endpoint.
    pub fn agent_runtime_endpoint(&self) -> Endpoint {
        match (&self.agent_runtime_base_url, &self.base_url) {
            (Some(url), _) | (None, Some(url)) => url.clone(),
            (None, None) => {
                Endpoint::https(self.partition.host("bedrock-agent-runtime", &self.region))
            }
        }
    }

    /// How requests are authenticated, safe to display: at most the first and last four
    /// characters of the access key ID, and of an API key only its first four characters and
    /// its length. E.g. `SigV4, access key AKID…MPLE, with session token`.
    pub fn auth_summary(&self) -> String {
        match &self.auth {
            Auth::SigV4(c) => {
                let id = &c.access_key_id;
                let chars: Vec<char> = id.chars().collect();
                let n = chars.len();
                let shown: String = if n > 8 {
                    chars[..4].iter().chain(['…'].iter()).chain(chars[n - 4..].iter()).collect()
                } else {
                    chars[..n.min(2)].iter().chain(['…'].iter()).collect()
                };
                let token = if c.session_token.is_some() { "with" } else { "no" };
                format!("SigV4, access key {shown}, {token} session token")
            }
            Auth::ApiKey(key) => {
                let key = key.expose();
                let n = key.chars().count();
                if n >= 16 {
                    let head: String = key.chars().take(4).collect();
                    format!("Bedrock API key {head}…({n} chars)")
                } else {
                    format!("Bedrock API key ({n} chars)")
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Field parsers.

fn parse_region(obj: &Map<String, Value>) -> Result<(String, Partition)> {
    let solution = "Set `region` to the AWS region where you use Bedrock, in the form `us-east-1`.";
    let Some(region) = opt_str(obj, "region")? else {
        return Err(ProviderError::settings("region", "`region` is missing.", solution));
    };
    if region.trim() != region {
        return Err(ProviderError::settings(
            "region",
            format!("`region` {region:?} has leading or trailing whitespace."),
            "Remove the spaces; this is usually a copy-paste error.",
        ));
    }
    // Only suggest the lower-case spelling when it is a real region; "US East" is a display
    // name, and the generic message below shows the expected form instead.
    if region.chars().any(|c| c.is_ascii_uppercase())
        && partition_of(&region.to_ascii_lowercase()).is_some()
    {
        return Err(ProviderError::settings(
            "region",
            format!("`region` `{region}` contains upper-case letters."),
            format!("Region names are lower-case: use `{}`.", region.to_ascii_lowercase()),
        ));
    }
    match partition_of(region) {
        Some(p) => Ok((region.to_string(), p)),
        None => Err(ProviderError::settings(
            "region",
            format!(
                "`region` `{region}` is not an AWS region name (expected the form `us-east-1`)."
            ),
            solution,
        )),
    }
}

fn parse_auth(obj: &Map<String, Value>) -> Result<Auth> {
    let akid = opt_str(obj, "accessKeyId")?;
    let secret = opt_str(obj, "secretAccessKey")?;
    let token = opt_str(obj, "sessionToken")?;
    let api_key = opt_str(obj, "apiKey")?;
    for (key, value, header) in [
        ("accessKeyId", akid, false),
        ("secretAccessKey", secret, false),
        ("sessionToken", token, true),
        ("apiKey", api_key, true),
    ] {
        if let Some(v) = value {
            check_credential(key, v, header)?;
        }
    }

    let pair_hint = "Set both `accessKeyId` and `secretAccessKey` (IAM console → Users → \
                     Security \
                     credentials), plus `sessionToken` for temporary credentials.";
    if api_key.is_some() && (akid.is_some() || secret.is_some()) {
        return Err(ProviderError::settings(
            "apiKey",
            "Both `apiKey` and an access key pair are set, so it is ambiguous which one to use.",
            "Keep one: remove `apiKey` to sign with the access key pair (needed for `rerankApi` \
             `rerank`), or remove `accessKeyId`/`secretAccessKey`/`sessionToken` to use the API \
             key.",
        ));
    }
    if token.is_some() && (akid.is_none() || secret.is_none()) {
        let (missing, set) = match (akid, secret) {
            (None, Some(_)) => ("`accessKeyId` is", "`secretAccessKey` is"),
            (Some(_), None) => ("`secretAccessKey` is", "`accessKeyId` is"),
            _ => ("`accessKeyId` and `secretAccessKey` are", "neither is"),
        };
        return Err(ProviderError::settings(
            "sessionToken",
            format!(
                "`sessionToken` is set but {missing} missing ({set} set); a session token only \
                 works together with the temporary access key pair it was issued with."
            ),
            pair_hint,
        ));
    }
    if let Some(key) = api_key {
        return Ok(Auth::ApiKey(Secret::new(key)));
    }
    let (akid, secret) = match (akid, secret) {
        (Some(a), Some(s)) => (a, s),
        (Some(_), None) => {
            return Err(ProviderError::settings(
                "secretAccessKey",
                "`secretAccessKey` is missing: `accessKeyId` is set, and signing needs both halves \
                 of the key pair.",
                pair_hint,
            ));
        }
        (None, Some(_)) => {
            return Err(ProviderError::settings(
                "accessKeyId",
                "`accessKeyId` is missing: `secretAccessKey` is set, and signing needs both halves \
                 of the key pair.",
                pair_hint,
            ));
        }
        (None, None) => {
            return Err(ProviderError::settings(
                "accessKeyId",
                "No credentials are set: neither an access key pair nor an API key.",
                "Set `accessKeyId` and `secretAccessKey` (plus `sessionToken` for temporary \
                 credentials), or set `apiKey` to a Bedrock API key (Bedrock console → API \
                 keys).",
            ));
        }
    };
    if !akid.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) || akid.len() > 128 {
        return Err(ProviderError::settings(
            "accessKeyId",
            "`accessKeyId` is not an AWS access key ID: those are upper-case letters and digits \
             only (e.g. `AKIA…` or `ASIA…`), at most 128 characters.",
            "Copy the Access key ID (not the secret access key, not an ARN or user name) from the \
             IAM console or your credentials file.",
        ));
    }
    if akid.starts_with("ASIA") && token.is_none() {
        return Err(ProviderError::settings(
            "sessionToken",
            "`accessKeyId` starts with `ASIA`, which marks temporary credentials, but \
             `sessionToken` is not set.",
            "Set `sessionToken` to the session token issued with these credentials (e.g. \
             `AWS_SESSION_TOKEN` from `aws sts get-session-token` or SSO), or use long-term \
             `AKIA…` keys.",
        ));
    }
    Ok(Auth::SigV4(SigV4Credentials {
        access_key_id: akid.to_string(),
        secret_access_key: Secret::new(secret),
        session_token: token.map(Secret::new),
    }))
}

/// Credential hygiene. The value is never echoed.
fn check_credential(key: &str, value: &str, goes_in_header: bool) -> Result<()> {
    if value.trim() != value {
        return Err(ProviderError::settings(
            key,
            format!("`{key}` starts or ends with whitespace (a space, tab or line break)."),
            format!(
                "Paste `{key}` again without the surrounding whitespace; this is almost always a \
                 copy-paste error."
            ),
        ));
    }
    let bad = |c: char| {
        if goes_in_header { !(c.is_ascii_graphic() || c == ' ') } else { c.is_control() }
    };
    if value.chars().any(bad) {
        return Err(ProviderError::settings(
            key,
            format!(
                "`{key}` contains a character that cannot be part of this credential (a control \
                 or non-ASCII character)."
            ),
            format!("Paste `{key}` again, copying exactly the credential and nothing else."),
        ));
    }
    Ok(())
}

fn parse_model(obj: &Map<String, Value>, key: &str) -> Result<Option<ModelId>> {
    let Some(spec) = opt_str(obj, key)? else { return Ok(None) };
    parse_spec(spec).map(Some).map_err(|mut e| {
        e.kind = ErrorKind::InvalidSettings;
        e.field = Some(key.to_string());
        e.message = format!("`{key}`: {}", e.message);
        e
    })
}

fn parse_headers(obj: &Map<String, Value>) -> Result<Vec<(String, String)>> {
    let Some(value) = present(obj, "headers") else { return Ok(Vec::new()) };
    let Value::Object(map) = value else {
        return Err(wrong_type("headers", value, "an object of header name → value"));
    };
    let mut out: Vec<(String, String)> = Vec::with_capacity(map.len());
    for (name, value) in map {
        let field = format!("headers.{name}");
        let Value::String(value) = value else {
            return Err(wrong_type(&field, value, "a string"));
        };
        if name.is_empty() {
            return Err(ProviderError::settings(
                "headers",
                "`headers` has an entry with an empty name.",
                "Give the header a name (e.g. `X-Custom-Header`) or remove the empty row.",
            ));
        }
        if let Some(c) = name.chars().find(|c| !is_tchar(*c)) {
            return Err(ProviderError::settings(
                &field,
                format!(
                    "The header name `{name}` contains {c:?}, which is not allowed in an HTTP \
                     header name."
                ),
                "Header names are letters, digits and ! # $ % & ' * + - . ^ _ ` | ~ (no spaces \
                 or colons).",
            ));
        }
        let lower = name.to_ascii_lowercase();
        if RESERVED_HEADERS.contains(&lower.as_str()) || lower.starts_with("x-amz-") {
            return Err(ProviderError::settings(
                &field,
                format!("The header `{name}` cannot be set as a custom header."),
                "The provider sets this header itself (it signs `Authorization`, `Host`, \
                 `Content-Type` and the `X-Amz-*` headers, and the transport manages the framing \
                 and connection headers); a custom value would break the signature or the request. \
                 Remove it, or use another header name for your gateway.",
            )
            .with_cause("Reserved header."));
        }
        if value.contains(['\r', '\n']) {
            return Err(ProviderError::settings(
                &field,
                format!("The value of header `{name}` contains a line break."),
                "Header values must be on one line; remove the line break (it is usually a \
                 copy-paste leftover).",
            ));
        }
        if value.chars().any(|c| !(c.is_ascii_graphic() || c == ' ' || c == '\t')) {
            return Err(ProviderError::settings(
                &field,
                format!("The value of header `{name}` contains a control or non-ASCII character."),
                "Use visible ASCII characters, spaces and tabs only.",
            ));
        }
        if let Some((first, _)) = out.iter().find(|(n, _)| *n == lower) {
            return Err(ProviderError::settings(
                &field,
                format!(
                    "The header `{name}` is set twice (header names are case-insensitive; also \
                     `{first}`)."
                ),
                "Keep one entry per header name.",
            ));
        }
        out.push((lower, value.trim_matches([' ', '\t']).to_string()));
    }
    Ok(out)
}

fn parse_timeouts(obj: &Map<String, Value>) -> Result<(Timeouts, u64)> {
    let defaults = Timeouts::default();
    let Some(value) = present(obj, "timeouts") else {
        return Ok((defaults, DEFAULT_TOTAL_TIMEOUT_MS));
    };
    let Value::Object(map) = value else {
        return Err(wrong_type("timeouts", value, "an object such as {\"connectMs\": 10000}"));
    };
    check_keys(map, "timeouts.", &TIMEOUT_KEYS)?;
    let get = |key: &str, default: u64| -> Result<u64> {
        let field = format!("timeouts.{key}");
        match opt_int(map, key, &field)? {
            None => Ok(default),
            Some(n) if (1..=MAX_TIMEOUT_MS).contains(&n) => Ok(n),
            Some(n) => Err(ProviderError::settings(
                &field,
                format!(
                    "`{field}` is {n}; it must be between 1 and {MAX_TIMEOUT_MS} milliseconds."
                ),
                format!(
                    "Set `{field}` to a positive number of milliseconds, or remove it for the \
                     default ({default})."
                ),
            )),
        }
    };
    let timeouts = Timeouts {
        connect_ms: get("connectMs", defaults.connect_ms)?,
        first_byte_ms: get("firstByteMs", defaults.first_byte_ms)?,
        between_bytes_ms: get("betweenBytesMs", defaults.between_bytes_ms)?,
    };
    Ok((timeouts, get("totalMs", DEFAULT_TOTAL_TIMEOUT_MS)?))
}

// ---------------------------------------------------------------------------------------------
// Base URLs.

fn parse_base_url(field: &str, url: &str) -> Result<Endpoint> {
    let example = "https://ai-gateway.example.com/bedrock";
    let err = |message: String, solution: String| ProviderError::settings(field, message, solution);
    if url.trim() != url {
        return Err(err(
            format!("`{field}` starts or ends with whitespace."),
            "Remove the surrounding spaces or line breaks; this is usually a copy-paste error."
                .into(),
        ));
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(err(
            format!("`{field}` is not an absolute URL (it has no `scheme://`)."),
            format!("Write the full URL, e.g. `{example}`."),
        ));
    };
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "https" => Scheme::Https,
        "http" => Scheme::Http,
        other => {
            return Err(err(
                format!("`{field}` uses the scheme `{other}`; only `https` is supported."),
                format!("Use an https URL, e.g. `{example}`."),
            ));
        }
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    // Neither userinfo nor the query is echoed: both can carry credentials.
    if authority.contains('@') {
        return Err(err(
            format!("`{field}` contains user information (`user:password@`)."),
            "Remove the `user:password@` part; to authenticate with a gateway, put its credential \
             in `headers` instead."
                .into(),
        ));
    }
    if tail.contains('?') {
        return Err(err(
            format!("`{field}` has a query string (`?…`)."),
            "Remove the query string: operation paths are appended to the base URL. To pass a \
             gateway key, use `headers`."
                .into(),
        ));
    }
    if tail.contains('#') {
        return Err(err(
            format!("`{field}` has a fragment (`#…`)."),
            "Remove the `#…` part.".into(),
        ));
    }

    let (host, port) = split_host_port(authority).map_err(|why| {
        err(
            format!("`{field}` has an invalid host: {why}."),
            format!("Use a URL such as `{example}`."),
        )
    })?;
    let host = host.to_ascii_lowercase();
    let default_port = match scheme {
        Scheme::Https => 443,
        Scheme::Http => 80,
    };
    let authority = match port {
        Some(p) if p != default_port => format!("{host}:{p}"),
        _ => host.clone(),
    };
    if scheme == Scheme::Http && !is_loopback_host(&host) {
        return Err(err(
            format!(
                "`{field}` uses plain http to `{host}`; http is only allowed to this machine \
                 (loopback)."
            ),
            format!(
                "Use `https://{authority}…`. Plain http is accepted only for `localhost`, \
                 127.0.0.0/8 and [::1], e.g. a local test gateway at `http://127.0.0.1:4000`."
            ),
        ));
    }

    if let Some(c) = tail.chars().find(|c| !is_path_char(*c)) {
        return Err(err(
            format!(
                "The path of `{field}` contains {c:?}, which must be percent-encoded in a URL."
            ),
            "Percent-encode the character (e.g. a space as `%20`).".into(),
        ));
    }
    if !valid_percent_escapes(tail) {
        return Err(err(
            format!("The path of `{field}` has a `%` that is not followed by two hex digits."),
            "Write `%25` for a literal `%`.".into(),
        ));
    }
    let path = tail.trim_end_matches('/');
    if path.split('/').skip(1).any(|seg| seg.is_empty() || seg == "." || seg == "..") {
        return Err(err(
            format!("The path of `{field}` has an empty, `.` or `..` segment."),
            "Write the path without `//`, `/./` or `/../`: request signing normalises those away, \
             so the signature would not match the path sent."
                .into(),
        ));
    }
    Ok(Endpoint { scheme, authority, path_prefix: path.to_string() })
}

/// Splits `host[:port]` / `[v6][:port]`, validating both; the port is `None` when absent or empty.
fn split_host_port(authority: &str) -> std::result::Result<(&str, Option<u16>), String> {
    if authority.is_empty() {
        return Err("the URL has no host".into());
    }
    let (host, port) = if authority.starts_with('[') {
        let close = authority.find(']').ok_or("an IPv6 address is missing its closing `]`")?;
        let (host, after) = authority.split_at(close + 1);
        if host[1..close].parse::<Ipv6Addr>().is_err() {
            return Err(format!("`{host}` is not an IPv6 address"));
        }
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or("unexpected text after `]`")?),
        };
        (host, port)
    } else {
        if authority.matches(':').count() > 1 {
            return Err("IPv6 addresses need brackets, e.g. `[::1]`".into());
        }
        let (host, port) = match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        if host.is_empty() {
            return Err("the URL has no host".into());
        }
        if let Some(c) =
            host.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
        {
            return Err(format!("the host contains {c:?} (IPv6 addresses need brackets: `[::1]`)"));
        }
        if host.split('.').any(str::is_empty) {
            return Err(format!("`{host}` has an empty label"));
        }
        (host, port)
    };
    let port = match port {
        None | Some("") => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => return Err(format!("the port `{p}` is not a number between 1 and 65535")),
        },
    };
    Ok((host, port))
}

/// `localhost`, `127.0.0.0/8` or `[::1]` (brackets included for IPv6).
fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.parse::<Ipv6Addr>().is_ok_and(|a| a.is_loopback());
    }
    host.parse::<Ipv4Addr>().is_ok_and(|a| a.is_loopback())
}

/// RFC 3986 `pchar` plus `/` (percent escapes are checked separately).
fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/%".contains(c)
}

fn valid_percent_escapes(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().filter(|(_, c)| **c == b'%').all(|(i, _)| {
        b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
    })
}

fn scheme_name(s: Scheme) -> &'static str {
    match s {
        Scheme::Http => "http",
        Scheme::Https => "https",
    }
}

/// RFC 7230 `tchar`.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

// ---------------------------------------------------------------------------------------------
// JSON helpers.

/// The value of `key`, treating `null` and `""` as absent (settings pages store empty strings).
fn present<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    match obj.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(v) => Some(v),
    }
}

fn opt_str<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>> {
    match present(obj, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(wrong_type(key, v, "a string")),
    }
}

fn opt_int(obj: &Map<String, Value>, key: &str, field: &str) -> Result<Option<u64>> {
    match present(obj, key) {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(n) => Ok(Some(n)),
            None => Err(ProviderError::settings(
                field,
                format!("`{field}` is {n}; it must be a positive whole number."),
                format!(
                    "Set `{field}` to a whole number such as 3 or 10000, without a fraction or \
                     sign."
                ),
            )),
        },
        Some(v) => Err(wrong_type(field, v, "a whole number")),
    }
}

fn wrong_type(field: &str, value: &Value, expected: &str) -> ProviderError {
    ProviderError::settings(
        field,
        format!("`{field}` must be {expected}, but it is {}.", type_name(value)),
        format!("Store `{field}` as {expected} (see the settings schema)."),
    )
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Refuses keys not in `known`, suggesting the likely intended key.
fn check_keys(obj: &Map<String, Value>, prefix: &str, known: &[&str]) -> Result<()> {
    for key in obj.keys() {
        if known.contains(&key.as_str()) {
            continue;
        }
        let field = format!("{prefix}{key}");
        let solution = match closest(key, known) {
            Some(k) => format!("Did you mean `{prefix}{k}`? Rename the key, or remove it."),
            None => format!(
                "Remove it. Known keys: {}.",
                known.iter().map(|k| format!("`{prefix}{k}`")).collect::<Vec<_>>().join(", ")
            ),
        };
        return Err(ProviderError::settings(
            &field,
            format!("Unknown setting `{field}`."),
            solution,
        ));
    }
    Ok(())
}

/// The known key `unknown` most likely stands for: same letters ignoring case and `_`/`-`,
/// one contains the other, or a small edit distance.
fn closest<'a>(unknown: &str, known: &[&'a str]) -> Option<&'a str> {
    let norm = |s: &str| -> String {
        s.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
    };
    let u = norm(unknown);
    if u.is_empty() {
        return None;
    }
    let mut best: Option<(usize, &str)> = None;
    for k in known {
        let kn = norm(k);
        let d = edit_distance(&u, &kn);
        let likely = d == 0
            || d <= (kn.len() / 4).max(2)
            || (u.len() >= 5 && (kn.contains(&u) || u.contains(&kn)));
        if likely && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, k));
        }
    }
    best.map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

// ---------------------------------------------------------------------------------------------
// Schema.

/// A JSON Schema (draft 2020-12) of the settings, for gateways that render the settings form
/// from the plugin. Secrets carry `"writeOnly": true`.
pub const SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Amazon Bedrock",
  "description": "Settings of the Amazon Bedrock provider. Authenticate with an access key pair (SigV4) or with a Bedrock API key, not both. Empty strings count as unset.",
  "type": "object",
  "additionalProperties": false,
  "required": ["region"],
  "properties": {
    "region": {
      "type": "string",
      "title": "Region",
      "description": "The AWS region where you use Bedrock.",
      "examples": ["us-east-1", "eu-central-1", "ap-northeast-1"]
    },
    "accessKeyId": {
      "type": "string",
      "title": "Access Key ID",
      "description": "The access key ID of an IAM user or role allowed to call bedrock:InvokeModel (upper-case letters and digits).",
      "examples": ["AKIAIOSFODNN7EXAMPLE"]
    },
    "secretAccessKey": {
      "type": "string",
      "title": "Secret Access Key",
      "description": "The secret access key paired with the access key ID.",
      "writeOnly": true,
      "examples": ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"]
    },
    "sessionToken": {
      "type": "string",
      "title": "Session Token",
      "description": "Only for temporary credentials (access key IDs starting with ASIA): the session token issued with them.",
      "writeOnly": true,
      "examples": ["FQoGZXIvYXdzEXAMPLETOKEN"]
    },
    "apiKey": {
      "type": "string",
      "title": "Bedrock API Key",
      "description": "A Bedrock API key, sent as a bearer token instead of signing with an access key pair. Not accepted by the Rerank API (use rerankApi invoke-model).",
      "writeOnly": true,
      "examples": ["ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl"]
    },
    "baseUrl": {
      "type": "string",
      "title": "Base URL",
      "description": "Optional: send requests to this URL (e.g. a gateway) instead of the region's Bedrock Runtime endpoint. https only; plain http only to localhost, 127.0.0.0/8 or [::1]. No user info, query or fragment.",
      "format": "uri",
      "examples": ["https://ai-gateway.example.com/bedrock", "http://127.0.0.1:4000"]
    },
    "agentRuntimeBaseUrl": {
      "type": "string",
      "title": "Agent Runtime Base URL",
      "description": "Optional: where Rerank requests go, instead of baseUrl or the region's Agents for Bedrock Runtime endpoint. Same rules as baseUrl.",
      "format": "uri",
      "examples": ["https://ai-gateway.example.com/bedrock-agent"]
    },
    "headers": {
      "type": "object",
      "title": "Headers",
      "description": "Optional extra headers sent with every request (not signed), e.g. to authenticate with a gateway. Authorization, Host, Content-Type, Content-Length, hop-by-hop headers and X-Amz-* are reserved.",
      "propertyNames": { "pattern": "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" },
      "additionalProperties": { "type": "string" },
      "examples": [{ "X-Custom-Header": "custom-value" }]
    },
    "languageModel": {
      "type": "string",
      "title": "Language Model",
      "description": "The default chat model: amazon-bedrock|<model ID>, a bare model ID, an inference-profile ID or an ARN.",
      "examples": ["amazon-bedrock|anthropic.claude-sonnet-4-5-20250929-v1:0", "amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0"]
    },
    "rerankingModel": {
      "type": "string",
      "title": "Reranking Model",
      "description": "The default re-ranking model.",
      "examples": ["amazon-bedrock|cohere.rerank-v3-5:0", "amazon-bedrock|amazon.rerank-v1:0"]
    },
    "embeddingModel": {
      "type": "string",
      "title": "Embedding Model",
      "description": "The default embedding model.",
      "examples": ["amazon-bedrock|amazon.titan-embed-text-v2:0", "amazon-bedrock|cohere.embed-v4:0"]
    },
    "rerankApi": {
      "type": "string",
      "title": "Rerank API",
      "description": "rerank: the Agents for Bedrock Runtime Rerank API (needs an access key pair). invoke-model: the model's native InvokeModel API (works with API keys). Unset: chosen automatically.",
      "enum": ["rerank", "invoke-model", ""],
      "examples": ["rerank"]
    },
    "maxAttempts": {
      "type": "integer",
      "title": "Max Attempts",
      "description": "Attempts per call for retryable failures, the first one included.",
      "minimum": 1,
      "maximum": 10,
      "default": 3,
      "examples": [3]
    },
    "timeouts": {
      "type": "object",
      "title": "Timeouts",
      "description": "Client-side deadlines in milliseconds.",
      "additionalProperties": false,
      "properties": {
        "connectMs": { "type": "integer", "title": "Connect", "description": "Establishing the connection.", "minimum": 1, "maximum": 86400000, "default": 10000, "examples": [10000] },
        "firstByteMs": { "type": "integer", "title": "First byte", "description": "From sending the request to the first response byte.", "minimum": 1, "maximum": 86400000, "default": 60000, "examples": [60000] },
        "betweenBytesMs": { "type": "integer", "title": "Between bytes", "description": "Between two chunks of the response body.", "minimum": 1, "maximum": 86400000, "default": 30000, "examples": [30000] },
        "totalMs": { "type": "integer", "title": "Total", "description": "A whole call, retries included.", "minimum": 1, "maximum": 86400000, "default": 300000, "examples": [300000] }
      },
      "examples": [{ "connectMs": 10000, "firstByteMs": 60000, "betweenBytesMs": 30000, "totalMs": 300000 }]
    },
    "inferenceProfile": {
      "type": "string",
      "title": "Inference Profile",
      "description": "auto: send base model IDs through the region's cross-region inference profile (e.g. us.<model ID> in us-east-1). off: send model IDs as configured.",
      "enum": ["off", "auto", ""],
      "default": "off",
      "examples": ["auto"]
    }
  }
}"#;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const TOKEN: &str = "FQoGZXIvYXdzEXAMPLETOKEN";
    const API_KEY: &str = "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl";

    fn base() -> Value {
        json!({"region": "us-east-1", "accessKeyId": "AKIDEXAMPLE", "secretAccessKey": SECRET})
    }

    fn with(mut v: Value, patch: Value) -> Value {
        for (k, val) in patch.as_object().unwrap() {
            if val.is_null() {
                v.as_object_mut().unwrap().remove(k);
            } else {
                v[k] = val.clone();
            }
        }
        v
    }

    fn ok(v: &Value) -> Settings {
        Settings::parse(&v.to_string()).unwrap()
    }

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
    }

    #[test]
    fn api_key_auth_and_http_loopback_bearer() {
        let s = ok(
            &json!({"region": "us-west-2", "apiKey": API_KEY, "baseUrl": "http://localhost:8080/"}),
        );
        assert_eq!(s.auth, Auth::ApiKey(Secret::new(API_KEY)));
        assert_eq!(s.runtime_endpoint().to_string(), "http://localhost:8080");
    }

    #[test]
    fn base_urls_are_normalised() {
        let table = [
            ("https://GW.Example.COM:443/Bedrock/", Scheme::Https, "gw.example.com", "/Bedrock"),
            ("HTTPS://gw.example.com:8443", Scheme::Https, "gw.example.com:8443", ""),
            ("https://gw.example.com/", Scheme::Https, "gw.example.com", ""),
            ("https://gw.example.com//", Scheme::Https, "gw.example.com", ""),
            ("https://gw.example.com:/a", Scheme::Https, "gw.example.com", "/a"),
            ("http://localhost:80/x/y", Scheme::Http, "localhost", "/x/y"),
            ("http://LOCALHOST:4000", Scheme::Http, "localhost:4000", ""),
            ("http://127.1.2.3:4000", Scheme::Http, "127.1.2.3:4000", ""),
            ("http://[::1]:4000/p%20q", Scheme::Http, "[::1]:4000", "/p%20q"),
            ("https://[2001:DB8::1]", Scheme::Https, "[2001:db8::1]", ""),
            ("https://10.0.0.1:9000/a:b@c", Scheme::Https, "10.0.0.1:9000", "/a:b@c"),
        ];
        for (url, scheme, authority, prefix) in table {
            let ep = Endpoint::parse("baseUrl", url).unwrap();
            assert_eq!(
                ep,
                Endpoint { scheme, authority: authority.into(), path_prefix: prefix.into() },
                "{url}"
            );
        }
        let ep = Endpoint::parse("baseUrl", "https://[2001:db8::1]:8443").unwrap();
        assert_eq!(ep.host(), "[2001:db8::1]");
        assert!(!ep.is_loopback());
    }

    #[test]
    fn secrets_never_show_in_debug_or_summary() {
        let s = ok(&with(
            base(),
            json!({"sessionToken": TOKEN, "headers": {"X-Gateway-Key": "gw-secret-value"}}),
        ));
        let debug = format!("{s:?}");
        for secret in [SECRET, TOKEN, "gw-secret-value"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert!(debug.contains("AKIDEXAMPLE") && debug.contains("x-gateway-key"), "{debug}");
        assert_eq!(s.auth_summary(), "SigV4, access key AKID…MPLE, with session token");
        assert_eq!(ok(&base()).auth_summary(), "SigV4, access key AKID…MPLE, no session token");
        let s = ok(&json!({"region": "us-east-1", "apiKey": API_KEY}));
        assert!(!format!("{s:?}").contains(API_KEY));
        assert_eq!(s.auth_summary(), "Bedrock API key ABSK…(32 chars)");
        let s = ok(&json!({"region": "us-east-1", "apiKey": "short-key"}));
        assert_eq!(s.auth_summary(), "Bedrock API key (9 chars)");
        let s = ok(&with(base(), json!({"accessKeyId": "AKIA1234"})));
        assert_eq!(s.auth_summary(), "SigV4, access key AK…, no session token");
        assert_eq!(Secret::new("x").to_string(), "***");
        assert_eq!(format!("{:?}", Secret::new("x")), "***");
    }

    /// One row per validation rule: the settings, the field, and words the message must contain.
    #[test]
    fn each_rule_names_its_field() {
        let table: Vec<(Value, Option<&str>, &[&str])> = vec![
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
            // Region.
            (with(base(), json!({"region": null})), Some("region"), &["`region` is missing"]),
            (with(base(), json!({"region": ""})), Some("region"), &["`region` is missing"]),
            (with(base(), json!({"region": "Frankfurt"})), Some("region"), &["us-east-1"]),
            (with(base(), json!({"region": "US-EAST-1"})), Some("region"), &["upper-case"]),
            (
                with(base(), json!({"region": "us-east"})),
                Some("region"),
                &["not an AWS region", "us-east-1"],
            ),
            (with(base(), json!({"region": "us-east-1 "})), Some("region"), &["whitespace"]),
            // Credentials.
            (json!({"region": "us-east-1"}), Some("accessKeyId"), &["No credentials"]),
            (
                with(base(), json!({"secretAccessKey": null})),
                Some("secretAccessKey"),
                &["`secretAccessKey` is missing"],
            ),
            (
                with(base(), json!({"accessKeyId": ""})),
                Some("accessKeyId"),
                &["`accessKeyId` is missing"],
            ),
            (with(base(), json!({"apiKey": API_KEY})), Some("apiKey"), &["ambiguous"]),
            (
                json!({"region": "us-east-1", "apiKey": API_KEY, "secretAccessKey": SECRET}),
                Some("apiKey"),
                &["ambiguous"],
            ),
            (
                json!({"region": "us-east-1", "apiKey": API_KEY, "sessionToken": TOKEN}),
                Some("sessionToken"),
                &["`sessionToken` is set", "missing"],
            ),
            (
                json!({"region": "us-east-1", "sessionToken": TOKEN}),
                Some("sessionToken"),
                &["`sessionToken` is set"],
            ),
            (
                with(base(), json!({"accessKeyId": "ASIAIOSFODNN7EXAMPLE"})),
                Some("sessionToken"),
                &["ASIA", "temporary"],
            ),
            (
                with(base(), json!({"accessKeyId": " AKIDEXAMPLE"})),
                Some("accessKeyId"),
                &["whitespace"],
            ),
            (
                with(base(), json!({"secretAccessKey": format!("{SECRET}\n")})),
                Some("secretAccessKey"),
                &["whitespace"],
            ),
            (
                with(base(), json!({"sessionToken": format!("{TOKEN} ")})),
                Some("sessionToken"),
                &["whitespace"],
            ),
            (
                json!({"region": "us-east-1", "apiKey": format!("\t{API_KEY}")}),
                Some("apiKey"),
                &["whitespace"],
            ),
            (
                json!({"region": "us-east-1", "apiKey": "ABSK\u{7f}x"}),
                Some("apiKey"),
                &["control or non-ASCII"],
            ),
            (
                with(base(), json!({"accessKeyId": "akidexample"})),
                Some("accessKeyId"),
                &["upper-case letters and digits"],
            ),
            (
                with(base(), json!({"accessKeyId": "arn:aws:iam::123456789012:user/x"})),
                Some("accessKeyId"),
                &["not an AWS access key ID"],
            ),
            // Base URLs.
            (
                with(base(), json!({"baseUrl": "gw.example.com"})),
                Some("baseUrl"),
                &["absolute URL"],
            ),
            (with(base(), json!({"baseUrl": "ftp://gw.example.com"})), Some("baseUrl"), &["`ftp`"]),
            (
                with(base(), json!({"baseUrl": "http://gw.example.com"})),
                Some("baseUrl"),
                &["plain http", "loopback"],
            ),
            (
                with(base(), json!({"baseUrl": "http://10.0.0.1:4000"})),
                Some("baseUrl"),
                &["plain http"],
            ),
            (
                with(base(), json!({"agentRuntimeBaseUrl": "http://[::2]:4000"})),
                Some("agentRuntimeBaseUrl"),
                &["plain http"],
            ),
            (
                with(base(), json!({"baseUrl": "https://user:pw@gw.example.com"})),
                Some("baseUrl"),
                &["user information"],
            ),
            (
                with(base(), json!({"baseUrl": "https://gw.example.com/b?key=1"})),
                Some("baseUrl"),
                &["query string"],
            ),
            (
                with(base(), json!({"baseUrl": "https://gw.example.com/b#x"})),
                Some("baseUrl"),
                &["fragment"],
            ),
            (with(base(), json!({"baseUrl": "https://"})), Some("baseUrl"), &["no host"]),
            (with(base(), json!({"baseUrl": "https://:443/x"})), Some("baseUrl"), &["no host"]),
            (
                with(base(), json!({"baseUrl": "https://gw.example.com:99999"})),
                Some("baseUrl"),
                &["port"],
            ),
            (
                with(base(), json!({"baseUrl": "https://gw.example.com:4a"})),
                Some("baseUrl"),
                &["port"],
            ),
            (
                with(base(), json!({"baseUrl": "https://gw_x.example.com"})),
                Some("baseUrl"),
                &["'_'"],
            ),
            (with(base(), json!({"baseUrl": "https://::1/"})), Some("baseUrl"), &["brackets"]),
            (with(base(), json!({"baseUrl": "https://[::1/"})), Some("baseUrl"), &["`]`"]),
            (with(base(), json!({"baseUrl": "https://[zz::1]/"})), Some("baseUrl"), &["IPv6"]),
            (
                with(base(), json!({"baseUrl": "https://gw..example.com"})),
                Some("baseUrl"),
                &["empty label"],
            ),
            (
                with(base(), json!({"baseUrl": "https://gw.example.com/a b"})),
                Some("baseUrl"),
                &["' '"],
            ),
            (
                with(base(), json!({"baseUrl": "https://gw.example.com/a%2"})),
                Some("baseUrl"),
                &["two hex digits"],
            ),
            (
                with(base(), json!({"baseUrl": "https://gw.example.com/a//b"})),
                Some("baseUrl"),
                &["empty, `.` or `..`"],
            ),
            (
                with(base(), json!({"baseUrl": "https://gw.example.com/a/../b"})),
                Some("baseUrl"),
                &["empty, `.` or `..`"],
            ),
            (
                with(base(), json!({"baseUrl": " https://gw.example.com"})),
                Some("baseUrl"),
                &["whitespace"],
            ),
            // Headers.
            (
                with(base(), json!({"headers": {"X Foo": "1"}})),
                Some("headers.X Foo"),
                &["' '", "header name"],
            ),
            (with(base(), json!({"headers": {"X-Foo:": "1"}})), Some("headers.X-Foo:"), &["':'"]),
            (with(base(), json!({"headers": {"": "1"}})), Some("headers"), &["empty name"]),
            (
                with(base(), json!({"headers": {"X-Foo": "a\r\nX-Evil: 1"}})),
                Some("headers.X-Foo"),
                &["line break"],
            ),
            (
                with(base(), json!({"headers": {"X-Foo": "caf\u{e9}"}})),
                Some("headers.X-Foo"),
                &["non-ASCII"],
            ),
            (
                with(base(), json!({"headers": {"X-Foo": "1", "x-foo": "2"}})),
                Some("headers.x-foo"),
                &["twice"],
            ),
            // Models.
            (
                with(base(), json!({"languageModel": "openai|gpt-4o"})),
                Some("languageModel"),
                &["`openai`", "`amazon-bedrock`"],
            ),
            (
                with(base(), json!({"rerankingModel": "cohere rerank"})),
                Some("rerankingModel"),
                &["whitespace"],
            ),
            (
                with(base(), json!({"embeddingModel": "openai|text-embedding-3-small"})),
                Some("embeddingModel"),
                &["`openai`"],
            ),
            // Enumerations and numbers.
            (with(base(), json!({"rerankApi": "bedrock"})), Some("rerankApi"), &["`bedrock`"]),
            (
                json!({"region": "us-east-1", "apiKey": API_KEY, "rerankApi": "rerank"}),
                Some("rerankApi"),
                &["does not accept Bedrock API keys"],
            ),
            (
                with(base(), json!({"inferenceProfile": "on"})),
                Some("inferenceProfile"),
                &["`on`", "`off` or `auto`"],
            ),
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
            (
                with(base(), json!({"timeouts": {"connectMs": 0}})),
                Some("timeouts.connectMs"),
                &["between 1 and"],
            ),
            (
                with(base(), json!({"timeouts": {"totalMs": 1e12}})),
                Some("timeouts.totalMs"),
                &["whole number"],
            ),
            (
                with(base(), json!({"timeouts": {"firstByteMs": 100000000}})),
                Some("timeouts.firstByteMs"),
                &["between 1 and 86400000"],
            ),
            (
                with(base(), json!({"timeouts": {"betweenBytesMs": "5"}})),
                Some("timeouts.betweenBytesMs"),
                &["a string"],
            ),
            (
                with(base(), json!({"timeouts": {"connect": 5}})),
                Some("timeouts.connect"),
                &["Unknown setting `timeouts.connect`"],
            ),
        ];
        for (settings, field, needles) in table {
            let e = Settings::parse(&settings.to_string()).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidSettings, "{settings}");
            assert_eq!(e.field.as_deref(), field, "{settings}: {e:?}");
            assert!(e.solution.is_some(), "{settings}");
            for needle in needles {
                assert!(e.message.contains(needle), "{settings}: {:?} lacks {needle:?}", e.message);
            }
            let text = format!("{e:?}");
            for secret in [SECRET, TOKEN, API_KEY, "pw@", "key=1"] {
                assert!(!text.contains(secret), "{settings}: error shows a secret: {text}");
            }
        }
    }

    #[test]
    fn reserved_headers_are_refused_with_the_reason() {
        let mut names: Vec<String> = RESERVED_HEADERS.iter().map(|s| s.to_string()).collect();
        names.extend(
            ["Authorization", "HOST", "X-Amz-Date", "x-amz-security-token", "X-AMZ-Foo"]
                .map(String::from),
        );
        for name in names {
            let mut headers = Map::new();
            headers.insert(name.clone(), json!("v"));
            let v = with(base(), json!({ "headers": headers }));
            let e = Settings::parse(&v.to_string()).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(format!("headers.{name}").as_str()));
            assert!(e.message.contains("cannot be set"), "{name}");
            assert!(e.solution.as_deref().unwrap().contains("signature"), "{name}");
        }
        // Similar but unreserved names pass.
        let s = ok(&with(
            base(),
            json!({"headers": {"X-Amzn-Custom": "1", "Proxy-Authorization": " Basic x "}}),
        ));
        assert_eq!(
            s.headers,
            vec![
                ("proxy-authorization".to_string(), "Basic x".to_string()),
                ("x-amzn-custom".to_string(), "1".to_string()),
            ]
        );
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
            assert_eq!(closest(typo, &KEYS), want, "{typo}");
        }
        let e = Settings::parse(&with(base(), json!({"accessKey": "x"})).to_string()).unwrap_err();
        assert!(e.solution.unwrap().contains("Did you mean `accessKeyId`?"));
        let e = Settings::parse(&with(base(), json!({"timeouts": {"totalMS": 1}})).to_string())
            .unwrap_err();
        assert!(e.solution.unwrap().contains("`timeouts.totalMs`"));
    }

    #[test]
    fn schema_lists_exactly_the_accepted_keys() {
        let schema: Value = serde_json::from_str(SCHEMA).unwrap();
        assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
        let props = schema["properties"].as_object().unwrap();
        let mut in_schema: Vec<&str> = props.keys().map(String::as_str).collect();
        let mut accepted = KEYS.to_vec();
        in_schema.sort_unstable();
        accepted.sort_unstable();
        assert_eq!(in_schema, accepted);
        let timeouts = props["timeouts"]["properties"].as_object().unwrap();
        let mut in_schema: Vec<&str> = timeouts.keys().map(String::as_str).collect();
        let mut accepted = TIMEOUT_KEYS.to_vec();
        in_schema.sort_unstable();
        accepted.sort_unstable();
        assert_eq!(in_schema, accepted);
        for (key, prop) in props {
            for attr in ["title", "description", "examples"] {
                assert!(prop.get(attr).is_some(), "{key} lacks {attr}");
            }
            let secret = ["secretAccessKey", "sessionToken", "apiKey"].contains(&key.as_str());
            assert_eq!(prop.get("writeOnly") == Some(&json!(true)), secret, "{key}");
        }
        // Every example in the schema is itself accepted.
        let mut example = base();
        for (key, prop) in props {
            if !["accessKeyId", "secretAccessKey", "sessionToken", "apiKey"].contains(&key.as_str())
            {
                example[key] = prop["examples"][0].clone();
            }
        }
        ok(&example);
    }
}

//! `converse::build_request` on requests built from the input.
//!
//! An input that is a JSON request in the shape below (a local mirror of `api::GenerateRequest`,
//! so seeds are readable) is used as written; any other input drives `Unstructured` to build a
//! request from small vocabularies of valid and invalid values (IDs that match earlier calls,
//! known tool names, formats, TTLs), so the fuzzer gets past the first check.
//!
//! ```json
//! {"model": "anthropic.claude-sonnet-4-5-20250929-v1:0",
//!  "messages": [{"role": "user", "content": [{"text": "Hi"}]}],
//!  "settings": {"maxTokens": 100, "reasoningBudget": 2048},
//!  "tools": [{"name": "get_weather", "inputSchemaJson": "{\"type\":\"object\"}"}],
//!  "toolChoice": "auto", "guardrail": null, "providerOptions": null}
//! ```
//!
//! Properties: an accepted request is a JSON object whose `messages` alternate user and
//! assistant starting with a user turn, with warnings of the documented codes only; a refusal
//! is `invalid-request` naming the request `field` at fault.

use arbitrary::Unstructured;
use bedrock_provider::api::{
    CachePoint, CitedText, ContentPart, Document, Effort, GenerateRequest, Guardrail, Image,
    InferenceSettings, JsonSchemaFormat, MediaSource, Message, Reasoning, ReasoningText,
    ResponseFormat, Role, S3Location, ToolCall, ToolChoice, ToolDefinition, ToolResult,
    ToolResultContent,
};
use bedrock_provider::converse::build_request;
use bedrock_provider::error::ErrorKind;
use serde::Deserialize;
use serde_json::Value;

use super::{Outcomes, near, word};

/// Warning codes `converse` documents.
const WARNING_CODES: [&str; 4] =
    ["setting-dropped", "setting-changed", "tool-choice-unsupported", "structured-output-tool"];

const EFFORTS: [Effort; 6] =
    [Effort::Minimal, Effort::Low, Effort::Medium, Effort::High, Effort::Xhigh, Effort::Max];

/// Response schemas: valid objects, a non-object root, an array with `maxItems`, not JSON.
const RESPONSE_SCHEMAS: &[&str] = &[
    r#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#,
    r#"{"type":"array","items":{"type":"string"}}"#,
    r#"{"type":"object","properties":{"tags":{"type":"array","maxItems":3}}}"#,
    "not json",
];

/// Runs the request properties on the request `data` stands for.
pub fn check(data: &[u8]) -> Outcomes {
    let (request, model) = match serde_json::from_slice::<MRequest>(data) {
        Ok(m) => {
            let model = m.model.clone().unwrap_or_else(|| MODELS[0].to_string());
            (m.into_api(), model)
        }
        Err(_) => match request(&mut Unstructured::new(data)) {
            Ok(built) => built,
            Err(_) => return Outcomes::default(),
        },
    };
    let mut out = Outcomes::default();
    let result = build_request(&request, &model);
    out.record(&result);
    match result {
        Ok(built) => {
            let body: Value = serde_json::from_slice(&built.body).unwrap_or(Value::Null);
            let Some(body) = body.as_object() else {
                panic!("body is not a JSON object: {}", String::from_utf8_lossy(&built.body));
            };
            let turns = body.get("messages").and_then(Value::as_array);
            let roles: Vec<&str> = turns
                .into_iter()
                .flatten()
                .map(|t| t.get("role").and_then(Value::as_str).unwrap_or_default())
                .collect();
            assert!(roles.first() == Some(&"user"), "roles {roles:?}");
            for pair in roles.windows(2) {
                assert_ne!(pair[0], pair[1], "roles {roles:?}");
                assert!(["user", "assistant"].contains(&pair[1]), "roles {roles:?}");
            }
            for w in &built.warnings {
                assert!(WARNING_CODES.contains(&w.code.as_str()), "{w:?}");
            }
            if let Some(tool) = &built.synthetic_tool {
                let tools = body.get("toolConfig").and_then(|t| t.get("tools"));
                let named =
                    |t: &Value| t.pointer("/toolSpec/name") == Some(&Value::from(tool.as_str()));
                assert!(tools.and_then(Value::as_array).is_some_and(|t| t.iter().any(named)));
                assert!(built.warnings.iter().any(|w| w.code == "structured-output-tool"));
            }
            if let Some(format) = body.get("outputConfig").and_then(|o| o.get("textFormat")) {
                let schema = format.pointer("/structure/jsonSchema/schema");
                assert!(schema.is_some_and(Value::is_string), "schema must be a string: {format}");
                assert!(built.native_schema.is_some() && built.synthetic_tool.is_none());
            }
        }
        Err(e) => {
            assert_eq!(e.kind, ErrorKind::InvalidRequest, "{e:?}");
            assert!(e.field.as_deref().is_some_and(|f| !f.is_empty()), "no field: {e:?}");
            assert!(!e.message.is_empty(), "{e:?}");
        }
    }
    out
}

// ---- Generated requests ----

const MODELS: &[&str] = &[
    "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "anthropic.claude-opus-4-6-v1",
    "anthropic.claude-3-7-sonnet-20250219-v1:0",
    "amazon.nova-2-lite-v1:0",
    "amazon.nova-lite-v1:0",
    "meta.llama3-70b-instruct-v1:0",
];
const TEXTS: &[&str] = &["Hi", "What is the weather in Paris?", " ", ""];
const IDS: &[&str] = &["tooluse_1", "call_2", "bad id", ""];
const TOOL_NAMES: &[&str] = &["get_weather", "search", "bad.name", ""];
const SCHEMAS: &[&str] = &[
    r#"{"type":"object","properties":{"city":{"type":"string"}}}"#,
    r#"{"type":"object"}"#,
    r#"{"type":"string"}"#,
    "[]",
    "{",
];
const INPUTS: &[&str] = &[r#"{"city":"Paris"}"#, "{}", "", "[1]", "{"];
const IMAGE_FORMATS: &[&str] = &["png", "jpeg", "gif", "webp", "bmp"];
const DOCUMENT_FORMATS: &[&str] = &["pdf", "txt", "md", "exe"];
const DOCUMENT_NAMES: &[&str] = &["Annual report (2024)", "report.pdf", "two  spaces", ""];
const S3_URIS: &[&str] = &["s3://bucket/key.png", "s3://", "https://bucket/key"];
const OWNERS: &[&str] = &["123456789012", "1234"];
const TTLS: &[&str] = &["5m", "1h", "1d"];
const OPTIONS: &[&str] = &[
    r#"{"additionalModelRequestFields":{"top_k":200}}"#,
    r#"{"additionalModelResponseFieldPaths":["/stop_sequence"]}"#,
    r#"{"performanceConfig":{"latency":"optimized"}}"#,
    r#"{"serviceTier":{"type":"flex"}}"#,
    r#"{"requestMetadata":{"tenant":"acme"}}"#,
    r#"{"additionalModelRequestFields":{"thinking":{"type":"enabled"}}}"#,
    r#"{"unknown":1}"#,
    "[]",
    "{",
];
const GUARDRAIL_IDS: &[&str] =
    &["1abcd2ef34gh", "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc", "Upper"];
const GUARDRAIL_VERSIONS: &[&str] = &["DRAFT", "1", "0"];
const TRACES: &[&str] = &["enabled", "disabled", "enabled_full", "on"];

fn request(u: &mut Unstructured) -> arbitrary::Result<(GenerateRequest, String)> {
    let model = word(u, MODELS)?;
    let mut messages = Vec::new();
    for _ in 0..u.int_in_range(0..=6)? {
        let role = *u.choose(&[Role::System, Role::User, Role::Assistant, Role::Tool])?;
        let mut content = Vec::new();
        for _ in 0..u.int_in_range(0..=3)? {
            content.push(part(u)?);
        }
        messages.push(Message { role, content });
    }
    let settings = InferenceSettings {
        max_tokens: opt(u, |u| Ok(*u.choose(&[0, 1, 1024, 5000, 20_000, u32::MAX])?))?,
        temperature: opt(u, |u| Ok(*u.choose(&[0.0, 0.2, 1.0, 1.5, f32::NAN])?))?,
        top_p: opt(u, |u| Ok(*u.choose(&[0.0, 0.9, -0.1])?))?,
        stop_sequences: (0..u.int_in_range(0..=2)?)
            .map(|_| word(u, &["\n\nHuman:", ""]))
            .collect::<arbitrary::Result<_>>()?,
        reasoning_budget: opt(u, |u| Ok(*u.choose(&[0, 1023, 1024, 4096, 16_384, u32::MAX])?))?,
        reasoning_effort: opt(u, |u| Ok(*u.choose(&EFFORTS)?))?,
    };
    let mut tools = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        tools.push(ToolDefinition {
            name: word(u, TOOL_NAMES)?,
            description: opt(u, |u| u.arbitrary())?,
            input_schema_json: word(u, SCHEMAS)?,
            cache_point: opt(u, cache_point)?,
        });
    }
    let tool_choice = opt(u, |u| {
        Ok(match u.int_in_range(0..=3)? {
            0 => ToolChoice::Auto,
            1 => ToolChoice::Required,
            2 => ToolChoice::None,
            _ => ToolChoice::Tool(word(u, TOOL_NAMES)?),
        })
    })?;
    let guardrail = opt(u, |u| {
        Ok(Guardrail {
            identifier: word(u, GUARDRAIL_IDS)?,
            version: word(u, GUARDRAIL_VERSIONS)?,
            trace: opt(u, |u| word(u, TRACES))?,
        })
    })?;
    let provider_options = opt(u, |u| {
        let o = word(u, OPTIONS)?;
        near(u, o)
    })?;
    let request = GenerateRequest {
        model: Some(model.clone()),
        messages,
        settings,
        tools,
        tool_choice,
        guardrail,
        response_format: opt(u, response_format)?,
        provider_options,
    };
    Ok((request, model))
}

fn opt<T>(
    u: &mut Unstructured,
    f: impl FnOnce(&mut Unstructured) -> arbitrary::Result<T>,
) -> arbitrary::Result<Option<T>> {
    if u.arbitrary()? { f(u).map(Some) } else { Ok(None) }
}

fn response_format(u: &mut Unstructured) -> arbitrary::Result<ResponseFormat> {
    Ok(match u.int_in_range(0..=2)? {
        0 => ResponseFormat::Text,
        1 => ResponseFormat::JsonObject,
        _ => ResponseFormat::JsonSchema(JsonSchemaFormat {
            name: word(u, &["answer", "weather_report", "bad name"])?,
            description: opt(u, |u| word(u, TEXTS))?,
            schema_json: word(u, RESPONSE_SCHEMAS)?,
            strict: u.arbitrary()?,
        }),
    })
}

fn cache_point(u: &mut Unstructured) -> arbitrary::Result<CachePoint> {
    Ok(CachePoint { ttl: opt(u, |u| word(u, TTLS))? })
}

fn media(u: &mut Unstructured) -> arbitrary::Result<MediaSource> {
    Ok(if u.ratio(3, 4)? {
        MediaSource::Bytes(u.arbitrary()?)
    } else {
        MediaSource::S3(S3Location {
            uri: word(u, S3_URIS)?,
            bucket_owner: opt(u, |u| word(u, OWNERS))?,
        })
    })
}

fn part(u: &mut Unstructured) -> arbitrary::Result<ContentPart> {
    Ok(match u.int_in_range(0..=9)? {
        0 | 1 => ContentPart::Text(word(u, TEXTS)?),
        2 => ContentPart::Image(Image { format: word(u, IMAGE_FORMATS)?, source: media(u)? }),
        3 => ContentPart::Document(Document {
            format: word(u, DOCUMENT_FORMATS)?,
            name: word(u, DOCUMENT_NAMES)?,
            source: media(u)?,
            citations: u.arbitrary()?,
        }),
        4 => ContentPart::ToolCall(ToolCall {
            id: word(u, IDS)?,
            name: word(u, TOOL_NAMES)?,
            input_json: word(u, INPUTS)?,
        }),
        5 => {
            let mut content = Vec::new();
            for _ in 0..u.int_in_range(0..=2)? {
                content.push(if u.arbitrary()? {
                    ToolResultContent::Text(word(u, TEXTS)?)
                } else {
                    ToolResultContent::Json(word(u, INPUTS)?)
                });
            }
            ContentPart::ToolResult(ToolResult {
                id: word(u, IDS)?,
                content,
                is_error: u.arbitrary()?,
            })
        }
        6 => ContentPart::Reasoning(if u.arbitrary()? {
            Reasoning::Text(ReasoningText {
                text: u.arbitrary()?,
                signature: opt(u, |u| u.arbitrary())?,
            })
        } else {
            Reasoning::Redacted(u.arbitrary()?)
        }),
        7 => {
            ContentPart::CitedText(CitedText { text: word(u, TEXTS)?, citations_json: "[]".into() })
        }
        _ => ContentPart::CachePoint(cache_point(u)?),
    })
}

// ---- The JSON mirror (readable seeds) ----

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MRequest {
    model: Option<String>,
    #[serde(default)]
    messages: Vec<MMessage>,
    #[serde(default)]
    settings: MSettings,
    #[serde(default)]
    tools: Vec<MTool>,
    tool_choice: Option<MToolChoice>,
    guardrail: Option<MGuardrail>,
    response_format: Option<MResponseFormat>,
    provider_options: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MMessage {
    role: MRole,
    content: Vec<MPart>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum MRole {
    System,
    User,
    Assistant,
    Tool,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MSettings {
    max_tokens: Option<u32>,
    temperature: Option<f32>,
    top_p: Option<f32>,
    #[serde(default)]
    stop_sequences: Vec<String>,
    reasoning_budget: Option<u32>,
    reasoning_effort: Option<MEffort>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "camelCase")]
enum MEffort {
    Minimal,
    Low,
    Medium,
    High,
    Xhigh,
    Max,
}

/// `"text"`, `"jsonObject"` or `{"jsonSchema": {"name", "description", "schemaJson", "strict"}}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum MResponseFormat {
    Text,
    JsonObject,
    JsonSchema(MJsonSchema),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MJsonSchema {
    name: String,
    description: Option<String>,
    schema_json: String,
    #[serde(default)]
    strict: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MTool {
    name: String,
    description: Option<String>,
    input_schema_json: String,
    cache_point: Option<MCachePoint>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum MToolChoice {
    Auto,
    Required,
    None,
    Tool(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MGuardrail {
    identifier: String,
    version: String,
    trace: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct MCachePoint {
    ttl: Option<String>,
}

/// Media: `{"bytes": "<text, sent as its UTF-8 bytes>"}` or `{"s3": {"uri", "bucketOwner"}}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum MMedia {
    Bytes(String),
    S3 {
        uri: String,
        #[serde(rename = "bucketOwner")]
        bucket_owner: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum MPart {
    Text(String),
    Image {
        format: String,
        source: MMedia,
    },
    Document {
        format: String,
        name: String,
        source: MMedia,
        #[serde(default)]
        citations: bool,
    },
    ToolCall {
        id: String,
        name: String,
        #[serde(rename = "inputJson")]
        input_json: String,
    },
    ToolResult {
        id: String,
        content: Vec<MToolResultContent>,
        #[serde(default, rename = "isError")]
        is_error: bool,
    },
    Reasoning {
        text: String,
        signature: Option<String>,
    },
    /// Redacted reasoning, as text sent as its UTF-8 bytes.
    RedactedReasoning(String),
    CitedText {
        text: String,
        #[serde(rename = "citationsJson")]
        citations_json: String,
    },
    CachePoint(MCachePoint),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum MToolResultContent {
    Text(String),
    Json(String),
}

impl MRequest {
    fn into_api(self) -> GenerateRequest {
        GenerateRequest {
            model: self.model,
            messages: self.messages.into_iter().map(MMessage::into_api).collect(),
            settings: InferenceSettings {
                max_tokens: self.settings.max_tokens,
                temperature: self.settings.temperature,
                top_p: self.settings.top_p,
                stop_sequences: self.settings.stop_sequences,
                reasoning_budget: self.settings.reasoning_budget,
                reasoning_effort: self.settings.reasoning_effort.map(|e| match e {
                    MEffort::Minimal => Effort::Minimal,
                    MEffort::Low => Effort::Low,
                    MEffort::Medium => Effort::Medium,
                    MEffort::High => Effort::High,
                    MEffort::Xhigh => Effort::Xhigh,
                    MEffort::Max => Effort::Max,
                }),
            },
            tools: self
                .tools
                .into_iter()
                .map(|t| ToolDefinition {
                    name: t.name,
                    description: t.description,
                    input_schema_json: t.input_schema_json,
                    cache_point: t.cache_point.map(|c| CachePoint { ttl: c.ttl }),
                })
                .collect(),
            tool_choice: self.tool_choice.map(|c| match c {
                MToolChoice::Auto => ToolChoice::Auto,
                MToolChoice::Required => ToolChoice::Required,
                MToolChoice::None => ToolChoice::None,
                MToolChoice::Tool(name) => ToolChoice::Tool(name),
            }),
            guardrail: self.guardrail.map(|g| Guardrail {
                identifier: g.identifier,
                version: g.version,
                trace: g.trace,
            }),
            response_format: self.response_format.map(|f| match f {
                MResponseFormat::Text => ResponseFormat::Text,
                MResponseFormat::JsonObject => ResponseFormat::JsonObject,
                MResponseFormat::JsonSchema(s) => ResponseFormat::JsonSchema(JsonSchemaFormat {
                    name: s.name,
                    description: s.description,
                    schema_json: s.schema_json,
                    strict: s.strict,
                }),
            }),
            provider_options: self.provider_options,
        }
    }
}

impl MMessage {
    fn into_api(self) -> Message {
        let role = match self.role {
            MRole::System => Role::System,
            MRole::User => Role::User,
            MRole::Assistant => Role::Assistant,
            MRole::Tool => Role::Tool,
        };
        Message { role, content: self.content.into_iter().map(MPart::into_api).collect() }
    }
}

impl MMedia {
    fn into_api(self) -> MediaSource {
        match self {
            MMedia::Bytes(text) => MediaSource::Bytes(text.into_bytes()),
            MMedia::S3 { uri, bucket_owner } => MediaSource::S3(S3Location { uri, bucket_owner }),
        }
    }
}

impl MPart {
    fn into_api(self) -> ContentPart {
        match self {
            MPart::Text(t) => ContentPart::Text(t),
            MPart::Image { format, source } => {
                ContentPart::Image(Image { format, source: source.into_api() })
            }
            MPart::Document { format, name, source, citations } => {
                ContentPart::Document(Document {
                    format,
                    name,
                    source: source.into_api(),
                    citations,
                })
            }
            MPart::ToolCall { id, name, input_json } => {
                ContentPart::ToolCall(ToolCall { id, name, input_json })
            }
            MPart::ToolResult { id, content, is_error } => ContentPart::ToolResult(ToolResult {
                id,
                content: content
                    .into_iter()
                    .map(|c| match c {
                        MToolResultContent::Text(t) => ToolResultContent::Text(t),
                        MToolResultContent::Json(j) => ToolResultContent::Json(j),
                    })
                    .collect(),
                is_error,
            }),
            MPart::Reasoning { text, signature } => {
                ContentPart::Reasoning(Reasoning::Text(ReasoningText { text, signature }))
            }
            MPart::RedactedReasoning(text) => {
                ContentPart::Reasoning(Reasoning::Redacted(text.into_bytes()))
            }
            MPart::CitedText { text, citations_json } => {
                ContentPart::CitedText(CitedText { text, citations_json })
            }
            MPart::CachePoint(c) => ContentPart::CachePoint(CachePoint { ttl: c.ttl }),
        }
    }
}

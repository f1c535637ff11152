//! `POST /v1/messages` (and `/v1/messages/count_tokens`) requests → [`GenerateRequest`].
//!
//! Block by block: `text`, `image` (base64), `document` (base64 PDF, plain text, or text
//! content blocks), `tool_use`, `tool_result` (text content), `thinking` and
//! `redacted_thinking` (signatures and data round-tripped unchanged), each optionally with
//! `cache_control`, which becomes a cache point after the block. `system` (a string or text
//! blocks) becomes a system message placed after the conversation, so the component's message
//! indices are the request's and errors name the request's own `messages[i]`. Server tools,
//! URL sources and MCP servers are refused: the gateway fetches nothing and runs no tools.
//! `top_k`, `metadata`, `service_tier` and `container` are ignored.

use std::collections::HashSet;

use base64::Engine as _;
use json_fields::{FieldError, Fields, index};
use serde_json::{Value, json};

use crate::serve::error::ApiError;
use crate::serve::openai::chat::image_from_base64;
use crate::serve::openai::parse_body;
use crate::serve::params::ParamMap;
use crate::types::{
    CachePoint, ContentPart, Document, Effort, GenerateRequest, JsonSchemaFormat, MediaSource,
    Message, Reasoning, ReasoningText, ResponseFormat, Role, ToolCall, ToolChoice, ToolDefinition,
    ToolResult, ToolResultContent,
};

/// A parsed Messages API body.
#[derive(Debug, Clone)]
pub struct MessagesCall {
    /// What goes to the component.
    pub request: GenerateRequest,
    /// `stream: true`.
    pub stream: bool,
    /// How the component's fields map back onto this request's (for error messages).
    pub params: ParamMap,
}

/// Maps a Messages API body to a [`GenerateRequest`]. `max_tokens`, which Anthropic
/// requires, is optional here: absent, the model's default applies (and count_tokens bodies
/// have none).
pub fn parse_messages(body: &[u8]) -> Result<MessagesCall, ApiError> {
    let value = parse_body(body)?;
    let f = Fields::of(&value, "")?;
    let mut params = ParamMap::default();
    for (component, client) in [
        ("model", "model"),
        ("languageModel", "model"),
        ("settings.maxTokens", "max_tokens"),
        ("settings.temperature", "temperature"),
        ("settings.topP", "top_p"),
        ("settings.reasoningBudget", "thinking.budget_tokens"),
        ("toolChoice", "tool_choice"),
        ("tools", "tools"),
    ] {
        params.exact(component, client);
    }
    params.tree("settings.stopSequences", "stop_sequences");
    params.tree("messages", "messages");

    let mut parts = Parts::default();
    let mut messages = Vec::new();
    for (i, m) in f.req_array("messages")?.iter().enumerate() {
        messages.push(parse_message(m, i, &mut params, &mut parts)?);
    }
    if let Some(system) = system_message(&f, messages.len(), &mut params)? {
        messages.push(system);
    }

    let mut request = GenerateRequest::new(messages);
    request.model = f.opt_str("model")?.filter(|m| !m.is_empty()).map(str::to_string);
    request.settings.max_tokens = f.opt_u32("max_tokens")?;
    request.settings.temperature = f.opt_f32("temperature")?;
    request.settings.top_p = f.opt_f32("top_p")?;
    if let Some(stops) = f.opt_array("stop_sequences")? {
        request.settings.stop_sequences = stops
            .iter()
            .enumerate()
            .map(|(k, s)| json_fields::as_str(s, &index("stop_sequences", k)).map(str::to_string))
            .collect::<Result<_, _>>()?;
    }
    if let Some(servers) = f.opt_array("mcp_servers")?
        && !servers.is_empty()
    {
        return Err(ApiError::unsupported(
            "mcp_servers",
            "MCP servers are not supported: the gateway connects to nothing but Amazon Bedrock.",
        ));
    }
    if let Some(tools) = f.opt_array("tools")? {
        for (k, tool) in tools.iter().enumerate() {
            request.tools.push(parse_tool(tool, k, &mut params)?);
        }
    }
    if let Some(choice) = f.opt_object("tool_choice")? {
        request.tool_choice = tool_choice(&choice)?;
    }

    let output_config = f.opt_object("output_config")?;
    let effort = match &output_config {
        Some(config) => effort(config)?,
        None => None,
    };
    params.exact("settings.reasoningEffort", "output_config.effort");
    if let Some(thinking) = f.opt_object("thinking")? {
        match thinking.req_str("type")? {
            "enabled" => {
                let budget = thinking.opt_u32("budget_tokens")?.ok_or_else(|| {
                    FieldError::new(
                        thinking.path_of("budget_tokens"),
                        json_fields::Problem::Missing,
                    )
                })?;
                request.settings.reasoning_budget = Some(budget);
            }
            // Claude decides how much to think; Anthropic's default effort is high.
            "adaptive" => {
                request.settings.reasoning_effort = Some(effort.unwrap_or(Effort::High));
                params.exact("settings.reasoningEffort", "thinking");
            }
            "disabled" => {}
            other => {
                return Err(ApiError::invalid_request(
                    thinking.path_of("type"),
                    format!(
                        "Unknown thinking type `{other}`; expected `enabled`, `adaptive` or \
                         `disabled`."
                    ),
                ));
            }
        }
    }
    if request.settings.reasoning_effort.is_none() {
        request.settings.reasoning_effort = effort;
    }

    // Structured outputs: `output_config.format`, or the beta's top-level `output_format`.
    let format = match &output_config {
        Some(config) if config.get("format").is_some() => Some(config.req_object("format")?),
        _ => f.opt_object("output_format")?,
    };
    if let Some(format) = format {
        params.exact("responseFormat", format.path());
        params.exact("responseFormat.name", format.path());
        params.tree("responseFormat.schema", format.path_of("schema"));
        request.response_format = Some(response_format(&format)?);
    }

    let stream = f.opt_bool("stream")?.unwrap_or(false);
    Ok(MessagesCall { request, stream, params })
}

/// Per-request state while reading blocks: document names must be unique.
#[derive(Default)]
struct Parts {
    document_names: HashSet<String>,
}

fn parse_message(
    value: &Value,
    i: usize,
    params: &mut ParamMap,
    parts: &mut Parts,
) -> Result<Message, ApiError> {
    let path = index("messages", i);
    let m = Fields::of(value, &path)?;
    params.exact(&path, &path);
    params.exact(format!("{path}.content"), m.path_of("content"));
    let role = match m.req_str("role")? {
        "user" => Role::User,
        "assistant" => Role::Assistant,
        other => {
            return Err(ApiError::invalid_request(
                m.path_of("role"),
                format!(
                    "Unknown role `{other}`; expected `user` or `assistant` (the system prompt \
                     is the top-level `system`)."
                ),
            ));
        }
    };
    let content_path = m.path_of("content");
    let content = match m.req("content")? {
        Value::String(text) => {
            params.exact(format!("{path}.content[0]"), &content_path);
            vec![ContentPart::Text(text.clone())]
        }
        Value::Array(blocks) => {
            let mut content = Vec::new();
            for (k, block) in blocks.iter().enumerate() {
                let block_path = index(&content_path, k);
                let b = Fields::of(block, &block_path)?;
                params.exact(format!("{path}.content[{}]", content.len()), &block_path);
                content.push(content_block(&b, role, parts)?);
                if let Some(cache) = cache_point(&b)? {
                    params.exact(
                        format!("{path}.content[{}]", content.len()),
                        b.path_of("cache_control"),
                    );
                    content.push(cache);
                }
            }
            content
        }
        other => {
            return Err(FieldError::wrong_type(
                content_path,
                other,
                "a string or an array of content blocks",
            )
            .into());
        }
    };
    Ok(Message { role, content })
}

/// The top-level `system` as a system message at component index `at`.
fn system_message(
    f: &Fields<'_>,
    at: usize,
    params: &mut ParamMap,
) -> Result<Option<Message>, ApiError> {
    let component = index("messages", at);
    params.exact(&component, "system");
    params.exact(format!("{component}.content"), "system");
    let content = match f.get("system") {
        None => return Ok(None),
        Some(Value::String(text)) if text.is_empty() => return Ok(None),
        Some(Value::String(text)) => vec![ContentPart::Text(text.clone())],
        Some(Value::Array(blocks)) => {
            let mut content = Vec::new();
            for (k, block) in blocks.iter().enumerate() {
                let b = Fields::of(block, index("system", k))?;
                params.exact(format!("{component}.content[{}]", content.len()), b.path());
                match b.req_str("type")? {
                    "text" => content.push(ContentPart::Text(b.req_str("text")?.to_string())),
                    other => {
                        return Err(ApiError::unsupported(
                            b.path_of("type"),
                            format!(
                                "System blocks of type `{other}` are not supported; send `text` blocks."
                            ),
                        ));
                    }
                }
                if let Some(cache) = cache_point(&b)? {
                    params.exact(
                        format!("{component}.content[{}]", content.len()),
                        b.path_of("cache_control"),
                    );
                    content.push(cache);
                }
            }
            if content.is_empty() {
                return Ok(None);
            }
            content
        }
        Some(other) => {
            return Err(FieldError::wrong_type(
                "system",
                other,
                "a string or an array of text blocks",
            )
            .into());
        }
    };
    Ok(Some(Message { role: Role::System, content }))
}

/// `cache_control: {"type": "ephemeral", "ttl"?: "5m" | "1h"}` → a cache point.
fn cache_point(b: &Fields<'_>) -> Result<Option<ContentPart>, ApiError> {
    let Some(cache) = b.opt_object("cache_control")? else { return Ok(None) };
    if cache.req_str("type")? != "ephemeral" {
        return Err(ApiError::invalid_request(
            cache.path_of("type"),
            "The only cache_control type is `ephemeral`.",
        ));
    }
    let ttl = cache.opt_str("ttl")?.map(str::to_string);
    Ok(Some(ContentPart::CachePoint(CachePoint { ttl })))
}

fn content_block(b: &Fields<'_>, role: Role, parts: &mut Parts) -> Result<ContentPart, ApiError> {
    match b.req_str("type")? {
        "text" => Ok(ContentPart::Text(b.req_str("text")?.to_string())),
        "image" => {
            let source = b.req_object("source")?;
            match source.req_str("type")? {
                "base64" => Ok(ContentPart::Image(image_from_base64(
                    source.req_str("media_type")?,
                    source.req_str("data")?,
                    &source.path_of("data"),
                )?)),
                other => Err(unsupported_source(&source, other)),
            }
        }
        "document" => document(b, parts),
        "tool_use" => {
            let input = match b.get("input") {
                None => json!({}),
                Some(input @ Value::Object(_)) => input.clone(),
                Some(other) => {
                    return Err(
                        FieldError::wrong_type(b.path_of("input"), other, "an object").into()
                    );
                }
            };
            Ok(ContentPart::ToolCall(ToolCall {
                id: b.req_str("id")?.to_string(),
                name: b.req_str("name")?.to_string(),
                input_json: input.to_string(),
            }))
        }
        "tool_result" => tool_result(b),
        "thinking" => Ok(ContentPart::Reasoning(Reasoning::Text(ReasoningText {
            text: b.req_str("thinking")?.to_string(),
            signature: b.opt_str("signature")?.filter(|s| !s.is_empty()).map(str::to_string),
        }))),
        "redacted_thinking" => {
            let data = b.req_str("data")?;
            let bytes = base64::engine::general_purpose::STANDARD.decode(data).map_err(|e| {
                ApiError::invalid_request(
                    b.path_of("data"),
                    format!("The redacted thinking data is not the base64 this gateway sent: {e}."),
                )
            })?;
            Ok(ContentPart::Reasoning(Reasoning::Redacted(bytes)))
        }
        other => {
            let why = if role == Role::Assistant && other.contains("tool") {
                " Server tools do not run behind this gateway."
            } else {
                ""
            };
            Err(ApiError::unsupported(
                b.path_of("type"),
                format!(
                    "Content blocks of type `{other}` are not supported; send text, image, \
                     document, tool_use, tool_result, thinking or redacted_thinking blocks.{why}"
                ),
            ))
        }
    }
}

fn unsupported_source(source: &Fields<'_>, kind: &str) -> ApiError {
    ApiError::unsupported(
        source.path_of("type"),
        format!(
            "Sources of type `{kind}` are not supported: send the data inline (`base64`); the \
             gateway does not fetch URLs or files."
        ),
    )
}

/// A document block: base64 (PDF and other formats by media type), `text`, or `content`
/// (text blocks), named after its `title` in the characters Bedrock accepts.
fn document(b: &Fields<'_>, parts: &mut Parts) -> Result<ContentPart, ApiError> {
    let source = b.req_object("source")?;
    let (format, bytes) = match source.req_str("type")? {
        "base64" => {
            let media_type = source.req_str("media_type")?;
            let format = document_format(media_type).ok_or_else(|| {
                ApiError::unsupported(
                    source.path_of("media_type"),
                    format!(
                        "Documents of type `{media_type}` are not supported; send PDF, CSV, \
                         Word, Excel, HTML, plain text or Markdown."
                    ),
                )
            })?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(source.req_str("data")?.trim())
                .map_err(|e| {
                    ApiError::invalid_request(
                        source.path_of("data"),
                        format!("The document data is not valid base64: {e}."),
                    )
                })?;
            (format, bytes)
        }
        "text" => ("txt", source.req_str("data")?.as_bytes().to_vec()),
        "content" => {
            let mut texts = Vec::new();
            let content_path = source.path_of("content");
            match source.req("content")? {
                Value::String(text) => texts.push(text.as_str()),
                Value::Array(blocks) => {
                    for (k, block) in blocks.iter().enumerate() {
                        let c = Fields::of(block, index(&content_path, k))?;
                        if c.req_str("type")? != "text" {
                            return Err(ApiError::unsupported(
                                c.path_of("type"),
                                "Only text blocks are supported in document content.",
                            ));
                        }
                        texts.push(c.req_str("text")?);
                    }
                }
                other => {
                    return Err(FieldError::wrong_type(
                        content_path,
                        other,
                        "a string or an array of text blocks",
                    )
                    .into());
                }
            }
            ("txt", texts.join("\n").into_bytes())
        }
        other => return Err(unsupported_source(&source, other)),
    };
    let n = parts.document_names.len() + 1;
    let mut name = document_name(b.opt_str("title")?.unwrap_or_default());
    if name.is_empty() {
        name = format!("document-{n}");
    }
    if !parts.document_names.insert(name.clone()) {
        name = format!("{name} ({n})");
        parts.document_names.insert(name.clone());
    }
    let citations = match b.opt_object("citations")? {
        Some(c) => c.opt_bool("enabled")?.unwrap_or(false),
        None => false,
    };
    Ok(ContentPart::Document(Document {
        format: format.to_string(),
        name,
        source: MediaSource::Bytes(bytes),
        citations,
    }))
}

/// Bedrock's document format for a media type.
fn document_format(media_type: &str) -> Option<&'static str> {
    Some(match media_type.to_ascii_lowercase().as_str() {
        "application/pdf" => "pdf",
        "text/plain" => "txt",
        "text/csv" => "csv",
        "text/html" => "html",
        "text/markdown" => "md",
        "application/msword" => "doc",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "application/vnd.ms-excel" => "xls",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        _ => return None,
    })
}

/// A title in the characters Bedrock allows in document names (letters, digits, single
/// spaces, hyphens, parentheses, square brackets), at most 200 of them; Anthropic allows any.
fn document_name(title: &str) -> String {
    let mapped: String = title
        .chars()
        .map(|c| if c.is_alphanumeric() || "-()[]".contains(c) { c } else { ' ' })
        .collect();
    let name = mapped.split_whitespace().collect::<Vec<_>>().join(" ");
    name.chars().take(200).collect::<String>().trim_end().to_string()
}

fn tool_result(b: &Fields<'_>) -> Result<ContentPart, ApiError> {
    let id = b.req_str("tool_use_id")?;
    let content = match b.get("content") {
        None => vec![ToolResultContent::Text(String::new())],
        Some(Value::String(text)) => vec![ToolResultContent::Text(text.clone())],
        Some(Value::Array(blocks)) => {
            let content_path = b.path_of("content");
            let mut content = Vec::with_capacity(blocks.len());
            for (k, block) in blocks.iter().enumerate() {
                let c = Fields::of(block, index(&content_path, k))?;
                match c.req_str("type")? {
                    "text" => content.push(ToolResultContent::Text(c.req_str("text")?.to_string())),
                    other => {
                        return Err(ApiError::unsupported(
                            c.path_of("type"),
                            format!(
                                "Tool results with `{other}` blocks are not supported; send the \
                                 result as text."
                            ),
                        ));
                    }
                }
            }
            content
        }
        Some(other) => {
            return Err(FieldError::wrong_type(
                b.path_of("content"),
                other,
                "a string or an array of content blocks",
            )
            .into());
        }
    };
    Ok(ContentPart::ToolResult(ToolResult {
        id: id.to_string(),
        content,
        is_error: b.opt_bool("is_error")?.unwrap_or(false),
    }))
}

fn parse_tool(value: &Value, k: usize, params: &mut ParamMap) -> Result<ToolDefinition, ApiError> {
    let path = index("tools", k);
    let t = Fields::of(value, &path)?;
    if let Some(kind) = t.opt_str("type")?
        && kind != "custom"
    {
        return Err(ApiError::unsupported(
            t.path_of("type"),
            format!(
                "Tools of type `{kind}` (Anthropic's server or client tools) are not supported; \
                 define custom tools with a name and an input_schema."
            ),
        ));
    }
    params.exact(&path, &path);
    params.exact(format!("{path}.name"), t.path_of("name"));
    params.exact(format!("{path}.description"), t.path_of("description"));
    params.exact(format!("{path}.inputSchemaJson"), t.path_of("input_schema"));
    params.exact(format!("{path}.cachePoint"), t.path_of("cache_control"));
    let schema = match t.req("input_schema")? {
        schema @ Value::Object(_) => schema,
        other => {
            return Err(FieldError::wrong_type(
                t.path_of("input_schema"),
                other,
                "a JSON Schema object",
            )
            .into());
        }
    };
    let cache_point = match cache_point(&t)? {
        Some(ContentPart::CachePoint(cp)) => Some(cp),
        _ => None,
    };
    Ok(ToolDefinition {
        name: t.req_str("name")?.to_string(),
        description: t.opt_str("description")?.map(str::to_string),
        input_schema_json: schema.to_string(),
        cache_point,
    })
}

/// `{"type": "auto" | "any" | "tool" | "none", "name"?}`; `disable_parallel_tool_use` has no
/// Bedrock counterpart and is ignored.
fn tool_choice(c: &Fields<'_>) -> Result<Option<ToolChoice>, ApiError> {
    Ok(Some(match c.req_str("type")? {
        "auto" => ToolChoice::Auto,
        "any" => ToolChoice::Required,
        "none" => ToolChoice::None,
        "tool" => ToolChoice::Tool(c.req_str("name")?.to_string()),
        other => {
            return Err(ApiError::invalid_request(
                c.path_of("type"),
                format!(
                    "Unknown tool_choice type `{other}`; expected `auto`, `any`, `tool` or `none`."
                ),
            ));
        }
    }))
}

/// `output_config.effort`: Anthropic's `low`, `medium`, `high` and `max`.
fn effort(config: &Fields<'_>) -> Result<Option<Effort>, ApiError> {
    let Some(level) = config.opt_str("effort")? else { return Ok(None) };
    Ok(Some(match level {
        "minimal" => Effort::Minimal,
        "low" => Effort::Low,
        "medium" => Effort::Medium,
        "high" => Effort::High,
        "xhigh" => Effort::Xhigh,
        "max" => Effort::Max,
        other => {
            return Err(ApiError::invalid_request(
                config.path_of("effort"),
                format!("Unknown effort `{other}`; expected `low`, `medium`, `high` or `max`."),
            ));
        }
    }))
}

/// `{"type": "json_schema", "schema": {...}}`: Anthropic's structured outputs, always strict.
fn response_format(format: &Fields<'_>) -> Result<ResponseFormat, ApiError> {
    match format.req_str("type")? {
        "json_schema" => {
            let schema = format.req("schema")?;
            if !schema.is_object() {
                return Err(FieldError::wrong_type(
                    format.path_of("schema"),
                    schema,
                    "a JSON Schema object",
                )
                .into());
            }
            Ok(ResponseFormat::JsonSchema(JsonSchemaFormat {
                name: format.opt_str("name")?.unwrap_or("response").to_string(),
                description: format.opt_str("description")?.map(str::to_string),
                schema_json: schema.to_string(),
                strict: true,
            }))
        }
        other => Err(ApiError::unsupported(
            format.path_of("type"),
            format!("Unknown output format `{other}`; expected `json_schema`."),
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(v: Value) -> Result<MessagesCall, ApiError> {
        parse_messages(v.to_string().as_bytes())
    }

    #[test]
    fn a_full_request_maps_block_by_block() {
        let png = base64::engine::general_purpose::STANDARD.encode(b"\x89PNG");
        let pdf = base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.4");
        let redacted = base64::engine::general_purpose::STANDARD.encode(b"\x01\x02");
        let call = parse(json!({
            "model": "amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "max_tokens": 1024,
            "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
            "messages": [
                {"role": "user", "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}},
                    {"type": "document", "title": "Report: Q1/2025!", "citations": {"enabled": true},
                     "source": {"type": "base64", "media_type": "application/pdf", "data": pdf},
                     "cache_control": {"type": "ephemeral", "ttl": "1h"}},
                ]},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "hmm", "signature": "sig-1"},
                    {"type": "redacted_thinking", "data": redacted},
                    {"type": "text", "text": "Let me look."},
                    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "sunny"}], "is_error": false},
                    {"type": "text", "text": "And tomorrow?"},
                ]},
            ],
            "tools": [{"name": "get_weather", "description": "Weather",
                       "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
                       "cache_control": {"type": "ephemeral"}}],
            "tool_choice": {"type": "any", "disable_parallel_tool_use": true},
            "stop_sequences": ["END"],
            "temperature": 0.5,
            "top_p": 0.9,
            "top_k": 5,
            "thinking": {"type": "enabled", "budget_tokens": 2048},
            "metadata": {"user_id": "u"},
            "stream": true,
        }))
        .unwrap();
        assert!(call.stream);
        let r = &call.request;
        assert_eq!(
            r.model.as_deref(),
            Some("amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0")
        );
        assert_eq!(r.settings.max_tokens, Some(1024));
        assert_eq!(r.settings.temperature, Some(0.5));
        assert_eq!(r.settings.top_p, Some(0.9));
        assert_eq!(r.settings.stop_sequences, ["END"]);
        assert_eq!(r.settings.reasoning_budget, Some(2048));
        assert_eq!(r.messages.len(), 4, "three turns and the system prompt after them");
        let user = &r.messages[0].content;
        assert!(matches!(&user[0], ContentPart::Text(t) if t == "What is this?"));
        assert!(matches!(&user[1], ContentPart::Image(i) if i.format == "png"));
        match &user[2] {
            ContentPart::Document(d) => {
                assert_eq!((d.format.as_str(), d.name.as_str()), ("pdf", "Report Q1 2025"));
                assert!(d.citations);
                assert!(matches!(&d.source, MediaSource::Bytes(b) if b == b"%PDF-1.4"));
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(&user[3], ContentPart::CachePoint(CachePoint { ttl: Some(t) }) if t == "1h")
        );
        let assistant = &r.messages[1].content;
        assert!(
            matches!(&assistant[0], ContentPart::Reasoning(Reasoning::Text(t)) if t.text == "hmm" && t.signature.as_deref() == Some("sig-1"))
        );
        assert!(
            matches!(&assistant[1], ContentPart::Reasoning(Reasoning::Redacted(b)) if b == &[1, 2])
        );
        assert!(
            matches!(&assistant[3], ContentPart::ToolCall(c) if c.id == "toolu_1" && c.input_json == r#"{"city":"Paris"}"#)
        );
        match &r.messages[2].content[0] {
            ContentPart::ToolResult(t) => {
                assert_eq!(t.id, "toolu_1");
                assert!(matches!(&t.content[..], [ToolResultContent::Text(s)] if s == "sunny"));
                assert!(!t.is_error);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(r.messages[2].role, Role::User), "tool results stay in the user turn");
        let system = &r.messages[3];
        assert!(matches!(system.role, Role::System));
        assert!(
            matches!(&system.content[..], [ContentPart::Text(t), ContentPart::CachePoint(_)] if t == "Be brief.")
        );
        assert!(r.tools[0].cache_point.is_some());
        assert!(matches!(r.tool_choice, Some(ToolChoice::Required)));

        let p = &call.params;
        for (field, want) in [
            ("messages[0].content[2].name", "messages[0].content[2]"),
            ("messages[0].content[3]", "messages[0].content[2].cache_control"),
            ("messages[1].content[3]", "messages[1].content[3]"),
            ("messages[3].content[0]", "system[0]"),
            ("messages[3].content[1]", "system[0].cache_control"),
            ("settings.maxTokens", "max_tokens"),
            ("settings.stopSequences[0]", "stop_sequences[0]"),
            ("settings.reasoningBudget", "thinking.budget_tokens"),
            ("tools[0].inputSchemaJson", "tools[0].input_schema"),
            ("toolChoice", "tool_choice"),
        ] {
            assert_eq!(p.translate(field).as_deref(), Some(want), "{field}");
        }
    }

    #[test]
    fn strings_defaults_and_variants() {
        let call = parse(json!({"model": "", "system": "Be brief.",
            "messages": [{"role": "user", "content": "hi"}],
            "tool_choice": {"type": "tool", "name": "f"},
            "tools": [{"type": "custom", "name": "f", "input_schema": {"type": "object"}}],
            "thinking": {"type": "adaptive"}, "output_config": {"effort": "low"}}))
        .unwrap();
        let r = &call.request;
        assert_eq!(r.model, None);
        assert!(!call.stream);
        assert_eq!(r.settings.max_tokens, None);
        assert!(matches!(&r.messages[1].content[..], [ContentPart::Text(t)] if t == "Be brief."));
        assert_eq!(call.params.translate("messages[1].content[0]").as_deref(), Some("system"));
        assert_eq!(
            call.params.translate("messages[0].content[0]").as_deref(),
            Some("messages[0].content")
        );
        assert!(matches!(&r.tool_choice, Some(ToolChoice::Tool(n)) if n == "f"));
        assert_eq!(r.settings.reasoning_effort, Some(Effort::Low));
        for (choice, want) in [("auto", ToolChoice::Auto), ("none", ToolChoice::None)] {
            let call = parse(json!({"messages": [{"role": "user", "content": "x"}],
                                    "tool_choice": {"type": choice}}))
            .unwrap();
            assert_eq!(format!("{:?}", call.request.tool_choice), format!("{:?}", Some(want)));
        }
        // Text documents, and structured output through either field.
        let call = parse(json!({"messages": [{"role": "user", "content": [
            {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "notes"}},
            {"type": "document", "source": {"type": "content", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}},
            {"type": "text", "text": "Summarise."}]}],
            "output_format": {"type": "json_schema", "schema": {"type": "object"}}}))
        .unwrap();
        let docs: Vec<(&str, &[u8])> = call.request.messages[0]
            .content
            .iter()
            .filter_map(|p| match p {
                ContentPart::Document(d) => match &d.source {
                    MediaSource::Bytes(b) => Some((d.name.as_str(), b.as_slice())),
                    MediaSource::S3(_) => None,
                },
                _ => None,
            })
            .collect();
        assert_eq!(docs, [("document-1", &b"notes"[..]), ("document-2", &b"a\nb"[..])]);
        assert!(
            matches!(&call.request.response_format, Some(ResponseFormat::JsonSchema(s)) if s.strict)
        );
        assert_eq!(
            call.params.translate("responseFormat.schema.properties.x.maxItems").as_deref(),
            Some("output_format.schema.properties.x.maxItems")
        );
        let call = parse(json!({"messages": [{"role": "user", "content": "x"}],
            "output_config": {"format": {"type": "json_schema", "schema": {"type": "object"}}}}))
        .unwrap();
        assert!(call.request.response_format.is_some());
        assert_eq!(
            call.params.translate("responseFormat").as_deref(),
            Some("output_config.format")
        );
    }

    #[test]
    fn document_names_follow_bedrocks_rules() {
        assert_eq!(document_name("  a__b  c!!d (v2) [x]-y "), "a b c d (v2) [x]-y");
        assert_eq!(document_name("***"), "");
        assert_eq!(document_name(&"x".repeat(300)).len(), 200);
        let call = parse(json!({"messages": [{"role": "user", "content": [
            {"type": "document", "title": "Same", "source": {"type": "text", "media_type": "text/plain", "data": "1"}},
            {"type": "document", "title": "Same", "source": {"type": "text", "media_type": "text/plain", "data": "2"}},
            {"type": "text", "text": "x"}]}]}))
        .unwrap();
        let names: Vec<&str> = call.request.messages[0]
            .content
            .iter()
            .filter_map(|p| match p {
                ContentPart::Document(d) => Some(d.name.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(names, ["Same", "Same (2)"]);
    }

    #[test]
    fn bad_fields_are_named() {
        let user = json!({"role": "user", "content": "x"});
        let rows = [
            (json!({}), "messages", "invalid-request"),
            (
                json!({"messages": [{"role": "system", "content": "x"}]}),
                "messages[0].role",
                "invalid-request",
            ),
            (json!({"messages": [{"role": "user"}]}), "messages[0].content", "invalid-request"),
            (
                json!({"messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "url", "url": "https://x"}}]}]}),
                "messages[0].content[0].source.type",
                "unsupported",
            ),
            (
                json!({"messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/tiff", "data": "AA=="}}]}]}),
                "messages[0].content[0].source.data",
                "unsupported",
            ),
            (
                json!({"messages": [{"role": "user", "content": [{"type": "document", "source": {"type": "base64", "media_type": "application/zip", "data": "AA=="}}]}]}),
                "messages[0].content[0].source.media_type",
                "unsupported",
            ),
            (
                json!({"messages": [{"role": "user", "content": [{"type": "server_tool_use"}]}]}),
                "messages[0].content[0].type",
                "unsupported",
            ),
            (
                json!({"messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": [{"type": "image"}]}]}]}),
                "messages[0].content[0].content[0].type",
                "unsupported",
            ),
            (
                json!({"messages": [{"role": "user", "content": [{"type": "text", "text": "x", "cache_control": {"type": "forever"}}]}]}),
                "messages[0].content[0].cache_control.type",
                "invalid-request",
            ),
            (
                json!({"messages": [{"role": "assistant", "content": [{"type": "redacted_thinking", "data": "@@"}]}]}),
                "messages[0].content[0].data",
                "invalid-request",
            ),
            (json!({"messages": [user.clone()], "system": 3}), "system", "invalid-request"),
            (
                json!({"messages": [user.clone()], "system": [{"type": "image"}]}),
                "system[0].type",
                "unsupported",
            ),
            (
                json!({"messages": [user.clone()], "tools": [{"type": "web_search_20250305", "name": "web_search"}]}),
                "tools[0].type",
                "unsupported",
            ),
            (
                json!({"messages": [user.clone()], "tools": [{"name": "f"}]}),
                "tools[0].input_schema",
                "invalid-request",
            ),
            (
                json!({"messages": [user.clone()], "tool_choice": {"type": "tool"}}),
                "tool_choice.name",
                "invalid-request",
            ),
            (
                json!({"messages": [user.clone()], "tool_choice": {"type": "some"}}),
                "tool_choice.type",
                "invalid-request",
            ),
            (
                json!({"messages": [user.clone()], "thinking": {"type": "enabled"}}),
                "thinking.budget_tokens",
                "invalid-request",
            ),
            (
                json!({"messages": [user.clone()], "thinking": {"type": "maybe"}}),
                "thinking.type",
                "invalid-request",
            ),
            (
                json!({"messages": [user.clone()], "output_config": {"effort": "huge"}}),
                "output_config.effort",
                "invalid-request",
            ),
            (
                json!({"messages": [user.clone()], "mcp_servers": [{"url": "https://x"}]}),
                "mcp_servers",
                "unsupported",
            ),
            (
                json!({"messages": [user.clone()], "max_tokens": "10"}),
                "max_tokens",
                "invalid-request",
            ),
            (
                json!({"messages": [user], "stop_sequences": [1]}),
                "stop_sequences[0]",
                "invalid-request",
            ),
        ];
        for (body, param, kind) in rows {
            let e = parse(body.clone()).unwrap_err();
            assert_eq!((e.param.as_deref(), e.kind.as_str()), (Some(param), kind), "{body}");
        }
    }
}

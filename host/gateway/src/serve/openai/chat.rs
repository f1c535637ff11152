//! `POST /v1/chat/completions`: the request → [`GenerateRequest`], the answer →
//! `chat.completion`.

use base64::Engine as _;
use json_fields::{Fields, index};
use serde_json::{Value, json};

use super::{finish_reason, model_field, parse_body, tool_call_json, usage_json};
use crate::serve::error::ApiError;
use crate::serve::params::ParamMap;
use crate::types::{
    ContentPart, Effort, GenerateRequest, GenerateResponse, Image, JsonSchemaFormat, MediaSource,
    Message, Reasoning, ResponseFormat, Role, ToolCall, ToolChoice, ToolDefinition, ToolResult,
    ToolResultContent,
};

/// A parsed `POST /v1/chat/completions` body.
#[derive(Debug, Clone)]
pub struct ChatCall {
    /// What goes to the component.
    pub request: GenerateRequest,
    /// `stream: true`.
    pub stream: bool,
    /// `stream_options.include_usage: true`.
    pub include_usage: bool,
    /// How the component's fields map back onto this request's (for `param`).
    pub params: ParamMap,
}

/// Maps an OpenAI chat-completions body to a [`GenerateRequest`].
pub fn parse_chat(body: &[u8]) -> Result<ChatCall, ApiError> {
    let value = parse_body(body)?;
    let f = Fields::of(&value, "")?;
    let mut params = ParamMap::default();
    params.exact("model", "model");
    params.exact("languageModel", "model");
    let model = model_field(&f)?;

    params.tree("messages", "messages");
    let messages = f
        .req_array("messages")?
        .iter()
        .enumerate()
        .map(|(i, m)| parse_message(m, i, &mut params))
        .collect::<Result<Vec<_>, _>>()?;

    if let Some(n) = f.opt_u32("n")?
        && n != 1
    {
        return Err(ApiError::unsupported(
            "n",
            "Only one choice per request is supported (`n` must be 1).",
        ));
    }
    if f.opt_bool("logprobs")? == Some(true) {
        return Err(ApiError::unsupported(
            "logprobs",
            "Amazon Bedrock does not return log probabilities.",
        ));
    }

    let mut request = GenerateRequest::new(messages);
    request.model = model;
    let max_key = if f.get("max_completion_tokens").is_some() || f.get("max_tokens").is_none() {
        "max_completion_tokens"
    } else {
        "max_tokens"
    };
    request.settings.max_tokens = f.opt_u32(max_key)?;
    params.exact("settings.maxTokens", max_key);
    request.settings.temperature = f.opt_f32("temperature")?;
    params.exact("settings.temperature", "temperature");
    request.settings.top_p = f.opt_f32("top_p")?;
    params.exact("settings.topP", "top_p");
    request.settings.stop_sequences = match f.get("stop") {
        None => Vec::new(),
        Some(Value::String(s)) => {
            params.exact("settings.stopSequences", "stop");
            vec![s.clone()]
        }
        Some(Value::Array(items)) => {
            params.tree("settings.stopSequences", "stop");
            items
                .iter()
                .enumerate()
                .map(|(i, s)| json_fields::as_str(s, &index("stop", i)).map(str::to_string))
                .collect::<Result<_, _>>()?
        }
        Some(other) => {
            return Err(json_fields::FieldError::wrong_type(
                "stop",
                other,
                "a string or an array of strings",
            )
            .into());
        }
    };
    request.settings.reasoning_effort = reasoning_effort(&f)?;
    params.exact("settings.reasoningEffort", "reasoning_effort");
    params.exact("settings.reasoningBudget", "reasoning_effort");

    params.exact("tools", "tools");
    if let Some(tools) = f.opt_array("tools")? {
        for (k, tool) in tools.iter().enumerate() {
            request.tools.push(parse_tool(tool, k, &mut params)?);
        }
    }
    params.exact("toolChoice", "tool_choice");
    request.tool_choice = match f.get("tool_choice") {
        None => None,
        Some(v) => Some(parse_tool_choice(v)?),
    };
    if f.get("function_call").is_some() || f.get("functions").is_some() {
        let key = if f.get("functions").is_some() { "functions" } else { "function_call" };
        return Err(ApiError::unsupported(
            key,
            "The legacy `functions` and `function_call` are not supported; use `tools` and \
             `tool_choice`.",
        ));
    }
    params.exact("responseFormat", "response_format");
    params.exact("responseFormat.name", "response_format.json_schema.name");
    params.tree("responseFormat.schema", "response_format.json_schema.schema");
    request.response_format = response_format(&f)?;

    let stream = f.opt_bool("stream")?.unwrap_or(false);
    let include_usage = match f.opt_object("stream_options")? {
        Some(options) => options.opt_bool("include_usage")?.unwrap_or(false),
        None => false,
    };
    Ok(ChatCall { request, stream, include_usage, params })
}

/// OpenAI's `reasoning_effort`; its `none` means no reasoning, the contract's absent effort.
fn reasoning_effort(f: &Fields<'_>) -> Result<Option<Effort>, ApiError> {
    let Some(effort) = f.opt_str("reasoning_effort")? else { return Ok(None) };
    Ok(Some(match effort {
        "none" => return Ok(None),
        "minimal" => Effort::Minimal,
        "low" => Effort::Low,
        "medium" => Effort::Medium,
        "high" => Effort::High,
        "xhigh" => Effort::Xhigh,
        // Not an OpenAI level, but the contract's top one.
        "max" => Effort::Max,
        other => {
            return Err(ApiError::invalid_request(
                "reasoning_effort",
                format!(
                    "Unknown reasoning_effort `{other}`; expected `none`, `minimal`, `low`, \
                     `medium`, `high` or `xhigh`."
                ),
            ));
        }
    }))
}

/// `response_format`: `text`, `json_object`, or `json_schema` with `name`, `description`,
/// `schema` and `strict`.
fn response_format(f: &Fields<'_>) -> Result<Option<ResponseFormat>, ApiError> {
    let Some(format) = f.opt_object("response_format")? else { return Ok(None) };
    match format.req_str("type")? {
        "text" => Ok(None),
        "json_object" => Ok(Some(ResponseFormat::JsonObject)),
        "json_schema" => {
            let spec = format.req_object("json_schema")?;
            let schema = spec.req("schema")?;
            if !schema.is_object() {
                return Err(json_fields::FieldError::wrong_type(
                    spec.path_of("schema"),
                    schema,
                    "a JSON Schema object",
                )
                .into());
            }
            Ok(Some(ResponseFormat::JsonSchema(JsonSchemaFormat {
                name: spec.req_str("name")?.to_string(),
                description: spec.opt_str("description")?.map(str::to_string),
                schema_json: schema.to_string(),
                strict: spec.opt_bool("strict")?.unwrap_or(false),
            })))
        }
        other => Err(ApiError::unsupported(
            "response_format.type",
            format!(
                "Unknown response_format type `{other}`; expected `text`, `json_object` or \
                 `json_schema`."
            ),
        )),
    }
}

fn parse_message(value: &Value, i: usize, params: &mut ParamMap) -> Result<Message, ApiError> {
    let path = index("messages", i);
    let m = Fields::of(value, &path)?;
    params.exact(&path, &path);
    params.exact(format!("{path}.content"), m.path_of("content"));
    let content_path = m.path_of("content");
    // The component's first part is the whole `content` for string content.
    let whole = |params: &mut ParamMap| {
        params.exact(format!("{path}.content[0]"), &content_path);
    };
    let role = m.req_str("role")?;
    let content = m.get("content");
    match role {
        "system" | "developer" => {
            whole(params);
            let text = text_content(content, &content_path)?;
            Ok(Message { role: Role::System, content: vec![ContentPart::Text(text)] })
        }
        "user" => {
            let content = m.req("content")?;
            if content.is_string() {
                whole(params);
            }
            let parts = user_content(content, &content_path)?;
            if content.is_array() {
                for j in 0..parts.len() {
                    params.exact(format!("{path}.content[{j}]"), index(&content_path, j));
                }
            }
            Ok(Message { role: Role::User, content: parts })
        }
        "assistant" => {
            let mut parts = Vec::new();
            if content.is_some() {
                let text = text_content(content, &content_path)?;
                if !text.is_empty() {
                    whole(params);
                    parts.push(ContentPart::Text(text));
                }
            }
            if let Some(calls) = m.opt_array("tool_calls")? {
                let calls_path = m.path_of("tool_calls");
                for (k, call) in calls.iter().enumerate() {
                    params.exact(format!("{path}.content[{}]", parts.len()), index(&calls_path, k));
                    parts.push(parse_tool_call(call, &index(&calls_path, k))?);
                }
            }
            if m.get("function_call").is_some() {
                return Err(ApiError::unsupported(
                    m.path_of("function_call"),
                    "The legacy `function_call` is not supported; use `tool_calls`.",
                ));
            }
            Ok(Message { role: Role::Assistant, content: parts })
        }
        "tool" => {
            let id = m.req_str("tool_call_id")?;
            whole(params);
            let text = text_content(content, &content_path)?;
            let result = ToolResult {
                id: id.to_string(),
                content: vec![ToolResultContent::Text(text)],
                is_error: false,
            };
            Ok(Message { role: Role::Tool, content: vec![ContentPart::ToolResult(result)] })
        }
        "function" => Err(ApiError::unsupported(
            m.path_of("role"),
            "The legacy `function` role is not supported; use `tool` messages.",
        )),
        other => Err(ApiError::invalid_request(
            m.path_of("role"),
            format!(
                "Unknown role `{other}`; expected `system`, `developer`, `user`, `assistant` or \
                 `tool`."
            ),
        )),
    }
}

/// A string, or an array of `{"type": "text"}` parts joined with newlines.
fn text_content(content: Option<&Value>, path: &str) -> Result<String, ApiError> {
    match content {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Array(parts)) => {
            let mut texts = Vec::new();
            for (i, part) in parts.iter().enumerate() {
                let p = Fields::of(part, index(path, i))?;
                match p.opt_str("type")? {
                    Some("text") => texts.push(p.req_str("text")?),
                    // An assistant's refusal is what it said.
                    Some("refusal") => texts.push(p.req_str("refusal")?),
                    _ => {
                        return Err(ApiError::unsupported(
                            p.path_of("type"),
                            "Only text parts are allowed in this message.",
                        ));
                    }
                }
            }
            Ok(texts.join("\n"))
        }
        Some(other) => Err(json_fields::FieldError::wrong_type(
            path,
            other,
            "a string or an array of content parts",
        )
        .into()),
    }
}

fn user_content(content: &Value, path: &str) -> Result<Vec<ContentPart>, ApiError> {
    let parts = match content {
        Value::String(s) => return Ok(vec![ContentPart::Text(s.clone())]),
        Value::Array(parts) => parts,
        other => {
            return Err(json_fields::FieldError::wrong_type(
                path,
                other,
                "a string or an array of content parts",
            )
            .into());
        }
    };
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let p = Fields::of(part, index(path, i))?;
            match p.req_str("type")? {
                "text" => Ok(ContentPart::Text(p.req_str("text")?.to_string())),
                "image_url" => {
                    let url_path = format!("{}.image_url.url", p.path());
                    let url = match p.req("image_url")? {
                        Value::String(url) => url.as_str(),
                        Value::Object(_) => p.req_object("image_url")?.req_str("url")?,
                        other => {
                            return Err(json_fields::FieldError::wrong_type(
                                p.path_of("image_url"),
                                other,
                                "an object with a `url`",
                            )
                            .into());
                        }
                    };
                    Ok(ContentPart::Image(image_from_data_url(url, &url_path)?))
                }
                other => Err(ApiError::unsupported(
                    p.path_of("type"),
                    format!(
                        "Content parts of type `{other}` are not supported; send `text` and \
                         `image_url` parts."
                    ),
                )),
            }
        })
        .collect()
}

/// `data:image/png;base64,...` -> an image with its bytes.
pub fn image_from_data_url(url: &str, param: &str) -> Result<Image, ApiError> {
    let Some(rest) = url.strip_prefix("data:") else {
        return Err(ApiError::unsupported(
            param,
            "Only data URLs are accepted for images (`data:image/png;base64,...`); the gateway \
             does not fetch URLs.",
        ));
    };
    let (meta, data) = rest.split_once(',').ok_or_else(|| {
        ApiError::invalid_request(param, "The data URL has no `,` before its data.")
    })?;
    let Some(media_type) = meta.strip_suffix(";base64") else {
        return Err(ApiError::invalid_request(
            param,
            "The image data URL must be base64 (`;base64,`).",
        ));
    };
    image_from_base64(media_type, data, param)
}

/// An image from its media type (`image/png`) and base64 data.
pub fn image_from_base64(media_type: &str, data: &str, param: &str) -> Result<Image, ApiError> {
    let format = match media_type.to_ascii_lowercase().as_str() {
        "image/png" => "png",
        "image/jpeg" | "image/jpg" => "jpeg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        other => {
            return Err(ApiError::unsupported(
                param,
                format!("Images of type `{other}` are not supported; send PNG, JPEG, GIF or WebP."),
            ));
        }
    };
    let bytes = base64::engine::general_purpose::STANDARD.decode(data.trim()).map_err(|e| {
        ApiError::invalid_request(param, format!("The image data is not valid base64: {e}."))
    })?;
    Ok(Image { format: format.to_string(), source: MediaSource::Bytes(bytes) })
}

fn parse_tool_call(value: &Value, path: &str) -> Result<ContentPart, ApiError> {
    let c = Fields::of(value, path)?;
    if let Some(kind) = c.opt_str("type")?
        && kind != "function"
    {
        return Err(ApiError::unsupported(
            c.path_of("type"),
            "Only `function` tool calls are supported.",
        ));
    }
    let id = c.req_str("id")?;
    let function = c.req_object("function")?;
    let name = function.req_str("name")?;
    let arguments = function.opt_str("arguments")?.unwrap_or("");
    let input_json =
        if arguments.trim().is_empty() { "{}".to_string() } else { arguments.to_string() };
    if !serde_json::from_str::<Value>(&input_json).is_ok_and(|v| v.is_object()) {
        return Err(ApiError::invalid_request(
            function.path_of("arguments"),
            "Tool call arguments must be a JSON object encoded as a string.",
        ));
    }
    Ok(ContentPart::ToolCall(ToolCall { id: id.to_string(), name: name.to_string(), input_json }))
}

fn parse_tool(value: &Value, k: usize, params: &mut ParamMap) -> Result<ToolDefinition, ApiError> {
    let path = index("tools", k);
    let t = Fields::of(value, &path)?;
    let kind = t.opt_str("type")?.unwrap_or("function");
    if kind != "function" {
        return Err(ApiError::unsupported(
            t.path_of("type"),
            format!("Tools of type `{kind}` are not supported; define `function` tools."),
        ));
    }
    let function = t.req_object("function")?;
    params.exact(&path, &path);
    params.exact(format!("{path}.name"), function.path_of("name"));
    params.exact(format!("{path}.description"), function.path_of("description"));
    params.exact(format!("{path}.inputSchemaJson"), function.path_of("parameters"));
    let schema = match function.get("parameters") {
        None => json!({"type": "object", "properties": {}}),
        Some(schema @ Value::Object(_)) => schema.clone(),
        Some(other) => {
            return Err(json_fields::FieldError::wrong_type(
                function.path_of("parameters"),
                other,
                "a JSON Schema object",
            )
            .into());
        }
    };
    Ok(ToolDefinition {
        name: function.req_str("name")?.to_string(),
        description: function.opt_str("description")?.map(str::to_string),
        input_schema_json: schema.to_string(),
        cache_point: None,
    })
}

fn parse_tool_choice(value: &Value) -> Result<ToolChoice, ApiError> {
    match value {
        Value::String(s) => match s.as_str() {
            "auto" => Ok(ToolChoice::Auto),
            "required" => Ok(ToolChoice::Required),
            "none" => Ok(ToolChoice::None),
            other => Err(ApiError::invalid_request(
                "tool_choice",
                format!(
                    "Unknown tool_choice `{other}`; expected `auto`, `required`, `none` or a \
                     function."
                ),
            )),
        },
        Value::Object(_) => {
            let c = Fields::of(value, "tool_choice")?;
            if c.opt_str("type")? != Some("function") {
                return Err(ApiError::unsupported(
                    "tool_choice.type",
                    "Only `{\"type\": \"function\", \"function\": {\"name\": ...}}` is supported.",
                ));
            }
            Ok(ToolChoice::Tool(c.req_object("function")?.req_str("name")?.to_string()))
        }
        other => {
            Err(json_fields::FieldError::wrong_type("tool_choice", other, "a string or an object")
                .into())
        }
    }
}

/// The `chat.completion` object for a complete answer; `model` is the ID as answers show it.
pub fn chat_completion(id: &str, created: u64, model: &str, r: &GenerateResponse) -> Value {
    let tool_calls: Vec<Value> = r
        .content
        .iter()
        .filter_map(|part| match part {
            ContentPart::ToolCall(call) => Some(tool_call_json(call)),
            _ => None,
        })
        .collect();
    let reasoning: String = r
        .content
        .iter()
        .filter_map(|part| match part {
            ContentPart::Reasoning(Reasoning::Text(t)) => Some(t.text.as_str()),
            _ => None,
        })
        .collect();
    let mut message = json!({
        "role": "assistant",
        "content": if r.text.is_empty() && !tool_calls.is_empty() { Value::Null } else { json!(r.text) },
        "refusal": null,
    });
    if !tool_calls.is_empty() {
        message["tool_calls"] = Value::Array(tool_calls);
    }
    if !reasoning.is_empty() {
        // Not in OpenAI's schema; the name reasoning-aware OpenAI-compatible clients read.
        message["reasoning_content"] = json!(reasoning);
    }
    json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{
            "index": 0,
            "message": message,
            "finish_reason": finish_reason(r.finish_reason),
            "logprobs": null,
        }],
        "usage": usage_json(&r.usage),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::types::{FinishReason, ResponseMetadata, Usage};

    fn chat(body: Value) -> Result<ChatCall, ApiError> {
        parse_chat(body.to_string().as_bytes())
    }

    fn param_of(result: Result<ChatCall, ApiError>) -> (String, String) {
        let e = result.unwrap_err();
        (e.param.unwrap_or_default(), e.kind)
    }

    #[test]
    fn a_full_request_maps_field_by_field() {
        let png = base64::engine::general_purpose::STANDARD.encode(b"\x89PNG");
        let call = chat(json!({
            "model": "amazon-bedrock|amazon.nova-lite-v1:0",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "developer", "content": [{"type": "text", "text": "A"}, {"type": "text", "text": "B"}]},
                {"role": "user", "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{png}"), "detail": "auto"}},
                ]},
                {"role": "assistant", "content": "", "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                ]},
                {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
            ],
            "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather",
                       "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
            "max_tokens": 10,
            "max_completion_tokens": 20,
            "temperature": 0.5,
            "top_p": 0.9,
            "stop": "END",
            "stream": true,
            "stream_options": {"include_usage": true},
            "reasoning_effort": "high",
            "user": "ignored",
            "seed": 7,
        }))
        .unwrap();
        assert!(call.stream && call.include_usage);
        let r = call.request;
        assert_eq!(r.model.as_deref(), Some("amazon-bedrock|amazon.nova-lite-v1:0"));
        assert_eq!(r.settings.max_tokens, Some(20), "max_completion_tokens wins");
        assert_eq!(r.settings.temperature, Some(0.5));
        assert_eq!(r.settings.top_p, Some(0.9));
        assert_eq!(r.settings.stop_sequences, ["END"]);
        assert_eq!(r.settings.reasoning_effort, Some(Effort::High));
        assert_eq!(r.messages.len(), 5);
        assert!(matches!(r.messages[0].role, Role::System));
        assert!(matches!(&r.messages[1].content[0], ContentPart::Text(t) if t == "A\nB"));
        match &r.messages[2].content[1] {
            ContentPart::Image(Image { format, source: MediaSource::Bytes(b) }) => {
                assert_eq!(format, "png");
                assert_eq!(b, b"\x89PNG");
            }
            other => panic!("{other:?}"),
        }
        // The empty assistant text is dropped; the tool call stays.
        assert_eq!(r.messages[3].content.len(), 1);
        match &r.messages[3].content[0] {
            ContentPart::ToolCall(c) => {
                assert_eq!((c.id.as_str(), c.name.as_str()), ("call_1", "get_weather"));
                assert_eq!(c.input_json, r#"{"city":"Paris"}"#);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(r.messages[4].role, Role::Tool));
        match &r.messages[4].content[0] {
            ContentPart::ToolResult(t) => {
                assert_eq!(t.id, "call_1");
                assert!(matches!(&t.content[0], ToolResultContent::Text(s) if s == "sunny"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(r.tools.len(), 1);
        assert_eq!(r.tools[0].description.as_deref(), Some("Weather"));
        let schema: Value = serde_json::from_str(&r.tools[0].input_schema_json).unwrap();
        assert_eq!(schema["properties"]["city"]["type"], "string");
        assert!(matches!(&r.tool_choice, Some(ToolChoice::Tool(n)) if n == "get_weather"));
        assert!(r.response_format.is_none());
    }

    #[test]
    fn component_fields_map_back_onto_the_request() {
        let call = chat(json!({
            "messages": [
                {"role": "system", "content": "s"},
                {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
                {"role": "assistant", "content": "x", "tool_calls": [
                    {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "c", "content": "r"},
                {"role": "user", "content": "   "},
            ],
            "max_tokens": 0, "stop": ["a", ""],
            "tools": [{"type": "function", "function": {"name": "f"}}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "object"}}},
        }))
        .unwrap();
        let p = &call.params;
        let rows = [
            ("settings.temperature", Some("temperature")),
            ("settings.topP", Some("top_p")),
            ("settings.maxTokens", Some("max_tokens")),
            ("settings.stopSequences[1]", Some("stop[1]")),
            ("settings.reasoningEffort", Some("reasoning_effort")),
            ("toolChoice", Some("tool_choice")),
            ("tools[0].name", Some("tools[0].function.name")),
            ("tools[0].inputSchemaJson", Some("tools[0].function.parameters")),
            ("messages[0].content[0]", Some("messages[0].content")),
            ("messages[1].content[1]", Some("messages[1].content[1]")),
            ("messages[2].content[0]", Some("messages[2].content")),
            ("messages[2].content[1]", Some("messages[2].tool_calls[0]")),
            ("messages[3].content[0]", Some("messages[3].content")),
            ("messages[4].content[0]", Some("messages[4].content")),
            ("messages[4].content", Some("messages[4].content")),
            ("messages[4]", Some("messages[4]")),
            ("messages", Some("messages")),
            (
                "responseFormat.schema.properties.tags.maxItems",
                Some("response_format.json_schema.schema.properties.tags.maxItems"),
            ),
            ("responseFormat", Some("response_format")),
            ("languageModel", Some("model")),
            ("region", None),
            ("providerOptions.additionalModelRequestFields", None),
        ];
        for (field, want) in rows {
            assert_eq!(p.translate(field).as_deref(), want, "{field}");
        }
        // `max_completion_tokens` is named when the client used it, and a single stop string
        // is `stop` itself.
        let call = chat(json!({"messages": [{"role": "user", "content": "x"}], "stop": "a",
                               "max_completion_tokens": 0}))
        .unwrap();
        assert_eq!(
            call.params.translate("settings.maxTokens").as_deref(),
            Some("max_completion_tokens")
        );
        assert_eq!(call.params.translate("settings.stopSequences[0]").as_deref(), Some("stop"));
    }

    #[test]
    fn structured_output_and_effort() {
        let user = json!([{"role": "user", "content": "x"}]);
        let call = chat(json!({"messages": user, "response_format": {"type": "json_schema",
            "json_schema": {"name": "weather", "description": "A report", "strict": true,
                            "schema": {"type": "object", "properties": {"city": {"type": "string"}}}}}}))
        .unwrap();
        match call.request.response_format {
            Some(ResponseFormat::JsonSchema(s)) => {
                assert_eq!(s.name, "weather");
                assert_eq!(s.description.as_deref(), Some("A report"));
                assert!(s.strict);
                let schema: Value = serde_json::from_str(&s.schema_json).unwrap();
                assert_eq!(schema["properties"]["city"]["type"], "string");
            }
            other => panic!("{other:?}"),
        }
        let call =
            chat(json!({"messages": user, "response_format": {"type": "json_object"}})).unwrap();
        assert!(matches!(call.request.response_format, Some(ResponseFormat::JsonObject)));
        let call = chat(json!({"messages": user, "response_format": {"type": "text"},
                               "reasoning_effort": "none"}))
        .unwrap();
        assert!(call.request.response_format.is_none());
        assert_eq!(call.request.settings.reasoning_effort, None);
        for (level, want) in [
            ("minimal", Effort::Minimal),
            ("low", Effort::Low),
            ("medium", Effort::Medium),
            ("xhigh", Effort::Xhigh),
        ] {
            let call = chat(json!({"messages": user, "reasoning_effort": level})).unwrap();
            assert_eq!(call.request.settings.reasoning_effort, Some(want));
        }
    }

    #[test]
    fn defaults_and_variants() {
        let call = chat(json!({"messages": [{"role": "user", "content": "hi"}],
                               "stop": ["a", "b"], "tool_choice": "required", "max_tokens": 5,
                               "tools": [{"type": "function", "function": {"name": "f"}}]}))
        .unwrap();
        assert_eq!(call.request.model, None);
        assert!(!call.stream && !call.include_usage);
        assert_eq!(call.request.settings.stop_sequences, ["a", "b"]);
        assert_eq!(call.request.settings.max_tokens, Some(5));
        assert!(matches!(call.request.tool_choice, Some(ToolChoice::Required)));
        assert_eq!(call.request.tools[0].input_schema_json, r#"{"properties":{},"type":"object"}"#);
        for (choice, want) in [("auto", ToolChoice::Auto), ("none", ToolChoice::None)] {
            let call = chat(
                json!({"messages": [{"role": "user", "content": "x"}], "tool_choice": choice}),
            )
            .unwrap();
            assert_eq!(format!("{:?}", call.request.tool_choice), format!("{:?}", Some(want)));
        }
        // An empty model means the configured one; empty arguments mean `{}`.
        let call = chat(json!({"model": "", "messages": [
            {"role": "user", "content": "x"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": ""}}]},
        ]}))
        .unwrap();
        assert_eq!(call.request.model, None);
        assert!(
            matches!(&call.request.messages[1].content[0], ContentPart::ToolCall(c) if c.input_json == "{}")
        );
    }

    #[test]
    fn bad_fields_are_named() {
        let user = json!({"role": "user", "content": "x"});
        let rows = [
            (json!({}), "messages", "invalid-request"),
            (json!({"messages": {}}), "messages", "invalid-request"),
            (json!({"messages": [{"content": "x"}]}), "messages[0].role", "invalid-request"),
            (
                json!({"messages": [{"role": "wizard", "content": "x"}]}),
                "messages[0].role",
                "invalid-request",
            ),
            (json!({"messages": [{"role": "user"}]}), "messages[0].content", "invalid-request"),
            (
                json!({"messages": [{"role": "tool", "content": "x"}]}),
                "messages[0].tool_call_id",
                "invalid-request",
            ),
            (
                json!({"messages": [{"role": "function", "content": "x"}]}),
                "messages[0].role",
                "unsupported",
            ),
            (
                json!({"messages": [{"role": "user", "content": [{"type": "input_audio"}]}]}),
                "messages[0].content[0].type",
                "unsupported",
            ),
            (
                json!({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}]}),
                "messages[0].content[0].image_url.url",
                "unsupported",
            ),
            (
                json!({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/tiff;base64,AA=="}}]}]}),
                "messages[0].content[0].image_url.url",
                "unsupported",
            ),
            (
                json!({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,@@@"}}]}]}),
                "messages[0].content[0].image_url.url",
                "invalid-request",
            ),
            (
                json!({"messages": [user.clone(), {"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "[1]"}}]}]}),
                "messages[1].tool_calls[0].function.arguments",
                "invalid-request",
            ),
            (
                json!({"messages": [user.clone()], "max_tokens": -1}),
                "max_tokens",
                "invalid-request",
            ),
            (
                json!({"messages": [user.clone()], "temperature": "hot"}),
                "temperature",
                "invalid-request",
            ),
            (json!({"messages": [user.clone()], "stop": [1]}), "stop[0]", "invalid-request"),
            (json!({"messages": [user.clone()], "n": 2}), "n", "unsupported"),
            (json!({"messages": [user.clone()], "logprobs": true}), "logprobs", "unsupported"),
            (
                json!({"messages": [user.clone()], "response_format": {"type": "xml"}}),
                "response_format.type",
                "unsupported",
            ),
            (
                json!({"messages": [user.clone()], "response_format": {"type": "json_schema"}}),
                "response_format.json_schema",
                "invalid-request",
            ),
            (
                json!({"messages": [user.clone()], "response_format": {"type": "json_schema", "json_schema": {"schema": {}}}}),
                "response_format.json_schema.name",
                "invalid-request",
            ),
            (
                json!({"messages": [user.clone()], "response_format": {"type": "json_schema", "json_schema": {"name": "n", "schema": true}}}),
                "response_format.json_schema.schema",
                "invalid-request",
            ),
            (
                json!({"messages": [user.clone()], "reasoning_effort": "extreme"}),
                "reasoning_effort",
                "invalid-request",
            ),
            (
                json!({"messages": [user.clone()], "tools": [{"type": "web_search"}]}),
                "tools[0].type",
                "unsupported",
            ),
            (
                json!({"messages": [user.clone()], "tool_choice": "always"}),
                "tool_choice",
                "invalid-request",
            ),
            (
                json!({"messages": [user.clone()], "functions": [{"name": "f"}]}),
                "functions",
                "unsupported",
            ),
            (json!({"messages": [user.clone()], "stream": "yes"}), "stream", "invalid-request"),
            (json!({"messages": [user], "model": 4}), "model", "invalid-request"),
        ];
        for (body, param, kind) in rows {
            assert_eq!(
                param_of(chat(body.clone())),
                (param.to_string(), kind.to_string()),
                "{body}"
            );
        }
        let e = chat(json!({"messages": [{"role": "user"}]})).unwrap_err();
        assert_eq!(e.code, Some("missing_required_parameter"));
        assert_eq!(e.message, "`messages[0].content` is required.");
    }

    #[test]
    fn data_urls() {
        let jpeg = image_from_data_url("data:image/jpg;base64,/9j/", "p").unwrap();
        assert_eq!(jpeg.format, "jpeg");
        assert!(image_from_data_url("data:image/png,raw", "p").is_err());
        assert!(image_from_data_url("data:image/png;base64", "p").is_err());
    }

    #[test]
    fn completions_carry_text_tool_calls_finish_reason_and_cached_tokens() {
        let response = GenerateResponse {
            content: vec![
                ContentPart::Reasoning(Reasoning::Text(crate::types::ReasoningText {
                    text: "hmm".into(),
                    signature: None,
                })),
                ContentPart::ToolCall(ToolCall {
                    id: "t1".into(),
                    name: "f".into(),
                    input_json: r#"{"a":1}"#.into(),
                }),
            ],
            text: String::new(),
            finish_reason: FinishReason::ToolCalls,
            raw_finish_reason: "tool_use".into(),
            usage: Usage {
                input_tokens: 10,
                output_tokens: 5,
                total_tokens: 45,
                cache_read_tokens: Some(20),
                cache_write_tokens: Some(10),
            },
            warnings: vec![],
            metadata: ResponseMetadata {
                model: "amazon.nova-lite-v1:0".into(),
                request_id: Some("r".into()),
                latency_ms: None,
            },
            trace_json: None,
            additional_fields_json: None,
        };
        let v = chat_completion("chatcmpl-1", 7, "amazon-bedrock|amazon.nova-lite-v1:0", &response);
        assert_eq!(v["object"], "chat.completion");
        assert_eq!(v["model"], "amazon-bedrock|amazon.nova-lite-v1:0");
        assert_eq!(v["created"], 7);
        let choice = &v["choices"][0];
        assert_eq!(choice["finish_reason"], "tool_calls");
        assert_eq!(choice["message"]["content"], Value::Null);
        assert_eq!(choice["message"]["reasoning_content"], "hmm");
        assert_eq!(
            choice["message"]["tool_calls"],
            json!([{"id": "t1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}])
        );
        assert_eq!(v["usage"]["prompt_tokens"], 40);
        assert_eq!(v["usage"]["prompt_tokens_details"]["cached_tokens"], 20);
    }
}

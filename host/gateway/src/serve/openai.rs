//! OpenAI (and Cohere/Jina re-ranking) JSON <-> the provider contract's types. Pure functions:
//! no I/O, so every shape is unit-tested here.
//!
//! Requests are read field by field from `serde_json::Value` rather than derived structs, so a
//! bad field is reported with its path (`messages[2].content[1].image_url.url`) as OpenAI's
//! `param`, and unknown fields that clients commonly send (`user`, `seed`, ...) are ignored.

use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::error::ApiError;
use crate::Manifest;
use crate::types::{
    ContentPart, FinishReason, GenerateRequest, GenerateResponse, Image, InferenceSettings,
    MediaSource, Message, Reasoning, RerankDocument, RerankRequest, RerankResponse, Role, ToolCall,
    ToolChoice, ToolDefinition, ToolResult, ToolResultContent, Usage,
};
use json_fields::{FieldError, Fields};

/// A parsed `POST /v1/chat/completions` body.
#[derive(Debug, Clone)]
pub struct ChatCall {
    /// What goes to the component.
    pub request: GenerateRequest,
    /// `stream: true`.
    pub stream: bool,
    /// `stream_options.include_usage: true`.
    pub include_usage: bool,
}

/// A parsed `POST /v1/rerank` body.
#[derive(Debug, Clone)]
pub struct RerankCall {
    /// What goes to the component.
    pub request: RerankRequest,
    /// The documents as the client sent them, echoed back in the results.
    pub documents: Vec<Value>,
    /// Whether results carry their document (default true).
    pub return_documents: bool,
}

/// Parses a JSON request body into an object.
pub fn parse_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::invalid_request("", "The request body must be a JSON object.")),
        Err(e) => {
            Err(ApiError::invalid_request("", format!("The request body is not valid JSON: {e}.")))
        }
    }
}

// ---------- readers that name the field at fault (json-fields, shared with the component) ----------

/// The OpenAI error for a field that could not be read; `param` is the request field.
fn field_error(param: &str) -> impl Fn(FieldError) -> ApiError + '_ {
    move |e| ApiError::invalid_request(param, e.to_string())
}

/// `obj` as the object that holds `param` (`messages[2].content` -> `messages[2]`), so the
/// reader's messages name the whole request field.
fn fields<'a>(obj: &'a Map<String, Value>, key: &str, param: &str) -> Fields<'a> {
    let parent = param.strip_suffix(key).map_or("", |p| p.trim_end_matches('.'));
    Fields::at(obj, parent)
}

fn type_error(param: &str, expected: &str) -> ApiError {
    ApiError::invalid_request(param, format!("`{param}` must be {expected}."))
}

fn opt_str<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    param: &str,
) -> Result<Option<&'a str>, ApiError> {
    fields(obj, key, param).opt_str(key).map_err(field_error(param))
}

fn req_str<'a>(obj: &'a Map<String, Value>, key: &str, param: &str) -> Result<&'a str, ApiError> {
    fields(obj, key, param).req_str(key).map_err(field_error(param))
}

fn opt_bool(obj: &Map<String, Value>, key: &str) -> Result<Option<bool>, ApiError> {
    Fields::new(obj).opt_bool(key).map_err(field_error(key))
}

fn opt_u32(obj: &Map<String, Value>, key: &str) -> Result<Option<u32>, ApiError> {
    Fields::new(obj).opt_u32(key).map_err(field_error(key))
}

fn opt_f32(obj: &Map<String, Value>, key: &str) -> Result<Option<f32>, ApiError> {
    Fields::new(obj).opt_f32(key).map_err(field_error(key))
}

fn as_object<'a>(value: &'a Value, param: &str) -> Result<&'a Map<String, Value>, ApiError> {
    json_fields::as_object(value, param).map_err(field_error(param))
}

fn as_array<'a>(value: &'a Value, param: &str) -> Result<&'a [Value], ApiError> {
    json_fields::as_array(value, param).map_err(field_error(param))
}

// ---------- chat completions ----------

/// Maps an OpenAI chat-completions body to a [`GenerateRequest`].
pub fn parse_chat(body: &[u8]) -> Result<ChatCall, ApiError> {
    let obj = parse_object(body)?;
    let model = opt_str(&obj, "model", "model")?.filter(|m| !m.is_empty()).map(str::to_string);

    let messages_value = obj
        .get("messages")
        .ok_or_else(|| ApiError::invalid_request("messages", "`messages` is required."))?;
    let messages = as_array(messages_value, "messages")?
        .iter()
        .enumerate()
        .map(|(i, m)| parse_message(m, &format!("messages[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;

    if let Some(n) = opt_u32(&obj, "n")?
        && n != 1
    {
        return Err(ApiError::unsupported(
            "n",
            "Only one choice per request is supported (`n` must be 1).",
        ));
    }
    if opt_bool(&obj, "logprobs")? == Some(true) {
        return Err(ApiError::unsupported(
            "logprobs",
            "Amazon Bedrock does not return log probabilities.",
        ));
    }
    if let Some(format) = obj.get("response_format").filter(|v| !v.is_null()) {
        let kind = as_object(format, "response_format")?.get("type").and_then(Value::as_str);
        if kind != Some("text") {
            return Err(ApiError::unsupported(
                "response_format",
                "Only `{\"type\": \"text\"}` is supported; for structured output, define a tool \
                 with the schema and set `tool_choice` to it.",
            ));
        }
    }

    let max_tokens = match opt_u32(&obj, "max_completion_tokens")? {
        Some(n) => Some(n),
        None => opt_u32(&obj, "max_tokens")?,
    };
    let stop_sequences = match obj.get("stop") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, s)| {
                s.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| type_error(&format!("stop[{i}]"), "a string"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(type_error("stop", "a string or an array of strings")),
    };
    let tools = match obj.get("tools") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => as_array(v, "tools")?
            .iter()
            .enumerate()
            .map(|(i, t)| parse_tool(t, &format!("tools[{i}]")))
            .collect::<Result<_, _>>()?,
    };
    let tool_choice = match obj.get("tool_choice") {
        None | Some(Value::Null) => None,
        Some(v) => Some(parse_tool_choice(v)?),
    };
    let stream = opt_bool(&obj, "stream")?.unwrap_or(false);
    let include_usage = match obj.get("stream_options") {
        None | Some(Value::Null) => false,
        Some(v) => opt_bool(as_object(v, "stream_options")?, "include_usage")
            .map_err(|_| type_error("stream_options.include_usage", "true or false"))?
            .unwrap_or(false),
    };

    let request = GenerateRequest {
        model,
        messages,
        settings: InferenceSettings {
            max_tokens,
            temperature: opt_f32(&obj, "temperature")?,
            top_p: opt_f32(&obj, "top_p")?,
            stop_sequences,
            ..Default::default()
        },
        tools,
        tool_choice,
        ..Default::default()
    };
    Ok(ChatCall { request, stream, include_usage })
}

fn parse_message(value: &Value, param: &str) -> Result<Message, ApiError> {
    let obj = as_object(value, param)?;
    let role = req_str(obj, "role", &format!("{param}.role"))?;
    let content_param = format!("{param}.content");
    let content = obj.get("content").filter(|c| !c.is_null());
    match role {
        "system" | "developer" => {
            let text = text_content(content, &content_param)?;
            Ok(Message { role: Role::System, content: vec![ContentPart::Text(text)] })
        }
        "user" => {
            let content = content.ok_or_else(|| {
                ApiError::invalid_request(&content_param, format!("`{content_param}` is required."))
            })?;
            Ok(Message { role: Role::User, content: user_content(content, &content_param)? })
        }
        "assistant" => {
            let mut parts = Vec::new();
            if content.is_some() {
                let text = text_content(content, &content_param)?;
                if !text.is_empty() {
                    parts.push(ContentPart::Text(text));
                }
            }
            if let Some(calls) = obj.get("tool_calls").filter(|c| !c.is_null()) {
                for (i, call) in as_array(calls, &format!("{param}.tool_calls"))?.iter().enumerate()
                {
                    parts.push(parse_tool_call(call, &format!("{param}.tool_calls[{i}]"))?);
                }
            }
            if obj.get("function_call").is_some_and(|f| !f.is_null()) {
                return Err(ApiError::unsupported(
                    format!("{param}.function_call"),
                    "The legacy `function_call` is not supported; use `tool_calls`.",
                ));
            }
            Ok(Message { role: Role::Assistant, content: parts })
        }
        "tool" => {
            let id = req_str(obj, "tool_call_id", &format!("{param}.tool_call_id"))?;
            let text = text_content(content, &content_param)?;
            let result = ToolResult {
                id: id.to_string(),
                content: vec![ToolResultContent::Text(text)],
                is_error: false,
            };
            Ok(Message { role: Role::Tool, content: vec![ContentPart::ToolResult(result)] })
        }
        "function" => Err(ApiError::unsupported(
            format!("{param}.role"),
            "The legacy `function` role is not supported; use `tool` messages.",
        )),
        other => Err(ApiError::invalid_request(
            format!("{param}.role"),
            format!(
                "Unknown role `{other}`; expected `system`, `developer`, `user`, `assistant` or \
                 `tool`."
            ),
        )),
    }
}

/// A string, or an array of `{"type": "text"}` parts joined with newlines.
fn text_content(content: Option<&Value>, param: &str) -> Result<String, ApiError> {
    match content {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Array(parts)) => {
            let mut texts = Vec::new();
            for (i, part) in parts.iter().enumerate() {
                let part_param = format!("{param}[{i}]");
                let obj = as_object(part, &part_param)?;
                match obj.get("type").and_then(Value::as_str) {
                    Some("text") => {
                        texts.push(req_str(obj, "text", &format!("{part_param}.text"))?)
                    }
                    // An assistant's refusal is what it said.
                    Some("refusal") => {
                        texts.push(req_str(obj, "refusal", &format!("{part_param}.refusal"))?)
                    }
                    _ => {
                        return Err(ApiError::unsupported(
                            format!("{part_param}.type"),
                            "Only text parts are allowed in this message.",
                        ));
                    }
                }
            }
            Ok(texts.join("\n"))
        }
        Some(_) => Err(type_error(param, "a string or an array of content parts")),
    }
}

fn user_content(content: &Value, param: &str) -> Result<Vec<ContentPart>, ApiError> {
    let parts = match content {
        Value::String(s) => return Ok(vec![ContentPart::Text(s.clone())]),
        Value::Array(parts) => parts,
        _ => return Err(type_error(param, "a string or an array of content parts")),
    };
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let part_param = format!("{param}[{i}]");
            let obj = as_object(part, &part_param)?;
            match obj.get("type").and_then(Value::as_str) {
                Some("text") => {
                    Ok(ContentPart::Text(req_str(obj, "text", &format!("{part_param}.text"))?.to_string()))
                }
                Some("image_url") => {
                    let url_param = format!("{part_param}.image_url.url");
                    let url = match obj.get("image_url") {
                        Some(Value::String(url)) => url.as_str(),
                        Some(Value::Object(image)) => req_str(image, "url", &url_param)?,
                        _ => return Err(ApiError::invalid_request(&url_param, format!("`{url_param}` is required."))),
                    };
                    Ok(ContentPart::Image(image_from_data_url(url, &url_param)?))
                }
                Some(other) => Err(ApiError::unsupported(
                    format!("{part_param}.type"),
                    format!("Content parts of type `{other}` are not supported; send `text` and `image_url` parts."),
                )),
                None => Err(ApiError::invalid_request(
                    format!("{part_param}.type"),
                    format!("`{part_param}.type` is required."),
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

fn parse_tool_call(value: &Value, param: &str) -> Result<ContentPart, ApiError> {
    let obj = as_object(value, param)?;
    if let Some(kind) = opt_str(obj, "type", &format!("{param}.type"))?
        && kind != "function"
    {
        return Err(ApiError::unsupported(
            format!("{param}.type"),
            "Only `function` tool calls are supported.",
        ));
    }
    let id = req_str(obj, "id", &format!("{param}.id"))?;
    let function_param = format!("{param}.function");
    let function = as_object(
        obj.get("function").ok_or_else(|| {
            ApiError::invalid_request(&function_param, format!("`{function_param}` is required."))
        })?,
        &function_param,
    )?;
    let name = req_str(function, "name", &format!("{function_param}.name"))?;
    let arguments =
        opt_str(function, "arguments", &format!("{function_param}.arguments"))?.unwrap_or("");
    let input_json =
        if arguments.trim().is_empty() { "{}".to_string() } else { arguments.to_string() };
    if !serde_json::from_str::<Value>(&input_json).is_ok_and(|v| v.is_object()) {
        return Err(ApiError::invalid_request(
            format!("{function_param}.arguments"),
            "Tool call arguments must be a JSON object encoded as a string.",
        ));
    }
    Ok(ContentPart::ToolCall(ToolCall { id: id.to_string(), name: name.to_string(), input_json }))
}

fn parse_tool(value: &Value, param: &str) -> Result<ToolDefinition, ApiError> {
    let obj = as_object(value, param)?;
    let kind = opt_str(obj, "type", &format!("{param}.type"))?.unwrap_or("function");
    if kind != "function" {
        return Err(ApiError::unsupported(
            format!("{param}.type"),
            format!("Tools of type `{kind}` are not supported; define `function` tools."),
        ));
    }
    let function_param = format!("{param}.function");
    let function = as_object(
        obj.get("function").ok_or_else(|| {
            ApiError::invalid_request(&function_param, format!("`{function_param}` is required."))
        })?,
        &function_param,
    )?;
    let name = req_str(function, "name", &format!("{function_param}.name"))?;
    let description = opt_str(function, "description", &format!("{function_param}.description"))?;
    let schema = match function.get("parameters") {
        None | Some(Value::Null) => json!({"type": "object", "properties": {}}),
        Some(Value::Object(schema)) => Value::Object(schema.clone()),
        Some(_) => {
            return Err(type_error(
                &format!("{function_param}.parameters"),
                "a JSON Schema object",
            ));
        }
    };
    Ok(ToolDefinition {
        name: name.to_string(),
        description: description.map(str::to_string),
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
                    "Unknown tool_choice `{other}`; expected `auto`, `required`, `none` or a function."
                ),
            )),
        },
        Value::Object(obj) => {
            if obj.get("type").and_then(Value::as_str) != Some("function") {
                return Err(ApiError::unsupported(
                    "tool_choice.type",
                    "Only `{\"type\": \"function\", \"function\": {\"name\": ...}}` is supported.",
                ));
            }
            let function = as_object(
                obj.get("function").ok_or_else(|| {
                    ApiError::invalid_request(
                        "tool_choice.function",
                        "`tool_choice.function` is required.",
                    )
                })?,
                "tool_choice.function",
            )?;
            Ok(ToolChoice::Tool(
                req_str(function, "name", "tool_choice.function.name")?.to_string(),
            ))
        }
        _ => Err(type_error("tool_choice", "a string or an object")),
    }
}

// ---------- responses ----------

/// OpenAI's `finish_reason` for a provider finish reason.
pub fn finish_reason(reason: FinishReason) -> &'static str {
    match reason {
        FinishReason::Stop | FinishReason::StopSequence => "stop",
        FinishReason::Length | FinishReason::ContextWindowExceeded => "length",
        FinishReason::ToolCalls => "tool_calls",
        FinishReason::ContentFilter | FinishReason::GuardrailIntervened => "content_filter",
        FinishReason::MalformedOutput | FinishReason::MalformedToolCall | FinishReason::Other => {
            "stop"
        }
    }
}

/// Prompt tokens in OpenAI's sense: everything read, cached or not.
pub fn prompt_tokens(u: &Usage) -> u64 {
    u.input_tokens + u.cache_read_tokens.unwrap_or(0) + u.cache_write_tokens.unwrap_or(0)
}

/// OpenAI's `usage` object; cache reads are `prompt_tokens_details.cached_tokens`.
pub fn usage_json(u: &Usage) -> Value {
    let prompt = prompt_tokens(u);
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": u.output_tokens,
        "total_tokens": prompt + u.output_tokens,
        "prompt_tokens_details": {"cached_tokens": u.cache_read_tokens.unwrap_or(0)},
    })
}

/// One tool call in OpenAI's message shape.
pub fn tool_call_json(call: &ToolCall) -> Value {
    json!({
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.input_json},
    })
}

/// The `chat.completion` object for a complete answer.
pub fn chat_completion(id: &str, created: u64, r: &GenerateResponse) -> Value {
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
        "model": r.metadata.model,
        "choices": [{
            "index": 0,
            "message": message,
            "finish_reason": finish_reason(r.finish_reason),
            "logprobs": null,
        }],
        "usage": usage_json(&r.usage),
    })
}

// ---------- rerank ----------

/// Maps a Cohere/Jina-style re-rank body to a [`RerankRequest`]. Documents may be strings,
/// `{"text": ...}` objects (ranked as text) or other JSON objects (ranked as JSON).
pub fn parse_rerank(body: &[u8]) -> Result<RerankCall, ApiError> {
    let obj = parse_object(body)?;
    let model = opt_str(&obj, "model", "model")?.filter(|m| !m.is_empty()).map(str::to_string);
    let query = req_str(&obj, "query", "query")?.to_string();
    let documents_value = obj
        .get("documents")
        .ok_or_else(|| ApiError::invalid_request("documents", "`documents` is required."))?;
    let documents = as_array(documents_value, "documents")?.to_vec();
    let converted = documents
        .iter()
        .enumerate()
        .map(|(i, d)| match d {
            Value::String(s) => Ok(RerankDocument::Text(s.clone())),
            Value::Object(o) if o.len() == 1 && o.get("text").is_some_and(Value::is_string) => {
                Ok(RerankDocument::Text(o["text"].as_str().unwrap_or_default().to_string()))
            }
            Value::Object(_) => Ok(RerankDocument::Json(d.to_string())),
            _ => Err(type_error(&format!("documents[{i}]"), "a string or an object")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let top_n = opt_u32(&obj, "top_n")?;
    if top_n == Some(0) {
        return Err(ApiError::invalid_request("top_n", "`top_n` must be at least 1."));
    }
    let return_documents = opt_bool(&obj, "return_documents")?.unwrap_or(true);
    Ok(RerankCall {
        request: RerankRequest {
            model,
            query,
            documents: converted,
            top_n,
            provider_options: None,
        },
        documents,
        return_documents,
    })
}

/// Bedrock bills re-ranking per query of up to 100 documents: Cohere's "search unit".
const DOCUMENTS_PER_SEARCH_UNIT: usize = 100;

/// `{id, model, results: [{index, relevance_score, document}], usage}`.
pub fn rerank_response(id: &str, call: &RerankCall, r: &RerankResponse) -> Value {
    let results: Vec<Value> = r
        .results
        .iter()
        .map(|result| {
            let mut item =
                json!({"index": result.index, "relevance_score": result.relevance_score});
            if call.return_documents {
                let original =
                    call.documents.get(result.index as usize).cloned().unwrap_or(Value::Null);
                item["document"] = match original {
                    Value::String(text) => json!({"text": text}),
                    other => other,
                };
            }
            item
        })
        .collect();
    json!({
        "id": id,
        "model": r.metadata.model,
        "results": results,
        "usage": {"search_units": call.documents.len().div_ceil(DOCUMENTS_PER_SEARCH_UNIT).max(1)},
    })
}

// ---------- models ----------

/// `GET /v1/models`: the settings' default models (language first, then re-ranking, then the
/// rest, as the component's manifest names their settings), OpenAI's list shape.
pub fn models_list(settings: &Value, manifest: &Manifest) -> Value {
    let models = &manifest.settings().models;
    let order = ["language", "reranking"];
    let keys = order
        .iter()
        .filter_map(|kind| models.get(*kind))
        .chain(models.iter().filter(|(kind, _)| !order.contains(&kind.as_str())).map(|(_, k)| k));
    let mut data: Vec<Value> = Vec::new();
    for key in keys {
        if let Some(id) = settings.get(key).and_then(Value::as_str)
            && !data.iter().any(|m| m["id"] == id)
        {
            data.push(
                json!({"id": id, "object": "model", "created": 0, "owned_by": manifest.provider()}),
            );
        }
    }
    json!({"object": "list", "data": data})
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::types::{RerankResult, ResponseMetadata};

    fn chat(body: Value) -> Result<ChatCall, ApiError> {
        parse_chat(body.to_string().as_bytes())
    }

    fn param_of(result: Result<ChatCall, ApiError>) -> (String, String) {
        let e = result.unwrap_err();
        (e.param.unwrap_or_default(), e.code)
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
                json!({"messages": [user.clone()], "response_format": {"type": "json_object"}}),
                "response_format",
                "unsupported",
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
            (json!({"messages": [user.clone()], "stream": "yes"}), "stream", "invalid-request"),
            (json!({"messages": [user], "model": 4}), "model", "invalid-request"),
        ];
        for (body, param, code) in rows {
            assert_eq!(
                param_of(chat(body.clone())),
                (param.to_string(), code.to_string()),
                "{body}"
            );
        }
        let e = parse_chat(b"{not json").unwrap_err();
        assert!(e.message.starts_with("The request body is not valid JSON"), "{}", e.message);
        assert_eq!(e.status.as_u16(), 400);
    }

    #[test]
    fn data_urls() {
        let jpeg = image_from_data_url("data:image/jpg;base64,/9j/", "p").unwrap();
        assert_eq!(jpeg.format, "jpeg");
        assert!(image_from_data_url("data:image/png,raw", "p").is_err());
        assert!(image_from_data_url("data:image/png;base64", "p").is_err());
    }

    fn metadata() -> ResponseMetadata {
        ResponseMetadata {
            model: "amazon.nova-lite-v1:0".into(),
            request_id: Some("r".into()),
            latency_ms: None,
        }
    }

    fn usage() -> Usage {
        Usage {
            input_tokens: 10,
            output_tokens: 5,
            total_tokens: 45,
            cache_read_tokens: Some(20),
            cache_write_tokens: Some(10),
        }
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
            usage: usage(),
            warnings: vec![],
            metadata: metadata(),
            trace_json: None,
            additional_fields_json: None,
        };
        let v = chat_completion("chatcmpl-1", 7, &response);
        assert_eq!(v["object"], "chat.completion");
        assert_eq!(v["model"], "amazon.nova-lite-v1:0");
        assert_eq!(v["created"], 7);
        let choice = &v["choices"][0];
        assert_eq!(choice["finish_reason"], "tool_calls");
        assert_eq!(choice["message"]["content"], Value::Null);
        assert_eq!(choice["message"]["reasoning_content"], "hmm");
        assert_eq!(
            choice["message"]["tool_calls"],
            json!([{"id": "t1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}])
        );
        assert_eq!(
            v["usage"],
            json!({"prompt_tokens": 40, "completion_tokens": 5, "total_tokens": 45,
                   "prompt_tokens_details": {"cached_tokens": 20}})
        );
    }

    #[test]
    fn finish_reasons() {
        use FinishReason as F;
        let rows = [
            (F::Stop, "stop"),
            (F::StopSequence, "stop"),
            (F::Length, "length"),
            (F::ContextWindowExceeded, "length"),
            (F::ToolCalls, "tool_calls"),
            (F::ContentFilter, "content_filter"),
            (F::GuardrailIntervened, "content_filter"),
            (F::Other, "stop"),
        ];
        for (reason, want) in rows {
            assert_eq!(finish_reason(reason), want);
        }
    }

    #[test]
    fn rerank_round_trip() {
        let body = json!({"model": "cohere.rerank-v3-5:0", "query": "capital of France",
            "documents": ["Berlin", {"text": "Paris"}, {"title": "Seine", "body": "river"}],
            "top_n": 2});
        let call = parse_rerank(body.to_string().as_bytes()).unwrap();
        assert_eq!(call.request.model.as_deref(), Some("cohere.rerank-v3-5:0"));
        assert_eq!(call.request.top_n, Some(2));
        assert!(call.return_documents);
        assert!(matches!(&call.request.documents[0], RerankDocument::Text(t) if t == "Berlin"));
        assert!(matches!(&call.request.documents[1], RerankDocument::Text(t) if t == "Paris"));
        assert!(
            matches!(&call.request.documents[2], RerankDocument::Json(j) if j.contains("Seine"))
        );
        let response = RerankResponse {
            results: vec![
                RerankResult {
                    index: 1,
                    relevance_score: 0.9,
                    document: RerankDocument::Text("Paris".into()),
                },
                RerankResult {
                    index: 2,
                    relevance_score: 0.2,
                    document: RerankDocument::Json("{}".into()),
                },
            ],
            metadata: metadata(),
            warnings: vec![],
        };
        let v = rerank_response("rr-1", &call, &response);
        assert_eq!(
            v["results"],
            json!([{"index": 1, "relevance_score": 0.9, "document": {"text": "Paris"}},
                   {"index": 2, "relevance_score": 0.2, "document": {"title": "Seine", "body": "river"}}])
        );
        assert_eq!(v["usage"], json!({"search_units": 1}));

        let mut call = call;
        call.return_documents = false;
        assert!(rerank_response("rr-1", &call, &response)["results"][0].get("document").is_none());

        for (body, param) in [
            (json!({"documents": ["a"]}), "query"),
            (json!({"query": "q"}), "documents"),
            (json!({"query": "q", "documents": [1]}), "documents[0]"),
            (json!({"query": "q", "documents": ["a"], "top_n": 0}), "top_n"),
        ] {
            let e = parse_rerank(body.to_string().as_bytes()).unwrap_err();
            assert_eq!(e.param.as_deref(), Some(param), "{body}");
        }
    }

    #[test]
    fn models_are_the_configured_ones() {
        let manifest =
            crate::Manifest::parse(include_str!("../../../../guest/manifest.json")).unwrap();
        let v = models_list(
            &json!({"languageModel": "amazon-bedrock|a", "rerankingModel": "amazon-bedrock|b"}),
            &manifest,
        );
        let ids: Vec<&str> =
            v["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["amazon-bedrock|a", "amazon-bedrock|b"]);
        assert_eq!(v["object"], "list");
        assert_eq!(models_list(&json!({}), &manifest)["data"], json!([]));
    }
}

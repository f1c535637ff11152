//! Converse / ConverseStream request validation (spec §5, messages from §12.5).
//!
//! Strict on purpose: whatever the emulator accepts must be accepted by AWS. Bedrock's own
//! sentences use 0-based indexes (`messages.1.content.0`); AWS's constraint messages use Coral
//! member paths with 1-based indexes (`messages.2.member.content.1.member.toolUse.name`);
//! provider pass-through errors are prefixed "The model returned the following errors: ".
//! Where the spec quotes no text, the message is modelled on those and marked in comments.

use std::collections::HashSet;

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::answer::reasoning_signature_valid;
use crate::errors::ApiError;
use crate::models::{ModelInfo, Provider, Thinking};

/// How the model may pick tools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ToolChoice {
    Auto,
    Any,
    Tool(String),
}

/// A tool the request defines.
#[derive(Debug, Clone)]
pub(crate) struct ToolSpec<'a> {
    pub name: &'a str,
    pub schema: &'a Value,
}

/// A validated request: the parts the answer generator needs.
#[derive(Debug, Clone)]
pub(crate) struct Request<'a> {
    pub messages: &'a [Value],
    pub system: &'a [Value],
    pub tool_items: &'a [Value],
    pub max_tokens: Option<u64>,
    pub stop_sequences: Vec<&'a str>,
    pub tools: Vec<ToolSpec<'a>>,
    pub tool_choice: Option<ToolChoice>,
    pub thinking: bool,
    pub guardrail_id: Option<&'a str>,
    pub response_field_paths: Vec<&'a str>,
    /// The schema of `outputConfig.textFormat`, parsed: the answer must conform to it.
    pub output_schema: Option<Value>,
}

const TOP_LEVEL: &[&str] = &[
    "messages",
    "system",
    "inferenceConfig",
    "toolConfig",
    "guardrailConfig",
    "additionalModelRequestFields",
    "promptVariables",
    "additionalModelResponseFieldPaths",
    "requestMetadata",
    "performanceConfig",
    "serviceTier",
    "outputConfig",
    "projectIdentifier",
];

const CONTENT_KEYS: &[&str] = &[
    "text",
    "image",
    "document",
    "video",
    "audio",
    "toolUse",
    "toolResult",
    "guardContent",
    "cachePoint",
    "reasoningContent",
    "citationsContent",
    "searchResult",
];

const IMAGE_FORMATS: &[&str] = &["png", "jpeg", "gif", "webp"];
const DOCUMENT_FORMATS: &[&str] =
    &["pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md"];
const VIDEO_FORMATS: &[&str] =
    &["mkv", "mov", "mp4", "webm", "flv", "mpeg", "mpg", "wmv", "three_gp"];

/// Anthropic request fields the emulator lets through `additionalModelRequestFields`; Anthropic
/// rejects others with "Extra inputs are not permitted".
const ANTHROPIC_EXTRA_FIELDS: &[&str] = &[
    "thinking",
    "top_k",
    "anthropic_beta",
    "output_config",
    "tool_choice",
    "metadata",
    "context_management",
];

type Res<T> = Result<T, ApiError>;

// ---------- shape helpers ----------

fn object<'a>(value: &'a Value, path: &str) -> Res<&'a Map<String, Value>> {
    value.as_object().ok_or_else(|| ApiError::constraint(path, "Member must be a structure"))
}

fn array<'a>(value: &'a Value, path: &str) -> Res<&'a [Value]> {
    value
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| ApiError::constraint(path, "Member must be a list"))
}

fn string<'a>(value: &'a Value, path: &str) -> Res<&'a str> {
    value.as_str().ok_or_else(|| ApiError::constraint(path, "Member must be a string"))
}

fn required<'a>(map: &'a Map<String, Value>, key: &str, path: &str) -> Res<&'a Value> {
    match map.get(key) {
        Some(Value::Null) | None => Err(ApiError::required(&join(path, key))),
        Some(v) => Ok(v),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

/// Rejects members outside `allowed`. UNCERTAIN text: AWS's answer to unknown members is not
/// recorded (spec §5); the emulator refuses them so tests cannot rely on AWS ignoring them.
fn only_keys(map: &Map<String, Value>, allowed: &[&str], path: &str) -> Res<()> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        None => Ok(()),
        Some(key) if path.is_empty() => Err(ApiError::validation(format!(
            "The request body contains an unknown field: {key}. Remove it and try again."
        ))),
        Some(key) => Err(ApiError::validation(format!(
            "The field {key} is not a valid member of {path}. Remove it and try again."
        ))),
    }
}

/// A union: exactly one member set, from `allowed`.
fn union<'a>(value: &'a Value, allowed: &[&str], path: &str) -> Res<(&'a str, &'a Value)> {
    let map = object(value, path)?;
    let set: Vec<(&String, &Value)> = map.iter().filter(|(_, v)| !v.is_null()).collect();
    if set.len() != 1 {
        return Err(ApiError::constraint(path, "Member must have exactly one member set"));
    }
    let (key, inner) = set[0];
    if !allowed.contains(&key.as_str()) {
        return Err(ApiError::validation(format!(
            "The field {key} is not a valid member of {path}. Remove it and try again."
        )));
    }
    Ok((key.as_str(), inner))
}

fn enum_value<'a>(value: &'a Value, allowed: &[&str], path: &str) -> Res<&'a str> {
    let text = string(value, path)?;
    if allowed.contains(&text) {
        Ok(text)
    } else {
        Err(ApiError::constraint(
            path,
            &format!("Member must satisfy enum value set: [{}]", allowed.join(", ")),
        ))
    }
}

fn length(text: &str, min: usize, max: usize, path: &str) -> Res<()> {
    let n = text.chars().count();
    if n < min {
        return Err(ApiError::constraint(
            path,
            &format!("Member must have length greater than or equal to {min}"),
        ));
    }
    if n > max {
        return Err(ApiError::constraint(
            path,
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    Ok(())
}

fn pattern(text: &str, ok: impl Fn(char) -> bool, shown: &str, path: &str) -> Res<()> {
    if text.chars().all(ok) {
        Ok(())
    } else {
        Err(ApiError::constraint(
            path,
            &format!("Member must satisfy regular expression pattern: {shown}"),
        ))
    }
}

fn base64_blob(value: &Value, path: &str) -> Res<usize> {
    let text = string(value, path)?;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map(|bytes| bytes.len())
        .map_err(|_| ApiError::constraint(path, "Member must be valid Base64-encoded binary data"))
}

fn number(value: &Value, path: &str) -> Res<f64> {
    value.as_f64().ok_or_else(|| ApiError::constraint(path, "Member must be a number"))
}

fn integer(value: &Value, path: &str) -> Res<i64> {
    value.as_i64().ok_or_else(|| ApiError::constraint(path, "Member must be an integer"))
}

fn range(value: f64, min: f64, max: f64, path: &str) -> Res<()> {
    if value < min {
        return Err(ApiError::constraint(
            path,
            &format!("Member must have value greater than or equal to {min}"),
        ));
    }
    if value > max {
        return Err(ApiError::constraint(
            path,
            &format!("Member must have value less than or equal to {max}"),
        ));
    }
    Ok(())
}

fn is_tool_use_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-')
}

fn is_tool_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-')
}

/// Coral member path of a content block (1-based).
fn block_path(i: usize, j: usize) -> String {
    format!("messages.{}.member.content.{}.member", i + 1, j + 1)
}

// ---------- the validator ----------

/// Validates a Converse body for `model`. `stream` allows ConverseStream-only members.
pub(crate) fn validate<'a>(body: &'a Value, model: &ModelInfo, stream: bool) -> Res<Request<'a>> {
    let top = body.as_object().ok_or_else(|| {
        ApiError::validation("Malformed request. Please check your parameter/values and try again.")
    })?;
    only_keys(top, TOP_LEVEL, "")?;
    if model.rerank.is_some() {
        return Err(ApiError::validation(
            "This action doesn't support the model that you provided. Try again with a supported text or chat model.",
        ));
    }
    if top.contains_key("promptVariables") {
        // UNCERTAIN text: prompt-management ARNs are not emulated.
        return Err(ApiError::validation(
            "The promptVariables field can only be used when the model ID is a prompt ARN. Remove promptVariables and try again.",
        ));
    }

    let inference = inference_config(top.get("inferenceConfig"), model)?;
    let (tools, tool_items, tool_choice, tool_cache_points) =
        tool_config(top.get("toolConfig"), model)?;
    let system = system_blocks(top.get("system"))?;
    let guardrail_id = guardrail_config(top.get("guardrailConfig"), stream)?;
    let response_field_paths = response_paths(top.get("additionalModelResponseFieldPaths"))?;
    request_metadata(top.get("requestMetadata"))?;
    small_configs(top)?;
    let output_schema = match top.get("outputConfig") {
        Some(v) => output_config(v, model)?,
        None => None,
    };

    let messages = array(required(top, "messages", "")?, "messages")?;
    let summary = messages_check(messages, model)?;
    if summary.tool_blocks && !top.contains_key("toolConfig") {
        return Err(ApiError::validation(
            "The toolConfig field must be defined when using toolUse and toolResult content blocks.",
        ));
    }
    let cache_points = summary.cache_points + system.1 + tool_cache_points;
    if cache_points > 4 {
        return Err(ApiError::model_says(format!(
            "A maximum of 4 blocks with cache_control may be provided. Found {cache_points}."
        )));
    }

    let thinking = additional_fields(
        top.get("additionalModelRequestFields"),
        model,
        &inference,
        top.get("toolConfig").and_then(|t| t.get("toolChoice")),
        tool_choice.as_ref(),
    )?;
    if thinking {
        thinking_history(messages)?;
    }

    Ok(Request {
        messages,
        system: system.0,
        tool_items,
        max_tokens: inference.max_tokens,
        stop_sequences: inference.stop_sequences,
        tools,
        tool_choice,
        thinking,
        guardrail_id,
        response_field_paths,
        output_schema,
    })
}

/// The members of `input.converse` (botocore `ConverseTokensRequest`).
const COUNTABLE: &[&str] = &["messages", "system", "toolConfig", "additionalModelRequestFields"];

/// Validates a CountTokens body (`{"input": {"converse": {...}} | {"invokeModel": {"body"}}}`)
/// for `model` and returns the input tokens. Only Anthropic models count; others get Bedrock's
/// refusal.
pub(crate) fn count_tokens(body: &Value, model: &ModelInfo) -> Res<u64> {
    let top = body.as_object().ok_or_else(|| {
        ApiError::validation("Malformed request. Please check your parameter/values and try again.")
    })?;
    only_keys(top, &["input"], "")?;
    let (kind, inner) = union(required(top, "input", "")?, &["invokeModel", "converse"], "input")?;
    if model.provider != Provider::Anthropic || model.rerank.is_some() || model.embed.is_some() {
        return Err(ApiError::validation("The provided model doesn't support counting tokens."));
    }
    if kind == "invokeModel" {
        let map = object(inner, "input.invokeModel")?;
        only_keys(map, &["body"], "input.invokeModel")?;
        let bytes =
            base64_blob(required(map, "body", "input.invokeModel")?, "input.invokeModel.body")?;
        return Ok((bytes as u64).div_ceil(4).max(1));
    }
    let map = object(inner, "input.converse")?;
    only_keys(map, COUNTABLE, "input.converse")?;
    let request = validate(inner, model, false)?;
    Ok(crate::answer::input_tokens(&request))
}

#[derive(Default)]
struct Inference<'a> {
    max_tokens: Option<u64>,
    temperature: Option<f64>,
    top_p: Option<f64>,
    stop_sequences: Vec<&'a str>,
}

fn inference_config<'a>(value: Option<&'a Value>, model: &ModelInfo) -> Res<Inference<'a>> {
    let Some(value) = value else { return Ok(Inference::default()) };
    let map = object(value, "inferenceConfig")?;
    only_keys(map, &["maxTokens", "temperature", "topP", "stopSequences"], "inferenceConfig")?;
    let mut out = Inference::default();
    if let Some(v) = map.get("maxTokens") {
        let n = integer(v, "inferenceConfig.maxTokens")?;
        range(n as f64, 1.0, f64::MAX, "inferenceConfig.maxTokens")?;
        if n as u64 > model.max_output {
            let max = model.max_output;
            return Err(ApiError::validation(format!(
                "The maximum tokens you requested exceed the model limit of {max}. Try again with a maximum tokens value lower than {max}."
            )));
        }
        out.max_tokens = Some(n as u64);
    }
    if let Some(v) = map.get("temperature") {
        let t = number(v, "inferenceConfig.temperature")?;
        range(t, 0.0, 1.0, "inferenceConfig.temperature")?;
        out.temperature = Some(t);
    }
    if let Some(v) = map.get("topP") {
        let p = number(v, "inferenceConfig.topP")?;
        range(p, 0.0, 1.0, "inferenceConfig.topP")?;
        out.top_p = Some(p);
    }
    if let Some(v) = map.get("stopSequences") {
        let items = array(v, "inferenceConfig.stopSequences")?;
        if items.len() > 2500 {
            return Err(ApiError::constraint(
                "inferenceConfig.stopSequences",
                "Member must have length less than or equal to 2500",
            ));
        }
        for (k, item) in items.iter().enumerate() {
            let path = format!("inferenceConfig.stopSequences.{}.member", k + 1);
            let s = string(item, &path)?;
            length(s, 1, usize::MAX, &path)?;
            out.stop_sequences.push(s);
        }
    }
    if model.exclusive_sampling && out.temperature.is_some() && out.top_p.is_some() {
        return Err(ApiError::model_says(
            "`temperature` and `top_p` cannot both be specified for this model. Please use only one.",
        ));
    }
    Ok(out)
}

type ToolConfigParts<'a> = (Vec<ToolSpec<'a>>, &'a [Value], Option<ToolChoice>, usize);

fn tool_config<'a>(value: Option<&'a Value>, model: &ModelInfo) -> Res<ToolConfigParts<'a>> {
    let Some(value) = value else { return Ok((Vec::new(), &[], None, 0)) };
    let map = object(value, "toolConfig")?;
    only_keys(map, &["tools", "toolChoice"], "toolConfig")?;
    if !model.tools {
        // Believed to be Bedrock's text for models without tool use.
        return Err(ApiError::validation("This model doesn't support tool use."));
    }
    let items = array(required(map, "tools", "toolConfig")?, "toolConfig.tools")?;
    if items.is_empty() {
        return Err(ApiError::constraint(
            "toolConfig.tools",
            "Member must have length greater than or equal to 1",
        ));
    }
    let mut tools = Vec::new();
    let mut cache_points = 0;
    let mut names = HashSet::new();
    for (k, item) in items.iter().enumerate() {
        let path = format!("toolConfig.tools.{}.member", k + 1);
        let (kind, inner) = union(item, &["toolSpec", "systemTool", "cachePoint"], &path)?;
        match kind {
            "toolSpec" => {
                let spec = tool_spec(inner, &format!("{path}.toolSpec"), k, model)?;
                if !names.insert(spec.name) {
                    return Err(ApiError::model_says("tools: Tool names must be unique."));
                }
                tools.push(spec);
            }
            "systemTool" => {
                let map = object(inner, &format!("{path}.systemTool"))?;
                only_keys(map, &["name"], &format!("{path}.systemTool"))?;
                string(
                    required(map, "name", &format!("{path}.systemTool"))?,
                    &format!("{path}.systemTool.name"),
                )?;
            }
            _ => {
                cache_point(inner, &format!("{path}.cachePoint"))?;
                if k == 0 {
                    return Err(nothing_to_cache());
                }
                cache_points += 1;
            }
        }
    }
    let choice = match map.get("toolChoice") {
        None => None,
        Some(v) => Some(tool_choice(v, &tools)?),
    };
    Ok((tools, items, choice, cache_points))
}

fn tool_spec<'a>(
    value: &'a Value,
    path: &str,
    index: usize,
    model: &ModelInfo,
) -> Res<ToolSpec<'a>> {
    let map = object(value, path)?;
    only_keys(map, &["name", "description", "inputSchema", "strict"], path)?;
    let name_path = join(path, "name");
    let name = string(required(map, "name", path)?, &name_path)?;
    length(name, 1, 64, &name_path)?;
    pattern(name, is_tool_name_char, "[a-zA-Z0-9_-]+", &name_path)?;
    if let Some(d) = map.get("description") {
        length(string(d, &join(path, "description"))?, 1, usize::MAX, &join(path, "description"))?;
    }
    let schema_path = join(path, "inputSchema");
    let (_, schema) = union(required(map, "inputSchema", path)?, &["json"], &schema_path)?;
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        return Err(ApiError::model_says(format!(
            "tools.{index}.custom.input_schema.type: Input should be 'object'"
        )));
    }
    if let Some(strict) = map.get("strict") {
        if !strict.is_boolean() {
            return Err(ApiError::constraint(&join(path, "strict"), "Member must be a boolean"));
        }
        if !model.exclusive_sampling {
            return Err(ApiError::model_says(format!(
                "tools.{index}.custom.strict: Extra inputs are not permitted"
            )));
        }
    }
    Ok(ToolSpec { name, schema })
}

fn tool_choice(value: &Value, tools: &[ToolSpec<'_>]) -> Res<ToolChoice> {
    let (kind, inner) = union(value, &["auto", "any", "tool"], "toolConfig.toolChoice")?;
    let path = format!("toolConfig.toolChoice.{kind}");
    let map = object(inner, &path)?;
    match kind {
        "auto" | "any" => {
            only_keys(map, &[], &path)?;
            Ok(if kind == "auto" { ToolChoice::Auto } else { ToolChoice::Any })
        }
        _ => {
            only_keys(map, &["name"], &path)?;
            let name = string(required(map, "name", &path)?, &join(&path, "name"))?;
            if !tools.iter().any(|t| t.name == name) {
                // Anthropic's wording (UNCERTAIN through Bedrock).
                return Err(ApiError::model_says(format!(
                    "tool_choice.name: Tool '{name}' not found in provided tools"
                )));
            }
            Ok(ToolChoice::Tool(name.to_string()))
        }
    }
}

fn cache_point(value: &Value, path: &str) -> Res<()> {
    let map = object(value, path)?;
    only_keys(map, &["type", "ttl"], path)?;
    enum_value(required(map, "type", path)?, &["default"], &join(path, "type"))?;
    if let Some(ttl) = map.get("ttl") {
        enum_value(ttl, &["5m", "1h"], &join(path, "ttl"))?;
    }
    Ok(())
}

fn nothing_to_cache() -> ApiError {
    ApiError::validation(
        "There is nothing available to cache. Please remove the invalid cache point and try again.",
    )
}

/// System blocks and the number of cache points among them.
fn system_blocks(value: Option<&Value>) -> Res<(&[Value], usize)> {
    let Some(value) = value else { return Ok((&[], 0)) };
    let items = array(value, "system")?;
    let mut cache_points = 0;
    for (k, item) in items.iter().enumerate() {
        let path = format!("system.{}.member", k + 1);
        let (kind, inner) = union(item, &["text", "guardContent", "cachePoint"], &path)?;
        match kind {
            "text" => {
                let text = string(inner, &join(&path, "text"))?;
                length(text, 1, usize::MAX, &join(&path, "text"))?;
            }
            "guardContent" => guard_content(inner, &join(&path, "guardContent"))?,
            _ => {
                cache_point(inner, &join(&path, "cachePoint"))?;
                if k == 0 {
                    return Err(nothing_to_cache());
                }
                cache_points += 1;
            }
        }
    }
    Ok((items, cache_points))
}

fn guard_content(value: &Value, path: &str) -> Res<()> {
    let (kind, inner) = union(value, &["text", "image"], path)?;
    let path = join(path, kind);
    let map = object(inner, &path)?;
    if kind == "text" {
        only_keys(map, &["text", "qualifiers"], &path)?;
        string(required(map, "text", &path)?, &join(&path, "text"))?;
        if let Some(q) = map.get("qualifiers") {
            for (k, item) in array(q, &join(&path, "qualifiers"))?.iter().enumerate() {
                enum_value(
                    item,
                    &["grounding_source", "query", "guard_content"],
                    &format!("{path}.qualifiers.{}.member", k + 1),
                )?;
            }
        }
    } else {
        only_keys(map, &["format", "source"], &path)?;
        enum_value(required(map, "format", &path)?, &["png", "jpeg"], &join(&path, "format"))?;
        let (_, bytes) =
            union(required(map, "source", &path)?, &["bytes"], &join(&path, "source"))?;
        base64_blob(bytes, &join(&path, "source.bytes"))?;
    }
    Ok(())
}

fn guardrail_config(value: Option<&Value>, stream: bool) -> Res<Option<&str>> {
    let Some(value) = value else { return Ok(None) };
    let path = "guardrailConfig";
    let map = object(value, path)?;
    let allowed: &[&str] = if stream {
        &["guardrailIdentifier", "guardrailVersion", "trace", "streamProcessingMode"]
    } else {
        &["guardrailIdentifier", "guardrailVersion", "trace"]
    };
    only_keys(map, allowed, path)?;
    let id =
        string(required(map, "guardrailIdentifier", path)?, "guardrailConfig.guardrailIdentifier")?;
    let id_ok = id.is_empty()
        || id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        || is_guardrail_arn(id);
    if !id_ok {
        return Err(ApiError::constraint(
            "guardrailConfig.guardrailIdentifier",
            "Member must satisfy regular expression pattern: (([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+))",
        ));
    }
    let version =
        string(required(map, "guardrailVersion", path)?, "guardrailConfig.guardrailVersion")?;
    let version_ok = version.is_empty()
        || version == "DRAFT"
        || (version.len() <= 8
            && !version.starts_with('0')
            && version.bytes().all(|b| b.is_ascii_digit()));
    if !version_ok {
        return Err(ApiError::constraint(
            "guardrailConfig.guardrailVersion",
            "Member must satisfy regular expression pattern: (([1-9][0-9]{0,7})|(DRAFT))",
        ));
    }
    if let Some(trace) = map.get("trace") {
        enum_value(trace, &["enabled", "disabled", "enabled_full"], "guardrailConfig.trace")?;
    }
    if let Some(mode) = map.get("streamProcessingMode") {
        enum_value(mode, &["sync", "async"], "guardrailConfig.streamProcessingMode")?;
    }
    Ok(Some(id))
}

fn is_guardrail_arn(id: &str) -> bool {
    let parts: Vec<&str> = id.splitn(6, ':').collect();
    matches!(parts[..], ["arn", partition, "bedrock", region, account, resource]
    if (partition == "aws" || partition.starts_with("aws-"))
        && !region.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource.strip_prefix("guardrail/").is_some_and(|g| {
            !g.is_empty() && g.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        }))
}

fn response_paths(value: Option<&Value>) -> Res<Vec<&str>> {
    let Some(value) = value else { return Ok(Vec::new()) };
    let items = array(value, "additionalModelResponseFieldPaths")?;
    if items.len() > 10 {
        return Err(ApiError::constraint(
            "additionalModelResponseFieldPaths",
            "Member must have length less than or equal to 10",
        ));
    }
    let mut out = Vec::new();
    for (k, item) in items.iter().enumerate() {
        let path = format!("additionalModelResponseFieldPaths.{}.member", k + 1);
        let text = string(item, &path)?;
        length(text, 1, 256, &path)?;
        if !text.starts_with('/') {
            // UNCERTAIN text (spec: "invalid pointer -> 400").
            return Err(ApiError::validation(format!(
                "The additionalModelResponseFieldPaths value {text} is not a valid JSON Pointer. Use a path such as /stop_sequence and try again."
            )));
        }
        out.push(text);
    }
    Ok(out)
}

fn request_metadata(value: Option<&Value>) -> Res<()> {
    let Some(value) = value else { return Ok(()) };
    let map = object(value, "requestMetadata")?;
    if map.is_empty() || map.len() > 16 {
        return Err(ApiError::constraint(
            "requestMetadata",
            "Member must have length between 1 and 16",
        ));
    }
    let ok = |c: char| c.is_ascii_alphanumeric() || c.is_whitespace() || ":_@$#=/+,-.".contains(c);
    for (key, v) in map {
        length(key, 1, 256, "requestMetadata")?;
        pattern(key, ok, "[a-zA-Z0-9\\s:_@$#=/+,-.]{1,256}", "requestMetadata")?;
        let value = string(v, &format!("requestMetadata.{key}"))?;
        length(value, 0, 256, &format!("requestMetadata.{key}"))?;
        pattern(value, ok, "[a-zA-Z0-9\\s:_@$#=/+,-.]{0,256}", &format!("requestMetadata.{key}"))?;
    }
    Ok(())
}

fn small_configs(top: &Map<String, Value>) -> Res<()> {
    if let Some(v) = top.get("performanceConfig") {
        let map = object(v, "performanceConfig")?;
        only_keys(map, &["latency"], "performanceConfig")?;
        if let Some(l) = map.get("latency") {
            enum_value(l, &["standard", "optimized"], "performanceConfig.latency")?;
        }
    }
    if let Some(v) = top.get("serviceTier") {
        let map = object(v, "serviceTier")?;
        only_keys(map, &["type"], "serviceTier")?;
        enum_value(
            required(map, "type", "serviceTier")?,
            &["priority", "default", "flex", "reserved"],
            "serviceTier.type",
        )?;
    }
    if let Some(v) = top.get("projectIdentifier") {
        string(v, "projectIdentifier")?;
    }
    Ok(())
}

/// Effort levels Anthropic takes through `outputConfig.effort` (botocore documents these).
const EFFORTS: &[&str] = &["low", "medium", "high", "xhigh", "max"];

/// Validates `outputConfig`; returns the parsed response schema, if any.
fn output_config(value: &Value, model: &ModelInfo) -> Res<Option<Value>> {
    let map = object(value, "outputConfig")?;
    only_keys(map, &["textFormat", "effort"], "outputConfig")?;
    if let Some(effort) = map.get("effort") {
        let level = string(effort, "outputConfig.effort")?;
        length(level, 1, 16, "outputConfig.effort")?;
        if !model.effort {
            // Anthropic's wording for a field the model does not take (UNCERTAIN through Bedrock).
            return Err(ApiError::model_says(
                "output_config.effort: Extra inputs are not permitted",
            ));
        }
        if !EFFORTS.contains(&level) {
            return Err(ApiError::model_says(
                "output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'",
            ));
        }
    }
    let Some(format) = map.get("textFormat") else { return Ok(None) };
    let path = "outputConfig.textFormat";
    let fmap = object(format, path)?;
    only_keys(fmap, &["type", "structure"], path)?;
    enum_value(required(fmap, "type", path)?, &["json_schema"], "outputConfig.textFormat.type")?;
    let (_, schema) = union(
        required(fmap, "structure", path)?,
        &["jsonSchema"],
        "outputConfig.textFormat.structure",
    )?;
    let spath = "outputConfig.textFormat.structure.jsonSchema";
    let smap = object(schema, spath)?;
    only_keys(smap, &["schema", "name", "description"], spath)?;
    // Spec pitfall 9: the schema travels as a JSON *string*.
    let text = string(required(smap, "schema", spath)?, &join(spath, "schema"))?;
    let schema = match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            return Err(ApiError::validation(
                "The json schema definition at outputConfig.textFormat.structure.jsonSchema.schema is invalid. Provide a valid JSON schema and try again.",
            ));
        }
    };
    if !model.structured_output {
        // UNCERTAIN text: modelled on Bedrock's other "doesn't support the ... field" answers.
        return Err(ApiError::validation(
            "This model doesn't support the outputConfig.textFormat field. Remove outputConfig.textFormat and try again.",
        ));
    }
    if let Some((kind, keyword)) = unsupported_schema_feature(&schema) {
        // Recorded (spec §12.5) for arrays with maxItems; the same form for the others.
        return Err(ApiError::model_says(format!(
            "output_config.format.schema: For '{kind}' type, property '{keyword}' is not supported"
        )));
    }
    Ok(Some(schema))
}

/// The first keyword Anthropic's structured output refuses: size limits on arrays and strings
/// (`maxItems`, `minItems` above 1, `maxLength`, `minLength`), anywhere in the schema.
fn unsupported_schema_feature(node: &Value) -> Option<(&'static str, &'static str)> {
    match node {
        Value::Object(map) => {
            match map.get("type").and_then(Value::as_str) {
                Some("array") if map.contains_key("maxItems") => {
                    return Some(("array", "maxItems"));
                }
                Some("array")
                    if map.get("minItems").and_then(Value::as_u64).is_some_and(|n| n > 1) =>
                {
                    return Some(("array", "minItems"));
                }
                Some("string") if map.contains_key("maxLength") => {
                    return Some(("string", "maxLength"));
                }
                Some("string") if map.contains_key("minLength") => {
                    return Some(("string", "minLength"));
                }
                _ => {}
            }
            map.values().find_map(unsupported_schema_feature)
        }
        Value::Array(items) => items.iter().find_map(unsupported_schema_feature),
        _ => None,
    }
}

#[derive(Default)]
struct MessagesSummary {
    tool_blocks: bool,
    cache_points: usize,
}

fn messages_check(messages: &[Value], model: &ModelInfo) -> Res<MessagesSummary> {
    if messages.is_empty() {
        return Err(start_with_user());
    }
    let mut summary = MessagesSummary::default();
    let mut previous_role = "";
    let mut previous_tool_uses: Vec<&str> = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        let path = format!("messages.{}.member", i + 1);
        let map = object(message, &path)?;
        only_keys(map, &["role", "content"], &path)?;
        let role = enum_value(
            required(map, "role", &path)?,
            &["user", "assistant"],
            &join(&path, "role"),
        )?;
        let content = array(required(map, "content", &path)?, &join(&path, "content"))?;
        if i == 0 && role != "user" {
            return Err(start_with_user());
        }
        if role == previous_role {
            return Err(ApiError::validation(
                "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.",
            ));
        }
        if content.is_empty() {
            return Err(ApiError::validation(format!(
                "The content field in the Message object at messages.{i} is empty. Add a ContentBlock object to the content field and try again."
            )));
        }
        let mut tool_uses: Vec<&str> = Vec::new();
        let mut tool_results: Vec<(usize, &str)> = Vec::new();
        let (mut has_text, mut has_document) = (false, false);
        for (j, block) in content.iter().enumerate() {
            let bpath = block_path(i, j);
            let (kind, inner) = union(block, CONTENT_KEYS, &bpath)?;
            let kpath = join(&bpath, kind);
            match kind {
                "text" => {
                    let text = string(inner, &kpath)?;
                    if text.trim().is_empty() {
                        return Err(ApiError::validation(format!(
                            "The text field in the ContentBlock object at messages.{i}.content.{j} is blank. Add text to the text field, and try again."
                        )));
                    }
                    has_text = true;
                }
                "image" => {
                    user_only(role, i)?;
                    if !model.vision {
                        return Err(ApiError::validation(
                            "This model doesn't support the image field for user messages. Remove image and try again.",
                        ));
                    }
                    media(inner, &kpath, IMAGE_FORMATS, true)?;
                }
                "document" => {
                    user_only(role, i)?;
                    document(inner, &kpath)?;
                    has_document = true;
                }
                "video" => {
                    user_only(role, i)?;
                    if !(model.vision && model.provider == Provider::Amazon) {
                        return Err(ApiError::validation(
                            "This model doesn't support the video field for user messages. Remove video and try again.",
                        ));
                    }
                    media(inner, &kpath, VIDEO_FORMATS, true)?;
                }
                "audio" => {
                    return Err(ApiError::validation(
                        "This model doesn't support the audio field for user messages. Remove audio and try again.",
                    ));
                }
                "toolUse" => {
                    if role != "assistant" {
                        return Err(ApiError::validation(format!(
                            "The toolUse block at messages.{i}.content.{j} is only allowed in assistant messages. Move it to an assistant message and try again."
                        )));
                    }
                    let id = tool_use(inner, &kpath, i, j, model)?;
                    if tool_uses.contains(&id) {
                        return Err(ApiError::validation(format!(
                            "The toolUse blocks at messages.{i}.content contain duplicate Ids: {id}"
                        )));
                    }
                    tool_uses.push(id);
                    summary.tool_blocks = true;
                }
                "toolResult" => {
                    if role != "user" {
                        return Err(ApiError::validation(format!(
                            "The toolResult block at messages.{i}.content.{j} is only allowed in user messages. Move it to a user message and try again."
                        )));
                    }
                    tool_results.push((j, tool_result(inner, &kpath)?));
                    summary.tool_blocks = true;
                }
                "guardContent" => guard_content(inner, &kpath)?,
                "cachePoint" => {
                    cache_point(inner, &kpath)?;
                    if j == 0 {
                        return Err(nothing_to_cache());
                    }
                    summary.cache_points += 1;
                }
                "reasoningContent" => {
                    if role == "user" {
                        return Err(ApiError::validation(
                            "User messages cannot contain reasoning content. Please remove the reasoning content and try again.",
                        ));
                    }
                    reasoning(inner, &kpath, i, j, model)?;
                }
                "citationsContent" => citations_content(inner, &kpath)?,
                _ => search_result(inner, &kpath)?,
            }
        }
        if has_document && !has_text {
            // UNCERTAIN text: the service model's doc says such a message needs a text block.
            return Err(ApiError::validation(format!(
                "The message at messages.{i} contains a document but no text block. Add a text block to the message and try again."
            )));
        }
        if !tool_results.is_empty() {
            if tool_results.len() > previous_tool_uses.len() {
                return Err(ApiError::validation(format!(
                    "The number of toolResult blocks at messages.{i}.content exceeds the number of toolUse blocks of previous turn."
                )));
            }
            if let Some((j, id)) =
                tool_results.iter().find(|(_, id)| !previous_tool_uses.contains(id))
            {
                return Err(ApiError::model_says(format!(
                    "messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: {id}. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
                )));
            }
        }
        if role == "user" && !previous_tool_uses.is_empty() {
            let missing: Vec<&str> = previous_tool_uses
                .iter()
                .filter(|id| !tool_results.iter().any(|(_, r)| r == *id))
                .copied()
                .collect();
            if !missing.is_empty() {
                return Err(ApiError::model_says(format!(
                    "messages.{}: `tool_use` ids were found without `tool_result` blocks immediately after: {}. Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
                    i - 1,
                    missing.join(", ")
                )));
            }
        }
        previous_role = role;
        previous_tool_uses = tool_uses;
    }
    Ok(summary)
}

fn start_with_user() -> ApiError {
    ApiError::validation(
        "A conversation must start with a user message. Try again with a conversation that starts with a user message.",
    )
}

fn user_only(role: &str, i: usize) -> Res<()> {
    if role == "user" {
        Ok(())
    } else {
        // UNCERTAIN text; the rule itself is in the service model's docs.
        Err(ApiError::validation(format!(
            "The assistant message at messages.{i} contains an image, document or video. These are only allowed in user messages. Remove them and try again."
        )))
    }
}

/// Image / video: `format` enum and a `bytes` or `s3Location` source.
fn media(value: &Value, path: &str, formats: &[&str], allow_s3: bool) -> Res<()> {
    let map = object(value, path)?;
    only_keys(map, &["format", "source"], path)?;
    enum_value(required(map, "format", path)?, formats, &join(path, "format"))?;
    let allowed: &[&str] = if allow_s3 { &["bytes", "s3Location"] } else { &["bytes"] };
    let (kind, inner) = union(required(map, "source", path)?, allowed, &join(path, "source"))?;
    source_member(kind, inner, &join(path, "source"))
}

fn source_member(kind: &str, inner: &Value, path: &str) -> Res<()> {
    match kind {
        "bytes" => {
            if base64_blob(inner, &join(path, "bytes"))? == 0 {
                return Err(ApiError::constraint(
                    &join(path, "bytes"),
                    "Member must have length greater than or equal to 1",
                ));
            }
            Ok(())
        }
        "s3Location" => {
            let spath = join(path, "s3Location");
            let map = object(inner, &spath)?;
            only_keys(map, &["uri", "bucketOwner"], &spath)?;
            let uri = string(required(map, "uri", &spath)?, &join(&spath, "uri"))?;
            if !uri.starts_with("s3://") {
                return Err(ApiError::constraint(
                    &join(&spath, "uri"),
                    "Member must satisfy regular expression pattern: s3://[a-z0-9][\\.\\-a-z0-9]{1,61}[a-z0-9](/.*)?",
                ));
            }
            // The emulator has no S3: every location is "not found", as for a missing object.
            Err(ApiError::model_says("Provided S3Location not found"))
        }
        "text" => {
            string(inner, &join(path, "text"))?;
            Ok(())
        }
        _ => {
            for (k, item) in array(inner, &join(path, "content"))?.iter().enumerate() {
                let (_, text) =
                    union(item, &["text"], &format!("{path}.content.{}.member", k + 1))?;
                string(text, &format!("{path}.content.{}.member.text", k + 1))?;
            }
            Ok(())
        }
    }
}

fn document(value: &Value, path: &str) -> Res<()> {
    let map = object(value, path)?;
    only_keys(map, &["format", "name", "source", "context", "citations"], path)?;
    if let Some(format) = map.get("format") {
        enum_value(format, DOCUMENT_FORMATS, &join(path, "format"))?;
    }
    let name_path = join(path, "name");
    let name = string(required(map, "name", path)?, &name_path)?;
    length(name, 1, 200, &name_path)?;
    let chars_ok =
        name.chars().all(|c| c.is_alphanumeric() || c.is_whitespace() || "-()[]".contains(c));
    let double_space =
        name.chars().zip(name.chars().skip(1)).any(|(a, b)| a.is_whitespace() && b.is_whitespace());
    if !chars_ok || double_space {
        return Err(ApiError::validation(
            "The document file name can only contain alphanumeric characters, whitespace characters, hyphens, parentheses, and square brackets. The name can't contain more than one consecutive whitespace character. Check that the file name conforms to these restrictions and retry your request.",
        ));
    }
    let (kind, inner) = union(
        required(map, "source", path)?,
        &["bytes", "s3Location", "text", "content"],
        &join(path, "source"),
    )?;
    source_member(kind, inner, &join(path, "source"))?;
    if let Some(c) = map.get("context") {
        string(c, &join(path, "context"))?;
    }
    if let Some(c) = map.get("citations") {
        let cmap = object(c, &join(path, "citations"))?;
        only_keys(cmap, &["enabled"], &join(path, "citations"))?;
        if !required(cmap, "enabled", &join(path, "citations"))?.is_boolean() {
            return Err(ApiError::constraint(
                &join(path, "citations.enabled"),
                "Member must be a boolean",
            ));
        }
    }
    Ok(())
}

fn tool_use<'a>(
    value: &'a Value,
    path: &str,
    i: usize,
    j: usize,
    model: &ModelInfo,
) -> Res<&'a str> {
    let map = object(value, path)?;
    only_keys(map, &["toolUseId", "name", "input", "type"], path)?;
    let id = tool_use_id(required(map, "toolUseId", path)?, &join(path, "toolUseId"))?;
    let name_path = join(path, "name");
    let name = string(required(map, "name", path)?, &name_path)?;
    length(name, 1, 64, &name_path)?;
    pattern(name, is_tool_name_char, "[a-zA-Z0-9_-]+", &name_path)?;
    let input = required(map, "input", path)?;
    if model.provider == Provider::Anthropic && !input.is_object() {
        return Err(ApiError::model_says(format!(
            "messages.{i}.content.{j}.tool_use.input: Input should be a valid dictionary"
        )));
    }
    if let Some(t) = map.get("type") {
        enum_value(t, &["server_tool_use", "tool_use"], &join(path, "type"))?;
    }
    Ok(id)
}

fn tool_use_id<'a>(value: &'a Value, path: &str) -> Res<&'a str> {
    let id = string(value, path)?;
    length(id, 1, 64, path)?;
    pattern(id, is_tool_use_id_char, "[a-zA-Z0-9_.:-]+", path)?;
    Ok(id)
}

fn tool_result<'a>(value: &'a Value, path: &str) -> Res<&'a str> {
    let map = object(value, path)?;
    only_keys(map, &["toolUseId", "content", "status", "type"], path)?;
    let id = tool_use_id(required(map, "toolUseId", path)?, &join(path, "toolUseId"))?;
    let content = array(required(map, "content", path)?, &join(path, "content"))?;
    for (k, item) in content.iter().enumerate() {
        let ipath = format!("{path}.content.{}.member", k + 1);
        let (kind, inner) =
            union(item, &["json", "text", "image", "document", "video", "searchResult"], &ipath)?;
        let kpath = join(&ipath, kind);
        match kind {
            "json" => {}
            "text" => {
                string(inner, &kpath)?;
            }
            "image" => media(inner, &kpath, IMAGE_FORMATS, true)?,
            "document" => document(inner, &kpath)?,
            "video" => media(inner, &kpath, VIDEO_FORMATS, true)?,
            _ => search_result(inner, &kpath)?,
        }
    }
    if let Some(status) = map.get("status") {
        enum_value(status, &["success", "error"], &join(path, "status"))?;
    }
    if let Some(t) = map.get("type") {
        string(t, &join(path, "type"))?;
    }
    Ok(id)
}

fn reasoning(value: &Value, path: &str, i: usize, j: usize, model: &ModelInfo) -> Res<()> {
    let (kind, inner) = union(value, &["reasoningText", "redactedContent"], path)?;
    let kpath = join(path, kind);
    if kind == "redactedContent" {
        base64_blob(inner, &kpath)?;
        return Ok(());
    }
    let map = object(inner, &kpath)?;
    only_keys(map, &["text", "signature"], &kpath)?;
    let text = string(required(map, "text", &kpath)?, &join(&kpath, "text"))?;
    if model.provider != Provider::Anthropic {
        return Ok(());
    }
    let Some(signature) = map.get("signature") else {
        return Err(ApiError::model_says(format!(
            "messages.{i}.content.{j}.thinking.signature: Field required"
        )));
    };
    let signature = string(signature, &join(&kpath, "signature"))?;
    if !reasoning_signature_valid(text, signature) {
        return Err(ApiError::model_says(format!(
            "messages.{i}.content.{j}: Invalid `signature` in `thinking` block"
        )));
    }
    Ok(())
}

fn citations_content(value: &Value, path: &str) -> Res<()> {
    let map = object(value, path)?;
    only_keys(map, &["content", "citations"], path)?;
    for (k, item) in
        array(required(map, "content", path)?, &join(path, "content"))?.iter().enumerate()
    {
        let (_, text) = union(item, &["text"], &format!("{path}.content.{}.member", k + 1))?;
        string(text, &format!("{path}.content.{}.member.text", k + 1))?;
    }
    array(required(map, "citations", path)?, &join(path, "citations"))?;
    Ok(())
}

fn search_result(value: &Value, path: &str) -> Res<()> {
    let map = object(value, path)?;
    only_keys(map, &["source", "title", "content", "citations"], path)?;
    string(required(map, "source", path)?, &join(path, "source"))?;
    string(required(map, "title", path)?, &join(path, "title"))?;
    for (k, item) in
        array(required(map, "content", path)?, &join(path, "content"))?.iter().enumerate()
    {
        let (_, text) = union(item, &["text"], &format!("{path}.content.{}.member", k + 1))?;
        string(text, &format!("{path}.content.{}.member.text", k + 1))?;
    }
    Ok(())
}

/// Checks `additionalModelRequestFields`; returns whether extended thinking is on.
fn additional_fields(
    value: Option<&Value>,
    model: &ModelInfo,
    inference: &Inference<'_>,
    raw_tool_choice: Option<&Value>,
    tool_choice: Option<&ToolChoice>,
) -> Res<bool> {
    let Some(value) = value else { return Ok(false) };
    let Some(map) = value.as_object() else {
        return Err(ApiError::validation(
            "Malformed request. Please check your parameter/values and try again.",
        ));
    };
    if model.provider != Provider::Anthropic {
        return Ok(false);
    }
    if let Some(key) = map.keys().find(|k| !ANTHROPIC_EXTRA_FIELDS.contains(&k.as_str())) {
        return Err(ApiError::model_says(format!("{key}: Extra inputs are not permitted")));
    }
    if map.contains_key("tool_choice")
        && let Some(choice) =
            raw_tool_choice.and_then(Value::as_object).and_then(|m| m.keys().next())
    {
        return Err(ApiError::validation(format!(
            "The additional field tool_choice/type conflicts with the existing field toolConfig.toolChoice.{choice}. Remove tool_choice/type and try again."
        )));
    }
    if let Some(top_k) = map.get("top_k")
        && top_k.as_u64().is_none()
    {
        return Err(ApiError::model_says("top_k: Input should be a valid integer"));
    }
    let Some(thinking) = map.get("thinking") else { return Ok(false) };
    if model.thinking == Thinking::None {
        return Err(ApiError::model_says("thinking: Extra inputs are not permitted"));
    }
    let tmap = thinking
        .as_object()
        .ok_or_else(|| ApiError::model_says("thinking: Input should be a valid dictionary"))?;
    let kind = tmap.get("type").and_then(Value::as_str).unwrap_or("");
    let on = match kind {
        "disabled" => false,
        "enabled" => {
            let budget = tmap
                .get("budget_tokens")
                .ok_or_else(|| {
                    ApiError::model_says("thinking.enabled.budget_tokens: Field required")
                })?
                .as_u64()
                .ok_or_else(|| {
                    ApiError::model_says(
                        "thinking.enabled.budget_tokens: Input should be a valid integer",
                    )
                })?;
            if budget < 1024 {
                return Err(ApiError::model_says(
                    "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
                ));
            }
            let max_tokens = inference.max_tokens.unwrap_or(model.max_output);
            if max_tokens <= budget {
                return Err(ApiError::model_says(
                    "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size",
                ));
            }
            true
        }
        "adaptive" if model.thinking == Thinking::Adaptive => true,
        _ => {
            return Err(ApiError::model_says(format!(
                "thinking: Input tag '{kind}' found using 'type' does not match any of the expected tags: 'disabled', 'enabled'"
            )));
        }
    };
    if !on {
        return Ok(false);
    }
    if inference.temperature.is_some_and(|t| t != 1.0) {
        return Err(ApiError::model_says(
            "`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility",
        ));
    }
    if inference.top_p.is_some_and(|p| p < 0.95) {
        return Err(ApiError::model_says(
            "`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility",
        ));
    }
    if map.contains_key("top_k") {
        return Err(ApiError::model_says(
            "`top_k` must be unset when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility",
        ));
    }
    if matches!(tool_choice, Some(ToolChoice::Any | ToolChoice::Tool(_))) {
        return Err(ApiError::model_says(
            "Thinking may not be enabled when tool_choice forces tool use.",
        ));
    }
    Ok(true)
}

/// With thinking on, the assistant turn answered by the final tool results must start with
/// its reasoning block (Anthropic's rule; the usual bug is a client dropping it).
fn thinking_history(messages: &[Value]) -> Res<()> {
    let content =
        |m: &Value| m.get("content").and_then(Value::as_array).cloned().unwrap_or_default();
    let Some(last) = messages.last() else { return Ok(()) };
    let has_results = content(last).iter().any(|b| b.get("toolResult").is_some());
    if !has_results || messages.len() < 2 {
        return Ok(());
    }
    let i = messages.len() - 2;
    let first = content(&messages[i]).first().cloned().unwrap_or(Value::Null);
    if first.get("reasoningContent").is_some() {
        return Ok(());
    }
    let found = if first.get("toolUse").is_some() { "tool_use" } else { "text" };
    Err(ApiError::model_says(format!(
        "messages.{i}.content.0.type: Expected `thinking` or `redacted_thinking`, but found `{found}`. When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
    )))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::models::base_model;
    use serde_json::json;

    fn sonnet() -> &'static ModelInfo {
        base_model("anthropic.claude-sonnet-4-5-20250929-v1:0").unwrap()
    }

    fn message_of(body: Value, model: &ModelInfo) -> String {
        let err = validate(&body, model, false).unwrap_err();
        assert_eq!(err.status, 400);
        let v: Value = serde_json::from_str(&err.body).unwrap();
        v["message"].as_str().unwrap().to_string()
    }

    fn user(text: &str) -> Value {
        json!({"role": "user", "content": [{"text": text}]})
    }

    #[test]
    fn accepts_the_spec_example_body() {
        // The body the provider builds for the spec example (guest/src/converse/request_tests.rs).
        let body: Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/converse-request/spec-example.json"
        )))
        .unwrap();
        let request = validate(&body, sonnet(), false).unwrap();
        assert_eq!(request.tools.len(), 1);
        assert_eq!(request.max_tokens, Some(2048));
        assert_eq!(request.response_field_paths, ["/stop_sequence"]);
    }

    #[test]
    fn conversation_shape_messages() {
        let m = sonnet();
        assert!(
            message_of(json!({"messages": []}), m)
                .starts_with("A conversation must start with a user message.")
        );
        assert!(
            message_of(json!({"messages": [{"role": "assistant", "content": [{"text": "x"}]}]}), m)
                .starts_with("A conversation must start with a user message.")
        );
        assert!(
            message_of(json!({"messages": [user("a"), user("b")]}), m)
                .starts_with("A conversation must alternate")
        );
        assert_eq!(
            message_of(json!({"messages": [user("a"), {"role": "assistant", "content": []}]}), m),
            "The content field in the Message object at messages.1 is empty. Add a ContentBlock object to the content field and try again."
        );
        assert_eq!(
            message_of(json!({"messages": [user(" ")]}), m),
            "The text field in the ContentBlock object at messages.0.content.0 is blank. Add text to the text field, and try again."
        );
        assert_eq!(
            message_of(json!({"messages": [user("a")], "modelId": "x"}), m),
            "The request body contains an unknown field: modelId. Remove it and try again."
        );
        assert_eq!(
            message_of(json!({}), m),
            "1 validation error detected: Value null at 'messages' failed to satisfy constraint: Member must not be null"
        );
        assert!(
            message_of(
                json!({"messages": [{"role": "user", "content": [{"text": "a", "image": {}}]}]}),
                m
            )
            .contains("exactly one member")
        );
    }

    #[test]
    fn tool_rules() {
        let m = sonnet();
        let tools = json!({"tools": [{"toolSpec": {"name": "t", "inputSchema": {"json": {"type": "object"}}}}]});
        let history = |id_use: &str, id_result: &str, with_tools: bool| {
            let mut body = json!({"messages": [
                user("go"),
                {"role": "assistant", "content": [{"toolUse": {"toolUseId": id_use, "name": "t", "input": {}}}]},
                {"role": "user", "content": [{"toolResult": {"toolUseId": id_result, "content": [{"text": "ok"}]}}]}
            ]});
            if with_tools {
                body["toolConfig"] = tools.clone();
            }
            body
        };
        assert!(validate(&history("tooluse_1", "tooluse_1", true), m, false).is_ok());
        assert_eq!(
            message_of(history("tooluse_1", "tooluse_1", false), m),
            "The toolConfig field must be defined when using toolUse and toolResult content blocks."
        );
        assert!(
            message_of(history("tooluse_1", "tooluse_2", true), m)
                .contains("unexpected `tool_use_id` found in `tool_result` blocks: tooluse_2")
        );
        assert_eq!(
            message_of(history("bad id!", "bad id!", true), m),
            "1 validation error detected: Value at 'messages.2.member.content.1.member.toolUse.toolUseId' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.:-]+"
        );
        let lone = json!({"messages": [{"role": "user", "content": [{"toolResult": {"toolUseId": "a", "content": []}}]}], "toolConfig": tools});
        assert_eq!(
            message_of(lone, m),
            "The number of toolResult blocks at messages.0.content exceeds the number of toolUse blocks of previous turn."
        );
        let bad_name = json!({"messages": [
            user("go"),
            {"role": "assistant", "content": [{"toolUse": {"toolUseId": "a", "name": "bad name", "input": {}}}]}],
            "toolConfig": tools});
        assert_eq!(
            message_of(bad_name, m),
            "1 validation error detected: Value at 'messages.2.member.content.1.member.toolUse.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+"
        );
        let empty_tools = json!({"messages": [user("a")], "toolConfig": {"tools": []}});
        assert!(message_of(empty_tools, m).contains("'toolConfig.tools' failed to satisfy constraint: Member must have length greater than or equal to 1"));
        let llama = base_model("meta.llama3-8b-instruct-v1:0").unwrap();
        assert_eq!(
            message_of(json!({"messages": [user("a")], "toolConfig": tools}), llama),
            "This model doesn't support tool use."
        );
    }

    #[test]
    fn inference_and_thinking_rules() {
        let m = sonnet();
        let with = |extra: Value| {
            let mut body = json!({"messages": [user("a")]});
            for (k, v) in extra.as_object().unwrap() {
                body[k] = v.clone();
            }
            body
        };
        assert!(
            message_of(with(json!({"inferenceConfig": {"temperature": 0.5, "topP": 0.9}})), m)
                .contains("`temperature` and `top_p` cannot both be specified")
        );
        assert!(
            message_of(with(json!({"inferenceConfig": {"temperature": 1.5}})), m)
                .contains("Member must have value less than or equal to 1")
        );
        let haiku = base_model("anthropic.claude-3-haiku-20240307-v1:0").unwrap();
        assert_eq!(
            message_of(with(json!({"inferenceConfig": {"maxTokens": 5000}})), haiku),
            "The maximum tokens you requested exceed the model limit of 4096. Try again with a maximum tokens value lower than 4096."
        );
        let thinking = |budget: u64, max: u64| {
            with(json!({"inferenceConfig": {"maxTokens": max},
                "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": budget}}}))
        };
        assert!(validate(&thinking(1024, 2048), m, false).unwrap().thinking);
        assert!(message_of(thinking(1000, 2048), m).contains("greater than or equal to 1024"));
        assert!(
            message_of(thinking(2048, 2048), m)
                .contains("`max_tokens` must be greater than `thinking.budget_tokens`")
        );
        let mut forced = thinking(1024, 2048);
        forced["toolConfig"] = json!({"tools": [{"toolSpec": {"name": "t", "inputSchema": {"json": {"type": "object"}}}}], "toolChoice": {"any": {}}});
        assert_eq!(
            message_of(forced, m),
            "The model returned the following errors: Thinking may not be enabled when tool_choice forces tool use."
        );
        let mut hot = thinking(1024, 2048);
        hot["inferenceConfig"]["temperature"] = json!(0.3);
        assert!(
            message_of(hot, m)
                .contains("`temperature` may only be set to 1 when thinking is enabled")
        );
        assert!(
            message_of(thinking(1024, 2048), haiku)
                .contains("thinking: Extra inputs are not permitted")
        );
    }

    #[test]
    fn reasoning_and_cache_rules() {
        let m = sonnet();
        let in_user = json!({"messages": [{"role": "user", "content": [
            {"text": "a"}, {"reasoningContent": {"reasoningText": {"text": "t", "signature": "s"}}}]}]});
        assert_eq!(
            message_of(in_user, m),
            "User messages cannot contain reasoning content. Please remove the reasoning content and try again."
        );
        let forged = json!({"messages": [user("a"),
            {"role": "assistant", "content": [{"reasoningContent": {"reasoningText": {"text": "t", "signature": "forged"}}}, {"text": "b"}]},
            user("c")]});
        assert_eq!(
            message_of(forged, m),
            "The model returned the following errors: messages.1.content.0: Invalid `signature` in `thinking` block"
        );
        let first_cache = json!({"messages": [{"role": "user", "content": [{"cachePoint": {"type": "default"}}, {"text": "a"}]}]});
        assert!(message_of(first_cache, m).starts_with("There is nothing available to cache."));
        let cp = json!({"cachePoint": {"type": "default"}});
        let many = json!({"messages": [{"role": "user", "content": [{"text": "a"}, cp, {"text": "b"}, cp, {"text": "c"}, cp, {"text": "d"}, cp, {"text": "e"}, cp]}]});
        assert!(
            message_of(many, m)
                .contains("A maximum of 4 blocks with cache_control may be provided. Found 5.")
        );
    }

    #[test]
    fn media_rules() {
        let m = sonnet();
        let doc = |name: &str| {
            json!({"messages": [{"role": "user", "content": [
            {"text": "read"}, {"document": {"format": "txt", "name": name, "source": {"bytes": "aGVsbG8="}}}]}]})
        };
        assert!(validate(&doc("Report (v2) [final]"), m, false).is_ok());
        assert!(
            message_of(doc("report.txt"), m).starts_with("The document file name can only contain")
        );
        assert!(
            message_of(doc(&"a".repeat(201)), m)
                .contains("Member must have length less than or equal to 200")
        );
        let llama = base_model("meta.llama3-8b-instruct-v1:0").unwrap();
        let image = json!({"messages": [{"role": "user", "content": [{"text": "see"}, {"image": {"format": "png", "source": {"bytes": "iVBORw=="}}}]}]});
        assert!(validate(&image, m, false).is_ok());
        assert_eq!(
            message_of(image, llama),
            "This model doesn't support the image field for user messages. Remove image and try again."
        );
        let bad_b64 = json!({"messages": [{"role": "user", "content": [{"image": {"format": "png", "source": {"bytes": "***"}}}]}]});
        assert!(message_of(bad_b64, m).contains("image.source.bytes"));
        let schema_obj = json!({"messages": [user("a")], "outputConfig": {"textFormat": {"type": "json_schema", "structure": {"jsonSchema": {"schema": {"type": "object"}}}}}});
        assert!(
            message_of(schema_obj, m)
                .contains("outputConfig.textFormat.structure.jsonSchema.schema")
        );
    }
}

//! Assembles the Converse / ConverseStream request body.

use serde_json::{Map, Number, Value, json};

use super::checks::is_tool_name;
use super::messages::{self, cache_point_block, json_object};
use super::options::{self, guardrail_config};
use crate::api::{GenerateRequest, InferenceSettings, ToolChoice, ToolDefinition, Warning};
use crate::error::{ProviderError, Result};

/// Bedrock accepts at most this many cache points per request (system, messages and tools).
const MAX_CACHE_POINTS: usize = 4;
/// Anthropic's minimum thinking budget.
const MIN_THINKING_BUDGET: u32 = 1024;
/// Room for the answer when `maxTokens` must be derived from the thinking budget.
const ANSWER_ROOM: u32 = 4096;
/// Bedrock's limit on stop sequences.
const MAX_STOP_SEQUENCES: usize = 2500;
/// Bedrock's reason for refusing thinking with forced tool use, quoted so it can be searched.
const FORCED_TOOL_WITH_THINKING: &str =
    "Thinking may not be enabled when tool_choice forces tool use.";

/// A request body ready to sign, plus what the caller should know about how it was built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltRequest {
    /// Compact JSON; never contains the model ID (that goes in the path).
    pub body: Vec<u8>,
    /// Settings that were dropped or changed on the way.
    pub warnings: Vec<Warning>,
}

/// Which reasoning dialect a model speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Anthropic,
    Nova2,
    Other,
}

impl Family {
    fn of(model_id: &str) -> Self {
        if model_id.contains("anthropic.") {
            Self::Anthropic
        } else if model_id.contains("amazon.nova-2") {
            Self::Nova2
        } else {
            Self::Other
        }
    }
}

/// Builds the Converse JSON body for `req`, sent to `model_id` (used only to pick
/// model-family-specific fields such as Anthropic's `thinking`).
pub fn build_request(req: &GenerateRequest, model_id: &str) -> Result<BuiltRequest> {
    let mut warnings = Vec::new();
    let conv = messages::convert(&req.messages)?;
    let mut opts = options::parse(req.provider_options.as_deref())?;
    let (tool_config, tool_cache_fields) =
        tool_config(&req.tools, req.tool_choice.as_ref(), conv.has_tool_blocks, &mut warnings)?;

    if let Some(fifth) =
        conv.cache_point_fields.iter().chain(&tool_cache_fields).nth(MAX_CACHE_POINTS)
    {
        return Err(ProviderError::request(
            fifth.clone(),
            format!("A request may hold at most {MAX_CACHE_POINTS} cache points (system, messages and tools together)."),
        )
        .with_solution("Keep only the cache points after the largest stable prefixes."));
    }

    let mut settings = validated_settings(&req.settings)?;
    let generated = reasoning_fields(
        req,
        model_id,
        &mut settings,
        &mut opts.additional_request_fields,
        &mut warnings,
    )?;

    let mut body = Map::new();
    body.insert("messages".into(), Value::Array(conv.messages));
    if !conv.system.is_empty() {
        body.insert("system".into(), Value::Array(conv.system));
    }
    let inference = inference_config(&settings);
    if !inference.is_empty() {
        body.insert("inferenceConfig".into(), Value::Object(inference));
    }
    if let Some(tc) = tool_config {
        body.insert("toolConfig".into(), tc);
    }
    if let Some(g) = &req.guardrail {
        body.insert("guardrailConfig".into(), guardrail_config(g)?);
    }
    let mut additional = generated;
    for (key, value) in std::mem::take(&mut opts.additional_request_fields) {
        if additional.contains_key(&key) {
            return Err(ProviderError::request(
                format!("providerOptions.additionalModelRequestFields.{key}"),
                format!("`{key}` is set both by the reasoning budget and by provider options."),
            )
            .with_solution("Use either settings.reasoningBudget or your own additionalModelRequestFields value, not both."));
        }
        additional.insert(key, value);
    }
    if !additional.is_empty() {
        body.insert("additionalModelRequestFields".into(), Value::Object(additional));
    }
    body.extend(opts.passthrough);

    let body = serde_json::to_vec(&Value::Object(body)).map_err(|e| {
        ProviderError::request("messages", format!("The request could not be serialised: {e}."))
    })?;
    Ok(BuiltRequest { body, warnings })
}

/// Inference settings after range checks, adjusted by the reasoning rules.
struct Settings {
    max_tokens: Option<u32>,
    temperature: Option<f32>,
    top_p: Option<f32>,
    stop_sequences: Vec<String>,
}

fn validated_settings(s: &InferenceSettings) -> Result<Settings> {
    if s.max_tokens == Some(0) {
        return Err(ProviderError::request("settings.maxTokens", "maxTokens must be at least 1."));
    }
    for (field, value) in [("settings.temperature", s.temperature), ("settings.topP", s.top_p)] {
        if let Some(v) = value
            && !(0.0..=1.0).contains(&v)
        {
            return Err(ProviderError::request(field, format!("{v} is out of range."))
                .with_solution("Use a value from 0 to 1."));
        }
    }
    if s.stop_sequences.len() > MAX_STOP_SEQUENCES {
        return Err(ProviderError::request(
            "settings.stopSequences",
            format!("At most {MAX_STOP_SEQUENCES} stop sequences are allowed."),
        ));
    }
    if let Some(k) = s.stop_sequences.iter().position(String::is_empty) {
        return Err(ProviderError::request(
            format!("settings.stopSequences[{k}]"),
            "Stop sequences must not be empty.",
        ));
    }
    Ok(Settings {
        max_tokens: s.max_tokens,
        temperature: s.temperature,
        top_p: s.top_p,
        stop_sequences: s.stop_sequences.clone(),
    })
}

/// `f32` -> JSON number via its shortest decimal form, so 0.2 is sent as 0.2, not 0.200000003.
fn number(v: f32) -> Value {
    v.to_string().parse::<f64>().ok().and_then(Number::from_f64).map_or(Value::Null, Value::Number)
}

fn inference_config(s: &Settings) -> Map<String, Value> {
    let mut c = Map::new();
    if let Some(m) = s.max_tokens {
        c.insert("maxTokens".into(), json!(m));
    }
    if let Some(t) = s.temperature {
        c.insert("temperature".into(), number(t));
    }
    if let Some(p) = s.top_p {
        c.insert("topP".into(), number(p));
    }
    if !s.stop_sequences.is_empty() {
        c.insert("stopSequences".into(), json!(s.stop_sequences));
    }
    c
}

/// Applies the reasoning budget: returns the `additionalModelRequestFields` it generates and
/// adjusts settings and the caller's extra fields the way the model family requires.
fn reasoning_fields(
    req: &GenerateRequest,
    model_id: &str,
    settings: &mut Settings,
    caller_fields: &mut Map<String, Value>,
    warnings: &mut Vec<Warning>,
) -> Result<Map<String, Value>> {
    let mut fields = Map::new();
    let Some(budget) = req.settings.reasoning_budget else {
        return Ok(fields);
    };
    match Family::of(model_id) {
        Family::Anthropic => {
            if budget < MIN_THINKING_BUDGET {
                return Err(ProviderError::request(
                    "settings.reasoningBudget",
                    format!("A reasoning budget of {budget} tokens is below the minimum of {MIN_THINKING_BUDGET}."),
                )
                .with_solution(format!("Use at least {MIN_THINKING_BUDGET}, or leave the budget out.")));
            }
            if matches!(req.tool_choice, Some(ToolChoice::Required | ToolChoice::Tool(_))) {
                return Err(ProviderError::request(
                    "toolChoice",
                    "Extended reasoning cannot be combined with a forced tool choice.",
                )
                .with_cause(format!("Anthropic models refuse it: \"{FORCED_TOOL_WITH_THINKING}\""))
                .with_solution("Use tool choice auto, or drop the reasoning budget."));
            }
            match settings.max_tokens {
                None => {
                    let Some(max) = budget.checked_add(ANSWER_ROOM) else {
                        return Err(ProviderError::request(
                            "settings.reasoningBudget",
                            "The reasoning budget is too large.",
                        ));
                    };
                    settings.max_tokens = Some(max);
                    warnings.push(Warning::new(
                        "setting-changed",
                        format!("maxTokens was set to {max} (reasoning budget {budget} + {ANSWER_ROOM}): it must exceed the reasoning budget."),
                    ));
                }
                Some(max) if max <= budget => {
                    return Err(ProviderError::request(
                        "settings.maxTokens",
                        format!("maxTokens ({max}) must be greater than the reasoning budget ({budget})."),
                    )
                    .with_solution("Raise maxTokens above the budget (the answer is counted on top of the reasoning), or lower the budget."));
                }
                Some(_) => {}
            }
            if settings.temperature.take().is_some() {
                warnings.push(dropped(
                    "temperature",
                    "Anthropic models do not accept it with extended reasoning",
                ));
            }
            if settings.top_p.take().is_some() {
                warnings.push(dropped(
                    "topP",
                    "Anthropic models do not accept it with extended reasoning",
                ));
            }
            if caller_fields.remove("top_k").is_some() {
                warnings.push(dropped(
                    "additionalModelRequestFields.top_k",
                    "Anthropic models do not accept it with extended reasoning",
                ));
            }
            fields.insert("thinking".into(), json!({"type": "enabled", "budget_tokens": budget}));
        }
        Family::Nova2 => {
            let effort = match budget {
                0..4096 => "low",
                4096..16384 => "medium",
                _ => "high",
            };
            fields.insert(
                "reasoningConfig".into(),
                json!({"type": "enabled", "maxReasoningEffort": effort}),
            );
            warnings.push(Warning::new(
                "setting-changed",
                format!("Nova 2 takes a reasoning effort, not a budget: {budget} tokens was sent as maxReasoningEffort `{effort}`."),
            ));
            if effort == "high" && settings.max_tokens.take().is_some() {
                warnings.push(dropped(
                    "maxTokens",
                    "Nova 2 requires it unset with high reasoning effort",
                ));
            }
        }
        Family::Other => {
            warnings.push(dropped(
                "reasoningBudget",
                "this provider knows no reasoning setting for this model",
            ));
        }
    }
    Ok(fields)
}

fn dropped(setting: &str, why: &str) -> Warning {
    Warning::new("setting-dropped", format!("{setting} was not sent: {why}."))
}

/// The `toolConfig` member (if any) and the fields of its cache points.
fn tool_config(
    tools: &[ToolDefinition],
    choice: Option<&ToolChoice>,
    has_tool_blocks: bool,
    warnings: &mut Vec<Warning>,
) -> Result<(Option<Value>, Vec<String>)> {
    if tools.is_empty() {
        if has_tool_blocks {
            return Err(ProviderError::request(
                "tools",
                "The conversation contains tool calls or tool results but the request defines no tools.",
            )
            .with_cause("Bedrock requires toolConfig whenever the history holds toolUse or toolResult blocks.")
            .with_solution("Pass the tool definitions (tools) that the conversation used, with tool choice none if the model should not call them again."));
        }
        if matches!(choice, Some(ToolChoice::Required | ToolChoice::Tool(_))) {
            return Err(ProviderError::request(
                "toolChoice",
                "The tool choice forces a tool call but no tools are defined.",
            )
            .with_solution("Define the tools, or use tool choice auto."));
        }
        return Ok((None, Vec::new()));
    }
    if choice == Some(&ToolChoice::None) && !has_tool_blocks {
        return Ok((None, Vec::new()));
    }

    let mut specs = Vec::with_capacity(tools.len());
    let mut cache_fields = Vec::new();
    let mut names = std::collections::HashSet::new();
    for (k, tool) in tools.iter().enumerate() {
        let field = format!("tools[{k}]");
        if !is_tool_name(&tool.name) {
            return Err(ProviderError::request(
                format!("{field}.name"),
                format!("The tool name `{}` is not valid.", tool.name),
            )
            .with_solution("Tool names are 1 to 64 letters, digits, underscores or hyphens."));
        }
        if !names.insert(tool.name.as_str()) {
            return Err(ProviderError::request(
                format!("{field}.name"),
                format!("The tool `{}` is defined twice.", tool.name),
            ));
        }
        let schema = json_object(&tool.input_schema_json)
            .filter(|s| s.get("type").and_then(Value::as_str) == Some("object"))
            .ok_or_else(|| {
                ProviderError::request(
                    format!("{field}.inputSchemaJson"),
                    format!("The input schema of tool `{}` is not a JSON Schema object with \"type\": \"object\".", tool.name),
                )
                .with_solution("Describe the arguments as {\"type\":\"object\",\"properties\":{...}}.")
            })?;
        let mut spec = Map::new();
        spec.insert("name".into(), json!(tool.name));
        if let Some(d) = tool.description.as_deref().filter(|d| !d.is_empty()) {
            spec.insert("description".into(), json!(d));
        }
        spec.insert("inputSchema".into(), json!({"json": schema}));
        specs.push(json!({"toolSpec": spec}));
        if let Some(cp) = &tool.cache_point {
            let cp_field = format!("{field}.cachePoint");
            specs.push(cache_point_block(cp, &cp_field)?);
            cache_fields.push(cp_field);
        }
    }

    let mut config = Map::new();
    config.insert("tools".into(), Value::Array(specs));
    match choice {
        None => {}
        Some(ToolChoice::Auto) => {
            config.insert("toolChoice".into(), json!({"auto": {}}));
        }
        Some(ToolChoice::Required) => {
            config.insert("toolChoice".into(), json!({"any": {}}));
        }
        Some(ToolChoice::Tool(name)) => {
            if !names.contains(name.as_str()) {
                return Err(ProviderError::request(
                    "toolChoice",
                    format!("The tool choice names `{name}`, which is not among the defined tools."),
                )
                .with_solution("Name one of the tools in the request's tool definitions."));
            }
            config.insert("toolChoice".into(), json!({"tool": {"name": name}}));
        }
        Some(ToolChoice::None) => warnings.push(Warning::new(
            "tool-choice-unsupported",
            "Bedrock cannot forbid tool calls: the tools stay defined because the history uses them, so the model may still call one.",
        )),
    }
    Ok((Some(Value::Object(config)), cache_fields))
}

//! Assembles the Converse / ConverseStream request body.

use serde_json::{Map, Number, Value, json};

use super::checks::is_tool_name;
use super::messages::{self, cache_point_block, json_object};
use super::options::{self, guardrail_config};
use crate::api::{Effort, GenerateRequest, InferenceSettings, ToolChoice, ToolDefinition, Warning};
use crate::capabilities::{self, Capabilities, Dialect, EffortSupport};
use crate::error::{ProviderError, Result};
use crate::structured::{self, Plan};

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
/// The members of a Converse body that CountTokens takes (`ConverseTokensRequest`).
const COUNTABLE: [&str; 4] = ["messages", "system", "toolConfig", "additionalModelRequestFields"];

/// A request body ready to sign, plus what the caller should know about how it was built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltRequest {
    /// Compact JSON; never contains the model ID (that goes in the path).
    pub body: Vec<u8>,
    /// Settings that were dropped or changed on the way.
    pub warnings: Vec<Warning>,
    /// The synthetic tool that carries a structured answer (forced-tool path), to hide it in
    /// the response.
    pub synthetic_tool: Option<String>,
    /// The response schema sent natively, to locate keywords Bedrock refuses in it.
    pub native_schema: Option<Value>,
}

/// Builds the Converse JSON body for `req`, sent to `model_id` (used only to pick
/// model-family-specific fields such as Anthropic's `thinking`; see `capabilities`).
pub fn build_request(req: &GenerateRequest, model_id: &str) -> Result<BuiltRequest> {
    let mut warnings = Vec::new();
    let caps = capabilities::of(model_id);
    let conv = messages::convert(&req.messages)?;
    let mut opts = options::parse(req.provider_options.as_deref())?;
    let plan = structured::plan(
        req.response_format.as_ref(),
        caps.structured_output,
        model_id,
        &req.tools,
        req.tool_choice.as_ref(),
        conv.has_tool_blocks,
    )?;
    let (tools, choice) = match &plan {
        Some(Plan::ForcedTool { tools, choice, .. }) => (tools.as_slice(), Some(choice)),
        _ => (req.tools.as_slice(), req.tool_choice.as_ref()),
    };
    let (tool_config, tool_cache_fields) =
        tool_config(tools, choice, conv.has_tool_blocks, &mut warnings)?;

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
    let forced = Forced {
        by_caller: matches!(req.tool_choice, Some(ToolChoice::Required | ToolChoice::Tool(_))),
        by_format: matches!(plan, Some(Plan::ForcedTool { .. })),
    };
    let reasoning = reasoning_fields(
        &req.settings,
        caps,
        forced,
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
    let mut additional = reasoning.fields;
    for (key, value) in std::mem::take(&mut opts.additional_request_fields) {
        if additional.contains_key(&key) {
            return Err(ProviderError::request(
                format!("providerOptions.additionalModelRequestFields.{key}"),
                format!("`{key}` is set both by the reasoning settings and by provider options."),
            )
            .with_solution("Use either settings.reasoningBudget / reasoningEffort or your own additionalModelRequestFields value, not both."));
        }
        additional.insert(key, value);
    }
    if !additional.is_empty() {
        body.insert("additionalModelRequestFields".into(), Value::Object(additional));
    }
    let mut output_config = Map::new();
    let (mut synthetic_tool, mut native_schema) = (None, None);
    match plan {
        Some(Plan::Native { text_format, schema }) => {
            output_config.insert("textFormat".into(), text_format);
            native_schema = Some(schema);
        }
        Some(Plan::ForcedTool { tool_name, warning, .. }) => {
            warnings.push(warning);
            synthetic_tool = Some(tool_name);
        }
        None => {}
    }
    if let Some(effort) = reasoning.output_effort {
        output_config.insert("effort".into(), json!(effort.as_str()));
    }
    if !output_config.is_empty() {
        body.insert("outputConfig".into(), Value::Object(output_config));
    }
    body.extend(opts.passthrough);

    let body = serde_json::to_vec(&Value::Object(body)).map_err(|e| {
        ProviderError::request("messages", format!("The request could not be serialised: {e}."))
    })?;
    Ok(BuiltRequest { body, warnings, synthetic_tool, native_schema })
}

/// The CountTokens body (`{"input": {"converse": ...}}`) for a Converse body built by
/// [`build_request`]: only the members CountTokens takes. Returns the members left out that
/// change what the model reads (the response format and effort in `outputConfig`), for a warning.
pub fn count_tokens_body(converse_body: &[u8]) -> Result<(Vec<u8>, Vec<String>)> {
    let Ok(Value::Object(mut map)) = serde_json::from_slice::<Value>(converse_body) else {
        return Err(ProviderError::request("messages", "The request could not be serialised."));
    };
    let mut converse = Map::new();
    for key in COUNTABLE {
        if let Some(value) = map.remove(key) {
            converse.insert(key.to_string(), value);
        }
    }
    let left_out: Vec<String> =
        map.keys().filter(|k| k.as_str() == "outputConfig").cloned().collect();
    let body = json!({"input": {"converse": converse}});
    Ok((body.to_string().into_bytes(), left_out))
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

/// Who forces a tool call: the caller's tool choice, or the forced-tool response format.
#[derive(Debug, Clone, Copy)]
struct Forced {
    by_caller: bool,
    by_format: bool,
}

impl Forced {
    fn any(self) -> bool {
        self.by_caller || self.by_format
    }
}

/// What the reasoning settings add to the body.
struct Reasoning {
    /// `additionalModelRequestFields` members.
    fields: Map<String, Value>,
    /// `outputConfig.effort`.
    output_effort: Option<Effort>,
}

/// Applies the reasoning budget and effort the way the model family takes them (see
/// `capabilities`), adjusting settings and the caller's extra fields as the family requires.
fn reasoning_fields(
    s: &InferenceSettings,
    caps: Capabilities,
    forced: Forced,
    settings: &mut Settings,
    caller_fields: &mut Map<String, Value>,
    warnings: &mut Vec<Warning>,
) -> Result<Reasoning> {
    let mut out = Reasoning { fields: Map::new(), output_effort: None };
    let mut budget = s.reasoning_budget;
    let mut derived = false;
    if let Some(level) = s.reasoning_effort {
        match caps.effort {
            EffortSupport::Native { max_level } => {
                let sent = level.clamp(Effort::Low, max_level);
                if sent != level {
                    warnings.push(Warning::new(
                        "setting-changed",
                        format!("reasoningEffort `{}` was sent as `{}`, the nearest level this model takes.", level.as_str(), sent.as_str()),
                    ));
                }
                if sent > Effort::High && s.reasoning_budget.is_none() {
                    warnings.push(Warning::new(
                        "setting-changed",
                        format!("Bedrock caps reasoningEffort `{}` at `high` unless extended reasoning is on; set reasoningBudget to use it fully.", sent.as_str()),
                    ));
                }
                out.output_effort = Some(sent);
            }
            EffortSupport::Budget if budget.is_some() => warnings.push(dropped(
                "reasoningEffort",
                "reasoningBudget is set and this model takes only a budget",
            )),
            EffortSupport::Budget if forced.any() => warnings.push(dropped(
                "reasoningEffort",
                "this model reasons only with extended thinking, which Anthropic models refuse while a tool call is forced",
            )),
            EffortSupport::Budget => {
                let tokens = capabilities::budget_for(level);
                budget = Some(tokens);
                derived = true;
                warnings.push(Warning::new(
                    "setting-changed",
                    format!("This model takes a thinking budget, not an effort: reasoningEffort `{}` was sent as a budget of {tokens} tokens.", level.as_str()),
                ));
            }
            EffortSupport::Nova2 => {}
            EffortSupport::Unsupported => warnings.push(dropped(
                "reasoningEffort",
                "this provider knows no reasoning effort setting for this model",
            )),
        }
    }
    match caps.dialect {
        Dialect::Anthropic => {
            let Some(budget) = budget else { return Ok(out) };
            let field =
                if derived { "settings.reasoningEffort" } else { "settings.reasoningBudget" };
            if budget < MIN_THINKING_BUDGET {
                return Err(ProviderError::request(
                    field,
                    format!("A reasoning budget of {budget} tokens is below the minimum of {MIN_THINKING_BUDGET}."),
                )
                .with_solution(format!("Use at least {MIN_THINKING_BUDGET}, or leave the budget out.")));
            }
            if forced.by_caller {
                return Err(ProviderError::request(
                    "toolChoice",
                    "Extended reasoning cannot be combined with a forced tool choice.",
                )
                .with_cause(format!("Anthropic models refuse it: \"{FORCED_TOOL_WITH_THINKING}\""))
                .with_solution("Use tool choice auto, or drop the reasoning budget."));
            }
            if forced.by_format {
                return Err(ProviderError::request(
                    "responseFormat",
                    "Extended reasoning cannot be combined with a response format on this model.",
                )
                .with_cause(format!("This model has no native structured output on Bedrock, so the answer is asked for as a forced tool call, and Anthropic models refuse that with thinking: \"{FORCED_TOOL_WITH_THINKING}\""))
                .with_solution("Drop the reasoning budget, or use a model with native structured output (Claude Sonnet 4.5, Haiku 4.5, Opus 4.5 or later)."));
            }
            match settings.max_tokens {
                None => {
                    let Some(max) = budget.checked_add(ANSWER_ROOM) else {
                        return Err(ProviderError::request(
                            field,
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
            out.fields
                .insert("thinking".into(), json!({"type": "enabled", "budget_tokens": budget}));
        }
        Dialect::Nova2 => {
            let effort = match (s.reasoning_effort, budget) {
                (Some(level), _) => {
                    if budget.is_some() {
                        warnings.push(dropped(
                            "reasoningBudget",
                            "Nova 2 takes an effort, and reasoningEffort is set",
                        ));
                    }
                    let sent = match level {
                        Effort::Minimal | Effort::Low => "low",
                        Effort::Medium => "medium",
                        Effort::High | Effort::Xhigh | Effort::Max => "high",
                    };
                    if sent != level.as_str() {
                        warnings.push(Warning::new(
                            "setting-changed",
                            format!("Nova 2 takes low, medium or high: reasoningEffort `{}` was sent as maxReasoningEffort `{sent}`.", level.as_str()),
                        ));
                    }
                    sent
                }
                (None, Some(budget)) => {
                    let effort = match budget {
                        0..4096 => "low",
                        4096..16384 => "medium",
                        _ => "high",
                    };
                    warnings.push(Warning::new(
                        "setting-changed",
                        format!("Nova 2 takes a reasoning effort, not a budget: {budget} tokens was sent as maxReasoningEffort `{effort}`."),
                    ));
                    effort
                }
                (None, None) => return Ok(out),
            };
            out.fields.insert(
                "reasoningConfig".into(),
                json!({"type": "enabled", "maxReasoningEffort": effort}),
            );
            if effort == "high" && settings.max_tokens.take().is_some() {
                warnings.push(dropped(
                    "maxTokens",
                    "Nova 2 requires it unset with high reasoning effort",
                ));
            }
        }
        Dialect::Other => {
            if budget.is_some() {
                warnings.push(dropped(
                    "reasoningBudget",
                    "this provider knows no reasoning setting for this model",
                ));
            }
        }
    }
    Ok(out)
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

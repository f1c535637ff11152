//! Structured output: asking for an answer in a response format, and delivering it as text.
//!
//! Two paths, chosen per model family by [`crate::capabilities`]:
//! - **native**: Converse `outputConfig.textFormat` with the schema as a JSON *string*; Bedrock
//!   enforces it and the answer arrives as ordinary text.
//! - **forced tool** (other models, and `json-object` everywhere): a synthetic tool whose input
//!   schema is the requested schema, forced with `toolChoice`. Its input is the answer: it is
//!   returned as text with finish reason `stop`, and the tool itself never reaches the caller
//!   (not in content, and in streams its input fragments become text deltas). A
//!   `structured-output-tool` warning says this path was taken.
//!
//! With caller tools and tool choice `auto`, the forced-tool path sends `toolChoice: any`, so
//! the model either calls one of the caller's tools (returned as usual) or answers through the
//! synthetic one. A caller that forces a tool (`required` or a named tool) cannot be combined
//! with this path and gets `invalid-request`.

use serde_json::{Value, json};

use crate::api::{
    ContentPart, FinishReason, GenerateResponse, JsonSchemaFormat, ResponseFormat, StreamPart,
    ToolChoice, ToolDefinition, Warning,
};
use crate::capabilities::StructuredOutput;
use crate::converse::is_tool_name;
use crate::error::{ErrorKind, ProviderError, Result};

/// The synthetic tool's name; a suffix is added if a caller tool already has it.
pub const TOOL_NAME: &str = "json_response";
/// The warning code of the forced-tool path.
pub const WARNING_CODE: &str = "structured-output-tool";
/// The request field errors about the format name.
const FIELD: &str = "responseFormat";

/// How the request asks for the format.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// `outputConfig.textFormat`, ready to insert.
    Native {
        /// The `textFormat` member.
        text_format: Value,
        /// The parsed schema, to locate unsupported keywords Bedrock reports.
        schema: Value,
    },
    /// The synthetic tool and the tools and choice to send instead of the caller's.
    ForcedTool {
        /// The synthetic tool's name (never a caller tool's).
        tool_name: String,
        /// The caller's tools (when sent) plus the synthetic one, last.
        tools: Vec<ToolDefinition>,
        /// The tool choice to send.
        choice: ToolChoice,
        /// Says that the answer came through a tool call.
        warning: Warning,
    },
}

/// Decides how to ask for `format` from a model whose family supports `support`.
///
/// `has_tool_blocks`: whether the conversation already holds tool calls or results, in which
/// case the caller's tools must stay defined even when the caller chose `none`.
pub fn plan(
    format: Option<&ResponseFormat>,
    support: StructuredOutput,
    model_id: &str,
    tools: &[ToolDefinition],
    choice: Option<&ToolChoice>,
    has_tool_blocks: bool,
) -> Result<Option<Plan>> {
    let (schema, spec) = match format {
        None | Some(ResponseFormat::Text) => return Ok(None),
        Some(ResponseFormat::JsonObject) => (json!({"type": "object"}), None),
        Some(ResponseFormat::JsonSchema(spec)) => (parse_schema(spec)?, Some(spec)),
    };
    if let (Some(spec), StructuredOutput::Native) = (spec, support) {
        let mut definition = json!({"schema": schema.to_string(), "name": spec.name});
        if let Some(d) = spec.description.as_deref().filter(|d| !d.is_empty()) {
            definition["description"] = json!(d);
        }
        let text_format = json!({"type": "json_schema", "structure": {"jsonSchema": definition}});
        return Ok(Some(Plan::Native { text_format, schema }));
    }
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        return Err(ProviderError::request(
            format!("{FIELD}.schema"),
            "The response schema's top-level type must be \"object\" for this model.",
        )
        .with_cause(format!(
            "`{model_id}` has no native structured output on Bedrock, so the answer is asked for \
             as a tool call, and Bedrock requires tool input schemas to be objects."
        ))
        .with_solution("Wrap the value in an object, e.g. {\"type\":\"object\",\"properties\":{\"items\":<your schema>},\"required\":[\"items\"]}."));
    }
    let choice = match choice {
        Some(ToolChoice::Required | ToolChoice::Tool(_)) => {
            return Err(ProviderError::request(
                "toolChoice",
                "A forced tool choice cannot be combined with a response format on this model.",
            )
            .with_cause(format!(
                "`{model_id}` has no native structured output on Bedrock: the answer itself is \
                 obtained by forcing a call of a synthetic tool, so no other tool can be forced."
            ))
            .with_solution(
                "Use tool choice auto (the model then calls one of your tools or answers in the \
                 format), drop the response format, or use a model with native structured output \
                 (Claude Sonnet 4.5, Haiku 4.5, Opus 4.5 or later).",
            ));
        }
        Some(ToolChoice::None) => None,
        Some(ToolChoice::Auto) | None => Some(()),
    };
    let mut tool_name = TOOL_NAME.to_string();
    let mut n = 1;
    while tools.iter().any(|t| t.name == tool_name) {
        tool_name = format!("{TOOL_NAME}_{n}");
        n += 1;
    }
    let description = spec
        .and_then(|s| s.description.clone())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "The final answer, as JSON.".to_string());
    let synthetic = ToolDefinition {
        name: tool_name.clone(),
        description: Some(format!(
            "Give the final answer by calling this tool with it as the input. {description}"
        )),
        input_schema_json: schema.to_string(),
        cache_point: None,
    };
    // With tool choice `none`, the caller's tools stay only when the history needs them.
    let keep_caller_tools = choice.is_some() || has_tool_blocks;
    let mut sent: Vec<ToolDefinition> = if keep_caller_tools { tools.to_vec() } else { Vec::new() };
    let choice = if choice.is_some() && !tools.is_empty() {
        ToolChoice::Required
    } else {
        ToolChoice::Tool(tool_name.clone())
    };
    sent.push(synthetic);
    let what = match spec {
        Some(s) => format!("the JSON Schema `{}`", s.name),
        None => "a JSON object".to_string(),
    };
    let warning = Warning::new(
        WARNING_CODE,
        format!(
            "`{model_id}` has no native structured output on Bedrock: {what} was asked for as a \
             forced call of the synthetic tool `{tool_name}`, whose input is returned as the \
             answer's text. The schema guides the model but is not enforced; validate the answer."
        ),
    );
    Ok(Some(Plan::ForcedTool { tool_name, tools: sent, choice, warning }))
}

/// The schema as a JSON object, or `invalid-request` naming the format field at fault.
fn parse_schema(spec: &JsonSchemaFormat) -> Result<Value> {
    if !is_tool_name(&spec.name) {
        return Err(ProviderError::request(
            format!("{FIELD}.name"),
            format!("The response format name `{}` is not valid.", spec.name),
        )
        .with_solution(
            "Use 1 to 64 letters, digits, underscores or hyphens, e.g. `weather_report`.",
        ));
    }
    match serde_json::from_str::<Value>(&spec.schema_json) {
        Ok(schema @ Value::Object(_)) => Ok(schema),
        Ok(_) => Err(ProviderError::request(
            format!("{FIELD}.schema"),
            "The response schema must be a JSON object.",
        )
        .with_solution("Send a JSON Schema such as {\"type\":\"object\",\"properties\":{...}}.")),
        Err(e) => Err(ProviderError::request(
            format!("{FIELD}.schema"),
            format!("The response schema is not valid JSON: {e}."),
        )),
    }
}

/// Turns a forced-tool answer into a text answer: the synthetic call's input becomes the text
/// (finish reason `stop`); other parts stay, except text the model wrote beside the call.
pub fn rewrite_response(response: &mut GenerateResponse, tool_name: &str) {
    let Some(at) = response
        .content
        .iter()
        .position(|p| matches!(p, ContentPart::ToolCall(c) if c.name == tool_name))
    else {
        return;
    };
    let ContentPart::ToolCall(call) = response.content.remove(at) else { return };
    response.content.retain(|p| !matches!(p, ContentPart::Text(_) | ContentPart::CitedText(_)));
    let calls_left = response.content.iter().any(|p| matches!(p, ContentPart::ToolCall(_)));
    response
        .content
        .insert(at.min(response.content.len()), ContentPart::Text(call.input_json.clone()));
    response.text = call.input_json;
    if response.finish_reason == FinishReason::ToolCalls && !calls_left {
        response.finish_reason = FinishReason::Stop;
    }
}

/// Hides the synthetic tool in a stream: its start and end parts are dropped, its input
/// fragments become text deltas of the same block, and `tool-calls` becomes `stop` when it was
/// the only call. Text beside the call is dropped, as in [`rewrite_response`].
#[derive(Debug)]
pub struct StreamFilter {
    tool_name: String,
    /// Content blocks that belong to the synthetic tool.
    synthetic: Vec<u32>,
    /// Whether a caller tool was called (then the finish reason stays `tool-calls`).
    other_calls: bool,
}

impl StreamFilter {
    /// A filter for the synthetic tool `tool_name`.
    pub fn new(tool_name: impl Into<String>) -> Self {
        Self { tool_name: tool_name.into(), synthetic: Vec::new(), other_calls: false }
    }

    /// The part to deliver instead of `part`, or `None` to drop it.
    pub fn map(&mut self, part: StreamPart) -> Option<StreamPart> {
        match part {
            StreamPart::ToolCallStart { index, name, .. } if name == self.tool_name => {
                self.synthetic.push(index);
                None
            }
            StreamPart::ToolCallStart { .. } => {
                self.other_calls = true;
                Some(part)
            }
            StreamPart::ToolCallDelta { index, input_fragment }
                if self.synthetic.contains(&index) =>
            {
                Some(StreamPart::TextDelta { index, text: input_fragment })
            }
            StreamPart::ToolCallEnd(call) if call.name == self.tool_name => None,
            StreamPart::TextDelta { .. } | StreamPart::Citation(_) => None,
            StreamPart::Finish(mut finish) => {
                if finish.reason == FinishReason::ToolCalls
                    && !self.other_calls
                    && !self.synthetic.is_empty()
                {
                    finish.reason = FinishReason::Stop;
                }
                Some(StreamPart::Finish(finish))
            }
            other => Some(other),
        }
    }
}

/// Adds what the caller needs to fix an `invalid-request` Bedrock raised about the schema
/// (`output_config.format.schema: For 'array' type, property 'maxItems' is not supported`):
/// the field is the schema path of the first use of the keyword, the cause quotes the feature.
pub fn refine_error(mut error: ProviderError, schema: &Value) -> ProviderError {
    if error.kind != ErrorKind::InvalidRequest || !error.message.contains("output_config.format") {
        return error;
    }
    let feature = unsupported_feature(&error.message);
    let path = feature.as_ref().and_then(|(kind, keyword)| find_keyword(schema, kind, keyword, ""));
    error.field = Some(match &path {
        Some(p) => format!("{FIELD}.schema{p}"),
        None => format!("{FIELD}.schema"),
    });
    let quoted = match &feature {
        Some((kind, keyword)) => format!("`{keyword}` in a schema of type `{kind}`"),
        None => "a JSON Schema feature".to_string(),
    };
    error.cause = Some(format!(
        "The model's structured output does not support {quoted}; Bedrock refused the schema: \"{}\"",
        error.message
    ));
    error.solution = Some(format!(
        "Remove {quoted} from the response schema{} and check the answer's constraints in your \
         code instead.",
        path.map(|p| format!(" (at {p})")).unwrap_or_default()
    ));
    error
}

/// `For 'array' type, property 'maxItems' is not supported` -> (`array`, `maxItems`).
fn unsupported_feature(message: &str) -> Option<(String, String)> {
    let quoted = |s: &str, after: &str| -> Option<String> {
        let start = s.find(after)? + after.len();
        let rest = &s[start..];
        let end = rest.find('\'')?;
        Some(rest[..end].to_string())
    };
    let kind = quoted(message, "For '")?;
    let keyword = quoted(message, "property '")?;
    Some((kind, keyword))
}

/// The JSON-pointer-like path (`.properties.tags.maxItems`) of the first schema node of type
/// `kind` that uses `keyword`.
fn find_keyword(node: &Value, kind: &str, keyword: &str, path: &str) -> Option<String> {
    match node {
        Value::Object(map) => {
            let is_kind = match map.get("type") {
                Some(Value::String(t)) => t == kind,
                Some(Value::Array(ts)) => ts.iter().any(|t| t.as_str() == Some(kind)),
                _ => false,
            };
            if is_kind && map.contains_key(keyword) {
                return Some(format!("{path}.{keyword}"));
            }
            map.iter().find_map(|(k, v)| find_keyword(v, kind, keyword, &format!("{path}.{k}")))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| find_keyword(v, kind, keyword, &format!("{path}[{i}]"))),
        _ => None,
    }
}

#[cfg(test)]
#[path = "structured_tests.rs"]
mod tests;

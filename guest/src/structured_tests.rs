//! Both structured-output paths: the request body, the answer rewrite, the stream filter and
//! the schema error refinement.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use super::*;
use crate::api::{
    Effort, Finish, GenerateRequest, InferenceSettings, Message, ResponseMetadata, Role, ToolCall,
    Usage,
};
use crate::converse::build_request;

const NATIVE: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const OLD_CLAUDE: &str = "us.anthropic.claude-sonnet-4-20250514-v1:0";
const NOVA: &str = "amazon.nova-lite-v1:0";
const SCHEMA: &str = r#"{"type":"object","properties":{"city":{"type":"string"},"tempC":{"type":"number"}},"required":["city","tempC"]}"#;

fn format() -> ResponseFormat {
    ResponseFormat::JsonSchema(JsonSchemaFormat {
        name: "weather".into(),
        description: Some("Today's weather".into()),
        schema_json: SCHEMA.into(),
        strict: true,
    })
}

fn request(format: Option<ResponseFormat>) -> GenerateRequest {
    GenerateRequest {
        messages: vec![Message {
            role: Role::User,
            content: vec![ContentPart::Text("Weather in Paris?".into())],
        }],
        response_format: format,
        ..Default::default()
    }
}

fn weather_tool(name: &str) -> ToolDefinition {
    ToolDefinition {
        name: name.into(),
        description: None,
        input_schema_json: r#"{"type":"object"}"#.into(),
        cache_point: None,
    }
}

fn body(r: &GenerateRequest, model: &str) -> (Value, crate::converse::BuiltRequest) {
    let built = build_request(r, model).unwrap();
    (serde_json::from_slice(&built.body).unwrap(), built)
}

#[test]
fn native_models_get_output_config_with_the_schema_as_a_string() {
    let (b, built) = body(&request(Some(format())), NATIVE);
    let format = &b["outputConfig"]["textFormat"];
    assert_eq!(format["type"], "json_schema");
    let definition = &format["structure"]["jsonSchema"];
    assert_eq!(definition["name"], "weather");
    assert_eq!(definition["description"], "Today's weather");
    let schema = definition["schema"].as_str().unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(schema).unwrap(),
        serde_json::from_str::<Value>(SCHEMA).unwrap()
    );
    assert!(b.get("toolConfig").is_none());
    assert!(built.synthetic_tool.is_none() && built.native_schema.is_some());
    assert!(built.warnings.is_empty(), "{:?}", built.warnings);
}

#[test]
fn other_models_get_a_forced_synthetic_tool_and_a_warning() {
    for model in [OLD_CLAUDE, NOVA] {
        let (b, built) = body(&request(Some(format())), model);
        assert!(b.get("outputConfig").is_none());
        let tools = b["toolConfig"]["tools"].as_array().unwrap();
        assert_eq!(tools.len(), 1);
        assert_eq!(tools[0]["toolSpec"]["name"], TOOL_NAME);
        assert_eq!(
            tools[0]["toolSpec"]["inputSchema"]["json"],
            serde_json::from_str::<Value>(SCHEMA).unwrap()
        );
        assert!(tools[0]["toolSpec"].get("strict").is_none(), "older models refuse `strict`");
        assert_eq!(b["toolConfig"]["toolChoice"], json!({"tool": {"name": TOOL_NAME}}));
        assert_eq!(built.synthetic_tool.as_deref(), Some(TOOL_NAME));
        let w = built.warnings.iter().find(|w| w.code == WARNING_CODE).unwrap();
        assert!(w.message.contains(model) && w.message.contains("weather"), "{w:?}");
    }
}

#[test]
fn json_object_always_takes_the_tool_path() {
    let (b, built) = body(&request(Some(ResponseFormat::JsonObject)), NATIVE);
    assert!(b.get("outputConfig").is_none());
    assert_eq!(
        b["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"],
        json!({"type": "object"})
    );
    assert!(
        built
            .warnings
            .iter()
            .any(|w| w.code == WARNING_CODE && w.message.contains("a JSON object"))
    );
    let (b, built) = body(&request(Some(ResponseFormat::Text)), NOVA);
    assert!(b.get("toolConfig").is_none() && built.synthetic_tool.is_none());
}

#[test]
fn caller_tools_stay_callable_and_the_name_never_collides() {
    let mut r = request(Some(format()));
    r.tools = vec![weather_tool("get_weather"), weather_tool(TOOL_NAME)];
    let (b, built) = body(&r, NOVA);
    let names: Vec<&str> = b["toolConfig"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["toolSpec"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["get_weather", TOOL_NAME, "json_response_1"]);
    assert_eq!(built.synthetic_tool.as_deref(), Some("json_response_1"));
    // Auto: the model must call a tool, one of the caller's or the answer.
    assert_eq!(b["toolConfig"]["toolChoice"], json!({"any": {}}));
    // None: the caller's tools are not offered (no history needs them).
    r.tool_choice = Some(ToolChoice::None);
    let (b, _) = body(&r, NOVA);
    assert_eq!(b["toolConfig"]["tools"].as_array().unwrap().len(), 1);
    assert_eq!(b["toolConfig"]["toolChoice"], json!({"tool": {"name": "json_response_1"}}));
}

#[test]
fn a_forced_caller_tool_is_refused_on_the_tool_path_only() {
    for choice in [ToolChoice::Required, ToolChoice::Tool("get_weather".into())] {
        let mut r = request(Some(format()));
        r.tools = vec![weather_tool("get_weather")];
        r.tool_choice = Some(choice);
        let e = build_request(&r, NOVA).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest);
        assert_eq!(e.field.as_deref(), Some("toolChoice"));
        assert!(e.cause.unwrap().contains("synthetic tool"));
        // The native path combines with any tool choice.
        build_request(&r, NATIVE).unwrap();
    }
}

#[test]
fn bad_formats_name_the_field() {
    let bad = |name: &str, schema: &str| {
        ResponseFormat::JsonSchema(JsonSchemaFormat {
            name: name.into(),
            description: None,
            schema_json: schema.into(),
            strict: false,
        })
    };
    for (format, model, field) in [
        (bad("has space", SCHEMA), NATIVE, "responseFormat.name"),
        (bad("ok", "not json"), NATIVE, "responseFormat.schema"),
        (bad("ok", "[1]"), NATIVE, "responseFormat.schema"),
        (bad("ok", r#"{"type":"array"}"#), NOVA, "responseFormat.schema"),
    ] {
        let e = build_request(&request(Some(format)), model).unwrap_err();
        assert_eq!((e.kind, e.field.as_deref()), (ErrorKind::InvalidRequest, Some(field)), "{e:?}");
    }
    // An array root is Bedrock's call on the native path.
    build_request(&request(Some(bad("ok", r#"{"type":"array"}"#))), NATIVE).unwrap();
}

#[test]
fn reasoning_and_the_tool_path_conflict_on_anthropic_models() {
    let mut r = request(Some(format()));
    r.settings = InferenceSettings { reasoning_budget: Some(2048), ..Default::default() };
    let e = build_request(&r, OLD_CLAUDE).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("responseFormat"));
    assert!(e.cause.unwrap().contains("Thinking may not be enabled"));
    // The native path keeps thinking.
    let (b, _) = body(&r, NATIVE);
    assert_eq!(b["additionalModelRequestFields"]["thinking"]["budget_tokens"], 2048);
    // An effort (a hint) is dropped instead of failing.
    r.settings = InferenceSettings { reasoning_effort: Some(Effort::High), ..Default::default() };
    let (b, built) = body(&r, OLD_CLAUDE);
    assert!(b.get("additionalModelRequestFields").is_none());
    assert!(
        built
            .warnings
            .iter()
            .any(|w| w.code == "setting-dropped" && w.message.contains("reasoningEffort"))
    );
}

fn answer(content: Vec<ContentPart>, finish: FinishReason) -> GenerateResponse {
    GenerateResponse {
        text: String::new(),
        content,
        finish_reason: finish,
        raw_finish_reason: "tool_use".into(),
        usage: Usage::default(),
        warnings: vec![],
        metadata: ResponseMetadata::default(),
        trace_json: None,
        additional_fields_json: None,
    }
}

fn call(name: &str, input: &str) -> ContentPart {
    ContentPart::ToolCall(ToolCall {
        id: "tooluse_1".into(),
        name: name.into(),
        input_json: input.into(),
    })
}

#[test]
fn the_synthetic_call_becomes_the_text() {
    let mut a = answer(
        vec![ContentPart::Text("Sure:".into()), call(TOOL_NAME, r#"{"city":"Paris"}"#)],
        FinishReason::ToolCalls,
    );
    rewrite_response(&mut a, TOOL_NAME);
    assert_eq!(a.text, r#"{"city":"Paris"}"#);
    assert_eq!(a.content, vec![ContentPart::Text(r#"{"city":"Paris"}"#.into())]);
    assert_eq!(a.finish_reason, FinishReason::Stop);
    assert_eq!(a.raw_finish_reason, "tool_use", "the upstream's own word stays");
    // A caller tool call is left alone.
    let mut a = answer(vec![call("get_weather", "{}")], FinishReason::ToolCalls);
    rewrite_response(&mut a, TOOL_NAME);
    assert_eq!(a.finish_reason, FinishReason::ToolCalls);
    assert!(matches!(&a.content[0], ContentPart::ToolCall(c) if c.name == "get_weather"));
}

#[test]
fn streams_show_the_synthetic_input_as_text_deltas() {
    let mut f = StreamFilter::new(TOOL_NAME);
    let parts = vec![
        StreamPart::TextDelta { index: 0, text: "Sure:".into() },
        StreamPart::ToolCallStart { index: 1, id: "tooluse_1".into(), name: TOOL_NAME.into() },
        StreamPart::ToolCallDelta { index: 1, input_fragment: "{\"city\":".into() },
        StreamPart::ToolCallDelta { index: 1, input_fragment: "\"Paris\"}".into() },
        StreamPart::ToolCallEnd(ToolCall {
            id: "tooluse_1".into(),
            name: TOOL_NAME.into(),
            input_json: r#"{"city":"Paris"}"#.into(),
        }),
        StreamPart::Finish(Finish {
            reason: FinishReason::ToolCalls,
            raw: "tool_use".into(),
            additional_fields_json: None,
        }),
    ];
    let out: Vec<StreamPart> = parts.into_iter().filter_map(|p| f.map(p)).collect();
    assert_eq!(
        out,
        vec![
            StreamPart::TextDelta { index: 1, text: "{\"city\":".into() },
            StreamPart::TextDelta { index: 1, text: "\"Paris\"}".into() },
            StreamPart::Finish(Finish {
                reason: FinishReason::Stop,
                raw: "tool_use".into(),
                additional_fields_json: None
            }),
        ]
    );
    // Caller tool calls pass and keep `tool-calls`.
    let mut f = StreamFilter::new(TOOL_NAME);
    let start = StreamPart::ToolCallStart { index: 0, id: "t".into(), name: "get_weather".into() };
    assert_eq!(f.map(start.clone()), Some(start));
    let finish = StreamPart::Finish(Finish {
        reason: FinishReason::ToolCalls,
        raw: "tool_use".into(),
        additional_fields_json: None,
    });
    assert_eq!(f.map(finish.clone()), Some(finish));
}

#[test]
fn unsupported_schema_keywords_are_located() {
    let schema = json!({"type": "object", "properties": {
        "name": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3}
    }});
    let upstream = ProviderError::new(
        ErrorKind::InvalidRequest,
        "The model returned the following errors: output_config.format.schema: For 'array' type, property 'maxItems' is not supported",
    );
    let e = refine_error(upstream, &schema);
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    assert_eq!(e.field.as_deref(), Some("responseFormat.schema.properties.tags.maxItems"));
    assert!(
        e.cause.as_deref().unwrap().contains("`maxItems` in a schema of type `array`"),
        "{e:?}"
    );
    assert!(e.solution.unwrap().contains(".properties.tags.maxItems"));
    // Not found in the schema: the schema as a whole.
    let upstream = ProviderError::new(
        ErrorKind::InvalidRequest,
        "The model returned the following errors: output_config.format.schema: For 'string' type, property 'pattern' is not supported",
    );
    assert_eq!(refine_error(upstream, &schema).field.as_deref(), Some("responseFormat.schema"));
    // Other errors are left alone.
    let other = ProviderError::new(ErrorKind::Throttled, "Too many requests");
    assert_eq!(refine_error(other.clone(), &schema), other);
}

//! Golden request bodies and every validation rule of `build_request`.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use super::build_request;
use crate::api::*;

const CLAUDE: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";
const CLAUDE_PROFILE: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const NOVA: &str = "amazon.nova-lite-v1:0";
const NOVA2: &str = "us.amazon.nova-2-lite-v1:0";

fn text(s: &str) -> ContentPart {
    ContentPart::Text(s.into())
}

fn msg(role: Role, content: Vec<ContentPart>) -> Message {
    Message { role, content }
}

fn user(s: &str) -> Message {
    msg(Role::User, vec![text(s)])
}

fn assistant(s: &str) -> Message {
    msg(Role::Assistant, vec![text(s)])
}

fn req(messages: Vec<Message>) -> GenerateRequest {
    GenerateRequest { messages, ..Default::default() }
}

fn call(id: &str, name: &str, input: &str) -> ContentPart {
    ContentPart::ToolCall(ToolCall { id: id.into(), name: name.into(), input_json: input.into() })
}

fn result(id: &str, content: Vec<ToolResultContent>, is_error: bool) -> ContentPart {
    ContentPart::ToolResult(ToolResult { id: id.into(), content, is_error })
}

fn weather_tool() -> ToolDefinition {
    ToolDefinition {
        name: "get_weather".into(),
        description: Some("Get weather".into()),
        input_schema_json:
            r#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#
                .into(),
        cache_point: None,
    }
}

fn cache(ttl: Option<&str>) -> ContentPart {
    ContentPart::CachePoint(CachePoint { ttl: ttl.map(str::to_string) })
}

/// A conversation with one tool round trip.
fn tool_history() -> Vec<Message> {
    vec![
        user("Weather in Paris?"),
        msg(Role::Assistant, vec![call("tooluse_abc", "get_weather", r#"{"city":"Paris"}"#)]),
        msg(
            Role::Tool,
            vec![result(
                "tooluse_abc",
                vec![ToolResultContent::Json(r#"{"tempC":21}"#.into())],
                false,
            )],
        ),
    ]
}

fn body(r: &GenerateRequest, model: &str) -> Value {
    let built = build_request(r, model).unwrap();
    serde_json::from_slice(&built.body).unwrap()
}

fn built(r: &GenerateRequest, model: &str) -> super::BuiltRequest {
    build_request(r, model).unwrap()
}

fn err(r: &GenerateRequest, model: &str) -> ProviderError {
    let e = build_request(r, model).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidRequest, "{e:?}");
    e
}

fn field(e: &ProviderError) -> &str {
    e.field.as_deref().unwrap_or_default()
}

// ---- golden bodies ----

#[test]
fn minimal_body_is_compact_and_has_no_model_id() {
    let b = built(&req(vec![user("Hi")]), CLAUDE);
    assert_eq!(
        String::from_utf8(b.body).unwrap(),
        r#"{"messages":[{"content":[{"text":"Hi"}],"role":"user"}]}"#
    );
    assert!(b.warnings.is_empty());
}

#[test]
fn spec_example_body_with_all_common_features() {
    let mut r = req(vec![
        msg(Role::System, vec![text("You are terse."), cache(None)]),
        user("Weather in Paris?"),
        msg(Role::Assistant, vec![call("tooluse_abc", "get_weather", r#"{"city": "Paris"}"#)]),
        msg(
            Role::Tool,
            vec![result(
                "tooluse_abc",
                vec![ToolResultContent::Json(r#"{"tempC": 21}"#.into())],
                false,
            )],
        ),
    ]);
    r.settings = InferenceSettings {
        max_tokens: Some(2048),
        temperature: Some(0.2),
        stop_sequences: vec!["\n\nHuman:".into()],
        ..Default::default()
    };
    r.tools = vec![weather_tool()];
    r.tool_choice = Some(ToolChoice::Auto);
    r.provider_options = Some(
        r#"{"additionalModelRequestFields":{"top_k":200},"additionalModelResponseFieldPaths":["/stop_sequence"],
           "requestMetadata":{"tenant":"acme"},"performanceConfig":{"latency":"standard"},"serviceTier":{"type":"default"}}"#
            .into(),
    );
    // The same body the emulator accepts (tests/emulator/src/validate.rs).
    let expected: Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/converse-request/spec-example.json"
    )))
    .unwrap();
    assert_eq!(body(&r, CLAUDE), expected);
}

#[test]
fn system_messages_anywhere_go_to_the_system_field() {
    let r = req(vec![
        msg(Role::System, vec![text("A")]),
        user("x"),
        msg(Role::System, vec![text("B")]),
        user("y"),
    ]);
    assert_eq!(
        body(&r, NOVA),
        json!({
            "system": [{"text": "A"}, {"text": "B"}],
            "messages": [{"role": "user", "content": [{"text": "x"}, {"text": "y"}]}]
        })
    );
}

#[test]
fn adjacent_turns_of_the_same_role_are_merged() {
    let mut history = tool_history();
    history.push(user("And tomorrow?"));
    history.push(assistant("Let me check."));
    history.push(assistant("Sunny."));
    let mut r = req(history);
    r.tools = vec![weather_tool()];
    let b = body(&r, NOVA);
    assert_eq!(
        b["messages"],
        json!([
            {"role": "user", "content": [{"text": "Weather in Paris?"}]},
            {"role": "assistant", "content": [{"toolUse": {"toolUseId": "tooluse_abc", "name": "get_weather", "input": {"city": "Paris"}}}]},
            {"role": "user", "content": [
                {"toolResult": {"toolUseId": "tooluse_abc", "content": [{"json": {"tempC": 21}}], "status": "success"}},
                {"text": "And tomorrow?"}]},
            {"role": "assistant", "content": [{"text": "Let me check."}, {"text": "Sunny."}]}
        ])
    );
}

#[test]
fn images_bytes_and_s3() {
    let r = req(vec![msg(
        Role::User,
        vec![
            ContentPart::Image(Image {
                format: "png".into(),
                source: MediaSource::Bytes(b"\x89PNG".to_vec()),
            }),
            ContentPart::Image(Image {
                format: "webp".into(),
                source: MediaSource::S3(S3Location {
                    uri: "s3://bucket/cat.webp".into(),
                    bucket_owner: Some("123456789012".into()),
                }),
            }),
            text("What is this?"),
        ],
    )]);
    assert_eq!(
        body(&r, NOVA)["messages"][0]["content"],
        json!([
            {"image": {"format": "png", "source": {"bytes": "iVBORw=="}}},
            {"image": {"format": "webp", "source": {"s3Location": {"uri": "s3://bucket/cat.webp", "bucketOwner": "123456789012"}}}},
            {"text": "What is this?"}
        ])
    );
}

fn doc(name: &str, citations: bool) -> ContentPart {
    ContentPart::Document(Document {
        format: "pdf".into(),
        name: name.into(),
        source: MediaSource::Bytes(b"abc".to_vec()),
        citations,
    })
}

#[test]
fn documents_with_and_without_citations() {
    let r = req(vec![msg(
        Role::User,
        vec![doc("Report (2024) [v2]", true), doc("notes", false), text("Summarise")],
    )]);
    assert_eq!(
        body(&r, CLAUDE)["messages"][0]["content"],
        json!([
            {"document": {"format": "pdf", "name": "Report (2024) [v2]", "source": {"bytes": "YWJj"}, "citations": {"enabled": true}}},
            {"document": {"format": "pdf", "name": "notes", "source": {"bytes": "YWJj"}}},
            {"text": "Summarise"}
        ])
    );
}

#[test]
fn document_text_may_come_from_a_merged_message() {
    let r = req(vec![msg(Role::User, vec![doc("notes", false)]), user("Summarise")]);
    assert_eq!(body(&r, CLAUDE)["messages"].as_array().unwrap().len(), 1);
}

#[test]
fn reasoning_and_cited_text_in_assistant_history() {
    let r = req(vec![
        user("Q"),
        msg(
            Role::Assistant,
            vec![
                ContentPart::Reasoning(Reasoning::Text(ReasoningText {
                    text: "think".into(),
                    signature: Some("sig==".into()),
                })),
                ContentPart::Reasoning(Reasoning::Text(ReasoningText {
                    text: "more".into(),
                    signature: None,
                })),
                ContentPart::Reasoning(Reasoning::Redacted(b"abc".to_vec())),
                ContentPart::CitedText(CitedText {
                    text: "cited".into(),
                    citations_json: "[]".into(),
                }),
            ],
        ),
        user("Next"),
    ]);
    assert_eq!(
        body(&r, CLAUDE)["messages"][1]["content"],
        json!([
            {"reasoningContent": {"reasoningText": {"text": "think", "signature": "sig=="}}},
            {"reasoningContent": {"reasoningText": {"text": "more"}}},
            {"reasoningContent": {"redactedContent": "YWJj"}},
            {"text": "cited"}
        ])
    );
}

#[test]
fn tool_results_text_json_and_error_status() {
    let mut history = tool_history();
    history[2] = msg(
        Role::Tool,
        vec![result(
            "tooluse_abc",
            vec![
                ToolResultContent::Text("boom".into()),
                ToolResultContent::Json(r#"{"code":7}"#.into()),
            ],
            true,
        )],
    );
    let mut r = req(history);
    r.tools = vec![weather_tool()];
    assert_eq!(
        body(&r, NOVA)["messages"][2]["content"][0],
        json!({"toolResult": {"toolUseId": "tooluse_abc", "content": [{"text": "boom"}, {"json": {"code": 7}}], "status": "error"}})
    );
}

#[test]
fn empty_tool_input_is_an_empty_object() {
    let mut r = req(vec![user("Go"), msg(Role::Assistant, vec![call("t1", "get_weather", "")])]);
    r.tools = vec![weather_tool()];
    assert_eq!(body(&r, NOVA)["messages"][1]["content"][0]["toolUse"]["input"], json!({}));
}

#[test]
fn cache_points_in_messages_and_tools() {
    let mut r = req(vec![msg(Role::User, vec![text("long context"), cache(Some("1h"))])]);
    r.tools = vec![ToolDefinition {
        cache_point: Some(CachePoint { ttl: Some("5m".into()) }),
        ..weather_tool()
    }];
    let b = body(&r, CLAUDE);
    assert_eq!(
        b["messages"][0]["content"][1],
        json!({"cachePoint": {"type": "default", "ttl": "1h"}})
    );
    assert_eq!(
        b["toolConfig"]["tools"][1],
        json!({"cachePoint": {"type": "default", "ttl": "5m"}})
    );
    assert_eq!(b["toolConfig"]["tools"].as_array().unwrap().len(), 2);
}

#[test]
fn inference_config_numbers_are_sent_as_written() {
    let mut r = req(vec![user("Hi")]);
    r.settings = InferenceSettings {
        max_tokens: Some(10),
        temperature: Some(0.7),
        top_p: Some(0.9),
        stop_sequences: vec!["END".into()],
        reasoning_budget: None,
        reasoning_effort: None,
    };
    assert_eq!(
        body(&r, NOVA)["inferenceConfig"],
        json!({"maxTokens": 10, "temperature": 0.7, "topP": 0.9, "stopSequences": ["END"]})
    );
}

#[test]
fn tool_choice_variants() {
    let mut r = req(vec![user("Hi")]);
    r.tools = vec![weather_tool()];
    r.tool_choice = Some(ToolChoice::Required);
    assert_eq!(body(&r, NOVA)["toolConfig"]["toolChoice"], json!({"any": {}}));
    r.tool_choice = Some(ToolChoice::Tool("get_weather".into()));
    assert_eq!(
        body(&r, NOVA)["toolConfig"]["toolChoice"],
        json!({"tool": {"name": "get_weather"}})
    );
    r.tool_choice = None;
    let b = body(&r, NOVA);
    assert!(b["toolConfig"].get("toolChoice").is_none());
    assert!(b["toolConfig"]["tools"][0]["toolSpec"].is_object());
}

#[test]
fn tool_description_left_out_when_absent() {
    let mut r = req(vec![user("Hi")]);
    r.tools = vec![ToolDefinition { description: None, ..weather_tool() }];
    assert_eq!(
        body(&r, NOVA)["toolConfig"]["tools"][0]["toolSpec"],
        json!({"name": "get_weather", "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}})
    );
}

#[test]
fn tool_choice_none_without_tool_history_drops_tool_config() {
    let mut r = req(vec![user("Hi")]);
    r.tools = vec![ToolDefinition { cache_point: Some(CachePoint::default()), ..weather_tool() }];
    r.tool_choice = Some(ToolChoice::None);
    let b = built(&r, NOVA);
    let v: Value = serde_json::from_slice(&b.body).unwrap();
    assert!(v.get("toolConfig").is_none());
    assert!(b.warnings.is_empty());
}

#[test]
fn tool_choice_none_with_tool_history_keeps_tools_and_warns() {
    let mut r = req(tool_history());
    r.tools = vec![weather_tool()];
    r.tool_choice = Some(ToolChoice::None);
    let b = built(&r, NOVA);
    let v: Value = serde_json::from_slice(&b.body).unwrap();
    assert!(v["toolConfig"]["tools"].is_array());
    assert!(v["toolConfig"].get("toolChoice").is_none());
    assert_eq!(b.warnings.len(), 1);
    assert_eq!(b.warnings[0].code, "tool-choice-unsupported");
    assert!(b.warnings[0].message.contains("cannot forbid"));
}

#[test]
fn anthropic_reasoning_budget() {
    let mut r = req(vec![user("Hi")]);
    r.settings = InferenceSettings {
        reasoning_budget: Some(2048),
        temperature: Some(0.5),
        top_p: Some(0.9),
        ..Default::default()
    };
    r.provider_options =
        Some(r#"{"additionalModelRequestFields":{"top_k":200,"anthropic_beta":["x"]}}"#.into());
    let b = built(&r, CLAUDE_PROFILE);
    let v: Value = serde_json::from_slice(&b.body).unwrap();
    assert_eq!(v["inferenceConfig"], json!({"maxTokens": 6144}));
    assert_eq!(
        v["additionalModelRequestFields"],
        json!({"thinking": {"type": "enabled", "budget_tokens": 2048}, "anthropic_beta": ["x"]})
    );
    let codes: Vec<&str> = b.warnings.iter().map(|w| w.code.as_str()).collect();
    assert_eq!(codes, ["setting-changed", "setting-dropped", "setting-dropped", "setting-dropped"]);
    assert!(b.warnings[0].message.contains("6144"));
    assert!(b.warnings[1].message.contains("temperature"));
    assert!(b.warnings[2].message.contains("topP"));
    assert!(b.warnings[3].message.contains("top_k"));
}

#[test]
fn anthropic_reasoning_keeps_a_sufficient_max_tokens() {
    let mut r = req(vec![user("Hi")]);
    r.settings = InferenceSettings {
        reasoning_budget: Some(1024),
        max_tokens: Some(1025),
        ..Default::default()
    };
    let b = built(&r, CLAUDE);
    let v: Value = serde_json::from_slice(&b.body).unwrap();
    assert_eq!(v["inferenceConfig"], json!({"maxTokens": 1025}));
    assert!(b.warnings.is_empty());
}

#[test]
fn nova2_reasoning_effort_by_budget() {
    for (budget, effort) in
        [(1024, "low"), (4095, "low"), (4096, "medium"), (16383, "medium"), (16384, "high")]
    {
        let mut r = req(vec![user("Hi")]);
        r.settings = InferenceSettings { reasoning_budget: Some(budget), ..Default::default() };
        let b = built(&r, NOVA2);
        let v: Value = serde_json::from_slice(&b.body).unwrap();
        assert_eq!(
            v["additionalModelRequestFields"],
            json!({"reasoningConfig": {"type": "enabled", "maxReasoningEffort": effort}}),
            "budget {budget}"
        );
        assert_eq!(b.warnings[0].code, "setting-changed");
    }
}

#[test]
fn nova2_high_effort_drops_max_tokens() {
    let mut r = req(vec![user("Hi")]);
    r.settings = InferenceSettings {
        reasoning_budget: Some(20000),
        max_tokens: Some(500),
        ..Default::default()
    };
    let b = built(&r, NOVA2);
    let v: Value = serde_json::from_slice(&b.body).unwrap();
    assert!(v.get("inferenceConfig").is_none());
    assert!(
        b.warnings.iter().any(|w| w.code == "setting-dropped" && w.message.contains("maxTokens"))
    );
}

#[test]
fn reasoning_budget_dropped_for_other_models() {
    let mut r = req(vec![user("Hi")]);
    r.settings = InferenceSettings { reasoning_budget: Some(2048), ..Default::default() };
    let b = built(&r, NOVA);
    let v: Value = serde_json::from_slice(&b.body).unwrap();
    assert!(v.get("additionalModelRequestFields").is_none());
    assert_eq!(b.warnings.len(), 1);
    assert_eq!(b.warnings[0].code, "setting-dropped");
}

#[test]
fn guardrail_config() {
    let mut r = req(vec![user("Hi")]);
    r.guardrail = Some(Guardrail {
        identifier: "1abcd2ef34gh".into(),
        version: "DRAFT".into(),
        trace: Some("enabled_full".into()),
    });
    assert_eq!(
        body(&r, NOVA)["guardrailConfig"],
        json!({"guardrailIdentifier": "1abcd2ef34gh", "guardrailVersion": "DRAFT", "trace": "enabled_full"})
    );
    r.guardrail = Some(Guardrail { identifier: "abc".into(), version: "3".into(), trace: None });
    assert_eq!(
        body(&r, NOVA)["guardrailConfig"],
        json!({"guardrailIdentifier": "abc", "guardrailVersion": "3"})
    );
}

#[test]
fn caller_additional_fields_merge_with_generated_ones() {
    let mut r = req(vec![user("Hi")]);
    r.settings = InferenceSettings {
        reasoning_budget: Some(1024),
        max_tokens: Some(4000),
        ..Default::default()
    };
    r.provider_options = Some(r#"{"additionalModelRequestFields":{"anthropic_beta":["interleaved-thinking-2025-05-14"]}}"#.into());
    assert_eq!(
        body(&r, CLAUDE)["additionalModelRequestFields"],
        json!({"thinking": {"type": "enabled", "budget_tokens": 1024}, "anthropic_beta": ["interleaved-thinking-2025-05-14"]})
    );
}

// ---- validation ----

#[test]
fn refuses_no_messages_and_only_system() {
    let e = err(&req(vec![]), NOVA);
    assert_eq!(field(&e), "messages");
    let e = err(&req(vec![msg(Role::System, vec![text("sys")])]), NOVA);
    assert_eq!(field(&e), "messages");
}

#[test]
fn refuses_conversation_not_starting_with_user() {
    let e = err(&req(vec![assistant("Hello"), user("Hi")]), NOVA);
    assert_eq!(field(&e), "messages[0]");
    assert!(e.message.contains("must start with a user message"));
    let e = err(&req(vec![msg(Role::System, vec![text("s")]), assistant("Hello")]), NOVA);
    assert_eq!(field(&e), "messages[0]");
}

#[test]
fn refuses_empty_and_blank_text() {
    let e = err(&req(vec![user("Hi"), assistant("Yo"), msg(Role::User, vec![text("")])]), NOVA);
    assert_eq!(field(&e), "messages[2].content[0]");
    let e = err(&req(vec![msg(Role::User, vec![text("ok"), text(" \n\t")])]), NOVA);
    assert_eq!(field(&e), "messages[0].content[1]");
    let e = err(&req(vec![msg(Role::System, vec![text("  ")]), user("x")]), NOVA);
    assert_eq!(field(&e), "messages[0].content[0]");
}

#[test]
fn refuses_message_without_content() {
    let e = err(&req(vec![user("Hi"), msg(Role::Assistant, vec![])]), NOVA);
    assert_eq!(field(&e), "messages[1].content");
}

#[test]
fn refuses_bad_images() {
    let bad_format =
        ContentPart::Image(Image { format: "bmp".into(), source: MediaSource::Bytes(vec![1]) });
    let e = err(&req(vec![msg(Role::User, vec![bad_format, text("x")])]), NOVA);
    assert_eq!(field(&e), "messages[0].content[0]");
    assert!(e.message.contains("bmp"));
    let png =
        ContentPart::Image(Image { format: "png".into(), source: MediaSource::Bytes(vec![1]) });
    let e = err(&req(vec![user("x"), msg(Role::Assistant, vec![png.clone()])]), NOVA);
    assert_eq!(field(&e), "messages[1].content[0]");
    assert!(e.message.contains("user messages"));
    let empty =
        ContentPart::Image(Image { format: "png".into(), source: MediaSource::Bytes(vec![]) });
    assert_eq!(
        field(&err(&req(vec![msg(Role::User, vec![empty])]), NOVA)),
        "messages[0].content[0]"
    );
    let s3 = |uri: &str, owner: Option<&str>| {
        ContentPart::Image(Image {
            format: "png".into(),
            source: MediaSource::S3(S3Location {
                uri: uri.into(),
                bucket_owner: owner.map(str::to_string),
            }),
        })
    };
    err(&req(vec![msg(Role::User, vec![s3("https://bucket/x.png", None)])]), NOVA);
    err(&req(vec![msg(Role::User, vec![s3("s3://bucket/x.png", Some("12345"))])]), NOVA);
}

#[test]
fn refuses_bad_documents() {
    let e = err(&req(vec![msg(Role::User, vec![doc("report.pdf", false), text("x")])]), CLAUDE);
    assert_eq!(field(&e), "messages[0].content[0].name");
    let e = err(&req(vec![msg(Role::User, vec![doc("two  spaces", false), text("x")])]), CLAUDE);
    assert_eq!(field(&e), "messages[0].content[0].name");
    let e = err(&req(vec![msg(Role::User, vec![doc(&"a".repeat(201), false), text("x")])]), CLAUDE);
    assert_eq!(field(&e), "messages[0].content[0].name");
    let e = err(&req(vec![msg(Role::User, vec![text("x"), doc("", false)])]), CLAUDE);
    assert_eq!(field(&e), "messages[0].content[1].name");

    let exe = ContentPart::Document(Document {
        format: "exe".into(),
        name: "x".into(),
        source: MediaSource::Bytes(vec![1]),
        citations: false,
    });
    assert_eq!(
        field(&err(&req(vec![msg(Role::User, vec![exe, text("x")])]), CLAUDE)),
        "messages[0].content[0]"
    );

    let e = err(&req(vec![user("x"), msg(Role::Assistant, vec![doc("notes", false)])]), CLAUDE);
    assert_eq!(field(&e), "messages[1].content[0]");
}

#[test]
fn refuses_document_turn_without_text() {
    let e = err(&req(vec![msg(Role::User, vec![doc("notes", false)])]), CLAUDE);
    assert_eq!(field(&e), "messages[0].content[0]");
    assert!(e.message.contains("text"));
}

#[test]
fn refuses_bad_tool_calls() {
    let with_tools = |messages| GenerateRequest { tools: vec![weather_tool()], ..req(messages) };
    let e = err(
        &with_tools(vec![
            user("x"),
            msg(Role::Assistant, vec![call("bad id", "get_weather", "{}")]),
        ]),
        NOVA,
    );
    assert_eq!(field(&e), "messages[1].content[0]");
    assert!(e.message.contains("bad id"));
    let e = err(
        &with_tools(vec![
            user("x"),
            msg(Role::Assistant, vec![call(&"i".repeat(65), "get_weather", "{}")]),
        ]),
        NOVA,
    );
    assert_eq!(field(&e), "messages[1].content[0]");
    let e = err(
        &with_tools(vec![user("x"), msg(Role::Assistant, vec![call("t1", "get.weather", "{}")])]),
        NOVA,
    );
    assert!(e.message.contains("get.weather"));
    for input in ["[1]", "\"s\"", "{not json"] {
        let e = err(
            &with_tools(vec![
                user("x"),
                msg(Role::Assistant, vec![call("t1", "get_weather", input)]),
            ]),
            NOVA,
        );
        assert!(e.message.contains("JSON object"), "{input}");
    }
    let e = err(&with_tools(vec![msg(Role::User, vec![call("t1", "get_weather", "{}")])]), NOVA);
    assert_eq!(field(&e), "messages[0].content[0]");
}

#[test]
fn refuses_duplicate_tool_use_ids_in_a_turn() {
    let mut r = req(vec![
        user("x"),
        msg(Role::Assistant, vec![call("t1", "get_weather", "{}")]),
        msg(Role::Assistant, vec![call("t1", "get_weather", "{}")]),
    ]);
    r.tools = vec![weather_tool()];
    let e = err(&r, NOVA);
    assert_eq!(field(&e), "messages[2].content[0]");
    assert!(e.message.contains("twice"));
}

#[test]
fn refuses_bad_tool_results() {
    let with_tools = |messages| GenerateRequest { tools: vec![weather_tool()], ..req(messages) };
    let mut history = tool_history();
    history[2] = msg(Role::Tool, vec![result("tooluse_other", vec![], false)]);
    let e = err(&with_tools(history), NOVA);
    assert_eq!(field(&e), "messages[2].content[0]");
    assert!(e.message.contains("tooluse_other"));

    let mut history = tool_history();
    history[2] = msg(
        Role::Tool,
        vec![result("tooluse_abc", vec![ToolResultContent::Json("[1,2]".into())], false)],
    );
    assert_eq!(field(&err(&with_tools(history), NOVA)), "messages[2].content[0].content[0]");

    // A result before any call.
    let e = err(&with_tools(vec![msg(Role::Tool, vec![result("t1", vec![], false)])]), NOVA);
    assert_eq!(field(&e), "messages[0].content[0]");

    let mut history = tool_history();
    history.push(msg(Role::Assistant, vec![result("tooluse_abc", vec![], false)]));
    assert_eq!(field(&err(&with_tools(history), NOVA)), "messages[3].content[0]");
}

#[test]
fn refuses_tool_history_without_tools() {
    let e = err(&req(tool_history()), NOVA);
    assert_eq!(field(&e), "tools");
    assert!(e.solution.as_deref().unwrap_or_default().contains("Pass the tool definitions"));
}

#[test]
fn refuses_reasoning_in_user_turns() {
    let r = req(vec![msg(
        Role::User,
        vec![ContentPart::Reasoning(Reasoning::Redacted(vec![1])), text("x")],
    )]);
    let e = err(&r, CLAUDE);
    assert_eq!(field(&e), "messages[0].content[0]");
    assert_eq!(
        e.message,
        "User messages cannot contain reasoning content. Please remove the reasoning content and try again."
    );
}

#[test]
fn refuses_non_text_in_system_messages() {
    let r = req(vec![msg(Role::System, vec![text("s"), call("t", "n", "{}")]), user("x")]);
    assert_eq!(field(&err(&r, NOVA)), "messages[0].content[1]");
}

#[test]
fn refuses_bad_cache_points() {
    let e = err(&req(vec![msg(Role::User, vec![text("x"), cache(Some("10m"))])]), CLAUDE);
    assert_eq!(field(&e), "messages[0].content[1].ttl");
    let e = err(&req(vec![msg(Role::User, vec![cache(None), text("x")])]), CLAUDE);
    assert_eq!(field(&e), "messages[0].content[0]");
    let e = err(&req(vec![msg(Role::System, vec![cache(None)]), user("x")]), CLAUDE);
    assert_eq!(field(&e), "messages[0].content[0]");
}

#[test]
fn refuses_more_than_four_cache_points() {
    let mut r = req(vec![
        msg(Role::System, vec![text("s"), cache(None)]),
        msg(Role::User, vec![text("a"), cache(None), text("b"), cache(None)]),
    ]);
    r.tools = vec![ToolDefinition { cache_point: Some(CachePoint::default()), ..weather_tool() }];
    body(&r, CLAUDE); // Exactly four is fine.
    r.tools.push(ToolDefinition {
        name: "other".into(),
        cache_point: Some(CachePoint::default()),
        ..weather_tool()
    });
    let e = err(&r, CLAUDE);
    assert!(e.message.contains("at most 4 cache points"));
    assert_eq!(field(&e), "tools[1].cachePoint");
}

#[test]
fn refuses_out_of_range_settings() {
    let with = |s: InferenceSettings| GenerateRequest { settings: s, ..req(vec![user("x")]) };
    let cases = [
        (InferenceSettings { max_tokens: Some(0), ..Default::default() }, "settings.maxTokens"),
        (
            InferenceSettings { temperature: Some(1.5), ..Default::default() },
            "settings.temperature",
        ),
        (
            InferenceSettings { temperature: Some(f32::NAN), ..Default::default() },
            "settings.temperature",
        ),
        (InferenceSettings { top_p: Some(-0.1), ..Default::default() }, "settings.topP"),
        (
            InferenceSettings {
                stop_sequences: vec!["a".into(), String::new()],
                ..Default::default()
            },
            "settings.stopSequences[1]",
        ),
        (
            InferenceSettings { stop_sequences: vec!["s".into(); 2501], ..Default::default() },
            "settings.stopSequences",
        ),
    ];
    for (settings, expected) in cases {
        assert_eq!(field(&err(&with(settings), NOVA)), expected);
    }
    body(
        &with(InferenceSettings { temperature: Some(1.0), top_p: Some(0.0), ..Default::default() }),
        NOVA,
    );
}

#[test]
fn refuses_bad_tools() {
    let with = |tools: Vec<ToolDefinition>| GenerateRequest { tools, ..req(vec![user("x")]) };
    let e = err(&with(vec![ToolDefinition { name: "bad name".into(), ..weather_tool() }]), NOVA);
    assert_eq!(field(&e), "tools[0].name");
    let e = err(&with(vec![weather_tool(), weather_tool()]), NOVA);
    assert_eq!(field(&e), "tools[1].name");
    for schema in [r#"{"type":"string"}"#, "[]", "{oops", r#"{"properties":{}}"#] {
        let e = err(
            &with(vec![ToolDefinition { input_schema_json: schema.into(), ..weather_tool() }]),
            NOVA,
        );
        assert_eq!(field(&e), "tools[0].inputSchemaJson", "{schema}");
    }
}

#[test]
fn refuses_bad_tool_choice() {
    let mut r = req(vec![user("x")]);
    r.tool_choice = Some(ToolChoice::Required);
    assert_eq!(field(&err(&r, NOVA)), "toolChoice");
    r.tools = vec![weather_tool()];
    r.tool_choice = Some(ToolChoice::Tool("nope".into()));
    let e = err(&r, NOVA);
    assert_eq!(field(&e), "toolChoice");
    assert!(e.message.contains("nope"));
}

#[test]
fn refuses_bad_reasoning_budgets() {
    let mut r = req(vec![user("x")]);
    r.settings = InferenceSettings { reasoning_budget: Some(1023), ..Default::default() };
    assert_eq!(field(&err(&r, CLAUDE)), "settings.reasoningBudget");
    r.settings = InferenceSettings {
        reasoning_budget: Some(2048),
        max_tokens: Some(2048),
        ..Default::default()
    };
    assert_eq!(field(&err(&r, CLAUDE)), "settings.maxTokens");
    r.settings = InferenceSettings { reasoning_budget: Some(u32::MAX), ..Default::default() };
    assert_eq!(field(&err(&r, CLAUDE)), "settings.reasoningBudget");
}

#[test]
fn refuses_forced_tool_choice_with_thinking() {
    let mut r = req(vec![user("x")]);
    r.tools = vec![weather_tool()];
    r.settings = InferenceSettings { reasoning_budget: Some(2048), ..Default::default() };
    for choice in [ToolChoice::Required, ToolChoice::Tool("get_weather".into())] {
        r.tool_choice = Some(choice);
        let e = err(&r, CLAUDE);
        assert_eq!(field(&e), "toolChoice");
        assert!(
            e.cause
                .as_deref()
                .unwrap_or_default()
                .contains("Thinking may not be enabled when tool_choice forces tool use.")
        );
    }
    r.tool_choice = Some(ToolChoice::Auto);
    body(&r, CLAUDE);
}

#[test]
fn refuses_thinking_set_twice() {
    let mut r = req(vec![user("x")]);
    r.settings = InferenceSettings { reasoning_budget: Some(2048), ..Default::default() };
    r.provider_options =
        Some(r#"{"additionalModelRequestFields":{"thinking":{"type":"adaptive"}}}"#.into());
    assert_eq!(field(&err(&r, CLAUDE)), "providerOptions.additionalModelRequestFields.thinking");
    // Without a budget the caller's own thinking passes through.
    r.settings = InferenceSettings::default();
    assert_eq!(
        body(&r, CLAUDE)["additionalModelRequestFields"],
        json!({"thinking": {"type": "adaptive"}})
    );
}

#[test]
fn refuses_bad_guardrails() {
    let with = |identifier: &str, version: &str, trace: Option<&str>| GenerateRequest {
        guardrail: Some(Guardrail {
            identifier: identifier.into(),
            version: version.into(),
            trace: trace.map(str::to_string),
        }),
        ..req(vec![user("x")])
    };
    assert_eq!(field(&err(&with("abc", "0", None), NOVA)), "guardrail.version");
    assert_eq!(field(&err(&with("abc", "draft", None), NOVA)), "guardrail.version");
    assert_eq!(field(&err(&with("abc", "100000000", None), NOVA)), "guardrail.version");
    assert_eq!(field(&err(&with("abc", "1", Some("on")), NOVA)), "guardrail.trace");
    assert_eq!(field(&err(&with("Bad Id", "1", None), NOVA)), "guardrail.identifier");
    assert_eq!(field(&err(&with("", "1", None), NOVA)), "guardrail.identifier");
}

#[test]
fn refuses_bad_provider_options() {
    let with = |opts: &str| GenerateRequest {
        provider_options: Some(opts.into()),
        ..req(vec![user("x")])
    };
    let cases = [
        ("{oops", "providerOptions"),
        ("[1]", "providerOptions"),
        ("", "providerOptions"),
        (r#"{"temperature":1}"#, "providerOptions.temperature"),
        (r#"{"additionalModelRequestFields":[1]}"#, "providerOptions.additionalModelRequestFields"),
        (
            r#"{"additionalModelResponseFieldPaths":"/x"}"#,
            "providerOptions.additionalModelResponseFieldPaths",
        ),
        (
            r#"{"additionalModelResponseFieldPaths":[]}"#,
            "providerOptions.additionalModelResponseFieldPaths",
        ),
        (
            r#"{"additionalModelResponseFieldPaths":["/a","/b","/c","/d","/e","/f","/g","/h","/i","/j","/k"]}"#,
            "providerOptions.additionalModelResponseFieldPaths",
        ),
        (
            r#"{"additionalModelResponseFieldPaths":["/a","stop"]}"#,
            "providerOptions.additionalModelResponseFieldPaths[1]",
        ),
        (
            r#"{"performanceConfig":{"latency":"fast"}}"#,
            "providerOptions.performanceConfig.latency",
        ),
        (r#"{"performanceConfig":{}}"#, "providerOptions.performanceConfig.latency"),
        (
            r#"{"performanceConfig":{"latency":"standard","x":1}}"#,
            "providerOptions.performanceConfig.x",
        ),
        (r#"{"performanceConfig":"standard"}"#, "providerOptions.performanceConfig"),
        (r#"{"serviceTier":{"type":"gold"}}"#, "providerOptions.serviceTier.type"),
        (r#"{"requestMetadata":{}}"#, "providerOptions.requestMetadata"),
        (r#"{"requestMetadata":{"k":1}}"#, "providerOptions.requestMetadata.k"),
        (r#"{"requestMetadata":{"k":"bad!"}}"#, "providerOptions.requestMetadata.k"),
        (r#"{"requestMetadata":{"":"v"}}"#, "providerOptions.requestMetadata."),
    ];
    for (opts, expected) in cases {
        assert_eq!(field(&err(&with(opts), NOVA)), expected, "{opts}");
    }
    let seventeen: serde_json::Map<String, Value> =
        (0..17).map(|i| (format!("k{i}"), json!("v"))).collect();
    let opts = json!({"requestMetadata": seventeen}).to_string();
    assert_eq!(field(&err(&with(&opts), NOVA)), "providerOptions.requestMetadata");
    let long = json!({"requestMetadata": {"k": "v".repeat(257)}}).to_string();
    assert_eq!(field(&err(&with(&long), NOVA)), "providerOptions.requestMetadata.k");
    // The accepted forms.
    let ok = r#"{"serviceTier":{"type":"flex"},"performanceConfig":{"latency":"optimized"},"requestMetadata":{"a b":"c:d_e@f$g#h=i/j+k,l-m.n"}}"#;
    let v = body(&with(ok), NOVA);
    assert_eq!(v["serviceTier"], json!({"type": "flex"}));
    assert_eq!(v["performanceConfig"], json!({"latency": "optimized"}));
    assert_eq!(v["requestMetadata"], json!({"a b": "c:d_e@f$g#h=i/j+k,l-m.n"}));
}

fn effort(level: Effort) -> InferenceSettings {
    InferenceSettings { reasoning_effort: Some(level), ..Default::default() }
}

fn codes(built: &super::BuiltRequest, code: &str) -> Vec<String> {
    built.warnings.iter().filter(|w| w.code == code).map(|w| w.message.clone()).collect()
}

#[test]
fn effort_goes_to_output_config_where_the_model_takes_it() {
    let mut r = req(vec![user("Hi")]);
    r.settings = effort(Effort::Medium);
    let b = body(&r, "us.anthropic.claude-opus-4-6-v1");
    assert_eq!(b["outputConfig"], json!({"effort": "medium"}));
    assert!(b.get("additionalModelRequestFields").is_none());
    // Levels the model lacks are moved to the nearest one, with a warning.
    r.settings = effort(Effort::Minimal);
    let built = build_request(&r, "anthropic.claude-opus-4-6-v1").unwrap();
    let b: Value = serde_json::from_slice(&built.body).unwrap();
    assert_eq!(b["outputConfig"]["effort"], "low");
    assert!(codes(&built, "setting-changed")[0].contains("`minimal` was sent as `low`"));
    r.settings = effort(Effort::Max);
    let built = build_request(&r, "anthropic.claude-opus-4-5-20251101-v1:0").unwrap();
    let b: Value = serde_json::from_slice(&built.body).unwrap();
    assert_eq!(b["outputConfig"]["effort"], "high");
    // Above high without thinking, Bedrock caps the level: say so.
    let built = build_request(&r, "anthropic.claude-opus-4-6-v1").unwrap();
    let b: Value = serde_json::from_slice(&built.body).unwrap();
    assert_eq!(b["outputConfig"]["effort"], "max");
    assert!(codes(&built, "setting-changed").iter().any(|m| m.contains("caps")));
}

#[test]
fn effort_becomes_a_thinking_budget_for_budget_only_models() {
    let mut r = req(vec![user("Hi")]);
    r.settings = effort(Effort::High);
    let built = build_request(&r, CLAUDE).unwrap();
    let b: Value = serde_json::from_slice(&built.body).unwrap();
    assert_eq!(
        b["additionalModelRequestFields"]["thinking"],
        json!({"type": "enabled", "budget_tokens": 16384})
    );
    assert_eq!(b["inferenceConfig"]["maxTokens"], 16384 + 4096);
    assert!(b.get("outputConfig").is_none());
    assert!(codes(&built, "setting-changed")[0].contains("budget of 16384"));
    // An explicit budget wins over the effort.
    r.settings = InferenceSettings {
        reasoning_budget: Some(2048),
        reasoning_effort: Some(Effort::Max),
        ..Default::default()
    };
    let built = build_request(&r, CLAUDE).unwrap();
    let b: Value = serde_json::from_slice(&built.body).unwrap();
    assert_eq!(b["additionalModelRequestFields"]["thinking"]["budget_tokens"], 2048);
    assert!(codes(&built, "setting-dropped")[0].contains("reasoningEffort"));
    // A forced tool choice leaves no room for thinking: the effort is dropped, not an error.
    r.settings = effort(Effort::Low);
    r.tools = vec![weather_tool()];
    r.tool_choice = Some(ToolChoice::Required);
    let built = build_request(&r, CLAUDE).unwrap();
    assert!(codes(&built, "setting-dropped")[0].contains("forced"));
}

#[test]
fn effort_on_nova2_and_elsewhere() {
    let mut r = req(vec![user("Hi")]);
    r.settings = InferenceSettings {
        reasoning_effort: Some(Effort::Medium),
        reasoning_budget: Some(20_000),
        ..Default::default()
    };
    let built = build_request(&r, NOVA2).unwrap();
    let b: Value = serde_json::from_slice(&built.body).unwrap();
    assert_eq!(
        b["additionalModelRequestFields"]["reasoningConfig"],
        json!({"type": "enabled", "maxReasoningEffort": "medium"})
    );
    assert!(codes(&built, "setting-dropped")[0].contains("reasoningBudget"));
    r.settings = effort(Effort::Xhigh);
    let built = build_request(&r, NOVA2).unwrap();
    let b: Value = serde_json::from_slice(&built.body).unwrap();
    assert_eq!(b["additionalModelRequestFields"]["reasoningConfig"]["maxReasoningEffort"], "high");
    assert!(codes(&built, "setting-changed")[0].contains("`xhigh`"));
    // Claude 3.5 and Nova 1 know no reasoning setting.
    for model in [NOVA, "anthropic.claude-3-5-sonnet-20241022-v2:0"] {
        let built = build_request(&r, model).unwrap();
        let b: Value = serde_json::from_slice(&built.body).unwrap();
        assert!(b.get("outputConfig").is_none() && b.get("additionalModelRequestFields").is_none());
        assert!(codes(&built, "setting-dropped")[0].contains("reasoningEffort"), "{model}");
    }
}

#[test]
fn count_tokens_keeps_only_what_count_tokens_takes() {
    let mut r = req(vec![msg(Role::System, vec![text("Be brief.")]), user("Hi")]);
    r.settings = InferenceSettings { max_tokens: Some(10), ..Default::default() };
    r.tools = vec![weather_tool()];
    r.response_format = Some(ResponseFormat::JsonSchema(JsonSchemaFormat {
        name: "answer".into(),
        description: None,
        schema_json: r#"{"type":"object"}"#.into(),
        strict: true,
    }));
    let built = build_request(&r, CLAUDE).unwrap();
    let (count, left_out) = super::count_tokens_body(&built.body).unwrap();
    let count: Value = serde_json::from_slice(&count).unwrap();
    let converse = count["input"]["converse"].as_object().unwrap();
    let mut keys: Vec<&str> = converse.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["messages", "system", "toolConfig"]);
    assert_eq!(count.as_object().unwrap().len(), 1);
    assert_eq!(left_out, ["outputConfig"]);
}

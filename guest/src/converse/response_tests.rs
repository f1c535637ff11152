//! Response mapping, checked against every recorded Converse response in the spec (verbatim).
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use super::{finish_reason, finish_reason_name, parse_response, usage_from_json};
use crate::api::*;

// ---- fixtures: spec §6 (issue-14117) and §15.1-15.6, and the §2.2 UnknownOperation body ----
// (verbatim, from the repository's `fixtures/converse/`)

/// A file under the repository's `fixtures/`, without its final newline.
macro_rules! fixture_file {
    ($path:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/", $path)).trim_ascii_end()
    };
}

const UNKNOWN_OPERATION: &str = fixture_file!("converse/unknown-operation.json");
const MINIMAL_14117: &str = fixture_file!("converse/application-inference-profile.json");
const TEXT_15_1: &str = fixture_file!("converse/text.json");
const REASONING_15_2: &str = fixture_file!("converse/reasoning.json");
const TOOL_USE_15_3: &str = fixture_file!("converse/tool-use-stop-sequence-null.json");
const CITATIONS_15_4: &str = fixture_file!("converse/citations.json");
const GUARDRAIL_15_5: &str = fixture_file!("converse/guardrail-intervened.json");
const NOVA_ARN_15_6: &str = fixture_file!("converse/foundation-model-arn.json");

const MODEL: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";

fn parse(body: &str) -> GenerateResponse {
    parse_response(body.as_bytes(), MODEL, Some("req-1".into())).unwrap()
}

fn fixture(body: &str) -> Value {
    serde_json::from_str(body).unwrap()
}

#[test]
fn minimal_application_profile_response() {
    let r = parse(MINIMAL_14117);
    assert_eq!(r.content, vec![ContentPart::Text("hello".into())]);
    assert_eq!(r.text, "hello");
    assert_eq!(r.finish_reason, FinishReason::Stop);
    assert_eq!(r.raw_finish_reason, "end_turn");
    assert_eq!(
        r.usage,
        Usage {
            input_tokens: 12,
            output_tokens: 4,
            total_tokens: 16,
            cache_read_tokens: Some(0),
            cache_write_tokens: Some(0)
        }
    );
    assert_eq!(
        r.metadata,
        ResponseMetadata {
            model: MODEL.into(),
            request_id: Some("req-1".into()),
            latency_ms: Some(1331)
        }
    );
    assert_eq!(r.trace_json, None);
    assert_eq!(r.additional_fields_json, None);
    assert!(r.warnings.is_empty());
}

#[test]
fn text_fixture_15_1() {
    let r = parse(TEXT_15_1);
    let expected = "Let me count the \"r\"s in \"strawberry\":\n\ns-t-**r**-a-w-b-e-**r**-**r**-y\n\nThere are **3** \"r\"s in \"strawberry.\"";
    assert_eq!(r.content, vec![ContentPart::Text(expected.into())]);
    assert_eq!(r.text, expected);
    assert_eq!(r.finish_reason, FinishReason::Stop);
    assert_eq!((r.usage.input_tokens, r.usage.output_tokens, r.usage.total_tokens), (22, 57, 79));
    assert_eq!(r.metadata.latency_ms, Some(1864));
}

#[test]
fn reasoning_fixture_15_2() {
    let r = parse(REASONING_15_2);
    let v = fixture(REASONING_15_2);
    let rt = &v["output"]["message"]["content"][0]["reasoningContent"]["reasoningText"];
    assert_eq!(
        r.content,
        vec![
            ContentPart::Reasoning(Reasoning::Text(ReasoningText {
                text: rt["text"].as_str().unwrap().into(),
                signature: Some(rt["signature"].as_str().unwrap().into()),
            })),
            ContentPart::Text(
                "There are **3** r's in \"strawberry\":\n\n1. st**r**awbe**r****r**y".into()
            ),
        ]
    );
    assert!(rt["signature"].as_str().unwrap().starts_with("EvYBCkgICxABGAIqQA9E9VC377"));
    // Reasoning is not part of the answer text.
    assert_eq!(r.text, "There are **3** r's in \"strawberry\":\n\n1. st**r**awbe**r****r**y");
    assert_eq!((r.usage.input_tokens, r.usage.output_tokens, r.usage.total_tokens), (51, 78, 129));
    assert_eq!(r.metadata.latency_ms, Some(2202));
}

#[test]
fn tool_use_fixture_15_3() {
    let r = parse(TOOL_USE_15_3);
    assert_eq!(
        r.content,
        vec![ContentPart::ToolCall(ToolCall {
            id: "tooluse_j6gIgqF8PljNKBylAe15oP".into(),
            name: "querySalesforce".into(),
            input_json: r#"{"query":"SELECT Id FROM Account"}"#.into(),
        })]
    );
    assert_eq!(r.text, "");
    assert_eq!(r.finish_reason, FinishReason::ToolCalls);
    assert_eq!(r.raw_finish_reason, "tool_use");
    assert_eq!(r.additional_fields_json.as_deref(), Some(r#"{"stop_sequence":null}"#));
    assert_eq!((r.usage.input_tokens, r.usage.output_tokens, r.usage.total_tokens), (674, 36, 710));
    assert_eq!(r.metadata.latency_ms, Some(2025));
}

#[test]
fn citations_fixture_15_4() {
    let r = parse(CITATIONS_15_4);
    let v = fixture(CITATIONS_15_4);
    let first = "Based on the attached PDF, I cannot provide a definition of what the AI SDK is in one sentence because the document does not actually define or explain what the AI SDK is. ";
    let cited = "The document only mentions that \"in the next section, you will learn about the difference between models providers and models, and which ones are available in the AI SDK,\"";
    let last = " but it does not provide any explanation of what the AI SDK itself is.";
    assert_eq!(r.content.len(), 3);
    assert_eq!(r.content[0], ContentPart::Text(first.into()));
    let ContentPart::CitedText(c) = &r.content[1] else { panic!("{:?}", r.content[1]) };
    assert_eq!(c.text, cited);
    let citations: Value = serde_json::from_str(&c.citations_json).unwrap();
    assert_eq!(citations, v["output"]["message"]["content"][1]["citationsContent"]["citations"]);
    assert_eq!(
        citations[0]["location"]["documentPage"],
        json!({"documentIndex": 0, "end": 2, "start": 1})
    );
    assert_eq!(r.content[2], ContentPart::Text(last.into()));
    assert_eq!(r.text, format!("{first}{cited}{last}"));
    assert_eq!(
        (r.usage.input_tokens, r.usage.output_tokens, r.usage.total_tokens),
        (2798, 103, 2901)
    );
}

#[test]
fn guardrail_fixture_15_5() {
    let r = parse(GUARDRAIL_15_5);
    assert_eq!(r.finish_reason, FinishReason::GuardrailIntervened);
    assert_eq!(r.raw_finish_reason, "guardrail_intervened");
    assert_eq!(r.text, "Sorry, the model cannot answer this question.");
    let trace: Value = serde_json::from_str(r.trace_json.as_deref().unwrap()).unwrap();
    assert_eq!(trace, fixture(GUARDRAIL_15_5)["trace"]);
    assert_eq!(
        trace["guardrail"]["inputAssessment"]["1abcd2ef34gh"]["topicPolicy"]["topics"][0]["action"],
        "BLOCKED"
    );
    assert_eq!(r.metadata.latency_ms, Some(412));
}

#[test]
fn nova_fixture_15_6_without_cache_fields() {
    let r = parse_response(
        NOVA_ARN_15_6.as_bytes(),
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0",
        None,
    )
    .unwrap();
    assert_eq!(
        r.usage,
        Usage {
            input_tokens: 5,
            output_tokens: 50,
            total_tokens: 55,
            cache_read_tokens: None,
            cache_write_tokens: None
        }
    );
    assert!(r.text.starts_with("Sorry, I can't respond"));
    assert_eq!(
        r.metadata.model,
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"
    );
    assert_eq!(r.metadata.request_id, None);
    assert_eq!(r.metadata.latency_ms, Some(532));
}

#[test]
fn unknown_operation_body_is_an_error_not_an_empty_answer() {
    let e = parse_response(UNKNOWN_OPERATION.as_bytes(), MODEL, Some("rid".into())).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidResponse);
    assert_eq!(e.code.as_deref(), Some("UnknownOperationException"));
    assert_eq!(e.request_id.as_deref(), Some("rid"));
    assert!(e.cause.as_deref().unwrap().contains("literal `/`"));
    assert!(e.solution.as_deref().unwrap().contains("baseUrl"));
}

#[test]
fn bodies_that_are_not_converse_responses_are_errors() {
    for body in [
        "<html>Bad gateway</html>",
        "",
        "[]",
        "{}",
        r#"{"output":{"message":{"content":[{"text":"x"}]}}}"#,
        r#"{"stopReason":"end_turn"}"#,
        r#"{"output":{},"stopReason":"end_turn"}"#,
        r#"{"output":{"message":{}},"stopReason":7}"#,
    ] {
        let e = parse_response(body.as_bytes(), MODEL, Some("r".into())).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidResponse, "{body}");
        assert!(e.cause.is_some() && e.solution.is_some(), "{body}");
        assert_eq!(e.request_id.as_deref(), Some("r"));
    }
}

#[test]
fn lenient_parsing_skips_unknown_blocks_and_keys() {
    let body = r#"{"output":{"message":{"role":"assistant","content":[
        {"__type":"x","text":"a"},
        {"video":{"format":"mp4"}},
        {"reasoningContent":{"redactedContent":"YWJj"}},
        {"toolUse":{"toolUseId":"t","name":"n"}},
        {"text":"b"}]},"extra":1},
      "stopReason":"some_new_reason","usage":{"inputTokens":1,"cacheReadInputTokenCount":3},"newTopLevel":{}}"#;
    let r = parse(body);
    assert_eq!(
        r.content,
        vec![
            ContentPart::Text("a".into()),
            ContentPart::Reasoning(Reasoning::Redacted(b"abc".to_vec())),
            ContentPart::ToolCall(ToolCall {
                id: "t".into(),
                name: "n".into(),
                input_json: "{}".into()
            }),
            ContentPart::Text("b".into()),
        ]
    );
    assert_eq!(r.text, "ab");
    assert_eq!(r.finish_reason, FinishReason::Other);
    assert_eq!(r.raw_finish_reason, "some_new_reason");
    assert_eq!(r.warnings.len(), 1);
    assert_eq!(r.warnings[0].code, "content-skipped");
    assert!(r.warnings[0].message.contains("video"));
    assert_eq!(r.usage.input_tokens, 1);
    assert_eq!(r.usage.cache_read_tokens, Some(3));
    assert_eq!(r.metadata.latency_ms, None);
}

#[test]
fn bad_redacted_reasoning_is_an_error() {
    let body = r#"{"output":{"message":{"content":[{"reasoningContent":{"redactedContent":"@@@"}}]}},"stopReason":"end_turn"}"#;
    let e = parse_response(body.as_bytes(), MODEL, None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidResponse);
}

#[test]
fn every_stop_reason_maps() {
    let cases = [
        ("end_turn", FinishReason::Stop, "stop"),
        ("tool_use", FinishReason::ToolCalls, "tool-calls"),
        ("max_tokens", FinishReason::Length, "length"),
        ("stop_sequence", FinishReason::StopSequence, "stop-sequence"),
        ("guardrail_intervened", FinishReason::GuardrailIntervened, "guardrail-intervened"),
        ("content_filtered", FinishReason::ContentFilter, "content-filter"),
        ("malformed_model_output", FinishReason::MalformedOutput, "malformed-output"),
        ("malformed_tool_use", FinishReason::MalformedToolCall, "malformed-tool-call"),
        (
            "model_context_window_exceeded",
            FinishReason::ContextWindowExceeded,
            "context-window-exceeded",
        ),
        ("brand_new", FinishReason::Other, "other"),
    ];
    for (raw, reason, name) in cases {
        assert_eq!(finish_reason(raw), reason, "{raw}");
        assert_eq!(finish_reason_name(reason), name);
    }
}

#[test]
fn usage_reads_modelled_names_first() {
    let u = usage_from_json(&json!({"inputTokens": 1, "outputTokens": 2, "totalTokens": 3,
        "cacheReadInputTokens": 4, "cacheReadInputTokenCount": 40, "cacheWriteInputTokenCount": 5}));
    assert_eq!(
        u,
        Usage {
            input_tokens: 1,
            output_tokens: 2,
            total_tokens: 3,
            cache_read_tokens: Some(4),
            cache_write_tokens: Some(5)
        }
    );
}

//! Recorded Bedrock responses from the spec, kept verbatim (spec §15, §10.3, §2.2).
//!
//! The JSON fixtures are the spec's text exactly (including its line breaks); the event-stream
//! recordings are the spec's base64/hex, decoded at run time.

use base64::Engine as _;

/// Spec §15.1: Converse text answer (vercel/ai `amazon-bedrock-text.json`).
pub const TEXT_FIXTURE: &str = r#"{
  "metrics": {"latencyMs": 1864},
  "output": {"message": {"content": [{"text": "Let me count the \"r\"s in \"strawberry\":\n\ns-t-**r**-a-w-b-e-**r**-**r**-y\n\nThere are **3** \"r\"s in \"strawberry.\""}], "role": "assistant"}},
  "stopReason": "end_turn",
  "usage": {"cacheReadInputTokenCount": 0, "cacheReadInputTokens": 0, "cacheWriteInputTokenCount": 0, "cacheWriteInputTokens": 0,
            "inputTokens": 22, "outputTokens": 57, "serverToolUsage": {}, "totalTokens": 79}
}"#;

/// Spec §15.2: Converse answer with Claude reasoning (`amazon-bedrock-reasoning.json`).
pub const REASONING_FIXTURE: &str = r#"{
  "metrics": {"latencyMs": 2202},
  "output": {"message": {"content": [
    {"reasoningContent": {"reasoningText": {
      "signature": "EvYBCkgICxABGAIqQA9E9VC377UnbjdfXCw4RwQaaIXsqocZKzI3WwWtXT/wBjzAkBOfIiVkP/mhvsPGb5oQW/2j+E1tZcNFoXIb26YSDBTSbDrbHwXJoAl3/hoMA/Qo4rIHvObP/yBrIjAT+l69mh9k7evFO+w+ransSD5YGq4hYrieOyJH3k/zHv8nBJwiz3Nlrb3jNFi2Ib0qXJH7BIK0hR85yYIoccReoJUpeLEMxeWbsO6f0EpOSMSi3YDLd1U9NAw7Itjeay1fEBPHwvawt2M4e/rn52SsuEz3p2DfOZm+N3bnL63rg0Cb9lFcp3k5kuU1h6hcGAE=",
      "text": "Let me count the r's in \"strawberry\":\n\ns-t-r-a-w-b-e-r-r-y\n\nThere are 3 r's."}}},
    {"text": "There are **3** r's in \"strawberry\":\n\n1. st**r**awbe**r****r**y"}
  ], "role": "assistant"}},
  "stopReason": "end_turn",
  "usage": {"cacheReadInputTokenCount": 0, "cacheReadInputTokens": 0, "cacheWriteInputTokenCount": 0, "cacheWriteInputTokens": 0,
            "inputTokens": 51, "outputTokens": 78, "serverToolUsage": {}, "totalTokens": 129}
}"#;

/// Spec §15.3: Converse tool use with `additionalModelResponseFields` (`issue-11363-stop-sequence-null.json`).
pub const TOOL_FIXTURE: &str = r#"{
  "additionalModelResponseFields": {"stop_sequence": null},
  "metrics": {"latencyMs": 2025},
  "output": {"message": {"content": [{"toolUse": {"input": {"query": "SELECT Id FROM Account"}, "name": "querySalesforce",
      "toolUseId": "tooluse_j6gIgqF8PljNKBylAe15oP", "type": "tool_use"}}], "role": "assistant"}},
  "stopReason": "tool_use",
  "usage": {"cacheReadInputTokenCount": 0, "cacheReadInputTokens": 0, "cacheWriteInputTokenCount": 0, "cacheWriteInputTokens": 0,
            "inputTokens": 674, "outputTokens": 36, "serverToolUsage": {}, "totalTokens": 710}
}"#;

/// Spec §15.4: Converse answer with document citations (`bedrock-citations-content.json`).
pub const CITATIONS_FIXTURE: &str = r#"{
  "metrics": {"latencyMs": 3620},
  "output": {"message": {"content": [
    {"text": "Based on the attached PDF, I cannot provide a definition of what the AI SDK is in one sentence because the document does not actually define or explain what the AI SDK is. "},
    {"citationsContent": {
      "citations": [{"location": {"documentPage": {"documentIndex": 0, "end": 2, "start": 1}},
                     "sourceContent": [{"text": "In the next section, you will learn about the difference between models\r\nproviders and models, and which ones are available in the AI SDK."}],
                     "title": "document-1"}],
      "content": [{"text": "The document only mentions that \"in the next section, you will learn about the difference between models providers and models, and which ones are available in the AI SDK,\""}]}},
    {"text": " but it does not provide any explanation of what the AI SDK itself is."}
  ], "role": "assistant"}},
  "stopReason": "end_turn",
  "usage": {"cacheReadInputTokenCount": 0, "cacheReadInputTokens": 0, "cacheWriteInputTokenCount": 0, "cacheWriteInputTokens": 0,
            "inputTokens": 2798, "outputTokens": 103, "serverToolUsage": {}, "totalTokens": 2901}
}"#;

/// Spec §15.5: Converse answer where a guardrail intervened (`amazon-bedrock-guard-content-intervened.json`).
pub const GUARDRAIL_FIXTURE: &str = r#"{
  "metrics": {"latencyMs": 412},
  "output": {"message": {"content": [{"text": "Sorry, the model cannot answer this question."}], "role": "assistant"}},
  "stopReason": "guardrail_intervened",
  "trace": {"guardrail": {"inputAssessment": {"1abcd2ef34gh": {"topicPolicy": {"topics": [{"action": "BLOCKED", "name": "Restricted topic", "type": "DENY"}]}}}}},
  "usage": {"cacheReadInputTokenCount": 0, "cacheReadInputTokens": 0, "cacheWriteInputTokenCount": 0, "cacheWriteInputTokens": 0,
            "inputTokens": 18, "outputTokens": 12, "serverToolUsage": {}, "totalTokens": 30}
}"#;

/// Spec §15.6: Converse answer for a foundation-model ARN, Nova Lite, no cache fields (`issue-17523-foundation-model-arn.json`).
pub const ARN_FIXTURE: &str = r#"{"metrics": {"latencyMs": 532},
 "output": {"message": {"content": [{"text": "Sorry, I can't respond in a way that might seem like I'm ignoring your instructions. However, I'm here to help you with any questions or concerns you may have. Just let me know how I can assist you!"}], "role": "assistant"}},
 "stopReason": "end_turn",
 "usage": {"inputTokens": 5, "outputTokens": 50, "serverToolUsage": {}, "totalTokens": 55}}"#;

/// HTTP 200 body Bedrock returns for an unknown route (spec §2.2, vercel/ai issue 17523).
pub const UNKNOWN_OPERATION: &str =
    r#"{"Output":{"__type":"com.amazon.coral.service#UnknownOperationException"},"Version":"1.0"}"#;

/// Spec TV-4: a real ConverseStream response body (1157 bytes, six frames), base64.
pub const TV4_BASE64: &str = "AAAAtAAAAFIFAEFlCzpldmVudC10eXBlBwAMbWVzc2FnZVN0YXJ0DTpjb250ZW50LXR5cGUHABBhcHBsaWNhdGlvbi9qc29uDTptZXNzYWdlLXR5cGUHAAVldmVudHsicCI6ImFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTIiLCJyb2xlIjoiYXNzaXN0YW50In2fX38tAAAAswAAAFfHSmn6CzpldmVudC10eXBlBwARY29udGVudEJsb2NrRGVsdGENOmNvbnRlbnQtdHlwZQcAEGFwcGxpY2F0aW9uL2pzb24NOm1lc3NhZ2UtdHlwZQcABWV2ZW50eyJjb250ZW50QmxvY2tJbmRleCI6MCwiZGVsdGEiOnsidGV4dCI6Ik9LIn0sInAiOiJhYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3gifXbBTlwAAAC+AAAAVz/arUsLOmV2ZW50LXR5cGUHABFjb250ZW50QmxvY2tEZWx0YQ06Y29udGVudC10eXBlBwAQYXBwbGljYXRpb24vanNvbg06bWVzc2FnZS10eXBlBwAFZXZlbnR7ImNvbnRlbnRCbG9ja0luZGV4IjowLCJkZWx0YSI6eyJ0ZXh0IjoiLiJ9LCJwIjoiYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXpBQkNERUZHSElKIn2GXR0lAAAAhgAAAFbZjG6aCzpldmVudC10eXBlBwAQY29udGVudEJsb2NrU3RvcA06Y29udGVudC10eXBlBwAQYXBwbGljYXRpb24vanNvbg06bWVzc2FnZS10eXBlBwAFZXZlbnR7ImNvbnRlbnRCbG9ja0luZGV4IjowLCJwIjoiYWIiffM4iiAAAADZAAAAUf2royMLOmV2ZW50LXR5cGUHAAttZXNzYWdlU3RvcA06Y29udGVudC10eXBlBwAQYXBwbGljYXRpb24vanNvbg06bWVzc2FnZS10eXBlBwAFZXZlbnR7ImFkZGl0aW9uYWxNb2RlbFJlc3BvbnNlRmllbGRzIjp7ImRlbHRhIjp7InN0b3Bfc2VxdWVuY2UiOm51bGx9fSwicCI6ImFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3Iiwic3RvcFJlYXNvbiI6ImVuZF90dXJuIn0g4kjQAAABAQAAAE4CeknrCzpldmVudC10eXBlBwAIbWV0YWRhdGENOmNvbnRlbnQtdHlwZQcAEGFwcGxpY2F0aW9uL2pzb24NOm1lc3NhZ2UtdHlwZQcABWV2ZW50eyJtZXRyaWNzIjp7ImxhdGVuY3lNcyI6ODAyfSwicCI6ImFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6QUJDREVGR0hJSktMTU5PUFFSUyIsInVzYWdlIjp7ImlucHV0VG9rZW5zIjoxMiwib3V0cHV0VG9rZW5zIjo1LCJzZXJ2ZXJUb29sVXNhZ2UiOnt9LCJ0b3RhbFRva2VucyI6MTd9fa0jZVA=";

/// Spec TV-5: an in-stream `modelStreamErrorException` frame, base64.
pub const TV5_BASE64: &str = "AAAA3QAAAGfHkZB6DTptZXNzYWdlLXR5cGUHAAlleGNlcHRpb24POmV4Y2VwdGlvbi10eXBlBwAZbW9kZWxTdHJlYW1FcnJvckV4Y2VwdGlvbg06Y29udGVudC10eXBlBwAQYXBwbGljYXRpb24vanNvbnsibWVzc2FnZSI6Ik1vZGVsIFN0cmVhbSBFcnJvciIsIm9yaWdpbmFsU3RhdHVzQ29kZSI6NTAwLCJvcmlnaW5hbE1lc3NhZ2UiOiJUaGUgbW9kZWwgc3RyZWFtIGZhaWxlZC4ifVczQxM=";

/// Spec TV-6: an in-stream `throttlingException` frame, hex.
pub const TV6_HEX: &str = "000000b2000000613590d5d30f3a657863657074696f6e2d747970650700137468726f74746c696e67457863657074696f6e0d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d74797065070009657863657074696f6e7b226d657373616765223a22546f6f206d616e792072657175657374732c20706c656173652077616974206265666f726520747279696e6720616761696e2e227de8ffb26a";

/// The decoded TV-4 body.
pub fn tv4_bytes() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(TV4_BASE64).unwrap_or_default()
}

/// The decoded TV-5 frame.
pub fn tv5_bytes() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(TV5_BASE64).unwrap_or_default()
}

/// The decoded TV-6 frame.
pub fn tv6_bytes() -> Vec<u8> {
    hex::decode(TV6_HEX).unwrap_or_default()
}

/// The Converse fixture for a scenario name (`None` for `recording` and unknown names).
pub fn converse_fixture(scenario: &str) -> Option<&'static str> {
    Some(match scenario {
        "text-fixture" => TEXT_FIXTURE,
        "reasoning-fixture" => REASONING_FIXTURE,
        "tool-fixture" => TOOL_FIXTURE,
        "citations-fixture" => CITATIONS_FIXTURE,
        "guardrail-fixture" => GUARDRAIL_FIXTURE,
        "arn-fixture" => ARN_FIXTURE,
        _ => return None,
    })
}

/// Every scenario name the `x-emulator-scenario` header accepts.
pub const SCENARIOS: &[&str] = &[
    "text-fixture",
    "reasoning-fixture",
    "tool-fixture",
    "citations-fixture",
    "guardrail-fixture",
    "arn-fixture",
    "recording",
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn fixtures_are_json_and_recordings_decode() {
        for name in SCENARIOS.iter().filter(|s| **s != "recording") {
            let v: serde_json::Value =
                serde_json::from_str(converse_fixture(name).unwrap()).unwrap();
            assert!(v.get("stopReason").is_some(), "{name}");
        }
        assert_eq!(tv4_bytes().len(), 1157);
        assert_eq!(tv5_bytes().len(), 221);
        assert_eq!(tv6_bytes().len(), 0xb2);
    }
}

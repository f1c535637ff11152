//! Structured output, reasoning effort, embeddings and token counting, through the real
//! component in the real host against the emulator (which validates every request body as
//! Bedrock documents it, and refuses unknown fields).
#![allow(clippy::unwrap_used)]

use crate::common::*;
use bedrock_emulator::expected_embedding;
use bedrock_gateway::types::*;
use serde_json::{Value, json};

/// Claude Sonnet 4.5: native structured output.
const NATIVE: &str = PROFILE_MODEL;
/// Models answered through the forced synthetic tool.
const FORCED: [&str; 2] = [
    "amazon-bedrock|amazon.nova-lite-v1:0",
    "amazon-bedrock|us.anthropic.claude-sonnet-4-20250514-v1:0",
];

fn weather_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "tempC": {"type": "integer", "minimum": -50, "maximum": 60},
            "conditions": {"enum": ["sunny", "cloudy", "rain"]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "wind": {"type": "object", "properties": {"kmh": {"type": "number"}}, "required": ["kmh"]}
        },
        "required": ["city", "tempC", "conditions", "tags", "wind"],
        "additionalProperties": false
    })
}

fn format(schema: &Value) -> ResponseFormat {
    ResponseFormat::JsonSchema(JsonSchemaFormat {
        name: "weather_report".into(),
        description: Some("Today's weather".into()),
        schema_json: schema.to_string(),
        strict: true,
    })
}

fn structured(model: &str, format: ResponseFormat) -> GenerateRequest {
    GenerateRequest { response_format: Some(format), ..chat_with(model, "Weather in Paris?") }
}

/// The keywords these tests' schemas use: a small validator, so a failure names the path.
fn validate(value: &Value, schema: &Value, path: &str) -> Result<(), String> {
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        return Err(format!("{path}: {value} is not one of {options:?}"));
    }
    let kind = schema.get("type").and_then(Value::as_str);
    let ok = match kind {
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        _ => true,
    };
    if !ok {
        return Err(format!("{path}: {value} is not of type {kind:?}"));
    }
    if let Some(n) = value.as_f64()
        && (schema.get("minimum").and_then(Value::as_f64).is_some_and(|m| n < m)
            || schema.get("maximum").and_then(Value::as_f64).is_some_and(|m| n > m))
    {
        return Err(format!("{path}: {n} is out of range"));
    }
    if let Some(map) = value.as_object() {
        for name in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            if !map.contains_key(name.as_str().unwrap()) {
                return Err(format!("{path}: `{name}` is missing"));
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for (k, v) in map {
            match properties.and_then(|p| p.get(k)) {
                Some(sub) => validate(v, sub, &format!("{path}.{k}"))?,
                None if schema.get("additionalProperties") == Some(&json!(false)) => {
                    return Err(format!("{path}: `{k}` is not allowed"));
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
        for (i, v) in list.iter().enumerate() {
            validate(v, items, &format!("{path}[{i}]"))?;
        }
    }
    Ok(())
}

fn assert_conforms(text: &str, schema: &Value) {
    let value: Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    validate(&value, schema, "$").unwrap_or_else(|e| panic!("{e}: {text}"));
}

fn has_warning(warnings: &[Warning], code: &str) -> bool {
    warnings.iter().any(|w| w.code == code)
}

/// Every request the emulator saw was answered 200 (its shape validation passed).
fn all_accepted(h: &Harness) -> Vec<bedrock_emulator::RecordedRequest> {
    let requests = h.emulator.requests();
    for r in &requests {
        assert_eq!(r.status, 200, "{} {}", r.path, String::from_utf8_lossy(&r.body));
    }
    requests
}

// ---------- structured output ----------

#[tokio::test]
async fn structured_answers_conform_on_both_paths_in_generate() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let schema = weather_schema();
    for model in [NATIVE, FORCED[0], FORCED[1]] {
        h.emulator.clear_requests();
        let answer = h.host.generate(&settings, structured(model, format(&schema))).await.unwrap();
        assert_conforms(&answer.text, &schema);
        assert_eq!(answer.finish_reason, FinishReason::Stop, "{model}");
        assert!(!answer.content.iter().any(|p| matches!(p, ContentPart::ToolCall(_))), "{model}");
        assert!(
            matches!(&answer.content[..], [ContentPart::Text(t)] if *t == answer.text),
            "{model}: {:?}",
            answer.content
        );
        let sent: Value = serde_json::from_slice(&all_accepted(&h)[0].body).unwrap();
        if model == NATIVE {
            assert!(!has_warning(&answer.warnings, "structured-output-tool"));
            let definition = &sent["outputConfig"]["textFormat"]["structure"]["jsonSchema"];
            let text = definition["schema"].as_str().expect("the schema travels as a string");
            assert_eq!(serde_json::from_str::<Value>(text).unwrap(), schema);
            assert_eq!(definition["name"], "weather_report");
            assert!(sent.get("toolConfig").is_none());
        } else {
            assert!(has_warning(&answer.warnings, "structured-output-tool"), "{model}");
            assert_eq!(
                sent["toolConfig"]["toolChoice"],
                json!({"tool": {"name": "json_response"}})
            );
            assert_eq!(sent["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"], schema);
            assert!(sent.get("outputConfig").is_none());
        }
    }
}

#[tokio::test]
async fn structured_answers_conform_on_both_paths_in_stream() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let schema = weather_schema();
    for model in [NATIVE, FORCED[0]] {
        let stream = h.host.stream(&settings, structured(model, format(&schema))).await.unwrap();
        let (parts, error) = drain(stream).await;
        assert!(error.is_none(), "{error:?}");
        assert_conforms(&text_of(&parts), &schema);
        assert!(!parts.iter().any(|p| matches!(
            p,
            StreamPart::ToolCallStart(_)
                | StreamPart::ToolCallDelta(_)
                | StreamPart::ToolCallEnd(_)
        )));
        let finish = parts.iter().find_map(|p| match p {
            StreamPart::Finish(f) => Some(f.reason),
            _ => None,
        });
        assert_eq!(finish, Some(FinishReason::Stop), "{model}");
        let warned = parts
            .iter()
            .any(|p| matches!(p, StreamPart::Warning(w) if w.code == "structured-output-tool"));
        assert_eq!(warned, model != NATIVE, "{model}");
    }
    all_accepted(&h);
}

#[tokio::test]
async fn json_object_takes_the_tool_path_even_on_native_models() {
    let h = Harness::start().await;
    let answer = h
        .host
        .generate(&h.settings(json!({})), structured(NATIVE, ResponseFormat::JsonObject))
        .await
        .unwrap();
    assert!(serde_json::from_str::<Value>(&answer.text).unwrap().is_object());
    assert!(has_warning(&answer.warnings, "structured-output-tool"));
    let sent: Value = serde_json::from_slice(&all_accepted(&h)[0].body).unwrap();
    assert_eq!(
        sent["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"],
        json!({"type": "object"})
    );
}

#[tokio::test]
async fn an_unsupported_schema_keyword_names_its_path() {
    let h = Harness::start().await;
    let schema = json!({"type": "object", "properties": {
        "city": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3}
    }});
    let e = h
        .host
        .generate(&h.settings(json!({})), structured(NATIVE, format(&schema)))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    assert_eq!(e.field.as_deref(), Some("responseFormat.schema.properties.tags.maxItems"));
    assert!(
        e.cause
            .as_deref()
            .unwrap()
            .contains("For 'array' type, property 'maxItems' is not supported"),
        "{e:?}"
    );
    assert_eq!(e.code.as_deref(), Some("ValidationException"));
    // The recorded message through the fault header maps the same way (no path in the schema).
    let e = h
        .host
        .generate(&h.fault("validation-schema"), structured(NATIVE, format(&weather_schema())))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind, e.field.as_deref()),
        (ErrorKind::InvalidRequest, Some("responseFormat.schema"))
    );
}

#[tokio::test]
async fn a_forced_caller_tool_and_the_tool_path_are_refused_before_sending() {
    let h = Harness::start().await;
    let tool = ToolDefinition {
        name: "get_weather".into(),
        description: None,
        input_schema_json: json!({"type": "object"}).to_string(),
        cache_point: None,
    };
    let request = GenerateRequest {
        tools: vec![tool],
        tool_choice: Some(ToolChoice::Tool("get_weather".into())),
        ..structured(FORCED[0], format(&weather_schema()))
    };
    let e = h.host.generate(&h.settings(json!({})), request).await.unwrap_err();
    assert_eq!((e.kind, e.field.as_deref()), (ErrorKind::InvalidRequest, Some("toolChoice")));
    assert!(h.emulator.requests().is_empty());
}

// ---------- effort ----------

#[tokio::test]
async fn effort_is_sent_where_each_model_takes_it() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let with_effort = |model: &str, level: Effort| {
        let mut r = chat_with(model, "Think about it.");
        r.settings.reasoning_effort = Some(level);
        r
    };
    let answer = h
        .host
        .generate(
            &settings,
            with_effort("amazon-bedrock|us.anthropic.claude-opus-4-6-v1", Effort::Medium),
        )
        .await
        .unwrap();
    assert!(answer.warnings.is_empty(), "{:?}", answer.warnings);
    let answer = h.host.generate(&settings, with_effort(NATIVE, Effort::Low)).await.unwrap();
    assert!(
        answer.content.iter().any(|p| matches!(p, ContentPart::Reasoning(_))),
        "thinking is on"
    );
    let answer = h
        .host
        .generate(&settings, with_effort("amazon-bedrock|amazon.nova-lite-v1:0", Effort::High))
        .await
        .unwrap();
    assert!(has_warning(&answer.warnings, "setting-dropped"));
    let bodies: Vec<Value> =
        all_accepted(&h).iter().map(|r| serde_json::from_slice(&r.body).unwrap()).collect();
    assert_eq!(bodies[0]["outputConfig"], json!({"effort": "medium"}));
    assert_eq!(bodies[1]["additionalModelRequestFields"]["thinking"]["budget_tokens"], 2048);
    assert!(
        bodies[2].get("outputConfig").is_none()
            && bodies[2].get("additionalModelRequestFields").is_none()
    );
}

// ---------- embeddings ----------

fn texts(n: usize) -> Vec<EmbedInput> {
    (0..n).map(|i| EmbedInput::Text(format!("document number {i}"))).collect()
}

fn embed(model: &str, inputs: Vec<EmbedInput>) -> EmbedRequest {
    EmbedRequest {
        model: Some(model.into()),
        inputs,
        input_type: None,
        dimensions: None,
        normalize: None,
        embedding_types: vec![],
        truncation: None,
        provider_options: None,
    }
}

fn close(a: &[f32], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (f64::from(*x) - y).abs() < 1e-5)
}

#[tokio::test]
async fn two_hundred_texts_with_cohere_v3_take_three_calls_in_order() {
    let h = Harness::start().await;
    let answer = h
        .host
        .embed(&h.settings(json!({})), embed("amazon-bedrock|cohere.embed-english-v3", texts(200)))
        .await
        .unwrap();
    let calls = all_accepted(&h);
    assert_eq!(calls.len(), 3);
    let sizes: Vec<usize> = calls
        .iter()
        .map(|r| {
            serde_json::from_slice::<Value>(&r.body).unwrap()["texts"].as_array().unwrap().len()
        })
        .collect();
    assert_eq!(sizes, [96, 96, 8]);
    assert!(calls.iter().all(|r| r.path == "/model/cohere.embed-english-v3/invoke"));
    assert_eq!(answer.embeddings.len(), 200);
    assert_eq!(answer.dimensions, 1024);
    for (i, e) in answer.embeddings.iter().enumerate() {
        assert_eq!(e.index as usize, i);
        let expected = expected_embedding(&format!("document number {i}"), 1024, true);
        assert!(close(e.float.as_ref().unwrap(), &expected), "embedding {i} is not its input's");
    }
    let tokens: u64 =
        (0..200).map(|i| format!("document number {i}").len().div_ceil(4) as u64).sum();
    assert_eq!(answer.usage.input_tokens, tokens);
    assert_eq!(answer.metadata.model, "cohere.embed-english-v3");
    assert!(answer.metadata.request_id.is_some());
}

#[tokio::test]
async fn two_hundred_texts_with_titan_fan_out_eight_at_a_time() {
    let h = Harness::start().await;
    // Each answer takes 20 ms, so requests in flight together are seen together.
    let settings = h.settings(json!({"headers": {"x-emulator-latency-ms": "20"}}));
    let mut request = embed("amazon-bedrock|amazon.titan-embed-text-v2:0", texts(200));
    request.dimensions = Some(256);
    request.embedding_types = vec![EmbeddingType::Float, EmbeddingType::Ubinary];
    let answer = h.host.embed(&settings, request).await.unwrap();
    assert_eq!(all_accepted(&h).len(), 200);
    let peak = h.emulator.peak_in_flight();
    assert!((2..=8).contains(&peak), "peak in flight {peak}: bounded at 8, and overlapping");
    assert_eq!(answer.dimensions, 256);
    for (i, e) in answer.embeddings.iter().enumerate() {
        assert_eq!(e.index as usize, i);
        let expected = expected_embedding(&format!("document number {i}"), 256, true);
        assert!(close(e.float.as_ref().unwrap(), &expected), "embedding {i} is not its input's");
        assert_eq!(e.ubinary.as_ref().unwrap().len(), 32);
        let first_bit = e.ubinary.as_ref().unwrap()[0] >> 7;
        assert_eq!(first_bit, u8::from(expected[0] > 0.0));
    }
    assert!(answer.usage.input_tokens >= 200);
}

#[tokio::test]
async fn cohere_v4_mixed_inputs_and_embedding_failures() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let png =
        Image { format: "png".into(), source: MediaSource::Bytes(vec![0x89, b'P', b'N', b'G']) };
    let mut request = embed(
        "amazon-bedrock|cohere.embed-v4:0",
        vec![EmbedInput::Text("a cat".into()), EmbedInput::Image(png)],
    );
    request.dimensions = Some(512);
    request.input_type = Some(EmbedInputType::SearchQuery);
    request.embedding_types = vec![EmbeddingType::Float, EmbeddingType::Int8];
    let answer = h.host.embed(&settings, request).await.unwrap();
    assert_eq!(answer.embeddings.len(), 2);
    assert_eq!(answer.embeddings[1].float.as_ref().unwrap().len(), 512);
    assert_eq!(answer.embeddings[1].int8.as_ref().unwrap().len(), 512);
    all_accepted(&h);
    // Limits checked before sending.
    let mut request = embed("amazon-bedrock|cohere.embed-v4:0", texts(1));
    request.dimensions = Some(100);
    let e = h.host.embed(&settings, request).await.unwrap_err();
    assert_eq!((e.kind, e.field.as_deref()), (ErrorKind::InvalidRequest, Some("dimensions")));
    // Bedrock's validation errors map like every other.
    let e = h
        .host
        .embed(
            &h.fault("embed-too-many-texts"),
            embed("amazon-bedrock|cohere.embed-english-v3", texts(3)),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_deref()),
        (ErrorKind::InvalidRequest, Some("ValidationException"))
    );
    assert!(e.message.starts_with("Malformed input request"), "{e:?}");
    // The settings' model, and a model that is not an embedding model.
    let answer = h
        .host
        .embed(
            &h.settings(json!({"embeddingModel": "amazon-bedrock|amazon.titan-embed-text-v2:0"})),
            EmbedRequest { model: None, ..embed("", texts(1)) },
        )
        .await
        .unwrap();
    assert_eq!(answer.metadata.model, "amazon.titan-embed-text-v2:0");
    let e = h.host.embed(&settings, embed(NATIVE, texts(1))).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unsupported);
}

// ---------- token counting ----------

#[tokio::test]
async fn count_tokens_matches_what_generate_is_charged() {
    let h = Harness::start().await;
    let settings = h.settings(json!({}));
    let mut request = chat("How many tokens is this question?");
    request.messages.insert(
        0,
        Message { role: Role::System, content: vec![ContentPart::Text("Answer briefly.".into())] },
    );
    let count = h.host.count_tokens(&settings, request.clone()).await.unwrap();
    let answer = h.host.generate(&settings, request).await.unwrap();
    assert_eq!(count.input_tokens, answer.usage.input_tokens);
    assert_eq!(count.metadata.model, "anthropic.claude-sonnet-4-5-20250929-v1:0");
    let requests = all_accepted(&h);
    assert_eq!(requests[0].path, "/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/count-tokens");
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["input"]["converse"]["system"], json!([{"text": "Answer briefly."}]));
    // The forced-tool answer's synthetic tool is part of what is counted.
    let structured = structured(FORCED[1], format(&weather_schema()));
    let count = h.host.count_tokens(&settings, structured.clone()).await.unwrap();
    let answer = h.host.generate(&settings, structured).await.unwrap();
    assert_eq!(count.input_tokens, answer.usage.input_tokens);
}

#[tokio::test]
async fn count_tokens_is_unsupported_for_models_that_cannot_count() {
    let h = Harness::start().await;
    let e = h
        .host
        .count_tokens(
            &h.settings(json!({})),
            chat_with("amazon-bedrock|amazon.nova-lite-v1:0", "Hi"),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unsupported);
    assert!(!e.retryable);
    assert!(e.solution.as_deref().unwrap().contains("not available for this model"), "{e:?}");
    let e =
        h.host.count_tokens(&h.fault("count-tokens-unsupported"), chat("Hi")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unsupported);
}

#[tokio::test]
async fn the_largest_embedding_request_fits_the_sandbox() {
    let h = Harness::start().await;
    // 2048 inputs (the most per request) of 1536 floats: 22 Cohere calls, answered in waves.
    let answer = h
        .host
        .embed(&h.settings(json!({})), embed("amazon-bedrock|cohere.embed-v4:0", texts(2048)))
        .await
        .unwrap();
    assert_eq!(all_accepted(&h).len(), 22);
    assert_eq!(answer.embeddings.len(), 2048);
    assert_eq!(answer.dimensions, 1536);
    let last = &answer.embeddings[2047];
    assert_eq!(last.index, 2047);
    let expected = expected_embedding("document number 2047", 1536, true);
    assert!(close(last.float.as_ref().unwrap(), &expected));
    let e = h
        .host
        .embed(&h.settings(json!({})), embed("amazon-bedrock|cohere.embed-v4:0", texts(2049)))
        .await
        .unwrap_err();
    assert_eq!((e.kind, e.field.as_deref()), (ErrorKind::InvalidRequest, Some("inputs")));
}

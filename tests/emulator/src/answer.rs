//! Deterministic Converse answers: greeting text, tool calls, reasoning, stop sequences,
//! max-token truncation, prompt-cache accounting and guardrail interventions.

use std::collections::HashSet;
use std::sync::Mutex;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::fixtures;
use crate::models::{ModelInfo, Provider};
use crate::validate::{Request, ToolChoice};

/// The answer to a Converse call: a recorded fixture (served verbatim) or a generated body.
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    Fixture(&'static str),
    Generated(Value),
}

impl Answer {
    /// The body as JSON (fixtures parsed).
    pub fn to_value(&self) -> Value {
        match self {
            Answer::Fixture(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            Answer::Generated(v) => v.clone(),
        }
    }

    /// The HTTP body bytes.
    pub fn to_body(&self) -> String {
        match self {
            Answer::Fixture(text) => (*text).to_string(),
            Answer::Generated(v) => v.to_string(),
        }
    }
}

/// Prefixes of prompts seen at a cache point (bounded; cleared when full).
#[derive(Debug, Default)]
pub(crate) struct PromptCache(Mutex<HashSet<[u8; 32]>>);

const CACHE_CAPACITY: usize = 10_000;
const GREETING: &str = "Hello from the Bedrock emulator.";
const MAX_ECHO_CHARS: usize = 200;

fn tokens(bytes: usize) -> u64 {
    bytes.div_ceil(4) as u64
}

// ---------- reasoning signatures ----------

const SIGNATURE_KEY: &[u8] = b"bedrock-emulator reasoning signature v1";

/// The signature the emulator issues for a reasoning text: base64 of a tag and an HMAC of the
/// text, so any edit to the text (or the signature) is detected when it comes back.
pub(crate) fn reasoning_signature(text: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(SIGNATURE_KEY) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC-SHA256 takes keys of any length"),
    };
    mac.update(text.as_bytes());
    let mut bytes = b"EmuR".to_vec();
    bytes.extend_from_slice(&mac.finalize().into_bytes());
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Whether a reasoning block is one the emulator issued (or the spec §15.2 fixture's, which the
/// `reasoning-fixture` scenario hands out).
pub(crate) fn reasoning_signature_valid(text: &str, signature: &str) -> bool {
    if crate::sigv4::constant_time_eq(&reasoning_signature(text), signature) {
        return true;
    }
    let fixture: Value = serde_json::from_str(fixtures::REASONING_FIXTURE).unwrap_or(Value::Null);
    let block = &fixture["output"]["message"]["content"][0]["reasoningContent"]["reasoningText"];
    block["text"] == text && block["signature"] == signature
}

// ---------- helpers over request JSON ----------

fn content(message: &Value) -> &[Value] {
    message.get("content").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

fn role(message: &Value) -> &str {
    message.get("role").and_then(Value::as_str).unwrap_or("")
}

/// Bytes of every string leaf (the emulator's stand-in for tokenisation).
fn text_bytes(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len(),
        Value::Array(items) => items.iter().map(text_bytes).sum(),
        Value::Object(map) => map.values().map(text_bytes).sum(),
        Value::Number(n) => n.to_string().len(),
        _ => 0,
    }
}

/// Bytes of a content block; cache points carry no content.
fn block_bytes(block: &Value) -> usize {
    if block.get("cachePoint").is_some() { 0 } else { text_bytes(block) }
}

fn last_user_text(messages: &[Value]) -> String {
    let Some(last) = messages.iter().rev().find(|m| role(m) == "user") else {
        return String::new();
    };
    let texts: Vec<&str> =
        content(last).iter().filter_map(|b| b.get("text").and_then(Value::as_str)).collect();
    texts.join(" ")
}

fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let cut: String = text.chars().take(max_chars).collect();
    format!("{cut}...")
}

fn truncate_bytes(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A minimal valid instance of a JSON schema: required properties filled, strings "Paris",
/// numbers within `minimum`/`maximum`, arrays of `minItems` (at least one) items, `$ref`s into
/// `$defs`/`definitions` followed.
pub(crate) fn sample_for_schema(schema: &Value) -> Value {
    sample(schema, schema, 0)
}

/// A plausible string for a property name (the emulator's answers are about Paris).
fn word_for(name: &str) -> &'static str {
    let name = name.to_ascii_lowercase();
    const WORDS: [(&str, &str); 4] =
        [("country", "France"), ("language", "French"), ("river", "Seine"), ("currency", "EUR")];
    WORDS.iter().find(|(key, _)| name.contains(key)).map_or("Paris", |(_, word)| word)
}

fn sample(schema: &Value, root: &Value, depth: usize) -> Value {
    sample_named(schema, root, depth, "")
}

fn sample_named(schema: &Value, root: &Value, depth: usize, name: &str) -> Value {
    if depth > 32 {
        return Value::Null;
    }
    if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
        let pointer = target.strip_prefix('#').unwrap_or(target);
        return root.pointer(pointer).map_or(Value::Null, |s| sample(s, root, depth + 1));
    }
    if let Some(c) = schema.get("const") {
        return c.clone();
    }
    if let Some(first) = schema.get("enum").and_then(Value::as_array).and_then(|e| e.first()) {
        return first.clone();
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(first) = schema.get(key).and_then(Value::as_array).and_then(|e| e.first()) {
            return sample(first, root, depth + 1);
        }
    }
    let kind = match schema.get("type") {
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Array(types)) => {
            types.iter().filter_map(Value::as_str).find(|t| *t != "null").unwrap_or("null")
        }
        _ if schema.get("properties").is_some() => "object",
        _ => "string",
    };
    let num = |key: &str| schema.get(key).and_then(Value::as_f64);
    match kind {
        "object" => {
            let mut out = Map::new();
            let required = schema.get("required").and_then(Value::as_array);
            for name in required.into_iter().flatten().filter_map(Value::as_str) {
                let prop =
                    schema.get("properties").and_then(|p| p.get(name)).unwrap_or(&Value::Null);
                out.insert(name.to_string(), sample_named(prop, root, depth + 1, name));
            }
            Value::Object(out)
        }
        "array" => {
            let items = schema.get("items").unwrap_or(&Value::Null);
            let n = schema.get("minItems").and_then(Value::as_u64).unwrap_or(1).max(1);
            let n = schema.get("maxItems").and_then(Value::as_u64).map_or(n, |max| n.min(max));
            Value::Array((0..n).map(|_| sample(items, root, depth + 1)).collect())
        }
        "integer" => {
            let low = num("minimum").or(num("exclusiveMinimum").map(|m| m.floor() + 1.0));
            let value = low.map_or(1.0, |m| m.max(1.0).ceil());
            let value = num("maximum").map_or(value, |max| value.min(max.floor()));
            json!(value as i64)
        }
        "number" => {
            let value = num("minimum").map_or(1.5, |m| m.max(1.5));
            let value = num("exclusiveMinimum").map_or(value, |m| value.max(m + 0.5));
            json!(num("maximum").map_or(value, |max| value.min(max)))
        }
        "boolean" => json!(true),
        "null" => Value::Null,
        _ => {
            let format = schema.get("format").and_then(Value::as_str);
            let mut text = match format {
                Some("date-time") => "2025-01-01T00:00:00Z".to_string(),
                Some("date") => "2025-01-01".to_string(),
                Some("email") => "paris@example.com".to_string(),
                Some("uri") => "https://example.com/paris".to_string(),
                _ => word_for(name).to_string(),
            };
            let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
            while text.chars().count() < min {
                text.push('s');
            }
            if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
                text = text.chars().take(max as usize).collect();
            }
            json!(text)
        }
    }
}

fn tool_use_id(model_id: &str, messages: &[Value]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(model_id.as_bytes());
    hasher.update(serde_json::to_vec(messages).unwrap_or_default());
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hasher.finalize());
    format!("tooluse_{}", &encoded[..22])
}

// ---------- prompt caching ----------

struct CacheUsage {
    read: u64,
    write: u64,
    /// Tokens up to the last cache point.
    prefix: u64,
}

impl PromptCache {
    fn account(&self, model_id: &str, request: &Request<'_>) -> CacheUsage {
        let mut hasher = Sha256::new();
        hasher.update(model_id.as_bytes());
        let mut bytes = 0usize;
        let mut points: Vec<([u8; 32], usize)> = Vec::new();
        let blocks = request
            .tool_items
            .iter()
            .chain(request.system)
            .chain(request.messages.iter().flat_map(|m| content(m).iter()));
        for block in blocks {
            if block.get("cachePoint").is_some() {
                points.push((hasher.clone().finalize().into(), bytes));
                continue;
            }
            hasher.update(serde_json::to_vec(block).unwrap_or_default());
            bytes += block_bytes(block);
        }
        let Some(&(_, last_bytes)) = points.last() else {
            return CacheUsage { read: 0, write: 0, prefix: 0 };
        };
        let mut seen = match self.0.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let read_bytes =
            points.iter().rev().find(|(hash, _)| seen.contains(hash)).map_or(0, |(_, b)| *b);
        if seen.len() + points.len() > CACHE_CAPACITY {
            seen.clear();
        }
        seen.extend(points.iter().map(|(hash, _)| *hash));
        let (read, prefix) = (tokens(read_bytes), tokens(last_bytes));
        CacheUsage { read, write: prefix - read, prefix }
    }
}

/// Input tokens of a validated request: every string leaf of the system prompt, the messages
/// and the tool definitions (the emulator's token is 4 bytes), at least 1.
pub(crate) fn input_tokens(request: &Request<'_>) -> u64 {
    tokens(
        request.system.iter().map(block_bytes).sum::<usize>()
            + request
                .messages
                .iter()
                .flat_map(|m| content(m).iter())
                .map(block_bytes)
                .sum::<usize>()
            + request.tool_items.iter().map(block_bytes).sum::<usize>(),
    )
    .max(1)
}

// ---------- the answer ----------

/// Generates the Converse answer for a validated request.
pub(crate) fn answer(
    request: &Request<'_>,
    model: &ModelInfo,
    model_id: &str,
    cache: &PromptCache,
) -> Answer {
    let prompt = last_user_text(request.messages);
    if let Some(id) = request.guardrail_id
        && (id == "1abcd2ef34gh"
            || prompt
                .to_lowercase()
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| w == "forbidden"))
    {
        return Answer::Fixture(fixtures::GUARDRAIL_FIXTURE);
    }

    let mut blocks: Vec<Value> = Vec::new();
    let mut out_bytes = 0usize;
    if request.thinking {
        let text = format!(
            "The user wrote: \"{}\". A short, friendly reply is appropriate.",
            shorten(&prompt, 60)
        );
        out_bytes += text.len();
        let signature = reasoning_signature(&text);
        blocks.push(
            json!({"reasoningContent": {"reasoningText": {"signature": signature, "text": text}}}),
        );
    }

    let last = request.messages.last();
    let results: Vec<&Value> = last
        .map(|m| content(m).iter().filter_map(|b| b.get("toolResult")).collect())
        .unwrap_or_default();
    let tool = match &request.tool_choice {
        Some(ToolChoice::Tool(name)) => request.tools.iter().find(|t| t.name == name),
        // With a response format and a free choice, the model answers in the format.
        _ if request.output_schema.is_some() && request.tool_choice != Some(ToolChoice::Any) => {
            None
        }
        _ => request.tools.first(),
    };

    let mut stop_reason = "end_turn";
    let mut matched_stop: Option<&str> = None;
    match tool {
        Some(tool) if results.is_empty() => {
            let input = sample_for_schema(tool.schema);
            out_bytes += input.to_string().len() + tool.name.len();
            blocks.push(json!({"toolUse": {
                "input": input,
                "name": tool.name,
                "toolUseId": tool_use_id(model_id, request.messages),
            }}));
            stop_reason = "tool_use";
        }
        _ => {
            let full = if let Some(schema) = &request.output_schema {
                sample_for_schema(schema).to_string()
            } else if results.is_empty() {
                format!("{GREETING} You said: {}", shorten(&prompt, MAX_ECHO_CHARS))
            } else {
                format!("{GREETING} {}", describe_results(request.messages, &results))
            };
            let mut text = full.as_str();
            let earliest = request
                .stop_sequences
                .iter()
                .filter_map(|s| text.find(s).map(|at| (at, *s)))
                .min_by_key(|(at, _)| *at);
            if let Some((at, seq)) = earliest {
                text = &text[..at];
                stop_reason = "stop_sequence";
                matched_stop = Some(seq);
            }
            let limit = request.max_tokens.unwrap_or(model.max_output.min(4096));
            let used = tokens(out_bytes);
            if used + tokens(text.len()) > limit {
                text = truncate_bytes(text, (limit.saturating_sub(used) * 4) as usize);
                stop_reason = "max_tokens";
                matched_stop = None;
            }
            out_bytes += text.len();
            if !text.is_empty() {
                blocks.push(json!({"text": text}));
            }
        }
    }

    let cache_usage = cache.account(model_id, request);
    let total_in = tokens(
        request.system.iter().map(block_bytes).sum::<usize>()
            + request
                .messages
                .iter()
                .flat_map(|m| content(m).iter())
                .map(block_bytes)
                .sum::<usize>()
            + request.tool_items.iter().map(block_bytes).sum::<usize>(),
    )
    .max(1);
    let input = total_in.saturating_sub(cache_usage.prefix).max(1);
    let output = match stop_reason {
        "max_tokens" => request.max_tokens.unwrap_or(tokens(out_bytes)),
        _ => tokens(out_bytes).max(1),
    };
    let total = input + output + cache_usage.read + cache_usage.write;
    let mut usage = json!({"inputTokens": input, "outputTokens": output, "serverToolUsage": {}, "totalTokens": total});
    if model.provider == Provider::Anthropic || cache_usage.prefix > 0 {
        usage["cacheReadInputTokenCount"] = json!(cache_usage.read);
        usage["cacheReadInputTokens"] = json!(cache_usage.read);
        usage["cacheWriteInputTokenCount"] = json!(cache_usage.write);
        usage["cacheWriteInputTokens"] = json!(cache_usage.write);
    }

    let mut body = json!({
        "metrics": {"latencyMs": 120 + output * 4},
        "output": {"message": {"content": blocks, "role": "assistant"}},
        "stopReason": stop_reason,
        "usage": usage,
    });
    if model.provider == Provider::Anthropic
        && request.response_field_paths.contains(&"/stop_sequence")
    {
        body["additionalModelResponseFields"] = json!({"stop_sequence": matched_stop});
    }
    Answer::Generated(body)
}

fn describe_results(messages: &[Value], results: &[&Value]) -> String {
    let uses: Vec<&Value> = messages
        .iter()
        .rev()
        .nth(1)
        .map(|m| content(m).iter().filter_map(|b| b.get("toolUse")).collect())
        .unwrap_or_default();
    let parts: Vec<String> = results
        .iter()
        .map(|result| {
            let id = result.get("toolUseId");
            let name = uses
                .iter()
                .find(|u| u.get("toolUseId") == id)
                .and_then(|u| u.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("tool");
            let shown: Vec<String> = result
                .get("content")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|item| match (item.get("text"), item.get("json")) {
                    (Some(Value::String(t)), _) => t.clone(),
                    (_, Some(j)) => j.to_string(),
                    _ => item.to_string(),
                })
                .collect();
            format!("The tool {name} returned: {}", shorten(&shown.join(" "), MAX_ECHO_CHARS))
        })
        .collect();
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::models::base_model;
    use crate::validate::validate;

    fn run(body: Value, model_id: &str, cache: &PromptCache) -> Value {
        let model = base_model(model_id).unwrap();
        let request = validate(&body, model, false).unwrap();
        answer(&request, model, model_id, cache).to_value()
    }

    fn text_of(v: &Value) -> String {
        v["output"]["message"]["content"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|b| b["text"].as_str())
            .collect()
    }

    const SONNET: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";
    const NOVA: &str = "amazon.nova-lite-v1:0";

    #[test]
    fn greets_and_counts_tokens() {
        let v = run(
            json!({"messages": [{"role": "user", "content": [{"text": "Hi there"}]}]}),
            NOVA,
            &PromptCache::default(),
        );
        assert_eq!(text_of(&v), "Hello from the Bedrock emulator. You said: Hi there");
        assert_eq!(v["stopReason"], "end_turn");
        assert_eq!(v["usage"]["inputTokens"], 2);
        assert_eq!(v["usage"]["outputTokens"], 13);
        assert_eq!(v["usage"]["totalTokens"], 15);
        assert!(v["usage"].get("cacheReadInputTokens").is_none());
        let claude = run(
            json!({"messages": [{"role": "user", "content": [{"text": "Hi"}]}]}),
            SONNET,
            &PromptCache::default(),
        );
        assert_eq!(claude["usage"]["cacheReadInputTokenCount"], 0);
        assert_eq!(claude["usage"]["serverToolUsage"], json!({}));
    }

    #[test]
    fn stop_sequences_and_max_tokens() {
        let v = run(
            json!({"messages": [{"role": "user", "content": [{"text": "say STOP now"}]}],
                   "inferenceConfig": {"stopSequences": ["STOP"]},
                   "additionalModelResponseFieldPaths": ["/stop_sequence"]}),
            SONNET,
            &PromptCache::default(),
        );
        assert_eq!(text_of(&v), "Hello from the Bedrock emulator. You said: say ");
        assert_eq!(v["stopReason"], "stop_sequence");
        assert_eq!(v["additionalModelResponseFields"], json!({"stop_sequence": "STOP"}));
        let v = run(
            json!({"messages": [{"role": "user", "content": [{"text": "Hi"}]}], "inferenceConfig": {"maxTokens": 3}}),
            NOVA,
            &PromptCache::default(),
        );
        assert_eq!(text_of(&v), "Hello from t");
        assert_eq!(v["stopReason"], "max_tokens");
        assert_eq!(v["usage"]["outputTokens"], 3);
    }

    #[test]
    fn tool_loop() {
        let tools = json!({"tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": {
            "type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}, "unit": {"enum": ["c", "f"]}},
            "required": ["city", "days", "unit"]}}}}]});
        let first = json!({"messages": [{"role": "user", "content": [{"text": "Weather?"}]}], "toolConfig": tools});
        let v = run(first.clone(), SONNET, &PromptCache::default());
        assert_eq!(v["stopReason"], "tool_use");
        let call = &v["output"]["message"]["content"][0]["toolUse"];
        assert_eq!(call["input"], json!({"city": "Paris", "days": 1, "unit": "c"}));
        let id = call["toolUseId"].as_str().unwrap();
        assert!(id.starts_with("tooluse_") && id.len() == 30);
        assert_eq!(
            run(first, SONNET, &PromptCache::default())["output"],
            v["output"],
            "deterministic"
        );
        let second = json!({"messages": [
            {"role": "user", "content": [{"text": "Weather?"}]},
            {"role": "assistant", "content": [{"toolUse": call}]},
            {"role": "user", "content": [{"toolResult": {"toolUseId": id, "content": [{"json": {"tempC": 21}}]}}]}],
            "toolConfig": tools});
        let v = run(second, SONNET, &PromptCache::default());
        assert_eq!(v["stopReason"], "end_turn");
        assert_eq!(
            text_of(&v),
            "Hello from the Bedrock emulator. The tool get_weather returned: {\"tempC\":21}"
        );
    }

    #[test]
    fn reasoning_round_trip() {
        let body = json!({"messages": [{"role": "user", "content": [{"text": "Hi"}]}],
            "inferenceConfig": {"maxTokens": 2048},
            "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 1024}}});
        let v = run(body, SONNET, &PromptCache::default());
        let reasoning =
            v["output"]["message"]["content"][0]["reasoningContent"]["reasoningText"].clone();
        let (text, sig) =
            (reasoning["text"].as_str().unwrap(), reasoning["signature"].as_str().unwrap());
        assert!(reasoning_signature_valid(text, sig));
        assert!(!reasoning_signature_valid(&format!("{text} "), sig));
        let fixture: Value = serde_json::from_str(fixtures::REASONING_FIXTURE).unwrap();
        let f = &fixture["output"]["message"]["content"][0]["reasoningContent"]["reasoningText"];
        assert!(reasoning_signature_valid(
            f["text"].as_str().unwrap(),
            f["signature"].as_str().unwrap()
        ));
    }

    #[test]
    fn cache_points_write_then_read() {
        let cache = PromptCache::default();
        let body = json!({"system": [{"text": "A long system prompt that is worth caching."}, {"cachePoint": {"type": "default"}}],
            "messages": [{"role": "user", "content": [{"text": "Hi"}]}]});
        let first = run(body.clone(), SONNET, &cache);
        assert_eq!(first["usage"]["cacheWriteInputTokens"], 11);
        assert_eq!(first["usage"]["cacheReadInputTokens"], 0);
        let second = run(body, SONNET, &cache);
        assert_eq!(second["usage"]["cacheWriteInputTokens"], 0);
        assert_eq!(second["usage"]["cacheReadInputTokens"], 11);
        assert_eq!(second["usage"]["inputTokens"], first["usage"]["inputTokens"]);
    }

    #[test]
    fn guardrail_intervenes() {
        let body = |id: &str, text: &str| {
            json!({"messages": [{"role": "user", "content": [{"text": text}]}],
            "guardrailConfig": {"guardrailIdentifier": id, "guardrailVersion": "1"}})
        };
        let model = base_model(SONNET).unwrap();
        let b = body("1abcd2ef34gh", "hello");
        let r = validate(&b, model, false).unwrap();
        assert!(
            matches!(answer(&r, model, SONNET, &PromptCache::default()), Answer::Fixture(f) if f == fixtures::GUARDRAIL_FIXTURE)
        );
        let b = body("other", "this is Forbidden.");
        let r = validate(&b, model, false).unwrap();
        assert_eq!(
            answer(&r, model, SONNET, &PromptCache::default()).to_value()["stopReason"],
            "guardrail_intervened"
        );
        let b = body("other", "fine");
        let r = validate(&b, model, false).unwrap();
        assert_eq!(
            answer(&r, model, SONNET, &PromptCache::default()).to_value()["stopReason"],
            "end_turn"
        );
    }
}

#[cfg(test)]
mod schema_samples {
    use super::sample_for_schema;
    use serde_json::json;

    #[test]
    fn samples_satisfy_the_constraints_they_meet() {
        let schema = json!({"type": "object", "required": ["n", "x", "list", "code", "country", "maybe", "ref"],
            "properties": {
                "n": {"type": "integer", "exclusiveMinimum": 10, "maximum": 20},
                "x": {"type": "number", "maximum": 0.5},
                "list": {"type": "array", "items": {"type": "boolean"}, "minItems": 3},
                "code": {"type": "string", "minLength": 7, "maxLength": 8},
                "country": {"type": "string"},
                "maybe": {"type": ["null", "string"], "format": "email"},
                "ref": {"$ref": "#/definitions/day"}
            },
            "definitions": {"day": {"const": "monday"}}});
        assert_eq!(
            sample_for_schema(&schema),
            json!({"n": 11, "x": 0.5, "list": [true, true, true], "code": "Parisss",
                   "country": "France", "maybe": "paris@example.com", "ref": "monday"})
        );
        // Unresolvable or runaway references end instead of recursing forever.
        let looping = json!({"$ref": "#"});
        assert_eq!(sample_for_schema(&looping), serde_json::Value::Null);
    }
}

//! What the CLI prints: JSON shapes (camelCase, WIT enum names in kebab-case) and the text
//! shown to a person. Kept apart from the command logic so the shapes are unit-tested.

use base64::Engine as _;
use serde_json::{Value, json};

use crate::types::{
    CheckReport, CheckStatus, ContentPart, CountTokensResponse, EmbedResponse, GenerateResponse,
    MediaSource, ModelCheck, ProviderError, Reasoning, RerankDocument, RerankResponse, StreamPart,
    ToolCall, ToolResultContent, Usage, Warning, error_kind_name, finish_reason_name,
};

/// Unix seconds as `2025-07-14T20:14:19Z` (RFC 3339, UTC, whole seconds), written by the AWS
/// SDK's own date type rather than by hand.
pub fn utc_seconds(unix: u64) -> String {
    let seconds = i64::try_from(unix).unwrap_or(i64::MAX);
    aws_smithy_types::DateTime::from_secs(seconds)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        // Only a year past 9999 cannot be written; say so rather than print a wrong date.
        .unwrap_or_else(|_| format!("{unix} s after 1970"))
}

/// `{"error": {...}}` for `--json` output.
pub fn error_json(e: &ProviderError) -> Value {
    json!({ "error": {
        "kind": error_kind_name(e.kind),
        "message": e.message,
        "cause": e.cause,
        "solution": e.solution,
        "status": e.status,
        "code": e.code,
        "requestId": e.request_id,
        "retryable": e.retryable,
        "retryAfterMs": e.retry_after_ms,
        "field": e.field,
    }})
}

/// The error for a person, one fact per line.
pub fn error_text(e: &ProviderError) -> String {
    let mut text = format!("error ({}): {}\n", error_kind_name(e.kind), e.message);
    if let Some(cause) = &e.cause {
        text += &format!("  cause:      {cause}\n");
    }
    if let Some(solution) = &e.solution {
        text += &format!("  solution:   {solution}\n");
    }
    if let Some(field) = &e.field {
        text += &format!("  field:      {field}\n");
    }
    let upstream: Vec<String> = [
        e.status.map(|s| format!("HTTP {s}")),
        e.code.clone(),
        e.request_id.as_ref().map(|id| format!("request id {id}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !upstream.is_empty() {
        text += &format!("  upstream:   {}\n", upstream.join(", "));
    }
    if e.retryable {
        match e.retry_after_ms {
            Some(ms) => text += &format!("  retryable:  yes, after {ms} ms\n"),
            None => text += "  retryable:  yes\n",
        }
    }
    text
}

/// Token counts, camelCase.
pub fn usage_json(u: &Usage) -> Value {
    json!({
        "inputTokens": u.input_tokens,
        "outputTokens": u.output_tokens,
        "totalTokens": u.total_tokens,
        "cacheReadTokens": u.cache_read_tokens,
        "cacheWriteTokens": u.cache_write_tokens,
    })
}

fn warnings_json(warnings: &[Warning]) -> Value {
    Value::Array(warnings.iter().map(|w| json!({"code": w.code, "message": w.message})).collect())
}

/// A JSON text as a value, or the text itself when it does not parse.
fn embedded_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

fn base64_of(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn tool_call_json(call: &ToolCall) -> Value {
    json!({"id": call.id, "name": call.name, "input": embedded_json(&call.input_json)})
}

fn media_json(source: &MediaSource) -> Value {
    match source {
        MediaSource::Bytes(bytes) => json!({"bytes": base64_of(bytes)}),
        MediaSource::S3(s3) => json!({"s3": {"uri": s3.uri, "bucketOwner": s3.bucket_owner}}),
    }
}

/// One content part of an answer, tagged with its WIT variant name in `type`.
pub fn content_part_json(part: &ContentPart) -> Value {
    match part {
        ContentPart::Text(text) => json!({"type": "text", "text": text}),
        ContentPart::Reasoning(Reasoning::Text(r)) => {
            json!({"type": "reasoning", "text": r.text, "signature": r.signature})
        }
        ContentPart::Reasoning(Reasoning::Redacted(bytes)) => {
            json!({"type": "reasoning", "redacted": base64_of(bytes)})
        }
        ContentPart::ToolCall(call) => {
            let mut value = tool_call_json(call);
            if let Value::Object(map) = &mut value {
                map.insert("type".into(), "tool-call".into());
            }
            value
        }
        ContentPart::CitedText(c) => json!({
            "type": "cited-text", "text": c.text, "citations": embedded_json(&c.citations_json),
        }),
        ContentPart::ToolResult(r) => {
            let content: Vec<Value> = r
                .content
                .iter()
                .map(|c| match c {
                    ToolResultContent::Text(t) => json!({"text": t}),
                    ToolResultContent::Json(j) => json!({"json": embedded_json(j)}),
                })
                .collect();
            json!({"type": "tool-result", "id": r.id, "content": content, "isError": r.is_error})
        }
        ContentPart::Image(i) => {
            json!({"type": "image", "format": i.format, "source": media_json(&i.source)})
        }
        ContentPart::Document(d) => json!({
            "type": "document", "format": d.format, "name": d.name, "source": media_json(&d.source),
        }),
        ContentPart::CachePoint(c) => json!({"type": "cache-point", "ttl": c.ttl}),
    }
}

/// The `chat --json` object. `trace` and `additionalFields` appear only when Bedrock sent them.
pub fn generate_json(r: &GenerateResponse) -> Value {
    let tool_calls: Vec<Value> = r
        .content
        .iter()
        .filter_map(|part| match part {
            ContentPart::ToolCall(call) => Some(tool_call_json(call)),
            _ => None,
        })
        .collect();
    let mut value = json!({
        "text": r.text,
        "finishReason": finish_reason_name(r.finish_reason),
        "usage": usage_json(&r.usage),
        "model": r.metadata.model,
        "requestId": r.metadata.request_id,
        "warnings": warnings_json(&r.warnings),
        "toolCalls": tool_calls,
        "content": r.content.iter().map(content_part_json).collect::<Vec<_>>(),
    });
    if let Value::Object(map) = &mut value {
        if let Some(trace) = &r.trace_json {
            map.insert("trace".into(), embedded_json(trace));
        }
        if let Some(fields) = &r.additional_fields_json {
            map.insert("additionalFields".into(), embedded_json(fields));
        }
    }
    value
}

/// The answer for a person: text as written, reasoning on lines starting with `> `, each tool
/// call on a line of its own. Ends with a newline.
pub fn generate_text(r: &GenerateResponse) -> String {
    let mut view = TextView::default();
    let mut out = String::new();
    for part in &r.content {
        out += &match part {
            ContentPart::Text(text) => view.text(text),
            ContentPart::CitedText(c) => view.text(&c.text),
            ContentPart::Reasoning(Reasoning::Text(t)) => {
                view.reasoning(&t.text) + &view.end_line()
            }
            ContentPart::Reasoning(Reasoning::Redacted(b)) => view.redacted(b.len()),
            ContentPart::ToolCall(call) => view.tool_call(call),
            _ => String::new(),
        };
    }
    out + &view.finish()
}

/// Lays out an answer for a terminal as its pieces arrive (streamed or not), keeping reasoning,
/// answer text and tool calls apart: reasoning lines start with `> `, and a switch between
/// reasoning and text, or a tool call, starts a new line.
#[derive(Debug)]
pub struct TextView {
    at_line_start: bool,
    in_reasoning: bool,
}

impl Default for TextView {
    fn default() -> Self {
        TextView { at_line_start: true, in_reasoning: false }
    }
}

impl TextView {
    /// Answer text.
    pub fn text(&mut self, text: &str) -> String {
        let mut out = self.leave_reasoning();
        if !text.is_empty() {
            out.push_str(text);
            self.at_line_start = text.ends_with('\n');
        }
        out
    }

    /// A piece of reasoning text.
    pub fn reasoning(&mut self, text: &str) -> String {
        let mut out = String::new();
        if !self.in_reasoning {
            out += &self.end_line();
            self.in_reasoning = true;
        }
        for c in text.chars() {
            if self.at_line_start {
                out.push_str("> ");
                self.at_line_start = false;
            }
            out.push(c);
            self.at_line_start = c == '\n';
        }
        out
    }

    /// Reasoning the provider encrypted: only its size is shown.
    pub fn redacted(&mut self, len: usize) -> String {
        self.reasoning(&format!("[redacted reasoning, {len} bytes]")) + &self.end_line()
    }

    /// A complete tool call, as `tool call <name>(<input>)` on a line of its own.
    pub fn tool_call(&mut self, call: &ToolCall) -> String {
        let mut out = self.leave_reasoning();
        out += &self.end_line();
        out += &format!("tool call {}({})\n", call.name, call.input_json);
        out
    }

    /// A newline unless the output already ends with one.
    pub fn end_line(&mut self) -> String {
        if self.at_line_start {
            String::new()
        } else {
            self.at_line_start = true;
            "\n".into()
        }
    }

    /// What ends the output: a final newline when needed.
    pub fn finish(&mut self) -> String {
        self.in_reasoning = false;
        self.end_line()
    }

    fn leave_reasoning(&mut self) -> String {
        if std::mem::take(&mut self.in_reasoning) { self.end_line() } else { String::new() }
    }
}

/// One line of `chat --stream --json`.
pub fn stream_part_json(part: &StreamPart) -> Value {
    match part {
        StreamPart::Start(m) => {
            json!({"type": "start", "model": m.model, "requestId": m.request_id})
        }
        StreamPart::TextDelta(d) => json!({"type": "text-delta", "text": d.text}),
        StreamPart::ReasoningDelta(d) => json!({
            "type": "reasoning-delta",
            "text": d.text,
            "signature": d.signature,
            "redacted": d.redacted.as_ref().map(|b| base64::engine::general_purpose::STANDARD.encode(b)),
        }),
        StreamPart::ToolCallStart(s) => {
            json!({"type": "tool-call-start", "id": s.id, "name": s.name})
        }
        StreamPart::ToolCallDelta(d) => {
            json!({"type": "tool-call-delta", "inputFragment": d.input_fragment})
        }
        StreamPart::ToolCallEnd(c) => json!({
            "type": "tool-call-end", "id": c.id, "name": c.name, "input": embedded_json(&c.input_json),
        }),
        StreamPart::Citation(c) => json!({"type": "citation", "citation": embedded_json(c)}),
        StreamPart::Finish(f) => json!({
            "type": "finish", "finishReason": finish_reason_name(f.reason), "raw": f.raw,
        }),
        StreamPart::Usage(u) => {
            let mut value = usage_json(u);
            if let Value::Object(map) = &mut value {
                map.insert("type".into(), "usage".into());
            }
            value
        }
        StreamPart::Warning(w) => json!({"type": "warning", "code": w.code, "message": w.message}),
        StreamPart::Trace(t) => json!({"type": "trace", "trace": embedded_json(t)}),
    }
}

fn document_value(d: &RerankDocument) -> Value {
    match d {
        RerankDocument::Text(text) => Value::String(text.clone()),
        RerankDocument::Json(text) => embedded_json(text),
    }
}

/// The `rerank --json` object.
pub fn rerank_json(r: &RerankResponse) -> Value {
    let results: Vec<Value> = r
        .results
        .iter()
        .map(|x| json!({
            "index": x.index, "relevanceScore": x.relevance_score, "document": document_value(&x.document),
        }))
        .collect();
    json!({"results": results, "model": r.metadata.model, "requestId": r.metadata.request_id})
}

/// The ranking as a table no wider than `width` columns.
pub fn rerank_table(r: &RerankResponse, width: usize) -> String {
    const HEAD: &str = "rank  index   score  ";
    let room = width.saturating_sub(HEAD.len()).max(20);
    let mut text = format!("{HEAD}document\n");
    for (rank, x) in r.results.iter().enumerate() {
        let document = match &x.document {
            RerankDocument::Text(t) | RerankDocument::Json(t) => t,
        };
        text += &format!(
            "{:>4}  {:>5}  {:.4}  {}\n",
            rank + 1,
            x.index,
            x.relevance_score,
            one_line(document, room)
        );
    }
    text
}

/// The `embed --json` object: each embedding with the formats it carries.
pub fn embed_json(r: &EmbedResponse) -> Value {
    let embeddings: Vec<Value> = r
        .embeddings
        .iter()
        .map(|e| {
            let mut v = json!({"index": e.index});
            if let Some(x) = &e.float {
                v["float"] = json!(x);
            }
            if let Some(x) = &e.int8 {
                v["int8"] = json!(x);
            }
            if let Some(x) = &e.uint8 {
                v["uint8"] = json!(x);
            }
            if let Some(x) = &e.binary {
                v["binary"] = json!(x);
            }
            if let Some(x) = &e.ubinary {
                v["ubinary"] = json!(x);
            }
            v
        })
        .collect();
    json!({
        "embeddings": embeddings,
        "dimensions": r.dimensions,
        "usage": {"inputTokens": r.usage.input_tokens},
        "model": r.metadata.model,
        "requestId": r.metadata.request_id,
        "warnings": warnings_json(&r.warnings),
    })
}

/// The embeddings as a table: index, dimensions and the first values of each vector.
pub fn embed_table(r: &EmbedResponse) -> String {
    const SHOWN: usize = 4;
    let mut text = String::from("index  dims  first values\n");
    for e in &r.embeddings {
        let first: Vec<String> = match (&e.float, &e.int8, &e.uint8, &e.binary, &e.ubinary) {
            (Some(f), ..) => f.iter().take(SHOWN).map(|x| format!("{x:+.4}")).collect(),
            (_, Some(i), ..) => i.iter().take(SHOWN).map(i8::to_string).collect(),
            (_, _, Some(u), ..) => u.iter().take(SHOWN).map(u8::to_string).collect(),
            (_, _, _, Some(b), _) => b.iter().take(SHOWN).map(i8::to_string).collect(),
            (.., Some(u)) => u.iter().take(SHOWN).map(|b| format!("{b:08b}")).collect(),
            _ => Vec::new(),
        };
        text += &format!("{:>5}  {:>4}  {} ...\n", e.index, r.dimensions, first.join(" "));
    }
    text += &format!(
        "{} embedding(s), {} input tokens, model {}\n",
        r.embeddings.len(),
        r.usage.input_tokens,
        r.metadata.model
    );
    text
}

/// The `chat --count-tokens --json` object.
pub fn count_tokens_json(r: &CountTokensResponse) -> Value {
    json!({
        "inputTokens": r.input_tokens,
        "model": r.metadata.model,
        "requestId": r.metadata.request_id,
        "warnings": warnings_json(&r.warnings),
    })
}

/// `text` on one line, cut to `max` characters with an ellipsis.
fn one_line(text: &str, max: usize) -> String {
    let flat: String =
        text.chars().map(|c| if c.is_whitespace() { ' ' } else { c }).collect::<String>();
    let flat = flat.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max.saturating_sub(3)).collect();
        format!("{cut}...")
    }
}

/// Whether a check passed: no row of any model failed (unknown and skipped rows do not fail).
pub fn check_passed(report: &CheckReport) -> bool {
    report.models.iter().all(model_passed)
}

fn model_passed(m: &ModelCheck) -> bool {
    m.rows.iter().all(|r| r.status != CheckStatus::Failed)
}

/// The `check --json` object (field names documented in README.md and ARCHITECTURE.md).
pub fn check_json(redacted_settings: &Value, report: &CheckReport) -> Value {
    let models: Vec<Value> = report
        .models
        .iter()
        .map(|m| {
            json!({
                "kind": m.kind,
                "setting": m.setting,
                "model": m.model,
                "ok": model_passed(m),
                "rows": m.rows.iter().map(|r| json!({
                    "requirement": r.requirement,
                    "status": r.status.name(),
                    "evidence": r.evidence,
                    "fix": r.fix,
                    "requestId": r.request_id,
                    "latencyMs": r.latency_ms,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "ok": check_passed(report),
        "settings": redacted_settings,
        "report": {
            "region": report.region,
            "endpoint": report.endpoint,
            "controlPlaneEndpoint": report.control_plane_endpoint,
            "auth": report.auth,
            "models": models,
            "warnings": warnings_json(&report.warnings),
        },
    })
}

/// `check --json` with the credentials the host resolved: `"credentials": {"source",
/// "accessKeyId" (masked), "expires" (ISO 8601 or null)}` beside the report.
pub fn check_json_with(
    redacted_settings: &Value,
    report: &CheckReport,
    credentials: Option<&crate::credentials::Report>,
) -> Value {
    let mut value = check_json(redacted_settings, report);
    if let (Some(c), Some(map)) = (credentials, value.as_object_mut()) {
        map.insert(
            "credentials".into(),
            json!({
                "source": c.source,
                "accessKeyId": c.access_key_id,
                "expires": c.expiry.map(crate::credentials::iso8601),
            }),
        );
    }
    value
}

/// Column where a row's evidence starts in the table.
const EVIDENCE_COLUMN: usize = 25;

/// [`check_text`] with the credentials the host resolved: their source, the masked access key
/// ID and when they expire (relative to `now`), under the endpoints.
pub fn check_text_with(
    redacted_settings: &Value,
    report: &CheckReport,
    width: usize,
    credentials: Option<&crate::credentials::Report>,
    now: std::time::SystemTime,
) -> String {
    let text = check_text(redacted_settings, report, width);
    let Some(c) = credentials else { return text };
    let expires = match c.expiry {
        None => "never (long-term keys)".to_string(),
        Some(at) => {
            let left = at.duration_since(now).map_or(0, |d| d.as_secs());
            format!("{} (in {} min)", crate::credentials::iso8601(at), left / 60)
        }
    };
    let rows = format!(
        "  credentials:    {}\n  access key:     {}\n  expires:        {expires}\n",
        c.source, c.access_key_id
    );
    // After the header's endpoint lines, before the first model.
    match text.find("\n\n") {
        Some(at) => format!("{}\n{rows}{}", &text[..at], &text[at + 1..]),
        None => text + &rows,
    }
}

/// The check as a table for a person, wrapped to `width` columns: one block per model, one
/// line (plus wrapped evidence and fix) per requirement, then the verdict.
pub fn check_text(redacted_settings: &Value, report: &CheckReport, width: usize) -> String {
    let mut text = format!("Bedrock setup check in {} ({})\n", report.region, report.auth);
    text += &format!("  runtime:        {}\n", report.endpoint);
    text += &format!("  control plane:  {}\n", report.control_plane_endpoint);
    let indent = " ".repeat(EVIDENCE_COLUMN);
    let room = width.saturating_sub(EVIDENCE_COLUMN).max(20);
    for m in &report.models {
        text += &format!("\n{} model  {}  ({})\n", kind_label(&m.kind), m.model, m.setting);
        text += &format!("  {:<11}  {:<8}  {}\n", "requirement", "status", "evidence / fix");
        for r in &m.rows {
            let status = match r.status {
                CheckStatus::Failed => "FAILED",
                other => other.name(),
            };
            let mut lines = wrap(&r.evidence, room);
            if let Some(fix) = &r.fix {
                let label = if r.status == CheckStatus::Failed { "fix" } else { "how to find out" };
                lines.extend(wrap(&format!("{label}: {fix}"), room));
            }
            let mut lines = lines.into_iter();
            let first = lines.next().unwrap_or_default();
            text += &format!("  {:<11}  {:<8}  {first}\n", r.requirement, status);
            for line in lines {
                text += &format!("{indent}{line}\n");
            }
        }
    }
    for w in &report.warnings {
        let lines = wrap(&format!("warning: {} ({})", w.message, w.code), width.max(40));
        text += &format!("\n{}\n", lines.join("\n"));
    }
    let count = |status: CheckStatus| {
        report.models.iter().flat_map(|m| &m.rows).filter(|r| r.status == status).count()
    };
    let (failed, unknown) = (count(CheckStatus::Failed), count(CheckStatus::Unknown));
    let failing = report.models.iter().filter(|m| !model_passed(m)).count();
    let total = report.models.len();
    let unknown_note = match unknown {
        0 => String::new(),
        1 => "; 1 row is unknown, which does not fail the check".to_string(),
        n => format!("; {n} rows are unknown, which does not fail the check"),
    };
    let verdict = if failed == 0 {
        format!(
            "Result: passed: no requirement failed for the {total} configured model(s){unknown_note}."
        )
    } else {
        format!(
            "Result: FAILED: {failed} row(s) failed for {failing} of {total} configured model(s){unknown_note}. \
             Apply the fixes above and run check again."
        )
    };
    text += &format!("\n{}\n", wrap(&verdict, width.max(40)).join("\n"));
    if !redacted_settings.is_null() {
        let settings =
            serde_json::to_string_pretty(redacted_settings).unwrap_or_else(|_| "{}".to_string());
        text += &format!("\nsettings (secrets masked):\n{settings}\n");
    }
    text
}

/// `language` -> `language`, `reranking` -> `re-ranking`: the words the settings page uses.
fn kind_label(kind: &str) -> &str {
    match kind {
        "reranking" => "re-ranking",
        other => other,
    }
}

/// Word-wraps `text` onto lines of at most `width` characters (a longer word gets a line of
/// its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if !line.is_empty() && needed > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::*;

    #[test]
    fn utc_seconds_are_rfc_3339() {
        assert_eq!(utc_seconds(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_seconds(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_seconds(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    fn error() -> ProviderError {
        ProviderError {
            kind: ErrorKind::OnDemandUnsupported,
            message: "On-demand throughput isn't supported.".into(),
            cause: Some("The model needs an inference profile.".into()),
            solution: Some("Use `us.anthropic.claude-sonnet-4-5-20250929-v1:0`.".into()),
            status: Some(400),
            code: Some("ValidationException".into()),
            request_id: Some("req-1".into()),
            retryable: false,
            retry_after_ms: None,
            field: Some("languageModel".into()),
        }
    }

    fn metadata() -> ResponseMetadata {
        ResponseMetadata {
            model: "amazon.nova-lite-v1:0".into(),
            request_id: Some("rid".into()),
            latency_ms: Some(12),
        }
    }

    #[test]
    fn error_shapes() {
        assert_eq!(
            error_json(&error()),
            json!({"error": {
                "kind": "on-demand-unsupported",
                "message": "On-demand throughput isn't supported.",
                "cause": "The model needs an inference profile.",
                "solution": "Use `us.anthropic.claude-sonnet-4-5-20250929-v1:0`.",
                "status": 400, "code": "ValidationException", "requestId": "req-1",
                "retryable": false, "retryAfterMs": null, "field": "languageModel",
            }})
        );
        let text = error_text(&error());
        assert!(text.starts_with("error (on-demand-unsupported): On-demand"), "{text}");
        for fact in [
            "cause:",
            "solution:",
            "field:      languageModel",
            "HTTP 400, ValidationException, request id req-1",
        ] {
            assert!(text.contains(fact), "{fact} missing in {text}");
        }
        assert!(!text.contains("retryable"), "{text}");
        let throttled = ProviderError {
            kind: ErrorKind::Throttled,
            retryable: true,
            retry_after_ms: Some(2000),
            ..error()
        };
        assert!(error_text(&throttled).contains("retryable:  yes, after 2000 ms"));
    }

    #[test]
    fn generate_shape() {
        let response = GenerateResponse {
            content: vec![
                ContentPart::Text("Hello".into()),
                ContentPart::ToolCall(ToolCall {
                    id: "t1".into(),
                    name: "get_weather".into(),
                    input_json: r#"{"city":"Paris"}"#.into(),
                }),
            ],
            text: "Hello".into(),
            finish_reason: FinishReason::ToolCalls,
            raw_finish_reason: "tool_use".into(),
            usage: Usage {
                input_tokens: 10,
                output_tokens: 5,
                total_tokens: 15,
                cache_read_tokens: Some(3),
                cache_write_tokens: None,
            },
            warnings: vec![Warning {
                code: "setting-dropped".into(),
                message: "topP ignored".into(),
            }],
            metadata: metadata(),
            trace_json: None,
            additional_fields_json: None,
        };
        assert_eq!(
            generate_json(&response),
            json!({
                "text": "Hello", "finishReason": "tool-calls",
                "usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15, "cacheReadTokens": 3, "cacheWriteTokens": null},
                "model": "amazon.nova-lite-v1:0", "requestId": "rid",
                "warnings": [{"code": "setting-dropped", "message": "topP ignored"}],
                "toolCalls": [{"id": "t1", "name": "get_weather", "input": {"city": "Paris"}}],
                "content": [
                    {"type": "text", "text": "Hello"},
                    {"type": "tool-call", "id": "t1", "name": "get_weather", "input": {"city": "Paris"}},
                ],
            })
        );
        let with_trace = GenerateResponse {
            trace_json: Some(r#"{"guardrail":{}}"#.into()),
            additional_fields_json: Some(r#"{"stop_sequence":null}"#.into()),
            ..response
        };
        let value = generate_json(&with_trace);
        assert_eq!(value["trace"], json!({"guardrail": {}}));
        assert_eq!(value["additionalFields"], json!({"stop_sequence": null}));
    }

    fn answer(content: Vec<ContentPart>) -> GenerateResponse {
        GenerateResponse {
            content,
            text: String::new(),
            finish_reason: FinishReason::Stop,
            raw_finish_reason: "end_turn".into(),
            usage: Usage {
                input_tokens: 1,
                output_tokens: 1,
                total_tokens: 2,
                cache_read_tokens: None,
                cache_write_tokens: None,
            },
            warnings: vec![],
            metadata: metadata(),
            trace_json: None,
            additional_fields_json: None,
        }
    }

    fn weather_call() -> ToolCall {
        ToolCall {
            id: "t1".into(),
            name: "get_weather".into(),
            input_json: r#"{"city":"Paris"}"#.into(),
        }
    }

    #[test]
    fn content_parts_as_json() {
        let reasoning = ContentPart::Reasoning(Reasoning::Text(ReasoningText {
            text: "think".into(),
            signature: Some("sig".into()),
        }));
        let rows = [
            (reasoning, json!({"type": "reasoning", "text": "think", "signature": "sig"})),
            (
                ContentPart::Reasoning(Reasoning::Redacted(vec![1, 2, 3])),
                json!({"type": "reasoning", "redacted": "AQID"}),
            ),
            (
                ContentPart::CitedText(CitedText {
                    text: "cited".into(),
                    citations_json: r#"[{"title":"d"}]"#.into(),
                }),
                json!({"type": "cited-text", "text": "cited", "citations": [{"title": "d"}]}),
            ),
            (
                ContentPart::ToolCall(weather_call()),
                json!({"type": "tool-call", "id": "t1", "name": "get_weather", "input": {"city": "Paris"}}),
            ),
        ];
        for (part, want) in rows {
            assert_eq!(content_part_json(&part), want);
        }
    }

    #[test]
    fn generate_text_sets_reasoning_and_tool_calls_apart() {
        let response = answer(vec![
            ContentPart::Reasoning(Reasoning::Text(ReasoningText {
                text: "The user asks.\nCall the tool.".into(),
                signature: Some("sig".into()),
            })),
            ContentPart::Text("Let me check.".into()),
            ContentPart::ToolCall(weather_call()),
            ContentPart::Reasoning(Reasoning::Redacted(vec![0; 7])),
        ]);
        assert_eq!(
            generate_text(&response),
            "> The user asks.\n> Call the tool.\nLet me check.\ntool call get_weather({\"city\":\"Paris\"})\n> [redacted reasoning, 7 bytes]\n"
        );
        assert_eq!(generate_text(&answer(vec![ContentPart::Text("Hi".into())])), "Hi\n");
        assert_eq!(generate_text(&answer(vec![ContentPart::Text("Hi\n".into())])), "Hi\n");
    }

    #[test]
    fn text_view_lays_out_streamed_pieces() {
        let mut view = TextView::default();
        let mut out = String::new();
        out += &view.reasoning("Thinking ");
        out += &view.reasoning("hard\nabout ");
        out += &view.reasoning("");
        out += &view.reasoning("it");
        out += &view.text("The ");
        out += &view.text("answer");
        out += &view.tool_call(&weather_call());
        out += &view.text("Done.");
        out += &view.finish();
        assert_eq!(
            out,
            "> Thinking hard\n> about it\nThe answer\ntool call get_weather({\"city\":\"Paris\"})\nDone.\n"
        );
        let mut view = TextView::default();
        assert_eq!(view.finish(), "", "nothing printed, nothing to end");
    }

    #[test]
    fn stream_part_shapes() {
        let rows = vec![
            (
                StreamPart::Start(metadata()),
                json!({"type": "start", "model": "amazon.nova-lite-v1:0", "requestId": "rid"}),
            ),
            (
                StreamPart::TextDelta(TextDelta { index: 0, text: "Hi".into() }),
                json!({"type": "text-delta", "text": "Hi"}),
            ),
            (
                StreamPart::ReasoningDelta(ReasoningDelta {
                    index: 0,
                    text: None,
                    signature: Some("sig".into()),
                    redacted: Some(vec![1, 2, 3]),
                }),
                json!({"type": "reasoning-delta", "text": null, "signature": "sig", "redacted": "AQID"}),
            ),
            (
                StreamPart::ToolCallStart(ToolCallStart {
                    index: 1,
                    id: "t1".into(),
                    name: "f".into(),
                }),
                json!({"type": "tool-call-start", "id": "t1", "name": "f"}),
            ),
            (
                StreamPart::ToolCallDelta(ToolCallDelta {
                    index: 1,
                    input_fragment: "{\"a\"".into(),
                }),
                json!({"type": "tool-call-delta", "inputFragment": "{\"a\""}),
            ),
            (
                StreamPart::ToolCallEnd(ToolCall {
                    id: "t1".into(),
                    name: "f".into(),
                    input_json: r#"{"a":1}"#.into(),
                }),
                json!({"type": "tool-call-end", "id": "t1", "name": "f", "input": {"a": 1}}),
            ),
            (
                StreamPart::Finish(Finish {
                    reason: FinishReason::StopSequence,
                    raw: "stop_sequence".into(),
                    additional_fields_json: None,
                }),
                json!({"type": "finish", "finishReason": "stop-sequence", "raw": "stop_sequence"}),
            ),
            (
                StreamPart::Usage(Usage {
                    input_tokens: 1,
                    output_tokens: 2,
                    total_tokens: 3,
                    cache_read_tokens: None,
                    cache_write_tokens: Some(4),
                }),
                json!({"type": "usage", "inputTokens": 1, "outputTokens": 2, "totalTokens": 3, "cacheReadTokens": null, "cacheWriteTokens": 4}),
            ),
            (
                StreamPart::Warning(Warning { code: "c".into(), message: "m".into() }),
                json!({"type": "warning", "code": "c", "message": "m"}),
            ),
            (
                StreamPart::Citation(r#"{"title":"x"}"#.into()),
                json!({"type": "citation", "citation": {"title": "x"}}),
            ),
            (StreamPart::Trace("not json".into()), json!({"type": "trace", "trace": "not json"})),
        ];
        for (part, want) in rows {
            assert_eq!(stream_part_json(&part), want);
        }
    }

    fn ranking() -> RerankResponse {
        RerankResponse {
            results: vec![
                RerankResult {
                    index: 2,
                    relevance_score: 0.98765,
                    document: RerankDocument::Text(
                        "Paris is the capital\nof France, and a long sentence follows here".into(),
                    ),
                },
                RerankResult {
                    index: 0,
                    relevance_score: 0.01,
                    document: RerankDocument::Json(r#"{"title":"Berlin"}"#.into()),
                },
            ],
            metadata: metadata(),
            warnings: vec![],
        }
    }

    #[test]
    fn rerank_shapes() {
        assert_eq!(
            rerank_json(&ranking()),
            json!({
                "results": [
                    {"index": 2, "relevanceScore": 0.98765, "document": "Paris is the capital\nof France, and a long sentence follows here"},
                    {"index": 0, "relevanceScore": 0.01, "document": {"title": "Berlin"}},
                ],
                "model": "amazon.nova-lite-v1:0", "requestId": "rid",
            })
        );
        let table = rerank_table(&ranking(), 50);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "rank  index   score  document");
        assert_eq!(lines[1], "   1      2  0.9877  Paris is the capital of Fr...");
        assert_eq!(lines[2], "   2      0  0.0100  {\"title\":\"Berlin\"}");
        assert!(lines.iter().all(|l| l.chars().count() <= 50), "{table}");
    }

    fn check_report(status: CheckStatus) -> CheckReport {
        let row = |requirement: &str, status: CheckStatus, fix: Option<&str>| CheckRow {
            requirement: requirement.into(),
            status,
            evidence: format!("{requirement} evidence"),
            fix: fix.map(str::to_string),
            request_id: Some("rid".into()),
            latency_ms: (requirement == "live-call").then_some(12),
        };
        CheckReport {
            region: "us-east-1".into(),
            endpoint: "https://bedrock-runtime.us-east-1.amazonaws.com".into(),
            control_plane_endpoint: "https://bedrock.us-east-1.amazonaws.com".into(),
            auth: "SigV4, access key AKID…MPLE, no session token".into(),
            models: vec![ModelCheck {
                kind: "language".into(),
                setting: "languageModel".into(),
                model: "anthropic.claude-sonnet-4-5-20250929-v1:0".into(),
                rows: vec![
                    row(
                        "on-demand",
                        status,
                        Some(
                            "Use the inference profile `us.anthropic.claude-sonnet-4-5-20250929-v1:0` instead: set languageModel to `amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0`.",
                        ),
                    ),
                    row("region", CheckStatus::Passed, None),
                    row(
                        "access",
                        CheckStatus::Unknown,
                        Some("Allow `bedrock:GetFoundationModelAvailability`."),
                    ),
                    row("lifecycle", CheckStatus::Skipped, None),
                    row("live-call", CheckStatus::Passed, None),
                ],
            }],
            warnings: vec![],
        }
    }

    #[test]
    fn check_json_shape() {
        let settings = json!({"region": "us-east-1", "secretAccessKey": "**** (40 chars)"});
        let report = check_report(CheckStatus::Failed);
        let value = check_json(&settings, &report);
        assert_eq!(value["ok"], false);
        assert_eq!(value["settings"], settings);
        let r = &value["report"];
        assert_eq!(r["controlPlaneEndpoint"], "https://bedrock.us-east-1.amazonaws.com");
        assert_eq!(r["models"][0]["ok"], false);
        assert_eq!(
            r["models"][0]["rows"][0],
            json!({
                "requirement": "on-demand", "status": "failed", "evidence": "on-demand evidence",
                "fix": "Use the inference profile `us.anthropic.claude-sonnet-4-5-20250929-v1:0` instead: set languageModel to `amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0`.",
                "requestId": "rid", "latencyMs": null,
            })
        );
        assert_eq!(r["models"][0]["rows"][4]["latencyMs"], 12);
        let keys: Vec<&String> = r.as_object().map(|o| o.keys().collect()).unwrap_or_default();
        assert_eq!(
            keys,
            ["auth", "controlPlaneEndpoint", "endpoint", "models", "region", "warnings"]
        );
        // Unknown and skipped rows do not fail the check.
        assert_eq!(check_json(&settings, &check_report(CheckStatus::Passed))["ok"], true);
    }

    #[test]
    fn check_table_wraps_and_gives_the_verdict() {
        let settings = json!({"region": "us-east-1"});
        let text = check_text(&settings, &check_report(CheckStatus::Failed), 72);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines.contains(
                &"language model  anthropic.claude-sonnet-4-5-20250929-v1:0  (languageModel)"
            ),
            "{text}"
        );
        assert!(
            lines.iter().any(|l| l.starts_with("  on-demand    FAILED    on-demand evidence")),
            "{text}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("                         fix: Use the inference profile")),
            "{text}"
        );
        assert!(
            lines.iter().any(|l| l.starts_with("  access       unknown   access evidence")),
            "{text}"
        );
        assert!(text.contains("how to find out: Allow"), "{text}");
        // Only a word longer than the room for it sticks out.
        let wrapped = lines.iter().filter(|l| l.starts_with(&" ".repeat(EVIDENCE_COLUMN)));
        assert!(wrapped.clone().count() >= 4, "{text}");
        assert!(
            wrapped.clone().all(|l| l.chars().count() <= 72 || !l.trim().contains(' ')),
            "{text}"
        );
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(
                "Result: FAILED: 1 row(s) failed for 1 of 1 configured model(s); 1 row is unknown"
            ),
            "{text}"
        );
        let text = check_text(&Value::Null, &check_report(CheckStatus::Passed), 100);
        assert!(text.contains("Result: passed"), "{text}");
        assert!(!text.contains("settings (secrets masked)"));
        assert!(!text.contains("credentials:"), "{text}");
    }

    #[test]
    fn check_shows_the_resolved_credentials() {
        let settings = json!({"region": "us-east-1"});
        let report = check_report(CheckStatus::Passed);
        let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_752_524_059);
        let resolved = crate::credentials::Report {
            source: "profile dev (SSO)".into(),
            access_key_id: "ASIA...WXYZ".into(),
            expiry: Some(now + std::time::Duration::from_secs(3600)),
        };
        let text = check_text_with(&settings, &report, 100, Some(&resolved), now);
        let lines: Vec<&str> = text.lines().collect();
        let at = |needle: &str| lines.iter().position(|l| l.starts_with(needle));
        for fact in [
            "  credentials:    profile dev (SSO)",
            "  access key:     ASIA...WXYZ",
            "  expires:        2025-07-14T21:14:19Z (in 60 min)",
        ] {
            assert!(at(fact).is_some(), "{fact} missing in {text}");
        }
        // Under the endpoints, before the first model's block.
        assert!(at("  control plane:") < at("  credentials:"), "{text}");
        assert!(at("  expires:") < at("language model"), "{text}");
        let value = check_json_with(&settings, &report, Some(&resolved));
        assert_eq!(
            value["credentials"],
            json!({"source": "profile dev (SSO)", "accessKeyId": "ASIA...WXYZ",
                   "expires": "2025-07-14T21:14:19Z"})
        );
        let long_term = crate::credentials::Report { expiry: None, ..resolved };
        let text = check_text_with(&settings, &report, 100, Some(&long_term), now);
        assert!(text.contains("  expires:        never (long-term keys)"), "{text}");
        assert_eq!(
            check_text_with(&settings, &report, 100, None, now),
            check_text(&settings, &report, 100)
        );
    }

    #[test]
    fn wrapping_keeps_words_whole() {
        assert_eq!(wrap("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("", 6), [""]);
        assert_eq!(wrap("averyveryverylongword x", 6), ["averyveryverylongword", "x"]);
    }
}

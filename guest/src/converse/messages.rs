//! Conversation messages -> Converse `system` blocks and alternating `messages` turns.
//!
//! Field names in errors use the caller's indices (`messages[2].content[0]`), not the indices
//! of the merged Bedrock turns, so the caller can find the part at fault.

use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::checks::{document_name_problem, is_tool_name, is_tool_use_id};
use crate::api::{
    CachePoint, ContentPart, Document, Image, MediaSource, Message, Reasoning, Role, ToolCall,
    ToolResult, ToolResultContent,
};
use crate::error::{ProviderError, Result};

const IMAGE_FORMATS: &[&str] = &["png", "jpeg", "gif", "webp"];
const DOCUMENT_FORMATS: &[&str] =
    &["pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md"];

/// Bedrock's own words, so callers who search for them find the explanation.
const USER_REASONING: &str = "User messages cannot contain reasoning content. Please remove the reasoning content and try again.";

/// The converted conversation.
pub(super) struct Conversation {
    /// Top-level `system` blocks.
    pub system: Vec<Value>,
    /// Alternating `user`/`assistant` turns, starting with `user`.
    pub messages: Vec<Value>,
    /// Where each cache point sits, in order, for the limit check.
    pub cache_point_fields: Vec<String>,
    /// Whether any turn holds a tool call or tool result (Bedrock then needs `toolConfig`).
    pub has_tool_blocks: bool,
}

/// One Bedrock turn being assembled from adjacent caller messages of the same Bedrock role.
struct Turn {
    role: &'static str,
    blocks: Vec<Value>,
    tool_use_ids: HashSet<String>,
    has_text: bool,
    /// The first document's field, to name when the turn lacks the text Bedrock requires.
    document_field: Option<String>,
}

impl Turn {
    fn new(role: &'static str) -> Self {
        Self {
            role,
            blocks: Vec::new(),
            tool_use_ids: HashSet::new(),
            has_text: false,
            document_field: None,
        }
    }
}

/// Converts the caller's messages.
pub(super) fn convert(messages: &[Message]) -> Result<Conversation> {
    if messages.is_empty() {
        return Err(ProviderError::request("messages", "The request has no messages.")
            .with_solution("Send at least one user message."));
    }
    let mut conv = Conversation {
        system: Vec::new(),
        messages: Vec::new(),
        cache_point_fields: Vec::new(),
        has_tool_blocks: false,
    };
    let mut turns: Vec<Turn> = Vec::new();
    // Tool-use IDs of every assistant tool call so far: results must answer one of them.
    let mut called: HashSet<String> = HashSet::new();

    for (i, message) in messages.iter().enumerate() {
        if message.content.is_empty() {
            return Err(ProviderError::request(
                format!("messages[{i}].content"),
                format!("Message {i} has no content."),
            )
            .with_solution("Add at least one content part or remove the message."));
        }
        if message.role == Role::System {
            system_blocks(&mut conv, i, &message.content)?;
            continue;
        }
        let role = if message.role == Role::Assistant { "assistant" } else { "user" };
        if turns.last().map(|t| t.role) != Some(role) {
            turns.push(Turn::new(role));
        }
        let Some(turn) = turns.last_mut() else {
            continue; // Unreachable: a turn was just pushed.
        };
        for (j, part) in message.content.iter().enumerate() {
            let field = format!("messages[{i}].content[{j}]");
            let block = content_block(part, message.role, &field, turn, &mut called, &mut conv)?;
            turn.blocks.push(block);
        }
    }

    match turns.first() {
        None => {
            return Err(ProviderError::request(
                "messages",
                "The request has only system messages; Bedrock needs at least one user message.",
            )
            .with_solution("Add a user message after the system prompt."));
        }
        Some(first) if first.role != "user" => {
            return Err(ProviderError::request(
                "messages[0]",
                "A conversation must start with a user message (system messages aside).",
            )
            .with_cause("Bedrock requires the first turn to be a user turn.")
            .with_solution("Put a user message before the first assistant message."));
        }
        Some(_) => {}
    }
    for turn in turns {
        if let (Some(field), false) = (&turn.document_field, turn.has_text) {
            return Err(ProviderError::request(
                field.clone(),
                "A user turn with a document must also contain a text part.",
            )
            .with_cause("Bedrock refuses documents without an accompanying text block.")
            .with_solution("Add a text part (for example the question about the document)."));
        }
        conv.messages.push(json!({"role": turn.role, "content": turn.blocks}));
    }
    Ok(conv)
}

fn system_blocks(conv: &mut Conversation, i: usize, parts: &[ContentPart]) -> Result<()> {
    for (j, part) in parts.iter().enumerate() {
        let field = format!("messages[{i}].content[{j}]");
        let block = match part {
            ContentPart::Text(text) => text_block(text, &field)?,
            ContentPart::CachePoint(cp) => {
                if conv.system.is_empty() {
                    return Err(nothing_to_cache(&field));
                }
                conv.cache_point_fields.push(field.clone());
                cache_point_block(cp, &field)?
            }
            _ => {
                return Err(ProviderError::request(
                    field,
                    "System messages may only contain text and cache points.",
                )
                .with_solution("Move images, documents, tool parts and reasoning to user or assistant messages."));
            }
        };
        conv.system.push(block);
    }
    Ok(())
}

fn content_block(
    part: &ContentPart,
    role: Role,
    field: &str,
    turn: &mut Turn,
    called: &mut HashSet<String>,
    conv: &mut Conversation,
) -> Result<Value> {
    let user = role != Role::Assistant;
    match part {
        ContentPart::Text(text) => {
            turn.has_text = true;
            text_block(text, field)
        }
        ContentPart::Image(image) => {
            if !user {
                return Err(user_only(field, "Images"));
            }
            image_block(image, field)
        }
        ContentPart::Document(doc) => {
            if !user {
                return Err(user_only(field, "Documents"));
            }
            if turn.document_field.is_none() {
                turn.document_field = Some(field.to_string());
            }
            document_block(doc, field)
        }
        ContentPart::ToolCall(call) => {
            if user {
                return Err(ProviderError::request(
                    field,
                    "Tool calls may only appear in assistant messages.",
                )
                .with_solution("Send the model's tool calls in an assistant message and their results in a tool message."));
            }
            conv.has_tool_blocks = true;
            let block = tool_use_block(call, field)?;
            if !turn.tool_use_ids.insert(call.id.clone()) {
                return Err(ProviderError::request(
                    field,
                    format!(
                        "The tool-use ID `{}` appears twice in the same assistant turn.",
                        call.id
                    ),
                )
                .with_solution("Give every tool call in a turn its own ID."));
            }
            called.insert(call.id.clone());
            Ok(block)
        }
        ContentPart::ToolResult(result) => {
            if !user {
                return Err(ProviderError::request(
                    field,
                    "Tool results may only appear in tool or user messages.",
                )
                .with_solution(
                    "Send tool results in a tool message after the assistant's tool calls.",
                ));
            }
            conv.has_tool_blocks = true;
            if !called.contains(&result.id) {
                return Err(ProviderError::request(
                    field,
                    format!("The tool result `{}` does not answer any earlier tool call.", result.id),
                )
                .with_cause("Bedrock needs every toolResult to carry the toolUseId of a preceding toolUse.")
                .with_solution("Use the ID of the assistant's tool call, and keep that assistant message in the history."));
            }
            tool_result_block(result, field)
        }
        ContentPart::Reasoning(reasoning) => {
            if user {
                return Err(ProviderError::request(field, USER_REASONING).with_solution(
                    "Send reasoning back only in the assistant message that produced it.",
                ));
            }
            Ok(reasoning_block(reasoning))
        }
        ContentPart::CitedText(cited) => {
            turn.has_text = true;
            text_block(&cited.text, field)
        }
        ContentPart::CachePoint(cp) => {
            if turn.blocks.is_empty() {
                return Err(nothing_to_cache(field));
            }
            conv.cache_point_fields.push(field.to_string());
            cache_point_block(cp, field)
        }
    }
}

fn text_block(text: &str, field: &str) -> Result<Value> {
    if text.trim().is_empty() {
        return Err(ProviderError::request(
            field,
            "Text parts must not be empty or only whitespace.",
        )
        .with_cause("Bedrock refuses blank text blocks.")
        .with_solution("Remove the empty part or give it content."));
    }
    Ok(json!({"text": text}))
}

fn user_only(field: &str, what: &str) -> ProviderError {
    ProviderError::request(field, format!("{what} may only appear in user messages."))
        .with_cause("Bedrock accepts images and documents only in user turns.")
        .with_solution(format!("Move the {} to a user message.", what.to_lowercase()))
}

fn nothing_to_cache(field: &str) -> ProviderError {
    ProviderError::request(field, "A cache point must follow the content it caches.")
        .with_cause("Bedrock refuses a cache point with nothing before it (\"There is nothing available to cache\").")
        .with_solution("Put the cache point after the text or parts to be cached.")
}

fn media_source(source: &MediaSource, field: &str) -> Result<Value> {
    match source {
        MediaSource::Bytes(bytes) => {
            if bytes.is_empty() {
                return Err(ProviderError::request(field, "The media part has no bytes.")
                    .with_solution("Attach the file's content or an S3 location."));
            }
            Ok(json!({"bytes": STANDARD.encode(bytes)}))
        }
        MediaSource::S3(loc) => {
            if !loc.uri.starts_with("s3://") || loc.uri.len() <= "s3://".len() {
                return Err(ProviderError::request(
                    field,
                    format!("The S3 location `{}` is not an s3:// URI.", loc.uri),
                )
                .with_solution("Use the form s3://bucket/key."));
            }
            let mut s3 = Map::new();
            s3.insert("uri".into(), Value::String(loc.uri.clone()));
            if let Some(owner) = &loc.bucket_owner {
                if owner.len() != 12 || !owner.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(ProviderError::request(
                        field,
                        "The S3 bucket owner must be a 12-digit AWS account ID.",
                    ));
                }
                s3.insert("bucketOwner".into(), Value::String(owner.clone()));
            }
            Ok(json!({"s3Location": s3}))
        }
    }
}

fn image_block(image: &Image, field: &str) -> Result<Value> {
    if !IMAGE_FORMATS.contains(&image.format.as_str()) {
        return Err(ProviderError::request(
            field,
            format!("The image format `{}` is not supported.", image.format),
        )
        .with_solution("Use png, jpeg, gif or webp."));
    }
    Ok(json!({"image": {"format": image.format, "source": media_source(&image.source, field)?}}))
}

fn document_block(doc: &Document, field: &str) -> Result<Value> {
    if !DOCUMENT_FORMATS.contains(&doc.format.as_str()) {
        return Err(ProviderError::request(
            field,
            format!("The document format `{}` is not supported.", doc.format),
        )
        .with_solution("Use pdf, csv, doc, docx, xls, xlsx, html, txt or md."));
    }
    if let Some(problem) = document_name_problem(&doc.name) {
        return Err(ProviderError::request(
            format!("{field}.name"),
            format!("The document name `{}` {problem}.", doc.name),
        )
        .with_cause("Bedrock allows 1 to 200 letters, digits, single whitespace characters, hyphens, parentheses and square brackets.")
        .with_solution("Rename the document, e.g. drop the file extension and dots."));
    }
    let mut block = Map::new();
    block.insert("format".into(), Value::String(doc.format.clone()));
    block.insert("name".into(), Value::String(doc.name.clone()));
    block.insert("source".into(), media_source(&doc.source, field)?);
    if doc.citations {
        block.insert("citations".into(), json!({"enabled": true}));
    }
    Ok(json!({"document": block}))
}

fn tool_use_block(call: &ToolCall, field: &str) -> Result<Value> {
    if !is_tool_use_id(&call.id) {
        return Err(bad_tool_use_id(&call.id, field));
    }
    if !is_tool_name(&call.name) {
        return Err(ProviderError::request(
            field,
            format!("The tool name `{}` is not valid.", call.name),
        )
        .with_solution("Tool names are 1 to 64 letters, digits, underscores or hyphens."));
    }
    let input = if call.input_json.trim().is_empty() {
        Value::Object(Map::new()) // A call without arguments streams an empty input.
    } else {
        json_object(&call.input_json).ok_or_else(|| {
            ProviderError::request(field, "The tool call's input is not a JSON object.")
                .with_solution(
                    "Send the arguments as a JSON object text, e.g. {\"city\":\"Paris\"}.",
                )
        })?
    };
    Ok(json!({"toolUse": {"toolUseId": call.id, "name": call.name, "input": input}}))
}

fn tool_result_block(result: &ToolResult, field: &str) -> Result<Value> {
    if !is_tool_use_id(&result.id) {
        return Err(bad_tool_use_id(&result.id, field));
    }
    let mut content = Vec::with_capacity(result.content.len());
    for (k, part) in result.content.iter().enumerate() {
        content.push(match part {
            ToolResultContent::Text(text) => json!({"text": text}),
            ToolResultContent::Json(text) => {
                let value = json_object(text).ok_or_else(|| {
                    ProviderError::request(
                        format!("{field}.content[{k}]"),
                        "A JSON tool-result part is not a JSON object.",
                    )
                    .with_solution("Wrap the value in an object, or send it as a text part.")
                })?;
                json!({"json": value})
            }
        });
    }
    let status = if result.is_error { "error" } else { "success" };
    Ok(json!({"toolResult": {"toolUseId": result.id, "content": content, "status": status}}))
}

fn reasoning_block(reasoning: &Reasoning) -> Value {
    match reasoning {
        Reasoning::Text(r) => {
            let mut text = Map::new();
            text.insert("text".into(), Value::String(r.text.clone()));
            if let Some(sig) = &r.signature {
                text.insert("signature".into(), Value::String(sig.clone()));
            }
            json!({"reasoningContent": {"reasoningText": text}})
        }
        Reasoning::Redacted(bytes) => {
            json!({"reasoningContent": {"redactedContent": STANDARD.encode(bytes)}})
        }
    }
}

/// A cache-point block; also used for system and tool cache points.
pub(super) fn cache_point_block(cp: &CachePoint, field: &str) -> Result<Value> {
    let mut block = Map::new();
    block.insert("type".into(), Value::String("default".into()));
    if let Some(ttl) = &cp.ttl {
        if ttl != "5m" && ttl != "1h" {
            return Err(ProviderError::request(
                format!("{field}.ttl"),
                format!("The cache TTL `{ttl}` is not supported."),
            )
            .with_solution("Use 5m or 1h, or leave the TTL out for the default."));
        }
        block.insert("ttl".into(), Value::String(ttl.clone()));
    }
    Ok(json!({"cachePoint": block}))
}

fn bad_tool_use_id(id: &str, field: &str) -> ProviderError {
    ProviderError::request(field, format!("The tool-use ID `{id}` is not valid.")).with_solution(
        "Tool-use IDs are 1 to 64 letters, digits, underscores, dots, colons or hyphens.",
    )
}

/// Parses text that must hold a JSON object.
pub(super) fn json_object(text: &str) -> Option<Value> {
    serde_json::from_str::<Value>(text).ok().filter(Value::is_object)
}

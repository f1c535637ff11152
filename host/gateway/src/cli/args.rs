//! The subcommands' options and the parsers of their values.

use std::net::SocketAddr;
use std::path::Path;

use clap::Args;
use serde_json::Value;

use crate::serve;
use crate::types::*;

use super::attachments::{Attachment, parse_attachment};

/// `check` options.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `chat` options.
#[derive(Debug, Args)]
pub struct ChatArgs {
    /// `amazon-bedrock|<model-id>` or a model ID; default: the settings' `languageModel`.
    #[arg(long, value_name = "SPEC")]
    pub model: Option<String>,
    /// A system prompt.
    #[arg(long, value_name = "TEXT")]
    pub system: Option<String>,
    /// The most tokens to generate.
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u32>,
    /// Sampling temperature, 0 to 1.
    #[arg(long, value_name = "X")]
    pub temperature: Option<f32>,
    /// Nucleus sampling, 0 to 1.
    #[arg(long, value_name = "X")]
    pub top_p: Option<f32>,
    /// Stop generating at this sequence (repeatable).
    #[arg(long = "stop", value_name = "SEQ")]
    pub stop: Vec<String>,
    /// Print JSON (with --stream: one object per line per part).
    #[arg(long)]
    pub json: bool,
    /// Print the answer as it arrives.
    #[arg(long)]
    pub stream: bool,
    /// Attach a file to the prompt (repeatable). By extension: png, jpg, jpeg, gif, webp are
    /// images; pdf, csv, doc, docx, xls, xlsx, html, txt, md are documents.
    #[arg(long = "file", value_name = "PATH", value_parser = parse_attachment)]
    pub files: Vec<Attachment>,
    /// Turn on extended reasoning with this many tokens of budget (Claude: at least 1024).
    #[arg(long, value_name = "N")]
    pub reasoning_budget: Option<u32>,
    /// How hard the model should think: minimal, low, medium, high, xhigh or max.
    #[arg(long, value_name = "LEVEL", value_parser = parse_effort)]
    pub reasoning_effort: Option<Effort>,
    /// Answer with JSON that conforms to the JSON Schema in FILE (named after the file).
    #[arg(long, value_name = "FILE", value_parser = parse_schema_file)]
    pub json_schema: Option<JsonSchemaFormat>,
    /// Print how many input tokens the request would use instead of sending it.
    #[arg(long, conflicts_with = "stream")]
    pub count_tokens: bool,
    /// Bedrock extras as a JSON object: additionalModelRequestFields,
    /// additionalModelResponseFieldPaths, performanceConfig, serviceTier, requestMetadata.
    #[arg(long, value_name = "JSON", value_parser = parse_json_object)]
    pub provider_options: Option<String>,
    /// Tools the model may call: a JSON file holding an array of
    /// {"name", "description", "inputSchema"} objects.
    #[arg(long, value_name = "FILE", value_parser = parse_tools_file)]
    pub tools: Option<Tools>,
    /// How the model must use the tools: auto, required, none, or a tool's name.
    #[arg(long, value_name = "CHOICE", requires = "tools", value_parser = parse_tool_choice)]
    pub tool_choice: Option<ToolChoice>,
    /// Apply a Bedrock guardrail: its ID (or ARN) and version, e.g. `abc123def456:1` or
    /// `abc123def456:DRAFT`.
    #[arg(long, value_name = "ID:VERSION", value_parser = parse_guardrail)]
    pub guardrail: Option<Guardrail>,
    /// Whether the answer carries the guardrail's trace.
    #[arg(
        long,
        value_name = "MODE",
        requires = "guardrail",
        value_parser = ["enabled", "disabled", "enabled_full"]
    )]
    pub guardrail_trace: Option<String>,
    /// Put a prompt-cache checkpoint after the system prompt.
    #[arg(long, requires = "system")]
    pub cache_system: bool,
    /// The user message.
    pub prompt: String,
}

pub(super) fn parse_json_object(text: &str) -> Result<String, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(_)) => Ok(text.to_string()),
        Ok(_) => {
            Err("must be a JSON object, e.g. '{\"serviceTier\":{\"type\":\"priority\"}}'".into())
        }
        Err(e) => Err(format!("not valid JSON: {e}")),
    }
}

/// The tools of `--tools`.
#[derive(Debug, Clone)]
pub struct Tools(pub Vec<ToolDefinition>);

pub(super) fn parse_tools_file(path: &str) -> Result<Tools, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let shape = "expected a JSON array of {\"name\", \"description\", \"inputSchema\"} objects";
    let items = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Array(items)) if !items.is_empty() => items,
        Ok(_) => return Err(format!("{path}: {shape}")),
        Err(e) => return Err(format!("{path} is not valid JSON: {e}")),
    };
    let mut tools = Vec::with_capacity(items.len());
    for (k, item) in items.iter().enumerate() {
        let Value::Object(map) = item else {
            return Err(format!("{path}: tool {k} is not an object; {shape}"));
        };
        if let Some(key) =
            map.keys().find(|k| !matches!(k.as_str(), "name" | "description" | "inputSchema"))
        {
            return Err(format!("{path}: tool {k} has an unknown member `{key}`; {shape}"));
        }
        let Some(name) = map.get("name").and_then(Value::as_str) else {
            return Err(format!("{path}: tool {k} has no \"name\" string"));
        };
        let description = match map.get("description") {
            None => None,
            Some(Value::String(d)) => Some(d.clone()),
            Some(_) => return Err(format!("{path}: the description of `{name}` is not a string")),
        };
        let Some(schema @ Value::Object(_)) = map.get("inputSchema") else {
            return Err(format!(
                "{path}: tool `{name}` needs an \"inputSchema\" object (a JSON Schema with \"type\": \"object\")"
            ));
        };
        tools.push(ToolDefinition {
            name: name.to_string(),
            description,
            input_schema_json: schema.to_string(),
            cache_point: None,
        });
    }
    Ok(Tools(tools))
}

pub(super) fn parse_tool_choice(text: &str) -> Result<ToolChoice, String> {
    Ok(match text {
        "" => return Err("use auto, required, none, or a tool's name".into()),
        "auto" => ToolChoice::Auto,
        "required" | "any" => ToolChoice::Required,
        "none" => ToolChoice::None,
        name => ToolChoice::Tool(name.to_string()),
    })
}

pub(super) fn parse_guardrail(text: &str) -> Result<Guardrail, String> {
    // The version is last: an ARN identifier holds colons of its own.
    match text.rsplit_once(':') {
        Some((identifier, version)) if !identifier.is_empty() && !version.is_empty() => {
            Ok(Guardrail { identifier: identifier.into(), version: version.into(), trace: None })
        }
        _ => Err("expected ID:VERSION, e.g. abc123def456:1 or abc123def456:DRAFT".into()),
    }
}

pub(super) fn parse_effort(text: &str) -> Result<Effort, String> {
    Ok(match text {
        "minimal" => Effort::Minimal,
        "low" => Effort::Low,
        "medium" => Effort::Medium,
        "high" => Effort::High,
        "xhigh" => Effort::Xhigh,
        "max" => Effort::Max,
        _ => return Err("use minimal, low, medium, high, xhigh or max".into()),
    })
}

/// A JSON Schema file: the schema is the whole file, its name the file's stem made a valid
/// format name (letters, digits, `_` and `-`).
pub(super) fn parse_schema_file(path: &str) -> Result<JsonSchemaFormat, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let schema = match serde_json::from_str::<Value>(&text) {
        Ok(schema @ Value::Object(_)) => schema,
        Ok(_) => return Err(format!("{path}: a JSON Schema is a JSON object")),
        Err(e) => return Err(format!("{path} is not valid JSON: {e}")),
    };
    let stem = Path::new(path).file_stem().map(|s| s.to_string_lossy().into_owned());
    let name: String = stem
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
        .take(64)
        .collect();
    Ok(JsonSchemaFormat {
        name: if name.is_empty() { "answer".into() } else { name },
        description: schema.get("description").and_then(Value::as_str).map(str::to_string),
        schema_json: schema.to_string(),
        strict: true,
    })
}

/// `embed` options.
#[derive(Debug, Args)]
pub struct EmbedArgs {
    /// `amazon-bedrock|<model-id>` or a model ID; default: the settings' `embeddingModel`.
    #[arg(long, value_name = "SPEC")]
    pub model: Option<String>,
    /// The vector length, where the model offers a choice.
    #[arg(long, value_name = "N")]
    pub dimensions: Option<u32>,
    /// What the vectors are for: search-document, search-query, classification or clustering.
    #[arg(long, value_name = "TYPE", value_parser = parse_input_type)]
    pub input_type: Option<EmbedInputType>,
    /// Print JSON (every vector in full).
    #[arg(long)]
    pub json: bool,
    /// The texts to embed.
    #[arg(value_name = "TEXT", required = true)]
    pub texts: Vec<String>,
}

pub(super) fn parse_input_type(text: &str) -> Result<EmbedInputType, String> {
    Ok(match text {
        "search-document" => EmbedInputType::SearchDocument,
        "search-query" => EmbedInputType::SearchQuery,
        "classification" => EmbedInputType::Classification,
        "clustering" => EmbedInputType::Clustering,
        _ => return Err("use search-document, search-query, classification or clustering".into()),
    })
}

/// `rerank` options.
#[derive(Debug, Args)]
pub struct RerankArgs {
    /// `amazon-bedrock|<model-id>` or a model ID; default: the settings' `rerankingModel`.
    #[arg(long, value_name = "SPEC")]
    pub model: Option<String>,
    /// How many results to return (default: all).
    #[arg(long, value_name = "N")]
    pub top_n: Option<u32>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// What to rank the documents against.
    #[arg(long, value_name = "Q")]
    pub query: String,
    /// The documents to rank.
    #[arg(value_name = "DOC", required = true)]
    pub documents: Vec<String>,
}

/// `serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Anything but loopback needs a client API key.
    #[arg(long, value_name = "ADDR", default_value = serve::DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// A key clients must send as `Authorization: Bearer <key>`; repeat to accept several
    /// (default: BEDROCK_GATEWAY_API_KEY; none means no authentication, loopback only).
    #[arg(long = "api-key", value_name = "KEY")]
    pub api_keys: Vec<String>,
    /// Model calls (chat, messages, embeddings, re-rank, token counts) served at once; more
    /// get 503.
    #[arg(long, value_name = "N", default_value_t = serve::DEFAULT_MAX_CONCURRENCY,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=10_000))]
    pub max_concurrency: usize,
    /// The largest request body accepted; larger ones get 413.
    #[arg(long, value_name = "BYTES", default_value_t = serve::DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// Deadline for one model call, streams included (settings' `timeouts.totalMs` may shorten it).
    #[arg(long, value_name = "SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub request_timeout: u64,
    /// Client connections open at once (default 4096); lowered to fit the open-file limit.
    /// At the limit the connection idle the longest is closed for each new one.
    #[arg(long, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    pub max_connections: Option<usize>,
    /// How long a request body may take to arrive after its head (408 beyond).
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub body_timeout: u64,
    /// How long a connection may stay idle (no request in progress) before it is closed.
    #[arg(long, value_name = "SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub idle_timeout: u64,
    /// A browser origin allowed to call the gateway (CORS), e.g. `https://app.example.com`,
    /// or `*` for any; repeat for several. Default: none (CORS off).
    #[arg(long = "cors-origin", value_name = "ORIGIN", value_parser = serve::cors::parse_origin)]
    pub cors_origins: Vec<String>,
    /// Calls one sandbox instance may serve for byte-identical settings (the same tenant and
    /// credentials); 1 gives every call a fresh instance. An instance is discarded after any
    /// error, trap or limit hit.
    #[arg(long, value_name = "N", default_value_t = serve::DEFAULT_REUSE_CALLS,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub reuse_instances: u32,
    /// How long a sandbox instance may sit idle and still be reused.
    #[arg(long, value_name = "SECS", default_value_t = serve::DEFAULT_REUSE_IDLE_SECS,
          value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub reuse_idle_timeout: u64,
    /// Threads serving connections, each with its own listener (SO_REUSEPORT) and
    /// single-threaded runtime; 0 means one per CPU.
    #[arg(long, value_name = "N", default_value_t = 0,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=1024))]
    pub threads: usize,
}

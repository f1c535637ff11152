//! The `bedrock-gateway` command line: check a configuration, chat (structured answers, token
//! counts), re-rank, embed, print the settings schema.
//!
//! Exit codes: 0 success, 1 a provider (or host) error, 2 invalid settings or usage.
//! With `--json`, results and errors go to stdout as JSON; otherwise errors go to stderr.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{ArgAction, Args, Parser, Subcommand};
use serde_json::Value;

use crate::output;
use crate::types::{
    CachePoint, ContentPart, Document, Effort, EmbedInput, EmbedInputType, EmbedRequest, ErrorKind,
    GenerateRequest, Guardrail, Image, InferenceSettings, JsonSchemaFormat, MediaSource, Message,
    ProviderError, RerankDocument, RerankRequest, ResponseFormat, Role, StreamPart, ToolChoice,
    ToolDefinition,
};
use crate::{Host, HostConfig, credentials, serve, settings};

/// Runs the Amazon Bedrock provider component in a sandbox.
#[derive(Debug, Parser)]
#[command(name = "bedrock-gateway", version)]
pub struct Cli {
    /// Provider settings (JSON). Missing fields come from AWS_REGION, AWS_ACCESS_KEY_ID, ...;
    /// without any credentials, from the AWS standard chain (AWS_PROFILE, SSO, roles).
    #[arg(long, global = true, value_name = "FILE")]
    pub settings: Option<PathBuf>,
    /// Run this component instead of the bundled one.
    #[arg(long, global = true, value_name = "PATH")]
    pub component: Option<PathBuf>,
    /// Where to cache the compiled component (default: ~/.cache/bedrock-gateway).
    #[arg(long, global = true, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Log to stderr (-v: this program's debug log; RUST_LOG overrides).
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
// Parsed once per process: `chat`'s many options (attachments included) cost nothing to hold.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Test the configuration with a minimal request and show what was resolved.
    Check(CheckArgs),
    /// Send a prompt and print the answer.
    Chat(ChatArgs),
    /// Rank documents by relevance to a query.
    Rerank(RerankArgs),
    /// Turn texts into embedding vectors.
    Embed(EmbedArgs),
    /// Print the settings JSON Schema.
    Schema,
    /// Run the whole product against a local Bedrock emulator (no AWS account needed).
    Demo,
    /// Run an OpenAI-compatible HTTP gateway (SIGHUP reloads the settings, SIGTERM drains).
    Serve(ServeArgs),
}

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

/// Image extensions and the Bedrock format each maps to.
const IMAGE_EXTENSIONS: &[(&str, &str)] =
    &[("png", "png"), ("jpg", "jpeg"), ("jpeg", "jpeg"), ("gif", "gif"), ("webp", "webp")];
/// Document extensions (each is its own Bedrock format).
const DOCUMENT_EXTENSIONS: &[&str] =
    &["pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md"];
/// Bedrock's longest document name.
const MAX_DOCUMENT_NAME: usize = 200;

/// A file given with `--file`: read when the command line is parsed, typed by its extension.
#[derive(Clone)]
pub struct Attachment {
    /// The path as given.
    pub path: PathBuf,
    /// `image` or `document` and its Bedrock format.
    pub kind: AttachmentKind,
    /// The file's content.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Attachment {
    // The content can be megabytes: show its size only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("path", &self.path)
            .field("kind", &self.kind)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// What an attached file is sent as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachmentKind {
    /// An image in this format (`png`, `jpeg`, `gif`, `webp`).
    Image(String),
    /// A document in this format, under a name that follows Bedrock's document-name rules.
    Document {
        /// `pdf`, `csv`, ...
        format: String,
        /// Derived from the file name.
        name: String,
    },
}

fn parse_attachment(path: &str) -> Result<Attachment, String> {
    let path = PathBuf::from(path);
    let extension = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase());
    let kind = match extension.as_deref() {
        None => return Err(format!("`{}` has no file extension; {}", path.display(), KNOWN_FILES)),
        Some(ext) => {
            if let Some((_, format)) = IMAGE_EXTENSIONS.iter().find(|(e, _)| *e == ext) {
                AttachmentKind::Image((*format).to_string())
            } else if DOCUMENT_EXTENSIONS.contains(&ext) {
                AttachmentKind::Document { format: ext.to_string(), name: document_name(&path) }
            } else {
                return Err(format!("unsupported file type `.{ext}`; {KNOWN_FILES}"));
            }
        }
    };
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.is_empty() {
        return Err(format!("{} is empty", path.display()));
    }
    Ok(Attachment { path, kind, bytes })
}

const KNOWN_FILES: &str = "use png, jpg, jpeg, gif or webp for images, or pdf, csv, doc, docx, \
xls, xlsx, html, txt or md for documents";

/// The file name without its extension, made a valid Bedrock document name: ASCII letters,
/// digits, hyphens, parentheses and square brackets kept, anything else a single space.
fn document_name(path: &Path) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let mapped: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '(' | ')' | '[' | ']') {
                c
            } else {
                ' '
            }
        })
        .collect();
    let name = mapped.split_whitespace().collect::<Vec<_>>().join(" ");
    let name: String = name.chars().take(MAX_DOCUMENT_NAME).collect();
    match name.trim_end() {
        "" => "document".to_string(),
        name => name.to_string(),
    }
}

/// Bedrock refuses two documents of the same name in a request: number the repeats.
fn unique_name(name: &str, used: &mut Vec<String>) -> String {
    let mut candidate = name.to_string();
    let mut n = 2;
    while used.contains(&candidate) {
        let suffix = format!(" ({n})");
        let base: String = name.chars().take(MAX_DOCUMENT_NAME - suffix.len()).collect();
        candidate = format!("{}{suffix}", base.trim_end());
        n += 1;
    }
    used.push(candidate.clone());
    candidate
}

fn parse_json_object(text: &str) -> Result<String, String> {
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

fn parse_tools_file(path: &str) -> Result<Tools, String> {
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

fn parse_tool_choice(text: &str) -> Result<ToolChoice, String> {
    Ok(match text {
        "" => return Err("use auto, required, none, or a tool's name".into()),
        "auto" => ToolChoice::Auto,
        "required" | "any" => ToolChoice::Required,
        "none" => ToolChoice::None,
        name => ToolChoice::Tool(name.to_string()),
    })
}

fn parse_guardrail(text: &str) -> Result<Guardrail, String> {
    // The version is last: an ARN identifier holds colons of its own.
    match text.rsplit_once(':') {
        Some((identifier, version)) if !identifier.is_empty() && !version.is_empty() => {
            Ok(Guardrail { identifier: identifier.into(), version: version.into(), trace: None })
        }
        _ => Err("expected ID:VERSION, e.g. abc123def456:1 or abc123def456:DRAFT".into()),
    }
}

fn parse_effort(text: &str) -> Result<Effort, String> {
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
fn parse_schema_file(path: &str) -> Result<JsonSchemaFormat, String> {
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

fn parse_input_type(text: &str) -> Result<EmbedInputType, String> {
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
    /// Model calls (chat, re-rank) served at once; more get 503.
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
}

/// Exit status for a failed provider call.
const EXIT_PROVIDER: u8 = 1;
/// Exit status for invalid settings or usage.
const EXIT_USAGE: u8 = 2;

/// Sets up logging to stderr: `RUST_LOG` if set, else `warn` plus the gateway's request log
/// (`-v`: this crate at debug, `-vv`: everything at debug).
pub fn init_tracing(verbose: u8) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(filter) if !filter.is_empty() => filter,
        _ => match verbose {
            // The gateway's one-line-per-request log is its output.
            0 => "warn,bedrock_gateway::serve=info".to_string(),
            1 => "warn,bedrock_gateway=debug".to_string(),
            _ => "debug".to_string(),
        },
    };
    use tracing_subscriber::filter::FilterExt as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        // Colour codes only for a person; a log file or collector gets plain key=value lines.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let filter = tracing_subscriber::EnvFilter::new(filter)
        .and(tracing_subscriber::filter::filter_fn(|meta| !is_sdk_detail(meta)));
    let _ = tracing_subscriber::registry()
        .with(tracing_subscriber::Layer::with_filter(layer, filter))
        .try_init();
}

/// The AWS SDK's debug and trace output, which no filter may turn on: at those levels it
/// logs errors with the raw HTTP response they came from, and with `LOG_SENSITIVE_BODIES=true`
/// in the environment whole response bodies (an STS answer carries the secret key and the
/// session token).
fn is_sdk_detail(meta: &tracing::Metadata<'_>) -> bool {
    meta.target().starts_with("aws_") && *meta.level() > tracing::Level::INFO
}

/// Runs a parsed command line and returns the exit status. `env` supplies the AWS_*
/// fallbacks; output goes to `out` and `err` so tests can capture it.
pub async fn run(
    cli: Cli,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let json = match &cli.command {
        Command::Check(a) => a.json,
        Command::Chat(a) => a.json,
        Command::Rerank(a) => a.json,
        Command::Embed(a) => a.json,
        Command::Schema | Command::Demo => false,
        Command::Serve(args) => return serve_command(&cli, args, env, out, err).await,
    };
    let mut printer = Printer { out, err, json };
    match execute(&cli, env, &mut printer).await {
        Ok(()) => 0,
        Err(e) => printer.failure(&e),
    }
}

/// Where a command's output goes, and in which form.
struct Printer<'a> {
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    json: bool,
}

impl Printer<'_> {
    fn json_line(&mut self, value: &Value) {
        let _ = writeln!(self.out, "{value}");
        let _ = self.out.flush();
    }

    fn text(&mut self, text: &str) {
        let _ = write!(self.out, "{text}");
        let _ = self.out.flush();
    }

    fn warning(&mut self, message: &str, code: &str) {
        let _ = writeln!(self.err, "warning: {message} ({code})");
    }

    /// Prints the error and returns the exit status for it.
    fn failure(&mut self, e: &ProviderError) -> u8 {
        if self.json {
            self.json_line(&output::error_json(e));
        } else {
            let _ = write!(self.err, "{}", output::error_text(e));
        }
        if e.kind == ErrorKind::InvalidSettings { EXIT_USAGE } else { EXIT_PROVIDER }
    }
}

async fn execute(
    cli: &Cli,
    env: &dyn Fn(&str) -> Option<String>,
    p: &mut Printer<'_>,
) -> Result<(), ProviderError> {
    if let Command::Demo = cli.command {
        let host = load_host(cli)?;
        return match crate::demo::run(&host, p.out).await {
            0 => Ok(()),
            _ => Err(cli_error(
                ErrorKind::Internal,
                "The demo did not behave as expected (see above).".into(),
                "A step of the demo returned something other than what it demonstrates.",
                "Report it with the output above.",
            )),
        };
    }
    if let Command::Schema = cli.command {
        let schema = load_host(cli)?.settings_schema().await?;
        p.text(&format!("{}\n", pretty(&schema)));
        return Ok(());
    }
    let settings = load_settings(cli.settings.as_deref(), env)?;
    let host = load_host(cli)?;
    // A named credential source is resolved once, here; the call gets its keys.
    let prepared = credentials::prepare(&host, settings).await?;
    let settings_json = prepared.call_json().await?.into_owned();
    match &cli.command {
        Command::Schema | Command::Demo | Command::Serve(_) => Ok(()),
        Command::Check(_) => {
            let report = host.check(&settings_json).await?;
            let resolved = prepared.report().await.transpose()?;
            let shown = settings::redacted(prepared.value(), host.manifest().settings());
            if p.json {
                p.json_line(&output::check_json_with(&shown, &report, resolved.as_ref()));
            } else {
                p.text(&output::check_text_with(
                    &shown,
                    &report,
                    resolved.as_ref(),
                    std::time::SystemTime::now(),
                ));
            }
            Ok(())
        }
        Command::Chat(args) if args.count_tokens => {
            let count = host.count_tokens(&settings_json, chat_request(args)).await?;
            if p.json {
                p.json_line(&output::count_tokens_json(&count));
            } else {
                p.text(&format!(
                    "{} input tokens ({})\n",
                    count.input_tokens, count.metadata.model
                ));
                for w in &count.warnings {
                    p.warning(&w.message, &w.code);
                }
            }
            Ok(())
        }
        Command::Chat(args) if args.stream => stream_chat(&host, &settings_json, args, p).await,
        Command::Chat(args) => {
            let answer = host.generate(&settings_json, chat_request(args)).await?;
            if p.json {
                p.json_line(&output::generate_json(&answer));
            } else {
                p.text(&output::generate_text(&answer));
                for w in &answer.warnings {
                    p.warning(&w.message, &w.code);
                }
            }
            Ok(())
        }
        Command::Rerank(args) => {
            let request = RerankRequest {
                model: args.model.clone(),
                query: args.query.clone(),
                documents: args.documents.iter().cloned().map(RerankDocument::Text).collect(),
                top_n: args.top_n,
                provider_options: None,
            };
            let ranking = host.rerank(&settings_json, request).await?;
            if p.json {
                p.json_line(&output::rerank_json(&ranking));
            } else {
                p.text(&output::rerank_table(&ranking, terminal_width(env)));
                for w in &ranking.warnings {
                    p.warning(&w.message, &w.code);
                }
            }
            Ok(())
        }
        Command::Embed(args) => {
            let request = EmbedRequest {
                model: args.model.clone(),
                inputs: args.texts.iter().cloned().map(EmbedInput::Text).collect(),
                input_type: args.input_type,
                dimensions: args.dimensions,
                normalize: None,
                embedding_types: vec![],
                truncation: None,
                provider_options: None,
            };
            let answer = host.embed(&settings_json, request).await?;
            if p.json {
                p.json_line(&output::embed_json(&answer));
            } else {
                p.text(&output::embed_table(&answer));
                for w in &answer.warnings {
                    p.warning(&w.message, &w.code);
                }
            }
            Ok(())
        }
    }
}

async fn stream_chat(
    host: &Host,
    settings_json: &str,
    args: &ChatArgs,
    p: &mut Printer<'_>,
) -> Result<(), ProviderError> {
    let mut stream = host.stream(settings_json, chat_request(args)).await?;
    let mut view = output::TextView::default();
    loop {
        let part = match stream.next().await {
            Ok(Some(part)) => part,
            Ok(None) => break,
            Err(e) => {
                if !p.json {
                    p.text(&view.finish());
                }
                return Err(e);
            }
        };
        if p.json {
            p.json_line(&output::stream_part_json(&part));
            continue;
        }
        let shown = match &part {
            StreamPart::TextDelta(d) => view.text(&d.text),
            StreamPart::ReasoningDelta(d) => match (&d.text, &d.redacted) {
                (_, Some(bytes)) => view.redacted(bytes.len()),
                (Some(text), None) => view.reasoning(text),
                (None, None) => String::new(),
            },
            StreamPart::ToolCallEnd(call) => view.tool_call(call),
            StreamPart::Warning(w) => {
                p.warning(&w.message, &w.code);
                String::new()
            }
            _ => String::new(),
        };
        p.text(&shown);
    }
    if !p.json {
        p.text(&view.finish());
    }
    Ok(())
}

fn chat_request(args: &ChatArgs) -> GenerateRequest {
    let mut messages = Vec::new();
    if let Some(system) = &args.system {
        let mut content = vec![ContentPart::Text(system.clone())];
        if args.cache_system {
            content.push(ContentPart::CachePoint(CachePoint { ttl: None }));
        }
        messages.push(Message { role: Role::System, content });
    }
    // Attachments before the question, as Bedrock's examples order them.
    let mut content = Vec::with_capacity(args.files.len() + 1);
    let mut names = Vec::new();
    for file in &args.files {
        let source = MediaSource::Bytes(file.bytes.clone());
        content.push(match &file.kind {
            AttachmentKind::Image(format) => {
                ContentPart::Image(Image { format: format.clone(), source })
            }
            AttachmentKind::Document { format, name } => ContentPart::Document(Document {
                format: format.clone(),
                name: unique_name(name, &mut names),
                source,
                citations: false,
            }),
        });
    }
    content.push(ContentPart::Text(args.prompt.clone()));
    messages.push(Message { role: Role::User, content });
    GenerateRequest {
        model: args.model.clone(),
        messages,
        settings: InferenceSettings {
            max_tokens: args.max_tokens,
            temperature: args.temperature,
            top_p: args.top_p,
            stop_sequences: args.stop.clone(),
            reasoning_budget: args.reasoning_budget,
            reasoning_effort: args.reasoning_effort,
        },
        tools: args.tools.as_ref().map(|t| t.0.clone()).unwrap_or_default(),
        tool_choice: args.tool_choice.clone(),
        guardrail: args
            .guardrail
            .clone()
            .map(|g| Guardrail { trace: args.guardrail_trace.clone(), ..g }),
        response_format: args.json_schema.clone().map(ResponseFormat::JsonSchema),
        provider_options: args.provider_options.clone(),
    }
}

/// Reads the settings file and environment fallbacks; a failure is an `invalid-settings` error.
fn load_settings(
    path: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Value, ProviderError> {
    settings::load(path, env).map_err(|e| {
        cli_error(
            ErrorKind::InvalidSettings,
            format!("{e:#}"),
            "The settings file is missing, unreadable, or not a JSON object.",
            "Fix the file given with --settings (or leave it out and use AWS_REGION, \
             AWS_ACCESS_KEY_ID, ... instead).",
        )
    })
}

/// Runs the gateway until SIGTERM or SIGINT; SIGHUP re-reads the settings file and the
/// environment fallbacks. Exit status 0 after draining, 2 when it cannot start safely.
async fn serve_command(
    cli: &Cli,
    args: &ServeArgs,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    use tokio::signal::unix::{SignalKind, signal};

    let api_keys = match args.api_keys.as_slice() {
        [] => env("BEDROCK_GATEWAY_API_KEY").into_iter().collect(),
        keys => keys.to_vec(),
    };
    let config = serve::ServeConfig {
        listen: args.listen,
        api_keys: api_keys.into_iter().filter(|k| !k.is_empty()).collect(),
        max_concurrency: args.max_concurrency,
        max_body_bytes: args.max_body_bytes,
    };
    // Refuse an exposed, unauthenticated listener before any slow work.
    if let Err(why) =
        serve::auth::check_exposure(config.listen, &serve::auth::ClientKeys::new(&config.api_keys))
    {
        let _ = writeln!(err, "error: {why}");
        return EXIT_USAGE;
    }
    let failed = |err: &mut dyn Write, e: &ProviderError| {
        let _ = write!(err, "{}", output::error_text(e));
        if e.kind == ErrorKind::InvalidSettings { EXIT_USAGE } else { EXIT_PROVIDER }
    };
    let settings = match load_settings(cli.settings.as_deref(), env) {
        Ok(settings) => settings,
        Err(e) => return failed(err, &e),
    };
    let host_config = HostConfig {
        cache_dir: cli.cache_dir.clone(),
        call_timeout: std::time::Duration::from_secs(args.request_timeout),
        // Room for readiness probes beside the calls the server admits.
        max_concurrent_calls: u32::try_from(args.max_concurrency + 8).unwrap_or(u32::MAX),
        ..HostConfig::default()
    };
    let host = match load_host_with(cli, host_config) {
        Ok(host) => host,
        Err(e) => return failed(err, &e),
    };
    // A named credential source must supply keys before the gateway accepts a request.
    let settings = match credentials::prepare(&host, settings).await {
        Ok(prepared) => prepared,
        Err(e) => return failed(err, &e),
    };
    let reload_host = host.clone();
    let (mut signals, mut hangups) =
        match (signal(SignalKind::terminate()), signal(SignalKind::hangup())) {
            (Ok(term), Ok(hup)) => (term, hup),
            (Err(e), _) | (_, Err(e)) => {
                let _ = writeln!(err, "error: cannot listen for signals: {e}");
                return EXIT_PROVIDER;
            }
        };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = match serve::start(config, host, settings, async move {
        let _ = stopped.await;
    })
    .await
    {
        Ok(server) => server,
        Err(serve::StartError::InvalidSettings(e)) => return failed(err, &e),
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return if matches!(e, serve::StartError::Unprotected(_)) {
                EXIT_USAGE
            } else {
                EXIT_PROVIDER
            };
        }
    };
    let _ = writeln!(out, "bedrock-gateway listening on http://{}", server.addr());
    let _ = out.flush();
    loop {
        tokio::select! {
            _ = signals.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
            _ = hangups.recv() => {
                // The settings file and the credential source are read again (a new profile,
                // role or key pair applies without a restart).
                let loaded = match load_settings(cli.settings.as_deref(), env) {
                    Ok(value) => credentials::prepare(&reload_host, value).await,
                    Err(e) => Err(e),
                };
                let _ = server.apply_settings(loaded).await;
            }
        }
    }
    let _ = stop.send(());
    server.wait().await;
    0
}

/// Loads the bundled component, or the one given with `--component`.
fn load_host(cli: &Cli) -> Result<Host, ProviderError> {
    load_host_with(cli, HostConfig { cache_dir: cli.cache_dir.clone(), ..HostConfig::default() })
}

fn load_host_with(cli: &Cli, config: HostConfig) -> Result<Host, ProviderError> {
    let loaded = match &cli.component {
        None => Host::load(crate::bundled_component(), config),
        Some(path) => std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))
            .and_then(|bytes| Host::load(&bytes, config)),
    };
    loaded.map_err(|e| {
        cli_error(
            ErrorKind::Internal,
            format!("cannot load the provider component: {e:#}"),
            "The component file is not a valid model-provider component for this host.",
            "Rebuild the component, or drop --component to use the bundled one.",
        )
    })
}

fn cli_error(kind: ErrorKind, message: String, cause: &str, solution: &str) -> ProviderError {
    ProviderError {
        kind,
        message,
        cause: Some(cause.into()),
        solution: Some(solution.into()),
        status: None,
        code: None,
        request_id: None,
        retryable: false,
        retry_after_ms: None,
        field: None,
    }
}

/// Pretty-prints JSON text; other text unchanged.
fn pretty(text: &str) -> String {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_string())
}

/// `COLUMNS` when set and sensible, else 100.
fn terminal_width(env: &dyn Fn(&str) -> Option<String>) -> usize {
    env("COLUMNS").and_then(|c| c.parse().ok()).filter(|w| *w >= 40).unwrap_or(100)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("bedrock-gateway").chain(args.iter().copied())).unwrap()
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    async fn run_captured(args: &[&str]) -> (u8, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(parse(args), &no_env, &mut out, &mut err).await;
        (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
    }

    #[test]
    fn chat_flags_build_the_request() {
        let cli = parse(&[
            "--settings",
            "s.json",
            "chat",
            "--model",
            "amazon-bedrock|m",
            "--system",
            "be brief",
            "--max-tokens",
            "50",
            "--temperature",
            "0.5",
            "--top-p",
            "0.9",
            "--stop",
            "END",
            "--stop",
            "STOP",
            "hello",
        ]);
        let Command::Chat(args) = &cli.command else { panic!("not chat") };
        let request = chat_request(args);
        assert_eq!(request.model.as_deref(), Some("amazon-bedrock|m"));
        assert_eq!(request.messages.len(), 2);
        assert!(matches!(request.messages[0].role, Role::System));
        assert!(matches!(&request.messages[1].content[0], ContentPart::Text(t) if t == "hello"));
        assert_eq!(request.settings.max_tokens, Some(50));
        assert_eq!(request.settings.temperature, Some(0.5));
        assert_eq!(request.settings.top_p, Some(0.9));
        assert_eq!(request.settings.stop_sequences, ["END", "STOP"]);
        assert_eq!(cli.settings.as_deref(), Some(Path::new("s.json")));
    }

    fn temp_file(name: &str, content: &[u8]) -> String {
        let dir =
            std::env::temp_dir().join(format!("bedrock-gateway-cli-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        path.display().to_string()
    }

    #[test]
    fn feature_flags_build_the_request() {
        let photo = temp_file("Photo.JPG", b"\xff\xd8\xff");
        let report = temp_file("q3_report.final.pdf", b"%PDF-1.4");
        let again = temp_file("q3 report final.txt", b"notes");
        let tools = temp_file(
            "tools.json",
            br#"[{"name":"get_weather","description":"Weather","inputSchema":{"type":"object"}},
                 {"name":"get_time","inputSchema":{"type":"object"}}]"#,
        );
        let cli = parse(&[
            "chat",
            "--system",
            "be brief",
            "--cache-system",
            "--file",
            &photo,
            "--file",
            &report,
            "--file",
            &again,
            "--reasoning-budget",
            "2048",
            "--tools",
            &tools,
            "--tool-choice",
            "get_time",
            "--guardrail",
            "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc:DRAFT",
            "--guardrail-trace",
            "enabled_full",
            "--provider-options",
            r#"{"serviceTier":{"type":"flex"}}"#,
            "hello",
        ]);
        let Command::Chat(args) = &cli.command else { panic!("not chat") };
        let request = chat_request(args);
        assert!(
            matches!(&request.messages[0].content[1], ContentPart::CachePoint(c) if c.ttl.is_none())
        );
        let user = &request.messages[1].content;
        assert_eq!(user.len(), 4);
        assert!(matches!(&user[0], ContentPart::Image(i) if i.format == "jpeg"
            && matches!(&i.source, MediaSource::Bytes(b) if b == b"\xff\xd8\xff")));
        assert!(
            matches!(&user[1], ContentPart::Document(d) if d.format == "pdf" && d.name == "q3 report final")
        );
        assert!(
            matches!(&user[2], ContentPart::Document(d) if d.format == "txt" && d.name == "q3 report final (2)")
        );
        assert!(matches!(&user[3], ContentPart::Text(t) if t == "hello"));
        assert_eq!(request.settings.reasoning_budget, Some(2048));
        assert_eq!(request.tools.len(), 2);
        assert_eq!(request.tools[0].description.as_deref(), Some("Weather"));
        assert_eq!(request.tools[1].input_schema_json, r#"{"type":"object"}"#);
        assert!(matches!(&request.tool_choice, Some(ToolChoice::Tool(n)) if n == "get_time"));
        let g = request.guardrail.unwrap();
        assert_eq!(g.identifier, "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc");
        assert_eq!(g.version, "DRAFT");
        assert_eq!(g.trace.as_deref(), Some("enabled_full"));
        assert_eq!(request.provider_options.as_deref(), Some(r#"{"serviceTier":{"type":"flex"}}"#));
    }

    #[test]
    fn document_names_follow_bedrocks_rules() {
        let name = |p: &str| document_name(Path::new(p));
        assert_eq!(
            name("/tmp/Annual Report (2024) [final]-v2.pdf"),
            "Annual Report (2024) [final]-v2"
        );
        assert_eq!(name("a__b..c  d.csv"), "a b c d");
        assert_eq!(name("Résumé.docx"), "R sum");
        assert_eq!(name("..pdf"), "document");
        assert_eq!(name("___.md"), "document");
        assert_eq!(name(&format!("{}.txt", "x".repeat(300))).len(), MAX_DOCUMENT_NAME);
        let mut used = Vec::new();
        assert_eq!(unique_name("a", &mut used), "a");
        assert_eq!(unique_name("a", &mut used), "a (2)");
        assert_eq!(unique_name("a", &mut used), "a (3)");
        let long = "y".repeat(MAX_DOCUMENT_NAME);
        let mut used = vec![long.clone()];
        let second = unique_name(&long, &mut used);
        assert!(second.ends_with(" (2)") && second.len() == MAX_DOCUMENT_NAME, "{second}");
    }

    #[test]
    fn bad_feature_flags_are_usage_errors() {
        let zip = temp_file("archive.zip", b"PK");
        let none = temp_file("README", b"x");
        let empty = temp_file("empty.png", b"");
        let not_array = temp_file("tools-object.json", br#"{"name":"x"}"#);
        let no_schema = temp_file("tools-no-schema.json", br#"[{"name":"x"}]"#);
        let extra =
            temp_file("tools-extra.json", br#"[{"name":"x","inputSchema":{},"strict":true}]"#);
        let cases: [(&[&str], &str); 12] = [
            (&["--file", &zip], "unsupported file type `.zip`"),
            (&["--file", &none], "has no file extension"),
            (&["--file", "/nonexistent/x.png"], "cannot read /nonexistent/x.png"),
            (&["--file", &empty], "is empty"),
            (&["--provider-options", "[1]"], "must be a JSON object"),
            (&["--provider-options", "{bad"], "not valid JSON"),
            (&["--tools", &not_array], "expected a JSON array"),
            (&["--tools", &no_schema], "needs an \"inputSchema\" object"),
            (&["--tools", &extra], "unknown member `strict`"),
            (&["--tool-choice", "auto"], "--tools"),
            (&["--guardrail", "abc"], "expected ID:VERSION"),
            (&["--guardrail-trace", "enabled"], "--guardrail"),
        ];
        for (flags, needle) in cases {
            let args = std::iter::once("bedrock-gateway")
                .chain(["chat"])
                .chain(flags.iter().copied())
                .chain(["hi"]);
            let err = Cli::try_parse_from(args).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{flags:?}");
            let text = err.to_string();
            assert!(text.contains(needle), "{flags:?}: {text}");
        }
        let err =
            Cli::try_parse_from(["bedrock-gateway", "chat", "--cache-system", "hi"]).unwrap_err();
        assert!(err.to_string().contains("--system"), "{err}");
        let err = Cli::try_parse_from([
            "bedrock-gateway",
            "chat",
            "--guardrail",
            "g:1",
            "--guardrail-trace",
            "on",
            "hi",
        ])
        .unwrap_err();
        assert!(err.to_string().contains("enabled_full"), "{err}");
    }

    #[test]
    fn tool_choice_words() {
        assert!(matches!(parse_tool_choice("auto"), Ok(ToolChoice::Auto)));
        assert!(matches!(parse_tool_choice("required"), Ok(ToolChoice::Required)));
        assert!(matches!(parse_tool_choice("any"), Ok(ToolChoice::Required)));
        assert!(matches!(parse_tool_choice("none"), Ok(ToolChoice::None)));
        assert!(
            matches!(parse_tool_choice("get_time"), Ok(ToolChoice::Tool(n)) if n == "get_time")
        );
        assert!(parse_tool_choice("").is_err());
    }

    #[test]
    fn serve_flags() {
        let cli = parse(&["serve"]);
        let Command::Serve(args) = &cli.command else { panic!("not serve") };
        assert_eq!(args.listen, "127.0.0.1:8080".parse().unwrap());
        assert!(args.api_keys.is_empty());
        assert_eq!(args.max_concurrency, 64);
        assert_eq!(args.max_body_bytes, 10 * 1024 * 1024);
        assert_eq!(args.request_timeout, 300);
        let cli = parse(&[
            "serve",
            "--listen",
            "0.0.0.0:9000",
            "--api-key",
            "a",
            "--api-key",
            "b",
            "--max-concurrency",
            "2",
            "--max-body-bytes",
            "1000",
            "--request-timeout",
            "30",
        ]);
        let Command::Serve(args) = &cli.command else { panic!("not serve") };
        assert_eq!(args.listen, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(args.api_keys, ["a", "b"]);
        assert_eq!(
            (args.max_concurrency, args.max_body_bytes, args.request_timeout),
            (2, 1000, 30)
        );
        for bad in [
            &["serve", "--max-concurrency", "0"][..],
            &["serve", "--listen", "localhost"],
            &["serve", "--request-timeout", "0"],
        ] {
            let err =
                Cli::try_parse_from(std::iter::once("bedrock-gateway").chain(bad.iter().copied()))
                    .unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad:?}");
        }
    }

    #[tokio::test]
    async fn serve_refuses_an_exposed_listener_without_a_key() {
        let (code, out, err) = run_captured(&["serve", "--listen", "0.0.0.0:8080"]).await;
        assert_eq!(code, 2);
        assert!(out.is_empty());
        assert!(
            err.starts_with("error: refusing to listen on 0.0.0.0:8080 without a client API key"),
            "{err}"
        );
    }

    #[test]
    fn usage_errors_are_rejected_by_clap() {
        let bad = [
            &["chat"][..],
            &["rerank", "--query", "q"],
            &["bogus"],
            &["chat", "--max-tokens", "x", "hi"],
        ];
        for args in bad {
            let err =
                Cli::try_parse_from(std::iter::once("bedrock-gateway").chain(args.iter().copied()))
                    .unwrap_err();
            assert_eq!(err.exit_code(), 2, "{args:?}");
        }
    }

    #[tokio::test]
    async fn missing_settings_file_exits_2() {
        let (code, out, err) = run_captured(&["--settings", "/nonexistent/s.json", "check"]).await;
        assert_eq!(code, 2);
        assert!(out.is_empty());
        assert!(
            err.starts_with("error (invalid-settings): cannot read the settings file"),
            "{err}"
        );

        let (code, out, _) =
            run_captured(&["--settings", "/nonexistent/s.json", "chat", "--json", "hi"]).await;
        assert_eq!(code, 2);
        let value: Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(value["error"]["kind"], "invalid-settings");
    }

    fn cache_args() -> Vec<String> {
        let dir = std::env::temp_dir().join("bedrock-gateway-test-cache");
        vec!["--cache-dir".into(), dir.display().to_string()]
    }

    #[tokio::test]
    async fn schema_prints_the_components_schema() {
        let mut args = cache_args();
        args.push("schema".into());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = run_captured(&args).await;
        assert_eq!(code, 0, "{err}");
        assert!(serde_json::from_str::<Value>(&out).unwrap().is_object(), "{out}");
    }

    #[tokio::test]
    async fn provider_errors_go_to_stdout_as_json_with_the_matching_exit_code() {
        let dir = std::env::temp_dir().join(format!("bedrock-gateway-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let settings = dir.join("settings.json");
        std::fs::write(
            &settings,
            r#"{"region":"us-east-1","baseUrl":"http://127.0.0.1:9","apiKey":"k"}"#,
        )
        .unwrap();
        let settings = settings.display().to_string();
        for command in [
            &["chat", "--json", "hi"][..],
            &["chat", "--json", "--stream", "hi"],
            &["check", "--json"],
            &["rerank", "--json", "--query", "q", "doc"],
        ] {
            let mut args = cache_args();
            args.extend(["--settings".to_string(), settings.clone()]);
            args.extend(command.iter().map(|a| a.to_string()));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let (code, out, err) = run_captured(&args).await;
            assert!(err.is_empty(), "{command:?}: {err}");
            let line = out.lines().last().unwrap();
            let value: Value = serde_json::from_str(line).unwrap();
            let kind = value["error"]["kind"].as_str().unwrap();
            assert_eq!(code, if kind == "invalid-settings" { 2 } else { 1 }, "{command:?}: {out}");
            assert!(value["error"]["message"].is_string(), "{out}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn unreadable_component_exits_1() {
        let (code, _, err) = run_captured(&["--component", "/nonexistent/c.wasm", "schema"]).await;
        assert_eq!(code, 1);
        assert!(err.contains("cannot load the provider component"), "{err}");
    }
}

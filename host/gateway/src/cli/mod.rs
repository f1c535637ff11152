//! The `bedrock-gateway` command line: check a configuration, chat (structured answers, token
//! counts), re-rank, embed, print the settings schema.
//!
//! Exit codes: 0 success, 1 a provider (or host) error, or a `check` with a failed row, 2 invalid
//! settings or usage.
//! With `--json`, results and errors go to stdout as JSON; otherwise errors go to stderr.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{ArgAction, Parser, Subcommand};
use serde_json::Value;

use crate::Manifest;
use crate::output;
use crate::types::{
    CachePoint, ContentPart, Document, EmbedInput, EmbedRequest, ErrorKind, GenerateRequest,
    Guardrail, Image, InferenceSettings, MediaSource, Message, ProviderError, RerankDocument,
    RerankRequest, ResponseFormat, Role, StreamPart,
};
use crate::{Host, HostConfig, credentials, serve, settings, settings_file};

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
    /// Where to cache the compiled component (default: ~/.cache/provider-runtime).
    #[arg(long, global = true, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Enforce this provider manifest (JSON, `wit/MANIFEST.md`) instead of the component's own.
    #[arg(long, global = true, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Refuse the settings' base URLs: requests go only to the manifest's own endpoints.
    #[arg(long, global = true)]
    pub no_base_urls: bool,
    /// Also allow this origin for every call, e.g. an egress proxy (repeatable).
    #[arg(long, global = true, value_name = "URL")]
    pub extra_origin: Vec<String>,
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
    /// Answer the setup checklist for every configured model, then make a live call to each
    /// (exit 0 only when no row failed).
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
    /// Run an OpenAI- and Anthropic-compatible HTTP gateway (SIGHUP reloads the settings,
    /// SIGTERM drains).
    Serve(ServeArgs),
}

mod args;
mod attachments;
mod chat;
mod serve_command;
#[cfg(test)]
mod tests;

pub use args::{ChatArgs, CheckArgs, EmbedArgs, RerankArgs, ServeArgs, Tools};
pub use attachments::{Attachment, AttachmentKind};
use chat::{chat_request, stream_chat};
use serve_command::serve_command;

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
    let mut printer = Printer { out, err, json, status: 0 };
    match execute(&cli, env, &mut printer).await {
        Ok(()) => printer.status,
        Err(e) => printer.failure(&e),
    }
}

/// Where a command's output goes, and in which form.
struct Printer<'a> {
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    json: bool,
    /// The exit status of a command that printed its result but did not succeed (`check`).
    status: u8,
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
                    terminal_width(env),
                    resolved.as_ref(),
                    std::time::SystemTime::now(),
                ));
            }
            // A failed requirement is the check's answer, printed like a pass, not an error.
            if !output::check_passed(&report) {
                p.status = EXIT_PROVIDER;
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

/// Reads the settings file and environment fallbacks; a failure is an `invalid-settings` error.
fn load_settings(
    path: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Value, ProviderError> {
    settings::load(path, env).map_err(|e| settings_load_error(&e))
}

/// The `invalid-settings` error for a settings file that could not be read or parsed.
fn settings_load_error(e: &anyhow::Error) -> ProviderError {
    cli_error(
        ErrorKind::InvalidSettings,
        format!("{e:#}"),
        "The settings file is missing, unreadable, too large, not a regular file, or not a \
         JSON object.",
        "Fix the file given with --settings (or leave it out and use AWS_REGION, \
         AWS_ACCESS_KEY_ID, ... instead).",
    )
}

/// Loads the bundled component, or the one given with `--component`.
fn load_host(cli: &Cli) -> Result<Host, ProviderError> {
    load_host_with(cli, HostConfig::default())
}

/// The operator's choices from the command line, on top of `config`.
fn operator_config(cli: &Cli, config: HostConfig) -> Result<HostConfig, ProviderError> {
    let manifest = match &cli.manifest {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                cli_error(
                    ErrorKind::InvalidSettings,
                    format!("cannot read the manifest {}: {e}", path.display()),
                    "The file given with --manifest could not be read.",
                    "Pass the path of a readable manifest JSON file, or drop --manifest.",
                )
            })?;
            Some(Manifest::parse(&text).map_err(|e| {
                cli_error(
                    ErrorKind::InvalidSettings,
                    format!("{}: {e}", path.display()),
                    "The manifest does not follow wit/MANIFEST.md.",
                    "Fix the field the message names, or drop --manifest to use the component's own.",
                )
            })?)
        }
    };
    Ok(HostConfig {
        cache_dir: cli.cache_dir.clone().or(config.cache_dir),
        manifest: manifest.or(config.manifest),
        allow_base_urls: config.allow_base_urls && !cli.no_base_urls,
        extra_origins: [config.extra_origins, cli.extra_origin.clone()].concat(),
        ..config
    })
}

fn load_host_with(cli: &Cli, config: HostConfig) -> Result<Host, ProviderError> {
    let config = operator_config(cli, config)?;
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
    ProviderError::new(kind, message).with_cause(cause).with_solution(solution)
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

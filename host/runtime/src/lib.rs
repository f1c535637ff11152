//! Runs any `ai-gateway:provider` component (`wit/provider.wit`) in a locked-down wasmtime
//! sandbox.
//!
//! Embedders load a component once with [`Host::load`] and call it per request; every call
//! runs in a fresh sandbox with a memory limit, a deadline, an outbound HTTP policy and per-call
//! caps on the host resources and outbound requests it may use ([`limits`]), and
//! every failure (the provider's own, a trap, a timeout) is a [`types::ProviderError`].
//! The runtime knows nothing about any provider: the origins a component may reach come from
//! the manifest it ships with ([`manifest`], `wit/MANIFEST.md`), narrowed or widened by the
//! operator's [`policy::Rules`], and its settings travel as opaque JSON that only the component
//! reads.
//!
//! ```no_run
//! use provider_runtime::{Host, HostConfig, types::*};
//! # async fn demo(component: &[u8]) -> anyhow::Result<()> {
//! let host = Host::load(component, HostConfig::default())?;
//! let settings = r#"{"region":"us-east-1","apiKey":"...","languageModel":"amazon-bedrock|amazon.nova-lite-v1:0"}"#;
//! let mut request = GenerateRequest::prompt("Hi");
//! request.settings.max_tokens = Some(100);
//! match host.generate(settings, request).await {
//!     Ok(answer) => println!("{}", answer.text),
//!     Err(e) => eprintln!("{}: {}", e.kind.name(), e.message),
//! }
//! # Ok(()) }
//! ```
//!
//! # Tools, reasoning and the rest of a chat
//!
//! A [`types::GenerateRequest`] carries tools and a tool choice, a reasoning budget, images and
//! documents in user turns, cache points, a guardrail, and provider extras as
//! `provider_options` JSON. A tool loop offers the tools, runs the calls the model asks for,
//! and sends the results back after the assistant turn, which must go back *unchanged*: with
//! reasoning on, its reasoning part carries a signature the upstream checks.
//!
//! ```no_run
//! use provider_runtime::{Host, types::*};
//! # async fn demo(host: &Host, settings: &str) -> Result<(), ProviderError> {
//! let weather = ToolDefinition {
//!     name: "get_weather".into(),
//!     description: Some("Current weather for a city".into()),
//!     input_schema_json: r#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#.into(),
//!     cache_point: None,
//! };
//! let mut request = GenerateRequest::prompt("What is the weather in Paris?");
//! request.model = Some("amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0".into());
//! request.settings.max_tokens = Some(4096);
//! request.settings.reasoning_budget = Some(1024);
//! request.tools = vec![weather];
//! request.tool_choice = Some(ToolChoice::Auto);
//! loop {
//!     let answer = host.generate(settings, request.clone()).await?;
//!     if answer.finish_reason != FinishReason::ToolCalls {
//!         println!("{}", answer.text);
//!         return Ok(());
//!     }
//!     let results: Vec<ContentPart> = answer
//!         .content
//!         .iter()
//!         .filter_map(|part| match part {
//!             ContentPart::ToolCall(call) => Some(ContentPart::ToolResult(ToolResult {
//!                 id: call.id.clone(),
//!                 // Run the tool named `call.name` with `call.input_json` here.
//!                 content: vec![ToolResultContent::Json(r#"{"tempC":21}"#.into())],
//!                 is_error: false,
//!             })),
//!             _ => None,
//!         })
//!         .collect();
//!     request.messages.push(Message { role: Role::Assistant, content: answer.content });
//!     request.messages.push(Message { role: Role::Tool, content: results });
//! }
//! # }
//! ```
//!
//! With [`Host::stream`], rebuild the assistant turn from the parts before sending it back:
//! each reasoning block is its `reasoning-delta` texts joined plus the signature of its last
//! delta, each tool call is its `tool-call-end` part, in block (`index`) order.

pub mod contract;
pub mod engine;
mod host;
pub mod limits;
pub mod manifest;
pub mod outbound;
pub mod policy;
pub mod reuse;
mod sandbox;
mod stream;
pub mod types;

pub use host::{Host, HostConfig};
pub use manifest::Manifest;
pub use reuse::InstanceReuse;
pub use stream::ChatStream;

/// Bindings generated from `wit/provider.wit`; the public types are re-exported by
/// [`types`].
#[allow(missing_docs)]
pub(crate) mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "model-provider",
        exports: { default: async },
        with: {
            "wasi:http": wasmtime_wasi_http::p2::bindings::http,
            "wasi:io": wasmtime_wasi::p2::bindings::io,
            "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        },
        require_store_data_send: true,
    });
}

//! The Amazon Bedrock provider as an application: the `bedrock-gateway` CLI, the settings file
//! with its AWS environment fallbacks, the OpenAI- and Anthropic-compatible gateway
//! ([`serve`]) and the demo.
//!
//! The component itself (`guest/`) is built by `build.rs` and embedded
//! ([`bundled_component`], with its manifest inside); it runs on the provider-agnostic
//! [`provider_runtime`], re-exported here so the application and its tests name one crate.
//! AWS credentials that the settings only name (a profile, SSO, a role, the standard chain)
//! are resolved here, in [`credentials`], and handed to the component per call as temporary
//! keys. Everything this crate knows about the provider's settings beyond the AWS environment
//! variables (which settings are secret, which hold the default models) comes from the
//! component's manifest ([`Host::manifest`]).
//!
//! ```no_run
//! use bedrock_gateway::{Host, HostConfig, bundled_component, types::*};
//! # async fn demo() -> anyhow::Result<()> {
//! let host = Host::load(bundled_component(), HostConfig::default())?;
//! let settings = r#"{"region":"us-east-1","apiKey":"...","languageModel":"amazon-bedrock|amazon.nova-lite-v1:0"}"#;
//! match host.generate(settings, GenerateRequest::prompt("Hi")).await {
//!     Ok(answer) => println!("{}", answer.text),
//!     Err(e) => eprintln!("{}: {}", e.kind.name(), e.message),
//! }
//! # Ok(()) }
//! ```

pub mod cli;
pub mod credentials;
#[cfg(feature = "demo")]
pub mod demo;
pub mod output;
pub mod serve;
pub mod settings;
pub mod settings_file;

pub use provider_runtime::{
    ChatStream, Host, HostConfig, InstanceReuse, Manifest, engine, manifest, policy, reuse, types,
};

/// The provider component built from `guest/` (or `BEDROCK_PROVIDER_WASM`) at compile time,
/// with its manifest (`guest/manifest.json`) as a custom section.
pub fn bundled_component() -> &'static [u8] {
    include_bytes!(env!("BEDROCK_PROVIDER_WASM_PATH"))
}

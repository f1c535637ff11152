//! Shared setup for the end-to-end tests: the local Bedrock emulator on loopback and the real
//! component in the real host, pointed at it through `baseUrl`.
#![allow(dead_code, clippy::unwrap_used)] // Each test binary uses a different subset.

use bedrock_emulator::{DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY, Emulator, EmulatorConfig};
use bedrock_gateway::types::*;
use bedrock_gateway::{Host, HostConfig};
use serde_json::{Value, json};

/// The default model: a geo inference profile, which the emulator (like Bedrock) serves.
pub const PROFILE_MODEL: &str = "amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0";

/// An emulator and a host with the bundled component.
pub struct Harness {
    /// The local Bedrock.
    pub emulator: Emulator,
    /// The wasmtime host.
    pub host: Host,
}

impl Harness {
    /// Starts the emulator and loads the component with default limits.
    pub async fn start() -> Harness {
        Self::with(EmulatorConfig::default(), HostConfig::default()).await
    }

    /// Starts with the given emulator and host configuration.
    pub async fn with(emulator: EmulatorConfig, host: HostConfig) -> Harness {
        let emulator = Emulator::start(emulator).await.unwrap();
        let config = HostConfig { cache_dir: Some(cache_dir()), ..host };
        let host = Host::load(bedrock_gateway::bundled_component(), config).unwrap();
        Harness { emulator, host }
    }

    /// SigV4 settings pointing at the emulator, merged with `extra` (which wins).
    pub fn settings(&self, extra: Value) -> String {
        let mut base = json!({
            "region": "us-east-1",
            "accessKeyId": DEMO_ACCESS_KEY_ID,
            "secretAccessKey": DEMO_SECRET_ACCESS_KEY,
            "baseUrl": self.emulator.base_url(),
            "languageModel": PROFILE_MODEL,
            "rerankingModel": "amazon-bedrock|cohere.rerank-v3-5:0",
        });
        merge(&mut base, extra);
        base.to_string()
    }

    /// Settings that make the emulator inject `fault` (sent as an unsigned custom header).
    pub fn fault(&self, fault: &str) -> String {
        self.settings(json!({"headers": {"x-emulator-fault": fault}}))
    }
}

/// Merges `extra` into `base`; a `null` removes the key.
pub fn merge(base: &mut Value, extra: Value) {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        for (k, v) in e {
            if v.is_null() {
                b.remove(&k);
            } else {
                b.insert(k, v);
            }
        }
    }
}

/// One compiled-component cache for the whole test run (the first test pays the compile).
pub fn cache_dir() -> std::path::PathBuf {
    std::env::temp_dir().join("bedrock-provider-test-cache")
}

/// A one-turn chat request.
pub fn chat(text: &str) -> GenerateRequest {
    GenerateRequest {
        messages: vec![Message { role: Role::User, content: vec![ContentPart::Text(text.into())] }],
        settings: InferenceSettings { ..Default::default() },
        ..Default::default()
    }
}

/// The same request for another model.
pub fn chat_with(model: &str, text: &str) -> GenerateRequest {
    GenerateRequest { model: Some(model.into()), ..chat(text) }
}

/// Pulls a stream to its end, returning the parts and the error that ended it, if any.
pub async fn drain(
    mut stream: bedrock_gateway::ChatStream,
) -> (Vec<StreamPart>, Option<ProviderError>) {
    let mut parts = Vec::new();
    loop {
        match stream.next().await {
            Ok(Some(p)) => parts.push(p),
            Ok(None) => return (parts, None),
            Err(e) => return (parts, Some(e)),
        }
    }
}

/// The text deltas of `parts`, joined.
pub fn text_of(parts: &[StreamPart]) -> String {
    parts
        .iter()
        .filter_map(|p| match p {
            StreamPart::TextDelta(d) => Some(d.text.as_str()),
            _ => None,
        })
        .collect()
}

//! `bedrock-gateway demo`: the whole product on a machine with no AWS account.
//!
//! Starts the local Bedrock emulator on loopback (it recomputes every SigV4 signature and
//! validates request shapes like AWS), points the component's `baseUrl` at it, and walks
//! through what an operator does: check the configuration (the setup checklist per model, a
//! passing one and one that names its fix), chat, stream, re-rank, ask for a structured answer,
//! embed, and read a mapped error. Every call goes through the sandboxed
//! component in the real host.

use std::io::Write;

use bedrock_emulator::{DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY, Emulator, EmulatorConfig};
use serde_json::{Value, json};

use crate::output;
use crate::settings;
use crate::types::*;
use crate::{ChatStream, Host};

/// The language model the demo configures: a US geo inference profile, which on-demand
/// callers of Claude Sonnet 4.5 must use.
const MODEL: &str = "amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0";
/// The bare model ID, which Bedrock (and the emulator) refuse for on-demand throughput.
const BARE_MODEL: &str = "amazon-bedrock|anthropic.claude-sonnet-4-5-20250929-v1:0";

/// Runs the demo, writing to `out`; returns the exit status (0 when every step behaved as
/// expected, including the errors it provokes on purpose).
pub async fn run(host: &Host, out: &mut dyn Write) -> u8 {
    let emulator = match Emulator::start(EmulatorConfig::default()).await {
        Ok(e) => e,
        Err(e) => {
            let _ = writeln!(out, "error: cannot start the local Bedrock emulator: {e}");
            return 1;
        }
    };
    let settings = json!({
        "region": "us-east-1",
        "accessKeyId": DEMO_ACCESS_KEY_ID,
        "secretAccessKey": DEMO_SECRET_ACCESS_KEY,
        "baseUrl": emulator.base_url(),
        "languageModel": MODEL,
        "rerankingModel": "amazon-bedrock|cohere.rerank-v3-5:0",
        "embeddingModel": "amazon-bedrock|amazon.titan-embed-text-v2:0",
    });
    let mut demo = Demo { host, settings: settings.to_string(), out, failures: 0 };
    demo.intro(&emulator, &settings);
    demo.check().await;
    demo.chat().await;
    demo.stream().await;
    demo.rerank().await;
    demo.structured().await;
    demo.embed().await;
    demo.mapped_error().await;
    demo.settings_error().await;
    demo.outro(&emulator);
    emulator.shutdown().await;
    u8::from(demo.failures > 0)
}

struct Demo<'a> {
    host: &'a Host,
    settings: String,
    out: &'a mut dyn Write,
    failures: u32,
}

impl Demo<'_> {
    fn say(&mut self, text: &str) {
        let _ = writeln!(self.out, "{text}");
        let _ = self.out.flush();
    }

    fn step(&mut self, title: &str) {
        self.say(&format!("\n== {title}"));
    }

    /// Reports a step that did not behave as the demo expects.
    fn unexpected(&mut self, what: &str, detail: &str) {
        self.failures += 1;
        self.say(&format!("!! unexpected {what}: {detail}"));
    }

    fn intro(&mut self, emulator: &Emulator, settings: &Value) {
        self.say(&format!(
            "A local Bedrock emulator is listening on {} (it verifies SigV4 signatures and \
             request shapes like AWS does).",
            emulator.base_url()
        ));
        self.say(
            "The provider settings, as a gateway's settings page stores them (secrets redacted):",
        );
        let shown = serde_json::to_string_pretty(&settings::redacted(
            settings,
            self.host.manifest().settings(),
        ))
        .unwrap_or_default();
        self.say(&shown);
    }

    async fn check(&mut self) {
        self.step("1. check: the setup checklist for each configured model, then a live call");
        match self.host.check(&self.settings).await {
            Ok(report) => {
                self.say(output::check_text(&Value::Null, &report, 100).trim_end());
                if !output::check_passed(&report) {
                    self.unexpected("check result", "the demo configuration should pass");
                }
            }
            Err(e) => self.unexpected("error", &output::error_text(&e)),
        }
        self.say(&format!(
            "\n> the same check with languageModel {BARE_MODEL} (the bare ID, without a profile)"
        ));
        let mut bare: Value = serde_json::from_str(&self.settings).unwrap_or_default();
        bare["languageModel"] = json!(BARE_MODEL);
        bare["rerankingModel"] = Value::Null;
        bare["embeddingModel"] = Value::Null;
        match self.host.check(&bare.to_string()).await {
            Ok(report) => {
                self.say(output::check_text(&Value::Null, &report, 100).trim_end());
                let on_demand = report.models.first().and_then(|m| m.rows.first());
                if !on_demand.is_some_and(|r| r.status == CheckStatus::Failed) {
                    self.unexpected("check result", "the bare ID should fail the on-demand row");
                }
            }
            Err(e) => self.unexpected("error", &output::error_text(&e)),
        }
    }

    async fn chat(&mut self) {
        self.step("2. chat");
        let prompt = "What does an AI gateway need from a Bedrock provider?";
        self.say(&format!("> {prompt}"));
        match self.host.generate(&self.settings, request(None, prompt)).await {
            Ok(answer) => {
                self.say(&format!("< {}", answer.text));
                self.say(&format!(
                    "  finish: {}, tokens: {} in / {} out, request id: {}",
                    finish_reason_name(answer.finish_reason),
                    answer.usage.input_tokens,
                    answer.usage.output_tokens,
                    answer.metadata.request_id.as_deref().unwrap_or("-")
                ));
            }
            Err(e) => self.unexpected("error", &output::error_text(&e)),
        }
    }

    async fn stream(&mut self) {
        self.step("3. streaming chat (ConverseStream, decoded part by part in the component)");
        let prompt = "Stream this answer, please.";
        self.say(&format!("> {prompt}"));
        match self.host.stream(&self.settings, request(None, prompt)).await {
            Ok(stream) => self.print_stream(stream).await,
            Err(e) => self.unexpected("error", &output::error_text(&e)),
        }
    }

    async fn print_stream(&mut self, mut stream: ChatStream) {
        let _ = write!(self.out, "< ");
        let mut deltas = 0;
        loop {
            match stream.next().await {
                Ok(Some(StreamPart::TextDelta(d))) => {
                    deltas += 1;
                    let _ = write!(self.out, "{}", d.text);
                    let _ = self.out.flush();
                }
                Ok(Some(StreamPart::Finish(f))) => {
                    self.say(&format!("\n  finish: {}", finish_reason_name(f.reason)));
                }
                Ok(Some(StreamPart::Usage(u))) => self.say(&format!(
                    "  tokens: {} in / {} out ({deltas} text deltas)",
                    u.input_tokens, u.output_tokens
                )),
                Ok(Some(_)) => {}
                Ok(None) => return,
                Err(e) => return self.unexpected("stream error", &output::error_text(&e)),
            }
        }
    }

    async fn rerank(&mut self) {
        self.step("4. re-ranking (cohere.rerank-v3-5:0 through the Rerank API)");
        let documents = [
            "Berlin is the capital of Germany.",
            "Paris is the capital of France.",
            "The Seine flows through Paris, the French capital.",
            "Bedrock is a fully managed service.",
        ];
        let request = RerankRequest {
            model: None,
            query: "What is the capital of France?".into(),
            documents: documents.iter().map(|d| RerankDocument::Text(d.to_string())).collect(),
            top_n: None,
            provider_options: None,
        };
        self.say("query: What is the capital of France?");
        match self.host.rerank(&self.settings, request).await {
            Ok(ranking) => {
                let table = output::rerank_table(&ranking, 100);
                self.say(table.trim_end());
            }
            Err(e) => self.unexpected("error", &output::error_text(&e)),
        }
    }

    async fn structured(&mut self) {
        self.step("5. a structured answer (outputConfig.textFormat: JSON that fits a schema)");
        let schema = json!({
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "country": {"type": "string"},
                "population": {"type": "integer"}
            },
            "required": ["city", "country", "population"],
            "additionalProperties": false
        });
        self.say(&format!("schema: {schema}"));
        let prompt = "Which is the largest city of France?";
        self.say(&format!("> {prompt}"));
        let mut request = request(None, prompt);
        request.response_format = Some(ResponseFormat::JsonSchema(JsonSchemaFormat {
            name: "city_facts".into(),
            description: None,
            schema_json: schema.to_string(),
            strict: true,
        }));
        match self.host.generate(&self.settings, request).await {
            Ok(answer) => match serde_json::from_str::<Value>(&answer.text) {
                Ok(Value::Object(_)) => self.say(&format!("< {}", answer.text)),
                _ => self.unexpected("answer", &format!("not a JSON object: {}", answer.text)),
            },
            Err(e) => self.unexpected("error", &output::error_text(&e)),
        }
    }

    async fn embed(&mut self) {
        self.step("6. embeddings (amazon.titan-embed-text-v2:0, one call per text, 8 at a time)");
        let texts = ["Paris is the capital of France.", "Berlin is the capital of Germany."];
        for t in texts {
            self.say(&format!("> {t}"));
        }
        let request = EmbedRequest {
            model: None,
            inputs: texts.iter().map(|t| EmbedInput::Text(t.to_string())).collect(),
            input_type: None,
            dimensions: Some(256),
            normalize: None,
            embedding_types: vec![],
            truncation: None,
            provider_options: None,
        };
        match self.host.embed(&self.settings, request).await {
            Ok(answer) => {
                let table = output::embed_table(&answer);
                self.say(table.trim_end());
            }
            Err(e) => self.unexpected("error", &output::error_text(&e)),
        }
    }

    async fn mapped_error(&mut self) {
        self.step("7. a mapped error: calling the bare model ID, which needs an inference profile");
        self.say(&format!("> chat --model {BARE_MODEL}"));
        match self.host.generate(&self.settings, request(Some(BARE_MODEL), "Hello")).await {
            Ok(_) => self.unexpected("success", "Bedrock refuses on-demand calls to this model"),
            Err(e) if e.kind == ErrorKind::OnDemandUnsupported => {
                self.say(output::error_text(&e).trim_end());
            }
            Err(e) => self.unexpected("error kind", &output::error_text(&e)),
        }
    }

    async fn settings_error(&mut self) {
        self.step("8. bad settings are refused before any request, naming the field");
        let bad = self.settings.replace("us-east-1", "US East");
        self.say("> region: \"US East\"");
        match self.host.generate(&bad, request(None, "Hello")).await {
            Ok(_) => self.unexpected("success", "an invalid region was accepted"),
            Err(e) if e.kind == ErrorKind::InvalidSettings => {
                self.say(output::error_text(&e).trim_end());
            }
            Err(e) => self.unexpected("error kind", &output::error_text(&e)),
        }
    }

    fn outro(&mut self, emulator: &Emulator) {
        let requests = emulator.requests();
        let verified = requests.iter().filter(|r| r.signature_valid == Some(true)).count();
        self.say(&format!(
            "\nThe emulator received {} requests; {verified} carried a SigV4 signature it verified.",
            requests.len()
        ));
        self.say(
            "Point the same settings at AWS by removing `baseUrl` and using real credentials:",
        );
        self.say("  ./dev gateway --settings settings.json check");
        if self.failures > 0 {
            self.say(&format!("{} step(s) did not behave as expected.", self.failures));
        }
    }
}

fn request(model: Option<&str>, prompt: &str) -> GenerateRequest {
    GenerateRequest {
        model: model.map(str::to_string),
        messages: vec![Message {
            role: Role::User,
            content: vec![ContentPart::Text(prompt.into())],
        }],
        settings: InferenceSettings { max_tokens: Some(200), ..Default::default() },
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn the_demo_runs_every_step_as_expected() {
        let host = Host::load(crate::bundled_component(), crate::HostConfig::default()).unwrap();
        let mut out = Vec::new();
        let status = run(&host, &mut out).await;
        let text = String::from_utf8(out).unwrap();
        assert_eq!(status, 0, "{text}");
        for expected in [
            "== 1. check",
            "Result: passed",
            "on-demand    FAILED",
            "fix: Use the inference profile",
            "Hello from the Bedrock emulator",
            "finish: stop",
            "Paris is the capital of France.",
            "on-demand-unsupported",
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "invalid-settings",
            "carried a SigV4 signature it verified",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
        assert!(!text.contains(DEMO_SECRET_ACCESS_KEY), "the demo printed the secret");
    }
}

//! `check`: the operator's setup checklist, answered model by model.
//!
//! For every configured model (language, re-ranking, embedding) it reads the facts from the
//! Bedrock control plane (`control_plane`), decides one row per requirement (`rows`): on-demand
//! throughput, availability in the region, access granted, lifecycle; then makes one live call
//! (a chat, a two-document re-ranking, or an embedding of one short text) and reports it as the
//! last row with its latency.
//!
//! A requirement that is not met is a failed row with its fix, never an error: the only errors
//! are what stops the check itself (no model configured). When the control plane cannot be read
//! (its own AccessDenied, an API key, the network), the row is unknown with the reason.

mod rows;
mod successors;
#[cfg(test)]
mod tests;

use std::time::Instant;

pub use rows::{ACCESS, Ctx, Facts, LIFECYCLE, LIVE_CALL, ON_DEMAND, REGION, Read, Target};

use crate::api::*;
use crate::client::Client;
use crate::control_plane::{self as cp, Availability, FoundationModel, InferenceProfile};
use crate::error::{ErrorKind, ProviderError, Result};
use crate::errors::{self, ErrorContext, Operation};
use crate::model_id::{ArnResourceType, ModelId, ModelKind};
use crate::region::geo_prefix;
use crate::settings::{Auth, Settings};
use crate::transport::Transport;

/// Pages of ListInferenceProfiles read at most (1000 profiles each) before giving up the search.
const MAX_PROFILE_PAGES: usize = 10;

/// The kinds of model a gateway configures, named as in the manifest's `settings.models`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The chat model (`languageModel`).
    Language,
    /// The re-ranking model (`rerankingModel`).
    Reranking,
    /// The embedding model (`embeddingModel`).
    Embedding,
}

impl Role {
    /// `language`, `reranking` or `embedding`.
    pub fn kind(self) -> &'static str {
        match self {
            Role::Language => "language",
            Role::Reranking => "reranking",
            Role::Embedding => "embedding",
        }
    }

    /// The setting that holds the model.
    pub fn setting(self) -> &'static str {
        match self {
            Role::Language => "languageModel",
            Role::Reranking => "rerankingModel",
            Role::Embedding => "embeddingModel",
        }
    }
}

/// The configured models, in checklist order. Every kind goes through the same rows; only the
/// live call differs by kind.
pub fn configured_models(settings: &Settings) -> Vec<(Role, ModelId)> {
    let mut models = Vec::new();
    if let Some(m) = &settings.language_model {
        models.push((Role::Language, m.clone()));
    }
    if let Some(m) = &settings.reranking_model {
        models.push((Role::Reranking, m.clone()));
    }
    if let Some(m) = &settings.embedding_model {
        models.push((Role::Embedding, m.clone()));
    }
    models
}

/// Runs the checklist for every configured model.
pub(crate) fn run(client: &Client, transport: &dyn Transport) -> Result<CheckReport> {
    let settings = client.settings();
    let models = configured_models(settings);
    if models.is_empty() {
        return Err(ProviderError::settings(
            "languageModel",
            "No model is configured, so there is nothing to check.",
            "Set `languageModel` (e.g. `amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0`) \
             and, for re-ranking or embeddings, `rerankingModel` (e.g. \
             `amazon-bedrock|cohere.rerank-v3-5:0`) or `embeddingModel` (e.g. \
             `amazon-bedrock|amazon.titan-embed-text-v2:0`).",
        ));
    }
    let mut warnings = Vec::new();
    if matches!(settings.auth, Auth::ApiKey(_)) {
        warnings.push(Warning::new(
            "check-api-key",
            "With a Bedrock API key, check makes the live call for each model (it shows whether the \
             model answers this key on demand in the region) but does not read the checklist from \
             the Bedrock control plane: on-demand support, regional availability, access and \
             lifecycle are unknown. Configure an access key pair, or read them in the Amazon \
             Bedrock console.",
        ));
    }
    let control_plane = settings.control_plane_endpoint().to_string();
    let mut checks = Vec::with_capacity(models.len());
    for (role, model) in &models {
        let mut reader = Reader::new(client, transport, model, role.setting(), &control_plane);
        let facts = gather(&mut reader, model, *role, &settings.region);
        let ctx = Ctx {
            region: &settings.region,
            role: *role,
            geo: geo_prefix(&settings.region),
            control_plane: &control_plane,
        };
        let mut model_rows = vec![
            rows::on_demand(&facts, &ctx),
            rows::region(&facts, &ctx),
            rows::access(&facts, &ctx),
            rows::lifecycle(&facts, &ctx),
        ];
        warnings.append(&mut reader.warnings);
        let (live, live_warnings) = live_call(client, transport, *role, model);
        model_rows.push(live);
        warnings.extend(live_warnings);
        checks.push(ModelCheck {
            kind: role.kind().to_string(),
            setting: role.setting().to_string(),
            model: model.as_str().to_string(),
            rows: model_rows,
        });
    }
    Ok(CheckReport {
        region: settings.region.clone(),
        endpoint: settings.runtime_endpoint().to_string(),
        control_plane_endpoint: control_plane,
        auth: settings.auth_summary(),
        models: checks,
        warnings,
    })
}

/// What the model string names, for the control-plane reads.
pub fn target_of(model: &ModelId) -> Target {
    match model.kind() {
        ModelKind::Base => Target::Base(model.as_str().to_string()),
        ModelKind::InferenceProfile { .. } => Target::Profile {
            id: model.as_str().to_string(),
            base: model.base_model_id().map(str::to_string),
        },
        ModelKind::Arn { resource_type, resource, .. } => match resource_type {
            ArnResourceType::FoundationModel => Target::Base(resource.clone()),
            ArnResourceType::InferenceProfile | ArnResourceType::ApplicationInferenceProfile => {
                Target::Profile {
                    id: model.as_str().to_string(),
                    base: model.base_model_id().map(str::to_string),
                }
            }
            other => Target::Other(other.as_str()),
        },
    }
}

/// Reads what the rows of one model need, and, only when a fix needs them, the inference
/// profiles that could replace it.
fn gather(reader: &mut Reader, model: &ModelId, role: Role, region: &str) -> Facts {
    let target = target_of(model);
    let mut facts = Facts {
        target: target.clone(),
        base: None,
        profile: None,
        model: None,
        availability: None,
        alternatives: None,
    };
    let mut base = match &target {
        Target::Base(b) => Some(b.clone()),
        Target::Profile { base, .. } => base.clone(),
        Target::Other(_) => None,
    };
    if let Target::Profile { id, .. } = &target {
        let read = reader.profile(id);
        // An application profile's ID names no model; its routes do.
        if base.is_none()
            && let Read::Got { value, .. } = &read
        {
            base = value.base_models().into_iter().next();
        }
        facts.profile = Some(read);
    }
    if let Some(b) = &base {
        facts.model = Some(reader.foundation_model(b));
        facts.availability = Some(reader.availability(b));
    }
    facts.base = base;
    if rows::wants_alternatives(&facts, role)
        && let Some(b) = facts.base.clone()
    {
        facts.alternatives = Some(reader.alternatives(&b, region));
    }
    facts
}

/// Control-plane reads for one model, each turned into a [`Read`].
struct Reader<'a> {
    client: &'a Client,
    transport: &'a dyn Transport,
    model: &'a ModelId,
    /// The setting that holds `model`, which the reads' errors name.
    setting: &'static str,
    /// Set when the credentials are not used on the control plane (an API key).
    not_read: Option<(String, String)>,
    warnings: Vec<Warning>,
}

impl<'a> Reader<'a> {
    fn new(
        client: &'a Client,
        transport: &'a dyn Transport,
        model: &'a ModelId,
        setting: &'static str,
        control_plane: &str,
    ) -> Self {
        let settings = client.settings();
        let not_read = matches!(settings.auth, Auth::ApiKey(_)).then(|| {
            (
                "Not read: with a Bedrock API key (`apiKey`), check does not call the Bedrock \
                 control plane, where this is recorded; it reads it with an access key pair \
                 (SigV4) only. The live call below still tests the key."
                    .to_string(),
                format!(
                    "Read it in the AWS console (Amazon Bedrock in {} -> Model catalog, and Model \
                     access), or set `accessKeyId` and `secretAccessKey` for an IAM identity allowed \
                     bedrock:GetFoundationModel, bedrock:GetFoundationModelAvailability, \
                     bedrock:GetInferenceProfile and bedrock:ListInferenceProfiles on {control_plane}.",
                    settings.region
                ),
            )
        });
        Reader { client, transport, model, setting, not_read, warnings: Vec::new() }
    }

    fn read<T>(
        &mut self,
        operation: Operation,
        name: &str,
        path: &str,
        parse: fn(&[u8]) -> std::result::Result<T, String>,
    ) -> Read<T> {
        if let Some((evidence, fix)) = &self.not_read {
            return Read::NotRead { evidence: evidence.clone(), fix: fix.clone() };
        }
        let ctx = ErrorContext {
            model_setting: Some(self.setting),
            ..self.client.error_context(self.model, operation)
        };
        match cp::get(self.client, self.transport, &ctx, path) {
            Ok(answer) => {
                self.warnings.extend(answer.warnings);
                match parse(&answer.body) {
                    Ok(value) => Read::Got { value, request_id: answer.request_id },
                    Err(why) => Read::Failed(cp::not_the_answer(name, &why, answer.request_id)),
                }
            }
            Err(e) => classify(e, operation),
        }
    }

    fn foundation_model(&mut self, base: &str) -> Read<FoundationModel> {
        let path = cp::foundation_model_path(base);
        self.read(
            Operation::GetFoundationModel,
            "GetFoundationModel",
            &path,
            cp::parse_foundation_model,
        )
    }

    fn availability(&mut self, base: &str) -> Read<Availability> {
        let path = cp::availability_path(base);
        self.read(
            Operation::GetFoundationModelAvailability,
            "GetFoundationModelAvailability",
            &path,
            cp::parse_availability,
        )
    }

    fn profile(&mut self, id: &str) -> Read<InferenceProfile> {
        let path = cp::inference_profile_path(id);
        self.read(
            Operation::GetInferenceProfile,
            "GetInferenceProfile",
            &path,
            cp::parse_inference_profile,
        )
    }

    /// The system-defined profiles offered in `region` that route to `base`, the region's own
    /// geography first and `global.` last: GetInferenceProfile of the expected `<geo>.<base>`
    /// first (one small read), else ListInferenceProfiles page by page.
    fn alternatives(&mut self, base: &str, region: &str) -> Read<Vec<InferenceProfile>> {
        let geo = geo_prefix(region);
        if let Some(geo) = geo {
            match self.profile(&format!("{geo}.{base}")) {
                Read::Got { value, request_id } if value.serves(base) => {
                    return Read::Got { value: vec![value], request_id };
                }
                // Missing, or denied: the listing may still find one (or say why not).
                _ => {}
            }
        }
        let mut found: Vec<InferenceProfile> = Vec::new();
        let mut token: Option<String> = None;
        let mut first_id = None;
        for _ in 0..MAX_PROFILE_PAGES {
            let path = cp::list_inference_profiles_path(token.as_deref());
            let page = match self.read(
                Operation::ListInferenceProfiles,
                "ListInferenceProfiles",
                &path,
                cp::parse_profile_page,
            ) {
                Read::Got { value, request_id } => {
                    first_id = first_id.or(request_id);
                    value
                }
                problem => return problem.problem(),
            };
            found.extend(page.profiles.into_iter().filter(|p| p.serves(base)));
            match page.next_token {
                Some(next) if token.as_deref() != Some(next.as_str()) => token = Some(next),
                _ => break,
            }
        }
        let rank = |p: &InferenceProfile| {
            let prefix = p.id.split('.').next().unwrap_or_default();
            if Some(prefix) == geo {
                0
            } else if prefix == "global" {
                2
            } else {
                1
            }
        };
        found.sort_by_key(rank);
        Read::Got { value: found, request_id: first_id }
    }
}

/// Sorts a failed read: the control plane's own AccessDenied (a missing read permission), an
/// unknown model or profile (only when AWS said so, with its error code: a gateway's bare 404
/// says nothing about the model), or anything else.
fn classify<T>(e: ProviderError, operation: Operation) -> Read<T> {
    let aws_code = e.code.as_deref();
    match e.kind {
        ErrorKind::AccessDenied => Read::Denied {
            action: errors::denied_action(&e.message)
                .unwrap_or_else(|| operation.iam_action().to_string()),
            message: e.message,
            request_id: e.request_id,
        },
        ErrorKind::ModelNotFound
            if matches!(aws_code, Some("ResourceNotFoundException" | "ValidationException")) =>
        {
            Read::NotFound { message: e.message, request_id: e.request_id }
        }
        _ => Read::Failed(e),
    }
}

/// The prompt of the live chat call: short, so the check costs a few tokens.
const LIVE_PROMPT: &str = "Reply with exactly OK.";
/// The live re-ranking call's query and documents.
const LIVE_QUERY: &str = "What is the capital of France?";
const LIVE_DOCUMENTS: [&str; 2] =
    ["Berlin is the capital of Germany.", "Paris is the capital of France."];
/// The live embedding call's one input.
const LIVE_EMBED_TEXT: &str = "Paris is the capital of France.";

/// The last row: one real request to the model, timed.
fn live_call(
    client: &Client,
    transport: &dyn Transport,
    role: Role,
    model: &ModelId,
) -> (CheckRow, Vec<Warning>) {
    let started = Instant::now();
    let elapsed = || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let (result, operation) = match role {
        Role::Language => {
            let request = GenerateRequest {
                model: Some(model.as_str().to_string()),
                messages: vec![Message {
                    role: crate::api::Role::User,
                    content: vec![ContentPart::Text(LIVE_PROMPT.into())],
                }],
                settings: InferenceSettings { max_tokens: Some(16), ..Default::default() },
                ..Default::default()
            };
            let result = client.generate(transport, request).map(|answer| {
                let ms = elapsed();
                let text: String = answer.text.chars().take(60).collect();
                let evidence = format!(
                    "Converse answered {text:?} in {ms} ms (model `{}`).",
                    answer.metadata.model
                );
                (evidence, answer.metadata.request_id, ms, answer.warnings)
            });
            (result, "Converse")
        }
        Role::Reranking => {
            let request = RerankRequest {
                model: Some(model.as_str().to_string()),
                query: LIVE_QUERY.into(),
                documents: LIVE_DOCUMENTS
                    .iter()
                    .map(|d| RerankDocument::Text(d.to_string()))
                    .collect(),
                top_n: None,
                provider_options: None,
            };
            let result = client.rerank(transport, request).map(|ranking| {
                let ms = elapsed();
                let first = ranking
                    .results
                    .first()
                    .map(|r| {
                        format!(" (first: document {}, score {:.3})", r.index, r.relevance_score)
                    })
                    .unwrap_or_default();
                let evidence = format!(
                    "Re-ranking ranked {} documents in {ms} ms{first}.",
                    ranking.results.len()
                );
                (evidence, ranking.metadata.request_id, ms, ranking.warnings)
            });
            (result, "Re-ranking")
        }
        Role::Embedding => {
            let request = EmbedRequest {
                model: Some(model.as_str().to_string()),
                inputs: vec![EmbedInput::Text(LIVE_EMBED_TEXT.into())],
                ..Default::default()
            };
            let result = client.embed(transport, request).map(|answer| {
                let ms = elapsed();
                let evidence = format!(
                    "Embedding returned {} vector(s) of {} dimensions in {ms} ms (model `{}`).",
                    answer.embeddings.len(),
                    answer.dimensions,
                    answer.metadata.model
                );
                (evidence, answer.metadata.request_id, ms, answer.warnings)
            });
            (result, "Embedding")
        }
    };
    match result {
        Ok((evidence, request_id, ms, warnings)) => (
            CheckRow {
                requirement: LIVE_CALL.into(),
                status: CheckStatus::Passed,
                evidence,
                fix: None,
                request_id,
                latency_ms: Some(ms),
            },
            warnings,
        ),
        Err(e) => {
            let ms = elapsed();
            let cause = e.cause.as_ref().map(|c| format!(" {c}")).unwrap_or_default();
            (
                CheckRow {
                    requirement: LIVE_CALL.into(),
                    status: CheckStatus::Failed,
                    evidence: format!(
                        "{operation} failed after {ms} ms ({}): {}{cause}",
                        e.kind.as_str(),
                        e.message
                    ),
                    fix: e.solution.clone(),
                    request_id: e.request_id.clone(),
                    latency_ms: Some(ms),
                },
                Vec::new(),
            )
        }
    }
}

//! Embeddings through InvokeModel: one request becomes as many upstream calls as the model
//! needs (Titan v2: one per text; Cohere: batches of 96), sent [`MAX_IN_FLIGHT`] at a time
//! through [`crate::transport::Transport::send_all`] in waves (64 Titan calls, 8 Cohere calls)
//! whose answers are parsed before the next wave starts, and the vectors come back in input
//! order.
//!
//! Limits are checked before anything is sent (`models`); usage is the sum of the
//! `X-Amzn-Bedrock-Input-Token-Count` headers (Titan's `inputTextTokenCount` when a header is
//! missing), and a `usage-missing` warning says when some call reported neither.

mod models;
#[cfg(test)]
mod tests;

pub use models::{Family, pack_bits};

use serde_json::{Map, Value};

use crate::api::{EmbedRequest, EmbedResponse, Embedding, ResponseMetadata, Warning};
use crate::client::Client;
use crate::error::{ProviderError, Result};
use crate::errors::Operation;
use crate::transport::Transport;

/// Upstream calls in flight at once.
pub const MAX_IN_FLIGHT: usize = 8;
/// Inputs per Cohere call.
pub const COHERE_BATCH: usize = 96;
/// Inputs per request (OpenAI's own limit for `/v1/embeddings`).
pub const MAX_INPUTS: usize = 2048;
/// Largest answer of one call (96 vectors of 1536 floats in JSON are about 3 MB).
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Runs one embedding request for `client`.
pub(crate) fn embed(
    client: &Client,
    transport: &dyn Transport,
    request: EmbedRequest,
) -> Result<EmbedResponse> {
    let model = client.embedding_model(request.model.as_deref())?;
    let family = Family::of(&model)
        .map_err(|e| if request.model.is_none() { e.with_field("embeddingModel") } else { e })?;
    if request.inputs.is_empty() {
        return Err(ProviderError::request("inputs", "There is nothing to embed."));
    }
    if request.inputs.len() > MAX_INPUTS {
        return Err(ProviderError::request(
            "inputs",
            format!(
                "{} inputs were given; at most {MAX_INPUTS} are embedded per request.",
                request.inputs.len()
            ),
        )
        .with_solution("Send the inputs in several requests."));
    }
    let extra = options(request.provider_options.as_deref())?;
    let mut warnings = Vec::new();
    let plan = models::plan(family, &request, &extra, &mut warnings)?;
    let ctx = client.error_context(&model, Operation::Embed);
    let accept = vec![("accept".to_string(), "application/json".to_string())];
    let mut slots: Vec<Option<Embedding>> = request.inputs.iter().map(|_| None).collect();
    let mut input_tokens = 0u64;
    let mut usage_missing = 0;
    let mut first_request_id = None;
    // Answers are parsed wave by wave so that only one wave's bodies are held at once: 96
    // Cohere vectors of 1536 floats are about 1.5 MB of JSON, and the sandbox has 64 MiB.
    let wave = match family {
        Family::TitanV2 => MAX_IN_FLIGHT * 8,
        Family::CohereV3 | Family::CohereV4 => MAX_IN_FLIGHT,
    };
    for calls in plan.calls.chunks(wave) {
        let received = client.send_many(
            transport,
            &ctx,
            calls.len(),
            &|i, time| {
                client.model_request(&model, "invoke", accept.clone(), calls[i].body.clone(), time)
            },
            MAX_IN_FLIGHT,
            MAX_BODY_BYTES,
        )?;
        for (call, response) in calls.iter().zip(received) {
            let request_id = response.header("x-amzn-requestid").map(str::to_string);
            if first_request_id.is_none() {
                first_request_id.clone_from(&request_id);
            }
            let (embeddings, body_tokens) =
                models::parse(family, &response.body, &call.indices, &plan, &request_id)?;
            let header_tokens = response
                .header("x-amzn-bedrock-input-token-count")
                .and_then(|v| v.trim().parse::<u64>().ok());
            match header_tokens.or(body_tokens) {
                Some(n) => input_tokens += n,
                None => usage_missing += 1,
            }
            for embedding in embeddings {
                if let Some(slot) = slots.get_mut(embedding.index as usize) {
                    *slot = Some(embedding);
                }
            }
        }
    }
    if usage_missing > 0 {
        warnings.push(Warning::new(
            "usage-missing",
            format!("{usage_missing} of {} upstream calls reported no input token count; usage counts the others only.", plan.calls.len()),
        ));
    }
    let embeddings = slots.into_iter().collect::<Option<Vec<Embedding>>>().ok_or_else(|| {
        crate::errors::invalid_response(
            "Bedrock's answers did not cover every input.",
            first_request_id.clone(),
        )
    })?;
    Ok(EmbedResponse {
        embeddings,
        dimensions: plan.dimensions,
        input_tokens,
        metadata: ResponseMetadata {
            model: model.as_str().to_string(),
            request_id: first_request_id,
            latency_ms: None,
        },
        warnings,
    })
}

/// Provider options: `{"additionalModelRequestFields": {...}}`, merged into every call's body
/// (e.g. Cohere v4's `max_tokens`).
fn options(json: Option<&str>) -> Result<Map<String, Value>> {
    let Some(json) = json.filter(|s| !s.trim().is_empty()) else { return Ok(Map::new()) };
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(json) else {
        return Err(ProviderError::request(
            "providerOptions",
            "Provider options must be a JSON object.",
        ));
    };
    let mut extra = Map::new();
    for (key, value) in map {
        match (key.as_str(), value) {
            ("additionalModelRequestFields", Value::Object(fields)) => extra = fields,
            ("additionalModelRequestFields", _) => {
                return Err(ProviderError::request(
                    "providerOptions.additionalModelRequestFields",
                    "`additionalModelRequestFields` must be a JSON object.",
                ));
            }
            (other, _) => {
                return Err(ProviderError::request(
                    format!("providerOptions.{other}"),
                    format!(
                        "`{other}` is not an embedding provider option; the only one is `additionalModelRequestFields`."
                    ),
                ));
            }
        }
    }
    Ok(extra)
}

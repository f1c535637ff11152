//! Re-ranking, over either of Bedrock's two wire paths.
//!
//! - The Agents-for-Bedrock-Runtime `Rerank` API (`POST /rerank` on bedrock-agent-runtime):
//!   SigV4 only, takes a foundation-model ARN and inline TEXT or JSON sources.
//! - `InvokeModel` on bedrock-runtime with the model's native body (Cohere or Amazon): works
//!   with a Bedrock API key, which the agent runtime does not accept.
//!
//! The API's own default `numberOfResults` is 5, which silently drops documents; we always send
//! the caller's top-n or the number of documents.

use serde_json::{Map, Value, json};

use crate::api::*;
use crate::client::{Client, request_id};
use crate::error::{ErrorKind, ProviderError, Result};
use crate::errors::{self, Operation};
use crate::model_id::{self, ModelId, ModelKind};
use crate::settings::{Auth, RerankApi};
use crate::transport::Transport;

/// Limits of the Rerank API (spec 11.1), checked before sending.
const MAX_DOCUMENTS: usize = 1000;
/// Characters per query or text document.
const MAX_TEXT_CHARS: usize = 32_000;
/// Largest response body accepted.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Runs one re-ranking call for `client`.
pub(crate) fn rerank(
    client: &Client,
    transport: &dyn Transport,
    request: RerankRequest,
) -> Result<RerankResponse> {
    let settings = client.settings();
    let model = match request.model.as_deref() {
        Some(spec) => model_id::parse_spec(spec).map_err(|e| e.with_field("model"))?,
        None => settings.reranking_model.clone().ok_or_else(|| {
            ProviderError::settings(
                "rerankingModel",
                "No re-ranking model is configured and the request names none.",
                "Set `rerankingModel`, e.g. `amazon-bedrock|cohere.rerank-v3-5:0`, or pass a model with the request.",
            )
        })?,
    };
    validate(&request)?;
    let options = RerankOptions::parse(request.provider_options.as_deref())?;
    let bearer = matches!(settings.auth, Auth::ApiKey(_));
    let api = match settings.rerank_api {
        Some(RerankApi::Rerank) if bearer => {
            return Err(ProviderError::settings(
                "rerankApi",
                "The Rerank API cannot be used with a Bedrock API key.",
                "Agents for Amazon Bedrock do not accept API keys: remove `rerankApi` (InvokeModel is then used) or authenticate with an access key pair.",
            ));
        }
        Some(api) => api,
        None if bearer => RerankApi::InvokeModel,
        None => RerankApi::Rerank,
    };
    let top_n = effective_top_n(&request)?;
    let mut warnings = Vec::new();
    let sent = match api {
        RerankApi::Rerank => {
            let arn = model_arn(client, &model)?;
            let body = rerank_api_body(&request, &arn, top_n, &options);
            let endpoint = settings.agent_runtime_endpoint();
            let path = endpoint.path("/rerank");
            let ctx = client.error_context(&model, Operation::Rerank);
            client.send(transport, &ctx, client.deadline(), &|time| {
                client.signed_request(&endpoint, path.clone(), vec![], body.clone(), time)
            })?
        }
        RerankApi::InvokeModel => {
            let body = invoke_model_body(&request, &model, top_n, &options, &mut warnings)?;
            let endpoint = settings.runtime_endpoint();
            let path = endpoint.path(&format!("/model/{}/invoke", model.path_label()));
            // InvokeModel negotiates its answer type; sent unsigned like the custom headers.
            let accept = vec![("accept".to_string(), "application/json".to_string())];
            let ctx = client.error_context(&model, Operation::RerankInvokeModel);
            client.send(transport, &ctx, client.deadline(), &|time| {
                client.signed_request(&endpoint, path.clone(), accept.clone(), body.clone(), time)
            })?
        }
    };
    warnings.extend(sent.warnings);
    let mut response = sent.response;
    let request_id = request_id(&response);
    let raw = response.read_to_end(MAX_BODY_BYTES).map_err(ProviderError::from)?;
    let results = parse_results(&raw, &request.documents, request_id.clone())?;
    Ok(RerankResponse {
        results: results.into_iter().take(top_n).collect(),
        metadata: ResponseMetadata {
            model: model.as_str().to_string(),
            request_id,
            latency_ms: None,
        },
        warnings,
    })
}

/// Checks the documented limits before anything is sent.
fn validate(request: &RerankRequest) -> Result<()> {
    if request.query.trim().is_empty() {
        return Err(ProviderError::request("query", "The re-ranking query is empty."));
    }
    if request.query.chars().count() > MAX_TEXT_CHARS {
        return Err(ProviderError::request(
            "query",
            format!("The re-ranking query is longer than {MAX_TEXT_CHARS} characters."),
        ));
    }
    if request.documents.is_empty() {
        return Err(ProviderError::request("documents", "There are no documents to re-rank."));
    }
    if request.documents.len() > MAX_DOCUMENTS {
        return Err(ProviderError::request(
            "documents",
            format!(
                "{} documents were given; Bedrock re-ranks at most {MAX_DOCUMENTS} per call.",
                request.documents.len()
            ),
        ));
    }
    for (i, doc) in request.documents.iter().enumerate() {
        let field = format!("documents[{i}]");
        match doc {
            RerankDocument::Text(t) if t.trim().is_empty() => {
                return Err(ProviderError::request(field, "A document is empty."));
            }
            RerankDocument::Text(t) if t.chars().count() > MAX_TEXT_CHARS => {
                return Err(ProviderError::request(
                    field,
                    format!("A document is longer than {MAX_TEXT_CHARS} characters."),
                ));
            }
            RerankDocument::Json(j) => match serde_json::from_str::<Value>(j) {
                Ok(Value::Object(_)) => {}
                _ => {
                    return Err(ProviderError::request(
                        field,
                        "A JSON document must be a JSON object.",
                    ));
                }
            },
            RerankDocument::Text(_) => {}
        }
    }
    Ok(())
}

/// The number of results to ask for: top-n, else every document.
fn effective_top_n(request: &RerankRequest) -> Result<usize> {
    let n = request.documents.len();
    match request.top_n {
        None => Ok(n),
        Some(0) => Err(ProviderError::request("topN", "top-n must be at least 1.")),
        Some(k) => Ok((k as usize).min(n)),
    }
}

/// Provider options accepted for re-ranking.
#[derive(Default)]
struct RerankOptions {
    additional_fields: Option<Map<String, Value>>,
}

impl RerankOptions {
    fn parse(json: Option<&str>) -> Result<Self> {
        let Some(json) = json.filter(|s| !s.trim().is_empty()) else { return Ok(Self::default()) };
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(json) else {
            return Err(ProviderError::request(
                "providerOptions",
                "Provider options must be a JSON object.",
            ));
        };
        let mut options = Self::default();
        for (key, value) in map {
            match (key.as_str(), value) {
                ("additionalModelRequestFields", Value::Object(fields)) => {
                    options.additional_fields = Some(fields);
                }
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
                            "`{other}` is not a re-ranking provider option; the only one is `additionalModelRequestFields`."
                        ),
                    ));
                }
            }
        }
        Ok(options)
    }
}

/// The model ARN the Rerank API needs: `arn:<partition>:bedrock:<region>::foundation-model/<id>`.
fn model_arn(client: &Client, model: &ModelId) -> Result<String> {
    let settings = client.settings();
    match model.kind() {
        ModelKind::Arn { .. } => Ok(model.as_str().to_string()),
        ModelKind::InferenceProfile { .. } => Err(ProviderError::request(
            "rerankingModel",
            format!("`{}` is a cross-region inference profile; re-ranking does not support cross-region calls.", model.as_str()),
        )
        .with_solution(format!(
            "Use the base model ID, e.g. `amazon-bedrock|{}`.",
            model.base_model_id().unwrap_or("cohere.rerank-v3-5:0")
        ))),
        ModelKind::Base => Ok(model_id::foundation_model_arn(
            settings.partition,
            &settings.region,
            model.as_str(),
        )),
    }
}

/// The Agents-for-Bedrock-Runtime `Rerank` body (spec 11.1).
fn rerank_api_body(
    request: &RerankRequest,
    arn: &str,
    top_n: usize,
    options: &RerankOptions,
) -> Vec<u8> {
    let sources: Vec<Value> = request
        .documents
        .iter()
        .map(|doc| {
            let inline = match doc {
                RerankDocument::Text(t) => json!({"type": "TEXT", "textDocument": {"text": t}}),
                RerankDocument::Json(j) => {
                    let v: Value = serde_json::from_str(j).unwrap_or(Value::Null);
                    json!({"type": "JSON", "jsonDocument": v})
                }
            };
            json!({"type": "INLINE", "inlineDocumentSource": inline})
        })
        .collect();
    let mut model_configuration = json!({"modelArn": arn});
    if let Some(fields) = &options.additional_fields {
        model_configuration["additionalModelRequestFields"] = Value::Object(fields.clone());
    }
    let body = json!({
        "queries": [{"type": "TEXT", "textQuery": {"text": request.query}}],
        "sources": sources,
        "rerankingConfiguration": {
            "type": "BEDROCK_RERANKING_MODEL",
            "bedrockRerankingConfiguration": {
                "numberOfResults": top_n,
                "modelConfiguration": model_configuration,
            }
        }
    });
    body.to_string().into_bytes()
}

/// The model-native InvokeModel body (spec 11.3): Cohere needs `api_version: 2`, Amazon forbids it.
fn invoke_model_body(
    request: &RerankRequest,
    model: &ModelId,
    top_n: usize,
    options: &RerankOptions,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<u8>> {
    let mut json_documents = 0;
    let documents: Vec<Value> = request
        .documents
        .iter()
        .map(|doc| match doc {
            RerankDocument::Text(t) => Value::String(t.clone()),
            RerankDocument::Json(j) => {
                json_documents += 1;
                Value::String(j.clone())
            }
        })
        .collect();
    if json_documents > 0 {
        warnings.push(Warning::new(
            "json-documents-as-text",
            format!("{json_documents} JSON document(s) were sent as their JSON text: the model's native API ranks strings."),
        ));
    }
    let mut body = Map::new();
    body.insert("query".into(), Value::String(request.query.clone()));
    body.insert("documents".into(), Value::Array(documents));
    body.insert("top_n".into(), json!(top_n));
    match model.provider() {
        Some("cohere") => {
            body.insert("api_version".into(), json!(2));
        }
        Some("amazon") => {}
        _ => {
            return Err(ProviderError::new(
                ErrorKind::Unsupported,
                format!("`{}` is not a re-ranking model this provider knows how to call through InvokeModel.", model.as_str()),
            )
            .with_field("rerankingModel")
            .with_solution("Use `cohere.rerank-v3-5:0` or `amazon.rerank-v1:0`."));
        }
    }
    if let Some(fields) = &options.additional_fields {
        for (k, v) in fields {
            body.insert(k.clone(), v.clone());
        }
    }
    Ok(Value::Object(body).to_string().into_bytes())
}

/// Reads either wire path's answer (`relevanceScore` or `relevance_score`), most relevant first.
fn parse_results(
    body: &[u8],
    documents: &[RerankDocument],
    request_id: Option<String>,
) -> Result<Vec<RerankResult>> {
    let invalid = |detail: String| errors::invalid_response(detail, request_id.clone());
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("The re-ranking answer is not JSON ({e}).")))?;
    let Some(items) = value.get("results").and_then(Value::as_array) else {
        if let Some(type_name) = value.pointer("/Output/__type").and_then(Value::as_str) {
            return Err(errors::wrong_route(type_name, request_id));
        }
        return Err(invalid("The re-ranking answer has no `results` array.".into()));
    };
    let mut results = Vec::with_capacity(items.len());
    for item in items {
        let index = item.get("index").and_then(Value::as_u64);
        let score = item
            .get("relevanceScore")
            .or_else(|| item.get("relevance_score"))
            .and_then(Value::as_f64);
        let (Some(index), Some(score)) = (index, score) else {
            return Err(invalid("A re-ranking result lacks its index or score.".into()));
        };
        let Some(document) = usize::try_from(index).ok().and_then(|i| documents.get(i)) else {
            return Err(invalid(format!(
                "A re-ranking result points at document {index}, but only {} were sent.",
                documents.len()
            )));
        };
        results.push(RerankResult {
            index: index as u32,
            relevance_score: score,
            document: document.clone(),
        });
    }
    results.sort_by(|a, b| {
        b.relevance_score.total_cmp(&a.relevance_score).then(a.index.cmp(&b.index))
    });
    Ok(results)
}

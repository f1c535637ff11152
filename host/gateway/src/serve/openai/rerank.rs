//! `POST /v1/rerank` in Cohere's and Jina's shape (what LangChain, LlamaIndex and LiteLLM
//! send): the request → [`RerankRequest`], the ranking → `{id, model, results, usage}`.

use json_fields::{Fields, index};
use serde_json::{Value, json};

use super::{model_field, parse_body};
use crate::serve::error::ApiError;
use crate::serve::params::ParamMap;
use crate::types::{RerankDocument, RerankRequest, RerankResponse};

/// A parsed `POST /v1/rerank` body.
#[derive(Debug, Clone)]
pub struct RerankCall {
    /// What goes to the component.
    pub request: RerankRequest,
    /// The documents as the client sent them, echoed back in the results.
    pub documents: Vec<Value>,
    /// Whether results carry their document (default true).
    pub return_documents: bool,
    /// How the component's fields map back onto this request's (for `param`).
    pub params: ParamMap,
}

/// Maps a Cohere/Jina-style re-rank body to a [`RerankRequest`]. Documents may be strings,
/// `{"text": ...}` objects (ranked as text) or other JSON objects (ranked as JSON).
pub fn parse_rerank(body: &[u8]) -> Result<RerankCall, ApiError> {
    let value = parse_body(body)?;
    let f = Fields::of(&value, "")?;
    let model = model_field(&f)?;
    let query = f.req_str("query")?.to_string();
    let documents = f.req_array("documents")?.to_vec();
    let converted = documents
        .iter()
        .enumerate()
        .map(|(i, d)| match d {
            Value::String(s) => Ok(RerankDocument::Text(s.clone())),
            Value::Object(o) if o.len() == 1 && o.get("text").is_some_and(Value::is_string) => {
                Ok(RerankDocument::Text(o["text"].as_str().unwrap_or_default().to_string()))
            }
            Value::Object(_) => Ok(RerankDocument::Json(d.to_string())),
            other => Err(json_fields::FieldError::wrong_type(
                index("documents", i),
                other,
                "a string or an object",
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let top_n = f.opt_u32("top_n")?;
    if top_n == Some(0) {
        return Err(ApiError::invalid_request("top_n", "`top_n` must be at least 1."));
    }
    let return_documents = f.opt_bool("return_documents")?.unwrap_or(true);
    let mut params = ParamMap::default();
    for (component, client) in
        [("model", "model"), ("rerankingModel", "model"), ("query", "query"), ("topN", "top_n")]
    {
        params.exact(component, client);
    }
    params.tree("documents", "documents");
    let mut request = RerankRequest::new(query, converted);
    request.model = model;
    request.top_n = top_n;
    Ok(RerankCall { request, documents, return_documents, params })
}

/// Bedrock bills re-ranking per query of up to 100 documents: Cohere's "search unit".
const DOCUMENTS_PER_SEARCH_UNIT: usize = 100;

/// `{id, model, results: [{index, relevance_score, document}], usage}`; `model` is the ID as
/// answers show it.
pub fn rerank_response(id: &str, model: &str, call: &RerankCall, r: &RerankResponse) -> Value {
    let results: Vec<Value> = r
        .results
        .iter()
        .map(|result| {
            let mut item =
                json!({"index": result.index, "relevance_score": result.relevance_score});
            if call.return_documents {
                let original =
                    call.documents.get(result.index as usize).cloned().unwrap_or(Value::Null);
                item["document"] = match original {
                    Value::String(text) => json!({"text": text}),
                    other => other,
                };
            }
            item
        })
        .collect();
    json!({
        "id": id,
        "model": model,
        "results": results,
        "usage": {"search_units": call.documents.len().div_ceil(DOCUMENTS_PER_SEARCH_UNIT).max(1)},
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::types::{RerankResult, ResponseMetadata};

    #[test]
    fn rerank_round_trip() {
        let body = json!({"model": "cohere.rerank-v3-5:0", "query": "capital of France",
            "documents": ["Berlin", {"text": "Paris"}, {"title": "Seine", "body": "river"}],
            "top_n": 2});
        let call = parse_rerank(body.to_string().as_bytes()).unwrap();
        assert_eq!(call.request.model.as_deref(), Some("cohere.rerank-v3-5:0"));
        assert_eq!(call.request.top_n, Some(2));
        assert!(call.return_documents);
        assert!(matches!(&call.request.documents[0], RerankDocument::Text(t) if t == "Berlin"));
        assert!(matches!(&call.request.documents[1], RerankDocument::Text(t) if t == "Paris"));
        assert!(
            matches!(&call.request.documents[2], RerankDocument::Json(j) if j.contains("Seine"))
        );
        assert_eq!(call.params.translate("documents[2]").as_deref(), Some("documents[2]"));
        assert_eq!(call.params.translate("topN").as_deref(), Some("top_n"));
        let response = RerankResponse {
            results: vec![
                RerankResult {
                    index: 1,
                    relevance_score: 0.9,
                    document: RerankDocument::Text("Paris".into()),
                },
                RerankResult {
                    index: 2,
                    relevance_score: 0.2,
                    document: RerankDocument::Json("{}".into()),
                },
            ],
            metadata: ResponseMetadata {
                model: "cohere.rerank-v3-5:0".into(),
                request_id: None,
                latency_ms: None,
            },
            warnings: vec![],
        };
        let v = rerank_response("rr-1", "amazon-bedrock|cohere.rerank-v3-5:0", &call, &response);
        assert_eq!(v["model"], "amazon-bedrock|cohere.rerank-v3-5:0");
        assert_eq!(
            v["results"],
            json!([{"index": 1, "relevance_score": 0.9, "document": {"text": "Paris"}},
                   {"index": 2, "relevance_score": 0.2, "document": {"title": "Seine", "body": "river"}}])
        );
        assert_eq!(v["usage"], json!({"search_units": 1}));

        let mut call = call;
        call.return_documents = false;
        assert!(
            rerank_response("rr-1", "m", &call, &response)["results"][0].get("document").is_none()
        );

        for (body, param) in [
            (json!({"documents": ["a"]}), "query"),
            (json!({"query": "q"}), "documents"),
            (json!({"query": "q", "documents": [1]}), "documents[0]"),
            (json!({"query": "q", "documents": ["a"], "top_n": 0}), "top_n"),
        ] {
            let e = parse_rerank(body.to_string().as_bytes()).unwrap_err();
            assert_eq!(e.param.as_deref(), Some(param), "{body}");
        }
    }
}

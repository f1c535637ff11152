//! `POST /v1/embeddings`: the request → [`EmbedRequest`], the vectors → OpenAI's list of
//! `embedding` objects, as floats or as base64 (the OpenAI clients' default, which they
//! decode as little-endian 32-bit floats).

use base64::Engine as _;
use hyper::StatusCode;
use json_fields::{Fields, index};
use serde_json::{Value, json};

use super::{model_field, parse_body};
use crate::serve::error::ApiError;
use crate::serve::params::ParamMap;
use crate::types::{EmbedInputType, EmbedRequest, EmbedResponse};

/// How the vectors are written in the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// JSON arrays of numbers.
    Float,
    /// The little-endian bytes of the 32-bit floats, base64-encoded.
    Base64,
}

/// A parsed `POST /v1/embeddings` body.
#[derive(Debug, Clone)]
pub struct EmbeddingsCall {
    /// What goes to the component.
    pub request: EmbedRequest,
    /// `encoding_format`.
    pub encoding: Encoding,
    /// How the component's fields map back onto this request's (for `param`).
    pub params: ParamMap,
}

/// Maps an OpenAI embeddings body to an [`EmbedRequest`]: `input` is a string or a list of
/// strings (token arrays are refused: the gateway cannot turn OpenAI's token IDs back into
/// text), `dimensions` passes through, and the Cohere-style `input_type` some clients send is
/// honoured.
pub fn parse_embeddings(body: &[u8]) -> Result<EmbeddingsCall, ApiError> {
    let value = parse_body(body)?;
    let f = Fields::of(&value, "")?;
    let mut params = ParamMap::default();
    for (component, client) in [
        ("model", "model"),
        ("embeddingModel", "model"),
        ("dimensions", "dimensions"),
        ("embeddingTypes", "encoding_format"),
        ("inputType", "input_type"),
        ("inputs", "input"),
    ] {
        params.exact(component, client);
    }
    let model = model_field(&f)?;
    let texts: Vec<String> = match f.req("input")? {
        Value::String(s) => {
            params.exact("inputs[0]", "input");
            vec![s.clone()]
        }
        Value::Array(items) => {
            params.tree("inputs", "input");
            items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(_) | Value::Array(_) => Err(ApiError::unsupported(
                        index("input", i),
                        "Token arrays are not supported; send the input as text.",
                    )),
                    other => Err(json_fields::FieldError::wrong_type(
                        index("input", i),
                        other,
                        "a string",
                    )
                    .into()),
                })
                .collect::<Result<_, ApiError>>()?
        }
        other => {
            return Err(json_fields::FieldError::wrong_type(
                "input",
                other,
                "a string or an array of strings",
            )
            .into());
        }
    };
    let encoding = match f.opt_str("encoding_format")? {
        None | Some("float") => Encoding::Float,
        Some("base64") => Encoding::Base64,
        Some(other) => {
            return Err(ApiError::invalid_request(
                "encoding_format",
                format!("Unknown encoding_format `{other}`; expected `float` or `base64`."),
            ));
        }
    };
    let input_type = match f.opt_str("input_type")? {
        None => None,
        Some("search_document" | "document") => Some(EmbedInputType::SearchDocument),
        Some("search_query" | "query") => Some(EmbedInputType::SearchQuery),
        Some("classification") => Some(EmbedInputType::Classification),
        Some("clustering") => Some(EmbedInputType::Clustering),
        Some(other) => {
            return Err(ApiError::invalid_request(
                "input_type",
                format!(
                    "Unknown input_type `{other}`; expected `search_document`, `search_query`, \
                     `classification` or `clustering`."
                ),
            ));
        }
    };
    let mut request = EmbedRequest::texts(texts);
    request.model = model;
    request.dimensions = f.opt_u32("dimensions")?;
    request.input_type = input_type;
    Ok(EmbeddingsCall { request, encoding, params })
}

/// `{object: "list", data: [{object: "embedding", index, embedding}], model, usage}`, in
/// input order; `model` is the ID as answers show it.
pub fn embeddings_response(
    model: &str,
    encoding: Encoding,
    r: &EmbedResponse,
) -> Result<Value, ApiError> {
    let mut data = Vec::with_capacity(r.embeddings.len());
    for e in &r.embeddings {
        let Some(vector) = &e.float else {
            return Err(ApiError::gateway(
                StatusCode::BAD_GATEWAY,
                "invalid-response",
                format!("The provider returned no float vector for input {}.", e.index),
            ));
        };
        let embedding = match encoding {
            Encoding::Float => json!(vector),
            Encoding::Base64 => {
                let bytes: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
                json!(base64::engine::general_purpose::STANDARD.encode(bytes))
            }
        };
        data.push((
            e.index,
            json!({"object": "embedding", "index": e.index, "embedding": embedding}),
        ));
    }
    // The contract keeps input order; sorting by index keeps that promise on the wire even
    // if a provider did not.
    data.sort_by_key(|(i, _)| *i);
    let tokens = r.usage.input_tokens;
    Ok(json!({
        "object": "list",
        "data": data.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::types::{EmbedInput, EmbedUsage, Embedding, ResponseMetadata};

    fn parse(v: Value) -> Result<EmbeddingsCall, ApiError> {
        parse_embeddings(v.to_string().as_bytes())
    }

    #[test]
    fn requests_map_field_by_field() {
        let call = parse(json!({"model": "amazon-bedrock|amazon.titan-embed-text-v2:0",
            "input": ["a", "b"], "dimensions": 256, "encoding_format": "base64", "user": "x",
            "input_type": "search_query"}))
        .unwrap();
        assert_eq!(call.encoding, Encoding::Base64);
        let r = &call.request;
        assert_eq!(r.model.as_deref(), Some("amazon-bedrock|amazon.titan-embed-text-v2:0"));
        assert_eq!(r.dimensions, Some(256));
        assert_eq!(r.input_type, Some(EmbedInputType::SearchQuery));
        assert!(
            matches!(&r.inputs[..], [EmbedInput::Text(a), EmbedInput::Text(b)] if a == "a" && b == "b")
        );
        assert_eq!(call.params.translate("inputs[1]").as_deref(), Some("input[1]"));
        assert_eq!(call.params.translate("dimensions").as_deref(), Some("dimensions"));
        assert_eq!(call.params.translate("embeddingModel").as_deref(), Some("model"));

        let call = parse(json!({"input": "one"})).unwrap();
        assert_eq!(call.encoding, Encoding::Float);
        assert_eq!(call.request.inputs.len(), 1);
        assert_eq!(call.request.model, None);
        assert_eq!(call.params.translate("inputs[0]").as_deref(), Some("input"));

        for (body, param, kind) in [
            (json!({}), "input", "invalid-request"),
            (json!({"input": 3}), "input", "invalid-request"),
            (json!({"input": [1, 2]}), "input[0]", "unsupported"),
            (json!({"input": ["a", [1]]}), "input[1]", "unsupported"),
            (json!({"input": ["a", null]}), "input[1]", "invalid-request"),
            (
                json!({"input": "a", "encoding_format": "int8"}),
                "encoding_format",
                "invalid-request",
            ),
            (json!({"input": "a", "dimensions": -3}), "dimensions", "invalid-request"),
            (json!({"input": "a", "input_type": "poem"}), "input_type", "invalid-request"),
        ] {
            let e = parse(body.clone()).unwrap_err();
            assert_eq!((e.param.as_deref(), e.kind.as_str()), (Some(param), kind), "{body}");
        }
    }

    #[test]
    fn vectors_as_floats_or_base64_in_input_order() {
        let response = EmbedResponse {
            embeddings: vec![
                Embedding {
                    index: 1,
                    float: Some(vec![0.5, -1.0]),
                    int8: None,
                    uint8: None,
                    binary: None,
                    ubinary: None,
                },
                Embedding {
                    index: 0,
                    float: Some(vec![1.0, 2.0]),
                    int8: None,
                    uint8: None,
                    binary: None,
                    ubinary: None,
                },
            ],
            dimensions: 2,
            usage: EmbedUsage { input_tokens: 7 },
            metadata: ResponseMetadata { model: "m".into(), request_id: None, latency_ms: None },
            warnings: vec![],
        };
        let v = embeddings_response("amazon-bedrock|m", Encoding::Float, &response).unwrap();
        assert_eq!(v["object"], "list");
        assert_eq!(v["model"], "amazon-bedrock|m");
        assert_eq!(v["usage"], json!({"prompt_tokens": 7, "total_tokens": 7}));
        assert_eq!(
            v["data"][0],
            json!({"object": "embedding", "index": 0, "embedding": [1.0, 2.0]})
        );
        assert_eq!(v["data"][1]["embedding"], json!([0.5, -1.0]));

        let v = embeddings_response("m", Encoding::Base64, &response).unwrap();
        let b64 = v["data"][1]["embedding"].as_str().unwrap();
        let bytes = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
        let floats: Vec<f32> =
            bytes.chunks(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
        assert_eq!(floats, [0.5, -1.0]);

        let mut missing = response;
        missing.embeddings[0].float = None;
        assert_eq!(
            embeddings_response("m", Encoding::Float, &missing).unwrap_err().status,
            StatusCode::BAD_GATEWAY
        );
    }
}

//! Embedding models through InvokeModel: body validation in the models' schema-error format
//! ("Malformed input request: #/…, please reformat your input and try again.") and answers in
//! each model's real shape, with deterministic vectors derived from the input.
//!
//! - Titan Text Embeddings v2: `{inputText, dimensions?, normalize?, embeddingTypes?}` ->
//!   `{embedding, embeddingsByType, inputTextTokenCount}` (binary = one 0/1 per dimension).
//! - Cohere Embed v3: `{texts | images, input_type, truncate?, embedding_types?}` -> `{id,
//!   embeddings, texts, response_type}`: a list of float vectors (`embeddings_floats`) without
//!   `embedding_types`, else an object by type (`embeddings_by_type`).
//! - Cohere Embed v4: `{input_type, texts | images | inputs, embedding_types?,
//!   output_dimension?, max_tokens?, truncate?}` -> embeddings by type.
//!
//! Every answer carries `X-Amzn-Bedrock-Input-Token-Count` (the emulator's token: 4 bytes).

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::errors::ApiError;
use crate::rerank::{json_type, malformed};

type Res<T> = Result<T, ApiError>;

/// Which embedding schema a model speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EmbedKind {
    TitanV2,
    CohereV3,
    CohereV4,
}

/// An answer: the body and the input tokens for the header.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Embedded {
    pub body: Value,
    pub input_tokens: u64,
}

const COHERE_TYPES: &[&str] = &["float", "int8", "uint8", "binary", "ubinary"];

/// Validates an InvokeModel body for an embedding model and answers it.
pub(crate) fn invoke_embed(kind: EmbedKind, body: &[u8], request_id: &str) -> Res<Embedded> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| malformed(&["#: expected type: JSONObject, found: String".to_string()]))?;
    let Some(map) = value.as_object() else {
        return Err(malformed(&[format!(
            "#: expected type: JSONObject, found: {}",
            json_type(&value)
        )]));
    };
    match kind {
        EmbedKind::TitanV2 => titan(map),
        EmbedKind::CohereV3 | EmbedKind::CohereV4 => cohere(kind, map, request_id),
    }
}

fn keys(map: &Map<String, Value>, required: &[&str], allowed: &[&str], errors: &mut Vec<String>) {
    for key in required.iter().filter(|k| !map.contains_key(**k)) {
        errors.push(format!("#: required key [{key}] not found"));
    }
    for key in map.keys().filter(|k| !allowed.contains(&k.as_str())) {
        errors.push(format!("#: extraneous key [{key}] is not permitted"));
    }
}

fn string_list<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    errors: &mut Vec<String>,
) -> Vec<&'a str> {
    match map.get(key) {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some(s.as_str()),
                other => {
                    errors.push(format!(
                        "#/{key}/{k}: expected type: String, found: {}",
                        json_type(other)
                    ));
                    None
                }
            })
            .collect(),
        Some(other) => {
            errors.push(format!("#/{key}: expected type: JSONArray, found: {}", json_type(other)));
            Vec::new()
        }
    }
}

fn enum_of(
    map: &Map<String, Value>,
    key: &str,
    allowed: &[&str],
    errors: &mut Vec<String>,
) -> Option<String> {
    let v = map.get(key)?;
    match v.as_str() {
        Some(s) if allowed.contains(&s) => Some(s.to_string()),
        Some(s) => {
            errors.push(format!("#/{key}: {s} is not a valid enum value"));
            None
        }
        None => {
            errors.push(format!("#/{key}: expected type: String, found: {}", json_type(v)));
            None
        }
    }
}

fn tokens(text: &str) -> u64 {
    text.len().div_ceil(4).max(1) as u64
}

/// Deterministic pseudo-random floats in [-1, 1] from the input, unit length if `normalize`.
pub(crate) fn vector(seed: &str, dims: usize, normalize: bool) -> Vec<f64> {
    let digest = Sha256::digest(seed.as_bytes());
    let mut state = u64::from_le_bytes([
        digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
    ]);
    let mut out: Vec<f64> = (0..dims)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        })
        .collect();
    if normalize {
        let norm = out.iter().map(|x| x * x).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
        for x in &mut out {
            *x /= norm;
        }
    }
    // Six decimals, as JSON numbers stay short.
    out.iter().map(|x| (x * 1e6).round() / 1e6).collect()
}

fn titan(map: &Map<String, Value>) -> Res<Embedded> {
    let mut errors = Vec::new();
    keys(
        map,
        &["inputText"],
        &["inputText", "dimensions", "normalize", "embeddingTypes"],
        &mut errors,
    );
    let text = match map.get("inputText") {
        Some(Value::String(s)) => {
            let n = s.chars().count();
            if n == 0 {
                errors.push("#/inputText: expected minLength: 1, actual: 0".to_string());
            }
            if n > 50_000 {
                errors.push(format!("#/inputText: expected maxLength: 50000, actual: {n}"));
            }
            s.as_str()
        }
        Some(other) => {
            errors.push(format!("#/inputText: expected type: String, found: {}", json_type(other)));
            ""
        }
        None => "",
    };
    let dims = match map.get("dimensions") {
        None => 1024,
        Some(v) => match v.as_u64() {
            Some(d @ (256 | 512 | 1024)) => d as usize,
            _ => {
                errors.push(format!("#/dimensions: {v} is not a valid enum value"));
                1024
            }
        },
    };
    let normalize = match map.get("normalize") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            errors
                .push(format!("#/normalize: expected type: Boolean, found: {}", json_type(other)));
            true
        }
    };
    let types = string_list(map, "embeddingTypes", &mut errors);
    for (k, t) in types.iter().enumerate() {
        if !["float", "binary"].contains(t) {
            errors.push(format!("#/embeddingTypes/{k}: {t} is not a valid enum value"));
        }
    }
    if !errors.is_empty() {
        return Err(malformed(&errors));
    }
    let floats = vector(text, dims, normalize);
    let mut by_type = Map::new();
    if types.is_empty() || types.contains(&"float") {
        by_type.insert("float".into(), json!(floats));
    }
    if types.contains(&"binary") {
        let bits: Vec<u8> = floats.iter().map(|x| u8::from(*x > 0.0)).collect();
        by_type.insert("binary".into(), json!(bits));
    }
    let input_tokens = tokens(text);
    Ok(Embedded {
        body: json!({"embedding": floats, "embeddingsByType": by_type, "inputTextTokenCount": input_tokens}),
        input_tokens,
    })
}

fn cohere(kind: EmbedKind, map: &Map<String, Value>, request_id: &str) -> Res<Embedded> {
    let mut errors = Vec::new();
    let v4 = kind == EmbedKind::CohereV4;
    let allowed: &[&str] = if v4 {
        &[
            "input_type",
            "texts",
            "images",
            "inputs",
            "embedding_types",
            "output_dimension",
            "max_tokens",
            "truncate",
        ]
    } else {
        &["input_type", "texts", "images", "truncate", "embedding_types"]
    };
    keys(map, &["input_type"], allowed, &mut errors);
    let input_types: &[&str] = if v4 {
        &["search_document", "search_query", "classification", "clustering"]
    } else {
        &["search_document", "search_query", "classification", "clustering", "image"]
    };
    enum_of(map, "input_type", input_types, &mut errors);
    let truncations: &[&str] =
        if v4 { &["NONE", "LEFT", "RIGHT"] } else { &["NONE", "START", "END"] };
    enum_of(map, "truncate", truncations, &mut errors);
    let texts = string_list(map, "texts", &mut errors);
    let images = string_list(map, "images", &mut errors);
    let mut seeds: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
    seeds.extend(images.iter().map(|i| i.to_string()));
    let inputs = match map.get("inputs") {
        None => 0,
        Some(Value::Array(items)) => {
            for (k, item) in items.iter().enumerate() {
                let parts = item.get("content").and_then(Value::as_array);
                let Some(parts) = parts.filter(|p| !p.is_empty()) else {
                    errors.push(format!("#/inputs/{k}: required key [content] not found"));
                    continue;
                };
                let mut seed = String::new();
                for (j, part) in parts.iter().enumerate() {
                    match (
                        part.get("type").and_then(Value::as_str),
                        part.get("text"),
                        part.get("image_url"),
                    ) {
                        (Some("text"), Some(Value::String(t)), None) => seed.push_str(t),
                        (Some("image_url"), None, Some(Value::String(u)))
                            if u.starts_with("data:image/") =>
                        {
                            seed.push_str(u)
                        }
                        _ => errors.push(format!(
                            "#/inputs/{k}/content/{j}: expected a text or image_url part"
                        )),
                    }
                }
                seeds.push(seed);
            }
            items.len()
        }
        Some(other) => {
            errors.push(format!("#/inputs: expected type: JSONArray, found: {}", json_type(other)));
            0
        }
    };
    let kinds =
        usize::from(!texts.is_empty()) + usize::from(!images.is_empty()) + usize::from(inputs > 0);
    if kinds != 1 {
        // Cohere's wording for the exclusive input members (UNCERTAIN through Bedrock).
        errors.push(if v4 {
            "#: exactly one of [texts, images, inputs] must be provided".to_string()
        } else {
            "#: exactly one of [texts, images] must be provided".to_string()
        });
    }
    if texts.len() > 96 {
        errors.push(format!("#/texts: expected maximum item count: 96, found: {}", texts.len()));
    }
    let max_images = if v4 { 96 } else { 1 };
    if images.len() > max_images {
        errors.push(format!(
            "#/images: expected maximum item count: {max_images}, found: {}",
            images.len()
        ));
    }
    if inputs > 96 {
        errors.push(format!("#/inputs: expected maximum item count: 96, found: {inputs}"));
    }
    for (k, text) in texts.iter().enumerate() {
        let n = text.chars().count();
        if !v4 && n > 2048 {
            errors.push(format!("#/texts/{k}: expected maxLength: 2048, actual: {n}"));
        }
    }
    for (k, image) in images.iter().enumerate() {
        if !image.starts_with("data:image/") || !image.contains(";base64,") {
            errors.push(format!("#/images/{k}: string is not a valid data URI"));
        }
    }
    let image_type = map.get("input_type").and_then(Value::as_str) == Some("image");
    if !v4 && image_type == images.is_empty() {
        errors
            .push("#/input_type: image must be used with images, and only with images".to_string());
    }
    let types = string_list(map, "embedding_types", &mut errors);
    for (k, t) in types.iter().enumerate() {
        if !COHERE_TYPES.contains(t) {
            errors.push(format!("#/embedding_types/{k}: {t} is not a valid enum value"));
        }
    }
    let dims = match map.get("output_dimension") {
        None if v4 => 1536,
        None => 1024,
        Some(v) => match v.as_u64() {
            Some(d @ (256 | 512 | 1024 | 1536)) => d as usize,
            _ => {
                errors.push(format!("#/output_dimension: {v} is not a valid enum value"));
                1536
            }
        },
    };
    if let Some(v) = map.get("max_tokens")
        && v.as_u64().is_none_or(|n| n == 0)
    {
        errors.push(format!("#/max_tokens: {v} is not greater or equal to 1"));
    }
    if !errors.is_empty() {
        return Err(malformed(&errors));
    }
    let floats: Vec<Vec<f64>> = seeds.iter().map(|s| vector(s, dims, true)).collect();
    let input_tokens: u64 = seeds.iter().map(|s| tokens(s)).sum();
    let by_type = |t: &str| -> Value {
        let lists: Vec<Value> = floats
            .iter()
            .map(|f| match t {
                "float" => json!(f),
                "int8" => json!(f.iter().map(|x| (x * 127.0).round() as i64).collect::<Vec<_>>()),
                "uint8" => {
                    json!(f.iter().map(|x| ((x + 1.0) * 127.5).round() as i64).collect::<Vec<_>>())
                }
                _ => {
                    let bytes: Vec<i64> = f
                        .chunks(8)
                        .map(|c| {
                            c.iter()
                                .enumerate()
                                .fold(0i64, |b, (k, x)| b | (i64::from(*x > 0.0) << (7 - k)))
                        })
                        .collect();
                    if t == "binary" {
                        json!(bytes.iter().map(|b| b - 128).collect::<Vec<_>>())
                    } else {
                        json!(bytes)
                    }
                }
            })
            .collect();
        Value::Array(lists)
    };
    let embeddings = if types.is_empty() && !v4 {
        by_type("float")
    } else {
        let wanted: Vec<&str> = if types.is_empty() { vec!["float"] } else { types.clone() };
        Value::Object(wanted.iter().map(|t| (t.to_string(), by_type(t))).collect())
    };
    let response_type =
        if embeddings.is_array() { "embeddings_floats" } else { "embeddings_by_type" };
    let mut body = json!({"id": request_id, "embeddings": embeddings, "texts": texts,
        "response_type": response_type});
    if !images.is_empty() {
        body["images"] = json!(
            images
                .iter()
                .map(|_| json!({"width": 64, "height": 64, "format": "png", "bit_depth": 24}))
                .collect::<Vec<_>>()
        );
    }
    Ok(Embedded { body, input_tokens })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn message(e: ApiError) -> String {
        let v: Value = serde_json::from_str(&e.body).unwrap();
        v["message"].as_str().unwrap().to_string()
    }

    fn run(kind: EmbedKind, body: Value) -> Res<Embedded> {
        invoke_embed(kind, body.to_string().as_bytes(), "req-1")
    }

    #[test]
    fn titan_answers_in_its_shape() {
        let e = run(EmbedKind::TitanV2, json!({"inputText": "hello world", "dimensions": 256, "embeddingTypes": ["float", "binary"]})).unwrap();
        assert_eq!(e.body["embedding"].as_array().unwrap().len(), 256);
        assert_eq!(e.body["embeddingsByType"]["float"], e.body["embedding"]);
        let bits = e.body["embeddingsByType"]["binary"].as_array().unwrap();
        assert!(bits.iter().all(|b| b == 0 || b == 1) && bits.len() == 256);
        assert_eq!(e.body["inputTextTokenCount"], 3);
        assert_eq!(e.input_tokens, 3);
        let norm: f64 = e.body["embedding"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap().powi(2))
            .sum();
        assert!((norm - 1.0).abs() < 1e-3, "{norm}");
        // Deterministic.
        let again = run(EmbedKind::TitanV2, json!({"inputText": "hello world", "dimensions": 256, "embeddingTypes": ["float", "binary"]})).unwrap();
        assert_eq!(again, e);
    }

    #[test]
    fn titan_refuses_what_its_schema_refuses() {
        let m = message(
            run(EmbedKind::TitanV2, json!({"texts": ["a"], "dimensions": 300})).unwrap_err(),
        );
        assert_eq!(
            m,
            "Malformed input request: #: required key [inputText] not found#: extraneous key [texts] is not permitted#/dimensions: 300 is not a valid enum value, please reformat your input and try again."
        );
        let m =
            message(run(EmbedKind::TitanV2, json!({"inputText": "x".repeat(50_001)})).unwrap_err());
        assert!(m.contains("#/inputText: expected maxLength: 50000, actual: 50001"), "{m}");
        let m = message(
            run(EmbedKind::TitanV2, json!({"inputText": "a", "embeddingTypes": ["int8"]}))
                .unwrap_err(),
        );
        assert!(m.contains("#/embeddingTypes/0: int8 is not a valid enum value"), "{m}");
    }

    #[test]
    fn cohere_v3_floats_or_by_type() {
        let e =
            run(EmbedKind::CohereV3, json!({"texts": ["a", "b"], "input_type": "search_document"}))
                .unwrap();
        assert_eq!(e.body["response_type"], "embeddings_floats");
        assert_eq!(e.body["embeddings"].as_array().unwrap().len(), 2);
        assert_eq!(e.body["embeddings"][0].as_array().unwrap().len(), 1024);
        assert_eq!(e.body["texts"], json!(["a", "b"]));
        assert_eq!(e.body["id"], "req-1");
        let e = run(EmbedKind::CohereV3, json!({"texts": ["a"], "input_type": "search_query", "embedding_types": ["int8", "ubinary", "binary"]})).unwrap();
        assert_eq!(e.body["response_type"], "embeddings_by_type");
        assert_eq!(e.body["embeddings"]["int8"][0].as_array().unwrap().len(), 1024);
        assert_eq!(e.body["embeddings"]["ubinary"][0].as_array().unwrap().len(), 128);
        let u = e.body["embeddings"]["ubinary"][0][0].as_i64().unwrap();
        assert_eq!(e.body["embeddings"]["binary"][0][0].as_i64().unwrap(), u - 128);
    }

    #[test]
    fn cohere_v3_limits() {
        let texts: Vec<String> = (0..97).map(|i| i.to_string()).collect();
        let m = message(
            run(EmbedKind::CohereV3, json!({"texts": texts, "input_type": "search_document"}))
                .unwrap_err(),
        );
        assert!(m.contains("#/texts: expected maximum item count: 96, found: 97"), "{m}");
        let m = message(
            run(
                EmbedKind::CohereV3,
                json!({"texts": ["x".repeat(2049)], "input_type": "clustering"}),
            )
            .unwrap_err(),
        );
        assert!(m.contains("#/texts/0: expected maxLength: 2048"), "{m}");
        let m = message(run(EmbedKind::CohereV3, json!({"inputText": "a"})).unwrap_err());
        assert!(m.starts_with("Malformed input request: #: required key [input_type] not found#: extraneous key [inputText] is not permitted"), "{m}");
        let m = message(run(EmbedKind::CohereV3, json!({"images": ["data:image/png;base64,AA==", "data:image/png;base64,AA=="], "input_type": "image"})).unwrap_err());
        assert!(m.contains("#/images: expected maximum item count: 1"), "{m}");
        let m = message(
            run(
                EmbedKind::CohereV3,
                json!({"texts": ["a"], "input_type": "search_document", "output_dimension": 512}),
            )
            .unwrap_err(),
        );
        assert!(m.contains("extraneous key [output_dimension]"), "{m}");
        run(
            EmbedKind::CohereV3,
            json!({"images": ["data:image/png;base64,AA=="], "input_type": "image"}),
        )
        .unwrap();
    }

    #[test]
    fn cohere_v4_dimensions_and_mixed_inputs() {
        let e = run(EmbedKind::CohereV4, json!({"input_type": "search_document", "output_dimension": 512,
            "inputs": [{"content": [{"type": "text", "text": "a"}]},
                       {"content": [{"type": "image_url", "image_url": "data:image/png;base64,AA=="}]}]})).unwrap();
        assert_eq!(e.body["response_type"], "embeddings_by_type");
        assert_eq!(e.body["embeddings"]["float"].as_array().unwrap().len(), 2);
        assert_eq!(e.body["embeddings"]["float"][1].as_array().unwrap().len(), 512);
        let m = message(
            run(
                EmbedKind::CohereV4,
                json!({"input_type": "search_document", "texts": ["a"], "truncate": "END"}),
            )
            .unwrap_err(),
        );
        assert!(m.contains("#/truncate: END is not a valid enum value"), "{m}");
        let m = message(run(EmbedKind::CohereV4, json!({"input_type": "search_document", "texts": ["a"], "images": ["data:image/png;base64,AA=="]})).unwrap_err());
        assert!(m.contains("exactly one of [texts, images, inputs]"), "{m}");
    }
}

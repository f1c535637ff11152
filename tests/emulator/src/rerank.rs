//! Reranking: the agent-runtime Rerank API (spec §11.1) and the model-native bodies of
//! InvokeModel on rerank models (spec §11.3), with a deterministic scorer.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use crate::errors::ApiError;
use crate::faults::Fault;
use crate::models::{self, RerankKind};

/// What `/rerank` answers with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RerankOutcome {
    Results(Value),
    Fault(Fault),
}

type Res<T> = Result<T, ApiError>;

/// The Rerank API's default number of results when `numberOfResults` is absent.
const DEFAULT_RESULTS: usize = 5;

fn words(text: &str) -> HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Fraction of the query's distinct words present in the document.
pub(crate) fn score(query: &str, document: &str) -> f64 {
    let q = words(query);
    if q.is_empty() {
        return 0.0;
    }
    let d = words(document);
    q.iter().filter(|w| d.contains(*w)).count() as f64 / q.len() as f64
}

/// Document indexes with scores, best first, ties by index, at most `limit`.
pub(crate) fn rank(query: &str, documents: &[String], limit: usize) -> Vec<(usize, f64)> {
    let mut scored: Vec<(usize, f64)> =
        documents.iter().enumerate().map(|(i, d)| (i, score(query, d))).collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.truncate(limit);
    scored
}

// ---------- Rerank API ----------

fn object<'a>(v: &'a Value, path: &str) -> Res<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| ApiError::constraint(path, "Member must be a structure"))
}

fn only(map: &Map<String, Value>, allowed: &[&str], path: &str) -> Res<()> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        None => Ok(()),
        Some(key) => Err(ApiError::validation(format!(
            "The field {key} is not a valid member of {}. Remove it and try again.",
            if path.is_empty() { "the request" } else { path }
        ))),
    }
}

fn need<'a>(map: &'a Map<String, Value>, key: &str, path: &str) -> Res<&'a Value> {
    let full = if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
    map.get(key).filter(|v| !v.is_null()).ok_or_else(|| ApiError::required(&full))
}

fn one_of<'a>(v: &'a Value, allowed: &[&str], path: &str) -> Res<&'a str> {
    match v.as_str() {
        Some(s) if allowed.contains(&s) => Ok(s),
        _ => Err(ApiError::constraint(
            path,
            &format!("Member must satisfy enum value set: [{}]", allowed.join(", ")),
        )),
    }
}

fn text_of_length<'a>(v: &'a Value, max: usize, path: &str) -> Res<&'a str> {
    let s = v.as_str().ok_or_else(|| ApiError::constraint(path, "Member must be a string"))?;
    let n = s.chars().count();
    if n < 1 {
        return Err(ApiError::constraint(
            path,
            "Member must have length greater than or equal to 1",
        ));
    }
    if n > max {
        return Err(ApiError::constraint(
            path,
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    Ok(s)
}

fn list_of<'a>(v: &'a Value, min: usize, max: usize, path: &str) -> Res<&'a [Value]> {
    let items = v.as_array().ok_or_else(|| ApiError::constraint(path, "Member must be a list"))?;
    if items.len() < min {
        return Err(ApiError::constraint(
            path,
            &format!("Member must have length greater than or equal to {min}"),
        ));
    }
    if items.len() > max {
        return Err(ApiError::constraint(
            path,
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    Ok(items)
}

fn invalid_arn() -> ApiError {
    ApiError::validation(
        "The provided model ARN for reranking is invalid. Please, use a valid model ARN. Also check the model ARN follows this format: arn:<partition>:bedrock:<region>::foundation-model/<model-id>",
    )
}

/// Validates and answers a Rerank API body for a call signed for `region`.
pub(crate) fn rerank_api(body: &Value, region: &str) -> Res<RerankOutcome> {
    let top = body.as_object().ok_or_else(|| {
        ApiError::validation("Malformed request. Please check your parameter/values and try again.")
    })?;
    only(top, &["queries", "sources", "rerankingConfiguration", "nextToken"], "")?;

    let queries = list_of(need(top, "queries", "")?, 1, 1, "queries")?;
    let qpath = "queries.1.member";
    let query = object(&queries[0], qpath)?;
    only(query, &["type", "textQuery"], qpath)?;
    one_of(need(query, "type", qpath)?, &["TEXT"], "queries.1.member.type")?;
    let tq = object(need(query, "textQuery", qpath)?, "queries.1.member.textQuery")?;
    only(tq, &["text"], "queries.1.member.textQuery")?;
    let query_text = text_of_length(
        need(tq, "text", "queries.1.member.textQuery")?,
        32000,
        "queries.1.member.textQuery.text",
    )?;

    let sources = list_of(need(top, "sources", "")?, 1, 1000, "sources")?;
    let mut documents = Vec::with_capacity(sources.len());
    for (k, source) in sources.iter().enumerate() {
        documents.push(source_text(source, &format!("sources.{}.member", k + 1))?);
    }

    let cpath = "rerankingConfiguration";
    let config = object(need(top, cpath, "")?, cpath)?;
    only(config, &["type", "bedrockRerankingConfiguration"], cpath)?;
    one_of(
        need(config, "type", cpath)?,
        &["BEDROCK_RERANKING_MODEL"],
        "rerankingConfiguration.type",
    )?;
    let bpath = "rerankingConfiguration.bedrockRerankingConfiguration";
    let bedrock = object(need(config, "bedrockRerankingConfiguration", cpath)?, bpath)?;
    only(bedrock, &["numberOfResults", "modelConfiguration"], bpath)?;
    let limit = match bedrock.get("numberOfResults") {
        None => DEFAULT_RESULTS,
        Some(v) => {
            let path = format!("{bpath}.numberOfResults");
            let n = v
                .as_i64()
                .ok_or_else(|| ApiError::constraint(&path, "Member must be an integer"))?;
            if n < 1 {
                return Err(ApiError::constraint(
                    &path,
                    "Member must have value greater than or equal to 1",
                ));
            }
            if n > 1000 {
                return Err(ApiError::constraint(
                    &path,
                    "Member must have value less than or equal to 1000",
                ));
            }
            n as usize
        }
    };
    let mpath = format!("{bpath}.modelConfiguration");
    let model_config = object(need(bedrock, "modelConfiguration", bpath)?, &mpath)?;
    only(model_config, &["modelArn", "additionalModelRequestFields"], &mpath)?;
    let arn = text_of_length(
        need(model_config, "modelArn", &mpath)?,
        2048,
        &format!("{mpath}.modelArn"),
    )?;
    if let Some(extra) = model_config.get("additionalModelRequestFields") {
        let extra = object(extra, &format!("{mpath}.additionalModelRequestFields"))?;
        if extra.keys().any(|k| k.is_empty() || k.chars().count() > 100) {
            return Err(ApiError::constraint(
                &format!("{mpath}.additionalModelRequestFields"),
                "Map keys must have length between 1 and 100",
            ));
        }
    }
    if let Some(token) = top.get("nextToken") {
        let token = text_of_length(token, 2048, "nextToken")?;
        if token.chars().any(char::is_whitespace) {
            return Err(ApiError::constraint(
                "nextToken",
                "Member must satisfy regular expression pattern: \\S*",
            ));
        }
    }

    let model_id = rerank_model_id(arn, region)?;
    if let Some(name) = model_id.strip_prefix("emulator.fault-") {
        return Fault::from_name(name).map(RerankOutcome::Fault).ok_or_else(invalid_arn);
    }
    let info =
        models::base_model(model_id).filter(|m| m.rerank.is_some()).ok_or_else(invalid_arn)?;
    if info.unavailable_in.contains(&region) {
        // UNCERTAIN text: the spec only documents that Amazon Rerank is absent from us-east-1.
        return Err(ApiError::validation("The provided model identifier is invalid."));
    }
    let results: Vec<Value> = rank(query_text, &documents, limit)
        .into_iter()
        .map(|(index, s)| json!({"index": index, "relevanceScore": s}))
        .collect();
    Ok(RerankOutcome::Results(json!({ "results": results })))
}

fn source_text(source: &Value, path: &str) -> Res<String> {
    let map = object(source, path)?;
    only(map, &["type", "inlineDocumentSource"], path)?;
    one_of(need(map, "type", path)?, &["INLINE"], &format!("{path}.type"))?;
    let ipath = format!("{path}.inlineDocumentSource");
    let inline = object(need(map, "inlineDocumentSource", path)?, &ipath)?;
    only(inline, &["type", "textDocument", "jsonDocument"], &ipath)?;
    let kind = one_of(need(inline, "type", &ipath)?, &["TEXT", "JSON"], &format!("{ipath}.type"))?;
    if kind == "TEXT" {
        if inline.contains_key("jsonDocument") {
            return Err(ApiError::validation(format!(
                "The jsonDocument field can't be used when {ipath}.type is TEXT. Use textDocument instead and try again."
            )));
        }
        let tpath = format!("{ipath}.textDocument");
        let doc = object(need(inline, "textDocument", &ipath)?, &tpath)?;
        only(doc, &["text"], &tpath)?;
        Ok(text_of_length(need(doc, "text", &tpath)?, 32000, &format!("{tpath}.text"))?.to_string())
    } else {
        if inline.contains_key("textDocument") {
            return Err(ApiError::validation(format!(
                "The textDocument field can't be used when {ipath}.type is JSON. Use jsonDocument instead and try again."
            )));
        }
        Ok(need(inline, "jsonDocument", &ipath)?.to_string())
    }
}

/// The model ID of `arn:<partition>:bedrock:<region>::foundation-model/<id>`.
fn rerank_model_id<'a>(arn: &'a str, region: &str) -> Res<&'a str> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", partition, "bedrock", arn_region, "", resource] = parts[..] else {
        return Err(invalid_arn());
    };
    if !(partition == "aws" || partition.starts_with("aws-")) || arn_region.is_empty() {
        return Err(invalid_arn());
    }
    let id = resource
        .strip_prefix("foundation-model/")
        .filter(|id| !id.is_empty())
        .ok_or_else(invalid_arn)?;
    if arn_region != region {
        return Err(ApiError::validation(
            "Reranking does not support cross-region calls. Please provide a valid model ARN.",
        ));
    }
    Ok(id)
}

// ---------- InvokeModel on rerank models ----------

pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "Integer",
        Value::Number(_) => "BigDecimal",
        Value::String(_) => "String",
        Value::Array(_) => "JSONArray",
        Value::Object(_) => "JSONObject",
    }
}

pub(crate) fn malformed(errors: &[String]) -> ApiError {
    ApiError::validation(format!(
        "Malformed input request: {}, please reformat your input and try again.",
        errors.concat()
    ))
}

fn check_int(
    map: &Map<String, Value>,
    key: &str,
    min: i64,
    errors: &mut Vec<String>,
) -> Option<i64> {
    let v = map.get(key)?;
    match v.as_i64() {
        None => {
            errors.push(format!("#/{key}: expected type: Integer, found: {}", json_type(v)));
            None
        }
        Some(n) if n < min => {
            errors.push(format!("#/{key}: {n} is not greater or equal to {min}"));
            None
        }
        Some(n) => Some(n),
    }
}

/// Validates a native rerank body (Cohere requires `api_version` >= 2; Amazon forbids it) and
/// answers `{"results":[{"index","relevance_score"}]}` (Cohere adds an `id`).
pub(crate) fn invoke_rerank(kind: RerankKind, body: &[u8], request_id: &str) -> Res<Value> {
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        ApiError::validation("Malformed input request: #: expected type: JSONObject, found: String, please reformat your input and try again.")
    })?;
    let Some(map) = value.as_object() else {
        return Err(malformed(&[format!(
            "#: expected type: JSONObject, found: {}",
            json_type(&value)
        )]));
    };
    let (required, allowed): (&[&str], &[&str]) = match kind {
        RerankKind::Cohere => (
            &["query", "documents", "api_version"],
            &["query", "documents", "top_n", "api_version", "max_tokens_per_doc"],
        ),
        RerankKind::Amazon => (&["query", "documents"], &["query", "documents", "top_n"]),
    };
    let mut errors = Vec::new();
    for key in required.iter().filter(|k| !map.contains_key(**k)) {
        errors.push(format!("#: required key [{key}] not found"));
    }
    for key in map.keys().filter(|k| !allowed.contains(&k.as_str())) {
        errors.push(format!("#: extraneous key [{key}] is not permitted"));
    }
    let query = match map.get("query") {
        Some(Value::String(q)) => Some(q.as_str()),
        Some(other) => {
            errors.push(format!("#/query: expected type: String, found: {}", json_type(other)));
            None
        }
        None => None,
    };
    let mut documents = Vec::new();
    match map.get("documents") {
        Some(Value::Array(items)) => {
            if items.is_empty() {
                errors.push("#/documents: expected minimum item count: 1, found: 0".to_string());
            }
            if items.len() > 1000 {
                errors.push(format!(
                    "#/documents: expected maximum item count: 1000, found: {}",
                    items.len()
                ));
            }
            for (k, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) => documents.push(s.clone()),
                    Value::Object(_) => documents.push(item.to_string()),
                    other => errors.push(format!(
                        "#/documents/{k}: expected type: String, found: {}",
                        json_type(other)
                    )),
                }
            }
        }
        Some(other) => errors
            .push(format!("#/documents: expected type: JSONArray, found: {}", json_type(other))),
        None => {}
    }
    let top_n = check_int(map, "top_n", 1, &mut errors);
    if kind == RerankKind::Cohere {
        check_int(map, "api_version", 2, &mut errors);
        check_int(map, "max_tokens_per_doc", 1, &mut errors);
    }
    if kind == RerankKind::Amazon {
        // Amazon's validator reports without the JSON-pointer prefix (genkit #190).
        for e in &mut errors {
            if let Some(rest) = e.strip_prefix("#: ") {
                *e = rest.to_string();
            }
        }
    }
    if !errors.is_empty() {
        return Err(malformed(&errors));
    }
    let limit = top_n.map_or(documents.len(), |n| n as usize);
    let results: Vec<Value> = rank(query.unwrap_or(""), &documents, limit)
        .into_iter()
        .map(|(index, s)| json!({"index": index, "relevance_score": s}))
        .collect();
    Ok(match kind {
        RerankKind::Cohere => json!({"id": request_id, "results": results}),
        RerankKind::Amazon => json!({"results": results}),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn message(err: ApiError) -> String {
        serde_json::from_str::<Value>(&err.body).unwrap()["message"].as_str().unwrap().to_string()
    }

    fn body(arn: &str, results: Option<u64>, docs: &[&str]) -> Value {
        let mut config = json!({"modelConfiguration": {"modelArn": arn}});
        if let Some(n) = results {
            config["numberOfResults"] = json!(n);
        }
        json!({
            "queries": [{"type": "TEXT", "textQuery": {"text": "What is the capital of France?"}}],
            "sources": docs.iter().map(|d| json!({"type": "INLINE", "inlineDocumentSource": {"type": "TEXT", "textDocument": {"text": d}}})).collect::<Vec<_>>(),
            "rerankingConfiguration": {"type": "BEDROCK_RERANKING_MODEL", "bedrockRerankingConfiguration": config}
        })
    }

    const COHERE: &str = "arn:aws:bedrock:us-west-2::foundation-model/cohere.rerank-v3-5:0";

    #[test]
    fn ranks_by_query_words() {
        let docs = ["Berlin is in Germany.", "Paris is the capital of France.", "Bananas."];
        let RerankOutcome::Results(v) =
            rerank_api(&body(COHERE, Some(2), &docs), "us-west-2").unwrap()
        else {
            panic!()
        };
        assert_eq!(v["results"].as_array().unwrap().len(), 2);
        assert_eq!(v["results"][0]["index"], 1);
        assert_eq!(v["results"][1]["index"], 0);
        assert!(
            v["results"][0]["relevanceScore"].as_f64().unwrap()
                > v["results"][1]["relevanceScore"].as_f64().unwrap()
        );
        let seven = ["a"; 7];
        let RerankOutcome::Results(v) =
            rerank_api(&body(COHERE, None, &seven), "us-west-2").unwrap()
        else {
            panic!()
        };
        assert_eq!(v["results"].as_array().unwrap().len(), 5, "default numberOfResults");
    }

    #[test]
    fn arn_rules() {
        assert!(
            message(
                rerank_api(&body("cohere.rerank-v3-5:0", None, &["x"]), "us-west-2").unwrap_err()
            )
            .starts_with("The provided model ARN for reranking is invalid.")
        );
        assert_eq!(
            message(rerank_api(&body(COHERE, None, &["x"]), "us-east-1").unwrap_err()),
            "Reranking does not support cross-region calls. Please provide a valid model ARN."
        );
        let amazon = "arn:aws:bedrock:us-east-1::foundation-model/amazon.rerank-v1:0";
        assert!(rerank_api(&body(amazon, None, &["x"]), "us-east-1").is_err());
        assert_eq!(
            rerank_api(
                &body(
                    "arn:aws:bedrock:us-west-2::foundation-model/emulator.fault-rerank-conflict",
                    None,
                    &["x"]
                ),
                "us-west-2"
            )
            .unwrap(),
            RerankOutcome::Fault(Fault::RerankConflict)
        );
    }

    #[test]
    fn shape_rules() {
        let mut two_queries = body(COHERE, None, &["x"]);
        two_queries["queries"] = json!([{"type": "TEXT", "textQuery": {"text": "a"}}, {"type": "TEXT", "textQuery": {"text": "b"}}]);
        assert_eq!(
            message(rerank_api(&two_queries, "us-west-2").unwrap_err()),
            "1 validation error detected: Value at 'queries' failed to satisfy constraint: Member must have length less than or equal to 1"
        );
        let mut renamed = body(COHERE, None, &["x"]);
        let config = renamed["rerankingConfiguration"]["bedrockRerankingConfiguration"].take();
        renamed["rerankingConfiguration"] =
            json!({"type": "BEDROCK_RERANKING_MODEL", "bedrockRerankingConfig": config});
        assert!(
            message(rerank_api(&renamed, "us-west-2").unwrap_err())
                .contains("bedrockRerankingConfig")
        );
        let no_sources = body(COHERE, None, &[]);
        assert!(message(rerank_api(&no_sources, "us-west-2").unwrap_err()).contains("'sources'"));
    }

    #[test]
    fn native_bodies() {
        let ok = br#"{"query": "What is the capital of France?", "documents": ["Paris is the capital of France.", "Berlin is in Germany."], "top_n": 2, "api_version": 2}"#;
        let v = invoke_rerank(RerankKind::Cohere, ok, "id-1").unwrap();
        assert_eq!(v["results"][0], json!({"index": 0, "relevance_score": 5.0 / 6.0}));
        assert_eq!(v["id"], "id-1");
        let v1 = br#"{"query": "q", "documents": ["d"], "api_version": 1}"#;
        assert_eq!(
            message(invoke_rerank(RerankKind::Cohere, v1, "x").unwrap_err()),
            "Malformed input request: #/api_version: 1 is not greater or equal to 2, please reformat your input and try again."
        );
        let wrong = br#"{"prompt": "x", "stream": true}"#;
        assert_eq!(
            message(invoke_rerank(RerankKind::Cohere, wrong, "x").unwrap_err()),
            "Malformed input request: #: required key [query] not found#: required key [documents] not found#: required key [api_version] not found#: extraneous key [prompt] is not permitted#: extraneous key [stream] is not permitted, please reformat your input and try again."
        );
        assert_eq!(
            message(invoke_rerank(RerankKind::Amazon, ok, "x").unwrap_err()),
            "Malformed input request: extraneous key [api_version] is not permitted, please reformat your input and try again."
        );
        let amazon =
            br#"{"query": "capital France", "documents": ["Paris is the capital of France."]}"#;
        assert_eq!(
            invoke_rerank(RerankKind::Amazon, amazon, "x").unwrap(),
            json!({"results": [{"index": 0, "relevance_score": 1.0}]})
        );
    }
}

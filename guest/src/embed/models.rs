//! The embedding models this provider calls through InvokeModel: limits, bodies, answers.
//!
//! | model | ID | inputs per call | text limit | dimensions | types | input type | truncation | images |
//! |---|---|---|---|---|---|---|---|---|
//! | Titan Text Embeddings v2 | `amazon.titan-embed-text-v2:0` | 1 (`inputText`) | 50,000 characters | 256, 512, 1024 (default) | float, binary (ubinary/binary packed here) | not taken | not taken | no |
//! | Cohere Embed v3 English / multilingual | `cohere.embed-english-v3`, `cohere.embed-multilingual-v3` | 96 texts, or 1 image | 2,048 characters | 1024 | all five | `input_type` (default search_document) | `NONE`/`START`/`END` | png, jpeg (5 MB) |
//! | Cohere Embed v4 | `cohere.embed-v4:0` | 96 (`texts`, `images` or mixed `inputs`) | 512,000 characters (~128k tokens) | 256, 512, 1024, 1536 (default) via `output_dimension` | all five | `input_type` (default search_document) | `NONE`/`LEFT`/`RIGHT` | png, jpeg, webp, gif (5 MB) |
//!
//! Titan's `binary` vectors hold one 0/1 value per dimension; they are packed here into the
//! contract's bit-packed `ubinary`/`binary` form, so a caller gets the same representation
//! from every model. Settings a model does not take produce a `setting-dropped` warning.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use crate::api::{
    EmbedInput, EmbedInputType, EmbedRequest, Embedding, EmbeddingType, Image, MediaSource,
    Truncation, Warning,
};
use crate::error::{ErrorKind, ProviderError, Result};
use crate::errors::invalid_response;
use crate::model_id::ModelId;

/// Largest image accepted by the Cohere models.
const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;

/// An embedding model family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Amazon Titan Text Embeddings v2.
    TitanV2,
    /// Cohere Embed v3 (English or multilingual).
    CohereV3,
    /// Cohere Embed v4.
    CohereV4,
}

impl Family {
    /// The family of `model`, or `unsupported` naming the models this provider embeds with.
    pub fn of(model: &ModelId) -> Result<Family> {
        let base = model.base_model_id().unwrap_or(model.as_str());
        if base.starts_with("amazon.titan-embed-text-v2") {
            Ok(Family::TitanV2)
        } else if base.starts_with("cohere.embed-english-v3")
            || base.starts_with("cohere.embed-multilingual-v3")
        {
            Ok(Family::CohereV3)
        } else if base.starts_with("cohere.embed-v4") {
            Ok(Family::CohereV4)
        } else {
            Err(ProviderError::new(
                ErrorKind::Unsupported,
                format!(
                    "`{}` is not an embedding model this provider knows how to call.",
                    model.as_str()
                ),
            )
            .with_field("model")
            .with_solution(
                "Use `amazon.titan-embed-text-v2:0`, `cohere.embed-english-v3`, \
                 `cohere.embed-multilingual-v3` or `cohere.embed-v4:0`.",
            ))
        }
    }

    fn name(self) -> &'static str {
        match self {
            Family::TitanV2 => "Titan Text Embeddings v2",
            Family::CohereV3 => "Cohere Embed v3",
            Family::CohereV4 => "Cohere Embed v4",
        }
    }

    fn max_chars(self) -> usize {
        match self {
            Family::TitanV2 => 50_000,
            Family::CohereV3 => 2048,
            Family::CohereV4 => 512_000,
        }
    }

    fn dimensions(self) -> (&'static [u32], u32) {
        match self {
            Family::TitanV2 => (&[256, 512, 1024], 1024),
            Family::CohereV3 => (&[1024], 1024),
            Family::CohereV4 => (&[256, 512, 1024, 1536], 1536),
        }
    }

    fn image_formats(self) -> &'static [&'static str] {
        match self {
            Family::TitanV2 => &[],
            Family::CohereV3 => &["png", "jpeg"],
            Family::CohereV4 => &["png", "jpeg", "webp", "gif"],
        }
    }
}

/// One upstream call: the inputs it covers (request indices, in order) and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// Request indices of the inputs this call embeds.
    pub indices: Vec<usize>,
    /// The InvokeModel body.
    pub body: Vec<u8>,
}

/// The checked request: the calls to make and what the answers must look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The calls, in input order.
    pub calls: Vec<Call>,
    /// The vector length.
    pub dimensions: u32,
    /// The formats to return (never empty).
    pub types: Vec<EmbeddingType>,
}

/// Checks `request` against `family`'s limits and splits it into calls. `extra` members are
/// added to every body (provider options).
pub fn plan(
    family: Family,
    request: &EmbedRequest,
    extra: &Map<String, Value>,
    warnings: &mut Vec<Warning>,
) -> Result<Plan> {
    let (allowed, default) = family.dimensions();
    let dimensions = match request.dimensions {
        None => default,
        Some(d) if allowed.contains(&d) => d,
        Some(d) => {
            let list: Vec<String> = allowed.iter().map(u32::to_string).collect();
            return Err(ProviderError::request(
                "dimensions",
                format!("{} does not offer {d} dimensions.", family.name()),
            )
            .with_solution(format!("Use one of: {}.", list.join(", "))));
        }
    };
    let mut types: Vec<EmbeddingType> = Vec::new();
    for t in &request.embedding_types {
        if !types.contains(t) {
            types.push(*t);
        }
    }
    if types.is_empty() {
        types.push(EmbeddingType::Float);
    }
    if family == Family::TitanV2
        && let Some(t) =
            types.iter().find(|t| matches!(t, EmbeddingType::Int8 | EmbeddingType::Uint8))
    {
        return Err(ProviderError::request(
            "embeddingTypes",
            format!("Titan Text Embeddings v2 does not return `{}` vectors.", t.as_str()),
        )
        .with_solution(
            "Ask for float, binary or ubinary vectors, or use a Cohere embedding model.",
        ));
    }
    if matches!(family, Family::CohereV3 | Family::CohereV4) && request.normalize.is_some() {
        warnings.push(dropped("normalize", family, "it takes no normalize flag"));
    }
    if family == Family::TitanV2 {
        if request.input_type.is_some() {
            warnings.push(dropped("inputType", family, "it takes no input type"));
        }
        if matches!(request.truncation, Some(Truncation::Start | Truncation::End)) {
            warnings.push(dropped(
                "truncation",
                family,
                "it does not truncate (too long inputs fail)",
            ));
        }
    }
    check_inputs(family, &request.inputs)?;

    let calls = match family {
        Family::TitanV2 => request
            .inputs
            .iter()
            .enumerate()
            .map(|(i, input)| {
                let EmbedInput::Text(text) = input else { unreachable!("checked above") };
                let mut body = Map::new();
                body.insert("inputText".into(), json!(text));
                body.insert("dimensions".into(), json!(dimensions));
                if let Some(n) = request.normalize {
                    body.insert("normalize".into(), json!(n));
                }
                let mut wire: Vec<&str> = Vec::new();
                if types.contains(&EmbeddingType::Float) {
                    wire.push("float");
                }
                if types.iter().any(|t| matches!(t, EmbeddingType::Binary | EmbeddingType::Ubinary))
                {
                    wire.push("binary");
                }
                body.insert("embeddingTypes".into(), json!(wire));
                finish(body, extra, vec![i])
            })
            .collect(),
        Family::CohereV3 => cohere_v3_calls(request, &types, extra)?,
        Family::CohereV4 => cohere_v4_calls(request, &types, dimensions, extra)?,
    };
    Ok(Plan { calls, dimensions, types })
}

fn dropped(setting: &str, family: Family, why: &str) -> Warning {
    Warning::new("setting-dropped", format!("{setting} was not sent: {} {why}.", family.name()))
}

fn check_inputs(family: Family, inputs: &[EmbedInput]) -> Result<()> {
    for (i, input) in inputs.iter().enumerate() {
        let field = format!("inputs[{i}]");
        match input {
            EmbedInput::Text(text) => {
                if text.trim().is_empty() {
                    return Err(ProviderError::request(field, "An input text is empty."));
                }
                let chars = text.chars().count();
                if chars > family.max_chars() {
                    return Err(ProviderError::request(
                        field,
                        format!(
                            "An input text has {chars} characters; {} accepts at most {}.",
                            family.name(),
                            family.max_chars()
                        ),
                    )
                    .with_solution("Split the text into smaller chunks."));
                }
            }
            EmbedInput::Image(image) => {
                let formats = family.image_formats();
                if formats.is_empty() {
                    return Err(ProviderError::request(
                        field,
                        format!("{} embeds text only.", family.name()),
                    )
                    .with_solution(
                        "Use `cohere.embed-v4:0` or a Cohere Embed v3 model for images.",
                    ));
                }
                if !formats.contains(&image.format.as_str()) {
                    return Err(ProviderError::request(
                        format!("{field}.format"),
                        format!("{} does not embed `{}` images.", family.name(), image.format),
                    )
                    .with_solution(format!("Use one of: {}.", formats.join(", "))));
                }
                match &image.source {
                    MediaSource::S3(_) => {
                        return Err(ProviderError::request(
                            format!("{field}.source"),
                            "Embedding models take image bytes, not S3 locations.",
                        ));
                    }
                    MediaSource::Bytes(b) if b.is_empty() || b.len() > MAX_IMAGE_BYTES => {
                        return Err(ProviderError::request(
                            format!("{field}.source"),
                            format!("An image must hold 1 byte to {MAX_IMAGE_BYTES} bytes."),
                        ));
                    }
                    MediaSource::Bytes(_) => {}
                }
            }
        }
    }
    Ok(())
}

/// `data:image/<format>;base64,...` (the Cohere models' image form).
fn data_uri(image: &Image) -> String {
    let bytes = match &image.source {
        MediaSource::Bytes(b) => b.as_slice(),
        MediaSource::S3(_) => &[],
    };
    format!("data:image/{};base64,{}", image.format, STANDARD.encode(bytes))
}

fn input_type(t: Option<EmbedInputType>) -> &'static str {
    match t {
        None | Some(EmbedInputType::SearchDocument) => "search_document",
        Some(EmbedInputType::SearchQuery) => "search_query",
        Some(EmbedInputType::Classification) => "classification",
        Some(EmbedInputType::Clustering) => "clustering",
    }
}

fn type_names(types: &[EmbeddingType]) -> Value {
    json!(types.iter().map(|t| t.as_str()).collect::<Vec<_>>())
}

fn finish(mut body: Map<String, Value>, extra: &Map<String, Value>, indices: Vec<usize>) -> Call {
    for (k, v) in extra {
        body.insert(k.clone(), v.clone());
    }
    Call { indices, body: Value::Object(body).to_string().into_bytes() }
}

/// Texts in batches of 96; each image alone (v3 embeds one image per call).
fn cohere_v3_calls(
    request: &EmbedRequest,
    types: &[EmbeddingType],
    extra: &Map<String, Value>,
) -> Result<Vec<Call>> {
    let base = |kind: &str| {
        let mut body = Map::new();
        body.insert("input_type".into(), json!(kind));
        if let Some(t) = request.truncation {
            let wire = match t {
                Truncation::None => "NONE",
                Truncation::Start => "START",
                Truncation::End => "END",
            };
            body.insert("truncate".into(), json!(wire));
        }
        if !request.embedding_types.is_empty() {
            body.insert("embedding_types".into(), type_names(types));
        }
        body
    };
    let mut calls = Vec::new();
    let mut texts: Vec<(usize, &str)> = Vec::new();
    let flush = |texts: &mut Vec<(usize, &str)>, calls: &mut Vec<Call>| {
        if texts.is_empty() {
            return;
        }
        let mut body = base(input_type(request.input_type));
        body.insert("texts".into(), json!(texts.iter().map(|(_, t)| *t).collect::<Vec<_>>()));
        calls.push(finish(body, extra, texts.iter().map(|(i, _)| *i).collect()));
        texts.clear();
    };
    for (i, input) in request.inputs.iter().enumerate() {
        match input {
            EmbedInput::Text(t) => {
                texts.push((i, t));
                if texts.len() == super::COHERE_BATCH {
                    flush(&mut texts, &mut calls);
                }
            }
            EmbedInput::Image(image) => {
                let mut body = base("image");
                body.insert("images".into(), json!([data_uri(image)]));
                calls.push(finish(body, extra, vec![i]));
            }
        }
    }
    flush(&mut texts, &mut calls);
    // Calls are made in order of their first input, so answers can be matched in order.
    calls.sort_by_key(|c| c.indices.first().copied());
    Ok(calls)
}

/// Inputs in batches of 96: `texts` or `images` when a batch holds one kind, else `inputs`.
fn cohere_v4_calls(
    request: &EmbedRequest,
    types: &[EmbeddingType],
    dimensions: u32,
    extra: &Map<String, Value>,
) -> Result<Vec<Call>> {
    let mut calls = Vec::new();
    let indexed: Vec<(usize, &EmbedInput)> = request.inputs.iter().enumerate().collect();
    for batch in indexed.chunks(super::COHERE_BATCH) {
        let mut body = Map::new();
        body.insert("input_type".into(), json!(input_type(request.input_type)));
        let all_text = batch.iter().all(|(_, x)| matches!(x, EmbedInput::Text(_)));
        let all_images = batch.iter().all(|(_, x)| matches!(x, EmbedInput::Image(_)));
        let text = |x: &EmbedInput| match x {
            EmbedInput::Text(t) => json!(t),
            EmbedInput::Image(i) => json!(data_uri(i)),
        };
        if all_text {
            body.insert("texts".into(), batch.iter().map(|(_, x)| text(x)).collect());
        } else if all_images {
            body.insert("images".into(), batch.iter().map(|(_, x)| text(x)).collect());
        } else {
            let inputs: Vec<Value> = batch
                .iter()
                .map(|(_, x)| match x {
                    EmbedInput::Text(t) => json!({"content": [{"type": "text", "text": t}]}),
                    EmbedInput::Image(i) => {
                        json!({"content": [{"type": "image_url", "image_url": data_uri(i)}]})
                    }
                })
                .collect();
            body.insert("inputs".into(), Value::Array(inputs));
        }
        if !request.embedding_types.is_empty() {
            body.insert("embedding_types".into(), type_names(types));
        }
        if request.dimensions.is_some() {
            body.insert("output_dimension".into(), json!(dimensions));
        }
        if let Some(t) = request.truncation {
            let wire = match t {
                Truncation::None => "NONE",
                Truncation::Start => "LEFT",
                Truncation::End => "RIGHT",
            };
            body.insert("truncate".into(), json!(wire));
        }
        calls.push(finish(body, extra, batch.iter().map(|(i, _)| *i).collect()));
    }
    Ok(calls)
}

/// The embeddings of one call's answer, for `indices`, plus the input tokens its body reports
/// (Titan's `inputTextTokenCount`).
pub fn parse(
    family: Family,
    body: &[u8],
    indices: &[usize],
    plan: &Plan,
    request_id: &Option<String>,
) -> Result<(Vec<Embedding>, Option<u64>)> {
    let bad = |detail: String| {
        invalid_response(detail, request_id.clone()).with_cause(
            "The answer does not have the shape of the model's InvokeModel response; something \
             between this provider and Bedrock may have answered instead.",
        )
    };
    let root: Value = serde_json::from_slice(body)
        .map_err(|e| bad(format!("The embedding answer is not JSON ({e}).")))?;
    if let Some(type_name) = root.pointer("/Output/__type").and_then(Value::as_str) {
        return Err(crate::errors::wrong_route(type_name, request_id.clone()));
    }
    let mut out: Vec<Embedding> =
        indices.iter().map(|&i| Embedding { index: i as u32, ..Embedding::default() }).collect();
    let tokens = match family {
        Family::TitanV2 => {
            let by_type = root.get("embeddingsByType");
            for t in &plan.types {
                let vector = match t {
                    EmbeddingType::Float => by_type
                        .and_then(|b| b.get("float"))
                        .or_else(|| root.get("embedding"))
                        .ok_or_else(|| bad("The Titan answer has no float embedding.".into()))?,
                    _ => by_type
                        .and_then(|b| b.get("binary"))
                        .ok_or_else(|| bad("The Titan answer has no binary embedding.".into()))?,
                };
                set_vector(&mut out[0], *t, vector, true, plan.dimensions, &bad)?;
            }
            root.get("inputTextTokenCount").and_then(Value::as_u64)
        }
        Family::CohereV3 | Family::CohereV4 => {
            let embeddings = root
                .get("embeddings")
                .ok_or_else(|| bad("The Cohere answer has no `embeddings`.".into()))?;
            for t in &plan.types {
                let lists = match embeddings {
                    // `embeddings_floats`: a bare list of float vectors.
                    Value::Array(_) if *t == EmbeddingType::Float => embeddings,
                    Value::Object(map) => map.get(t.as_str()).ok_or_else(|| {
                        bad(format!("The Cohere answer has no `{}` embeddings.", t.as_str()))
                    })?,
                    _ => {
                        return Err(bad(format!(
                            "The Cohere answer has no `{}` embeddings.",
                            t.as_str()
                        )));
                    }
                };
                let lists = lists.as_array().filter(|l| l.len() == out.len()).ok_or_else(|| {
                    bad(format!(
                        "The Cohere answer does not hold {} `{}` embeddings.",
                        out.len(),
                        t.as_str()
                    ))
                })?;
                for (slot, vector) in out.iter_mut().zip(lists) {
                    set_vector(slot, *t, vector, false, plan.dimensions, &bad)?;
                }
            }
            None
        }
    };
    Ok((out, tokens))
}

/// Stores one vector of type `t`. `unpacked_bits`: the vector is Titan's one 0/1 per dimension,
/// to be packed.
fn set_vector(
    slot: &mut Embedding,
    t: EmbeddingType,
    vector: &Value,
    unpacked_bits: bool,
    dimensions: u32,
    bad: &dyn Fn(String) -> ProviderError,
) -> Result<()> {
    let items = vector
        .as_array()
        .ok_or_else(|| bad(format!("A `{}` embedding is not a list.", t.as_str())))?;
    let want = match t {
        EmbeddingType::Binary | EmbeddingType::Ubinary if !unpacked_bits => dimensions / 8,
        _ => dimensions,
    } as usize;
    if items.len() != want {
        return Err(bad(format!(
            "A `{}` embedding has {} values; {want} were expected for {dimensions} dimensions.",
            t.as_str(),
            items.len()
        )));
    }
    let ints = |lo: i64, hi: i64| -> Result<Vec<i64>> {
        items
            .iter()
            .map(|v| v.as_i64().filter(|n| (lo..=hi).contains(n)))
            .collect::<Option<Vec<i64>>>()
            .ok_or_else(|| bad(format!("A `{}` embedding holds a value out of range.", t.as_str())))
    };
    match t {
        EmbeddingType::Float => {
            let floats = items
                .iter()
                .map(|v| v.as_f64().map(|f| f as f32))
                .collect::<Option<Vec<f32>>>()
                .ok_or_else(|| {
                    bad("A float embedding holds a value that is not a number.".into())
                })?;
            slot.float = Some(floats);
        }
        EmbeddingType::Int8 => {
            slot.int8 = Some(ints(-128, 127)?.into_iter().map(|n| n as i8).collect())
        }
        EmbeddingType::Uint8 => {
            slot.uint8 = Some(ints(0, 255)?.into_iter().map(|n| n as u8).collect())
        }
        EmbeddingType::Ubinary | EmbeddingType::Binary => {
            let unsigned: Vec<u8> = if unpacked_bits {
                pack_bits(&ints(0, 1)?)
            } else if t == EmbeddingType::Ubinary {
                ints(0, 255)?.into_iter().map(|n| n as u8).collect()
            } else {
                ints(-128, 127)?.into_iter().map(|n| (n + 128) as u8).collect()
            };
            match t {
                EmbeddingType::Ubinary => slot.ubinary = Some(unsigned),
                _ => {
                    slot.binary =
                        Some(unsigned.into_iter().map(|u| (i16::from(u) - 128) as i8).collect())
                }
            }
        }
    }
    Ok(())
}

/// Packs 0/1 values eight to a byte, the first value in the high bit (Cohere's `ubinary`).
pub fn pack_bits(bits: &[i64]) -> Vec<u8> {
    bits.chunks(8)
        .map(|chunk| {
            chunk
                .iter()
                .enumerate()
                .fold(0u8, |byte, (k, bit)| byte | (u8::from(*bit != 0) << (7 - k)))
        })
        .collect()
}

//! Embedding plans, answers and the whole call against the mock transport.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use super::*;
use crate::api::{EmbedInput, EmbedInputType, EmbeddingType, Image, MediaSource, Truncation};
use crate::error::ErrorKind;
use crate::transport::mock::{Canned, MockTransport};

const SETTINGS: &str = r#"{"region":"us-east-1","accessKeyId":"AKIDEXAMPLE",
  "secretAccessKey":"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  "embeddingModel":"amazon-bedrock|amazon.titan-embed-text-v2:0"}"#;

fn client() -> Client {
    Client::open(SETTINGS).unwrap().with_pause(|_| {})
}

fn texts(n: usize) -> Vec<EmbedInput> {
    (0..n).map(|i| EmbedInput::Text(format!("text {i}"))).collect()
}

fn request(model: &str, inputs: Vec<EmbedInput>) -> EmbedRequest {
    EmbedRequest { model: Some(model.into()), inputs, ..Default::default() }
}

fn bodies(t: &MockTransport) -> Vec<Value> {
    t.sent.borrow().iter().map(|r| serde_json::from_slice(&r.body).unwrap()).collect()
}

fn titan_answer(seed: f32, dims: usize, tokens: u64) -> Canned {
    let floats: Vec<f32> = (0..dims).map(|i| seed + i as f32 / 1000.0).collect();
    let bits: Vec<u8> = (0..dims).map(|i| u8::from(i % 3 == 0)).collect();
    Canned::json(
        200,
        &json!({"embedding": floats, "embeddingsByType": {"float": floats, "binary": bits},
                "inputTextTokenCount": tokens})
        .to_string(),
    )
    .with_header("x-amzn-bedrock-input-token-count", &tokens.to_string())
    .with_header("x-amzn-RequestId", &format!("req-{seed}"))
}

fn cohere_floats(n: usize, first: usize) -> Canned {
    let vectors: Vec<Vec<f32>> = (0..n).map(|i| vec![(first + i) as f32; 1024]).collect();
    Canned::json(
        200,
        &json!({"id": "abc", "embeddings": vectors, "texts": vec!["x"; n],
                "response_type": "embeddings_floats"})
        .to_string(),
    )
    .with_header("x-amzn-bedrock-input-token-count", &(2 * n).to_string())
}

#[test]
fn titan_sends_one_call_per_text_in_order() {
    let t = MockTransport::new([titan_answer(1.0, 256, 3), titan_answer(2.0, 256, 4)]);
    let mut r = request("amazon.titan-embed-text-v2:0", texts(2));
    r.dimensions = Some(256);
    r.normalize = Some(false);
    r.embedding_types = vec![EmbeddingType::Float, EmbeddingType::Ubinary, EmbeddingType::Binary];
    r.input_type = Some(EmbedInputType::SearchQuery);
    let answer = client().embed(&t, r).unwrap();
    let sent = t.sent.borrow();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].path, "/model/amazon.titan-embed-text-v2%3A0/invoke");
    assert_eq!(sent[0].header("accept"), Some("application/json"));
    drop(sent);
    assert_eq!(
        bodies(&t)[1],
        json!({"inputText": "text 1", "dimensions": 256, "normalize": false,
               "embeddingTypes": ["float", "binary"]})
    );
    assert_eq!(answer.dimensions, 256);
    assert_eq!(answer.input_tokens, 7);
    assert_eq!(answer.metadata.request_id.as_deref(), Some("req-1"));
    assert_eq!(answer.embeddings.len(), 2);
    let second = &answer.embeddings[1];
    assert_eq!(second.index, 1);
    assert_eq!(second.float.as_ref().unwrap()[0], 2.0);
    // Titan's 0/1 per dimension, packed: dimensions 0, 3, 6 set in the first byte.
    let ubinary = second.ubinary.as_ref().unwrap();
    assert_eq!(ubinary.len(), 32);
    assert_eq!(ubinary[0], 0b1001_0010);
    assert_eq!(second.binary.as_ref().unwrap()[0], (0b1001_0010u8 as i16 - 128) as i8);
    assert!(second.int8.is_none());
    assert!(
        answer
            .warnings
            .iter()
            .any(|w| w.code == "setting-dropped" && w.message.contains("inputType"))
    );
}

#[test]
fn cohere_v3_batches_96_texts_per_call() {
    let t =
        MockTransport::new([cohere_floats(96, 0), cohere_floats(96, 96), cohere_floats(8, 192)]);
    let mut r = request("cohere.embed-english-v3", texts(200));
    r.truncation = Some(Truncation::End);
    let answer = client().embed(&t, r).unwrap();
    let sent = bodies(&t);
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[0]["texts"].as_array().unwrap().len(), 96);
    assert_eq!(sent[2]["texts"].as_array().unwrap().len(), 8);
    assert_eq!(sent[0]["input_type"], "search_document");
    assert_eq!(sent[0]["truncate"], "END");
    assert!(sent[0].get("embedding_types").is_none());
    assert_eq!(answer.embeddings.len(), 200);
    for (i, e) in answer.embeddings.iter().enumerate() {
        assert_eq!(e.index as usize, i);
        assert_eq!(e.float.as_ref().unwrap()[0], i as f32);
    }
    assert_eq!(answer.input_tokens, 400);
    assert_eq!(answer.dimensions, 1024);
}

#[test]
fn cohere_v3_embeds_each_image_alone() {
    let image = EmbedInput::Image(Image {
        format: "png".into(),
        source: MediaSource::Bytes(vec![1, 2, 3]),
    });
    let t = MockTransport::new([cohere_floats(2, 0), cohere_floats(1, 1)]);
    let r = request(
        "cohere.embed-multilingual-v3",
        vec![texts(1).remove(0), image, EmbedInput::Text("b".into())],
    );
    let answer = client().embed(&t, r).unwrap();
    let sent = bodies(&t);
    assert_eq!(sent[0]["texts"], json!(["text 0", "b"]));
    assert_eq!(sent[1], json!({"input_type": "image", "images": ["data:image/png;base64,AQID"]}));
    let firsts: Vec<f32> = answer.embeddings.iter().map(|e| e.float.as_ref().unwrap()[0]).collect();
    assert_eq!(
        firsts,
        [0.0, 1.0, 1.0],
        "texts 0 and 2 from the first call, the image from the second"
    );
}

#[test]
fn cohere_v4_dimensions_types_and_mixed_inputs() {
    let image =
        EmbedInput::Image(Image { format: "webp".into(), source: MediaSource::Bytes(vec![9]) });
    let answer_body = json!({"id": "x", "response_type": "embeddings_by_type", "texts": ["a"],
        "embeddings": {"int8": [vec![-3; 256], vec![5; 256]], "ubinary": [vec![255; 32], vec![0; 32]]}});
    let t = MockTransport::new([Canned::json(200, &answer_body.to_string())]);
    let mut r = request("cohere.embed-v4:0", vec![EmbedInput::Text("a".into()), image]);
    r.dimensions = Some(256);
    r.embedding_types = vec![EmbeddingType::Int8, EmbeddingType::Ubinary];
    r.truncation = Some(Truncation::Start);
    r.input_type = Some(EmbedInputType::Clustering);
    r.provider_options = Some(r#"{"additionalModelRequestFields":{"max_tokens":512}}"#.into());
    let answer = client().embed(&t, r).unwrap();
    let sent = &bodies(&t)[0];
    assert_eq!(
        *sent,
        json!({"input_type": "clustering",
               "inputs": [{"content": [{"type": "text", "text": "a"}]},
                          {"content": [{"type": "image_url", "image_url": "data:image/webp;base64,CQ=="}]}],
               "embedding_types": ["int8", "ubinary"], "output_dimension": 256, "truncate": "LEFT",
               "max_tokens": 512})
    );
    assert_eq!(answer.embeddings[1].int8.as_ref().unwrap()[0], 5);
    assert_eq!(answer.embeddings[0].ubinary.as_ref().unwrap()[0], 255);
    assert!(answer.embeddings[0].float.is_none());
    // No token header: counted as missing.
    assert!(answer.warnings.iter().any(|w| w.code == "usage-missing"));
}

#[test]
fn limits_are_checked_before_sending() {
    let long = EmbedInput::Text("x".repeat(2049));
    let image =
        EmbedInput::Image(Image { format: "png".into(), source: MediaSource::Bytes(vec![1]) });
    let cases: Vec<(EmbedRequest, ErrorKind, &str)> = vec![
        (request("cohere.embed-english-v3", vec![long]), ErrorKind::InvalidRequest, "inputs[0]"),
        (
            request("amazon.titan-embed-text-v2:0", vec![image]),
            ErrorKind::InvalidRequest,
            "inputs[0]",
        ),
        (request("amazon.titan-embed-text-v2:0", vec![]), ErrorKind::InvalidRequest, "inputs"),
        (request("amazon.titan-embed-text-v2:0", texts(2049)), ErrorKind::InvalidRequest, "inputs"),
        (
            EmbedRequest { dimensions: Some(768), ..request("cohere.embed-v4:0", texts(1)) },
            ErrorKind::InvalidRequest,
            "dimensions",
        ),
        (
            EmbedRequest {
                embedding_types: vec![EmbeddingType::Int8],
                ..request("amazon.titan-embed-text-v2:0", texts(1))
            },
            ErrorKind::InvalidRequest,
            "embeddingTypes",
        ),
        (request("amazon.titan-embed-text-v1", texts(1)), ErrorKind::Unsupported, "model"),
        (
            EmbedRequest {
                provider_options: Some(r#"{"x":1}"#.into()),
                ..request("cohere.embed-v4:0", texts(1))
            },
            ErrorKind::InvalidRequest,
            "providerOptions.x",
        ),
    ];
    for (r, kind, field) in cases {
        let t = MockTransport::new([]);
        let e = client().embed(&t, r).unwrap_err();
        assert_eq!((e.kind, e.field.as_deref()), (kind, Some(field)), "{e:?}");
        assert!(t.sent.borrow().is_empty());
    }
}

#[test]
fn a_throttled_call_resends_only_the_unanswered_ones() {
    let throttled =
        Canned::json(429, r#"{"message":"Too many requests, please wait before trying again."}"#)
            .with_header(
                "x-amzn-ErrorType",
                "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/",
            );
    let t = MockTransport::new([
        titan_answer(1.0, 1024, 1),
        throttled,
        titan_answer(2.0, 1024, 1),
        titan_answer(3.0, 1024, 1),
    ]);
    let answer = client().embed(&t, request("amazon.titan-embed-text-v2:0", texts(3))).unwrap();
    let sent = bodies(&t);
    let order: Vec<&str> = sent.iter().map(|b| b["inputText"].as_str().unwrap()).collect();
    assert_eq!(order, ["text 0", "text 1", "text 1", "text 2"]);
    let firsts: Vec<f32> = answer.embeddings.iter().map(|e| e.float.as_ref().unwrap()[0]).collect();
    assert_eq!(firsts, [1.0, 2.0, 3.0]);
}

#[test]
fn failures_are_mapped_and_name_the_embedding_model() {
    let denied = Canned::json(
        403,
        r#"{"message":"You don't have access to the model with the specified model ID."}"#,
    )
    .with_header(
        "x-amzn-ErrorType",
        "AccessDeniedException:http://internal.amazon.com/coral/com.amazon.bedrock/",
    );
    let t = MockTransport::new([denied]);
    let r = EmbedRequest { inputs: texts(2), ..Default::default() };
    let e = client().embed(&t, r).unwrap_err();
    assert_eq!(e.kind, ErrorKind::AccessDenied);
    assert_eq!(e.field.as_deref(), Some("embeddingModel"));
    assert_eq!(t.sent.borrow().len(), 1, "the failure stops the batch");
    // A vector of the wrong length is not an answer.
    let t = MockTransport::new([titan_answer(1.0, 512, 1)]);
    let e = client().embed(&t, request("amazon.titan-embed-text-v2:0", texts(1))).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidResponse);
    assert!(e.message.contains("1024"), "{e:?}");
    // No model anywhere.
    let bare =
        Client::open(r#"{"region":"us-east-1","apiKey":"ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl"}"#)
            .unwrap();
    let e = bare
        .embed(&MockTransport::new([]), EmbedRequest { inputs: texts(1), ..Default::default() })
        .unwrap_err();
    assert_eq!((e.kind, e.field.as_deref()), (ErrorKind::InvalidSettings, Some("embeddingModel")));
}

#[test]
fn bits_pack_high_bit_first() {
    assert_eq!(pack_bits(&[1, 0, 0, 0, 0, 0, 0, 1, 1]), vec![0b1000_0001, 0b1000_0000]);
}

/// A transport that loses every request of a batch without reporting a failure.
struct Losing;

impl Transport for Losing {
    fn send(
        &self,
        _: &crate::transport::HttpRequest,
        _: &crate::transport::Timeouts,
    ) -> std::result::Result<crate::transport::HttpResponse, crate::transport::TransportError> {
        unreachable!("only send_all is used")
    }

    fn send_all(
        &self,
        requests: &[crate::transport::HttpRequest],
        _: &crate::transport::Timeouts,
        _: usize,
        _: usize,
    ) -> Vec<crate::transport::BatchResult> {
        requests.iter().map(|_| None).collect()
    }
}

#[test]
fn a_lost_request_is_a_network_error_after_the_retries() {
    let e = client().embed(&Losing, request("amazon.titan-embed-text-v2:0", texts(2))).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Network);
    assert!(e.message.contains("gave up after 3 attempts"), "{e:?}");
}

//! Table tests from every literal message and recorded body in spec §12 and §15.12.
#![allow(clippy::unwrap_used)]

use serde_json::Value;

use super::*;

const SONNET: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";
const SONNET_US: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const NS_BEDROCK: &str = ":http://internal.amazon.com/coral/com.amazon.bedrock/";
const NS_CORAL: &str = ":http://internal.amazon.com/coral/com.amazon.coral.service/";

fn ctx() -> ErrorContext {
    ErrorContext {
        region: "us-east-1".into(),
        model_id: SONNET.into(),
        inference_profile: Some(SONNET_US.into()),
        operation: Operation::Converse,
        bearer: false,
        model_setting: None,
    }
}

fn rerank_ctx() -> ErrorContext {
    ErrorContext {
        region: "us-east-1".into(),
        model_id: "amazon.rerank-v1:0".into(),
        inference_profile: None,
        operation: Operation::Rerank,
        bearer: false,
        model_setting: None,
    }
}

/// An HTTP error the way Bedrock sends it: code in `x-amzn-errortype` (with the internal
/// namespace), request ID header, JSON body.
fn http_with(status: u16, code: Option<&str>, body: &str, ctx: &ErrorContext) -> ProviderError {
    let mut headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        ("x-amzn-requestid".to_string(), "ca47a5ce-e260-4824-aa0e-2e62669d5d6e".to_string()),
    ];
    if let Some(code) = code {
        headers.push(("x-amzn-errortype".into(), format!("{code}{NS_BEDROCK}")));
    }
    let e = from_http(status, &headers, body.as_bytes(), ctx);
    assert_eq!(e.status, Some(status));
    assert_eq!(e.request_id.as_deref(), Some("ca47a5ce-e260-4824-aa0e-2e62669d5d6e"));
    assert_clean(&e);
    e
}

fn http(status: u16, code: Option<&str>, body: &str) -> ProviderError {
    http_with(status, code, body, &ctx())
}

fn msg(text: &str) -> String {
    serde_json::json!({ "message": text }).to_string()
}

/// Every error carries a cause and a solution and never leaks the internal namespace.
fn assert_clean(e: &ProviderError) {
    assert!(e.cause.as_deref().is_some_and(|c| !c.is_empty()), "{e:?}");
    assert!(e.solution.as_deref().is_some_and(|s| !s.is_empty()), "{e:?}");
    let all = format!("{e:?}");
    assert!(!all.contains("http://internal"), "{all}");
}

fn solution(e: &ProviderError) -> &str {
    e.solution.as_deref().unwrap_or_default()
}

fn cause(e: &ProviderError) -> &str {
    e.cause.as_deref().unwrap_or_default()
}

struct Case {
    status: u16,
    code: Option<&'static str>,
    message: &'static str,
    kind: ErrorKind,
    retryable: bool,
}

fn check(cases: &[Case], ctx: &ErrorContext) {
    for c in cases {
        let e = http_with(c.status, c.code, &msg(c.message), ctx);
        assert_eq!(e.kind, c.kind, "{} {:?} {}", c.status, c.code, c.message);
        assert_eq!(e.retryable, c.retryable, "{} {:?} {}", c.status, c.code, c.message);
        assert_eq!(e.code.as_deref(), c.code, "{}", c.message);
        assert_eq!(e.message, c.message);
    }
}

use ErrorKind::*;

// ---- §12.2: every modelled bedrock-runtime shape ----

#[test]
fn modelled_runtime_errors() {
    let cases = [
        Case {
            status: 400,
            code: Some("ValidationException"),
            message: "Malformed request. Please check your parameter/values and try again.",
            kind: InvalidRequest,
            retryable: false,
        },
        Case {
            status: 400,
            code: Some("ServiceQuotaExceededException"),
            message: "Your request exceeds the service quota for your account.",
            kind: QuotaExceeded,
            retryable: false,
        },
        Case {
            status: 400,
            code: Some("ConflictException"),
            message: "Conflict.",
            kind: InvalidRequest,
            retryable: false,
        },
        Case {
            status: 403,
            code: Some("AccessDeniedException"),
            message: "Access denied.",
            kind: AccessDenied,
            retryable: false,
        },
        Case {
            status: 404,
            code: Some("ResourceNotFoundException"),
            message: "Model not found.",
            kind: ModelNotFound,
            retryable: false,
        },
        Case {
            status: 408,
            code: Some("ModelTimeoutException"),
            message: "Model has timed out in processing the request.",
            kind: ModelTimeout,
            retryable: true,
        },
        Case {
            status: 424,
            code: Some("ModelErrorException"),
            message: "The model failed.",
            kind: ModelError,
            retryable: true,
        },
        Case {
            status: 424,
            code: Some("ModelStreamErrorException"),
            message: "The stream failed.",
            kind: ModelError,
            retryable: true,
        },
        Case {
            status: 429,
            code: Some("ThrottlingException"),
            message: "Rate exceeded.",
            kind: Throttled,
            retryable: true,
        },
        Case {
            status: 429,
            code: Some("ModelNotReadyException"),
            message: "Model is not ready.",
            kind: ModelNotReady,
            retryable: true,
        },
        Case {
            status: 500,
            code: Some("InternalServerException"),
            message: "The system encountered an unexpected error during processing. Try your request again.",
            kind: Internal,
            retryable: true,
        },
        Case {
            status: 503,
            code: Some("ServiceUnavailableException"),
            message: "Bedrock is unable to process your request.",
            kind: ServiceUnavailable,
            retryable: true,
        },
    ];
    check(&cases, &ctx());
}

#[test]
fn model_error_keeps_the_original_status() {
    let body = r#"{"message":"Received client error (400) from model","originalStatusCode":400,"resourceName":"arn:x"}"#;
    let e = http(424, Some("ModelErrorException"), body);
    assert_eq!(e.kind, ModelError);
    assert!(cause(&e).contains("400"), "{e:?}");
    assert!(!e.retryable, "a 4xx from the model fails again");
    let body = r#"{"message":"Received server error (503)","originalStatusCode":503}"#;
    let e = http(424, Some("ModelErrorException"), body);
    assert!(cause(&e).contains("503"));
    assert!(e.retryable);
}

#[test]
fn context_overflow_is_a_request_error_whatever_the_exception() {
    for (status, code, text) in [
        (424, Some("ModelErrorException"), "Input is too long for requested model."),
        (400, Some("ValidationException"), "prompt is too long: 250000 tokens > 200000 maximum"),
        (
            400,
            Some("ValidationException"),
            "The model returned the following errors: Input is too long for requested model.",
        ),
        (424, None, "This model's maximum context length is 8192 tokens."),
    ] {
        let e = http(status, code, &msg(text));
        assert_eq!((e.kind, e.retryable), (InvalidRequest, false), "{text}");
        assert_eq!(e.field.as_deref(), Some("messages"), "{text}");
        assert!(cause(&e).contains("context window"), "{e:?}");
        assert_eq!(e.message, text, "the upstream's words stay the message");
    }
    // Throttling's "too many tokens" is not about the context window.
    let e = http(
        429,
        Some("ThrottlingException"),
        &msg("Too many tokens, please wait before trying again."),
    );
    assert_eq!(e.kind, Throttled);
}

// ---- §12.3: agent runtime (Rerank) ----

#[test]
fn rerank_errors() {
    let cases = [
        Case {
            status: 409,
            code: Some("ConflictException"),
            message: "Conflict.",
            kind: InvalidRequest,
            retryable: false,
        },
        Case {
            status: 424,
            code: Some("DependencyFailedException"),
            message: "Dependency failed.",
            kind: ServiceUnavailable,
            retryable: true,
        },
        Case {
            status: 502,
            code: Some("BadGatewayException"),
            message: "Bad gateway.",
            kind: ServiceUnavailable,
            retryable: true,
        },
        Case {
            status: 400,
            code: Some("ServiceQuotaExceededException"),
            message: "Quota.",
            kind: QuotaExceeded,
            retryable: false,
        },
        Case {
            status: 429,
            code: Some("ThrottlingException"),
            message: "Too many requests, please wait before trying again.",
            kind: Throttled,
            retryable: true,
        },
        Case {
            status: 404,
            code: Some("ResourceNotFoundException"),
            message: "Not found.",
            kind: ModelNotFound,
            retryable: false,
        },
        Case {
            status: 400,
            code: Some("ValidationException"),
            message: "The provided model ARN for reranking is invalid. Please, use a valid model ARN. Also check the model ARN follows this format: arn:<partition>:bedrock:<region>::foundation-model/<model-id>",
            kind: ModelNotFound,
            retryable: false,
        },
        Case {
            status: 400,
            code: Some("ValidationException"),
            message: "Reranking does not support cross-region calls. Please provide a valid model ARN.",
            kind: RegionUnsupported,
            retryable: false,
        },
        Case {
            status: 400,
            code: Some("ValidationException"),
            message: "The Amazon Rerank 1.0 model is not supported in the US East (N. Virginia) AWS Region. You can only use the Cohere Rerank 3.5 model in this Region.",
            kind: RegionUnsupported,
            retryable: false,
        },
        Case {
            status: 400,
            code: Some("ValidationException"),
            message: "An error occurred (ValidationException) when calling the Rerank operation: You don't have access to the model with the specified model ID. (Service: BedrockRuntime, Status Code: 403, Request ID: x)",
            kind: AccessDenied,
            retryable: false,
        },
    ];
    check(&cases, &rerank_ctx());

    let body = r#"{"message":"Dependency failed","resourceName":"bedrock-runtime"}"#;
    assert!(
        cause(&http_with(424, Some("DependencyFailedException"), body, &rerank_ctx()))
            .contains("bedrock-runtime")
    );

    let body =
        r#"{"message":"Internal error","reason":"BEDROCK_MODEL_INVOCATION_SERVICE_UNAVAILABLE"}"#;
    let e = http_with(500, Some("InternalServerException"), body, &rerank_ctx());
    assert_eq!(e.kind, Internal);
    assert!(e.retryable);
    assert!(cause(&e).contains("model invocation service is unavailable"));

    let e = http_with(
        400,
        Some("ValidationException"),
        &msg(
            "The Amazon Rerank 1.0 model is not supported in the US East (N. Virginia) AWS Region.",
        ),
        &rerank_ctx(),
    );
    assert!(solution(&e).contains("us-west-2"));
    assert!(cause(&e).contains("us-east-1"));
    assert_eq!(e.field.as_deref(), Some("region"));

    let e = http_with(403, Some("AccessDeniedException"), &msg("Access denied."), &rerank_ctx());
    assert!(
        solution(&e).contains("`bedrock:Rerank`") && solution(&e).contains("`bedrock:InvokeModel`")
    );
}

#[test]
fn rerank_through_invoke_model_names_the_reranking_model() {
    let invoke = ErrorContext {
        model_id: "cohere.rerank-v3-5:0".into(),
        operation: Operation::RerankInvokeModel,
        ..rerank_ctx()
    };
    let invalid = msg("The provided model identifier is invalid.");
    for (status, code, body) in [
        (400, "ValidationException", invalid.clone()),
        (404, "ResourceNotFoundException", msg("Not found.")),
        (
            403,
            "AccessDeniedException",
            msg("You don't have access to the model with the specified model ID."),
        ),
    ] {
        let e = http_with(status, Some(code), &body, &invoke);
        assert_eq!(e.field.as_deref(), Some("rerankingModel"), "{code}: {e:?}");
        assert!(solution(&e).contains("rerankingModel") || code == "AccessDeniedException");
    }
    // The same failures of a chat call still name the language model.
    let e = http_with(400, Some("ValidationException"), &invalid, &ctx());
    assert_eq!(e.field.as_deref(), Some("languageModel"));
    // InvokeModel accepts API keys: a rejected key is the key's fault, not the wire path's.
    let bearer = ErrorContext { bearer: true, ..invoke };
    let e = http_with(
        403,
        None,
        r#"{"Message":"Authentication failed: Please make sure your API Key is valid."}"#,
        &bearer,
    );
    assert_eq!(e.kind, Authentication);
    assert!(solution(&e).contains("Generate a new Amazon Bedrock API key"), "{e:?}");
    // The IAM action for this path is InvokeModel, not Rerank.
    let e = http_with(403, Some("AccessDeniedException"), &msg("Access denied."), &bearer);
    assert!(solution(&e).contains("`bedrock:InvokeModel`") && !solution(&e).contains("Rerank"));
}

#[test]
fn amazon_rerank_in_us_east_1_is_a_region_problem_on_both_paths() {
    let invalid = msg("The provided model identifier is invalid.");
    for operation in [Operation::Rerank, Operation::RerankInvokeModel] {
        let ctx = ErrorContext { operation, ..rerank_ctx() };
        let e = http_with(400, Some("ValidationException"), &invalid, &ctx);
        assert_eq!(e.kind, RegionUnsupported, "{operation:?}");
        assert_eq!(e.field.as_deref(), Some("region"));
        assert!(solution(&e).contains("`amazon-bedrock|cohere.rerank-v3-5:0`"), "{e:?}");
        assert!(solution(&e).contains("us-west-2"), "{e:?}");
        assert!(cause(&e).contains("us-east-1"), "{e:?}");
        // In us-west-2 the same answer means the ID is wrong.
        let west = ErrorContext { region: "us-west-2".into(), ..ctx.clone() };
        let e = http_with(400, Some("ValidationException"), &invalid, &west);
        assert_eq!(e.kind, ModelNotFound, "{operation:?}");
        // And Cohere Rerank is offered in us-east-1.
        let cohere = ErrorContext { model_id: "cohere.rerank-v3-5:0".into(), ..ctx };
        let e = http_with(400, Some("ValidationException"), &invalid, &cohere);
        assert_eq!(e.kind, ModelNotFound, "{operation:?}");
    }
    // A cross-region rerank names Cohere Rerank as the model offered in us-east-1.
    let ctx = ErrorContext { model_id: "cohere.rerank-v3-5:0".into(), ..rerank_ctx() };
    let e = http_with(
        400,
        Some("ValidationException"),
        &msg("Reranking does not support cross-region calls. Please provide a valid model ARN."),
        &ctx,
    );
    assert_eq!(e.kind, RegionUnsupported);
    assert!(solution(&e).contains("cohere.rerank-v3-5:0"), "{e:?}");
}

#[test]
fn rerank_with_api_key_says_the_agent_runtime_needs_sigv4() {
    let ctx = ErrorContext { bearer: true, ..rerank_ctx() };
    for (status, code, message) in [
        (403, None, "Authentication failed: Please make sure your API Key is valid."),
        (403, Some("AccessDeniedException"), "Access denied."),
        (
            403,
            Some("UnrecognizedClientException"),
            "The security token included in the request is invalid.",
        ),
        (403, Some("MissingAuthenticationTokenException"), "Missing Authentication Token"),
        (
            403,
            Some("IncompleteSignatureException"),
            "Authorization header requires 'Credential' parameter.",
        ),
    ] {
        let e = http_with(status, code, &msg(message), &ctx);
        assert_eq!(e.kind, Authentication, "{message}");
        assert!(cause(&e).contains("does not accept Bedrock API keys"), "{message}");
        assert!(solution(&e).contains("accessKeyId"));
    }
}

// ---- §12.4: authentication and signature errors ----

#[test]
fn auth_layer_errors() {
    let e = from_http(
        403,
        &[
            ("x-amzn-requestid".into(), "39c52d8a-aaaa-bbbb-cccc-000000000000".into()),
            ("x-amzn-errortype".into(), format!("InvalidSignatureException{NS_CORAL}")),
        ],
        br#"{"message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}"#,
        &ctx(),
    );
    assert_eq!(e.kind, Authentication);
    assert_eq!(e.code.as_deref(), Some("InvalidSignatureException"));
    assert_eq!(e.request_id.as_deref(), Some("39c52d8a-aaaa-bbbb-cccc-000000000000"));
    assert!(
        solution(&e).contains("secretAccessKey")
            && solution(&e).contains("whitespace")
            && solution(&e).contains("proxy")
    );
    assert!(!e.retryable);

    let cases = [
        Case {
            status: 403,
            code: Some("InvalidSignatureException"),
            message: "Signature expired: 20250714T201419Z is now earlier than 20250714T202350Z (20250714T202850Z - 5 min.)",
            kind: ExpiredCredentials,
            retryable: false,
        },
        Case {
            status: 403,
            code: Some("UnrecognizedClientException"),
            message: "The security token included in the request is invalid.",
            kind: Authentication,
            retryable: false,
        },
        Case {
            status: 403,
            code: Some("ExpiredTokenException"),
            message: "The security token included in the request is expired",
            kind: ExpiredCredentials,
            retryable: false,
        },
        Case {
            status: 400,
            code: Some("IncompleteSignatureException"),
            message: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
            kind: Authentication,
            retryable: false,
        },
        Case {
            status: 400,
            code: Some("IncompleteSignatureException"),
            message: "'abc' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 abc'",
            kind: Authentication,
            retryable: false,
        },
        Case {
            status: 403,
            code: Some("MissingAuthenticationTokenException"),
            message: "Missing Authentication Token",
            kind: Authentication,
            retryable: false,
        },
        Case {
            status: 403,
            code: Some("InvalidClientTokenId"),
            message: "The X.509 certificate or AWS access key ID provided does not exist in our records.",
            kind: Authentication,
            retryable: false,
        },
    ];
    check(&cases, &ctx());

    let skew = http(
        403,
        Some("InvalidSignatureException"),
        &msg(
            "Signature expired: 20250714T201419Z is now earlier than 20250714T202350Z (20250714T202850Z - 5 min.)",
        ),
    );
    assert!(cause(&skew).contains("clock"));
    assert!(solution(&skew).contains("clock"));
    let expired = http(
        403,
        Some("ExpiredTokenException"),
        &msg("The security token included in the request is expired"),
    );
    assert!(solution(&expired).contains("sessionToken"));
    assert_eq!(expired.field.as_deref(), Some("sessionToken"));
    let unknown = http(
        403,
        Some("UnrecognizedClientException"),
        &msg("The security token included in the request is invalid."),
    );
    assert_eq!(unknown.field.as_deref(), Some("accessKeyId"));
}

#[test]
fn auth_errors_without_a_code_header() {
    // Capital `Message`, no code: classified by status, refined by the text.
    let e = http(403, None, r#"{"Message":"Authorization header is missing"}"#);
    assert_eq!(e.kind, Authentication);
    assert_eq!(e.code, None);
    assert_eq!(e.message, "Authorization header is missing");

    let bearer = ErrorContext { bearer: true, ..ctx() };
    let e = http_with(
        403,
        None,
        r#"{"Message":"Authentication failed: Please make sure your API Key is valid."}"#,
        &bearer,
    );
    assert_eq!(e.kind, Authentication);
    assert_eq!(e.field.as_deref(), Some("apiKey"));
    assert!(solution(&e).contains("region") && solution(&e).contains("us-east-1"));
    assert!(cause(&e).contains("expired"));

    // A body-level `__type` with a namespace (generic AWS JSON errors).
    let e = from_http(
        403,
        &[],
        br#"{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"The security token included in the request is invalid."}"#,
        &ctx(),
    );
    assert_eq!(e.kind, Authentication);
    assert_eq!(e.code.as_deref(), Some("UnrecognizedClientException"));
    assert_eq!(e.request_id, None);
}

#[test]
fn iam_denial_names_the_action_and_resource() {
    let body = r#"{"Message":"User: arn:aws:iam::<acct>:user/x is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1:<acct>:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0 because no identity-based policy allows the bedrock:InvokeModel action"}"#;
    let e = http(403, None, body);
    assert_eq!(e.kind, AccessDenied);
    assert!(cause(&e).contains("`bedrock:InvokeModel`"), "{e:?}");
    assert!(solution(&e).contains(
        "`bedrock:InvokeModel` on `arn:aws:bedrock:us-east-1:<acct>:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0`"
    ));
    let body = msg(
        "User: arn:aws:iam::1:role/r is not authorized to perform: bedrock:InvokeModelWithResponseStream on resource: arn:aws:bedrock:us-east-1::foundation-model/x",
    );
    let e = http(403, Some("AccessDeniedException"), &body);
    assert!(solution(&e).contains(
        "`bedrock:InvokeModelWithResponseStream` on `arn:aws:bedrock:us-east-1::foundation-model/x`"
    ));
    let body = msg(
        "User: arn:aws:iam::1:user/u is not authorized to perform: bedrock:Rerank because no identity-based policy allows it",
    );
    let e = http_with(403, Some("AccessDeniedException"), &body, &rerank_ctx());
    assert!(solution(&e).contains("`bedrock:Rerank`"));
}

#[test]
fn troubleshooting_page_codes() {
    let cases = [
        Case {
            status: 403,
            code: Some("AccessDeniedException"),
            message: "You don't have access.",
            kind: AccessDenied,
            retryable: false,
        },
        Case {
            status: 403,
            code: Some("BadCScoreException"),
            message: "Your account is not authorized to access this model",
            kind: AccessDenied,
            retryable: false,
        },
        Case {
            status: 404,
            code: Some("FTUFormNotFilled"),
            message: "Model use case details have not been submitted for this account",
            kind: AccessDenied,
            retryable: false,
        },
        Case {
            status: 400,
            code: Some("IncompleteSignature"),
            message: "The request signature does not conform to AWS standards.",
            kind: Authentication,
            retryable: false,
        },
        Case {
            status: 500,
            code: Some("InternalFailure"),
            message: "The request processing has failed because of an unknown error.",
            kind: Internal,
            retryable: true,
        },
        Case {
            status: 400,
            code: Some("InvalidAction"),
            message: "The action or operation requested is invalid.",
            kind: InvalidResponse,
            retryable: false,
        },
        Case {
            status: 403,
            code: Some("InvalidClientTokenId"),
            message: "The X.509 certificate or AWS access key ID provided does not exist in our records.",
            kind: Authentication,
            retryable: false,
        },
        Case {
            status: 403,
            code: Some("AccessDeniedException"),
            message: "AWS Marketplace Agreement Failed within 15 minutes",
            kind: AccessDenied,
            retryable: false,
        },
        Case {
            status: 403,
            code: Some("AccessDeniedException"),
            message: "AWS Marketplace Agreement Pending after 15 minutes",
            kind: AccessDenied,
            retryable: false,
        },
        Case {
            status: 403,
            code: Some("MPAgreementBeingCreated"),
            message: "The Marketplace agreement is being created.",
            kind: AccessDenied,
            retryable: false,
        },
        Case {
            status: 400,
            code: Some("NotAuthorized"),
            message: "You do not have permission to perform this action.",
            kind: AccessDenied,
            retryable: false,
        },
        Case {
            status: 400,
            code: Some("RequestExpired"),
            message: "The request is no longer valid due to expired timestamps",
            kind: ExpiredCredentials,
            retryable: false,
        },
        Case {
            status: 503,
            code: Some("ServiceUnavailable"),
            message: "The request has failed due to a temporary failure of the server.",
            kind: ServiceUnavailable,
            retryable: true,
        },
        Case {
            status: 429,
            code: Some("ThrottlingException"),
            message: "Rate exceeded",
            kind: Throttled,
            retryable: true,
        },
        Case {
            status: 400,
            code: Some("ValidationError"),
            message: "The input fails to satisfy the constraints.",
            kind: InvalidRequest,
            retryable: false,
        },
    ];
    check(&cases, &ctx());
    let e = http(
        404,
        Some("FTUFormNotFilled"),
        &msg("Model use case details have not been submitted for this account"),
    );
    assert!(solution(&e).contains("use case"));
    let e = http(
        403,
        Some("AccessDeniedException"),
        &msg("AWS Marketplace Agreement Failed within 15 minutes"),
    );
    assert!(solution(&e).contains("aws-marketplace:Subscribe") && solution(&e).contains("minutes"));
}

// ---- §12.5: literal messages ----

const ON_DEMAND: &str = "Invocation of model ID anthropic.claude-sonnet-4-5-20250929-v1:0 with on-demand throughput isn\u{2019}t supported. Retry your request with the ID or ARN of an inference profile that contains this model.";

#[test]
fn on_demand_names_the_exact_profile() {
    let e = http(400, Some("ValidationException"), &msg(ON_DEMAND));
    assert_eq!(e.kind, OnDemandUnsupported);
    assert_eq!(e.code.as_deref(), Some("ValidationException"));
    assert!(!e.retryable);
    assert_eq!(e.message, ON_DEMAND);
    assert_eq!(e.field.as_deref(), Some("languageModel"));
    let s = solution(&e);
    assert!(s.contains("`us.anthropic.claude-sonnet-4-5-20250929-v1:0`"), "{s}");
    assert!(s.contains("amazon-bedrock|us.anthropic.claude-sonnet-4-5-20250929-v1:0"), "{s}");
    assert!(s.contains("global.anthropic.claude-sonnet-4-5-20250929-v1:0"), "{s}");

    let other = ErrorContext {
        region: "eu-west-1".into(),
        model_id: "anthropic.claude-3-7-sonnet-20250219-v1:0".into(),
        inference_profile: Some("eu.anthropic.claude-3-7-sonnet-20250219-v1:0".into()),
        ..ctx()
    };
    let m = "Invocation of model ID anthropic.claude-3-7-sonnet-20250219-v1:0 with on-demand throughput isn\u{2019}t supported. Retry your request with the ID or ARN of an inference profile that contains this model.";
    let e = http_with(400, Some("ValidationException"), &msg(m), &other);
    assert!(solution(&e).contains("amazon-bedrock|eu.anthropic.claude-3-7-sonnet-20250219-v1:0"));

    let e = http(
        400,
        Some("ValidationException"),
        &msg("The provided model doesn't support on-demand throughput."),
    );
    assert_eq!(e.kind, OnDemandUnsupported);
}

#[test]
fn on_demand_without_a_known_profile_explains_how_to_find_one() {
    let c =
        ErrorContext { inference_profile: None, model_id: "amazon.nova-pro-v1:0".into(), ..ctx() };
    let m = "Invocation of model ID amazon.nova-pro-v1:0 with on-demand throughput isn\u{2019}t supported. Retry your request with the ID or ARN of an inference profile that contains this model.";
    let e = http_with(400, Some("ValidationException"), &msg(m), &c);
    assert_eq!(e.kind, OnDemandUnsupported);
    let s = solution(&e);
    assert!(
        s.contains("Cross-region inference")
            && s.contains("Bedrock console")
            && s.contains("languageModel"),
        "{s}"
    );
}

#[test]
fn model_access_and_routing_messages() {
    let cases = [
        Case {
            status: 400,
            code: Some("ValidationException"),
            message: "The provided model identifier is invalid.",
            kind: ModelNotFound,
            retryable: false,
        },
        Case {
            status: 403,
            code: Some("AccessDeniedException"),
            message: "You don't have access to the model with the specified model ID.",
            kind: AccessDenied,
            retryable: false,
        },
        Case {
            status: 403,
            code: Some("AccessDeniedException"),
            message: "You don\u{2019}t have access to the model with the specified model ID.",
            kind: AccessDenied,
            retryable: false,
        },
        Case {
            status: 403,
            code: Some("AccessDeniedException"),
            message: "Model access is denied due to IAM user or service role is not authorized to perform the required AWS Marketplace actions (aws-marketplace:ViewSubscriptions, aws-marketplace:Subscribe) to enable access to this model. Refer to the Amazon Bedrock documentation for further details. Your AWS Marketplace subscription for this model cannot be completed at this time. If you recently fixed this issue, try again after 2 minutes.",
            kind: AccessDenied,
            retryable: false,
        },
        Case {
            status: 404,
            code: Some("ResourceNotFoundException"),
            message: "This model version has reached the end of its life. Please refer to the AWS documentation for more details.",
            kind: ModelNotFound,
            retryable: false,
        },
        Case {
            status: 404,
            code: Some("ResourceNotFoundException"),
            message: "Access denied. This Model is marked by provider as Legacy and you have not been actively using the model in the last 30 days. Please upgrade to an active model on Amazon Bedrock",
            kind: ModelNotFound,
            retryable: false,
        },
        Case {
            status: 404,
            code: Some("FTUFormNotFilled"),
            message: "Model use case details have not been submitted for this account. Fill out the Anthropic use case details form before using the model. If you have already filled out the form, try again in 15 minutes.",
            kind: AccessDenied,
            retryable: false,
        },
    ];
    check(&cases, &ctx());

    let e =
        http(400, Some("ValidationException"), &msg("The provided model identifier is invalid."));
    assert!(solution(&e).contains("prefix") && solution(&e).contains("us-east-1"));
    let e = http(
        403,
        Some("AccessDeniedException"),
        &msg("You don't have access to the model with the specified model ID."),
    );
    let s = solution(&e);
    assert!(
        s.contains("Model access")
            && s.contains("Modify model access")
            && s.contains("Access granted"),
        "{s}"
    );
    let e = http(
        404,
        Some("ResourceNotFoundException"),
        &msg(
            "This model version has reached the end of its life. Please refer to the AWS documentation for more details.",
        ),
    );
    assert!(solution(&e).contains("Move to an active model"));
    let e = http(
        403,
        Some("AccessDeniedException"),
        &msg(
            "Model access is denied due to IAM user or service role is not authorized to perform the required AWS Marketplace actions (aws-marketplace:ViewSubscriptions, aws-marketplace:Subscribe) to enable access to this model.",
        ),
    );
    assert!(solution(&e).contains("aws-marketplace:ViewSubscriptions"));
    // The Marketplace text contains "is not authorized to perform" but is not an IAM action denial.
    assert!(!cause(&e).contains("IAM identity of the configured credentials"));
}

#[test]
fn unknown_operation_on_http_200() {
    let e = from_http(
        200,
        &[("x-amzn-requestid".into(), "r-200".into())],
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/converse/unknown-operation.json"
        ))
        .trim_ascii_end(),
        &ctx(),
    );
    assert_eq!(e.kind, InvalidResponse);
    assert_eq!(e.code.as_deref(), Some("UnknownOperationException"));
    assert_eq!(e.request_id.as_deref(), Some("r-200"));
    assert!(cause(&e).contains("literal `/`"));
    assert!(solution(&e).contains("baseUrl"));
    assert_eq!(e.field.as_deref(), Some("baseUrl"));
}

#[test]
fn throttling_messages() {
    let cases = [
        Case {
            status: 429,
            code: Some("ThrottlingException"),
            message: "Too many requests, please wait before trying again.",
            kind: Throttled,
            retryable: true,
        },
        Case {
            status: 429,
            code: Some("ThrottlingException"),
            message: "Too many requests, please wait before trying again. You have sent too many requests.  Wait before trying again.",
            kind: Throttled,
            retryable: true,
        },
        Case {
            status: 429,
            code: Some("ThrottlingException"),
            message: "Too many tokens, please wait before trying again.",
            kind: Throttled,
            retryable: true,
        },
        Case {
            status: 503,
            code: Some("ServiceUnavailableException"),
            message: "Bedrock is unable to process your request.",
            kind: ServiceUnavailable,
            retryable: true,
        },
        Case {
            status: 500,
            code: Some("InternalServerException"),
            message: "The system encountered an unexpected error during processing. Try your request again.",
            kind: Internal,
            retryable: true,
        },
    ];
    check(&cases, &ctx());
    let tokens = http(
        429,
        Some("ThrottlingException"),
        &msg("Too many tokens, please wait before trying again."),
    );
    let requests = http(
        429,
        Some("ThrottlingException"),
        &msg("Too many requests, please wait before trying again."),
    );
    assert!(cause(&tokens).contains("tokens-per-minute"));
    assert!(cause(&requests).contains("requests-per-minute"));
    for e in [&tokens, &requests] {
        let s = solution(e);
        assert!(
            s.contains("retry")
                && s.contains("another model")
                && s.contains("quota")
                && s.contains("provisioned throughput")
                && s.contains("cross-region"),
            "{s}"
        );
    }
}

#[test]
fn request_validation_messages() {
    let plain = [
        "A conversation must start with a user message. Try again with a conversation that starts with a user message.",
        "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.",
        "The content field in the Message object at messages.1 is empty. Add a ContentBlock object to the content field and try again.",
        "1 validation error detected: Value at 'messages.2.member.content.1.member.toolUse.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+",
        "1 validation error detected: Value at 'messages.1.member.content.2.member.document.name' failed to satisfy constraint: Member must have length less than or equal to 200",
        "The document file name can only contain alphanumeric characters, whitespace characters, hyphens, parentheses, and square brackets. The name can't contain more than one consecutive whitespace character. Check that the file name conforms to these restrictions and retry your request.",
        "The toolUse blocks at messages.2.content contain duplicate Ids: tooluseAc",
        "User messages cannot contain reasoning content. Please remove the reasoning content and try again.",
        "There is nothing available to cache. Please remove the invalid cache point and try again.",
        "This model doesn't support the image field for user messages. Remove image and try again.",
        "This model doesn't support the temperature field. Remove temperature and try again.",
        "Malformed request. Please check your parameter/values and try again.",
        "The maximum tokens you requested exceed the model limit of 4096. Try again with a maximum tokens value lower than 4096.",
        "Malformed input request: #: required key [texts] not found#: required key [input_type] not found#: extraneous key [inputText] is not permitted, please reformat your input and try again.",
    ];
    for m in plain {
        let e = http(400, Some("ValidationException"), &msg(m));
        assert_eq!(e.kind, InvalidRequest, "{m}");
        assert_eq!(e.message, m);
        assert!(!cause(&e).contains("model provider"), "{m}");
    }
    let passthrough = [
        "The model returned the following errors: Thinking may not be enabled when tool_choice forces tool use.",
        "The model returned the following errors: Provided S3Location not found",
        "The model returned the following errors: output_config.format.schema: For 'array' type, property 'maxItems' is not supported",
        "The model returned the following errors: tools.0.custom.strict: Extra inputs are not permitted",
        "The model returned the following errors: `temperature` and `top_p` cannot both be specified for this model. Please use only one.",
        "The model returned the following errors: `maxTokens` must be unset when reasoningConfig type is 'enabled' and maxReasoningEffort is 'high'. Please consult our documentation at https://docs.aws.amazon.com/nova/latest/userguide",
    ];
    for m in passthrough {
        let e = http(400, Some("ValidationException"), &msg(m));
        assert_eq!(e.kind, InvalidRequest, "{m}");
        assert!(cause(&e).contains("model provider rejected the request"), "{m}");
    }
}

// ---- §15.12: the recorded error, fed from the fixture verbatim ----

#[test]
fn recorded_empty_message_validation_error() {
    let fixture = r#"{"recordedAt":"2026-08-05","modelId":"us.amazon.nova-2-lite-v1:0","status":400,
 "headers":{"content-type":"application/json","x-amzn-errortype":"ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"},
 "body":{"message":"The content field in the Message object at messages.1 is empty. Add a ContentBlock object to the content field and try again."}}"#;
    let v: Value = serde_json::from_str(fixture).unwrap();
    let headers: Vec<(String, String)> = v["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    let status = u16::try_from(v["status"].as_u64().unwrap()).unwrap();
    let c = ErrorContext {
        model_id: "us.amazon.nova-2-lite-v1:0".into(),
        inference_profile: None,
        ..ctx()
    };
    let e = from_http(status, &headers, v["body"].to_string().as_bytes(), &c);
    assert_eq!(e.kind, InvalidRequest);
    assert_eq!(e.code.as_deref(), Some("ValidationException"));
    assert_eq!(e.status, Some(400));
    assert!(!e.retryable);
    assert_eq!(e.request_id, None);
    assert_eq!(
        e.message,
        "The content field in the Message object at messages.1 is empty. Add a ContentBlock object to the content field and try again."
    );
    assert_clean(&e);
}

#[test]
fn recorded_throttling_with_exact_headers() {
    let e = from_http(
        429,
        &[
            ("Content-Type".into(), "application/json".into()),
            ("x-amzn-ErrorType".into(), format!("ThrottlingException{NS_BEDROCK}")),
            ("x-amzn-RequestId".into(), "ca47a5ce-e260-4824-aa0e-2e62669d5d6e".into()),
        ],
        br#"{"message":"Too many tokens, please wait before trying again."}"#,
        &ctx(),
    );
    assert_eq!(e.kind, Throttled);
    assert_eq!(e.code.as_deref(), Some("ThrottlingException"));
    assert_eq!(e.request_id.as_deref(), Some("ca47a5ce-e260-4824-aa0e-2e62669d5d6e"));
    assert!(e.retryable);
}

// ---- code precedence, status fallback, bodies, retry-after ----

#[test]
fn header_code_wins_over_body_code() {
    let e = from_http(
        400,
        &[("x-amzn-errortype".into(), "ThrottlingException".into())],
        br#"{"__type":"ValidationException","code":"AccessDeniedException","message":"m"}"#,
        &ctx(),
    );
    assert_eq!(e.code.as_deref(), Some("ThrottlingException"));
    assert_eq!(e.kind, Throttled);
    let e = from_http(
        400,
        &[],
        br#"{"__type":"ValidationException","Code":"ThrottlingException","message":"m"}"#,
        &ctx(),
    );
    assert_eq!(e.code.as_deref(), Some("ThrottlingException"));
    let e = from_http(
        400,
        &[],
        br#"{"__type":"x.y#ServiceQuotaExceededException","message":"m"}"#,
        &ctx(),
    );
    assert_eq!(e.code.as_deref(), Some("ServiceQuotaExceededException"));
    assert_eq!(e.kind, QuotaExceeded);
}

#[test]
fn unknown_codes_fall_back_to_the_status() {
    let cases = [
        (400, InvalidRequest, false),
        (401, Authentication, false),
        (403, AccessDenied, false),
        (404, ModelNotFound, false),
        (408, ModelTimeout, true),
        (409, InvalidRequest, false),
        (413, InvalidRequest, false),
        (424, ModelError, true),
        (429, Throttled, true),
        (500, Internal, true),
        (502, ServiceUnavailable, true),
        (503, ServiceUnavailable, true),
        (504, ServiceUnavailable, true),
        (302, InvalidResponse, false),
        (418, InvalidResponse, false),
    ];
    for (status, kind, retryable) in cases {
        for code in [None, Some("SomeNewException")] {
            let e = http(status, code, &msg("Something happened."));
            assert_eq!(e.kind, kind, "{status} {code:?}");
            assert_eq!(e.retryable, retryable, "{status} {code:?}");
            assert_eq!(e.message, "Something happened.");
            assert_eq!(e.code.as_deref(), code);
        }
    }
}

#[test]
fn message_text_alone_never_classifies() {
    // A throttling text under a validation code stays a validation error, and vice versa.
    let e = http(
        400,
        Some("ValidationException"),
        &msg("Too many tokens, please wait before trying again."),
    );
    assert_eq!(e.kind, InvalidRequest);
    let e =
        http(429, Some("ThrottlingException"), &msg("The provided model identifier is invalid."));
    assert_eq!(e.kind, Throttled);
    let e = http(500, None, &msg("with on-demand throughput isn't supported"));
    assert_eq!(e.kind, Internal);
}

#[test]
fn non_json_bodies_become_the_message() {
    let html = format!("<html><body>502 Bad Gateway {}</body></html>", "x".repeat(1000));
    let e = from_http(502, &[], html.as_bytes(), &ctx());
    assert_eq!(e.kind, ServiceUnavailable);
    assert_eq!(e.message.chars().count(), 300);
    assert!(e.message.starts_with("<html><body>502 Bad Gateway"));
    let e = from_http(503, &[], b"", &ctx());
    assert_eq!(e.message, "Bedrock answered HTTP 503.");
    let e = from_http(
        500,
        &[("x-amzn-errortype".into(), "InternalServerException".into())],
        b"{}",
        &ctx(),
    );
    assert_eq!(e.message, "Bedrock answered HTTP 500 (InternalServerException).");
    let e = from_http(400, &[], &[0xff, 0xfe, b'a'], &ctx());
    assert_eq!(e.kind, InvalidRequest);
}

#[test]
fn retry_after_seconds_and_dates() {
    let with = |headers: Vec<(&str, &str)>| {
        let headers: Vec<(String, String)> =
            headers.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        from_http(429, &headers, &[], &ctx()).retry_after_ms
    };
    assert_eq!(with(vec![("retry-after", "7")]), Some(7000));
    assert_eq!(with(vec![("Retry-After", " 2 ")]), Some(2000));
    assert_eq!(with(vec![("retry-after", "1.5")]), Some(1500));
    assert_eq!(
        with(vec![
            ("retry-after", "Wed, 21 Oct 2015 07:28:30 GMT"),
            ("date", "Wed, 21 Oct 2015 07:28:00 GMT")
        ]),
        Some(30_000)
    );
    assert_eq!(with(vec![("retry-after", "Wed, 21 Oct 2015 07:28:30 GMT")]), None);
    assert_eq!(with(vec![("retry-after", "soon")]), None);
    assert_eq!(with(vec![]), None);
}

// ---- sanitising ----

#[test]
fn canonical_string_and_session_token_never_leak() {
    let body = serde_json::json!({"message": "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'POST\n/model/anthropic.claude-sonnet-4-5-20250929-v1%253A0/converse\n\ncontent-type:application/json\nhost:bedrock-runtime.us-east-1.amazonaws.com\nx-amz-date:20250101T000000Z\nx-amz-security-token:SECRETTOKEN\n\ncontent-type;host;x-amz-date;x-amz-security-token\nabc'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20250101T000000Z\n20250101/us-east-1/bedrock/aws4_request\nabc'\n"}).to_string();
    let e = http(403, Some("InvalidSignatureException"), &body);
    let all = format!("{e:?} {e}");
    assert!(!all.contains("SECRETTOKEN"), "{all}");
    assert!(!all.contains("String-to-Sign"), "{all}");
    assert_eq!(e.kind, Authentication);
    assert!(e.message.starts_with("The request signature we calculated does not match"));
    assert!(e.message.contains("canonical request"), "{}", e.message);

    // Even without the marker, a token line is redacted.
    let body = msg(
        "odd proxy text\nx-amz-security-token:SECRETTOKEN\nAuthorization: Bearer ABSKSECRET Credential=AKIDSECRET/20250101/us-east-1/bedrock/aws4_request",
    );
    let e = http(400, None, &body);
    let all = format!("{e:?}");
    assert!(
        !all.contains("SECRETTOKEN") && !all.contains("ABSKSECRET") && !all.contains("AKIDSECRET"),
        "{all}"
    );

    let e = from_http(500, &[], b"x-amz-security-token:SECRETTOKEN", &ctx());
    assert!(!format!("{e:?}").contains("SECRETTOKEN"));
}

#[test]
fn internal_namespace_is_stripped_everywhere() {
    let body = msg(
        "AccessDeniedException:http://internal.amazon.com/coral/com.amazon.bedrock/ You don't have access.",
    );
    let e = http(403, Some("AccessDeniedException"), &body);
    assert_eq!(e.message, "AccessDeniedException You don't have access.");
    let e = from_http(
        400,
        &[],
        br#"{"code":"ValidationException:http://internal.amazon.com/coral/x/","message":"m"}"#,
        &ctx(),
    );
    assert_eq!(e.code.as_deref(), Some("ValidationException"));
}

// ---- in-stream exceptions ----

#[test]
fn stream_exceptions_map_like_their_http_counterparts() {
    let cases = [
        (
            "throttlingException",
            "Too many tokens, please wait before trying again.",
            Throttled,
            true,
        ),
        ("modelStreamErrorException", "The model stream failed.", ModelError, true),
        ("validationException", "Input is too long.", InvalidRequest, false),
        (
            "internalServerException",
            "The system encountered an unexpected error during processing. Try your request again.",
            Internal,
            true,
        ),
        (
            "serviceUnavailableException",
            "Bedrock is unable to process your request.",
            ServiceUnavailable,
            true,
        ),
        ("modelTimeoutException", "Model has timed out.", ModelTimeout, true),
    ];
    for (name, message, kind, retryable) in cases {
        let e = from_stream_exception(name, msg(message).as_bytes(), &ctx());
        assert_eq!(e.kind, kind, "{name}");
        assert_eq!(e.retryable, retryable, "{name}");
        assert_eq!(e.code.as_deref(), Some(name));
        assert_eq!(e.message, message);
        assert_eq!(e.status, None);
        assert!(
            cause(&e).contains("mid-stream") && cause(&e).contains("already been delivered"),
            "{name}"
        );
        assert_clean(&e);
    }
    let tokens = from_stream_exception(
        "throttlingException",
        msg("Too many tokens, please wait before trying again.").as_bytes(),
        &ctx(),
    );
    assert!(cause(&tokens).contains("tokens-per-minute"));
}

#[test]
fn stream_exception_payload_variants() {
    let e = from_stream_exception(
        "modelStreamErrorException",
        br#"{"Message":"upstream broke","originalStatusCode":500,"originalMessage":"x","p":"abcdef"}"#,
        &ctx(),
    );
    assert_eq!(e.message, "upstream broke");
    assert!(cause(&e).contains("500"));
    // `error` frames: the `:error-message` header text is passed as the payload.
    let e = from_stream_exception("InternalFailure", b"An internal error occurred.", &ctx());
    assert_eq!(e.kind, Internal);
    assert_eq!(e.message, "An internal error occurred.");
    let e = from_stream_exception("brandNewException", b"{}", &ctx());
    assert_eq!(e.kind, Internal);
    assert_eq!(e.message, "The Bedrock stream failed (brandNewException).");
    // Found by the error_mapper fuzz target: the type is shown without its namespace.
    let e = from_stream_exception(&format!("throttlingException{NS_BEDROCK}"), b"{}", &ctx());
    assert_eq!(e.kind, Throttled);
    assert_eq!(e.message, "The Bedrock stream failed (throttlingException).");
    assert_clean(&e);
}

#[test]
fn embedding_failures_name_the_embedding_model() {
    let embed = ErrorContext {
        model_id: "cohere.embed-v4:0".into(),
        inference_profile: None,
        operation: Operation::Embed,
        ..ctx()
    };
    let e = http_with(
        400,
        Some("ValidationException"),
        &msg("The provided model identifier is invalid."),
        &embed,
    );
    assert_eq!((e.kind, e.field.as_deref()), (ErrorKind::ModelNotFound, Some("embeddingModel")));
    assert!(solution(&e).contains("embeddingModel"));
    let e = http_with(
        400,
        Some("ValidationException"),
        &msg(
            "Malformed input request: #/texts: expected maximum item count: 96, found: 97, please reformat your input and try again.",
        ),
        &embed,
    );
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    assert!(!e.retryable);
    let e = http_with(403, Some("AccessDeniedException"), &msg("Denied."), &embed);
    assert!(solution(&e).contains("`bedrock:InvokeModel`"), "{e:?}");
    let e = http_with(
        429,
        Some("ThrottlingException"),
        &msg("Too many requests, please wait before trying again."),
        &embed,
    );
    assert!(e.kind == ErrorKind::Throttled && e.retryable);
}

#[test]
fn count_tokens_refusals_are_unsupported() {
    let count = ErrorContext { operation: Operation::CountTokens, ..ctx() };
    let e = http_with(
        400,
        Some("ValidationException"),
        &msg("The provided model doesn't support counting tokens."),
        &count,
    );
    assert_eq!((e.kind, e.field.as_deref()), (ErrorKind::Unsupported, Some("languageModel")));
    assert!(!e.retryable);
    assert!(e.cause.as_deref().unwrap().contains(SONNET));
    assert!(solution(&e).contains("not available for this model"));
    let e = http_with(
        400,
        Some("ValidationException"),
        &msg("Document input not supported for token counting"),
        &count,
    );
    assert_eq!((e.kind, e.field.as_deref()), (ErrorKind::Unsupported, Some("messages")));
    // The same message from another operation is an ordinary validation error.
    let e = http(
        400,
        Some("ValidationException"),
        &msg("The provided model doesn't support counting tokens."),
    );
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    // Other CountTokens failures map as usual, with CountTokens' IAM action.
    let e = http_with(403, Some("AccessDeniedException"), &msg("Denied."), &count);
    assert!(solution(&e).contains("`bedrock:CountTokens`"), "{e:?}");
    let e = http_with(
        400,
        Some("ValidationException"),
        &msg("prompt is too long: 250000 tokens > 200000 maximum"),
        &count,
    );
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
}

#[test]
fn a_control_plane_read_names_the_setting_of_the_model_it_checks() {
    let no_access = msg("You don't have access to the model with the specified model ID.");
    let read = |model_setting| ErrorContext {
        model_id: "cohere.rerank-v3-5:0".into(),
        inference_profile: None,
        operation: Operation::GetFoundationModel,
        model_setting,
        ..ctx()
    };
    // `check` says which model it reads; without that the read names the language model.
    for (given, named) in [
        (Some("rerankingModel"), "rerankingModel"),
        (Some("embeddingModel"), "embeddingModel"),
        (None, "languageModel"),
    ] {
        let e = http_with(403, Some("AccessDeniedException"), &no_access, &read(given));
        assert_eq!((e.kind, e.field.as_deref()), (AccessDenied, Some(named)), "{given:?}");
    }
}

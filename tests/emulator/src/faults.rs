//! Injectable faults: one per error shape and literal message in spec §12 (and §11 for rerank).
//!
//! A fault is selected by the request header `x-emulator-fault: <name>` or by the model ID
//! `emulator.fault-<name>`, and applies after authentication passed. HTTP faults answer with the
//! spec's status, `x-amzn-ErrorType` and body verbatim; stream faults (ConverseStream only) send a
//! 200 event stream that goes wrong part way.
//!
//! Texts marked UNCERTAIN in the spec (or not quoted there) are noted in the variant's doc.

/// Where an error code's `x-amzn-ErrorType` URL points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    /// `http://internal.amazon.com/coral/com.amazon.bedrock/` (service errors).
    Bedrock,
    /// `http://internal.amazon.com/coral/com.amazon.coral.service/` (authentication layer).
    Coral,
}

impl Namespace {
    /// The `x-amzn-ErrorType` header value for a code in this namespace.
    pub fn error_type(self, code: &str) -> String {
        match self {
            Namespace::Bedrock => {
                format!("{code}:http://internal.amazon.com/coral/com.amazon.bedrock/")
            }
            Namespace::Coral => {
                format!("{code}:http://internal.amazon.com/coral/com.amazon.coral.service/")
            }
        }
    }
}

/// How a stream fault breaks a ConverseStream response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFault {
    /// An exception frame (payload = [`Fault::body`]) after two content deltas, then the end.
    Exception,
    /// The message CRC of the frame after two content deltas is corrupted; the rest follows.
    BadCrc,
    /// The connection is closed half way through the frame after two content deltas.
    Cut,
    /// Clean frame boundaries, but neither `messageStop` nor `metadata` is sent.
    NoStop,
}

const B: Namespace = Namespace::Bedrock;
const C: Namespace = Namespace::Coral;
const JSON: &str = "application/json";

macro_rules! faults {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $name:literal, $status:literal, $code:expr, $ns:expr, $ctype:expr,
            $stream:expr, $body:expr;
    )*) => {
        /// An injectable fault (see the module docs).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Fault {
            $( $(#[$doc])* $variant, )*
        }

        impl Fault {
            /// Every fault, in table order.
            pub const ALL: &[Fault] = &[ $( Fault::$variant, )* ];

            /// The kebab-case name used in `x-emulator-fault` and `emulator.fault-<name>`.
            pub fn name(&self) -> &'static str {
                match self { $( Fault::$variant => $name, )* }
            }

            /// The HTTP status of the response (200 for stream faults and unknown-operation).
            pub fn status(&self) -> u16 {
                match self { $( Fault::$variant => $status, )* }
            }

            /// The error code: the `x-amzn-ErrorType` code for HTTP faults, the
            /// `:exception-type` for stream exception faults, `None` when there is none.
            pub fn code(&self) -> Option<&'static str> {
                match self { $( Fault::$variant => $code, )* }
            }

            /// The namespace of the `x-amzn-ErrorType` URL.
            pub fn namespace(&self) -> Namespace {
                match self { $( Fault::$variant => $ns, )* }
            }

            /// The response `content-type` of an HTTP fault.
            pub fn content_type(&self) -> &'static str {
                match self { $( Fault::$variant => $ctype, )* }
            }

            /// How the fault breaks a stream, or `None` for an HTTP fault.
            pub fn stream(&self) -> Option<StreamFault> {
                match self { $( Fault::$variant => $stream, )* }
            }

            /// The literal response body (HTTP faults) or exception-frame payload (stream
            /// exception faults); empty for the other stream faults.
            pub fn body(&self) -> &'static str {
                match self { $( Fault::$variant => $body, )* }
            }
        }
    };
}

faults! {
    // ---- Model access and routing (spec §12.5) ----
    /// 400 ValidationException: a base Claude ID called on demand (literal for Claude 3.7).
    OnDemand = "on-demand", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"Invocation of model ID anthropic.claude-3-7-sonnet-20250219-v1:0 with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model."}"#;
    /// 400 ValidationException: the older on-demand wording.
    NoOnDemand = "no-on-demand", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"The provided model doesn't support on-demand throughput."}"#;
    /// 400 ValidationException: unknown ID, or a profile from another geography.
    InvalidModelId = "invalid-model-id", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"The provided model identifier is invalid."}"#;
    /// 403 AccessDeniedException: model access not granted.
    NoModelAccess = "no-model-access", 403, Some("AccessDeniedException"), B, JSON, None,
        r#"{"message":"You don't have access to the model with the specified model ID."}"#;
    /// 403 AccessDeniedException with a capital-`Message` body: IAM policy lacks the action
    /// (account/user anonymised; the code header is UNCERTAIN in the spec).
    IamDenied = "iam-denied", 403, Some("AccessDeniedException"), C, JSON, None,
        r#"{"Message":"User: arn:aws:iam::123456789012:user/x is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0 because no identity-based policy allows the bedrock:InvokeModel action"}"#;
    /// 403 AccessDeniedException: Marketplace subscription cannot be completed.
    Marketplace = "marketplace", 403, Some("AccessDeniedException"), B, JSON, None,
        r#"{"message":"Model access is denied due to IAM user or service role is not authorized to perform the required AWS Marketplace actions (aws-marketplace:ViewSubscriptions, aws-marketplace:Subscribe) to enable access to this model. Refer to the Amazon Bedrock documentation for further details. Your AWS Marketplace subscription for this model cannot be completed at this time. If you recently fixed this issue, try again after 2 minutes."}"#;
    /// 404 ResourceNotFoundException: model version reached end of life.
    EndOfLife = "end-of-life", 404, Some("ResourceNotFoundException"), B, JSON, None,
        r#"{"message":"This model version has reached the end of its life. Please refer to the AWS documentation for more details."}"#;
    /// 404 ResourceNotFoundException: legacy model not used recently.
    Legacy = "legacy", 404, Some("ResourceNotFoundException"), B, JSON, None,
        r#"{"message":"Access denied. This Model is marked by provider as Legacy and you have not been actively using the model in the last 30 days. Please upgrade to an active model on Amazon Bedrock"}"#;
    /// 404 (DOC: FTUFormNotFilled): Anthropic use-case form not submitted; code assumed
    /// ResourceNotFoundException (UNCERTAIN).
    FtuForm = "ftu-form", 404, Some("ResourceNotFoundException"), B, JSON, None,
        r#"{"message":"Model use case details have not been submitted for this account. Fill out the Anthropic use case details form before using the model. If you have already filled out the form, try again in 15 minutes."}"#;

    // ---- Throttling and capacity (spec §12.2, §12.5) ----
    /// 429 ThrottlingException: too many requests.
    Throttling = "throttling", 429, Some("ThrottlingException"), B, JSON, None,
        r#"{"message":"Too many requests, please wait before trying again."}"#;
    /// 429 ThrottlingException: the longer "too many requests" variant (two spaces, verbatim).
    ThrottlingLong = "throttling-long", 429, Some("ThrottlingException"), B, JSON, None,
        r#"{"message":"Too many requests, please wait before trying again. You have sent too many requests.  Wait before trying again."}"#;
    /// 429 ThrottlingException: too many tokens (63-byte body, as recorded).
    TooManyTokens = "too-many-tokens", 429, Some("ThrottlingException"), B, JSON, None,
        r#"{"message":"Too many tokens, please wait before trying again."}"#;
    /// 400 ServiceQuotaExceededException (text from the service model's documentation).
    Quota = "quota", 400, Some("ServiceQuotaExceededException"), B, JSON, None,
        r#"{"message":"Your request exceeds the service quota for your account. You can view your quotas at Viewing service quotas. You can resubmit your request later."}"#;
    /// 429 ModelNotReadyException (text from the service model's documentation).
    ModelNotReady = "model-not-ready", 429, Some("ModelNotReadyException"), B, JSON, None,
        r#"{"message":"The model specified in the request is not ready to serve inference requests. The AWS SDK will automatically retry the operation up to 5 times."}"#;
    /// 408 ModelTimeoutException (text from the service model's documentation).
    ModelTimeout = "model-timeout", 408, Some("ModelTimeoutException"), B, JSON, None,
        r#"{"message":"The request took too long to process. Processing time exceeded the model timeout length."}"#;
    /// 424 ModelErrorException with `originalStatusCode` and `resourceName`.
    ModelError = "model-error", 424, Some("ModelErrorException"), B, JSON, None,
        r#"{"message":"The request failed due to an error while processing the model.","originalStatusCode":500,"resourceName":"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"}"#;
    /// 424 ModelErrorException for an input over the context window, with no
    /// `originalStatusCode` (the shape that used to be retried as a model error).
    ModelErrorTooLong = "model-error-too-long", 424, Some("ModelErrorException"), B, JSON, None,
        r#"{"message":"Input is too long for requested model."}"#;
    /// 500 InternalServerException.
    Internal = "internal", 500, Some("InternalServerException"), B, JSON, None,
        r#"{"message":"The system encountered an unexpected error during processing. Try your request again."}"#;
    /// 503 ServiceUnavailableException.
    Unavailable = "unavailable", 503, Some("ServiceUnavailableException"), B, JSON, None,
        r#"{"message":"Bedrock is unable to process your request."}"#;

    // ---- Authentication layer (spec §12.4; also produced for real by the verifier) ----
    /// 403 InvalidSignatureException: the 192-byte body without the canonical string.
    InvalidSignature = "invalid-signature", 403, Some("InvalidSignatureException"), C, JSON, None,
        r#"{"message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}"#;
    /// 403 InvalidSignatureException: clock skew over 5 minutes (status UNCERTAIN in the spec).
    SignatureExpired = "signature-expired", 403, Some("InvalidSignatureException"), C, JSON, None,
        r#"{"message":"Signature expired: 20250714T201419Z is now earlier than 20250714T202350Z (20250714T202850Z - 5 min.)"}"#;
    /// 403 UnrecognizedClientException: unknown access key or wrong session token.
    UnrecognizedClient = "unrecognized-client", 403, Some("UnrecognizedClientException"), C, JSON, None,
        r#"{"message":"The security token included in the request is invalid."}"#;
    /// 403 ExpiredTokenException: temporary credentials expired.
    ExpiredToken = "expired-token", 403, Some("ExpiredTokenException"), C, JSON, None,
        r#"{"message":"The security token included in the request is expired"}"#;
    /// 400 IncompleteSignatureException: malformed Authorization header.
    IncompleteSignature = "incomplete-signature", 400, Some("IncompleteSignatureException"), C, JSON, None,
        r#"{"message":"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."}"#;
    /// 403 InvalidClientTokenId (cause text from the AWS troubleshooting page).
    InvalidClientTokenId = "invalid-client-token-id", 403, Some("InvalidClientTokenId"), C, JSON, None,
        r#"{"message":"The X.509 certificate or AWS access key ID provided does not exist in our records."}"#;
    /// 403 MissingAuthenticationTokenException: the generic AWS text.
    MissingToken = "missing-token", 403, Some("MissingAuthenticationTokenException"), C, JSON, None,
        r#"{"message":"Missing Authentication Token"}"#;
    /// 403 `{"Message":"Authorization header is missing"}`; the code is UNCERTAIN (chosen:
    /// MissingAuthenticationTokenException).
    MissingAuth = "missing-auth", 403, Some("MissingAuthenticationTokenException"), C, JSON, None,
        r#"{"Message":"Authorization header is missing"}"#;
    /// 403 bearer API key rejected; the code is UNCERTAIN (chosen: UnrecognizedClientException).
    BadApiKey = "bad-api-key", 403, Some("UnrecognizedClientException"), C, JSON, None,
        r#"{"Message":"Authentication failed: Please make sure your API Key is valid."}"#;

    // ---- Routing and proxies ----
    /// HTTP 200 with Bedrock's UnknownOperationException body (wrong route, literal `/`).
    UnknownOperation = "unknown-operation", 200, None, C, JSON, None,
        crate::fixtures::UNKNOWN_OPERATION;
    /// 502 with an HTML body and no `x-amzn-ErrorType`, as a proxy in between would send.
    Proxy502 = "proxy-502", 502, None, C, "text/html", None,
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";

    // ---- Request validation (spec §12.5 literal texts, all 400 ValidationException) ----
    /// Empty content array (recorded).
    Validation = "validation", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"The content field in the Message object at messages.1 is empty. Add a ContentBlock object to the content field and try again."}"#;
    /// Conversation does not start with a user message.
    ValidationStartUser = "validation-start-user", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"A conversation must start with a user message. Try again with a conversation that starts with a user message."}"#;
    /// Roles do not alternate.
    ValidationAlternate = "validation-alternate", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again."}"#;
    /// Invalid tool name in history (recorded).
    ValidationToolName = "validation-tool-name", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"1 validation error detected: Value at 'messages.2.member.content.1.member.toolUse.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+"}"#;
    /// Document name longer than 200 (recorded).
    ValidationDocumentNameLength = "validation-document-name-length", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"1 validation error detected: Value at 'messages.1.member.content.2.member.document.name' failed to satisfy constraint: Member must have length less than or equal to 200"}"#;
    /// Document name with forbidden characters (recorded).
    ValidationDocumentName = "validation-document-name", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"The document file name can only contain alphanumeric characters, whitespace characters, hyphens, parentheses, and square brackets. The name can't contain more than one consecutive whitespace character. Check that the file name conforms to these restrictions and retry your request."}"#;
    /// Duplicate toolUse IDs (recorded, Mistral).
    ValidationDuplicateToolIds = "validation-duplicate-tool-ids", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"The toolUse blocks at messages.2.content contain duplicate Ids: tooluseAc"}"#;
    /// Reasoning content in a user message (recorded).
    ValidationReasoningInUser = "validation-reasoning-in-user", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"User messages cannot contain reasoning content. Please remove the reasoning content and try again."}"#;
    /// A cache point with nothing before it (recorded).
    ValidationCachePoint = "validation-cache-point", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"There is nothing available to cache. Please remove the invalid cache point and try again."}"#;
    /// Images sent to a text-only model (recorded).
    ValidationImageUnsupported = "validation-image-unsupported", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"This model doesn't support the image field for user messages. Remove image and try again."}"#;
    /// Temperature sent to a model without it (recorded).
    ValidationTemperatureUnsupported = "validation-temperature-unsupported", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"This model doesn't support the temperature field. Remove temperature and try again."}"#;
    /// Generic malformed request (recorded).
    ValidationMalformed = "validation-malformed", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"Malformed request. Please check your parameter/values and try again."}"#;
    /// maxTokens above the model limit.
    ValidationMaxTokens = "validation-max-tokens", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"The maximum tokens you requested exceed the model limit of 4096. Try again with a maximum tokens value lower than 4096."}"#;
    /// Thinking with a forced tool choice (recorded).
    ValidationThinkingToolChoice = "validation-thinking-tool-choice", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"The model returned the following errors: Thinking may not be enabled when tool_choice forces tool use."}"#;
    /// temperature and top_p together on Claude Sonnet 4.5.
    ValidationTemperatureTopP = "validation-temperature-top-p", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"The model returned the following errors: `temperature` and `top_p` cannot both be specified for this model. Please use only one."}"#;
    /// S3 location not found (recorded).
    ValidationS3Location = "validation-s3-location", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"The model returned the following errors: Provided S3Location not found"}"#;
    /// Unsupported JSON-schema keyword in structured output (recorded).
    ValidationSchema = "validation-schema", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"The model returned the following errors: output_config.format.schema: For 'array' type, property 'maxItems' is not supported"}"#;
    /// `strict` on a tool for a model without it (recorded).
    ValidationStrict = "validation-strict", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"The model returned the following errors: tools.0.custom.strict: Extra inputs are not permitted"}"#;
    /// Nova 2 reasoning with maxTokens (recorded).
    ValidationNovaReasoning = "validation-nova-reasoning", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"The model returned the following errors: `maxTokens` must be unset when reasoningConfig type is 'enabled' and maxReasoningEffort is 'high'. Please consult our documentation at https://docs.aws.amazon.com/nova/latest/userguide"}"#;
    /// InvokeModel body rejected by the model's JSON schema (promptfoo #921).
    ValidationMalformedInput = "validation-malformed-input", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"Malformed input request: #: required key [texts] not found#: required key [input_type] not found#: extraneous key [inputText] is not permitted, please reformat your input and try again."}"#;

    // ---- Embeddings and token counting ----
    /// 400: Titan Text Embeddings v2 with an over-long `inputText` (the schema-error format of
    /// spec §12.5; the limit from the model's documentation).
    EmbedTextTooLong = "embed-text-too-long", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"Malformed input request: #/inputText: expected maxLength: 50000, actual: 50001, please reformat your input and try again."}"#;
    /// 400: Cohere Embed with more than 96 texts in one call.
    EmbedTooManyTexts = "embed-too-many-texts", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"Malformed input request: #/texts: expected maximum item count: 96, found: 97, please reformat your input and try again."}"#;
    /// 400: CountTokens for a model that cannot count (strands-agents #2250, bifrost #2169).
    CountTokensUnsupported = "count-tokens-unsupported", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"The provided model doesn't support counting tokens."}"#;
    /// 400: CountTokens with a document block (aws-sdk-java-v2 #6370).
    CountTokensDocument = "count-tokens-document", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"Document input not supported for token counting"}"#;

    // ---- Rerank (spec §11; agent-runtime error shapes, texts from its model docs unless quoted) ----
    /// 400 ValidationException: a bare model ID instead of a foundation-model ARN (litellm #7056).
    RerankInvalidArn = "rerank-invalid-arn", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"The provided model ARN for reranking is invalid. Please, use a valid model ARN. Also check the model ARN follows this format: arn:<partition>:bedrock:<region>::foundation-model/<model-id>"}"#;
    /// 400 ValidationException: ARN region differs from the endpoint region.
    RerankRegion = "rerank-region", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"Reranking does not support cross-region calls. Please provide a valid model ARN."}"#;
    /// 400 ValidationException wrapping the runtime's 403 (llama_index #18462; request ID invented).
    RerankAccessDenied = "rerank-access-denied", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"You don't have access to the model with the specified model ID. (Service: BedrockRuntime, Status Code: 403, Request ID: 5f9d3c2a-8b1e-4e7f-9a6d-2c4b8e1f0a3d)"}"#;
    /// 409 ConflictException (agent runtime).
    RerankConflict = "rerank-conflict", 409, Some("ConflictException"), B, JSON, None,
        r#"{"message":"There was a conflict performing an operation. Resolve the conflict and retry your request."}"#;
    /// 424 DependencyFailedException with `resourceName`.
    RerankDependencyFailed = "rerank-dependency-failed", 424, Some("DependencyFailedException"), B, JSON, None,
        r#"{"message":"There was an issue with a dependency. Check the resource configurations and retry the request.","resourceName":"cohere.rerank-v3-5:0"}"#;
    /// 502 BadGatewayException with `resourceName`.
    RerankBadGateway = "rerank-bad-gateway", 502, Some("BadGatewayException"), B, JSON, None,
        r#"{"message":"There was an issue with a dependency due to a server issue. Retry your request.","resourceName":"cohere.rerank-v3-5:0"}"#;
    /// 500 InternalServerException with `reason`.
    RerankInternal = "rerank-internal", 500, Some("InternalServerException"), B, JSON, None,
        r#"{"message":"An internal server error occurred. Retry your request.","reason":"BEDROCK_MODEL_INVOCATION_SERVICE_UNAVAILABLE"}"#;
    /// 429 ThrottlingException (agent runtime).
    RerankThrottling = "rerank-throttling", 429, Some("ThrottlingException"), B, JSON, None,
        r#"{"message":"The number of requests exceeds the limit. Resubmit your request later."}"#;
    /// 400 ServiceQuotaExceededException (agent runtime).
    RerankQuota = "rerank-quota", 400, Some("ServiceQuotaExceededException"), B, JSON, None,
        r#"{"message":"The number of requests exceeds the service quota. Resubmit your request later."}"#;
    /// 404 ResourceNotFoundException (agent runtime).
    RerankNotFound = "rerank-not-found", 404, Some("ResourceNotFoundException"), B, JSON, None,
        r#"{"message":"The specified resource Amazon Resource Name (ARN) was not found. Check the Amazon Resource Name (ARN) and try your request again."}"#;
    /// 400: Cohere rerank through InvokeModel with `api_version` 1 (cohere-python #613, completed).
    CohereApiVersion = "cohere-api-version", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"Malformed input request: #/api_version: 1 is not greater or equal to 2, please reformat your input and try again."}"#;
    /// 400: Amazon rerank through InvokeModel with `api_version` (genkit #190).
    AmazonRerankApiVersion = "amazon-rerank-api-version", 400, Some("ValidationException"), B, JSON, None,
        r#"{"message":"Malformed input request: extraneous key [api_version] is not permitted, please reformat your input and try again."}"#;

    // ---- ConverseStream (HTTP 200, then trouble) ----
    /// In-stream `throttlingException` after two deltas; the frame is spec TV-6 byte for byte.
    StreamThrottling = "stream-throttling", 200, Some("throttlingException"), B, JSON, Some(StreamFault::Exception),
        r#"{"message":"Too many requests, please wait before trying again."}"#;
    /// In-stream `modelStreamErrorException` after two deltas; the frame is spec TV-5.
    StreamModelError = "stream-model-error", 200, Some("modelStreamErrorException"), B, JSON, Some(StreamFault::Exception),
        r#"{"message":"Model Stream Error","originalStatusCode":500,"originalMessage":"The model stream failed."}"#;
    /// In-stream `validationException` after two deltas (text not from a recording).
    StreamValidation = "stream-validation", 200, Some("validationException"), B, JSON, Some(StreamFault::Exception),
        r#"{"message":"The model returned the following errors: Input is too long for requested model."}"#;
    /// In-stream `internalServerException` after two deltas.
    StreamInternal = "stream-internal", 200, Some("internalServerException"), B, JSON, Some(StreamFault::Exception),
        r#"{"message":"The system encountered an unexpected error during processing. Try your request again."}"#;
    /// In-stream `serviceUnavailableException` after two deltas.
    StreamUnavailable = "stream-unavailable", 200, Some("serviceUnavailableException"), B, JSON, Some(StreamFault::Exception),
        r#"{"message":"Bedrock is unable to process your request."}"#;
    /// The frame after two deltas has a corrupted message CRC (payload intact); the rest follows.
    StreamBadCrc = "stream-bad-crc", 200, None, B, JSON, Some(StreamFault::BadCrc), "";
    /// The connection closes half way through the frame after two deltas.
    StreamCut = "stream-cut", 200, None, B, JSON, Some(StreamFault::Cut), "";
    /// The stream ends at a frame boundary without `messageStop` and `metadata`.
    StreamNoStop = "stream-no-stop", 200, None, B, JSON, Some(StreamFault::NoStop), "";
}

impl Fault {
    /// Looks a fault up by its kebab-case name.
    pub fn from_name(name: &str) -> Option<Fault> {
        Fault::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// The full `x-amzn-ErrorType` header value, for HTTP faults that carry one.
    pub fn error_type(&self) -> Option<String> {
        if self.stream().is_some() {
            return None;
        }
        self.code().map(|code| self.namespace().error_type(code))
    }

    /// Whether this fault only applies to ConverseStream.
    pub fn is_stream(&self) -> bool {
        self.stream().is_some()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_name_round_trips_and_is_unique() {
        let mut seen = HashSet::new();
        for fault in Fault::ALL {
            assert!(seen.insert(fault.name()), "duplicate {}", fault.name());
            assert_eq!(Fault::from_name(fault.name()), Some(*fault));
            assert!(
                fault
                    .name()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            );
        }
        assert_eq!(Fault::from_name("no-such-fault"), None);
    }

    #[test]
    fn bodies_are_json_with_a_message_where_expected() {
        for fault in Fault::ALL {
            match (fault, fault.stream()) {
                (Fault::Proxy502, _) => assert!(fault.body().contains("502 Bad Gateway")),
                (Fault::UnknownOperation, _) => {
                    let v: serde_json::Value = serde_json::from_str(fault.body()).unwrap();
                    assert_eq!(
                        v["Output"]["__type"],
                        "com.amazon.coral.service#UnknownOperationException"
                    );
                }
                (_, Some(StreamFault::BadCrc | StreamFault::Cut | StreamFault::NoStop)) => {
                    assert!(fault.body().is_empty())
                }
                _ => {
                    let v: serde_json::Value = serde_json::from_str(fault.body()).unwrap();
                    let message = v.get("message").or_else(|| v.get("Message")).unwrap();
                    assert!(!message.as_str().unwrap().is_empty(), "{}", fault.name());
                }
            }
        }
    }

    #[test]
    fn spec_literals_keep_their_exact_bytes() {
        assert_eq!(Fault::TooManyTokens.body().len(), 63);
        assert_eq!(Fault::InvalidSignature.body().len(), 192);
        assert!(Fault::OnDemand.body().contains("isn\u{2019}t supported"));
        assert_eq!(
            Fault::Throttling.error_type().unwrap(),
            "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"
        );
        assert_eq!(
            Fault::InvalidSignature.error_type().unwrap(),
            "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/"
        );
        assert_eq!(Fault::ModelNotReady.status(), 429);
        assert_eq!(Fault::Quota.status(), 400);
        assert_eq!(Fault::ModelError.status(), 424);
        assert_eq!(Fault::RerankConflict.status(), 409);
        assert_eq!(Fault::UnknownOperation.status(), 200);
        assert_eq!(Fault::StreamThrottling.error_type(), None);
        assert_eq!(Fault::StreamThrottling.code(), Some("throttlingException"));
    }
}

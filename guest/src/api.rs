//! Plain-Rust mirrors of the WIT types in `wit/provider.wit`.
//!
//! Every module of the provider works on these, so all logic compiles and unit-tests on the
//! host target; only `lib.rs` converts between them and the generated bindings. Field names
//! and meanings follow the WIT one for one (see its doc comments).

pub use crate::error::{ErrorKind, ProviderError};

/// Who authored a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Sent as Bedrock's top-level system prompt.
    System,
    /// The end user.
    User,
    /// The model.
    Assistant,
    /// Tool results; Bedrock receives them in a user turn.
    Tool,
}

/// An S3 object Bedrock reads directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    /// `s3://bucket/key`.
    pub uri: String,
    /// The bucket owner's account ID.
    pub bucket_owner: Option<String>,
}

/// Where media bytes come from.
#[derive(Clone, PartialEq, Eq)]
pub enum MediaSource {
    /// Raw bytes.
    Bytes(Vec<u8>),
    /// An S3 object.
    S3(S3Location),
}

impl std::fmt::Debug for MediaSource {
    // Media can be megabytes: show the size, not the bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Self::S3(l) => f.debug_tuple("S3").field(l).finish(),
        }
    }
}

/// An image in a user turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// `png`, `jpeg`, `gif` or `webp`.
    pub format: String,
    /// The data.
    pub source: MediaSource,
}

/// A document in a user turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// `pdf`, `csv`, `doc`, `docx`, `xls`, `xlsx`, `html`, `txt` or `md`.
    pub format: String,
    /// Display name, validated against Bedrock's rules.
    pub name: String,
    /// The data.
    pub source: MediaSource,
    /// Ask for citations.
    pub citations: bool,
}

/// A tool call made by the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    /// Tool-use ID.
    pub id: String,
    /// Tool name.
    pub name: String,
    /// Arguments as a JSON object text.
    pub input_json: String,
}

/// One piece of a tool result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolResultContent {
    /// Text.
    Text(String),
    /// A JSON object text.
    Json(String),
}

/// A tool's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolResult {
    /// The tool call's ID.
    pub id: String,
    /// The result.
    pub content: Vec<ToolResultContent>,
    /// The tool failed.
    pub is_error: bool,
}

/// Readable reasoning with its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasoningText {
    /// The text.
    pub text: String,
    /// Must round-trip unchanged.
    pub signature: Option<String>,
}

/// Reasoning content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reasoning {
    /// Readable.
    Text(ReasoningText),
    /// Encrypted by the model provider.
    Redacted(Vec<u8>),
}

/// Text with citations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitedText {
    /// The text.
    pub text: String,
    /// Bedrock's citations array, as JSON.
    pub citations_json: String,
}

/// A prompt-cache checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CachePoint {
    /// `5m` or `1h`.
    pub ttl: Option<String>,
}

/// One part of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentPart {
    /// Text.
    Text(String),
    /// An image.
    Image(Image),
    /// A document.
    Document(Document),
    /// A tool call.
    ToolCall(ToolCall),
    /// A tool result.
    ToolResult(ToolResult),
    /// Reasoning.
    Reasoning(Reasoning),
    /// Cited text.
    CitedText(CitedText),
    /// A cache checkpoint.
    CachePoint(CachePoint),
}

/// One conversation turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Author.
    pub role: Role,
    /// Parts.
    pub content: Vec<ContentPart>,
}

/// Sampling and length settings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InferenceSettings {
    /// Token limit.
    pub max_tokens: Option<u32>,
    /// 0..1.
    pub temperature: Option<f32>,
    /// 0..1.
    pub top_p: Option<f32>,
    /// Stop sequences.
    pub stop_sequences: Vec<String>,
    /// Extended reasoning budget (≥ 1024).
    pub reasoning_budget: Option<u32>,
    /// Reasoning effort level.
    pub reasoning_effort: Option<Effort>,
}

/// A reasoning effort level, lowest to highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Effort {
    /// As little as the model allows.
    Minimal,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Above high.
    Xhigh,
    /// The most the model offers.
    Max,
}

impl Effort {
    /// The kebab-case WIT name, which is also Bedrock's `outputConfig.effort` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minimal => "minimal",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Xhigh => "xhigh",
            Self::Max => "max",
        }
    }
}

/// A JSON Schema the answer must conform to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonSchemaFormat {
    /// Schema name.
    pub name: String,
    /// What the answer is.
    pub description: Option<String>,
    /// JSON Schema text.
    pub schema_json: String,
    /// Enforce while generating where possible.
    pub strict: bool,
}

/// The form of the answer's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseFormat {
    /// Free text.
    Text,
    /// JSON conforming to a schema.
    JsonSchema(JsonSchemaFormat),
    /// Any JSON object.
    JsonObject,
}

/// A tool the model may call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolDefinition {
    /// `[a-zA-Z0-9_-]{1,64}`.
    pub name: String,
    /// For the model.
    pub description: Option<String>,
    /// JSON Schema text, top-level type `object`.
    pub input_schema_json: String,
    /// Cache checkpoint after this tool.
    pub cache_point: Option<CachePoint>,
}

/// How the model must use tools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolChoice {
    /// Model decides.
    Auto,
    /// Must call some tool.
    Required,
    /// Must not call tools.
    None,
    /// Must call this tool.
    Tool(String),
}

/// A guardrail to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guardrail {
    /// ID or ARN.
    pub identifier: String,
    /// Version or `DRAFT`.
    pub version: String,
    /// `enabled`, `disabled` or `enabled_full`.
    pub trace: Option<String>,
}

/// A chat request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GenerateRequest {
    /// Model spec; `None` means the settings' language model.
    pub model: Option<String>,
    /// The conversation.
    pub messages: Vec<Message>,
    /// Sampling settings.
    pub settings: InferenceSettings,
    /// Tools.
    pub tools: Vec<ToolDefinition>,
    /// Tool choice.
    pub tool_choice: Option<ToolChoice>,
    /// Guardrail.
    pub guardrail: Option<Guardrail>,
    /// Answer format; `None` means free text.
    pub response_format: Option<ResponseFormat>,
    /// Provider options JSON object text.
    pub provider_options: Option<String>,
}

/// Why generation stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    /// Done.
    Stop,
    /// Token limit.
    Length,
    /// Stop sequence.
    StopSequence,
    /// Wants tool results.
    ToolCalls,
    /// Content filtered.
    ContentFilter,
    /// Guardrail intervened.
    GuardrailIntervened,
    /// Unparseable model output.
    MalformedOutput,
    /// Malformed tool call.
    MalformedToolCall,
    /// Context window exceeded.
    ContextWindowExceeded,
    /// Unknown; see the raw reason.
    Other,
}

/// Token accounting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Total as reported.
    pub total_tokens: u64,
    /// Cache reads.
    pub cache_read_tokens: Option<u64>,
    /// Cache writes.
    pub cache_write_tokens: Option<u64>,
}

/// A non-fatal notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Stable identifier.
    pub code: String,
    /// For a person.
    pub message: String,
}

impl Warning {
    /// Builds a warning.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self { code: code.to_string(), message: message.into() }
    }
}

/// Upstream facts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResponseMetadata {
    /// The model ID the request went to.
    pub model: String,
    /// Upstream request ID.
    pub request_id: Option<String>,
    /// Upstream latency.
    pub latency_ms: Option<u64>,
}

/// A complete answer.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateResponse {
    /// Assistant content.
    pub content: Vec<ContentPart>,
    /// Joined text parts.
    pub text: String,
    /// Why it stopped.
    pub finish_reason: FinishReason,
    /// Upstream word.
    pub raw_finish_reason: String,
    /// Tokens.
    pub usage: Usage,
    /// Notices.
    pub warnings: Vec<Warning>,
    /// Upstream facts.
    pub metadata: ResponseMetadata,
    /// Trace JSON.
    pub trace_json: Option<String>,
    /// Requested additional response fields JSON.
    pub additional_fields_json: Option<String>,
}

/// Reasoning fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasoningDelta {
    /// Content block.
    pub index: u32,
    /// More text.
    pub text: Option<String>,
    /// Signature.
    pub signature: Option<String>,
    /// Redacted bytes.
    pub redacted: Option<Vec<u8>>,
}

/// End of generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finish {
    /// Why.
    pub reason: FinishReason,
    /// Upstream word.
    pub raw: String,
    /// Requested additional response fields JSON.
    pub additional_fields_json: Option<String>,
}

/// One step of a streamed answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamPart {
    /// First part.
    Start(ResponseMetadata),
    /// Text.
    TextDelta {
        /// Content block.
        index: u32,
        /// Text.
        text: String,
    },
    /// Reasoning.
    ReasoningDelta(ReasoningDelta),
    /// Tool call begins.
    ToolCallStart {
        /// Content block.
        index: u32,
        /// Tool-use ID.
        id: String,
        /// Tool name.
        name: String,
    },
    /// Tool input fragment.
    ToolCallDelta {
        /// Content block.
        index: u32,
        /// Fragment.
        input_fragment: String,
    },
    /// Tool call complete with joined input.
    ToolCallEnd(ToolCall),
    /// Citation JSON.
    Citation(String),
    /// Generation ended.
    Finish(Finish),
    /// Tokens.
    Usage(Usage),
    /// Notice.
    Warning(Warning),
    /// Trace JSON.
    Trace(String),
}

/// A document to re-rank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RerankDocument {
    /// Text.
    Text(String),
    /// JSON object text.
    Json(String),
}

/// A re-ranking request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RerankRequest {
    /// Model spec; `None` means the settings' re-ranking model.
    pub model: Option<String>,
    /// The query.
    pub query: String,
    /// Candidates.
    pub documents: Vec<RerankDocument>,
    /// How many to return; `None` = all.
    pub top_n: Option<u32>,
    /// Provider options JSON object text.
    pub provider_options: Option<String>,
}

/// One ranked document.
#[derive(Debug, Clone, PartialEq)]
pub struct RerankResult {
    /// Index into the request's documents.
    pub index: u32,
    /// Relevance.
    pub relevance_score: f64,
    /// The document.
    pub document: RerankDocument,
}

/// Ranked documents.
#[derive(Debug, Clone, PartialEq)]
pub struct RerankResponse {
    /// Most relevant first.
    pub results: Vec<RerankResult>,
    /// Upstream facts.
    pub metadata: ResponseMetadata,
    /// Notices.
    pub warnings: Vec<Warning>,
}

/// What embeddings will be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbedInputType {
    /// Stored documents.
    SearchDocument,
    /// Search queries.
    SearchQuery,
    /// Classifier input.
    Classification,
    /// Clustering input.
    Clustering,
}

/// A vector number format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmbeddingType {
    /// f32 per dimension.
    Float,
    /// i8 per dimension.
    Int8,
    /// u8 per dimension.
    Uint8,
    /// Packed bits as i8 (unsigned value minus 128).
    Binary,
    /// Packed bits as u8, first dimension in the high bit.
    Ubinary,
}

impl EmbeddingType {
    /// The name Cohere and Titan use on the wire (also the WIT name).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Float => "float",
            Self::Int8 => "int8",
            Self::Uint8 => "uint8",
            Self::Binary => "binary",
            Self::Ubinary => "ubinary",
        }
    }
}

/// What to do with over-long inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truncation {
    /// Fail.
    None,
    /// Drop the beginning.
    Start,
    /// Drop the end.
    End,
}

/// One thing to embed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmbedInput {
    /// Text.
    Text(String),
    /// An image.
    Image(Image),
}

/// An embedding request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmbedRequest {
    /// Model spec; `None` means the settings' embedding model.
    pub model: Option<String>,
    /// Inputs, in order.
    pub inputs: Vec<EmbedInput>,
    /// Intended use.
    pub input_type: Option<EmbedInputType>,
    /// Vector length.
    pub dimensions: Option<u32>,
    /// Unit-length vectors.
    pub normalize: Option<bool>,
    /// Formats; empty means float.
    pub embedding_types: Vec<EmbeddingType>,
    /// Over-long inputs.
    pub truncation: Option<Truncation>,
    /// Provider options JSON object text.
    pub provider_options: Option<String>,
}

/// The vectors of one input.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Embedding {
    /// Input position.
    pub index: u32,
    /// Floats.
    pub float: Option<Vec<f32>>,
    /// Signed bytes.
    pub int8: Option<Vec<i8>>,
    /// Unsigned bytes.
    pub uint8: Option<Vec<u8>>,
    /// Packed bits, signed.
    pub binary: Option<Vec<i8>>,
    /// Packed bits, unsigned.
    pub ubinary: Option<Vec<u8>>,
}

/// Embeddings in input order.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbedResponse {
    /// One per input.
    pub embeddings: Vec<Embedding>,
    /// Vector length.
    pub dimensions: u32,
    /// Input tokens over every upstream call.
    pub input_tokens: u64,
    /// Upstream facts.
    pub metadata: ResponseMetadata,
    /// Notices.
    pub warnings: Vec<Warning>,
}

/// A token count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountTokensResponse {
    /// Input tokens.
    pub input_tokens: u64,
    /// Upstream facts.
    pub metadata: ResponseMetadata,
    /// Notices.
    pub warnings: Vec<Warning>,
}

/// How one check row came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckStatus {
    /// The requirement is met.
    Passed,
    /// The requirement is not met; the row's fix says what to do.
    Failed,
    /// It could not be determined; does not fail the check.
    Unknown,
    /// Does not apply, or cannot be tested by this provider.
    Skipped,
}

impl CheckStatus {
    /// The WIT name, e.g. `passed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Unknown => "unknown",
            Self::Skipped => "skipped",
        }
    }
}

/// One requirement checked for one model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRow {
    /// `on-demand`, `region`, `access`, `lifecycle` or `live-call`.
    pub requirement: String,
    /// The outcome.
    pub status: CheckStatus,
    /// What was observed.
    pub evidence: String,
    /// What to do (failed), or how to find out (unknown).
    pub fix: Option<String>,
    /// Upstream request ID behind the evidence.
    pub request_id: Option<String>,
    /// Duration of the request behind the row (the live call).
    pub latency_ms: Option<u64>,
}

/// The checklist for one configured model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelCheck {
    /// `language`, `reranking` or `embedding`.
    pub kind: String,
    /// The setting it comes from, e.g. `languageModel`.
    pub setting: String,
    /// The model ID as configured.
    pub model: String,
    /// Requirement rows, then the live call.
    pub rows: Vec<CheckRow>,
}

/// What `check` resolved and found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// Region.
    pub region: String,
    /// Runtime endpoint.
    pub endpoint: String,
    /// Control-plane endpoint.
    pub control_plane_endpoint: String,
    /// Auth description, masked.
    pub auth: String,
    /// One entry per configured model.
    pub models: Vec<ModelCheck>,
    /// Notices.
    pub warnings: Vec<Warning>,
}

//! The error catalogue: exception name + status (+ message refinements) -> kind, cause, solution.
//!
//! Sources: spec §12 (modelled shapes of bedrock-runtime and the agent runtime, the AWS front
//! end's authentication errors, the troubleshooting page's list, recorded literal messages).

use super::{ErrorContext, Operation};
use crate::error::ErrorKind;

/// What the upstream said, already parsed and sanitised.
pub(super) struct Upstream<'a> {
    /// HTTP status; `None` for in-stream exceptions.
    pub status: Option<u16>,
    /// Bare exception name in HTTP form (`ThrottlingException`).
    pub code: Option<&'a str>,
    /// The upstream message (may be empty).
    pub message: &'a str,
    /// `originalStatusCode` of ModelError / ModelStreamError.
    pub original_status: Option<u64>,
    /// `reason` of the agent runtime's InternalServerException.
    pub reason: Option<&'a str>,
    /// `resourceName` of DependencyFailed / BadGateway.
    pub resource: Option<&'a str>,
}

/// The verdict on one error.
#[derive(Debug)]
pub(super) struct Diagnosis {
    pub kind: ErrorKind,
    pub cause: String,
    pub solution: String,
    pub retryable: bool,
    pub field: Option<String>,
}

impl Diagnosis {
    fn new(kind: ErrorKind, cause: impl Into<String>, solution: impl Into<String>) -> Self {
        Self { kind, cause: cause.into(), solution: solution.into(), retryable: false, field: None }
    }

    fn retryable(mut self) -> Self {
        self.retryable = true;
        self
    }

    fn field(mut self, field: &str) -> Self {
        self.field = Some(field.to_string());
        self
    }
}

/// Classifies one upstream error.
pub(super) fn classify(up: &Upstream, ctx: &ErrorContext) -> Diagnosis {
    // Lower-case with straight apostrophes: real messages use U+2019 (`isn’t`, `don’t`).
    let m = up.message.to_lowercase().replace('\u{2019}', "'");
    let m = m.as_str();
    let code = up.code.unwrap_or_default();
    let request_class = matches!(
        code,
        "ValidationException"
            | "ValidationError"
            | "ModelErrorException"
            | "ModelStreamErrorException"
    ) || (code.is_empty() && matches!(up.status, Some(400 | 413 | 424)));
    if request_class && context_overflow(m) {
        return context_window();
    }
    match code {
        "ValidationException" | "ValidationError" => validation(m, ctx),
        "AccessDeniedException" | "AccessDenied" | "NotAuthorized" => access_denied(m, up.message, ctx),
        "BadCScoreException" => Diagnosis::new(
            ErrorKind::AccessDenied,
            "AWS has not cleared this account to use the model (Bedrock's account check, BadCScore).",
            "Contact AWS Support (Account and billing) to have the account reviewed for this model, or choose another model meanwhile.",
        )
        .field(model_setting(ctx)),
        "FTUFormNotFilled" => use_case_form(ctx),
        "MPAgreementBeingCreated" => marketplace(ctx),
        "ResourceNotFoundException" => not_found(m, ctx),
        "ThrottlingException" | "Throttling" | "TooManyRequestsException" => throttled(m, ctx),
        "ServiceQuotaExceededException" => Diagnosis::new(
            ErrorKind::QuotaExceeded,
            format!("An Amazon Bedrock service quota of the account is exhausted in {}.", ctx.region),
            "Request a higher quota in the Service Quotas console (AWS services -> Amazon Bedrock) for this region, or use another region or model; retrying soon will not help.",
        ),
        "ModelNotReadyException" => Diagnosis::new(
            ErrorKind::ModelNotReady,
            "The model is not ready to serve requests yet (it is being loaded, e.g. an imported model after idle time).",
            "Retry after a few seconds with backoff; AWS SDKs retry this up to 5 times.",
        )
        .retryable(),
        "ModelTimeoutException" => model_timeout(),
        "ModelErrorException" => model_error(up.original_status, false),
        "ModelStreamErrorException" => model_error(up.original_status, true),
        "InternalServerException" | "InternalFailure" | "InternalServerError" => internal(up.reason),
        "ServiceUnavailableException" | "ServiceUnavailable" => service_unavailable(ctx),
        "DependencyFailedException" | "BadGatewayException" => {
            let what = up.resource.map(|r| format!(" ({r})")).unwrap_or_default();
            Diagnosis::new(
                ErrorKind::ServiceUnavailable,
                format!("A service Bedrock depends on{what} failed or answered badly."),
                "Retry with backoff; if it persists, check the AWS Health Dashboard for the region and report the request ID to AWS Support.",
            )
            .retryable()
        }
        "ConflictException" => Diagnosis::new(
            ErrorKind::InvalidRequest,
            "Bedrock refused the request because it conflicts with the current state of a resource.",
            "Wait for the conflicting operation to finish, then send the request again.",
        ),
        "InvalidSignatureException" | "SignatureDoesNotMatch" => {
            if m.contains("signature expired") {
                clock_skew()
            } else {
                bad_signature(ctx)
            }
        }
        "UnrecognizedClientException" | "InvalidClientTokenId" => unknown_key(ctx),
        "ExpiredTokenException" | "ExpiredToken" => expired_token(),
        "RequestExpired" => Diagnosis::new(
            ErrorKind::ExpiredCredentials,
            "AWS considers the request's timestamp expired: the host's clock is off, or the temporary credentials are out of date.",
            "Synchronise the host's clock (NTP); if temporary credentials are used, refresh them and update accessKeyId, secretAccessKey and sessionToken.",
        ),
        "IncompleteSignatureException"
        | "IncompleteSignature"
        | "MissingAuthenticationTokenException"
        | "MissingAuthenticationToken" => missing_auth(ctx),
        "UnknownOperationException" | "InvalidAction" => {
            let code = up.code.unwrap_or_default();
            wrong_route(code)
        }
        _ => by_status(up.status, m, up.message, ctx),
    }
}

/// The setting that holds the model for this operation.
fn model_setting(ctx: &ErrorContext) -> &'static str {
    if let Some(setting) = ctx.model_setting {
        return setting;
    }
    match ctx.operation {
        Operation::Rerank | Operation::RerankInvokeModel => "rerankingModel",
        Operation::Embed => "embeddingModel",
        // `check` names the setting of the model it reads (`model_setting`); without it the
        // control-plane reads point at the language model, like the other calls.
        Operation::Converse
        | Operation::ConverseStream
        | Operation::CountTokens
        | Operation::GetFoundationModel
        | Operation::GetFoundationModelAvailability
        | Operation::GetInferenceProfile
        | Operation::ListInferenceProfiles => "languageModel",
    }
}

/// The IAM action the operation needs.
pub(super) fn iam_action(op: Operation) -> &'static str {
    match op {
        Operation::Converse | Operation::RerankInvokeModel | Operation::Embed => {
            "bedrock:InvokeModel"
        }
        Operation::ConverseStream => "bedrock:InvokeModelWithResponseStream",
        Operation::Rerank => "bedrock:Rerank",
        Operation::CountTokens => "bedrock:CountTokens",
        Operation::GetFoundationModel => "bedrock:GetFoundationModel",
        Operation::GetFoundationModelAvailability => "bedrock:GetFoundationModelAvailability",
        Operation::GetInferenceProfile => "bedrock:GetInferenceProfile",
        Operation::ListInferenceProfiles => "bedrock:ListInferenceProfiles",
    }
}

/// Unknown or absent exception name: the HTTP status decides; message text refines.
fn by_status(status: Option<u16>, m: &str, raw: &str, ctx: &ErrorContext) -> Diagnosis {
    match status {
        Some(400) => validation(m, ctx),
        Some(401) => {
            if let Some(d) = auth_text(m, ctx) {
                return d;
            }
            if ctx.bearer {
                return bearer_invalid(ctx);
            }
            Diagnosis::new(
                ErrorKind::Authentication,
                "Bedrock did not accept the credentials.",
                "Check accessKeyId, secretAccessKey and sessionToken (copy current credentials again); if baseUrl is set, make sure it forwards the Authorization header unchanged.",
            )
        }
        Some(403) => access_denied(m, raw, ctx),
        Some(404) => not_found(m, ctx),
        Some(408) => model_timeout(),
        Some(409) => Diagnosis::new(
            ErrorKind::InvalidRequest,
            "Bedrock reported a conflict with the current state of a resource.",
            "Wait for the conflicting operation to finish, then send the request again.",
        ),
        Some(413) => Diagnosis::new(
            ErrorKind::InvalidRequest,
            "The request is larger than Bedrock accepts.",
            "Send smaller images or documents (or S3 locations), or fewer of them.",
        ),
        Some(424) => model_error(None, false),
        Some(429) => throttled(m, ctx),
        Some(500) => internal(None),
        Some(s) if s >= 500 => service_unavailable(ctx),
        Some(s) => Diagnosis::new(
            ErrorKind::InvalidResponse,
            format!("Bedrock (or something in between) answered with HTTP {s}, which this provider does not expect."),
            "Check baseUrl and any proxy between the gateway and Bedrock; leave baseUrl empty to call Bedrock directly.",
        )
        .field("baseUrl"),
        None => Diagnosis::new(
            ErrorKind::Internal,
            "Bedrock reported an error this provider does not know.",
            "Retry once; if it persists, report the message and request ID to AWS Support.",
        ),
    }
}

fn validation(m: &str, ctx: &ErrorContext) -> Diagnosis {
    if ctx.operation == Operation::CountTokens
        && (m.contains("support counting tokens") || m.contains("not supported for token counting"))
    {
        return count_tokens_unsupported(m, ctx);
    }
    if m.contains("on-demand throughput") {
        return on_demand(ctx);
    }
    if m.contains("provided model identifier is invalid") {
        return invalid_model_id(ctx);
    }
    if m.contains("model arn for reranking is invalid") {
        return Diagnosis::new(
            ErrorKind::ModelNotFound,
            "The agent runtime did not accept the reranking model's ARN.",
            format!("Set rerankingModel to a reranking model offered in {} (e.g. `amazon-bedrock|cohere.rerank-v3-5:0`); the ARN is built as arn:aws:bedrock:{}::foundation-model/<model-id>.", ctx.region, ctx.region),
        )
        .field("rerankingModel");
    }
    if m.contains("does not support cross-region")
        || (m.contains("not supported in the") && m.contains("region"))
    {
        return region_unsupported(ctx);
    }
    if m.contains("have access to the model") {
        return model_access(ctx);
    }
    if m.contains("the model returned the following errors:") {
        return Diagnosis::new(
            ErrorKind::InvalidRequest,
            "The model provider rejected the request (Bedrock passed its error through).",
            "Adjust the request as the provider's message says, e.g. remove a parameter this model does not accept.",
        );
    }
    Diagnosis::new(
        ErrorKind::InvalidRequest,
        "Bedrock refused the request as invalid.",
        "Correct the request as Bedrock's message says.",
    )
}

/// CountTokens refused the model (`The provided model doesn't support counting tokens.`) or a
/// part of the request (`Document input not supported for token counting`).
fn count_tokens_unsupported(m: &str, ctx: &ErrorContext) -> Diagnosis {
    if m.contains("not supported for token counting") {
        return Diagnosis::new(
            ErrorKind::Unsupported,
            "Bedrock's CountTokens cannot count a part of this request (e.g. documents).",
            "Count the request without that part and add an estimate for it, or read the exact input tokens from the usage of the generate call.",
        )
        .field("messages");
    }
    Diagnosis::new(
        ErrorKind::Unsupported,
        format!("Bedrock's CountTokens does not support the model `{}`: only some models (Anthropic Claude) can count tokens.", ctx.model_id),
        "Token counting is not available for this model: estimate instead (about 4 characters per token), read the exact input tokens from the usage of the generate call, or count with a model that supports CountTokens (e.g. `amazon-bedrock|anthropic.claude-sonnet-4-5-20250929-v1:0`).",
    )
    .field(model_setting(ctx))
}

fn on_demand(ctx: &ErrorContext) -> Diagnosis {
    let setting = model_setting(ctx);
    let cause = format!(
        "The model `{}` cannot be called on demand in {}: Bedrock serves it only through an inference profile.",
        ctx.model_id, ctx.region
    );
    let solution = match &ctx.inference_profile {
        Some(profile) => {
            let global = global_profile(profile)
                .map(|g| format!(" (or the global profile: `amazon-bedrock|{g}`, where offered for this model)"))
                .unwrap_or_default();
            format!(
                "Use the inference profile `{profile}`: set {setting} to `amazon-bedrock|{profile}`{global}. \
The IAM policy must allow the invoke action on the inference profile and on the model in the profile's destination regions."
            )
        }
        None => format!(
            "Find an inference profile that contains the model: in the Amazon Bedrock console for {}, open \
Cross-region inference (under Infer), copy the inference profile ID for `{}` (it starts with a geography such as \
`us.`, `eu.`, `apac.` or `global.`), and set {setting} to `amazon-bedrock|<that ID>`.",
            ctx.region, ctx.model_id
        ),
    };
    Diagnosis::new(ErrorKind::OnDemandUnsupported, cause, solution).field(setting)
}

/// `us.x` -> `global.x`; `None` when already global or not a geo profile.
fn global_profile(profile: &str) -> Option<String> {
    const GEOS: &[&str] = &["us", "us-gov", "ug", "eu", "apac", "jp", "au", "ca", "sa"];
    let (geo, base) = profile.split_once('.')?;
    GEOS.contains(&geo).then(|| format!("global.{base}"))
}

fn invalid_model_id(ctx: &ErrorContext) -> Diagnosis {
    if let Some(d) = amazon_rerank_unavailable(ctx) {
        return d;
    }
    let setting = model_setting(ctx);
    Diagnosis::new(
        ErrorKind::ModelNotFound,
        format!("Bedrock in {} does not know the model ID `{}`.", ctx.region, ctx.model_id),
        format!(
            "Check the model ID in {setting} against the Bedrock console's model catalog for {}. For a geo inference \
profile (`us.`, `eu.`, `apac.`, `jp.`, `au.`...) the prefix must match the configured region {} (e.g. `us.` for \
us-east-1, `eu.` for eu-west-1); not every model has a profile in every geography, the `global.` one may help.",
            ctx.region, ctx.region
        ),
    )
    .field(setting)
}

fn not_found(m: &str, ctx: &ErrorContext) -> Diagnosis {
    let setting = model_setting(ctx);
    if m.contains("end of its life") || m.contains("legacy") {
        return Diagnosis::new(
            ErrorKind::ModelNotFound,
            format!("The model `{}` has reached end of life (or is Legacy and unused recently) and can no longer be called by this account.", ctx.model_id),
            format!("Move to an active model: pick one whose lifecycle status is Active in the Bedrock console's model catalog for {} and set {setting} to it.", ctx.region),
        )
        .field(setting);
    }
    if m.contains("use case details") {
        return use_case_form(ctx);
    }
    Diagnosis::new(
        ErrorKind::ModelNotFound,
        format!("Bedrock found no model or resource `{}` in {}.", ctx.model_id, ctx.region),
        format!("Check {setting} (the model ID or ARN, and its region) against the Bedrock console's model catalog for {}; if baseUrl is set, check that it forwards the path unchanged.", ctx.region),
    )
    .field(setting)
}

/// Amazon Rerank 1.0 is not offered in us-east-1 (spec 11.1, the rerank-supported page), where
/// Bedrock answers as if the model ID did not exist: say what is really wrong.
fn amazon_rerank_unavailable(ctx: &ErrorContext) -> Option<Diagnosis> {
    let amazon_rerank = ctx.model_id.ends_with("amazon.rerank-v1:0");
    (ctx.operation.reranks() && amazon_rerank && ctx.region == "us-east-1").then(|| {
        Diagnosis::new(
            ErrorKind::RegionUnsupported,
            "Amazon Rerank 1.0 (`amazon.rerank-v1:0`) is not offered in us-east-1; only Cohere Rerank 3.5 is.",
            "Set rerankingModel to `amazon-bedrock|cohere.rerank-v3-5:0`, or set region to one that offers Amazon Rerank 1.0 (e.g. us-west-2).",
        )
        .field("region")
    })
}

fn region_unsupported(ctx: &ErrorContext) -> Diagnosis {
    if let Some(d) = amazon_rerank_unavailable(ctx) {
        return d;
    }
    let example = if ctx.operation.reranks() {
        "us-west-2 for Amazon Rerank 1.0; Cohere Rerank 3.5 (`amazon-bedrock|cohere.rerank-v3-5:0`) is also offered in us-east-1"
    } else {
        "us-east-1 or us-west-2 for most models"
    };
    Diagnosis::new(
        ErrorKind::RegionUnsupported,
        format!("The model or feature is not available in the configured region {} (or cannot be called across regions).", ctx.region),
        format!("Set region to a region where the model is offered (e.g. {example}; see the Bedrock console's model catalog), or choose a model offered in {}.", ctx.region),
    )
    .field("region")
}

fn access_denied(m: &str, raw: &str, ctx: &ErrorContext) -> Diagnosis {
    if let Some(d) = auth_text(m, ctx) {
        return d;
    }
    if m.contains("marketplace") {
        return marketplace(ctx);
    }
    if m.contains("use case details") {
        return use_case_form(ctx);
    }
    if m.contains("have access to the model") {
        return model_access(ctx);
    }
    if m.contains("not authorized to access this model") {
        return Diagnosis::new(
            ErrorKind::AccessDenied,
            "AWS has not cleared this account to use the model.",
            "Contact AWS Support to have the account reviewed for this model, or choose another model meanwhile.",
        )
        .field(model_setting(ctx));
    }
    if let Some((action, resource)) = iam_denial(raw) {
        let on = resource.map(|r| format!(" on `{r}`")).unwrap_or_default();
        return Diagnosis::new(
            ErrorKind::AccessDenied,
            format!(
                "The IAM identity of the configured credentials is not allowed to call `{action}`{on}."
            ),
            format!(
                "Add an IAM policy statement that allows `{action}`{on} to that user or role (for a cross-region \
inference profile also on the foundation-model ARNs in its destination regions){}.",
                if ctx.bearer { ", plus bedrock:CallWithBearerToken for API keys" } else { "" }
            ),
        );
    }
    if ctx.operation == Operation::Rerank {
        return Diagnosis::new(
            ErrorKind::AccessDenied,
            "The configured credentials may not re-rank with this model.",
            format!(
                "Grant the IAM identity `bedrock:Rerank` and `bedrock:InvokeModel` (on the reranking model's foundation-model ARN in {}), and make sure model access to the reranking model is granted in the Bedrock console.",
                ctx.region
            ),
        );
    }
    Diagnosis::new(
        ErrorKind::AccessDenied,
        "The configured credentials are not allowed to use this model.",
        format!(
            "Allow `{}` on the model (and its inference profile) for the IAM identity{}, and check model access in the Bedrock console for {} (Model access).",
            iam_action(ctx.operation),
            if ctx.bearer { " behind the API key (plus bedrock:CallWithBearerToken)" } else { "" },
            ctx.region
        ),
    )
}

/// `… is not authorized to perform: <action> on resource: <resource> because …`.
pub(super) fn iam_denial(raw: &str) -> Option<(String, Option<String>)> {
    const PERFORM: &str = "is not authorized to perform: ";
    let after = &raw[raw.find(PERFORM)? + PERFORM.len()..];
    let action: String = after.chars().take_while(|c| !c.is_whitespace()).collect();
    let action = action.trim_end_matches(['.', ',']).to_string();
    if action.is_empty() {
        return None;
    }
    const ON: &str = " on resource: ";
    let resource = after.find(ON).map(|at| {
        let r = &after[at + ON.len()..];
        let end = r.find(" because").unwrap_or(r.len());
        r[..end].trim().trim_end_matches('.').to_string()
    });
    Some((action, resource.filter(|r| !r.is_empty())))
}

fn model_access(ctx: &ErrorContext) -> Diagnosis {
    Diagnosis::new(
        ErrorKind::AccessDenied,
        format!("Model access to `{}` has not been granted to this account in {}.", ctx.model_id, ctx.region),
        format!(
            "Open the Amazon Bedrock console in {} -> Model access -> Modify model access, select the model, request \
access (Anthropic models ask for use case details), and wait until its status shows \"Access granted\". For an \
inference profile, grant access in each of its destination regions.",
            ctx.region
        ),
    )
    .field(model_setting(ctx))
}

fn marketplace(ctx: &ErrorContext) -> Diagnosis {
    Diagnosis::new(
        ErrorKind::AccessDenied,
        "The AWS Marketplace subscription that enables this model is missing or still being set up.",
        format!(
            "Allow the IAM identity the AWS Marketplace actions aws-marketplace:ViewSubscriptions and \
aws-marketplace:Subscribe (needed once, to enable the model), or have an administrator enable the model from the \
Bedrock console in {}; then retry after a few minutes (the subscription can take up to 15 minutes).",
            ctx.region
        ),
    )
    .field(model_setting(ctx))
}

fn use_case_form(ctx: &ErrorContext) -> Diagnosis {
    Diagnosis::new(
        ErrorKind::AccessDenied,
        "The Anthropic use case details have not been submitted for this account.",
        format!(
            "Fill out the Anthropic use case form: Amazon Bedrock console in {} -> Model catalog (or Model access) -> \
an Anthropic model -> submit use case details. Retry about 15 minutes after submitting.",
            ctx.region
        ),
    )
    .field(model_setting(ctx))
}

fn throttled(m: &str, ctx: &ErrorContext) -> Diagnosis {
    let cause = if m.contains("too many tokens") {
        format!(
            "The account's tokens-per-minute quota for this model in {} is used up.",
            ctx.region
        )
    } else if m.contains("too many requests") {
        format!(
            "The account's requests-per-minute quota for this model in {} is used up.",
            ctx.region
        )
    } else {
        format!("Bedrock is throttling requests for this model in {}.", ctx.region)
    };
    let profile =
        ctx.inference_profile.as_ref().map(|p| format!(" (e.g. `{p}`)")).unwrap_or_default();
    Diagnosis::new(
        ErrorKind::Throttled,
        cause,
        format!(
            "Wait and retry with backoff; meanwhile switch to another model. For lasting load, request a quota \
increase (Service Quotas console -> Amazon Bedrock), or use provisioned throughput or a cross-region inference \
profile{profile} to spread requests."
        ),
    )
    .retryable()
}

/// Upstream wordings of "the input does not fit the model's context window", across model
/// families (Anthropic, Meta, Mistral, Amazon, Cohere), lower-case. Bedrock sends them as a
/// ValidationException or as a 424 ModelErrorException (which is otherwise retried); either
/// way the same request fails again, so they are request errors.
const CONTEXT_OVERFLOW: [&str; 8] = [
    "input is too long",
    "prompt is too long",
    "too many input tokens",
    "input tokens exceed",
    "context length",
    "context_length",
    "context window",
    "maximum context",
];

fn context_overflow(m: &str) -> bool {
    CONTEXT_OVERFLOW.iter().any(|p| m.contains(p))
}

fn context_window() -> Diagnosis {
    Diagnosis::new(
        ErrorKind::InvalidRequest,
        "The request is longer than the model's context window: its input (with maxTokens of room for the answer) exceeds what the model accepts.",
        "Shorten the conversation (drop or summarise earlier turns, send smaller documents or images), lower maxTokens, or use a model with a longer context window.",
    )
    .field("messages")
}

fn model_timeout() -> Diagnosis {
    Diagnosis::new(
        ErrorKind::ModelTimeout,
        "The model took too long to process the request.",
        "Retry; if it keeps timing out, shorten the prompt or lower maxTokens, or use streaming for long answers.",
    )
    .retryable()
}

fn model_error(original_status: Option<u64>, stream: bool) -> Diagnosis {
    let upstream = original_status
        .map(|s| format!(" The model's own status code was {s}."))
        .unwrap_or_default();
    let d = Diagnosis::new(
        ErrorKind::ModelError,
        format!("The model failed while processing the request.{upstream}"),
        "Retry; if it persists, simplify the request or try another model, and report the request ID to AWS Support.",
    );
    // A 4xx from the model means the same request fails again; streams and 5xx may recover.
    if stream || original_status.is_none_or(|s| s >= 500 || s == 429) { d.retryable() } else { d }
}

fn internal(reason: Option<&str>) -> Diagnosis {
    let cause = match reason {
        Some("BEDROCK_MODEL_INVOCATION_SERVICE_UNAVAILABLE") => {
            "Bedrock failed internally: the model invocation service is unavailable (BEDROCK_MODEL_INVOCATION_SERVICE_UNAVAILABLE).".to_string()
        }
        Some(r) => format!("Bedrock failed internally (reason: {r})."),
        None => "Bedrock failed internally.".to_string(),
    };
    Diagnosis::new(
        ErrorKind::Internal,
        cause,
        "Retry with backoff; if it persists, report the request ID to AWS Support.",
    )
    .retryable()
}

fn service_unavailable(ctx: &ErrorContext) -> Diagnosis {
    Diagnosis::new(
        ErrorKind::ServiceUnavailable,
        format!("Bedrock is temporarily unable to process requests in {}.", ctx.region),
        "Retry with backoff; if it lasts, check the AWS Health Dashboard or use another region (or a cross-region inference profile).",
    )
    .retryable()
}

fn clock_skew() -> Diagnosis {
    Diagnosis::new(
        ErrorKind::ExpiredCredentials,
        "The request's signing time differs from AWS's clock by more than 5 minutes (clock skew).",
        "Synchronise the host's clock (e.g. enable NTP); requests are signed with the host's time.",
    )
}

fn bad_signature(ctx: &ErrorContext) -> Diagnosis {
    Diagnosis::new(
        ErrorKind::Authentication,
        "The request signature does not verify: the secret access key does not belong to the access key ID, or the request was changed after signing.",
        format!(
            "Check that secretAccessKey is the secret of accessKeyId (copy both again, without stray whitespace or \
newlines), that region ({}) is right, and that no proxy at baseUrl rewrites signed headers (host, content-type, \
x-amz-*) or the path.",
            ctx.region
        ),
    )
    .field("secretAccessKey")
}

fn unknown_key(ctx: &ErrorContext) -> Diagnosis {
    if ctx.bearer {
        return bearer_invalid(ctx);
    }
    Diagnosis::new(
        ErrorKind::Authentication,
        "AWS does not recognise the access key ID, or the session token is invalid for it.",
        "Check accessKeyId (it must exist and be active in IAM) and, for temporary keys (ASIA…), sessionToken: it must come from the same credentials as the key pair. Copy current credentials again.",
    )
    .field("accessKeyId")
}

fn expired_token() -> Diagnosis {
    Diagnosis::new(
        ErrorKind::ExpiredCredentials,
        "The session token of the temporary credentials has expired.",
        "Refresh the temporary credentials (e.g. aws sso login, aws sts get-session-token or aws configure export-credentials) and update accessKeyId, secretAccessKey and sessionToken.",
    )
    .field("sessionToken")
}

fn missing_auth(ctx: &ErrorContext) -> Diagnosis {
    if ctx.bearer && ctx.operation == Operation::Rerank {
        return rerank_needs_keys();
    }
    Diagnosis::new(
        ErrorKind::Authentication,
        "The request reached AWS without a complete Authorization header: no credentials were configured, or something in between stripped or rewrote it.",
        "Configure accessKeyId and secretAccessKey (or apiKey); if baseUrl points at a gateway or proxy, make sure it forwards Authorization, X-Amz-Date and X-Amz-Security-Token unchanged.",
    )
}

fn bearer_invalid(ctx: &ErrorContext) -> Diagnosis {
    if ctx.operation == Operation::Rerank {
        return rerank_needs_keys();
    }
    Diagnosis::new(
        ErrorKind::Authentication,
        "Bedrock rejected the API key: it is invalid, revoked or expired, or it is a short-term key generated for another region.",
        format!(
            "Generate a new Amazon Bedrock API key (Bedrock console -> API keys) and set apiKey. Short-term keys are \
bound to the region they were generated in and last at most 12 hours: generate it for {}.",
            ctx.region
        ),
    )
    .field("apiKey")
}

fn rerank_needs_keys() -> Diagnosis {
    Diagnosis::new(
        ErrorKind::Authentication,
        "Re-ranking goes to the Bedrock agent runtime, which does not accept Bedrock API keys (only SigV4).",
        "Configure accessKeyId and secretAccessKey (an IAM identity allowed bedrock:Rerank and bedrock:InvokeModel) for re-ranking.",
    )
    .field("apiKey")
}

/// Authentication texts the front end sends without a dependable exception name.
fn auth_text(m: &str, ctx: &ErrorContext) -> Option<Diagnosis> {
    if m.contains("api key is valid") || m.contains("authentication failed") {
        return Some(bearer_invalid(ctx));
    }
    if m.contains("authorization header is missing") || m.contains("missing authentication token") {
        return Some(missing_auth(ctx));
    }
    if m.contains("security token included in the request is invalid") {
        return Some(unknown_key(ctx));
    }
    if m.contains("security token included in the request is expired") {
        return Some(expired_token());
    }
    if m.contains("signature expired") {
        return Some(clock_skew());
    }
    if m.contains("signature we calculated does not match") {
        return Some(bad_signature(ctx));
    }
    if ctx.bearer && ctx.operation == Operation::Rerank {
        return Some(rerank_needs_keys());
    }
    None
}

/// The request reached a route Bedrock does not serve.
pub(super) fn wrong_route(code: &str) -> Diagnosis {
    Diagnosis::new(
        ErrorKind::InvalidResponse,
        format!(
            "The request reached a route Bedrock does not serve ({code}): usually a model ID or ARN sent with a \
literal `/` in the path, or a gateway at baseUrl that rewrites paths."
        ),
        "Check baseUrl: it must forward /model/<encoded-id>/converse unchanged (leave it empty to call Bedrock directly); model ARNs must be sent percent-encoded.",
    )
    .field("baseUrl")
}

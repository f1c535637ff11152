//! The checklist's rows, decided from what the control plane said. Pure: `check/mod.rs` reads
//! the facts (or records why it could not), this decides passed / failed / unknown / skipped and
//! writes the evidence and the fix in the operator's words.

use super::{Role, successors};
use crate::api::{CheckRow, CheckStatus};
use crate::control_plane::{Availability, FoundationModel, InferenceProfile};
use crate::error::{ErrorKind, ProviderError};

/// Requirement ID: the model can be called with on-demand throughput.
pub const ON_DEMAND: &str = "on-demand";
/// Requirement ID: the model is offered in the configured region.
pub const REGION: &str = "region";
/// Requirement ID: the account may use the model (authorization, entitlement, Marketplace).
pub const ACCESS: &str = "access";
/// Requirement ID: the model is not legacy (end of life ahead).
pub const LIFECYCLE: &str = "lifecycle";
/// Requirement ID: a real request to the model answered.
pub const LIVE_CALL: &str = "live-call";

/// What one control-plane read returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read<T> {
    /// The answer.
    Got {
        /// The parsed answer.
        value: T,
        /// Upstream request ID.
        request_id: Option<String>,
    },
    /// Bedrock does not know the model or profile (ResourceNotFound, or "The provided model
    /// identifier is invalid").
    NotFound {
        /// Bedrock's message.
        message: String,
        /// Upstream request ID.
        request_id: Option<String>,
    },
    /// The control plane refused the read itself (IAM).
    Denied {
        /// The IAM action that is missing, e.g. `bedrock:GetFoundationModelAvailability`.
        action: String,
        /// Bedrock's message.
        message: String,
        /// Upstream request ID.
        request_id: Option<String>,
    },
    /// Not asked, on purpose (e.g. an API key); the row explains.
    NotRead {
        /// Why the fact was not read.
        evidence: String,
        /// Where to read it instead.
        fix: String,
    },
    /// Anything else that stopped the read (network, throttling after retries, a gateway that
    /// answered something else, the host's policy).
    Failed(ProviderError),
}

impl<T> Read<T> {
    /// The same problem for a read of another type; a successful read has none to carry.
    pub fn problem<U>(self) -> Read<U> {
        match self {
            Read::Got { request_id, .. } => Read::Failed(ProviderError {
                request_id,
                ..ProviderError::new(ErrorKind::Internal, "a successful read has no problem")
            }),
            Read::NotFound { message, request_id } => Read::NotFound { message, request_id },
            Read::Denied { action, message, request_id } => {
                Read::Denied { action, message, request_id }
            }
            Read::NotRead { evidence, fix } => Read::NotRead { evidence, fix },
            Read::Failed(e) => Read::Failed(e),
        }
    }
}

/// What the configured model string names, for the checklist's purposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A base model ID or a foundation-model ARN: the base model ID.
    Base(String),
    /// A system-defined or application inference profile, as configured (ID or ARN), and the
    /// base model when the identifier names it.
    Profile {
        /// The identifier sent to GetInferenceProfile.
        id: String,
        /// The base model ID, when the identifier names it.
        base: Option<String>,
    },
    /// Provisioned, custom or imported models, prompts and routers: the ARN resource type.
    Other(&'static str),
}

/// Everything read about one model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// What the model string names.
    pub target: Target,
    /// The foundation model behind it, when known (from the ID, or the profile's models).
    pub base: Option<String>,
    /// GetInferenceProfile of the configured profile.
    pub profile: Option<Read<InferenceProfile>>,
    /// GetFoundationModel of `base`.
    pub model: Option<Read<FoundationModel>>,
    /// GetFoundationModelAvailability of `base`.
    pub availability: Option<Read<Availability>>,
    /// Inference profiles offered in the region that contain `base`, best first; read only
    /// when a fix needs them.
    pub alternatives: Option<Read<Vec<InferenceProfile>>>,
}

/// The call's context that the texts need.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// The configured region.
    pub region: &'a str,
    /// Which kind of model (decides the setting named in fixes).
    pub role: Role,
    /// The region's geography prefix for inference profiles (`us`), if it has one.
    pub geo: Option<&'a str>,
    /// The control-plane endpoint, for fixes about reaching it.
    pub control_plane: &'a str,
}

impl Ctx<'_> {
    fn setting(&self) -> &'static str {
        self.role.setting()
    }
}

fn row(
    requirement: &str,
    status: CheckStatus,
    evidence: String,
    fix: Option<String>,
    request_id: Option<String>,
) -> CheckRow {
    CheckRow {
        requirement: requirement.to_string(),
        status,
        evidence,
        fix,
        request_id,
        latency_ms: None,
    }
}

fn passed(requirement: &str, evidence: String, request_id: &Option<String>) -> CheckRow {
    row(requirement, CheckStatus::Passed, evidence, None, request_id.clone())
}

fn failed(
    requirement: &str,
    evidence: String,
    fix: String,
    request_id: &Option<String>,
) -> CheckRow {
    row(requirement, CheckStatus::Failed, evidence, Some(fix), request_id.clone())
}

fn unknown(
    requirement: &str,
    evidence: String,
    fix: Option<String>,
    rid: &Option<String>,
) -> CheckRow {
    row(requirement, CheckStatus::Unknown, evidence, fix, rid.clone())
}

/// A row that does not apply.
pub fn skipped(requirement: &str, evidence: String) -> CheckRow {
    row(requirement, CheckStatus::Skipped, evidence, None, None)
}

/// The row for a read that produced no answer: unknown, never failed, since the requirement
/// itself may well be met.
fn unknown_from<T>(requirement: &str, operation: &str, read: &Read<T>, c: &Ctx) -> CheckRow {
    match read {
        Read::Denied { action, message, request_id } => unknown(
            requirement,
            format!("The control plane refused {operation} (AccessDenied): {message}"),
            Some(format!(
                "Allow `{action}` to the IAM identity of `accessKeyId` (a read-only action), then run \
                 check again; meanwhile read this in the Amazon Bedrock console in {} (Model catalog, \
                 Model access).",
                c.region
            )),
            request_id,
        ),
        Read::NotRead { evidence, fix } => {
            unknown(requirement, evidence.clone(), Some(fix.clone()), &None)
        }
        Read::Failed(e) => {
            let fix = if e.kind == ErrorKind::DeniedByHost {
                format!(
                    "The gateway host does not allow requests to the control plane ({}): allow \
                     that origin for this provider, or set `controlPlaneBaseUrl` to an allowed \
                     gateway that forwards to it.",
                    c.control_plane
                )
            } else {
                e.solution.clone().unwrap_or_else(|| "Run check again later.".to_string())
            };
            unknown(
                requirement,
                format!("{operation} failed ({}): {}", e.kind.as_str(), e.message),
                Some(fix),
                &e.request_id,
            )
        }
        Read::NotFound { message, request_id } => unknown(
            requirement,
            format!("{operation}: not found ({message}); see the region row."),
            None,
            request_id,
        ),
        Read::Got { request_id, .. } => unknown(
            requirement,
            format!("{operation} answered, but not with what this row needs."),
            None,
            request_id,
        ),
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn ticked(items: &[String]) -> String {
    and_list(&items.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>())
}

fn types_list(m: &FoundationModel) -> String {
    format!("[{}]", m.inference_types.join(", "))
}

fn has_type(m: &FoundationModel, t: &str) -> bool {
    m.inference_types.iter().any(|x| x == t)
}

/// Whether a fix will need the region's inference profiles for the model, so the caller reads
/// them (ListInferenceProfiles can be large; it is read only then).
pub fn wants_alternatives(f: &Facts, role: Role) -> bool {
    // The Rerank API takes a foundation-model ARN only: a profile cannot fix a re-ranking model.
    if role == Role::Reranking || f.base.is_none() {
        return false;
    }
    let no_on_demand =
        matches!(&f.model, Some(Read::Got { value, .. }) if !has_type(value, "ON_DEMAND"));
    let not_in_region =
        matches!(&f.availability, Some(Read::Got { value, .. }) if value.region == "NOT_AVAILABLE");
    let profile_missing = matches!(&f.profile, Some(Read::NotFound { .. }));
    match &f.target {
        Target::Base(_) => no_on_demand || not_in_region,
        Target::Profile { .. } => profile_missing,
        Target::Other(_) => false,
    }
}

/// "Use the profile" fix text.
fn use_profile(p: &InferenceProfile, c: &Ctx) -> String {
    let setting = c.setting();
    format!(
        "Use the inference profile `{id}` instead: set {setting} to `amazon-bedrock|{id}`. It routes \
         requests to {regions}; the IAM identity needs the invoke permission on the profile and on \
         the model in each of those regions.",
        id = p.id,
        regions = and_list(&p.regions()),
    )
}

/// Other profiles than the first, for a short "also" note.
fn also(list: &[InferenceProfile]) -> String {
    let others: Vec<String> = list.iter().skip(1).map(|p| p.id.clone()).collect();
    if others.is_empty() {
        String::new()
    } else {
        format!(" Other inference profiles with this model: {}.", ticked(&others))
    }
}

/// Why a profile could not be confirmed, for a fix that falls back on the computed ID.
fn unconfirmed(read: &Option<Read<Vec<InferenceProfile>>>) -> String {
    match read {
        Some(Read::Denied { action, .. }) => {
            format!("not confirmed: the control plane refused `{action}`")
        }
        Some(Read::Failed(e)) => format!("not confirmed: {}", e.message),
        Some(Read::NotRead { .. }) | None => "not confirmed with the control plane".to_string(),
        Some(_) => "not confirmed".to_string(),
    }
}

fn on_demand_fix(base: &str, f: &Facts, c: &Ctx) -> String {
    let setting = c.setting();
    if c.role == Role::Reranking {
        return format!(
            "Re-ranking calls the model by its foundation-model ARN, which needs on-demand \
             throughput: set {setting} to a re-ranking model that supports it in {}, e.g. \
             `amazon-bedrock|cohere.rerank-v3-5:0`.",
            c.region
        );
    }
    match &f.alternatives {
        Some(Read::Got { value: list, .. }) if !list.is_empty() => {
            format!("{}{}", use_profile(&list[0], c), also(list))
        }
        Some(Read::Got { .. }) => format!(
            "No system-defined inference profile offered in {region} contains `{base}` \
             (ListInferenceProfiles), so it cannot be called on demand from {region}: set {setting} \
             to a model that supports on-demand throughput in {region}, or set region to one where \
             an inference profile offers it.",
            region = c.region
        ),
        other => match c.geo {
            Some(geo) => format!(
                "Use the inference profile `{geo}.{base}` instead: set {setting} to \
                 `amazon-bedrock|{geo}.{base}` ({}; the Bedrock console lists the profiles under \
                 Cross-region inference).",
                unconfirmed(other)
            ),
            None => format!(
                "Use an inference profile that contains the model: in the Amazon Bedrock console \
                 for {}, open Cross-region inference, copy the profile ID for `{base}` and set \
                 {setting} to `amazon-bedrock|<that ID>` ({}).",
                c.region,
                unconfirmed(other)
            ),
        },
    }
}

/// Row 1: on-demand throughput support.
pub fn on_demand(f: &Facts, c: &Ctx) -> CheckRow {
    match &f.target {
        Target::Other(kind) => skipped(
            ON_DEMAND,
            format!(
                "The model is a {kind} ARN, which has its own throughput: on-demand support of \
                 foundation models does not apply. The live call tests it."
            ),
        ),
        Target::Profile { id, .. } => match (&f.profile, &f.model) {
            (Some(Read::Got { value: p, request_id }), _) => passed(
                ON_DEMAND,
                format!(
                    "GetInferenceProfile: `{id}` is a {} inference profile ({}) that serves \
                     on-demand requests, routing to {}.",
                    p.kind,
                    p.status,
                    and_list(&p.regions())
                ),
                request_id,
            ),
            (_, Some(Read::Got { value: m, request_id }))
                if has_type(m, "ON_DEMAND") || has_type(m, "INFERENCE_PROFILE") =>
            {
                passed(
                    ON_DEMAND,
                    format!(
                        "GetFoundationModel: inferenceTypesSupported {}: the model is served on \
                         demand through inference profiles.",
                        types_list(m)
                    ),
                    request_id,
                )
            }
            (_, Some(Read::Got { value: m, request_id })) => failed(
                ON_DEMAND,
                format!(
                    "GetFoundationModel: inferenceTypesSupported {}: the model is not served on \
                     demand at all.",
                    types_list(m)
                ),
                provisioned_fix(c),
                request_id,
            ),
            (Some(read), _) => unknown_from(ON_DEMAND, "GetInferenceProfile", read, c),
            (None, _) => internal(ON_DEMAND),
        },
        Target::Base(base) => match &f.model {
            Some(Read::Got { value: m, request_id }) if has_type(m, "ON_DEMAND") => passed(
                ON_DEMAND,
                format!(
                    "GetFoundationModel: inferenceTypesSupported {}: `{base}` can be called on \
                     demand by its ID.",
                    types_list(m)
                ),
                request_id,
            ),
            Some(Read::Got { value: m, request_id })
                if !has_type(m, "INFERENCE_PROFILE") && has_type(m, "PROVISIONED") =>
            {
                failed(
                    ON_DEMAND,
                    format!(
                        "GetFoundationModel: inferenceTypesSupported {}: `{base}` is served with \
                         provisioned throughput only.",
                        types_list(m)
                    ),
                    provisioned_fix(c),
                    request_id,
                )
            }
            Some(Read::Got { value: m, request_id }) => failed(
                ON_DEMAND,
                format!(
                    "GetFoundationModel: inferenceTypesSupported {} (no ON_DEMAND): `{base}` cannot \
                     be called on demand by its bare ID in {}; it needs an inference profile.",
                    types_list(m),
                    c.region
                ),
                on_demand_fix(base, f, c),
                request_id,
            ),
            Some(Read::NotFound { message, request_id }) => unknown(
                ON_DEMAND,
                format!(
                    "GetFoundationModel: {} has no model `{base}` ({message}); see the region row.",
                    c.region
                ),
                None,
                request_id,
            ),
            Some(read) => unknown_from(ON_DEMAND, "GetFoundationModel", read, c),
            None => internal(ON_DEMAND),
        },
    }
}

fn provisioned_fix(c: &Ctx) -> String {
    format!(
        "Buy provisioned throughput for the model (Amazon Bedrock console in {} -> Provisioned \
         throughput) and set {} to the provisioned model's ARN, or choose a model that supports \
         on-demand throughput.",
        c.region,
        c.setting()
    )
}

/// A row that cannot happen when the caller gathered the facts its target needs.
fn internal(requirement: &str) -> CheckRow {
    unknown(requirement, "The provider did not read this fact (a bug).".to_string(), None, &None)
}

fn region_fix(base: &str, f: &Facts, c: &Ctx) -> String {
    let setting = c.setting();
    if let Some(Read::Got { value: list, .. }) = &f.alternatives
        && let Some(p) = list.first()
    {
        let elsewhere: Vec<String> =
            p.regions().into_iter().filter(|r| r != c.region && !r.contains(' ')).collect();
        let move_region = match elsewhere.first() {
            Some(r) => format!(" Or set region to a region where the model is offered, e.g. {r}."),
            None => String::new(),
        };
        return format!(
            "Call it from {} through the inference profile `{id}`: set {setting} to \
             `amazon-bedrock|{id}` (it routes to {}).{move_region}",
            c.region,
            and_list(&p.regions()),
            id = p.id,
        );
    }
    let example = match successors::offered_in(base) {
        Some(regions) => format!(
            ", e.g. {}",
            and_list(&regions.iter().map(|r| r.to_string()).collect::<Vec<_>>())
        ),
        None => String::new(),
    };
    format!(
        "Set region to a region where the model is offered{example} (the Bedrock console's Model \
         catalog lists each model's regions), or set {setting} to a model offered in {}.",
        c.region
    )
}

/// Row 2: availability in the configured region.
pub fn region(f: &Facts, c: &Ctx) -> CheckRow {
    let region = c.region;
    match &f.target {
        Target::Other(kind) => skipped(
            REGION,
            format!(
                "The model is a {kind} ARN, which lives in the region its ARN names. The live call \
                 tests it."
            ),
        ),
        Target::Profile { id, base } => match &f.profile {
            Some(Read::Got { value: p, request_id }) => passed(
                REGION,
                format!(
                    "GetInferenceProfile: `{id}` is offered in {region} and routes to {}.",
                    and_list(&p.regions())
                ),
                request_id,
            ),
            Some(Read::NotFound { message, request_id }) => failed(
                REGION,
                format!(
                    "GetInferenceProfile: {region} has no inference profile `{id}` ({message})."
                ),
                profile_region_fix(id, base.as_deref(), f, c),
                request_id,
            ),
            Some(read) => unknown_from(REGION, "GetInferenceProfile", read, c),
            None => internal(REGION),
        },
        Target::Base(base) => match &f.availability {
            Some(Read::Got { value: a, request_id }) => match a.region.as_str() {
                "AVAILABLE" => passed(
                    REGION,
                    format!(
                        "GetFoundationModelAvailability: regionAvailability AVAILABLE: `{base}` is \
                         offered in {region}."
                    ),
                    request_id,
                ),
                "NOT_AVAILABLE" => failed(
                    REGION,
                    format!(
                        "GetFoundationModelAvailability: regionAvailability NOT_AVAILABLE: `{base}` \
                         is not offered in {region}."
                    ),
                    region_fix(base, f, c),
                    request_id,
                ),
                other => unknown(
                    REGION,
                    format!(
                        "GetFoundationModelAvailability: regionAvailability {other}, a value this \
                         provider does not know."
                    ),
                    None,
                    request_id,
                ),
            },
            Some(Read::NotFound { message, request_id }) => failed(
                REGION,
                format!(
                    "GetFoundationModelAvailability: {region} does not know the model ID `{base}` \
                     ({message})."
                ),
                format!(
                    "Check the model ID in {} against the Bedrock console's Model catalog for \
                     {region}. {}",
                    c.setting(),
                    region_fix(base, f, c)
                ),
                request_id,
            ),
            Some(read) => unknown_from(REGION, "GetFoundationModelAvailability", read, c),
            None => internal(REGION),
        },
    }
}

fn profile_region_fix(id: &str, base: Option<&str>, f: &Facts, c: &Ctx) -> String {
    let setting = c.setting();
    let geo = id.rsplit('/').next().and_then(|i| i.split_once('.')).map(|(g, _)| g);
    let keep = match geo {
        Some(g) => format!(" Or keep it and set region to a region of the `{g}` geography."),
        None => String::new(),
    };
    match (&f.alternatives, base) {
        (Some(Read::Got { value: list, .. }), _) if !list.is_empty() => format!(
            "Use `{q}`, an inference profile offered in {region} for this model: set {setting} to \
             `amazon-bedrock|{q}` (it routes to {}).{keep}",
            and_list(&list[0].regions()),
            q = list[0].id,
            region = c.region,
        ),
        (_, Some(base)) if c.geo.is_some() => format!(
            "Use the inference profile for {region}, e.g. `{}.{base}`: set {setting} to \
             `amazon-bedrock|{}.{base}` (the Bedrock console lists the profiles under Cross-region \
             inference).{keep}",
            c.geo.unwrap_or_default(),
            c.geo.unwrap_or_default(),
            region = c.region,
        ),
        _ => format!(
            "Use an inference profile offered in {} (the Bedrock console lists them under \
             Cross-region inference).{keep}",
            c.region
        ),
    }
}

fn console_steps(base: &str, f: &Facts, c: &Ctx) -> String {
    let mut steps = format!(
        "Request access in the AWS console: Amazon Bedrock in {} -> Model access -> Modify model \
         access, select `{base}`, then Request model access (Anthropic models ask for use case \
         details), and wait until its status shows \"Access granted\" (minutes to hours). Then run \
         check again.",
        c.region
    );
    if let Some(Read::Got { value: p, .. }) = &f.profile {
        let regions: Vec<String> =
            p.regions().into_iter().filter(|r| r != c.region && !r.contains(' ')).collect();
        if !regions.is_empty() {
            steps.push_str(&format!(
                " For the inference profile, grant access in its other destination regions too ({}).",
                and_list(&regions)
            ));
        }
    }
    steps
}

const MARKETPLACE_IAM: &str =
    "an IAM identity allowed aws-marketplace:Subscribe and aws-marketplace:ViewSubscriptions";

fn access_row(base: &str, a: &Availability, rid: &Option<String>, f: &Facts, c: &Ctx) -> CheckRow {
    let region = c.region;
    let summary = format!(
        "GetFoundationModelAvailability: authorizationStatus {}, entitlementAvailability {}, \
         agreementAvailability {}",
        a.authorization, a.entitlement, a.agreement
    );
    if a.authorization == "NOT_AUTHORIZED" {
        return failed(
            ACCESS,
            format!(
                "{summary}: model access to `{base}` is not granted to this account in {region}."
            ),
            console_steps(base, f, c),
            rid,
        );
    }
    if a.entitlement == "NOT_AVAILABLE" {
        return failed(
            ACCESS,
            format!("{summary}: the account is not entitled to use `{base}` in {region}."),
            console_steps(base, f, c),
            rid,
        );
    }
    match a.agreement.as_str() {
        "PENDING" => failed(
            ACCESS,
            format!(
                "{summary}: the AWS Marketplace agreement for `{base}` is still being created."
            ),
            format!(
                "Wait a few minutes (the agreement usually completes within 15 minutes) and run \
                 check again. If it stays pending, open Amazon Bedrock in {region} -> Model access \
                 -> Modify model access and request access to the model again, with \
                 {MARKETPLACE_IAM}."
            ),
            rid,
        ),
        "NOT_AVAILABLE" => failed(
            ACCESS,
            format!(
                "{summary}: there is no AWS Marketplace agreement for `{base}` in this account."
            ),
            format!(
                "{} Requesting access creates the Marketplace agreement; do it with {MARKETPLACE_IAM}.",
                console_steps(base, f, c)
            ),
            rid,
        ),
        "ERROR" => failed(
            ACCESS,
            format!(
                "{summary}: creating the AWS Marketplace agreement for `{base}` failed{}.",
                a.agreement_error.as_ref().map(|m| format!(" ({m})")).unwrap_or_default()
            ),
            format!(
                "Open Amazon Bedrock in {region} -> Model access -> Modify model access and request \
                 access again, with {MARKETPLACE_IAM}; if it fails again, contact AWS Support with \
                 the message above."
            ),
            rid,
        ),
        "AVAILABLE" if a.authorization == "AUTHORIZED" && a.entitlement == "AVAILABLE" => {
            passed(ACCESS, format!("{summary}: the account may use `{base}` in {region}."), rid)
        }
        _ => unknown(
            ACCESS,
            format!("{summary}: values this provider does not know."),
            Some(format!(
                "Check the model's status in the Amazon Bedrock console in {region} -> Model access."
            )),
            rid,
        ),
    }
}

/// Row 3: access granted (authorization, entitlement, Marketplace agreement).
pub fn access(f: &Facts, c: &Ctx) -> CheckRow {
    match (&f.target, &f.base) {
        (Target::Other(kind), _) => skipped(
            ACCESS,
            format!(
                "The model is a {kind} ARN: access is granted on that resource, not through model \
                 access. The live call tests it."
            ),
        ),
        (_, None) => unknown_base(ACCESS, f, c),
        (_, Some(base)) => match &f.availability {
            Some(Read::Got { value: a, request_id }) => access_row(base, a, request_id, f, c),
            Some(read) => unknown_from(ACCESS, "GetFoundationModelAvailability", read, c),
            None => internal(ACCESS),
        },
    }
}

/// A profile whose foundation model could not be learnt.
fn unknown_base(requirement: &str, f: &Facts, c: &Ctx) -> CheckRow {
    match &f.profile {
        Some(Read::Got { request_id, .. }) => unknown(
            requirement,
            "GetInferenceProfile: the profile names no foundation model, so its model's status \
             cannot be read."
                .to_string(),
            None,
            request_id,
        ),
        Some(read) => unknown_from(requirement, "GetInferenceProfile", read, c),
        None => internal(requirement),
    }
}

fn date(text: &str) -> &str {
    let day = text.get(..10).unwrap_or(text);
    let is_iso = day.len() == 10 && day.as_bytes().get(4) == Some(&b'-');
    if is_iso { day } else { text }
}

fn legacy_fix(base: &str, end: Option<&str>, c: &Ctx) -> String {
    let setting = c.setting();
    let before = end.map(|e| format!(" before {}", date(e))).unwrap_or_default();
    match successors::successor(base) {
        Some(s) => {
            let spec = match (s.needs_profile, c.geo) {
                (true, Some(geo)) => format!("{geo}.{}", s.id),
                _ => s.id.to_string(),
            };
            format!(
                "Move to its successor `{}`{before}: set {setting} to `amazon-bedrock|{spec}` (the \
                 newest model of the family this provider knows; confirm it in the Bedrock \
                 console's Model catalog for {}).",
                s.id, c.region
            )
        }
        None => format!(
            "Move to an active model{before}: choose one whose lifecycle is Active in the Bedrock \
             console's Model catalog for {} and set {setting} to it.",
            c.region
        ),
    }
}

/// Row 4: legacy / lifecycle.
pub fn lifecycle(f: &Facts, c: &Ctx) -> CheckRow {
    let base = match (&f.target, &f.base) {
        (Target::Other(kind), _) => {
            return skipped(
                LIFECYCLE,
                format!(
                    "The model is a {kind} ARN; the lifecycle of the foundation model behind it is \
                     not read. The live call tests it."
                ),
            );
        }
        (_, None) => return unknown_base(LIFECYCLE, f, c),
        (_, Some(base)) => base,
    };
    match &f.model {
        Some(Read::Got { value: m, request_id }) => match &m.lifecycle {
            None => unknown(
                LIFECYCLE,
                "GetFoundationModel: the answer has no modelLifecycle.".to_string(),
                None,
                request_id,
            ),
            Some(l) if l.status == "ACTIVE" => passed(
                LIFECYCLE,
                format!("GetFoundationModel: modelLifecycle ACTIVE: `{base}` is current."),
                request_id,
            ),
            Some(l) if l.status == "LEGACY" => {
                let mut dates = Vec::new();
                if let Some(t) = &l.legacy_time {
                    dates.push(format!("legacy since {}", date(t)));
                }
                if let Some(t) = &l.public_extended_access_time {
                    dates.push(format!("public extended access from {}", date(t)));
                }
                if let Some(t) = &l.end_of_life_time {
                    dates.push(format!("end of life {}", date(t)));
                }
                let when = if dates.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", dates.join("; "))
                };
                failed(
                    LIFECYCLE,
                    format!(
                        "GetFoundationModel: modelLifecycle LEGACY{when}: `{base}` is being retired \
                         and will stop working."
                    ),
                    legacy_fix(base, l.end_of_life_time.as_deref(), c),
                    request_id,
                )
            }
            Some(l) => unknown(
                LIFECYCLE,
                format!(
                    "GetFoundationModel: modelLifecycle {}, a value this provider does not know.",
                    l.status
                ),
                None,
                request_id,
            ),
        },
        Some(read) => unknown_from(LIFECYCLE, "GetFoundationModel", read, c),
        None => internal(LIFECYCLE),
    }
}

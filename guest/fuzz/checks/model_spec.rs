//! `model_id::parse_spec` and what a parsed ID derives. The input is `<spec>` or
//! `<spec>\n<region>` (a spec never contains a line break, so the split loses nothing).
//!
//! Properties:
//! - a refusal is `invalid-request` with a message and a solution and no `field` (the caller
//!   names the setting);
//! - an accepted ID is the spec without the `amazon-bedrock|` prefix, re-parses to itself, and
//!   its path label holds only RFC 3986 unreserved characters and `%XX` escapes (upper-case
//!   hex) that decode back to the ID;
//! - `inference_profile_for` never panics, for any region, and what it and `global_profile`
//!   return is a valid inference-profile ID for the same base model (when within the length
//!   limit).

use bedrock_provider::error::ErrorKind;
use bedrock_provider::model_id::{GEO_PREFIXES, MAX_LEN, ModelId, ModelKind, PROVIDER, parse_spec};

use super::Outcomes;

/// Regions every accepted ID is also tried with: one per geography prefix, and none.
const REGIONS: [&str; 9] = [
    "us-east-1",
    "eu-west-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "us-gov-west-1",
    "sa-east-1",
    "cn-north-1",
];

/// Runs the model-spec properties on `data`.
pub fn check(data: &[u8]) -> Outcomes {
    let text = String::from_utf8_lossy(data);
    let (spec, region) = text.split_once('\n').unwrap_or((&text, ""));
    let mut out = Outcomes::default();
    let result = parse_spec(spec);
    out.record(&result);
    match result {
        Ok(id) => accepted(spec, &id, region),
        Err(e) => {
            assert_eq!(e.kind, ErrorKind::InvalidRequest, "{spec:?}: {e:?}");
            assert_eq!(e.field, None, "{spec:?}: {e:?}");
            assert!(!e.message.is_empty() && e.solution.is_some(), "{spec:?}: {e:?}");
        }
    }
    out
}

fn accepted(spec: &str, id: &ModelId, region: &str) {
    let bare = spec.strip_prefix(&format!("{PROVIDER}|")).unwrap_or(spec);
    assert_eq!(id.as_str(), bare);
    assert_eq!(id.to_string(), bare);
    assert!(id.as_str().len() <= MAX_LEN);
    assert_eq!(parse_spec(id.as_str()).as_ref(), Ok(id), "{spec:?} does not re-parse");
    assert_eq!(parse_spec(&format!("{PROVIDER}|{id}")).as_ref(), Ok(id));

    let label = id.path_label();
    assert_eq!(percent_decode(&label).as_deref(), Some(id.as_str()), "label {label:?}");

    if let Some(base) = id.base_model_id() {
        assert!(id.as_str().contains(base), "{id:?}: base {base:?}");
    }
    let _ = id.provider();
    if let ModelKind::Base = id.kind() {
        assert_eq!(id.base_model_id(), Some(id.as_str()));
    }
    for region in REGIONS.iter().copied().chain([region]) {
        if let Some(profile) = id.inference_profile_for(region) {
            assert_eq!(id.kind(), &ModelKind::Base, "{id:?} in {region:?}");
            is_profile_of(&profile, id);
        }
    }
    if let Some(profile) = id.global_profile() {
        assert!(profile.starts_with("global."), "{profile}");
        is_profile_of(&profile, id);
    }
}

/// `profile` is `<geo>.<base model ID of id>` and, within the length limit, parses as such.
fn is_profile_of(profile: &str, id: &ModelId) {
    let base = id.base_model_id().unwrap_or_default();
    let geo = profile.strip_suffix(base).and_then(|p| p.strip_suffix('.'));
    assert!(geo.is_some_and(|g| GEO_PREFIXES.contains(&g)), "{profile:?} for {id:?}");
    if profile.len() <= MAX_LEN {
        let parsed = parse_spec(profile);
        let parsed = parsed.as_ref().map(|p| (p.kind().clone(), p.base_model_id()));
        assert!(
            matches!(parsed, Ok((ModelKind::InferenceProfile { .. }, Some(b))) if b == base),
            "{profile:?} for {id:?}: {parsed:?}"
        );
    }
}

/// Decodes a path label, refusing anything but unreserved characters and upper-case `%XX`.
fn percent_decode(label: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(label.len());
    let mut rest = label.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                bytes.push(b);
                rest = tail;
            }
            b'%' => {
                let hex = tail.get(..2)?;
                if !hex.iter().all(|h| h.is_ascii_digit() || (b'A'..=b'F').contains(h)) {
                    return None;
                }
                bytes.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                rest = &tail[2..];
            }
            _ => return None,
        }
    }
    String::from_utf8(bytes).ok()
}

//! The provider manifest (`wit/MANIFEST.md`): what the host knows about a component without
//! running it — the origins it may reach, as templates over validated settings values, which
//! settings are secret, and which setting names each kind of default model.
//!
//! A manifest is parsed and checked once, when the component is loaded ([`Manifest::parse`]);
//! the per-call work is then only matching a few short setting values
//! ([`crate::policy::Policy::for_call`]).

use std::collections::BTreeMap;
use std::fmt;

use regex_lite::Regex;
use serde::Deserialize;

/// The name of the top-level custom section that carries a component's manifest.
pub const SECTION: &str = "ai-gateway:manifest";

/// The manifest format versions this host understands.
pub const SUPPORTED_VERSION: u32 = 1;

/// The longest setting value a template may use, when the manifest does not say.
const DEFAULT_MAX_LENGTH: usize = 64;

/// A parsed and checked manifest. Cheap to clone.
#[derive(Clone)]
pub struct Manifest {
    raw: Raw,
    values: BTreeMap<String, Value>,
    json: String,
}

/// The manifest as written (see `wit/MANIFEST.md` for each field's meaning).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Raw {
    manifest_version: u32,
    provider: String,
    contract: String,
    #[serde(default)]
    settings: SettingsFacts,
    #[serde(default)]
    outbound: RawOutbound,
}

/// What a host may need to know about the settings: which are secret, which hold models.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SettingsFacts {
    /// Settings (dotted paths) whose values are never shown, not even in part.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Settings shown only masked (first four characters).
    #[serde(default)]
    pub masked: Vec<String>,
    /// The setting that holds the default model of each kind (`language`, `reranking`, ...).
    #[serde(default)]
    pub models: BTreeMap<String, String>,
    /// The prefix of the provider's model strings, e.g. `amazon-bedrock|`.
    #[serde(default)]
    pub model_prefix: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawOutbound {
    #[serde(default)]
    values: BTreeMap<String, RawValue>,
    #[serde(default)]
    origins: Vec<String>,
    #[serde(default)]
    origin_settings: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawValue {
    one_of: Option<Vec<String>>,
    setting: Option<String>,
    pattern: Option<String>,
    cases: Option<Vec<RawCase>>,
    max_length: Option<usize>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    pattern: String,
    value: String,
}

/// A template value, compiled.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    /// Each of these strings.
    OneOf(Vec<String>),
    /// The setting's string value when it matches `pattern` in full.
    Setting { setting: String, pattern: Regex, max_length: usize },
    /// The value of the first case whose pattern matches the setting in full.
    Cases { setting: String, cases: Vec<(Regex, String)>, max_length: usize },
}

/// Why a manifest was refused. The message names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError(pub String);

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid provider manifest: {}", self.0)
    }
}

impl std::error::Error for ManifestError {}

impl fmt::Debug for Manifest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Manifest")
            .field("provider", &self.raw.provider)
            .field("contract", &self.raw.contract)
            .field("origins", &self.raw.outbound.origins)
            .field("origin_settings", &self.raw.outbound.origin_settings)
            .finish_non_exhaustive()
    }
}

impl Manifest {
    /// Parses and checks a manifest: a known version, every template placeholder defined,
    /// every pattern valid, each value of exactly one kind.
    pub fn parse(json: &str) -> Result<Manifest, ManifestError> {
        let raw: Raw = serde_json::from_str(json).map_err(|e| ManifestError(e.to_string()))?;
        if raw.manifest_version != SUPPORTED_VERSION {
            return Err(ManifestError(format!(
                "`manifestVersion` is {}, and this host reads version {SUPPORTED_VERSION}",
                raw.manifest_version
            )));
        }
        let mut values = BTreeMap::new();
        for (name, value) in &raw.outbound.values {
            values.insert(name.clone(), compile_value(name, value)?);
        }
        for template in &raw.outbound.origins {
            for name in placeholders(template)
                .map_err(|why| ManifestError(format!("origin template `{template}`: {why}")))?
            {
                if !values.contains_key(name) {
                    return Err(ManifestError(format!(
                        "origin template `{template}` uses `{{{name}}}`, which `outbound.values` \
                         does not define"
                    )));
                }
            }
        }
        Ok(Manifest { raw, values, json: json.to_string() })
    }

    /// Reads the manifest a component carries in its [`SECTION`] custom section, if any.
    pub fn from_component(component: &[u8]) -> Result<Option<Manifest>, ManifestError> {
        let Some(bytes) = find_section(component, SECTION)? else {
            return Ok(None);
        };
        let json = std::str::from_utf8(bytes)
            .map_err(|_| ManifestError(format!("the `{SECTION}` section is not UTF-8")))?;
        Manifest::parse(json).map(Some)
    }

    /// The provider's name (the part before `|` in model strings).
    pub fn provider(&self) -> &str {
        &self.raw.provider
    }

    /// The WIT package the manifest says the component implements.
    pub fn contract(&self) -> &str {
        &self.raw.contract
    }

    /// What the manifest says about the settings.
    pub fn settings(&self) -> &SettingsFacts {
        &self.raw.settings
    }

    /// The manifest as the component shipped it, for review.
    pub fn json(&self) -> &str {
        &self.json
    }

    pub(crate) fn origin_templates(&self) -> &[String] {
        &self.raw.outbound.origins
    }

    pub(crate) fn origin_settings(&self) -> &[String] {
        &self.raw.outbound.origin_settings
    }

    pub(crate) fn value(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }
}

fn compile_value(name: &str, value: &RawValue) -> Result<Value, ManifestError> {
    let field = format!("outbound.values.{name}");
    let max_length = value.max_length.unwrap_or(DEFAULT_MAX_LENGTH);
    match (&value.one_of, &value.setting, &value.pattern, &value.cases) {
        (Some(list), None, None, None) => Ok(Value::OneOf(list.clone())),
        (None, Some(setting), Some(pattern), None) => Ok(Value::Setting {
            setting: setting.clone(),
            pattern: anchored(pattern, &field)?,
            max_length,
        }),
        (None, Some(setting), None, Some(cases)) => Ok(Value::Cases {
            setting: setting.clone(),
            cases: cases
                .iter()
                .map(|c| Ok((anchored(&c.pattern, &field)?, c.value.clone())))
                .collect::<Result<_, ManifestError>>()?,
            max_length,
        }),
        _ => Err(ManifestError(format!(
            "`{field}` must have either `oneOf`, or `setting` with `pattern`, or `setting` with \
             `cases`"
        ))),
    }
}

/// Compiles `pattern` to match whole values only.
fn anchored(pattern: &str, field: &str) -> Result<Regex, ManifestError> {
    Regex::new(&format!("^(?:{pattern})$"))
        .map_err(|e| ManifestError(format!("`{field}`: pattern `{pattern}` is invalid: {e}")))
}

/// The placeholder names of a template, in order: `{name}` with a non-empty name of letters,
/// digits, `-` and `_`. Unbalanced braces are an error.
pub(crate) fn placeholders(template: &str) -> Result<Vec<&str>, &'static str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return Err("a `}` without its `{`");
        }
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or("a `{` without its `}`")?;
        let name = &after[..close];
        if name.is_empty()
            || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err("a placeholder name must be letters, digits, `-` or `_`");
        }
        names.push(name);
        rest = &after[close + 1..];
    }
    Ok(names)
}

/// The payload of the top-level custom section `name` (not one of a nested module).
///
/// Read by hand: the top level of a component is a preamble and then sections of `id`, a
/// LEB128 size and the contents (nested modules live inside section contents), so skipping
/// from section to section is a dozen lines, checked by the tests below.
fn find_section<'a>(component: &'a [u8], name: &str) -> Result<Option<&'a [u8]>, ManifestError> {
    let malformed = || ManifestError("the component is malformed".to_string());
    if component.get(..4) != Some(b"\0asm".as_slice()) {
        return Err(ManifestError("this is not a WebAssembly binary".to_string()));
    }
    let mut rest = component.get(8..).ok_or_else(malformed)?;
    while let Some((&id, after_id)) = rest.split_first() {
        let (size, after_size) = read_leb128(after_id).ok_or_else(malformed)?;
        let contents = after_size.get(..size).ok_or_else(malformed)?;
        rest = &after_size[size..];
        if id == 0 {
            let (len, after_len) = read_leb128(contents).ok_or_else(malformed)?;
            if after_len.get(..len) == Some(name.as_bytes()) {
                return Ok(Some(&after_len[len..]));
            }
        }
    }
    Ok(None)
}

/// An unsigned LEB128 `u32` (the size encoding of sections and names) and what follows it.
fn read_leb128(bytes: &[u8]) -> Option<(usize, &[u8])> {
    let mut value = 0usize;
    for (i, &byte) in bytes.iter().enumerate().take(5) {
        value |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, &bytes[i + 1..]));
        }
    }
    None
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A manifest for an imaginary provider, as tests across this crate use it.
    pub(crate) const EXAMPLE: &str = r#"{
        "manifestVersion": 1,
        "provider": "example",
        "contract": "ai-gateway:provider@0.3.0",
        "settings": {"secrets": ["token"], "masked": ["account"],
                     "models": {"language": "model"}, "modelPrefix": "example|"},
        "outbound": {
            "values": {
                "api": {"oneOf": ["api", "api-fips"]},
                "zone": {"setting": "zone", "pattern": "[a-z]{2}-[0-9]", "maxLength": 8},
                "tld": {"setting": "zone", "cases": [
                    {"pattern": "cn-[0-9]", "value": "example.cn"},
                    {"pattern": "[a-z]{2}-[0-9]", "value": "example.net"}
                ]}
            },
            "origins": ["https://{api}.{zone}.{tld}"],
            "originSettings": ["endpoint"]
        }
    }"#;

    #[test]
    fn example_parses() {
        let m = Manifest::parse(EXAMPLE).unwrap();
        assert_eq!(m.provider(), "example");
        assert_eq!(m.settings().secrets, ["token"]);
        assert_eq!(m.settings().models["language"], "model");
        assert_eq!(m.origin_settings(), ["endpoint"]);
    }

    #[test]
    fn bad_manifests_name_the_problem() {
        let rows = [
            (r#"{"manifestVersion": 2, "provider": "x", "contract": "c"}"#, "version 1"),
            (r#"{"manifestVersion": 1, "provider": "x"}"#, "contract"),
            (r#"{"manifestVersion": 1, "provider": "x", "contract": "c", "extra": 1}"#, "extra"),
            (
                r#"{"manifestVersion": 1, "provider": "x", "contract": "c",
                    "outbound": {"origins": ["https://{nope}.example.com"]}}"#,
                "does not define",
            ),
            (
                r#"{"manifestVersion": 1, "provider": "x", "contract": "c",
                    "outbound": {"values": {"a": {"setting": "a", "pattern": "("}}}}"#,
                "outbound.values.a",
            ),
            (
                r#"{"manifestVersion": 1, "provider": "x", "contract": "c",
                    "outbound": {"values": {"a": {"setting": "a"}}}}"#,
                "either `oneOf`",
            ),
            (
                r#"{"manifestVersion": 1, "provider": "x", "contract": "c",
                    "outbound": {"origins": ["https://{a"]}}"#,
                "without its `}`",
            ),
        ];
        for (json, want) in rows {
            let e = Manifest::parse(json).unwrap_err().to_string();
            assert!(e.contains(want), "{json}: {e}");
        }
    }

    #[test]
    fn placeholders_in_order() {
        assert_eq!(placeholders("https://{a}.{b-c}.x").unwrap(), ["a", "b-c"]);
        assert_eq!(placeholders("https://x").unwrap(), Vec::<&str>::new());
        assert!(placeholders("https://{}.x").is_err());
        assert!(placeholders("https://}{").is_err());
        assert!(placeholders("https://{a.b}").is_err());
    }

    /// The smallest component (preamble only), with `sections` appended.
    fn component_with(sections: &[(&str, &[u8])]) -> Vec<u8> {
        let mut bytes = vec![0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
        for (name, data) in sections {
            let mut contents = vec![u8::try_from(name.len()).unwrap()];
            contents.extend_from_slice(name.as_bytes());
            contents.extend_from_slice(data);
            bytes.push(0);
            // Sizes below 128 are one LEB128 byte.
            bytes.push(u8::try_from(contents.len()).unwrap());
            bytes.extend_from_slice(&contents);
        }
        bytes
    }

    #[test]
    fn read_from_a_custom_section() {
        let minimal = r#"{"manifestVersion":1,"provider":"p","contract":"c"}"#;
        let bytes = component_with(&[("other", b"x"), (SECTION, minimal.as_bytes())]);
        let m = Manifest::from_component(&bytes).unwrap().unwrap();
        assert_eq!(m.provider(), "p");
        assert_eq!(m.json(), minimal);
        assert!(Manifest::from_component(&component_with(&[])).unwrap().is_none());
        let bad = component_with(&[(SECTION, b"{")]);
        assert!(Manifest::from_component(&bad).is_err());
        assert!(Manifest::from_component(b"not wasm").is_err());
    }
}

//! The provider manifest (`guest/manifest.json`, format in `wit/MANIFEST.md`), rendered from the
//! facts the code runs on, so the file cannot drift from them: the partition table and service
//! names (`region.rs`), the settings that hold secrets and base URLs (`settings`), and the
//! model-string prefix (`model_id`).
//!
//! Native only: the component never reads its own manifest (`build-support` appends the
//! checked-in file to it), so none of this is compiled into the wasm. A test compares the file
//! with [`render`]; `UPDATE_MANIFEST=1 cargo test -p bedrock-provider manifest` rewrites it.

use crate::model_id::PROVIDER;
use crate::region::{MAX_REGION_LEN, Partition, REGION_PATTERN, SERVICES};
use crate::settings::{MASKED_KEYS, SECRET_KEYS, URL_KEYS};

/// The manifest format version (`manifestVersion`).
pub const MANIFEST_VERSION: u64 = 1;

/// The WIT package the component implements (`contract`). Informational for hosts, which check
/// the component's real exports.
pub const CONTRACT: &str = "ai-gateway:provider@0.3.0";

/// The setting that holds the default model of each kind (`settings.models`). `embeddingModel`
/// is announced for the embedding operation; the settings do not read it yet.
pub const MODEL_SETTINGS: [(&str, &str); 3] = [
    ("language", "languageModel"),
    ("reranking", "rerankingModel"),
    ("embedding", "embeddingModel"),
];

/// The origins of the Bedrock endpoints (`outbound.origins`): `Partition::host` with either DNS
/// suffix.
pub const ORIGINS: [&str; 2] =
    ["https://{service}.{region}.{dnsSuffix}", "https://{service}.{region}.{dualStackSuffix}"];

/// The manifest JSON: keys in the order MANIFEST.md lists them, pretty-printed with 2-space
/// indents, ending with a newline.
pub fn render() -> String {
    let by_region = |suffix: fn(Partition) -> &'static str| {
        let cases = Partition::ALL.map(|p| {
            Json::obj([("pattern", Json::str(p.region_pattern())), ("value", Json::str(suffix(p)))])
        });
        Json::obj([
            ("setting", Json::str("region")),
            ("maxLength", Json::num(MAX_REGION_LEN)),
            ("cases", Json::Arr(cases.into())),
        ])
    };
    let services = SERVICES.iter().flat_map(|s| [s.to_string(), format!("{s}-fips")]);
    let doc = Json::obj([
        ("manifestVersion", Json::Num(MANIFEST_VERSION)),
        ("provider", Json::str(PROVIDER)),
        ("contract", Json::str(CONTRACT)),
        (
            "settings",
            Json::obj([
                ("secrets", Json::strs(SECRET_KEYS)),
                ("masked", Json::strs(MASKED_KEYS)),
                ("models", Json::obj(MODEL_SETTINGS.map(|(kind, key)| (kind, Json::str(key))))),
                ("modelPrefix", Json::Str(format!("{PROVIDER}|"))),
            ]),
        ),
        (
            "outbound",
            Json::obj([
                (
                    "values",
                    Json::obj([
                        (
                            "service",
                            Json::obj([("oneOf", Json::Arr(services.map(Json::Str).collect()))]),
                        ),
                        (
                            "region",
                            Json::obj([
                                ("setting", Json::str("region")),
                                ("pattern", Json::str(REGION_PATTERN)),
                                ("maxLength", Json::num(MAX_REGION_LEN)),
                            ]),
                        ),
                        ("dnsSuffix", by_region(Partition::dns_suffix)),
                        ("dualStackSuffix", by_region(Partition::dual_stack_suffix)),
                    ]),
                ),
                ("origins", Json::strs(ORIGINS)),
                ("originSettings", Json::strs(URL_KEYS)),
            ]),
        ),
    ]);
    let mut out = String::new();
    doc.write(&mut out, 0);
    out.push('\n');
    out
}

/// Just enough JSON to write the manifest with its keys in a chosen order (`serde_json`'s map
/// sorts them).
enum Json {
    Str(String),
    Num(u64),
    Arr(Vec<Json>),
    Obj(Vec<(&'static str, Json)>),
}

impl Json {
    fn str(s: &str) -> Self {
        Self::Str(s.to_string())
    }

    fn num(n: usize) -> Self {
        Self::Num(n as u64)
    }

    fn strs<const N: usize>(items: [&str; N]) -> Self {
        Self::Arr(items.iter().map(|s| Self::str(s)).collect())
    }

    fn obj<const N: usize>(fields: [(&'static str, Json); N]) -> Self {
        Self::Obj(fields.into())
    }

    /// Writes the value at nesting depth `depth`, like `serde_json::to_string_pretty`.
    fn write(&self, out: &mut String, depth: usize) {
        let indent = |out: &mut String, depth: usize| out.push_str(&"  ".repeat(depth));
        match self {
            Self::Str(s) => out.push_str(&serde_json::Value::String(s.clone()).to_string()),
            Self::Num(n) => out.push_str(&n.to_string()),
            Self::Arr(items) if items.is_empty() => out.push_str("[]"),
            Self::Obj(fields) if fields.is_empty() => out.push_str("{}"),
            Self::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    out.push_str(if i == 0 { "\n" } else { ",\n" });
                    indent(out, depth + 1);
                    item.write(out, depth + 1);
                }
                out.push('\n');
                indent(out, depth);
                out.push(']');
            }
            Self::Obj(fields) => {
                out.push('{');
                for (i, (key, value)) in fields.iter().enumerate() {
                    out.push_str(if i == 0 { "\n" } else { ",\n" });
                    indent(out, depth + 1);
                    Self::str(key).write(out, depth + 1);
                    out.push_str(": ");
                    value.write(out, depth + 1);
                }
                out.push('\n');
                indent(out, depth);
                out.push('}');
            }
        }
    }
}

#[cfg(test)]
#[path = "manifest_tests.rs"]
mod tests;

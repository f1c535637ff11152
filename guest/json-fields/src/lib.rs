//! Typed readers over `serde_json` objects whose errors name the failing path.
//!
//! Settings pages and HTTP APIs both want the same thing from a bad document: the exact field at
//! fault (`timeouts.connectMs`, `messages[2].content[1].image_url.url`), what was expected, and
//! for a typo'd key the key that was probably meant. Deriving `Deserialize` gives none of that,
//! so callers read field by field through [`Fields`] and turn a [`FieldError`] into their own
//! error type (its `path` becomes a `field` or `param`, its [`Display`](fmt::Display) a message).
//!
//! The crate has no dependency but `serde_json` and no I/O, so it builds for `wasm32-wasip2`
//! components as well as for native hosts.
//!
//! ```
//! use json_fields::{Fields, Problem};
//!
//! let body: serde_json::Value = serde_json::json!({"timeouts": {"connectMs": "5"}});
//! let timeouts = Fields::of(&body, "").unwrap().req_object("timeouts").unwrap();
//! let e = timeouts.opt_u64("connectMs").unwrap_err();
//! assert_eq!(e.path, "timeouts.connectMs");
//! assert!(matches!(e.problem, Problem::WrongType { found: "a string", .. }));
//! assert_eq!(e.to_string(), "`timeouts.connectMs` must be a whole number, but it is a string.");
//! ```

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Value};

/// A field that could not be read, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// Where: `key`, `parent.key` or `list[3].key`; empty for the document itself.
    pub path: String,
    /// What is wrong with it.
    pub problem: Problem,
}

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// A required field is absent (or holds a value that counts as absent).
    Missing,
    /// The value has another JSON type than the one expected.
    WrongType {
        /// What was expected, as a noun phrase (`a string`, `true or false`).
        expected: Cow<'static, str>,
        /// The JSON type found, as [`type_name`] spells it.
        found: &'static str,
    },
    /// A number the target type cannot hold: negative, fractional or too large.
    OutOfRange {
        /// What was expected, as a noun phrase (`a whole number from 0 to 4294967295`).
        expected: Cow<'static, str>,
        /// The number as written in the document.
        found: String,
    },
    /// A key that is not one of the known keys.
    UnknownKey {
        /// The full path of the known key it most likely stands for.
        suggestion: Option<String>,
        /// The full paths of every known key, in the order they were given.
        known: Vec<String>,
    },
}

impl FieldError {
    /// A field error at `path`.
    pub fn new(path: impl Into<String>, problem: Problem) -> Self {
        Self { path: path.into(), problem }
    }

    /// `value` at `path` is not what was `expected`.
    pub fn wrong_type(
        path: impl Into<String>,
        value: &Value,
        expected: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::new(path, Problem::WrongType { expected: expected.into(), found: type_name(value) })
    }

    /// Rewords what was expected, for callers whose users know the field by a richer
    /// description (`an object of header name → value` rather than `an object`).
    pub fn expecting(mut self, wording: impl Into<Cow<'static, str>>) -> Self {
        match &mut self.problem {
            Problem::WrongType { expected, .. } | Problem::OutOfRange { expected, .. } => {
                *expected = wording.into();
            }
            Problem::Missing | Problem::UnknownKey { .. } => {}
        }
        self
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = &self.path;
        match &self.problem {
            Problem::Missing => write!(f, "`{path}` is required."),
            Problem::WrongType { expected, found } => {
                write!(f, "`{path}` must be {expected}, but it is {found}.")
            }
            Problem::OutOfRange { expected, found } => {
                write!(f, "`{path}` is {found}; it must be {expected}.")
            }
            Problem::UnknownKey { suggestion: Some(s), .. } => {
                write!(f, "Unknown key `{path}`. Did you mean `{s}`?")
            }
            Problem::UnknownKey { suggestion: None, .. } => write!(f, "Unknown key `{path}`."),
        }
    }
}

impl std::error::Error for FieldError {}

/// The result of a read.
pub type Result<T, E = FieldError> = std::result::Result<T, E>;

/// A JSON object being read, with the path that leads to it.
///
/// `null` and a missing key are always absent; [`Fields::empty_string_is_absent`] makes `""`
/// absent too (settings pages store an untouched text box as an empty string).
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: String,
    empty_is_absent: bool,
}

impl<'a> Fields<'a> {
    /// Reads `map`, the document itself (paths start at its keys).
    pub fn new(map: &'a Map<String, Value>) -> Self {
        Self::at(map, "")
    }

    /// Reads `map`, found at `path` (its keys are reported as `path.key`).
    pub fn at(map: &'a Map<String, Value>, path: impl Into<String>) -> Self {
        Self { map, path: path.into(), empty_is_absent: false }
    }

    /// Reads `value` found at `path`, which must be an object.
    pub fn of(value: &'a Value, path: impl Into<String>) -> Result<Self> {
        let path = path.into();
        match value {
            Value::Object(map) => Ok(Self::at(map, path)),
            other => Err(FieldError::wrong_type(path, other, "an object")),
        }
    }

    /// Treats `""` like `null` here and in every object read from here.
    pub fn empty_string_is_absent(mut self) -> Self {
        self.empty_is_absent = true;
        self
    }

    /// The object itself.
    pub fn map(&self) -> &'a Map<String, Value> {
        self.map
    }

    /// The path of the object itself.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The path of `key` in this object.
    pub fn path_of(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// The value of `key`, or `None` when it is absent.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() && self.empty_is_absent => None,
            Some(v) => Some(v),
        }
    }

    /// The value of `key`, which must be present.
    pub fn req(&self, key: &str) -> Result<&'a Value> {
        self.get(key).ok_or_else(|| FieldError::new(self.path_of(key), Problem::Missing))
    }

    /// An optional string.
    pub fn opt_str(&self, key: &str) -> Result<Option<&'a str>> {
        self.read(key, |v, path| as_str(v, path))
    }

    /// A required string.
    pub fn req_str(&self, key: &str) -> Result<&'a str> {
        as_str(self.req(key)?, &self.path_of(key))
    }

    /// An optional boolean.
    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>> {
        self.read(key, |v, path| match v {
            Value::Bool(b) => Ok(*b),
            other => Err(FieldError::wrong_type(path, other, "true or false")),
        })
    }

    /// An optional whole number from 0 to `u64::MAX`.
    pub fn opt_u64(&self, key: &str) -> Result<Option<u64>> {
        self.read(key, |v, path| {
            whole(v, path, "a whole number", |n| n.as_u64(), "a non-negative whole number")
        })
    }

    /// An optional whole number from 0 to `u32::MAX`.
    pub fn opt_u32(&self, key: &str) -> Result<Option<u32>> {
        self.read(key, |v, path| {
            whole(
                v,
                path,
                "a whole number",
                |n| n.as_u64().and_then(|n| u32::try_from(n).ok()),
                "a whole number from 0 to 4294967295",
            )
        })
    }

    /// An optional number.
    pub fn opt_f64(&self, key: &str) -> Result<Option<f64>> {
        self.read(key, |v, path| match v {
            Value::Number(n) => n.as_f64().ok_or_else(|| out_of_range(path, n, "a number")),
            other => Err(FieldError::wrong_type(path, other, "a number")),
        })
    }

    /// An optional number that fits an `f32` (rounded to the nearest `f32`).
    pub fn opt_f32(&self, key: &str) -> Result<Option<f32>> {
        self.read(key, |v, path| match v {
            Value::Number(n) => n
                .as_f64()
                .filter(|x| x.abs() <= f64::from(f32::MAX))
                .map(|x| x as f32)
                .ok_or_else(|| out_of_range(path, n, "a number within the range of an f32")),
            other => Err(FieldError::wrong_type(path, other, "a number")),
        })
    }

    /// An optional object, read with the same rules as this one.
    pub fn opt_object(&self, key: &str) -> Result<Option<Fields<'a>>> {
        let empty_is_absent = self.empty_is_absent;
        self.read(key, |v, path| Fields::of(v, path).map(|f| Fields { empty_is_absent, ..f }))
    }

    /// A required object, read with the same rules as this one.
    pub fn req_object(&self, key: &str) -> Result<Fields<'a>> {
        let fields = Fields::of(self.req(key)?, self.path_of(key))?;
        Ok(Fields { empty_is_absent: self.empty_is_absent, ..fields })
    }

    /// An optional array.
    pub fn opt_array(&self, key: &str) -> Result<Option<&'a [Value]>> {
        self.read(key, |v, path| as_array(v, path))
    }

    /// A required array.
    pub fn req_array(&self, key: &str) -> Result<&'a [Value]> {
        as_array(self.req(key)?, &self.path_of(key))
    }

    /// Refuses the first key (in the map's order) that is not in `known`, suggesting the known
    /// key it most likely stands for (see [`closest`]).
    pub fn check_keys(&self, known: &[&str]) -> Result<()> {
        let Some(unknown) = self.map.keys().find(|k| !known.contains(&k.as_str())) else {
            return Ok(());
        };
        Err(FieldError::new(
            self.path_of(unknown),
            Problem::UnknownKey {
                suggestion: closest(unknown, known).map(|k| self.path_of(k)),
                known: known.iter().map(|k| self.path_of(k)).collect(),
            },
        ))
    }

    /// Reads `key` with `convert` (given the value and its path) when it is present.
    fn read<T>(
        &self,
        key: &str,
        convert: impl FnOnce(&'a Value, &str) -> Result<T>,
    ) -> Result<Option<T>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => convert(v, &self.path_of(key)).map(Some),
        }
    }
}

/// `value` at `path` as a string.
pub fn as_str<'a>(value: &'a Value, path: &str) -> Result<&'a str> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(FieldError::wrong_type(path, other, "a string")),
    }
}

/// `value` at `path` as an object.
pub fn as_object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(FieldError::wrong_type(path, other, "an object")),
    }
}

/// `value` at `path` as an array.
pub fn as_array<'a>(value: &'a Value, path: &str) -> Result<&'a [Value]> {
    match value {
        Value::Array(items) => Ok(items),
        other => Err(FieldError::wrong_type(path, other, "an array")),
    }
}

/// The JSON type of `value` with its article, for messages: `a string`, `an array`, `null`.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The path of `key` inside the object at `path`: `path.key`, or `key` at the top.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

/// The path of element `i` of the array at `path`: `path[i]`.
pub fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// The known key `unknown` most likely stands for: the same letters ignoring case and
/// punctuation (`access_key_id` → `accessKeyId`), one containing the other (5 letters or more),
/// or a small edit distance. Ties go to the earlier key.
pub fn closest<'k>(unknown: &str, known: &[&'k str]) -> Option<&'k str> {
    let norm = |s: &str| -> String {
        s.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
    };
    let u = norm(unknown);
    if u.is_empty() {
        return None;
    }
    let mut best: Option<(usize, &str)> = None;
    for k in known {
        let kn = norm(k);
        let d = edit_distance(&u, &kn);
        let likely = d == 0
            || d <= (kn.len() / 4).max(2)
            || (u.len() >= 5 && (kn.contains(&u) || u.contains(&kn)));
        if likely && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, k));
        }
    }
    best.map(|(_, k)| k)
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A whole number `fit` accepts; a number it does not is out of range, anything else the wrong
/// type.
fn whole<T>(
    value: &Value,
    path: &str,
    expected_type: &'static str,
    fit: impl Fn(&serde_json::Number) -> Option<T>,
    expected_range: &'static str,
) -> Result<T> {
    match value {
        Value::Number(n) => fit(n).ok_or_else(|| out_of_range(path, n, expected_range)),
        other => Err(FieldError::wrong_type(path, other, expected_type)),
    }
}

fn out_of_range(path: &str, n: &serde_json::Number, expected: &'static str) -> FieldError {
    FieldError::new(path, Problem::OutOfRange { expected: expected.into(), found: n.to_string() })
}

#[cfg(test)]
mod tests;

//! The `headers` setting: extra headers for every request, added after signing.

use json_fields::Fields;

use super::json::invalid;
use crate::error::{ProviderError, Result};

/// Header names a custom header may not set (compared lower-case), besides every `x-amz-*`.
pub const RESERVED_HEADERS: [&str; 12] = [
    "authorization",
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "upgrade",
    "te",
    "trailer",
    "expect",
];

/// Header names the host's HTTP stack refuses from a component (compared lower-case):
/// wasmtime-wasi-http's default forbidden list (hop-by-hop and connection-level headers) plus
/// `te` and `trailer`. A request carrying one would fail at send time on every call, so they are
/// refused here, where the error can name the setting.
pub const FORBIDDEN_HEADERS: [&str; 11] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "http2-settings",
];

/// `headers`: names lower-cased, values trimmed of surrounding spaces and tabs.
pub(super) fn parse_headers(obj: &Fields<'_>) -> Result<Vec<(String, String)>> {
    let headers = obj
        .opt_object("headers")
        .map_err(|e| invalid(e.expecting("an object of header name → value")))?;
    let Some(headers) = headers else { return Ok(Vec::new()) };
    let mut out: Vec<(String, String)> = Vec::with_capacity(headers.map().len());
    for (name, value) in headers.map() {
        let field = headers.path_of(name);
        let value = json_fields::as_str(value, &field).map_err(invalid)?;
        if name.is_empty() {
            return Err(ProviderError::settings(
                "headers",
                "`headers` has an entry with an empty name.",
                "Give the header a name (e.g. `X-Custom-Header`) or remove the empty row.",
            ));
        }
        if let Some(c) = name.chars().find(|c| !is_tchar(*c)) {
            return Err(ProviderError::settings(
                &field,
                format!(
                    "The header name `{name}` contains {c:?}, which is not allowed in an HTTP \
                     header name."
                ),
                "Header names are letters, digits and ! # $ % & ' * + - . ^ _ ` | ~ (no spaces \
                 or colons).",
            ));
        }
        let lower = name.to_ascii_lowercase();
        if RESERVED_HEADERS.contains(&lower.as_str()) || lower.starts_with("x-amz-") {
            return Err(ProviderError::settings(
                &field,
                format!("The header `{name}` cannot be set as a custom header."),
                "The provider sets this header itself (it signs `Authorization`, `Host`, \
                 `Content-Type` and the `X-Amz-*` headers, and the transport manages the framing \
                 and connection headers); a custom value would break the signature or the request. \
                 Remove it, or use another header name for your gateway.",
            )
            .with_cause("Reserved header."));
        }
        if FORBIDDEN_HEADERS.contains(&lower.as_str()) {
            return Err(ProviderError::settings(
                &field,
                format!(
                    "The header `{name}` cannot be set as a custom header: the gateway host \
                     refuses hop-by-hop and connection-level headers from the provider."
                ),
                format!(
                    "Remove `{name}`. Headers that only apply to one connection (such as \
                     `Proxy-Authorization` for an HTTP proxy) never reach your gateway; send the \
                     credential in an end-to-end header your gateway reads instead, e.g. \
                     `X-Gateway-Key`."
                ),
            )
            .with_cause("Forbidden header."));
        }
        if value.contains(['\r', '\n']) {
            return Err(ProviderError::settings(
                &field,
                format!("The value of header `{name}` contains a line break."),
                "Header values must be on one line; remove the line break (it is usually a \
                 copy-paste leftover).",
            ));
        }
        if value.chars().any(|c| !(c.is_ascii_graphic() || c == ' ' || c == '\t')) {
            return Err(ProviderError::settings(
                &field,
                format!("The value of header `{name}` contains a control or non-ASCII character."),
                "Use visible ASCII characters, spaces and tabs only.",
            ));
        }
        if let Some((first, _)) = out.iter().find(|(n, _)| *n == lower) {
            return Err(ProviderError::settings(
                &field,
                format!(
                    "The header `{name}` is set twice (header names are case-insensitive; also \
                     `{first}`)."
                ),
                "Keep one entry per header name.",
            ));
        }
        out.push((lower, value.trim_matches([' ', '\t']).to_string()));
    }
    Ok(out)
}

/// RFC 7230 `tchar`.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}
#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::{Map, json};

    use super::*;
    use crate::settings::Settings;
    use crate::settings::test_support::*;

    /// One row per rule: the settings, the field, and words the message must contain.
    #[test]
    fn each_rule_names_its_field() {
        check_rules(vec![
            // Headers.
            (
                with(base(), json!({"headers": {"X Foo": "1"}})),
                Some("headers.X Foo"),
                &["' '", "header name"],
            ),
            (with(base(), json!({"headers": {"X-Foo:": "1"}})), Some("headers.X-Foo:"), &["':'"]),
            (with(base(), json!({"headers": {"": "1"}})), Some("headers"), &["empty name"]),
            (
                with(base(), json!({"headers": {"X-Foo": "a\r\nX-Evil: 1"}})),
                Some("headers.X-Foo"),
                &["line break"],
            ),
            (
                with(base(), json!({"headers": {"X-Foo": "caf\u{e9}"}})),
                Some("headers.X-Foo"),
                &["non-ASCII"],
            ),
            (
                with(base(), json!({"headers": {"X-Foo": "1", "x-foo": "2"}})),
                Some("headers.x-foo"),
                &["twice"],
            ),
        ]);
    }

    #[test]
    fn reserved_headers_are_refused_with_the_reason() {
        let mut names: Vec<String> = RESERVED_HEADERS.iter().map(|s| s.to_string()).collect();
        names.extend(
            ["Authorization", "HOST", "X-Amz-Date", "x-amz-security-token", "X-AMZ-Foo"]
                .map(String::from),
        );
        for name in names {
            let mut headers = Map::new();
            headers.insert(name.clone(), json!("v"));
            let v = with(base(), json!({ "headers": headers }));
            let e = Settings::parse(&v.to_string()).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(format!("headers.{name}").as_str()));
            assert!(e.message.contains("cannot be set"), "{name}");
            assert!(e.solution.as_deref().unwrap().contains("signature"), "{name}");
        }
        // Similar but unreserved names pass.
        let s = ok(&with(
            base(),
            json!({"headers": {"X-Amzn-Custom": "1", "X-Proxy-Authorization": " Basic x "}}),
        ));
        assert_eq!(
            s.headers,
            vec![
                ("x-amzn-custom".to_string(), "1".to_string()),
                ("x-proxy-authorization".to_string(), "Basic x".to_string()),
            ]
        );
    }

    #[test]
    fn headers_the_host_refuses_are_refused_by_name() {
        let mut names: Vec<String> = FORBIDDEN_HEADERS.iter().map(|s| s.to_string()).collect();
        names.extend(["Proxy-Authorization", "HTTP2-Settings", "Keep-Alive"].map(String::from));
        for name in names {
            let mut headers = Map::new();
            headers.insert(name.clone(), json!("v"));
            let v = with(base(), json!({ "headers": headers }));
            let e = Settings::parse(&v.to_string()).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(format!("headers.{name}").as_str()));
            assert!(e.message.contains(&format!("`{name}` cannot be set")), "{}", e.message);
        }
        let e = Settings::parse(
            &with(base(), json!({"headers": {"Proxy-Authorization": "Basic c2VjcmV0"}}))
                .to_string(),
        )
        .unwrap_err();
        assert!(e.message.contains("hop-by-hop"), "{}", e.message);
        assert!(e.solution.as_deref().unwrap().contains("Remove `Proxy-Authorization`"));
        assert!(!format!("{e:?}").contains("c2VjcmV0"));
    }
}

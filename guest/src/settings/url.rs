//! Base URLs (`baseUrl`, `agentRuntimeBaseUrl`) and the [`Endpoint`] they become.
//!
//! Parsed by hand (no `url` crate): the accepted shape is small (`scheme://host[:port][/path]`),
//! and the checks we need (loopback-only http, no userinfo, no query, no dot segments) are easier
//! to state exactly than to re-derive from a general URL parser's normalised output.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::{ProviderError, Result};
use crate::transport::Scheme;

/// The settings that hold base URLs, in the order they are read (the manifest's
/// `outbound.originSettings`: a host lets the component reach their origins).
pub const URL_KEYS: [&str; 3] = ["baseUrl", "agentRuntimeBaseUrl", "controlPlaneBaseUrl"];

/// Where requests go: scheme, `host[:port]` (lower-case, default port removed) and a path
/// prefix (empty, or starting with `/` and without a trailing `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https`, or `http` for loopback hosts only.
    pub scheme: Scheme,
    /// `host` or `host:port`, exactly as signed and sent.
    pub authority: String,
    /// Prepended to every operation path, e.g. `/bedrock`.
    pub path_prefix: String,
}

/// A configured base URL: the same shape as an [`Endpoint`].
pub type BaseUrl = Endpoint;

impl Endpoint {
    /// An https endpoint for `host` with no path prefix.
    pub fn https(host: impl Into<String>) -> Self {
        Self { scheme: Scheme::Https, authority: host.into(), path_prefix: String::new() }
    }

    /// Parses and normalises a base URL; errors name `field`.
    pub fn parse(field: &str, url: &str) -> Result<Endpoint> {
        parse_base_url(field, url)
    }

    /// The host without the port (IPv6 literals keep their brackets).
    pub fn host(&self) -> &str {
        if self.authority.starts_with('[') {
            match self.authority.find(']') {
                Some(end) => &self.authority[..=end],
                None => &self.authority,
            }
        } else {
            self.authority.split(':').next().unwrap_or(&self.authority)
        }
    }

    /// Whether the host is a loopback address (`localhost`, `127.0.0.0/8`, `[::1]`).
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(self.host())
    }

    /// The wire path of an operation: the path prefix followed by `path` (which starts with `/`).
    pub fn path(&self, path: &str) -> String {
        format!("{}{path}", self.path_prefix)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", scheme_name(self.scheme), self.authority, self.path_prefix)
    }
}

pub(super) fn parse_base_url(field: &str, url: &str) -> Result<Endpoint> {
    let example = "https://ai-gateway.example.com/bedrock";
    let err = |message: String, solution: String| ProviderError::settings(field, message, solution);
    if url.trim() != url {
        return Err(err(
            format!("`{field}` starts or ends with whitespace."),
            "Remove the surrounding spaces or line breaks; this is usually a copy-paste error."
                .into(),
        ));
    }
    // User information is refused before anything else is read, and nothing of the URL is
    // echoed: a password may hold `/`, `?`, `#` or `:`, which end the host early, so a parser
    // that looked for `@` only inside the authority would show the start of the password as a
    // "port" or a path character.
    if url.contains('@') {
        return Err(err(
            format!("`{field}` contains user information (`user:password@`) or another `@`."),
            "Remove the `user:password@` part; to authenticate with a gateway, put its credential \
             in `headers` instead. An `@` that belongs to the path must be written `%40`."
                .into(),
        ));
    }
    let Some((scheme, rest)) = url.split_once("://").filter(|(s, _)| is_scheme(s)) else {
        return Err(err(
            format!("`{field}` is not an absolute URL (it has no `scheme://`)."),
            format!("Write the full URL, e.g. `{example}`."),
        ));
    };
    // Schemes are case-insensitive (RFC 3986 §3.1); the endpoint keeps the lower-case form,
    // which is what the host compares.
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "https" => Scheme::Https,
        "http" => Scheme::Http,
        other => {
            return Err(err(
                format!("`{field}` uses the scheme `{other}`; only `https` is supported."),
                format!("Use an https URL, e.g. `{example}`."),
            ));
        }
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    // The query is not echoed either: it can carry credentials.
    if tail.contains('?') {
        return Err(err(
            format!("`{field}` has a query string (`?…`)."),
            "Remove the query string: operation paths are appended to the base URL. To pass a \
             gateway key, use `headers`."
                .into(),
        ));
    }
    if tail.contains('#') {
        return Err(err(
            format!("`{field}` has a fragment (`#…`)."),
            "Remove the `#…` part.".into(),
        ));
    }

    let (host, port) = split_host_port(authority).map_err(|why| {
        err(
            format!("`{field}` has an invalid host: {why}."),
            format!("Use a URL such as `{example}`."),
        )
    })?;
    let host = host.to_ascii_lowercase();
    let default_port = match scheme {
        Scheme::Https => 443,
        Scheme::Http => 80,
    };
    let authority = match port {
        Some(p) if p != default_port => format!("{host}:{p}"),
        _ => host.clone(),
    };
    if scheme == Scheme::Http && !is_loopback_host(&host) {
        return Err(err(
            format!(
                "`{field}` uses plain http to `{host}`; http is only allowed to this machine \
                 (loopback)."
            ),
            format!(
                "Use `https://{authority}…`. Plain http is accepted only for `localhost`, \
                 127.0.0.0/8 and [::1], e.g. a local test gateway at `http://127.0.0.1:4000`."
            ),
        ));
    }

    if let Some(c) = tail.chars().find(|c| !is_path_char(*c)) {
        return Err(err(
            format!(
                "The path of `{field}` contains {c:?}, which must be percent-encoded in a URL."
            ),
            "Percent-encode the character (e.g. a space as `%20`).".into(),
        ));
    }
    if !valid_percent_escapes(tail) {
        return Err(err(
            format!("The path of `{field}` has a `%` that is not followed by two hex digits."),
            "Write `%25` for a literal `%`.".into(),
        ));
    }
    let path = tail.trim_end_matches('/');
    if path.split('/').skip(1).any(|seg| seg.is_empty() || seg == "." || seg == "..") {
        return Err(err(
            format!("The path of `{field}` has an empty, `.` or `..` segment."),
            "Write the path without `//`, `/./` or `/../`: request signing normalises those away, \
             so the signature would not match the path sent."
                .into(),
        ));
    }
    Ok(Endpoint { scheme, authority, path_prefix: path.to_string() })
}

/// Splits `host[:port]` / `[v6][:port]`, validating both; the port is `None` when absent or empty.
fn split_host_port(authority: &str) -> std::result::Result<(&str, Option<u16>), String> {
    if authority.is_empty() {
        return Err("the URL has no host".into());
    }
    let (host, port) = if authority.starts_with('[') {
        let close = authority.find(']').ok_or("an IPv6 address is missing its closing `]`")?;
        let (host, after) = authority.split_at(close + 1);
        if host[1..close].parse::<Ipv6Addr>().is_err() {
            return Err(format!("`{host}` is not an IPv6 address"));
        }
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or("unexpected text after `]`")?),
        };
        (host, port)
    } else {
        if authority.matches(':').count() > 1 {
            return Err("IPv6 addresses need brackets, e.g. `[::1]`".into());
        }
        let (host, port) = match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        if host.is_empty() {
            return Err("the URL has no host".into());
        }
        if let Some(c) =
            host.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
        {
            return Err(format!("the host contains {c:?} (IPv6 addresses need brackets: `[::1]`)"));
        }
        if host.split('.').any(str::is_empty) {
            return Err(format!("`{host}` has an empty label"));
        }
        (host, port)
    };
    let port = match port {
        None | Some("") => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => return Err(format!("the port `{p}` is not a number between 1 and 65535")),
        },
    };
    Ok((host, port))
}

/// `localhost`, `127.0.0.0/8` or `[::1]` (brackets included for IPv6).
pub(super) fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.parse::<Ipv6Addr>().is_ok_and(|a| a.is_loopback());
    }
    host.parse::<Ipv4Addr>().is_ok_and(|a| a.is_loopback())
}

/// RFC 3986 `scheme`: a letter, then letters, digits, `+`, `-` and `.`. Anything else before
/// `://` is not a scheme (and is not echoed).
fn is_scheme(s: &str) -> bool {
    s.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
}

/// RFC 3986 `pchar` plus `/` (percent escapes are checked separately).
fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/%".contains(c)
}

fn valid_percent_escapes(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().filter(|(_, c)| **c == b'%').all(|(i, _)| {
        b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
    })
}

fn scheme_name(s: Scheme) -> &'static str {
    match s {
        Scheme::Http => "http",
        Scheme::Https => "https",
    }
}
#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;
    use crate::settings::test_support::*;
    use crate::transport::Scheme;

    /// One row per rule: the settings, the field, and words the message must contain.
    #[test]
    fn each_rule_names_its_field() {
        check_rules(vec![
            // Base URLs.
            (
                with(base(), json!({"baseUrl": "gw.example.com"})),
                Some("baseUrl"),
                &["absolute URL"],
            ),
            (with(base(), json!({"baseUrl": "ftp://gw.example.com"})), Some("baseUrl"), &["`ftp`"]),
            (
                with(base(), json!({"baseUrl": "http://gw.example.com"})),
                Some("baseUrl"),
                &["plain http", "loopback"],
            ),
            (
                with(base(), json!({"baseUrl": "http://10.0.0.1:4000"})),
                Some("baseUrl"),
                &["plain http"],
            ),
            (
                with(base(), json!({"agentRuntimeBaseUrl": "http://[::2]:4000"})),
                Some("agentRuntimeBaseUrl"),
                &["plain http"],
            ),
            (
                with(base(), json!({"baseUrl": "https://user:pw@gw.example.com"})),
                Some("baseUrl"),
                &["user information"],
            ),
            (
                with(base(), json!({"baseUrl": "https://gw.example.com/b?key=1"})),
                Some("baseUrl"),
                &["query string"],
            ),
            (
                with(base(), json!({"baseUrl": "https://gw.example.com/b#x"})),
                Some("baseUrl"),
                &["fragment"],
            ),
            (with(base(), json!({"baseUrl": "https://"})), Some("baseUrl"), &["no host"]),
            (with(base(), json!({"baseUrl": "https://:443/x"})), Some("baseUrl"), &["no host"]),
            (
                with(base(), json!({"baseUrl": "https://gw.example.com:99999"})),
                Some("baseUrl"),
                &["port"],
            ),
            (
                with(base(), json!({"baseUrl": "https://gw.example.com:4a"})),
                Some("baseUrl"),
                &["port"],
            ),
            (
                with(base(), json!({"baseUrl": "https://gw_x.example.com"})),
                Some("baseUrl"),
                &["'_'"],
            ),
            (with(base(), json!({"baseUrl": "https://::1/"})), Some("baseUrl"), &["brackets"]),
            (with(base(), json!({"baseUrl": "https://[::1/"})), Some("baseUrl"), &["`]`"]),
            (with(base(), json!({"baseUrl": "https://[zz::1]/"})), Some("baseUrl"), &["IPv6"]),
            (
                with(base(), json!({"baseUrl": "https://gw..example.com"})),
                Some("baseUrl"),
                &["empty label"],
            ),
            (
                with(base(), json!({"baseUrl": "https://gw.example.com/a b"})),
                Some("baseUrl"),
                &["' '"],
            ),
            (
                with(base(), json!({"baseUrl": "https://gw.example.com/a%2"})),
                Some("baseUrl"),
                &["two hex digits"],
            ),
            (
                with(base(), json!({"baseUrl": "https://gw.example.com/a//b"})),
                Some("baseUrl"),
                &["empty, `.` or `..`"],
            ),
            (
                with(base(), json!({"baseUrl": "https://gw.example.com/a/../b"})),
                Some("baseUrl"),
                &["empty, `.` or `..`"],
            ),
            (
                with(base(), json!({"baseUrl": " https://gw.example.com"})),
                Some("baseUrl"),
                &["whitespace"],
            ),
        ]);
    }

    #[test]
    fn base_urls_are_normalised() {
        let table = [
            ("https://GW.Example.COM:443/Bedrock/", Scheme::Https, "gw.example.com", "/Bedrock"),
            ("HTTPS://gw.example.com:8443", Scheme::Https, "gw.example.com:8443", ""),
            ("https://gw.example.com/", Scheme::Https, "gw.example.com", ""),
            ("https://gw.example.com//", Scheme::Https, "gw.example.com", ""),
            ("https://gw.example.com:/a", Scheme::Https, "gw.example.com", "/a"),
            ("http://localhost:80/x/y", Scheme::Http, "localhost", "/x/y"),
            ("http://LOCALHOST:4000", Scheme::Http, "localhost:4000", ""),
            ("http://127.1.2.3:4000", Scheme::Http, "127.1.2.3:4000", ""),
            ("http://[::1]:4000/p%20q", Scheme::Http, "[::1]:4000", "/p%20q"),
            ("https://[2001:DB8::1]", Scheme::Https, "[2001:db8::1]", ""),
            ("https://10.0.0.1:9000/a:b%40c", Scheme::Https, "10.0.0.1:9000", "/a:b%40c"),
            ("HTTP://127.0.0.1:4000", Scheme::Http, "127.0.0.1:4000", ""),
            ("HtTpS://gw.example.com", Scheme::Https, "gw.example.com", ""),
        ];
        for (url, scheme, authority, prefix) in table {
            let ep = Endpoint::parse("baseUrl", url).unwrap();
            assert_eq!(
                ep,
                Endpoint { scheme, authority: authority.into(), path_prefix: prefix.into() },
                "{url}"
            );
        }
        let ep = Endpoint::parse("baseUrl", "https://[2001:db8::1]:8443").unwrap();
        assert_eq!(ep.host(), "[2001:db8::1]");
        assert!(!ep.is_loopback());
        // The scheme goes out (and is shown) in lower case, whatever the setting's case.
        let ep = Endpoint::parse("baseUrl", "HTTP://127.0.0.1:4000/Gw").unwrap();
        assert_eq!(ep.to_string(), "http://127.0.0.1:4000/Gw");
    }

    /// A password may contain the characters that end an authority; whatever it holds, the
    /// URL is refused as user information and no character of the password is shown.
    #[test]
    fn user_information_is_refused_without_showing_the_password() {
        let passwords = [
            "QX7/KZ9",
            "QX7?KZ9",
            "QX7#KZ9",
            "QX7@KZ9",
            "QX7:KZ9",
            "QX7/KZ9?JV3#WY5@",
            "QX7:99/KZ9",
            "7799/KZ9",
            "QX7%2FKZ9",
        ];
        for password in passwords {
            for (field, url) in [
                ("baseUrl", format!("https://user:{password}@gw.example.com/bedrock")),
                ("baseUrl", format!("http://user:{password}@127.0.0.1:4000")),
                ("agentRuntimeBaseUrl", format!("https://user:{password}@gw.example.com")),
                ("baseUrl", format!("HTTPS://{password}@gw.example.com")),
                ("baseUrl", format!("https://gw.example.com:{password}@x")),
            ] {
                let e = Endpoint::parse(field, &url).unwrap_err();
                assert_eq!(e.field.as_deref(), Some(field), "{url}");
                assert!(e.message.contains("user information"), "{url}: {}", e.message);
                let shown = [Some(&e.message), e.cause.as_ref(), e.solution.as_ref()];
                for text in shown.into_iter().flatten() {
                    let leaked = password
                        .split(|c: char| !c.is_ascii_alphanumeric())
                        .flat_map(|run| run.as_bytes().windows(2))
                        .find(|pair| text.as_bytes().windows(2).any(|w| w == *pair));
                    assert_eq!(leaked, None, "{url}: {text}");
                }
            }
        }
        // The same text with the `@` percent-encoded is a path, not user information.
        let ep = Endpoint::parse("baseUrl", "https://gw.example.com/QX7%40KZ9").unwrap();
        assert_eq!(ep.path_prefix, "/QX7%40KZ9");
    }

    #[test]
    fn text_before_an_invalid_scheme_is_not_shown() {
        for url in ["gw.example.com/QX7://x", "QX7 KZ9://gw.example.com", "://gw.example.com"] {
            let e = Endpoint::parse("baseUrl", url).unwrap_err();
            assert!(e.message.contains("not an absolute URL"), "{url}: {}", e.message);
            assert!(!format!("{e:?}").contains("QX7"), "{url}: {e:?}");
        }
    }
}

//! The outbound policy: which requests a call's component may send.
//!
//! The component's manifest ([`crate::manifest`], `wit/MANIFEST.md`) declares the origins it
//! needs as templates over settings values; [`Policy::for_call`] evaluates them against one
//! call's settings, and [`decide`] checks each request against the result. Both are pure
//! functions, tested with tables and no network. The operator's [`Rules`] apply on top: base-URL
//! settings can be switched off, extra origins added, and plain HTTP only ever reaches loopback.
//! A tenant's value can only select among what the manifest allows: it must match its pattern
//! in full, and the expanded origin must parse as exactly one host.

use std::net::{IpAddr, Ipv6Addr};

use serde_json::Value;

use crate::manifest::{self, Manifest};

/// The origins one call may reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    origins: Vec<Origin>,
    /// Why a template or URL setting allows nothing, for the deny reason in the log.
    notes: Vec<String>,
}

/// `scheme://host:port`, normalised: lower-case host, explicit port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    https: bool,
    host: String,
    port: u16,
}

/// What the operator allows beyond (or instead of) the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Whether the manifest's `originSettings` (a tenant's base URLs) may open their origins.
    /// An operator who runs untrusted tenants turns this off so that requests (and the
    /// credentials they are signed with) only go to the provider's own endpoints. Default: on.
    pub allow_base_urls: bool,
    /// Origins allowed for every call, e.g. `https://proxy.internal:8443`; the same parse as a
    /// base URL (so plain HTTP only to loopback).
    pub extra_origins: Vec<String>,
}

impl Default for Rules {
    fn default() -> Self {
        Self { allow_base_urls: true, extra_origins: Vec::new() }
    }
}

/// The verdict for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Send it.
    Allow,
    /// Refuse it; the reason is for the host's log.
    Deny(String),
}

impl Policy {
    /// A policy that denies everything (used for calls without settings).
    pub fn deny_all() -> Self {
        Self::default()
    }

    /// The origins `manifest` allows for a call made with `settings` (the provider's settings
    /// JSON), under the operator's `rules`.
    ///
    /// Settings the component would reject anyway (a malformed value) simply add nothing: the
    /// call then fails in the component with `invalid-settings`.
    pub fn for_call(manifest: &Manifest, settings: &Value, rules: &Rules) -> Self {
        let mut policy = Self::default();
        for template in manifest.origin_templates() {
            policy.expand(manifest, settings, template);
        }
        for key in manifest.origin_settings() {
            let Some(url) = setting(settings, key).and_then(Value::as_str) else {
                continue;
            };
            if !rules.allow_base_urls {
                policy.notes.push(format!(
                    "`{key}` is ignored: the operator does not allow base URLs on this host"
                ));
                continue;
            }
            match parse_origin(url) {
                Ok(origin) => policy.origins.push(origin),
                Err(why) => policy.notes.push(format!("`{key}` allows nothing: {why}")),
            }
        }
        for url in &rules.extra_origins {
            match parse_origin(url) {
                Ok(origin) => policy.origins.push(origin),
                Err(why) => {
                    policy.notes.push(format!("operator origin `{url}` is unusable: {why}"))
                }
            }
        }
        policy
    }

    /// Adds every origin `template` expands to.
    fn expand(&mut self, manifest: &Manifest, settings: &Value, template: &str) {
        let Ok(names) = manifest::placeholders(template) else {
            return; // Checked when the manifest was parsed.
        };
        let mut expansions = vec![template.to_string()];
        for name in names {
            let choices = match manifest.value(name) {
                Some(value) => resolve(value, settings),
                None => Vec::new(),
            };
            if choices.is_empty() {
                self.notes.push(format!("`{template}` allows nothing: no valid `{{{name}}}`"));
                return;
            }
            let placeholder = format!("{{{name}}}");
            let placeholder = placeholder.as_str();
            expansions = expansions
                .iter()
                .flat_map(|partial| {
                    choices.iter().map(move |choice| partial.replacen(placeholder, choice, 1))
                })
                .collect();
        }
        for expanded in expansions {
            match parse_template_origin(&expanded) {
                Some(origin) => self.origins.push(origin),
                None => self.notes.push(format!("`{template}` gave `{expanded}`, not an origin")),
            }
        }
    }
}

/// The strings a template value yields for these settings (none when a setting is absent,
/// not a string, too long, or does not match).
fn resolve(value: &manifest::Value, settings: &Value) -> Vec<String> {
    let text = |key: &str, max_length: usize| {
        setting(settings, key).and_then(Value::as_str).filter(|s| s.len() <= max_length)
    };
    match value {
        manifest::Value::OneOf(list) => list.clone(),
        manifest::Value::Setting { setting, pattern, max_length } => text(setting, *max_length)
            .filter(|s| pattern.is_match(s))
            .map(|s| vec![s.to_string()])
            .unwrap_or_default(),
        manifest::Value::Cases { setting, cases, max_length } => text(setting, *max_length)
            .and_then(|s| cases.iter().find(|(pattern, _)| pattern.is_match(s)))
            .map(|(_, value)| vec![value.clone()])
            .unwrap_or_default(),
    }
}

/// The value at a dotted settings path (`timeouts.totalMs`).
fn setting<'a>(settings: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(settings, |value, key| value.get(key))
}

/// Decides whether a request to `scheme://authority` may be sent.
///
/// `scheme` is `http` or `https`; `authority` is what the component put in the request
/// (`host` or `host:port`, no user info).
pub fn decide(policy: &Policy, scheme: &str, authority: &str) -> Decision {
    let https = match scheme {
        "https" => true,
        "http" => false,
        other => return Decision::Deny(format!("scheme `{other}` is not allowed")),
    };
    let Some((host, port)) = split_authority(authority) else {
        return Decision::Deny(format!("malformed authority `{authority}`"));
    };
    let port = port.unwrap_or(if https { 443 } else { 80 });
    if policy.origins.contains(&Origin { https, host, port }) {
        return Decision::Allow;
    }
    let mut reason = format!(
        "{scheme}://{authority} is not an origin the provider's manifest allows for these \
         settings"
    );
    for note in &policy.notes {
        reason += &format!("; {note}");
    }
    Decision::Deny(reason)
}

/// An expanded template as an origin: `scheme://host[:port]` and nothing else, with the same
/// host rules as a base URL.
fn parse_template_origin(text: &str) -> Option<Origin> {
    let (_, rest) = text.split_once("://")?;
    if rest.contains(['/', '?', '#', '@']) {
        return None;
    }
    parse_origin(text).ok()
}

/// Parses a URL into its origin, if it is one the host is willing to reach: an absolute
/// `https` URL (or `http` to loopback; the scheme in any case) without user info, whose host is
/// a DNS name or a loopback address.
fn parse_origin(url: &str) -> Result<Origin, &'static str> {
    let (scheme, rest) = url.split_once("://").ok_or("it is not an absolute http(s) URL")?;
    let https = match scheme.to_ascii_lowercase().as_str() {
        "https" => true,
        "http" => false,
        _ => return Err("it is not an absolute http(s) URL"),
    };
    // The authority ends at the first `/`, `?` or `#`; user info anywhere before the path is
    // refused outright, so no part of a password is ever read as a host or port.
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let before_query = rest.find(['?', '#']).unwrap_or(rest.len());
    if rest[..before_query].contains('@') {
        return Err("it has user info");
    }
    let (host, port) = split_authority(&rest[..end]).ok_or("its host is malformed")?;
    let loopback = is_loopback(&host);
    if !https && !loopback {
        return Err("plain http is only allowed to loopback");
    }
    if is_ip_literal(&host) && !loopback {
        return Err("IP addresses other than loopback are not allowed");
    }
    Ok(Origin { https, host, port: port.unwrap_or(if https { 443 } else { 80 }) })
}

/// Splits `host[:port]` into a lower-case host and an optional port. Rejects user info, empty
/// or trailing-dot hosts, characters outside DNS names, and malformed IPv6 literals or ports.
fn split_authority(authority: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (inner, after) = rest.split_once(']')?;
        inner.parse::<Ipv6Addr>().ok()?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (format!("[{inner}]"), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u16>().ok().filter(|p| *p != 0)?)
        }
        Some(_) => return None,
    };
    let host = host.to_ascii_lowercase();
    if !host.starts_with('[') {
        let labels_ok = host
            .split('.')
            .all(|l| !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-'));
        let chars_ok = host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        if host.is_empty() || host.len() > 253 || !labels_ok || !chars_ok {
            return None;
        }
    }
    Some((host, port))
}

fn is_ip_literal(host: &str) -> bool {
    host.starts_with('[') || host.parse::<IpAddr>().is_ok()
}

/// `localhost`, 127.0.0.0/8 or `[::1]`.
fn is_loopback(host: &str) -> bool {
    if host == "localhost" {
        return true;
    }
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::manifest::tests::EXAMPLE;
    use serde_json::json;

    fn example() -> Manifest {
        Manifest::parse(EXAMPLE).unwrap()
    }

    fn allowed_with(rules: &Rules, settings: &Value, scheme: &str, authority: &str) -> bool {
        decide(&Policy::for_call(&example(), settings, rules), scheme, authority) == Decision::Allow
    }

    fn allowed(settings: &Value, scheme: &str, authority: &str) -> bool {
        allowed_with(&Rules::default(), settings, scheme, authority)
    }

    #[test]
    fn templates_expand_over_every_value() {
        let eu = json!({"zone": "eu-1"});
        let rows: &[(&Value, &str, &str, bool)] = &[
            (&eu, "https", "api.eu-1.example.net", true),
            (&eu, "https", "api-fips.eu-1.example.net", true),
            (&eu, "https", "api.eu-1.example.net:443", true),
            (&eu, "https", "API.EU-1.example.net", true),
            (&eu, "https", "api.eu-1.example.net:0443", true),
            // Wrong scheme, port, value, suffix.
            (&eu, "http", "api.eu-1.example.net", false),
            (&eu, "https", "api.eu-1.example.net:8443", false),
            (&eu, "https", "api.us-1.example.net", false),
            (&eu, "https", "web.eu-1.example.net", false),
            (&eu, "https", "api.eu-1.example.cn", false),
            (&eu, "ftp", "api.eu-1.example.net", false),
            // Tricks.
            (&eu, "https", "api.eu-1.example.net@evil.com", false),
            (&eu, "https", "evil.com@api.eu-1.example.net", false),
            (&eu, "https", "api.eu-1.example.net.", false),
            (&eu, "https", "api.eu-1.example.net.evil.com", false),
            (&eu, "https", "evil.com/api.eu-1.example.net", false),
            (&eu, "https", "api.eu-1.example.net:", false),
            (&eu, "https", "api.eu-1.example.net:+443", false),
            (&eu, "https", "api.eu-1.example.net:65979", false),
            (&eu, "https", "api.eu-1.example.net%00", false),
            (&eu, "https", "api.eu-1.example.net ", false),
            (&eu, "https", "", false),
            (&eu, "https", "127.0.0.1", false),
        ];
        for (settings, scheme, authority, want) in rows {
            assert_eq!(allowed(settings, scheme, authority), *want, "{scheme}://{authority}");
        }
    }

    #[test]
    fn cases_pick_the_first_match() {
        assert!(allowed(&json!({"zone": "cn-1"}), "https", "api.cn-1.example.cn"));
        assert!(!allowed(&json!({"zone": "cn-1"}), "https", "api.cn-1.example.net"));
    }

    #[test]
    fn a_value_that_fails_its_pattern_allows_nothing() {
        let rows = [
            json!({}),
            json!({"zone": 5}),
            json!({"zone": null}),
            json!({"zone": "EU-1"}),
            json!({"zone": "eu-1.evil.com#"}),
            json!({"zone": "x.evil.com#"}),
            json!({"zone": "eu-1/"}),
            json!({"zone": "eu-1@evil.com"}),
            json!({"zone": "eu-1\n"}),
            json!({"zone": "e".repeat(10_000)}),
        ];
        for settings in rows {
            let policy = Policy::for_call(&example(), &settings, &Rules::default());
            assert!(policy.origins.is_empty(), "{settings}: {policy:?}");
            for authority in ["api.eu-1.example.net", "evil.com", "x.evil.com"] {
                assert!(!allowed(&settings, "https", authority), "{settings} {authority}");
            }
        }
    }

    #[test]
    fn a_tenant_value_cannot_widen_a_template() {
        // A lax pattern: the expanded origin must still be exactly one host.
        let lax = Manifest::parse(
            r#"{"manifestVersion": 1, "provider": "p", "contract": "c",
                "outbound": {"values": {"v": {"setting": "v", "pattern": ".*"}},
                             "origins": ["https://api.{v}.example.net"]}}"#,
        )
        .unwrap();
        for value in ["x.evil.com#", "x/evil", "x@evil.com", "x:1@evil.com", "x evil", "X"] {
            let settings = json!({ "v": value });
            let policy = Policy::for_call(&lax, &settings, &Rules::default());
            for authority in ["evil.com", "x.evil.com", "api.x.evil.com", "evil"] {
                assert_ne!(
                    decide(&policy, "https", authority),
                    Decision::Allow,
                    "{value} -> {authority}: {policy:?}"
                );
            }
        }
        let ok = Policy::for_call(&lax, &json!({"v": "fine"}), &Rules::default());
        assert_eq!(decide(&ok, "https", "api.fine.example.net"), Decision::Allow);
    }

    #[test]
    fn origin_settings() {
        let rows: &[(&str, &str, &str, bool)] = &[
            ("https://gw.example.com", "https", "gw.example.com", true),
            ("https://gw.example.com/x/", "https", "gw.example.com:443", true),
            ("https://GW.example.com", "https", "gw.example.com", true),
            ("HTTPS://gw.example.com", "https", "gw.example.com", true),
            ("https://gw.example.com", "http", "gw.example.com", false),
            ("https://gw.example.com", "https", "gw.example.com:8443", false),
            ("https://gw.example.com", "https", "sub.gw.example.com", false),
            ("https://gw.example.com:8443/x", "https", "gw.example.com:8443", true),
            ("https://gw.example.com?x=1", "https", "gw.example.com", true),
            // Plain HTTP only to loopback, and then only the exact port.
            ("http://gw.example.com", "http", "gw.example.com", false),
            ("http://127.0.0.1:8080", "http", "127.0.0.1:8080", true),
            ("HTTP://127.0.0.1:8080", "http", "127.0.0.1:8080", true),
            ("http://127.0.0.1:8080", "http", "127.0.0.1:8081", false),
            ("http://127.0.0.1:8080", "https", "127.0.0.1:8080", false),
            ("http://localhost:3000", "http", "localhost:3000", true),
            ("http://localhost", "http", "localhost:80", true),
            ("http://[::1]:8080/", "http", "[::1]:8080", true),
            ("http://[::1]:8080/", "http", "[::2]:8080", false),
            ("https://127.0.0.1:8443", "https", "127.0.0.1:8443", true),
            // IP literals other than loopback, user info, junk.
            ("https://10.0.0.1", "https", "10.0.0.1", false),
            ("https://[2001:db8::1]", "https", "[2001:db8::1]", false),
            ("https://user:pw@gw.example.com", "https", "gw.example.com", false),
            ("https://user:Pa55/word@gw.example.com", "https", "gw.example.com", false),
            ("https://user:Pa55/word@gw.example.com", "https", "user", false),
            ("https://gw.example.com@evil.com", "https", "evil.com", false),
            ("https://gw.example.com.", "https", "gw.example.com", false),
            ("gw.example.com", "https", "gw.example.com", false),
            ("ftp://gw.example.com", "https", "gw.example.com", false),
            ("https://", "https", "", false),
            ("https://gw.example.com:99999", "https", "gw.example.com:99999", false),
        ];
        for (url, scheme, authority, want) in rows {
            let settings = json!({ "endpoint": url });
            assert_eq!(allowed(&settings, scheme, authority), *want, "{url}: {authority}");
        }
    }

    #[test]
    fn deny_reasons_explain_and_never_echo_user_info() {
        let rows = [
            ("https://10.0.0.1", "IP addresses other than loopback"),
            ("http://gw.example.com", "plain http is only allowed to loopback"),
            ("https://u@gw.example.com", "user info"),
            ("https://user:Pa55/word@gw.example.com", "user info"),
            ("gw.example.com", "not an absolute http(s) URL"),
        ];
        for (url, why) in rows {
            let policy =
                Policy::for_call(&example(), &json!({ "endpoint": url }), &Rules::default());
            let Decision::Deny(reason) = decide(&policy, "https", "10.0.0.1") else {
                panic!("{url} allowed");
            };
            assert!(
                reason.contains("`endpoint` allows nothing") && reason.contains(why),
                "{reason}"
            );
            assert!(!reason.contains("Pa55") && !reason.contains("word"), "{reason}");
        }
    }

    #[test]
    fn operator_rules() {
        let off = Rules { allow_base_urls: false, extra_origins: vec![] };
        let extra = Rules {
            allow_base_urls: true,
            extra_origins: vec!["https://proxy.internal:8443".into(), "http://10.0.0.1".into()],
        };
        let settings = json!({"zone": "eu-1", "endpoint": "http://127.0.0.1:4000"});
        let rows: &[(&Rules, &str, &str, bool)] = &[
            (&Rules::default(), "http", "127.0.0.1:4000", true),
            (&off, "http", "127.0.0.1:4000", false),
            // The templates stay reachable either way.
            (&off, "https", "api.eu-1.example.net", true),
            (&extra, "https", "proxy.internal:8443", true),
            (&extra, "http", "10.0.0.1", false),
            (&Rules::default(), "https", "proxy.internal:8443", false),
        ];
        for (rules, scheme, authority, want) in rows {
            assert_eq!(
                allowed_with(rules, &settings, scheme, authority),
                *want,
                "{rules:?} {scheme}://{authority}"
            );
        }
        let Decision::Deny(reason) =
            decide(&Policy::for_call(&example(), &settings, &off), "http", "127.0.0.1:4000")
        else {
            panic!("allowed");
        };
        assert!(reason.contains("`endpoint` is ignored: the operator does not allow"), "{reason}");
    }

    #[test]
    fn deny_all_denies_and_says_why() {
        let Decision::Deny(reason) = decide(&Policy::deny_all(), "https", "api.example.net") else {
            panic!("deny_all allowed a request");
        };
        assert!(reason.contains("api.example.net"), "{reason}");
    }
}

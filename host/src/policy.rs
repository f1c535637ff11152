//! The outbound policy: which requests the component may send.
//!
//! A pure function of the call's settings and the request's scheme and authority, so it is
//! tested exhaustively without a network. Allowed are HTTPS to the Bedrock runtime and agent
//! runtime endpoints of the configured region (default port only), and the exact origins of
//! `baseUrl` and `agentRuntimeBaseUrl` (plain HTTP only to loopback) unless the operator turned
//! base URLs off ([`Rules::allow_base_urls`]). Everything else is denied, and the component
//! reports `denied-by-host`.

use std::net::{IpAddr, Ipv6Addr};

use serde_json::Value;

/// The hosts and origins one call may reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Host names reachable over HTTPS on port 443.
    endpoints: Vec<String>,
    /// Exact origins from the base-URL settings.
    origins: Vec<Origin>,
    /// Why a base-URL setting allows nothing, for the deny reason in the log.
    unusable: Vec<String>,
}

/// `scheme://host:port`, normalised: lower-case host, explicit port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    https: bool,
    host: String,
    port: u16,
}

/// What the operator allows, beyond the Bedrock endpoints of the call's region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Whether a tenant's `baseUrl` / `agentRuntimeBaseUrl` may open their origins. An operator
    /// who runs untrusted tenants turns this off so that requests (and the credentials they are
    /// signed with) can only go to AWS. Default: allowed.
    pub allow_base_urls: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Self { allow_base_urls: true }
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

/// The Bedrock services the component talks to, with their FIPS variants.
const SERVICES: [&str; 4] = [
    "bedrock-runtime",
    "bedrock-runtime-fips",
    "bedrock-agent-runtime",
    "bedrock-agent-runtime-fips",
];

/// Region prefix -> (DNS suffix, dual-stack DNS suffix), from the SDKs' `partitions.json`.
/// Mirrors `guest/src/region.rs`; keep the two in step. Regions of the main `aws` partition
/// (`us-`, `eu-`, `ap-`, ...) fall through to the last row.
const PARTITIONS: [(&str, &str, &str); 7] = [
    ("us-gov-", "amazonaws.com", "api.aws"),
    ("us-iso-", "c2s.ic.gov", "api.aws.ic.gov"),
    ("us-isob-", "sc2s.sgov.gov", "api.aws.scloud"),
    ("us-isof-", "csp.hci.ic.gov", "api.aws.hci.ic.gov"),
    ("cn-", "amazonaws.com.cn", "api.amazonwebservices.com.cn"),
    ("eusc-", "amazonaws.eu", "api.amazonwebservices.eu"),
    ("", "amazonaws.com", "api.aws"),
];

/// First labels of the regions in the main `aws` partition.
const AWS_GEOS: [&str; 9] = ["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx"];

impl Policy {
    /// A policy that denies everything (used for calls without settings).
    pub fn deny_all() -> Self {
        Self::default()
    }

    /// The policy for a call made with these settings (the provider's settings JSON).
    ///
    /// Settings the component would reject anyway (a malformed region or base URL) simply add
    /// nothing: the call then fails in the component with `invalid-settings`.
    pub fn from_settings(settings: &Value) -> Self {
        Self::with_rules(settings, Rules::default())
    }

    /// The policy for a call made with these settings, under the operator's `rules`.
    pub fn with_rules(settings: &Value, rules: Rules) -> Self {
        let mut policy = Self::default();
        if let Some(region) = settings.get("region").and_then(Value::as_str)
            && let Some((suffix, dual_stack)) = partition_suffixes(region)
        {
            for service in SERVICES {
                for s in [suffix, dual_stack] {
                    policy.endpoints.push(format!("{service}.{region}.{s}"));
                }
            }
        }
        for key in ["baseUrl", "agentRuntimeBaseUrl"] {
            let Some(url) = settings.get(key).and_then(Value::as_str) else {
                continue;
            };
            if !rules.allow_base_urls {
                policy.unusable.push(format!(
                    "`{key}` is ignored: the operator does not allow base URLs on this host"
                ));
                continue;
            }
            match parse_origin(url) {
                Ok(origin) => policy.origins.push(origin),
                Err(why) => policy.unusable.push(format!("`{key}` allows nothing: {why}")),
            }
        }
        policy
    }
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
    let candidate = Origin { https, host, port };
    if policy.origins.contains(&candidate) {
        return Decision::Allow;
    }
    if https && port == 443 && policy.endpoints.contains(&candidate.host) {
        return Decision::Allow;
    }
    let mut reason = format!(
        "{scheme}://{authority} is neither a Bedrock endpoint of the configured region nor the \
         origin of a usable base URL"
    );
    for note in &policy.unusable {
        reason += &format!("; {note}");
    }
    Decision::Deny(reason)
}

/// The DNS suffixes of the region's partition, or `None` for a malformed or unknown region.
fn partition_suffixes(region: &str) -> Option<(&'static str, &'static str)> {
    let labels: Vec<&str> = region.split('-').collect();
    let well_formed = labels.len() >= 3
        && labels.iter().all(|l| !l.is_empty())
        && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && labels.last().is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()));
    if !well_formed {
        return None;
    }
    let (prefix, suffix, dual_stack) = PARTITIONS.iter().find(|(p, ..)| region.starts_with(p))?;
    if prefix.is_empty() && !AWS_GEOS.contains(&labels[0]) {
        return None;
    }
    Some((suffix, dual_stack))
}

/// Parses a base URL into its origin, if it is one the host is willing to reach: an absolute
/// `https` URL (or `http` to loopback) without user info, whose host is a DNS name or a
/// loopback address.
fn parse_origin(url: &str) -> Result<Origin, &'static str> {
    let (https, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err("it is not an absolute http(s) URL");
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (host, port) =
        split_authority(&rest[..end]).ok_or("its host is malformed or has user info")?;
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
    use super::*;
    use serde_json::json;

    fn allowed(settings: &Value, scheme: &str, authority: &str) -> bool {
        decide(&Policy::from_settings(settings), scheme, authority) == Decision::Allow
    }

    #[test]
    fn region_endpoints() {
        let us = json!({"region": "us-east-1"});
        let rows: &[(&Value, &str, &str, bool)] = &[
            (&us, "https", "bedrock-runtime.us-east-1.amazonaws.com", true),
            (&us, "https", "bedrock-runtime.us-east-1.amazonaws.com:443", true),
            (&us, "https", "BEDROCK-RUNTIME.us-east-1.amazonaws.com", true),
            (&us, "https", "bedrock-runtime-fips.us-east-1.amazonaws.com", true),
            (&us, "https", "bedrock-agent-runtime.us-east-1.amazonaws.com", true),
            (&us, "https", "bedrock-agent-runtime-fips.us-east-1.amazonaws.com", true),
            (&us, "https", "bedrock-runtime.us-east-1.api.aws", true),
            // Wrong scheme, port, region, service, suffix.
            (&us, "http", "bedrock-runtime.us-east-1.amazonaws.com", false),
            (&us, "https", "bedrock-runtime.us-east-1.amazonaws.com:8443", false),
            (&us, "https", "bedrock-runtime.us-east-1.amazonaws.com:80", false),
            (&us, "https", "bedrock-runtime.us-west-2.amazonaws.com", false),
            (&us, "https", "bedrock.us-east-1.amazonaws.com", false),
            (&us, "https", "s3.us-east-1.amazonaws.com", false),
            (&us, "https", "bedrock-runtime.us-east-1.amazonaws.com.cn", false),
            (&us, "ftp", "bedrock-runtime.us-east-1.amazonaws.com", false),
            // Tricks.
            (&us, "https", "bedrock-runtime.us-east-1.amazonaws.com@evil.com", false),
            (&us, "https", "evil.com@bedrock-runtime.us-east-1.amazonaws.com", false),
            (&us, "https", "bedrock-runtime.us-east-1.amazonaws.com.", false),
            (&us, "https", "bedrock-runtime.us-east-1.amazonaws.com.evil.com", false),
            (&us, "https", "evil.com/bedrock-runtime.us-east-1.amazonaws.com", false),
            (&us, "https", "bedrock-runtime.us-east-1.amazonaws.com:", false),
            (&us, "https", "bedrock-runtime.us-east-1.amazonaws.com:+443", false),
            (&us, "https", "bedrock-runtime.us-east-1.amazonaws.com:0443", true),
            (&us, "https", "bedrock-runtime.us-east-1.amazonaws.com:65979", false),
            (&us, "https", "bedrock-runtime.us-east-1.amazonaws.com%00", false),
            (&us, "https", "bedrock-runtime.us-east-1.amazonaws.com ", false),
            (&us, "https", "", false),
            (&us, "https", "127.0.0.1", false),
            (&us, "https", "[::1]:443", false),
        ];
        for (settings, scheme, authority, want) in rows {
            assert_eq!(allowed(settings, scheme, authority), *want, "{scheme}://{authority}");
        }
    }

    #[test]
    fn partitions() {
        let rows = [
            ("cn-north-1", "bedrock-runtime.cn-north-1.amazonaws.com.cn", true),
            ("cn-north-1", "bedrock-runtime.cn-north-1.amazonaws.com", false),
            ("eusc-de-east-1", "bedrock-runtime.eusc-de-east-1.amazonaws.eu", true),
            ("eusc-de-east-1", "bedrock-runtime.eusc-de-east-1.amazonaws.com", false),
            ("us-gov-west-1", "bedrock-runtime-fips.us-gov-west-1.amazonaws.com", true),
            ("us-iso-east-1", "bedrock-runtime.us-iso-east-1.c2s.ic.gov", true),
            ("eu-central-1", "bedrock-agent-runtime.eu-central-1.amazonaws.com", true),
            ("ap-southeast-2", "bedrock-runtime.ap-southeast-2.api.aws", true),
            // Malformed or unknown regions allow nothing.
            ("US-EAST-1", "bedrock-runtime.US-EAST-1.amazonaws.com", false),
            ("us-east", "bedrock-runtime.us-east.amazonaws.com", false),
            ("xx-east-1", "bedrock-runtime.xx-east-1.amazonaws.com", false),
            ("us-east-1.evil.com", "bedrock-runtime.us-east-1.evil.com.amazonaws.com", false),
            ("us--1", "bedrock-runtime.us--1.amazonaws.com", false),
        ];
        for (region, authority, want) in rows {
            let settings = json!({ "region": region });
            assert_eq!(allowed(&settings, "https", authority), want, "{region} {authority}");
        }
        assert!(!allowed(&json!({}), "https", "bedrock-runtime.us-east-1.amazonaws.com"));
        assert!(!allowed(&json!({"region": 5}), "https", "bedrock-runtime.5.amazonaws.com"));
    }

    #[test]
    fn base_url_origins() {
        let rows: &[(&str, &str, &str, bool)] = &[
            ("https://gw.example.com", "https", "gw.example.com", true),
            ("https://gw.example.com/bedrock/", "https", "gw.example.com:443", true),
            ("https://GW.example.com", "https", "gw.example.com", true),
            ("https://gw.example.com", "http", "gw.example.com", false),
            ("https://gw.example.com", "https", "gw.example.com:8443", false),
            ("https://gw.example.com", "https", "other.example.com", false),
            ("https://gw.example.com", "https", "sub.gw.example.com", false),
            ("https://gw.example.com:8443/x", "https", "gw.example.com:8443", true),
            ("https://gw.example.com:8443/x", "https", "gw.example.com", false),
            ("https://gw.example.com?x=1", "https", "gw.example.com", true),
            // Plain HTTP only to loopback, and then only the exact port.
            ("http://gw.example.com", "http", "gw.example.com", false),
            ("http://127.0.0.1:8080", "http", "127.0.0.1:8080", true),
            ("http://127.0.0.1:8080", "http", "127.0.0.1:8081", false),
            ("http://127.0.0.1:8080", "https", "127.0.0.1:8080", false),
            ("http://127.1.2.3:9", "http", "127.1.2.3:9", true),
            ("http://localhost:3000", "http", "localhost:3000", true),
            ("http://localhost", "http", "localhost", true),
            ("http://localhost", "http", "localhost:80", true),
            ("http://[::1]:8080/", "http", "[::1]:8080", true),
            ("http://[::1]:8080/", "http", "[::2]:8080", false),
            ("https://127.0.0.1:8443", "https", "127.0.0.1:8443", true),
            // IP literals other than loopback, user info, junk.
            ("https://10.0.0.1", "https", "10.0.0.1", false),
            ("https://[2001:db8::1]", "https", "[2001:db8::1]", false),
            ("http://10.0.0.1", "http", "10.0.0.1", false),
            ("https://user:pw@gw.example.com", "https", "gw.example.com", false),
            ("https://gw.example.com@evil.com", "https", "evil.com", false),
            ("https://gw.example.com.", "https", "gw.example.com.", false),
            ("https://gw.example.com.", "https", "gw.example.com", false),
            ("gw.example.com", "https", "gw.example.com", false),
            ("ftp://gw.example.com", "https", "gw.example.com", false),
            ("https://", "https", "", false),
            ("https://gw.example.com:99999", "https", "gw.example.com:99999", false),
        ];
        for (base, scheme, authority, want) in rows {
            let settings = json!({ "baseUrl": base });
            assert_eq!(allowed(&settings, scheme, authority), *want, "{base}: {authority}");
            let settings = json!({ "agentRuntimeBaseUrl": base });
            assert_eq!(allowed(&settings, scheme, authority), *want, "{base}: {authority}");
        }
    }

    #[test]
    fn base_url_and_region_combine() {
        let settings = json!({
            "region": "us-west-2",
            "baseUrl": "http://127.0.0.1:4000",
            "agentRuntimeBaseUrl": "https://agents.example.com",
        });
        assert!(allowed(&settings, "http", "127.0.0.1:4000"));
        assert!(allowed(&settings, "https", "agents.example.com"));
        assert!(allowed(&settings, "https", "bedrock-runtime.us-west-2.amazonaws.com"));
        assert!(!allowed(&settings, "https", "bedrock-runtime.us-east-1.amazonaws.com"));
    }

    #[test]
    fn deny_reasons_explain_unusable_base_urls() {
        let rows = [
            ("https://10.0.0.1", "IP addresses other than loopback"),
            ("http://gw.example.com", "plain http is only allowed to loopback"),
            ("https://u@gw.example.com", "user info"),
            ("gw.example.com", "not an absolute http(s) URL"),
        ];
        for (base, why) in rows {
            let policy = Policy::from_settings(&json!({ "baseUrl": base }));
            let Decision::Deny(reason) = decide(&policy, "https", "10.0.0.1") else {
                panic!("{base} allowed");
            };
            assert!(
                reason.contains("`baseUrl` allows nothing") && reason.contains(why),
                "{reason}"
            );
        }
    }

    #[test]
    fn operator_can_refuse_base_urls() {
        let off = Rules { allow_base_urls: false };
        let settings = json!({
            "region": "us-east-1",
            "baseUrl": "http://127.0.0.1:4000",
            "agentRuntimeBaseUrl": "https://agents.example.com",
        });
        let rows: &[(Rules, &str, &str, bool)] = &[
            (Rules::default(), "http", "127.0.0.1:4000", true),
            (Rules::default(), "https", "agents.example.com", true),
            (off, "http", "127.0.0.1:4000", false),
            (off, "https", "agents.example.com", false),
            // The region's endpoints stay reachable either way.
            (off, "https", "bedrock-runtime.us-east-1.amazonaws.com", true),
            (off, "https", "bedrock-agent-runtime.us-east-1.amazonaws.com", true),
            (Rules::default(), "https", "bedrock-runtime.us-east-1.amazonaws.com", true),
        ];
        for (rules, scheme, authority, want) in rows {
            let policy = Policy::with_rules(&settings, *rules);
            let got = decide(&policy, scheme, authority) == Decision::Allow;
            assert_eq!(got, *want, "{rules:?} {scheme}://{authority}");
        }
        let Decision::Deny(reason) =
            decide(&Policy::with_rules(&settings, off), "http", "127.0.0.1:4000")
        else {
            panic!("allowed");
        };
        assert!(
            reason.contains("`baseUrl` is ignored: the operator does not allow base URLs"),
            "{reason}"
        );
        assert!(reason.contains("`agentRuntimeBaseUrl` is ignored"), "{reason}");
        assert_eq!(
            Policy::from_settings(&settings),
            Policy::with_rules(&settings, Rules::default())
        );
    }

    #[test]
    fn deny_all_denies_and_says_why() {
        let Decision::Deny(reason) =
            decide(&Policy::deny_all(), "https", "bedrock-runtime.us-east-1.amazonaws.com")
        else {
            panic!("deny_all allowed a request");
        };
        assert!(reason.contains("bedrock-runtime.us-east-1.amazonaws.com"), "{reason}");
    }
}

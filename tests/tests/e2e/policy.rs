//! The outbound policy that the Bedrock component's manifest (`guest/manifest.json`) gives,
//! evaluated by the runtime's generic evaluator: the same table of allowed and denied requests
//! the host enforced when it knew Bedrock's endpoints itself.

use provider_runtime::Manifest;
use provider_runtime::policy::{Decision, Policy, Rules, decide};
use serde_json::{Value, json};

/// The component's own manifest, as shipped in `guest/manifest.json`.
fn bedrock() -> Manifest {
    Manifest::parse(include_str!("../../../guest/manifest.json")).unwrap()
}

fn policy(settings: &Value, rules: &Rules) -> Policy {
    Policy::for_call(&bedrock(), settings, rules)
}

fn allowed(settings: &Value, scheme: &str, authority: &str) -> bool {
    decide(&policy(settings, &Rules::default()), scheme, authority) == Decision::Allow
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
        (&us, "https", "bedrock.us-east-1.amazonaws.com", true), // the control plane (`check`)
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
    // The URL rules themselves are the runtime's (table-tested in `provider-runtime`); this
    // checks that Bedrock's manifest names both base-URL settings.
    let rows: &[(&str, &str, &str, bool)] = &[
        ("https://gw.example.com", "https", "gw.example.com", true),
        ("http://gw.example.com", "http", "gw.example.com", false),
        ("http://127.0.0.1:8080", "http", "127.0.0.1:8080", true),
        ("https://10.0.0.1", "https", "10.0.0.1", false),
        ("https://user:pw@gw.example.com", "https", "gw.example.com", false),
    ];
    for (base, scheme, authority, want) in rows {
        let settings = json!({ "baseUrl": base });
        assert_eq!(allowed(&settings, scheme, authority), *want, "{base}: {authority}");
        let settings = json!({ "agentRuntimeBaseUrl": base });
        assert_eq!(allowed(&settings, scheme, authority), *want, "{base}: {authority}");
        let settings = json!({ "controlPlaneBaseUrl": base });
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
        let policy = policy(&json!({ "baseUrl": base }), &Rules::default());
        let Decision::Deny(reason) = decide(&policy, "https", "10.0.0.1") else {
            panic!("{base} allowed");
        };
        assert!(reason.contains("`baseUrl` allows nothing") && reason.contains(why), "{reason}");
    }
}

#[test]
fn operator_can_refuse_base_urls() {
    let off = Rules { allow_base_urls: false, extra_origins: vec![] };
    let default = Rules::default();
    let settings = json!({
        "region": "us-east-1",
        "baseUrl": "http://127.0.0.1:4000",
        "agentRuntimeBaseUrl": "https://agents.example.com",
    });
    let rows: &[(&Rules, &str, &str, bool)] = &[
        (&default, "http", "127.0.0.1:4000", true),
        (&default, "https", "agents.example.com", true),
        (&off, "http", "127.0.0.1:4000", false),
        (&off, "https", "agents.example.com", false),
        // The region's endpoints stay reachable either way.
        (&off, "https", "bedrock-runtime.us-east-1.amazonaws.com", true),
        (&off, "https", "bedrock-agent-runtime.us-east-1.amazonaws.com", true),
        (&default, "https", "bedrock-runtime.us-east-1.amazonaws.com", true),
    ];
    for (rules, scheme, authority, want) in rows {
        let policy = policy(&settings, rules);
        let got = decide(&policy, scheme, authority) == Decision::Allow;
        assert_eq!(got, *want, "{rules:?} {scheme}://{authority}");
    }
    let Decision::Deny(reason) = decide(&policy(&settings, &off), "http", "127.0.0.1:4000") else {
        panic!("allowed");
    };
    assert!(
        reason.contains("`baseUrl` is ignored: the operator does not allow base URLs"),
        "{reason}"
    );
    assert!(reason.contains("`agentRuntimeBaseUrl` is ignored"), "{reason}");
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

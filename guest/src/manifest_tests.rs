//! The checked-in manifest is the rendered one, and it allows exactly the endpoints the code
//! builds: evaluated here the way wit/MANIFEST.md tells hosts to.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::*;
use crate::settings::{KEYS, Settings};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/manifest.json");

#[test]
fn the_checked_in_manifest_is_rendered_from_the_code() {
    let rendered = render();
    if std::env::var_os("UPDATE_MANIFEST").is_some() {
        std::fs::write(PATH, &rendered).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(PATH).unwrap_or_default();
    if checked_in != rendered {
        let line = checked_in.lines().zip(rendered.lines()).position(|(a, b)| a != b);
        let at = line.map_or("in its length".to_string(), |n| format!("at line {}", n + 1));
        panic!(
            "guest/manifest.json differs from what the code renders ({at}): the region table, \
             the service names or the secret/model/URL settings changed.\n\
             Regenerate it with `UPDATE_MANIFEST=1 cargo test -p bedrock-provider manifest`, \
             review the diff and commit it.\n\nRendered:\n{rendered}"
        );
    }
}

#[test]
fn the_manifest_is_valid_json_with_what_hosts_read() {
    let m: Value = serde_json::from_str(&render()).unwrap();
    assert_eq!(m["manifestVersion"], 1);
    assert_eq!(m["provider"], PROVIDER);
    assert_eq!(m["settings"]["modelPrefix"], format!("{PROVIDER}|"));
    assert!(render().ends_with("}\n") && !render().ends_with("\n\n"));
}

/// Every setting the manifest names is one the settings read (except the announced
/// `embeddingModel`), so an operator rule on a setting name means something.
#[test]
fn the_manifest_names_real_settings() {
    let m: Value = serde_json::from_str(&render()).unwrap();
    let mut named: Vec<&str> = Vec::new();
    for list in
        [&m["settings"]["secrets"], &m["settings"]["masked"], &m["outbound"]["originSettings"]]
    {
        named.extend(list.as_array().unwrap().iter().map(|v| v.as_str().unwrap()));
    }
    named
        .extend(m["settings"]["models"].as_object().unwrap().values().map(|v| v.as_str().unwrap()));
    for key in named {
        assert!(KEYS.contains(&key) || key == "embeddingModel", "`{key}` is not a setting");
    }
}

// ---- evaluation, as MANIFEST.md describes it ----

fn anchored(pattern: &str) -> regex_lite::Regex {
    regex_lite::Regex::new(&format!("^(?:{pattern})$")).unwrap()
}

/// The strings a value yields for `settings` (MANIFEST.md, "Values").
fn yields(value: &Value, settings: &Value) -> Vec<String> {
    if let Some(list) = value.get("oneOf") {
        return list.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    }
    let max = value.get("maxLength").and_then(Value::as_u64).unwrap_or(64) as usize;
    let Some(s) = settings.get(value["setting"].as_str().unwrap()).and_then(Value::as_str) else {
        return Vec::new();
    };
    if s.len() > max {
        return Vec::new();
    }
    if let Some(pattern) = value.get("pattern") {
        return if anchored(pattern.as_str().unwrap()).is_match(s) {
            vec![s.to_string()]
        } else {
            vec![]
        };
    }
    let case = value["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| anchored(c["pattern"].as_str().unwrap()).is_match(s));
    case.map(|c| vec![c["value"].as_str().unwrap().to_string()]).unwrap_or_default()
}

/// The Bedrock origins the manifest allows for `settings` (step 1 and 2, without base URLs).
fn allowed(settings: &Value) -> BTreeSet<String> {
    let m: Value = serde_json::from_str(&render()).unwrap();
    let values = m["outbound"]["values"].as_object().unwrap();
    let mut out = BTreeSet::new();
    for template in m["outbound"]["origins"].as_array().unwrap() {
        let mut expansions = vec![template.as_str().unwrap().to_string()];
        for (name, value) in values {
            let placeholder = format!("{{{name}}}");
            let options = yields(value, settings);
            expansions = expansions
                .iter()
                .flat_map(|e| {
                    if !e.contains(&placeholder) {
                        return vec![e.clone()];
                    }
                    options.iter().map(|o| e.replace(&placeholder, o)).collect()
                })
                .collect();
        }
        out.extend(expansions.into_iter().filter(|e| !e.contains('{')));
    }
    out
}

#[test]
fn the_manifest_allows_exactly_the_endpoints_of_the_region() {
    let regions = [
        "us-east-1",
        "eu-central-2",
        "ap-southeast-7",
        "us-gov-west-1",
        "cn-north-1",
        "eusc-de-east-1",
        "us-iso-east-1",
        "us-isob-east-1",
        "us-isof-south-1",
    ];
    for region in regions {
        let json = json!({"region": region, "apiKey": "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl"});
        let settings = Settings::parse(&json.to_string()).unwrap();
        let origins = allowed(&json);
        // What the component calls.
        for endpoint in [
            settings.runtime_endpoint(),
            settings.agent_runtime_endpoint(),
            settings.control_plane_endpoint(),
        ] {
            assert!(origins.contains(&endpoint.to_string()), "{region}: {endpoint} not allowed");
        }
        // And nothing else: each service and its FIPS variant, on both suffixes.
        let p = settings.partition;
        let mut expected = BTreeSet::new();
        for service in SERVICES {
            for name in [service.to_string(), format!("{service}-fips")] {
                for suffix in [p.dns_suffix(), p.dual_stack_suffix()] {
                    expected.insert(format!("https://{name}.{region}.{suffix}"));
                }
            }
        }
        assert_eq!(origins, expected, "{region}");
    }
}

#[test]
fn hostile_regions_allow_nothing() {
    let long = format!("us-{}-1", "a".repeat(10_000));
    for region in [
        json!("x.evil.com#"),
        json!("US-EAST-1"),
        json!("us-east-1.evil.com"),
        json!(long),
        json!(7),
    ] {
        let settings = json!({ "region": region });
        assert!(allowed(&settings).is_empty(), "{region}: {:?}", allowed(&settings));
        // And the settings refuse them too, so the component never builds such a host.
        assert!(Settings::parse(&json!({"region": region, "apiKey": "k"}).to_string()).is_err());
    }
    assert!(allowed(&json!({})).is_empty());
}

//! Instance reuse (`HostConfig::reuse`) through real components: calls with byte-identical
//! settings may share an instance, other settings never do, and an instance that failed in any
//! way is never used again. The misbehaving component's `remember` mode reports what its
//! instance remembers (the calls it served, the `token` of every settings it was opened with),
//! so the tests read isolation from inside the sandbox.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use crate::common::*;
use bedrock_gateway::types::*;
use bedrock_gateway::{Host, HostConfig, InstanceReuse};
use serde_json::{Value, json};

const MIB: usize = 1024 * 1024;

/// Reuse bounds that never expire during a test.
const REUSE: InstanceReuse =
    InstanceReuse { max_calls: 1000, idle_timeout: Duration::from_secs(600), max_idle: 8 };

fn host(reuse: Option<InstanceReuse>) -> Host {
    let config = HostConfig {
        cache_dir: Some(cache_dir()),
        max_concurrent_calls: 8,
        memory_limit_bytes: 16 * MIB,
        reuse,
        ..HostConfig::default()
    };
    Host::load(bedrock_tests::misbehaving_component(), config).unwrap()
}

/// The settings of a tenant whose secret is `token` (`target`: where `over-cap` sends its
/// requests, a loopback port nothing needs to answer on).
fn tenant(token: &str) -> String {
    json!({"misbehave": "remember", "token": token, "echoPort": "9", "target": "http://127.0.0.1:9/"})
        .to_string()
}

/// What the instance that served the call remembers.
#[derive(Debug)]
struct Memory {
    calls: u64,
    tokens: Vec<String>,
}

async fn remember(host: &Host, settings: &str) -> Memory {
    let answer = host.generate(settings, chat("report")).await.unwrap();
    let report: Value = serde_json::from_str(&answer.text).unwrap();
    Memory {
        calls: report["calls"].as_u64().unwrap(),
        tokens: report["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap_or_default().to_string())
            .collect(),
    }
}

#[tokio::test]
async fn calls_with_the_same_settings_share_an_instance_other_tenants_never_do() {
    let host = host(Some(REUSE));
    let (a, b) = (tenant("secret-of-tenant-a"), tenant("secret-of-tenant-b"));
    let first = remember(&host, &a).await;
    assert_eq!(
        (first.calls, first.tokens.as_slice()),
        (1, ["secret-of-tenant-a".to_string()].as_slice())
    );
    let second = remember(&host, &a).await;
    assert_eq!(second.calls, 2, "the same settings reuse the instance: {second:?}");
    assert_eq!(second.tokens, ["secret-of-tenant-a"], "opened once");
    assert_eq!(host.idle_instances(), 1);

    // Tenant B gets its own instance, which never saw A's secret.
    let b_first = remember(&host, &b).await;
    assert_eq!(b_first.calls, 1, "{b_first:?}");
    assert_eq!(b_first.tokens, ["secret-of-tenant-b"]);
    assert_eq!(host.idle_instances(), 2);

    // Settings equal as JSON but not byte for byte are another key.
    let a_spaced = format!(" {a}");
    let spaced = remember(&host, &a_spaced).await;
    assert_eq!(spaced.calls, 1, "{spaced:?}");

    // Many interleaved and concurrent calls: every instance only ever saw one tenant's secret.
    let mut calls = Vec::new();
    for i in 0..40 {
        let (host, settings) = (host.clone(), if i % 2 == 0 { a.clone() } else { b.clone() });
        calls.push(tokio::spawn(async move { (i % 2, remember(&host, &settings).await) }));
    }
    let mut reused = 0;
    for call in calls {
        let (who, memory) = call.await.unwrap();
        let own = if who == 0 { "secret-of-tenant-a" } else { "secret-of-tenant-b" };
        assert!(memory.tokens.iter().all(|t| t == own), "tenant {who} saw {memory:?}");
        reused += usize::from(memory.calls > 1);
    }
    assert!(reused > 0, "no call reused an instance");
}

#[tokio::test]
async fn an_instance_that_failed_is_never_reused() {
    let host = host(Some(REUSE));
    let a = tenant("secret-of-tenant-a");
    // (prompt, whether the call itself fails): an error the component returned, a trap, the
    // memory limit, a call that answered but left a host resource behind, and one that answered
    // after the in-flight cap refused some of its requests.
    let rows =
        [("fail", true), ("panic", true), ("allocate", true), ("leak", false), ("over-cap", false)];
    for (prompt, fails) in rows {
        let warm = remember(&host, &a).await;
        assert_eq!(warm.calls, 1, "{prompt}: the previous instance was discarded: {warm:?}");
        assert_eq!(host.idle_instances(), 1, "{prompt}");
        let result = host.generate(&a, chat(prompt)).await;
        assert_eq!(result.is_err(), fails, "{prompt}: {result:?}");
        assert_eq!(host.idle_instances(), 0, "{prompt}: the instance was not kept");
        let next = remember(&host, &a).await;
        assert_eq!(next.calls, 1, "{prompt}: a fresh instance: {next:?}");
        // Start the next row from a fresh instance too.
        host.drop_idle_instances();
    }
}

#[tokio::test]
async fn without_reuse_every_call_gets_a_fresh_instance() {
    let host = host(None);
    let a = tenant("secret-of-tenant-a");
    for _ in 0..3 {
        let memory = remember(&host, &a).await;
        assert_eq!((memory.calls, memory.tokens.len()), (1, 1), "{memory:?}");
    }
    assert_eq!(host.idle_instances(), 0);
}

#[tokio::test]
async fn reuse_is_bounded_by_calls_and_idle_time() {
    let host = host(Some(InstanceReuse { max_calls: 2, ..REUSE }));
    let a = tenant("secret-of-tenant-a");
    let served: Vec<u64> = {
        let mut served = Vec::new();
        for _ in 0..5 {
            served.push(remember(&host, &a).await.calls);
        }
        served
    };
    assert_eq!(served, [1, 2, 1, 2, 1]);

    let idle = Duration::from_millis(100);
    let host = self::host(Some(InstanceReuse { idle_timeout: idle, ..REUSE }));
    assert_eq!(remember(&host, &a).await.calls, 1);
    assert_eq!(remember(&host, &a).await.calls, 2);
    tokio::time::sleep(idle * 4).await;
    assert_eq!(remember(&host, &a).await.calls, 1, "idle too long: a fresh instance");
}

#[tokio::test]
async fn the_bedrock_component_signs_every_reused_call_correctly() {
    let config = HostConfig { reuse: Some(REUSE), ..HostConfig::default() };
    let h = Harness::with(Default::default(), config).await;
    let settings = h.settings(json!({}));
    for _ in 0..3 {
        h.host.generate(&settings, chat("hi")).await.unwrap();
    }
    assert_eq!(h.host.idle_instances(), 1, "one instance served all three");
    let requests = h.emulator.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r.signature_valid == Some(true)), "{requests:?}");
    // An upstream error is returned to the caller and discards the instance.
    let e = h.host.generate(&h.fault("no-model-access"), chat("hi")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::AccessDenied, "{e:?}");
    assert_eq!(h.host.idle_instances(), 1, "only the clean instance is kept");
}

#[tokio::test]
async fn a_stream_read_to_its_end_hands_its_instance_back() {
    let config = HostConfig { reuse: Some(REUSE), ..HostConfig::default() };
    let h = Harness::with(Default::default(), config).await;
    let settings = h.settings(json!({}));
    for _ in 0..3 {
        let stream = h.host.stream(&settings, chat("hi")).await.unwrap();
        let (parts, error) = drain(stream).await;
        assert!(error.is_none(), "{error:?}");
        assert!(!text_of(&parts).is_empty());
        assert_eq!(h.host.idle_instances(), 1, "the instance is kept for the next call");
    }
    // A generate call takes the instance the streams used, and signs correctly with it.
    h.host.generate(&settings, chat("hi")).await.unwrap();
    assert!(h.emulator.requests().iter().all(|r| r.signature_valid == Some(true)));
    // A stream dropped before its end does not hand its instance back.
    let mut stream = h.host.stream(&settings, chat("hi")).await.unwrap();
    assert_eq!(h.host.idle_instances(), 0, "the stream holds the instance");
    stream.next().await.unwrap();
    drop(stream);
    assert_eq!(h.host.idle_instances(), 0);
}

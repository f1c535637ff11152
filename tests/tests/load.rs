//! Load: hundreds of concurrent calls through one `Host` against the emulator, a third of them
//! throttled. Every call must end (with its answer or the mapped error), none may hang, and the
//! host's memory must come back to where it was.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bedrock_gateway::types::*;
use common::*;
use serde_json::json;
use tokio::sync::Semaphore;

/// Calls per round.
const CALLS: usize = 300;
/// Calls in flight at once.
const CONCURRENCY: usize = 64;
/// No single call may take longer (the slowest legitimate one is a throttled call: two
/// attempts and one backoff of at most 200 ms).
const CALL_LIMIT: Duration = Duration::from_secs(30);

/// What one call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// A plain `generate`.
    Generate,
    /// A `generate` the emulator throttles on every attempt (`maxAttempts: 2`).
    Throttled,
    /// A `stream`, drained to its end.
    Stream,
}

fn shape(i: usize) -> Shape {
    match i {
        i if i % 3 == 0 => Shape::Throttled,
        i if i % 30 == 1 => Shape::Stream,
        _ => Shape::Generate,
    }
}

/// Runs `CALLS` calls, at most `CONCURRENCY` at a time, and checks how each one ended.
async fn round(h: &Harness) {
    let plain = Arc::new(h.settings(json!({})));
    let throttled = Arc::new(
        h.settings(json!({"maxAttempts": 2, "headers": {"x-emulator-fault": "throttling"}})),
    );
    let slots = Arc::new(Semaphore::new(CONCURRENCY));
    let mut calls = Vec::with_capacity(CALLS);
    for i in 0..CALLS {
        let (host, slots) = (h.host.clone(), slots.clone());
        let (plain, throttled) = (plain.clone(), throttled.clone());
        calls.push(tokio::spawn(async move {
            let _slot = slots.acquire_owned().await.unwrap();
            let call = async {
                match shape(i) {
                    Shape::Generate => {
                        let answer = host.generate(&plain, chat(&format!("call {i}"))).await;
                        let answer = answer.unwrap_or_else(|e| panic!("call {i}: {e:?}"));
                        assert!(!answer.text.is_empty(), "call {i}");
                    }
                    Shape::Throttled => {
                        let e = host.generate(&throttled, chat("hi")).await.unwrap_err();
                        assert_eq!(e.kind, ErrorKind::Throttled, "call {i}: {e:?}");
                        assert!(e.retryable, "call {i}");
                        assert!(e.message.contains("2 attempts"), "call {i}: {}", e.message);
                    }
                    Shape::Stream => {
                        let stream = host.stream(&plain, chat("hi")).await.unwrap();
                        let (parts, error) = drain(stream).await;
                        assert!(error.is_none(), "call {i}: {error:?}");
                        assert!(!text_of(&parts).is_empty(), "call {i}");
                        assert!(parts.iter().any(|p| matches!(p, StreamPart::Finish(_))));
                    }
                }
            };
            tokio::time::timeout(CALL_LIMIT, call)
                .await
                .unwrap_or_else(|_| panic!("call {i} ({:?}) hung", shape(i)));
        }));
    }
    for call in calls {
        call.await.unwrap();
    }
    // The throttled calls really were retried, and nothing else was.
    let requests = h.emulator.requests();
    let throttled_calls = (0..CALLS).filter(|i| shape(*i) == Shape::Throttled).count();
    let faulted = requests.iter().filter(|r| r.header("x-emulator-fault").is_some()).count();
    assert_eq!(faulted, 2 * throttled_calls);
    assert_eq!(requests.len() - faulted, CALLS - throttled_calls);
    assert!(requests.iter().filter(|r| r.status == 429).count() == faulted);
    h.emulator.clear_requests();
}

/// The resident set size of this process, from `/proc/self/statm` (pages).
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

const MIB: u64 = 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_concurrent_calls_end_and_memory_returns_to_its_baseline() {
    let h = Harness::start().await;

    // A warm-up round brings every long-lived structure to its working size: the instance pool
    // slots that 64 concurrent calls touch, the keep-alive connections, the allocator's arenas
    // on each worker thread. What remains after it is the baseline.
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(120), round(&h)).await.expect("the warm-up hung");
    let warm_up = started.elapsed();
    let baseline = rss_bytes();

    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(120), round(&h)).await.expect("a round hung");
    let wall = started.elapsed();
    let after = rss_bytes();

    eprintln!(
        "load: {CALLS} calls ({} throttled, {} streams) at concurrency {CONCURRENCY}: warm-up \
         {warm_up:.2?}, measured round {wall:.2?}; RSS baseline {} MiB, after {} MiB",
        (0..CALLS).filter(|i| shape(*i) == Shape::Throttled).count(),
        (0..CALLS).filter(|i| shape(*i) == Shape::Stream).count(),
        baseline / MIB,
        after / MIB,
    );
    // Two identical rounds on this machine differ by about 1 MiB (the allocator keeping freed
    // blocks per thread, hyper's pooled connections, tasks still winding down); 16 MiB leaves
    // room for a busier machine. A live sandbox costs roughly 200 KiB (measured below), so a
    // round that leaked the stores of its 100 throttled calls, or kept their pool slots
    // resident, would already cross it.
    const MARGIN: u64 = 16 * MIB;
    assert!(
        after < baseline + MARGIN,
        "RSS grew from {} MiB to {} MiB over one round",
        baseline / MIB,
        after / MIB
    );

    // The measurement can see a leak: half a round's sandboxes kept alive (open streams) add
    // more than the margin.
    let settings = h.settings(json!({}));
    let mut held = Vec::new();
    for _ in 0..CALLS / 2 {
        let mut stream = h.host.stream(&settings, chat("hi")).await.unwrap();
        stream.next().await.unwrap();
        held.push(stream);
    }
    let holding = rss_bytes();
    eprintln!("load: {} open streams hold {} MiB", held.len(), (holding - after) / MIB);
    assert!(
        holding > after + MARGIN,
        "{} live sandboxes added only {} KiB: the margin could not catch a leak",
        held.len(),
        (holding.saturating_sub(after)) / 1024
    );
}

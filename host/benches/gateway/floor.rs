//! The network floor: the load generator straight against the canned upstream on loopback.
//! A load benchmark of `serve` adds the through-gateway target to the same interleaved run
//! (see `bedrock_gateway::bench`); until then this section measures the floor alone.

use std::time::Duration;

use bedrock_gateway::bench::{CannedUpstream, LoadConfig, LoadSummary, LoadTarget, compare};

use crate::harness::{Mode, header, row, time};

/// Prints req/s, p50, p99 (and the target process's CPU per request and RSS, when it names
/// one) for each target and concurrency, `rounds` interleaved runs each.
pub fn load_table(mode: &Mode, title: &str, targets: &[LoadTarget], concurrency: &[usize]) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for the load generator");
    let rounds = mode.rounds(5);
    let (warmup, duration) = if mode.full {
        (Duration::from_millis(300), Duration::from_secs(2))
    } else {
        (Duration::from_millis(20), Duration::from_millis(100))
    };
    header(title, rounds);
    for &c in concurrency {
        let config = LoadConfig { concurrency: c, warmup, duration };
        let reports = runtime.block_on(compare(targets, &config, rounds));
        for (target, reports) in targets.iter().zip(&reports) {
            let s = LoadSummary::of(reports).expect("load runs");
            assert_eq!(s.errors, 0, "{}: {:?}", target.name, s.first_error);
            let label = format!("{} c={c}", target.name);
            row(&format!("{label}: requests/s"), &s.requests_per_sec, |x| format!("{x:.0}"), "");
            row(&format!("{label}: p50 latency"), &s.p50, time, "");
            row(&format!("{label}: p99 latency"), &s.p99, time, "");
            if let Some(cpu) = &s.cpu_per_request {
                row(&format!("{label}: process CPU per request"), cpu, time, "");
            }
            if let Some(rss) = &s.rss_bytes {
                row(
                    &format!("{label}: process RSS"),
                    rss,
                    |b| format!("{:.1} MiB", b / 1048576.0),
                    "",
                );
            }
        }
    }
}

/// Runs the floor section: the load generator against the canned upstream directly.
pub fn run(mode: &Mode) {
    let upstream = CannedUpstream::start(1).expect("the canned upstream starts");
    let uri = format!(
        "{}/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse",
        upstream.base_url()
    )
    .parse()
    .expect("a URI");
    let body = r#"{"messages":[{"role":"user","content":[{"text":"How many r's are in strawberry?"}]}],"inferenceConfig":{"maxTokens":512}}"#;
    let direct = LoadTarget::post_json("direct to upstream", uri, body);
    load_table(
        mode,
        "Network floor: load generator -> canned upstream (loopback, HTTP/1.1 keep-alive)",
        &[direct],
        &[1, 32],
    );
}

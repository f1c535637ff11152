//! The gateway's benchmarks: `cargo bench -p bedrock-gateway --bench gateway [-- SECTION...]`.
//!
//! Sections: `size`, `inprocess`, `coldstart`, `serve` (all by default); `spin-generate`,
//! `spin-generate-reused`,
//! `spin-stream` and `spin-native` (only when named) loop one operation for a profiler
//! (`SPIN_SECS`, default 5). Every figure is the
//! median of several interleaved runs, with min and max, and ratios are taken against a
//! baseline measured in the same run (see BENCHMARKS.md for the method and the results).
//!
//! Without `--bench` (as under `cargo test`), every case runs once and its answers are checked:
//! a smoke test that keeps the benchmark working.

mod coldstart;
mod fixtures;
mod harness;
mod inprocess;
mod serve;

use std::path::PathBuf;

use gateway_bench::summarize;
use harness::{Mode, header, row, verdict};

fn main() {
    let mode = Mode::from_args();
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("gateway-bench");
    std::fs::create_dir_all(&tmp).expect("a scratch directory");
    machine(&mode);
    if mode.wants("size") {
        size();
    }
    if mode.wants("inprocess") {
        inprocess::run(&mode, &tmp.join("cache"));
    }
    if mode.wants("coldstart") {
        coldstart::run(&mode, &tmp);
    }
    if mode.wants("serve") {
        serve::run(&mode, &tmp);
    }
    // Only when named: loops for a profiler (`perf record`, `valgrind --tool=callgrind`).
    for spin in ["spin-generate", "spin-generate-reused", "spin-stream", "spin-native"] {
        if mode.filters.iter().any(|f| f == spin) {
            inprocess::spin(spin, &tmp.join("cache"));
        }
    }
    println!("\nload average at the end: {}", load_average());
}

/// The machine and the run, so a table can be told apart from another one.
fn machine(mode: &Mode) {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown", str::trim);
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("## bedrock-gateway benchmarks\n");
    println!("- machine: {cpus} CPUs, {model}");
    println!("- load average at the start: {}", load_average());
    println!(
        "- mode: {}",
        if mode.full { "full (cargo bench)" } else { "smoke (each case once, not a measurement)" }
    );
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The component's size.
fn size() {
    let bytes = fixtures::component().len() as f64;
    let s = summarize(&[bytes]).expect("one value");
    header("Size", 1);
    let label = match fixtures::component_override() {
        Some(path) => format!("component ({})", path.display()),
        None => "component (bundled `bedrock_provider.wasm`, wasm profile)".to_string(),
    };
    row(&label, &s, |b| format!("{:.0} KB", b / 1000.0), &verdict(bytes < 400_000.0, "< 400 KB"));
}

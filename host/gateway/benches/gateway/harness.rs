//! A small timing harness: interleaved rounds, median/min/max, ratios per round.
//!
//! Each case runs a batch of iterations and returns the batch's wall time. A round runs every
//! case once (in a rotated order), so slow phases of a shared machine hit every case alike, and
//! a ratio is taken between two cases of the same round before it is summarised.

use std::time::{Duration, Instant};

use gateway_bench::{Summary, summarize};

/// How the benchmark was invoked.
#[derive(Debug, Clone)]
pub struct Mode {
    /// `cargo bench` (passes `--bench`): calibrated batches and many rounds. Otherwise (e.g.
    /// `cargo test`), a smoke run: every case once, checked, not timed seriously.
    pub full: bool,
    /// Sections to run (names given on the command line); empty means all.
    pub filters: Vec<String>,
}

impl Mode {
    /// Reads the command line.
    pub fn from_args() -> Self {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let full = args.iter().any(|a| a == "--bench");
        let filters = args.into_iter().filter(|a| !a.starts_with('-')).collect();
        Self { full, filters }
    }

    /// Whether the section `name` was selected (all are when none is named; `spin-*` loops
    /// only run when named, and naming one selects no section).
    pub fn wants(&self, name: &str) -> bool {
        self.filters.is_empty()
            || self.filters.iter().any(|f| !f.starts_with("spin-") && name.contains(f.as_str()))
    }

    /// Rounds per measurement: `full` rounds in a real run, 1 in a smoke run.
    pub fn rounds(&self, full: usize) -> usize {
        if self.full { full } else { 1 }
    }
}

/// One thing to time. `run(n)` performs `n` iterations and returns how long they took.
pub struct Case<'a> {
    /// Label.
    pub name: &'static str,
    run: Box<dyn FnMut(u64) -> Duration + 'a>,
}

impl<'a> Case<'a> {
    /// A case timed by the harness, one call of `f` per iteration.
    pub fn new(name: &'static str, mut f: impl FnMut() + 'a) -> Self {
        Self::batch(name, move |n| {
            let started = Instant::now();
            for _ in 0..n {
                f();
            }
            started.elapsed()
        })
    }

    /// A case that times its own batches (for async code: one `block_on` per batch).
    pub fn batch(name: &'static str, run: impl FnMut(u64) -> Duration + 'a) -> Self {
        Self { name, run: Box::new(run) }
    }
}

/// Seconds per iteration of each case, one value per round.
pub struct Samples {
    /// Case names, in the order given.
    pub names: Vec<&'static str>,
    /// `per_iter[case][round]`, seconds.
    pub per_iter: Vec<Vec<f64>>,
}

impl Samples {
    fn index(&self, name: &str) -> usize {
        self.names.iter().position(|n| *n == name).unwrap_or_else(|| panic!("no case {name}"))
    }

    /// The seconds-per-iteration values of case `name`.
    pub fn of(&self, name: &str) -> &[f64] {
        &self.per_iter[self.index(name)]
    }

    /// Summary of case `name`, seconds per iteration.
    pub fn summary(&self, name: &str) -> Summary {
        summarize(self.of(name)).unwrap_or(Summary { median: 0.0, min: 0.0, max: 0.0, runs: 0 })
    }

    /// `f(a, b)` per round, summarised (ratios and differences against a baseline).
    pub fn paired(&self, a: &str, b: &str, f: impl Fn(f64, f64) -> f64) -> Summary {
        let values: Vec<f64> = self.of(a).iter().zip(self.of(b)).map(|(x, y)| f(*x, *y)).collect();
        summarize(&values).unwrap_or(Summary { median: 0.0, min: 0.0, max: 0.0, runs: 0 })
    }
}

/// Times `cases`: calibrates each to batches of about `batch` wall time, warms up, then runs
/// `rounds` interleaved rounds.
pub fn measure(mode: &Mode, rounds: usize, batch: Duration, cases: &mut [Case<'_>]) -> Samples {
    let iters: Vec<u64> =
        cases.iter_mut().map(|case| if mode.full { calibrate(case, batch) } else { 1 }).collect();
    let mut per_iter = vec![Vec::with_capacity(rounds); cases.len()];
    for round in 0..rounds {
        for k in 0..cases.len() {
            let i = (k + round) % cases.len();
            let n = iters[i];
            let elapsed = (cases[i].run)(n);
            per_iter[i].push(elapsed.as_secs_f64() / n as f64);
        }
    }
    Samples { names: cases.iter().map(|c| c.name).collect(), per_iter }
}

/// Warms the case up (at least 3 runs and 50 ms) and returns the iterations per batch.
fn calibrate(case: &mut Case<'_>, batch: Duration) -> u64 {
    let started = Instant::now();
    let mut runs = 0u32;
    let mut fastest = Duration::MAX;
    while runs < 3 || started.elapsed() < Duration::from_millis(50) {
        fastest = fastest.min((case.run)(1));
        runs += 1;
    }
    (batch.as_secs_f64() / fastest.as_secs_f64().max(1e-9)).ceil().max(1.0) as u64
}

/// `1.23 µs`, `456 ns`, `7.8 ms`.
pub fn time(seconds: f64) -> String {
    let ns = seconds * 1e9;
    if ns.abs() < 1e3 {
        format!("{ns:.0} ns")
    } else if ns.abs() < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns.abs() < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// A table row: label, then median, min and max formatted by `fmt`, then a note.
pub fn row(label: &str, s: &Summary, fmt: impl Fn(f64) -> String, note: &str) {
    println!("| {label} | {} | {} | {} | {note} |", fmt(s.median), fmt(s.min), fmt(s.max));
}

/// Prints a section heading and the table header.
pub fn header(title: &str, runs: usize) {
    println!("\n### {title}\n");
    println!("| figure ({runs} runs) | median | min | max | note |");
    println!("|---|---|---|---|---|");
}

/// `"met"` or `"MISSED"` for a target, with the target written out.
pub fn verdict(met: bool, target: &str) -> String {
    format!("{} (target {target})", if met { "met" } else { "MISSED" })
}

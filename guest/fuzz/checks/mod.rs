//! Properties shared by the cargo-fuzz targets (`fuzz_targets/*.rs`) and the seed replay test
//! (`guest/tests/fuzz_seeds.rs`).
//!
//! One `check(data)` per target holds everything a target does with its input: the fuzzer calls
//! it on generated inputs and the test calls it on every committed seed, so a seed is held to
//! exactly the properties the fuzzer checks. A `check` panics when a property fails (a panic is
//! what libFuzzer reports, and what fails the test) and returns what the calls returned, so the
//! test can also tell that the seeds reach both outcomes rather than hold vacuously.
//!
//! The files are plain modules pulled in with `#[path]` by both crates and use only the
//! provider's public API, so the component itself carries no fuzzing code.

pub mod converse_request;
pub mod converse_response;
pub mod error_mapper;
pub mod model_spec;
pub mod settings;

use std::collections::BTreeSet;

use arbitrary::Unstructured;
use bedrock_provider::error::ProviderError;

/// What the calls under test returned for one input.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcomes {
    /// Calls that succeeded.
    pub ok: usize,
    /// Calls that returned an error.
    pub err: usize,
    /// The kinds of the errors returned (`invalid-settings`, `throttled`, ...).
    pub kinds: BTreeSet<&'static str>,
}

impl Outcomes {
    /// Counts one call's result.
    fn record<T>(&mut self, result: &Result<T, ProviderError>) {
        match result {
            Ok(_) => self.ok += 1,
            Err(e) => self.error(e),
        }
    }

    /// Counts one returned error.
    fn error(&mut self, e: &ProviderError) {
        self.err += 1;
        self.kinds.insert(e.kind.as_str());
    }

    /// Adds another input's outcomes (the replay test sums over the seeds).
    pub fn merge(&mut self, other: Outcomes) {
        self.ok += other.ok;
        self.err += other.err;
        self.kinds.extend(other.kinds);
    }
}

/// A word from `vocab` (valid values reach deep validation) or, one time in four, arbitrary
/// text (which reaches the error paths). An exhausted input yields the first word.
fn word(u: &mut Unstructured, vocab: &[&str]) -> arbitrary::Result<String> {
    if u.ratio(1, 4)? { u.arbitrary() } else { Ok(u.choose(vocab)?.to_string()) }
}

/// `v`, or with arbitrary text spliced in at a char boundary, or cut short: near-misses of
/// valid values are where validation bugs live.
fn near(u: &mut Unstructured, v: String) -> arbitrary::Result<String> {
    let cut = |u: &mut Unstructured, s: &str| -> arbitrary::Result<usize> {
        let bounds: Vec<usize> = s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
        Ok(*u.choose(&bounds)?)
    };
    Ok(match u.int_in_range(0..=5)? {
        0 => {
            let at = cut(u, &v)?;
            let extra: String = u.arbitrary()?;
            format!("{}{extra}{}", &v[..at], &v[at..])
        }
        1 => {
            let at = cut(u, &v)?;
            v[..at].to_string()
        }
        _ => v,
    })
}

/// A 64-bit FNV-1a hash, to derive choices deterministically from inputs that are not read
/// through `Unstructured`.
fn fnv(data: &[u8]) -> u64 {
    data.iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// Whether `needle` occurs in `hay`, ASCII case-insensitively.
fn contains_ci(hay: &str, needle: &str) -> bool {
    hay.to_ascii_lowercase().contains(&needle.to_ascii_lowercase())
}

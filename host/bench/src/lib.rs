//! Pieces for benchmarking the gateway against the network floor: a canned Bedrock upstream,
//! a small HTTP load generator, and readings of another process's CPU time and memory.
//!
//! The in-process and cold-start benchmarks (`cargo bench -p bedrock-gateway --bench gateway`)
//! use them, and so can a load benchmark of a gateway process: start a [`CannedUpstream`],
//! point the gateway's `baseUrl` at it, then run [`compare`] over the direct-to-upstream
//! target and the through-gateway target, interleaved, with [`ProcessProbe`] watching the
//! gateway's pid so that only the gateway's CPU is charged to the gateway.

mod load;
mod procfs;
mod stats;
mod upstream;

pub use load::{LoadConfig, LoadReport, LoadSummary, LoadTarget, compare, run_load};
pub use procfs::{ProcessProbe, ProcessSample};
pub use stats::{Summary, summarize};
pub use upstream::{CONVERSE_TEXT_FIXTURE, CannedUpstream, converse_stream_fixture};

//! Replays every committed fuzz seed (`fuzz/seeds/<target>/*`) through the same check the fuzz
//! target runs (`fuzz/checks/<target>.rs`), so a seed that regresses fails `cargo test`.
//! It also asserts that the seeds reach both outcomes of the call under test, so the
//! properties are not held vacuously.
#![allow(clippy::unwrap_used)]

#[path = "../fuzz/checks/mod.rs"]
mod checks;

use std::path::Path;

use checks::Outcomes;

/// Runs `check` on every seed of `target`; fails listing every seed that breaks a property.
fn replay(target: &str, check: fn(&[u8]) -> Outcomes) -> Outcomes {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds").join(target);
    let mut seeds: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    seeds.sort();
    assert!(seeds.len() >= 5, "too few seeds in {}: {seeds:?}", dir.display());
    let mut total = Outcomes::default();
    let mut broken = Vec::new();
    for path in &seeds {
        let data = std::fs::read(path).unwrap();
        match std::panic::catch_unwind(|| check(&data)) {
            Ok(outcomes) => total.merge(outcomes),
            Err(_) => broken.push(path.display().to_string()),
        }
    }
    assert!(broken.is_empty(), "seeds that break a property (panic messages above): {broken:#?}");
    total
}

#[test]
fn settings_seeds_keep_their_properties() {
    let seen = replay("settings", checks::settings::check);
    assert!(seen.ok >= 3 && seen.err >= 5, "{seen:?}");
}

#[test]
fn model_spec_seeds_keep_their_properties() {
    let seen = replay("model_spec", checks::model_spec::check);
    assert!(seen.ok >= 8 && seen.err >= 3, "{seen:?}");
}

#[test]
fn converse_response_seeds_keep_their_properties() {
    let seen = replay("converse_response", checks::converse_response::check);
    // The seven recorded answers parse; the routing error and broken mutations do not.
    assert!(seen.ok >= 7 && seen.err >= 1, "{seen:?}");
    assert_eq!(seen.kinds.iter().copied().collect::<Vec<_>>(), ["invalid-response"]);
}

#[test]
fn error_mapper_seeds_keep_their_properties() {
    let seen = replay("error_mapper", checks::error_mapper::check);
    for kind in ["invalid-request", "throttled", "authentication", "access-denied", "model-error"] {
        assert!(seen.kinds.contains(kind), "no seed maps to {kind}: {seen:?}");
    }
}

#[test]
fn converse_request_seeds_keep_their_properties() {
    let seen = replay("converse_request", checks::converse_request::check);
    assert!(seen.ok >= 4 && seen.err >= 3, "{seen:?}");
}

/// The `event_stream` seeds that are spec vectors are raw copies (libFuzzer reads raw bytes) of
/// the hex / base64 text in the repository's `fixtures/eventstream/`; they must stay equal.
/// (The `converse_response` seeds are links to `fixtures/converse/`, so they cannot drift.)
#[test]
fn event_stream_seeds_of_spec_vectors_are_the_fixtures() {
    use base64::Engine as _;
    macro_rules! fixture_file {
        ($name:literal) => {
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/eventstream/", $name))
                .trim_ascii()
        };
    }
    let hex = |text: &str| hex::decode(text.replace('\n', "")).unwrap();
    let b64 = |text: &str| base64::engine::general_purpose::STANDARD.decode(text).unwrap();
    let pairs = [
        ("tv1-no-headers.bin", hex(fixture_file!("tv1.hex"))),
        ("tv2-one-header.bin", hex(fixture_file!("tv2.hex"))),
        ("tv3-all-header-types.bin", hex(fixture_file!("tv3.hex"))),
        ("tv4-converse-stream.bin", b64(fixture_file!("tv4.base64"))),
        ("tv4-converse-stream.bin", hex(fixture_file!("tv4-frames.hex"))),
        ("tv5-model-stream-error.bin", b64(fixture_file!("tv5.base64"))),
        ("tv5-model-stream-error.bin", hex(fixture_file!("tv5.hex"))),
        ("tv6-throttling.bin", hex(fixture_file!("tv6.hex"))),
        ("tv7-invoke-chunk.bin", hex(fixture_file!("tv7.hex"))),
        ("tv8-block-stop.bin", hex(fixture_file!("tv8.hex"))),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/event_stream");
    for (seed, fixture) in pairs {
        assert!(!fixture.is_empty(), "{seed}");
        assert_eq!(std::fs::read(dir.join(seed)).unwrap(), fixture, "{seed}");
    }
}

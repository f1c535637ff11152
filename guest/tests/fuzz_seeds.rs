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

//! End-to-end tests live in `tests/tests/`. This library only carries what they share that must
//! be built: the misbehaving test component.

/// The misbehaving model-provider component (`tests/guests/misbehaving`), built for
/// wasm32-wasip2 by `build.rs` (or taken from `BEDROCK_TEST_GUESTS_WASM`).
pub fn misbehaving_component() -> &'static [u8] {
    include_bytes!(env!("BEDROCK_TEST_GUESTS_WASM_PATH"))
}

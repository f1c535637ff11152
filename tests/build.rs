//! Builds the misbehaving test component (`tests/guests/misbehaving`) for wasm32-wasip2 into
//! `<target dir>/test-guests` and hands its path to the crate (`BEDROCK_TEST_GUESTS_WASM_PATH`),
//! which embeds it with `include_bytes!` (see `src/lib.rs`). `BEDROCK_TEST_GUESTS_WASM=<path>`
//! skips the nested build. The mechanics are shared with `host/gateway/build.rs`, in `build-support/`, which also embeds the component's manifest.

fn main() {
    wasm_guest_build::GuestBuild {
        package: "misbehaving-provider",
        artifact: "misbehaving_provider.wasm",
        what: "the misbehaving test component",
        override_env: "BEDROCK_TEST_GUESTS_WASM",
        path_env: "BEDROCK_TEST_GUESTS_WASM_PATH",
        inputs: &["tests/guests", "wit", "Cargo.lock", "Cargo.toml"],
        target_subdir: "test-guests",
        manifest: "tests/guests/misbehaving/manifest.json",
    }
    .run();
}

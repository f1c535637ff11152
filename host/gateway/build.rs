//! Builds the provider component (`guest/`) for wasm32-wasip2 into `<target dir>/guest` and
//! hands its path to the crate (`BEDROCK_PROVIDER_WASM_PATH`), which embeds it with
//! `include_bytes!`. `BEDROCK_PROVIDER_WASM=<path>` skips the nested build. The mechanics (clean
//! environment, fixed target directory, missing-target message) are in `build-support/`, which also embeds the component's manifest.

fn main() {
    wasm_guest_build::GuestBuild {
        package: "bedrock-provider",
        artifact: "bedrock_provider.wasm",
        what: "the provider component",
        override_env: "BEDROCK_PROVIDER_WASM",
        path_env: "BEDROCK_PROVIDER_WASM_PATH",
        inputs: &["guest/src", "guest/Cargo.toml", "wit", "Cargo.lock", "Cargo.toml"],
        target_subdir: "guest",
        manifest: "guest/manifest.json",
    }
    .run();
}

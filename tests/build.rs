//! Builds the misbehaving test component (`tests/guests/misbehaving`) for wasm32-wasip2 and hands
//! its path to the crate, which embeds it with `include_bytes!` (see `src/lib.rs`).
//!
//! The same approach as `host/build.rs` for the real component: a nested `cargo build` in the
//! workspace with a fixed target directory (`<target dir>/test-guests`, so rebuilds are
//! incremental and never contend with the outer build's lock), and a clean environment so nothing
//! meant for the host build (flags, target, target dir) leaks into it.
//! `BEDROCK_TEST_GUESTS_WASM=<path>` skips the nested build.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const TARGET: &str = "wasm32-wasip2";
const PROFILE: &str = "wasm";
const PACKAGE: &str = "misbehaving-provider";
const ARTIFACT: &str = "misbehaving_provider.wasm";

fn main() {
    if let Err(message) = run() {
        // Cargo shows a failed build script's stderr.
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    println!("cargo:rerun-if-env-changed=BEDROCK_TEST_GUESTS_WASM");
    if let Some(path) = env::var_os("BEDROCK_TEST_GUESTS_WASM") {
        let path = PathBuf::from(path);
        let path = path
            .canonicalize()
            .map_err(|e| format!("BEDROCK_TEST_GUESTS_WASM={}: {e}", path.display()))?;
        println!("cargo:rerun-if-changed={}", path.display());
        println!("cargo:rustc-env=BEDROCK_TEST_GUESTS_WASM_PATH={}", path.display());
        return Ok(());
    }

    let manifest_dir = PathBuf::from(env_var("CARGO_MANIFEST_DIR")?);
    let workspace =
        manifest_dir.parent().ok_or("the tests crate has no parent directory")?.to_path_buf();
    for input in ["tests/guests", "wit", "Cargo.lock", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", workspace.join(input).display());
    }

    check_target_installed()?;

    let out_dir = PathBuf::from(env_var("OUT_DIR")?);
    let target_dir = cargo_target_dir(&out_dir).join("test-guests");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&workspace)
        .args(["build", "-p", PACKAGE, "--target", TARGET, "--profile", PROFILE])
        .arg("--target-dir")
        .arg(&target_dir)
        // Cargo reads stdout of a build script for directives: keep the nested output apart.
        .stdout(Stdio::from(std::io::stderr()));
    // Flags and settings meant for the host build must not reach the wasm build. The jobserver
    // (CARGO_MAKEFLAGS) is kept on purpose: the nested build then shares the outer job slots.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "RUSTDOCFLAGS",
        "CARGO_ENCODED_RUSTDOCFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_TARGET_DIR",
    ] {
        cmd.env_remove(var);
    }
    eprintln!("running: {cmd:?}");
    let status = cmd.status().map_err(|e| format!("cannot run cargo for the test guests: {e}"))?;
    if !status.success() {
        return Err(format!("building the test components failed ({status})"));
    }

    let wasm = target_dir.join(TARGET).join(PROFILE).join(ARTIFACT);
    if !wasm.is_file() {
        return Err(format!("the test guest build did not produce {}", wasm.display()));
    }
    println!("cargo:rustc-env=BEDROCK_TEST_GUESTS_WASM_PATH={}", wasm.display());
    Ok(())
}

fn env_var(name: &str) -> Result<String, String> {
    env::var(name).map_err(|_| format!("cargo did not set {name}"))
}

/// Fails with an actionable message when the standard library for the wasm target is missing.
fn check_target_installed() -> Result<(), String> {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .map_err(|e| format!("cannot run rustc: {e}"))?;
    let sysroot = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let std_dir = Path::new(&sysroot).join("lib/rustlib").join(TARGET);
    if !std_dir.is_dir() {
        return Err(format!(
            "the {TARGET} target is not installed (no {}); run `rustup target add {TARGET}`, \
             or set BEDROCK_TEST_GUESTS_WASM to a prebuilt test component",
            std_dir.display()
        ));
    }
    Ok(())
}

/// The target directory of the outer build, from OUT_DIR =
/// `<target dir>[/<triple>]/<profile>/build/<pkg>-<hash>/out`; CARGO_TARGET_DIR when that layout
/// is not recognised.
fn cargo_target_dir(out_dir: &Path) -> PathBuf {
    let triple = env::var("TARGET").unwrap_or_default();
    let from_out_dir = out_dir
        .ancestors()
        .find(|d| d.file_name().is_some_and(|n| n == "build"))
        .and_then(|build| build.parent())
        .and_then(|profile| profile.parent())
        .map(|base| match base.file_name() {
            Some(name) if !triple.is_empty() && name == triple.as_str() => {
                base.parent().unwrap_or(base)
            }
            _ => base,
        });
    match (from_out_dir, env::var_os("CARGO_TARGET_DIR")) {
        (Some(dir), _) => dir.to_path_buf(),
        (None, Some(dir)) => PathBuf::from(dir),
        (None, None) => out_dir.join("target"),
    }
}

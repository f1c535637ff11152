//! Builds a workspace crate for `wasm32-wasip2` from a `build.rs`, so the calling crate can embed
//! the component with `include_bytes!(env!(..))`.
//!
//! Used by `host/gateway/build.rs` (the provider component) and `tests/build.rs` (the test
//! components). After the build it appends the component's manifest (`wit/MANIFEST.md`) as a
//! top-level custom section, so the manifest travels inside the binary it describes. The nested `cargo build` runs in the workspace with a fixed target directory
//! (`<outer target dir>/<subdir>`), so rebuilds are incremental and never contend with the outer
//! build's lock, and with a clean environment, so nothing meant for the host build (flags,
//! target, target dir) leaks into it. Setting the crate's override variable to a prebuilt
//! `.wasm` skips the nested build.
//!
//! ```no_run
//! // The whole of a build.rs's `main`:
//! wasm_guest_build::GuestBuild {
//!     package: "bedrock-provider",
//!     artifact: "bedrock_provider.wasm",
//!     what: "the provider component",
//!     override_env: "BEDROCK_PROVIDER_WASM",
//!     path_env: "BEDROCK_PROVIDER_WASM_PATH",
//!     inputs: &["guest/src", "guest/Cargo.toml", "wit", "Cargo.lock", "Cargo.toml"],
//!     target_subdir: "guest",
//!     manifest: "guest/manifest.json",
//! }
//! .run();
//! ```

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The target every component is built for.
pub const TARGET: &str = "wasm32-wasip2";
/// The Cargo profile of the nested build (the workspace's `[profile.wasm]`: small and fast).
pub const PROFILE: &str = "wasm";

/// Variables of the outer build that must not reach the nested wasm build: flags and settings
/// meant for the host. The jobserver (`CARGO_MAKEFLAGS`) is kept on purpose: the nested build
/// then shares the outer job slots.
const HOST_ONLY_ENV: [&str; 8] = [
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "RUSTDOCFLAGS",
    "CARGO_ENCODED_RUSTDOCFLAGS",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "CARGO_BUILD_TARGET_DIR",
];

/// The name of the custom section that carries a component's manifest.
pub const MANIFEST_SECTION: &str = "ai-gateway:manifest";

/// One component to build from a `build.rs`, in the workspace that contains the calling crate
/// (the nearest ancestor directory with a `Cargo.lock`).
#[derive(Debug, Clone, Copy)]
pub struct GuestBuild<'a> {
    /// The workspace package to build (`cargo build -p <package>`).
    pub package: &'a str,
    /// The file the build produces under `<target>/wasm32-wasip2/wasm/`.
    pub artifact: &'a str,
    /// What the component is, for messages ("the provider component").
    pub what: &'a str,
    /// The variable that names a prebuilt component and skips the nested build.
    pub override_env: &'a str,
    /// The `rustc-env` variable that receives the component's absolute path.
    pub path_env: &'a str,
    /// Paths, relative to the workspace root, whose changes rebuild the component.
    pub inputs: &'a [&'a str],
    /// The nested build's target directory, under the outer build's target directory.
    pub target_subdir: &'a str,
    /// The component's manifest (JSON), relative to the workspace root; embedded as the
    /// [`MANIFEST_SECTION`] custom section unless the component already carries one.
    pub manifest: &'a str,
}

impl GuestBuild<'_> {
    /// Builds the component (or takes the prebuilt one) and prints the Cargo directives; on
    /// failure prints the reason and exits with status 1, which fails the outer build.
    pub fn run(&self) {
        if let Err(message) = self.build() {
            // Cargo shows a failed build script's stderr.
            eprintln!("error: {message}");
            std::process::exit(1);
        }
    }

    /// Builds the component (or takes the prebuilt one), prints the Cargo directives and returns
    /// the component's path.
    pub fn build(&self) -> Result<PathBuf, String> {
        println!("cargo:rerun-if-env-changed={}", self.override_env);
        let manifest_dir = PathBuf::from(env_var("CARGO_MANIFEST_DIR")?);
        let workspace = manifest_dir
            .ancestors()
            .find(|dir| dir.join("Cargo.lock").is_file())
            .ok_or_else(|| format!("no workspace (Cargo.lock) above {}", manifest_dir.display()))?
            .to_path_buf();
        let manifest_path = workspace.join(self.manifest);
        println!("cargo:rerun-if-changed={}", manifest_path.display());
        let built = match env::var_os(self.override_env) {
            Some(path) => {
                let path = PathBuf::from(path);
                let path = path
                    .canonicalize()
                    .map_err(|e| format!("{}={}: {e}", self.override_env, path.display()))?;
                println!("cargo:rerun-if-changed={}", path.display());
                path
            }
            None => self.build_nested(&workspace)?,
        };
        let manifest = std::fs::read(&manifest_path)
            .map_err(|e| format!("cannot read {}: {e}", manifest_path.display()))?;
        let wasm =
            std::fs::read(&built).map_err(|e| format!("cannot read {}: {e}", built.display()))?;
        let out = PathBuf::from(env_var("OUT_DIR")?).join(self.artifact);
        std::fs::write(&out, with_manifest(wasm, &manifest))
            .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        println!("cargo:rustc-env={}={}", self.path_env, out.display());
        Ok(out)
    }

    /// Runs the nested `cargo build` and returns the path of the component it produced.
    fn build_nested(&self, workspace: &Path) -> Result<PathBuf, String> {
        for input in self.inputs {
            println!("cargo:rerun-if-changed={}", workspace.join(input).display());
        }

        self.check_target_installed()?;

        let out_dir = PathBuf::from(env_var("OUT_DIR")?);
        let outer = outer_target_dir(
            &out_dir,
            &env::var("TARGET").unwrap_or_default(),
            env::var_os("CARGO_TARGET_DIR").map(PathBuf::from),
        );
        let target_dir = outer.join(self.target_subdir);
        let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(workspace)
            .args(["build", "-p", self.package, "--target", TARGET, "--profile", PROFILE])
            .arg("--target-dir")
            .arg(&target_dir)
            // Cargo reads stdout of a build script for directives: keep the nested output apart.
            .stdout(Stdio::from(std::io::stderr()));
        for var in HOST_ONLY_ENV {
            cmd.env_remove(var);
        }
        eprintln!("running: {cmd:?}");
        let status =
            cmd.status().map_err(|e| format!("cannot run cargo to build {}: {e}", self.what))?;
        if !status.success() {
            return Err(format!("building {} failed ({status})", self.what));
        }

        let wasm = target_dir.join(TARGET).join(PROFILE).join(self.artifact);
        if !wasm.is_file() {
            return Err(format!("the build of {} did not produce {}", self.what, wasm.display()));
        }
        Ok(wasm)
    }

    /// Fails with an actionable message when the standard library for the wasm target is missing.
    fn check_target_installed(&self) -> Result<(), String> {
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
                 or set {} to the path of a prebuilt {}",
                std_dir.display(),
                self.override_env,
                self.artifact,
            ));
        }
        Ok(())
    }
}

/// `component` with `manifest` appended as a top-level custom section named
/// [`MANIFEST_SECTION`], or unchanged when it already carries one (a prebuilt component keeps
/// the manifest it shipped with).
///
/// Written by hand because it is five bytes of framing: a custom section (id 0, then the LEB128
/// size, the LEB128 name length, the name and the payload) may stand anywhere in a component,
/// and runtimes skip ones they do not know.
pub fn with_manifest(mut component: Vec<u8>, manifest: &[u8]) -> Vec<u8> {
    if find_custom_section(&component, MANIFEST_SECTION).is_some() {
        return component;
    }
    let mut contents = Vec::with_capacity(manifest.len() + MANIFEST_SECTION.len() + 5);
    write_leb128(&mut contents, MANIFEST_SECTION.len());
    contents.extend_from_slice(MANIFEST_SECTION.as_bytes());
    contents.extend_from_slice(manifest);
    component.push(0);
    write_leb128(&mut component, contents.len());
    component.extend_from_slice(&contents);
    component
}

/// The payload of the top-level custom section `name` of a component or module (not of nested
/// modules), if any. Stops at the first malformed section.
pub fn find_custom_section<'a>(binary: &'a [u8], name: &str) -> Option<&'a [u8]> {
    let mut rest = binary.get(8..)?;
    while let Some((&id, after_id)) = rest.split_first() {
        let (size, after_size) = read_leb128(after_id)?;
        let contents = after_size.get(..size)?;
        rest = &after_size[size..];
        if id == 0 {
            let (name_len, after_len) = read_leb128(contents)?;
            if after_len.get(..name_len)? == name.as_bytes() {
                return Some(&after_len[name_len..]);
            }
        }
    }
    None
}

fn write_leb128(out: &mut Vec<u8>, mut value: usize) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn read_leb128(bytes: &[u8]) -> Option<(usize, &[u8])> {
    let mut value = 0usize;
    for (i, &byte) in bytes.iter().enumerate().take(5) {
        value |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, &bytes[i + 1..]));
        }
    }
    None
}

fn env_var(name: &str) -> Result<String, String> {
    env::var(name).map_err(|_| format!("cargo did not set {name}"))
}

/// The target directory of the outer build, from `out_dir` =
/// `<target dir>[/<triple>]/<profile>/build/<pkg>-<hash>/out` (`triple` is the outer build's
/// `TARGET`); `cargo_target_dir` (the outer `CARGO_TARGET_DIR`) when that layout is not
/// recognised.
fn outer_target_dir(out_dir: &Path, triple: &str, cargo_target_dir: Option<PathBuf>) -> PathBuf {
    let from_out_dir = out_dir
        .ancestors()
        .find(|d| d.file_name().is_some_and(|n| n == "build"))
        .and_then(|build| build.parent())
        .and_then(|profile| profile.parent())
        .map(|base| match base.file_name() {
            Some(name) if !triple.is_empty() && name == triple => base.parent().unwrap_or(base),
            _ => base,
        });
    match (from_out_dir, cargo_target_dir) {
        (Some(dir), _) => dir.to_path_buf(),
        (None, Some(dir)) => dir,
        (None, None) => out_dir.join("target"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRIPLE: &str = "x86_64-unknown-linux-gnu";

    /// The smallest component: the preamble with the component-layer version.
    const EMPTY_COMPONENT: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

    #[test]
    fn manifest_is_appended_once_and_found_again() {
        let manifest = br#"{"manifestVersion":1}"#.repeat(20);
        let with = with_manifest(EMPTY_COMPONENT.to_vec(), &manifest);
        assert_eq!(find_custom_section(&with, MANIFEST_SECTION), Some(&manifest[..]));
        assert_eq!(with_manifest(with.clone(), b"{}"), with, "an existing manifest is kept");
        assert_eq!(find_custom_section(&EMPTY_COMPONENT, MANIFEST_SECTION), None);
        assert_eq!(find_custom_section(&with, "other"), None);
        assert_eq!(find_custom_section(&with[..with.len() - 1], MANIFEST_SECTION), None);
    }

    #[test]
    fn target_dir_of_a_host_build() {
        let out = Path::new("/t/debug/build/bedrock-gateway-0123/out");
        assert_eq!(outer_target_dir(out, TRIPLE, None), Path::new("/t"));
    }

    #[test]
    fn target_dir_of_a_build_with_explicit_target_drops_the_triple() {
        let out = Path::new("/t/x86_64-unknown-linux-gnu/release/build/bedrock-tests-4567/out");
        assert_eq!(outer_target_dir(out, TRIPLE, None), Path::new("/t"));
    }

    #[test]
    fn custom_profile_directory_is_a_profile_too() {
        let out = Path::new("/t/bench/build/bedrock-gateway-89ab/out");
        assert_eq!(outer_target_dir(out, TRIPLE, None), Path::new("/t"));
    }

    #[test]
    fn unknown_layout_falls_back_to_cargo_target_dir_then_out_dir() {
        let out = Path::new("/somewhere/else/out");
        let env = Some(PathBuf::from("/from-env"));
        assert_eq!(outer_target_dir(out, TRIPLE, env), Path::new("/from-env"));
        assert_eq!(outer_target_dir(out, TRIPLE, None), Path::new("/somewhere/else/out/target"));
    }
}

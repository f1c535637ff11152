//! The wasmtime engine: configuration, the epoch ticker, and the on-disk cache of compiled
//! components.
//!
//! One engine serves every call of a [`crate::Host`]. It uses the pooling allocator (instances
//! are created per call, so their memory is recycled rather than mapped afresh), epoch
//! interruption (the wall-clock deadline of a call), and compiles the component once; the
//! compiled artifact is cached on disk so later starts skip Cranelift entirely.

use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context;
use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig};

/// How often the epoch advances; the resolution of call deadlines.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Core instances a component may create (the Rust component has a main module plus the
/// small shim modules of its canonical ABI glue).
const CORE_INSTANCES_PER_COMPONENT: u32 = 8;

/// Tables per component (the main module's and the shims').
const TABLES_PER_COMPONENT: u32 = 4;

/// Wasm page size: pool slots are whole pages.
const WASM_PAGE: usize = 64 * 1024;

/// Linear memory kept resident per pool slot: above the component's initial 1.2 MiB (a 1 MiB
/// stack plus data) and a chat call's heap.
const KEEP_RESIDENT_BYTES: usize = 4 << 20;
/// Table memory kept resident per pool slot.
const KEEP_RESIDENT_TABLE_BYTES: usize = 64 << 10;

/// Sizing of the engine's instance pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolLimits {
    /// Instances that may exist at the same time (one per in-flight call or open stream).
    pub max_instances: u32,
    /// The most linear memory one instance may use.
    pub memory_limit_bytes: usize,
}

/// Creates the engine: component model, epoch interruption, Cranelift optimising for speed,
/// parallel compilation, and a pooling allocator sized by `limits`.
///
/// Each pool slot reserves only `memory_limit_bytes` (plus the default guard) of address space,
/// not the 4 GiB that elides bounds checks: 1000 slots then reserve tens, not thousands, of GiB.
pub fn new_engine(limits: PoolLimits) -> anyhow::Result<Engine> {
    let memory = limits.memory_limit_bytes.max(WASM_PAGE).div_ceil(WASM_PAGE) * WASM_PAGE;
    let n = limits.max_instances.max(1);

    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(n)
        .total_core_instances(n.saturating_mul(CORE_INSTANCES_PER_COMPONENT))
        .total_memories(n)
        .total_tables(n.saturating_mul(TABLES_PER_COMPONENT))
        .total_stacks(n)
        .max_memory_size(memory);
    // A freed slot is reset with `memset` over the pages the call touched (found with the
    // PAGEMAP_SCAN ioctl where the kernel has it, Linux 6.7+) instead of `madvise`, so the next
    // call does not fault its stack and heap in again: -25% per call in the benchmark. The price
    // is RSS: each warm slot keeps what it touched (about 1.5 MiB for a chat call) resident.
    pool.linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
        .table_keep_resident(KEEP_RESIDENT_TABLE_BYTES)
        .pagemap_scan(wasmtime::Enabled::Auto);

    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .parallel_compilation(true)
        .cranelift_opt_level(OptLevel::Speed)
        .memory_reservation(u64::try_from(memory).context("memory limit too large")?)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config).map_err(anyhow::Error::from).context("cannot create the wasmtime engine")
}

/// Starts the thread that advances the engine's epoch every [`EPOCH_TICK`]. It holds only a
/// weak reference and ends on its own once the engine is dropped.
pub fn start_epoch_ticker(engine: &Engine) -> std::io::Result<JoinHandle<()>> {
    let engine = engine.weak();
    std::thread::Builder::new().name("wasm-epoch-ticker".into()).spawn(move || {
        loop {
            std::thread::sleep(EPOCH_TICK);
            match engine.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => break,
            }
        }
    })
}

/// Where compiled components are cached when no directory is configured:
/// `$XDG_CACHE_HOME/provider-runtime`, else `~/.cache/provider-runtime`, else the temp dir.
pub fn default_cache_dir() -> PathBuf {
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = non_empty("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("provider-runtime");
    }
    if let Some(home) = non_empty("HOME") {
        return PathBuf::from(home).join(".cache").join("provider-runtime");
    }
    std::env::temp_dir().join("provider-runtime")
}

/// How [`load_component`] obtained the component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Loaded from the cache file, no compilation.
    Hit,
    /// Compiled; `stored` says whether the artifact was written to the cache.
    Compiled {
        /// The cache file was written.
        stored: bool,
    },
}

/// The cache file name for `wasm` on `engine`: the content hash of the component plus the
/// engine's compatibility hash (wasmtime version, target, and compilation settings).
pub fn cache_key(engine: &Engine, wasm: &[u8]) -> String {
    let mut compat = ShaHasher(Sha256::new());
    std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut compat);
    let engine_hash = hex::encode(compat.0.finalize());
    format!("{}-{}", hex::encode(Sha256::digest(wasm)), &engine_hash[..16])
}

/// Returns the compiled component, from `<cache_dir>/<key>.cwasm` when present and valid,
/// else by compiling `wasm` and storing the result there. Cache problems are logged, never
/// fatal: the worst case is compiling every time.
pub fn load_component(
    engine: &Engine,
    wasm: &[u8],
    cache_dir: &Path,
) -> anyhow::Result<(Component, CacheOutcome)> {
    let path = cache_dir.join(format!("{}.cwasm", cache_key(engine, wasm)));
    if path.is_file() {
        let started = Instant::now();
        match deserialize_cached(engine, &path) {
            Ok(component) => {
                tracing::debug!(path = %path.display(), elapsed = ?started.elapsed(),
                    "loaded the compiled component from the cache");
                return Ok((component, CacheOutcome::Hit));
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e,
                    "ignoring an unusable cached component; compiling again");
                let _ = std::fs::remove_file(&path);
            }
        }
    }

    let started = Instant::now();
    let component = Component::new(engine, wasm)
        .map_err(anyhow::Error::from)
        .context("cannot compile the provider component")?;
    tracing::debug!(elapsed = ?started.elapsed(), "compiled the provider component");
    let stored = match store(&component, cache_dir, &path) {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %format!("{e:#}"),
                "cannot cache the compiled component");
            false
        }
    };
    Ok((component, CacheOutcome::Compiled { stored }))
}

/// Loads a compiled component that [`store`] wrote.
#[allow(unsafe_code)]
fn deserialize_cached(engine: &Engine, path: &Path) -> wasmtime::Result<Component> {
    // SAFETY: `deserialize_file` trusts the file to be wasmtime's own output, since it maps
    // the machine code and runs it. This file is ours: it lives in our cache directory, its
    // name is the SHA-256 of the exact component bytes plus the engine's compatibility hash
    // (so it can only be the artifact of this component for an engine configured like this
    // one; wasmtime re-checks the version and settings in its header anyway), and it is only
    // ever written whole, through a temporary file renamed into place, so a crash mid-write
    // cannot leave a truncated artifact under this name, and a file that is mapped is never
    // rewritten in place (a replacement is a new inode).
    unsafe { Component::deserialize_file(engine, path) }
}

/// Writes the compiled artifact atomically: a uniquely named temp file, then a rename.
fn store(component: &Component, dir: &Path, path: &Path) -> anyhow::Result<()> {
    let bytes = component.serialize().map_err(anyhow::Error::from)?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tmp = path.with_extension(format!("tmp-{}-{nanos}", std::process::id()));
    std::fs::write(&tmp, &bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        anyhow::Error::from(e).context(format!("cannot rename into {}", path.display()))
    })
}

/// Feeds `Hash` input into SHA-256, so the compatibility hash is stable across processes
/// (std's hashers make no such promise).
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    pub(crate) fn temp_dir(name: &str) -> PathBuf {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir()
            .join(format!("provider-runtime-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// The smallest valid component: the preamble with the component-layer version.
    const EMPTY_COMPONENT: &[u8] = &[0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

    fn small_engine() -> Engine {
        new_engine(PoolLimits { max_instances: 4, memory_limit_bytes: 16 << 20 }).unwrap()
    }

    #[test]
    fn cache_hit_after_first_compile_and_recovery_from_corruption() {
        let engine = small_engine();
        let wasm = EMPTY_COMPONENT;
        let dir = temp_dir("cache");
        let file = dir.join(format!("{}.cwasm", cache_key(&engine, wasm)));

        let started = Instant::now();
        let (_, outcome) = load_component(&engine, wasm, &dir).unwrap();
        eprintln!("Component::new in this build: {:?}", started.elapsed());
        assert_eq!(outcome, CacheOutcome::Compiled { stored: true });
        assert!(file.is_file(), "no cache file at {}", file.display());

        let started = Instant::now();
        let (component, outcome) = load_component(&engine, wasm, &dir).unwrap();
        eprintln!("load from the cache: {:?}", started.elapsed());
        assert_eq!(outcome, CacheOutcome::Hit);
        // The cached component is usable: its type can be read.
        assert_eq!(component.component_type().exports(&engine).count(), 0);

        // A corrupt file is replaced by a fresh compile, which then hits again. (Replaced by a
        // rename, as `store` does: rewriting a file in place under a live mapping is SIGBUS.)
        drop(component);
        let corrupt = dir.join("corrupt.tmp");
        std::fs::write(&corrupt, b"\x7fELF definitely not a compiled component").unwrap();
        std::fs::rename(&corrupt, &file).unwrap();
        let (_, outcome) = load_component(&engine, wasm, &dir).unwrap();
        assert_eq!(outcome, CacheOutcome::Compiled { stored: true });
        assert_eq!(load_component(&engine, wasm, &dir).unwrap().1, CacheOutcome::Hit);

        // No temp files are left behind.
        let names: Vec<_> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "{names:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn unwritable_cache_is_not_fatal() {
        let engine = small_engine();
        let dir = temp_dir("cache-ro");
        let blocker = dir.join("not-a-dir");
        std::fs::write(&blocker, b"").unwrap();
        let (_, outcome) = load_component(&engine, EMPTY_COMPONENT, &blocker).unwrap();
        assert_eq!(outcome, CacheOutcome::Compiled { stored: false });
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn cache_key_tracks_content_and_engine() {
        let engine = small_engine();
        let a = cache_key(&engine, b"component a");
        assert_eq!(a, cache_key(&engine, b"component a"));
        assert_ne!(a, cache_key(&engine, b"component b"));
        let other = {
            let mut config = Config::new();
            config.cranelift_opt_level(OptLevel::None);
            Engine::new(&config).unwrap()
        };
        assert_ne!(a, cache_key(&other, b"component a"));
        assert_eq!(a.len(), 64 + 1 + 16);
    }

    /// `(module (func (export "spin") (loop (br 0))))`, hand-assembled.
    const SPIN_MODULE: &[u8] = &[
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: () -> ()
        0x03, 0x02, 0x01, 0x00, // function section
        0x07, 0x08, 0x01, 0x04, b's', b'p', b'i', b'n', 0x00, 0x00, // export "spin"
        0x0a, 0x09, 0x01, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, // loop { br 0 }
    ];

    #[test]
    fn ticker_interrupts_a_spinning_guest_and_stops_with_the_engine() {
        let engine = small_engine();
        let ticker = start_epoch_ticker(&engine).unwrap();
        let module = wasmtime::Module::new(&engine, SPIN_MODULE).unwrap();
        let mut store = wasmtime::Store::new(&engine, ());
        store.set_epoch_deadline(3);
        let instance = wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
        let spin = instance.get_typed_func::<(), ()>(&mut store, "spin").unwrap();
        let started = Instant::now();
        let err = spin.call(&mut store, ()).unwrap_err();
        assert_eq!(err.downcast_ref::<wasmtime::Trap>(), Some(&wasmtime::Trap::Interrupt));
        assert!(started.elapsed() >= EPOCH_TICK * 2, "{:?}", started.elapsed());
        assert!(!ticker.is_finished());

        // The trap's backtrace refers to the module, which holds the engine.
        drop((err, store, instance, spin, module, engine));
        let deadline = Instant::now() + Duration::from_secs(2);
        while !ticker.is_finished() && Instant::now() < deadline {
            std::thread::sleep(EPOCH_TICK);
        }
        assert!(ticker.is_finished(), "the ticker outlived its engine");
    }
}

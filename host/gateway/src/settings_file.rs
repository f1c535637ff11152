//! Reading the settings file without trusting what its path names.
//!
//! The path may name a FIFO (opening it for reading waits for a writer; reading waits for
//! data), a device such as `/dev/zero` (never ends), or a huge file. Any of these would freeze
//! the process that reads it or exhaust its memory: `serve` reads the file again on every
//! SIGHUP. So the file is opened without blocking, must be a regular file, and is read only up
//! to [`MAX_SETTINGS_BYTES`].

use std::io::Read;
use std::path::Path;

use anyhow::{Context, bail};
use rustix::fs::{Mode, OFlags};

/// The largest settings file read: real ones are a few hundred bytes.
pub const MAX_SETTINGS_BYTES: u64 = 1024 * 1024;

/// What kind of file the path names, as far as reading it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file (through any symlinks).
    Regular,
    /// A directory.
    Directory,
    /// A FIFO, socket or device.
    Special,
}

/// Whether a file of `kind` and `len` bytes may be read as settings; the reason when not.
pub fn check(kind: FileKind, len: u64, max: u64) -> Result<(), String> {
    match kind {
        FileKind::Directory => Err("it is a directory, not a file".to_string()),
        FileKind::Special => Err(
            "it is not a regular file (a FIFO, socket or device), which could block or never end"
                .to_string(),
        ),
        FileKind::Regular if len > max => {
            Err(format!("it is {len} bytes; a settings file may be at most {max} bytes"))
        }
        FileKind::Regular => Ok(()),
    }
}

/// Reads the settings file at `path` as UTF-8 text, refusing what [`check`] refuses.
pub fn read(path: &Path) -> anyhow::Result<String> {
    // O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer; it changes
    // nothing for a regular file, the only kind read.
    let fd =
        rustix::fs::open(path, OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC, Mode::empty())
            .map_err(std::io::Error::from)?;
    let file = std::fs::File::from(fd);
    let metadata = file.metadata()?;
    let kind = if metadata.is_file() {
        FileKind::Regular
    } else if metadata.is_dir() {
        FileKind::Directory
    } else {
        FileKind::Special
    };
    if let Err(why) = check(kind, metadata.len(), MAX_SETTINGS_BYTES) {
        bail!(why);
    }
    let mut bytes = Vec::new();
    // One byte more than the cap tells a file that grew since the check from one that fits.
    file.take(MAX_SETTINGS_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SETTINGS_BYTES {
        bail!("it grew past {MAX_SETTINGS_BYTES} bytes while being read");
    }
    String::from_utf8(bytes).context("it is not UTF-8 text")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_small_regular_files_are_read() {
        let rows = [
            ((FileKind::Regular, 0), true),
            ((FileKind::Regular, 1024), true),
            ((FileKind::Regular, 1025), false),
            ((FileKind::Regular, u64::MAX), false),
            ((FileKind::Directory, 0), false),
            ((FileKind::Special, 0), false),
        ];
        for ((kind, len), ok) in rows {
            assert_eq!(check(kind, len, 1024).is_ok(), ok, "{kind:?} {len}");
        }
        assert!(check(FileKind::Special, 0, 1024).unwrap_err().contains("FIFO"));
    }

    #[test]
    fn devices_fifos_and_huge_files_are_refused_without_blocking() {
        let dir = std::env::temp_dir().join(format!("settings-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fine = dir.join("fine.json");
        std::fs::write(&fine, "{}").unwrap();
        assert_eq!(read(&fine).unwrap(), "{}");
        // Sparse: 100 MB long without using the disk.
        let huge = dir.join("huge.json");
        std::fs::File::create(&huge).unwrap().set_len(100_000_000).unwrap();
        assert!(read(&huge).unwrap_err().to_string().contains("100000000 bytes"));
        assert!(read(Path::new("/dev/zero")).unwrap_err().to_string().contains("not a regular"));
        assert!(read(&dir).unwrap_err().to_string().contains("directory"));
        let fifo = dir.join("fifo");
        let _ = std::fs::remove_file(&fifo);
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, Mode::from_raw_mode(0o600)).unwrap();
        let started = std::time::Instant::now();
        assert!(read(&fifo).unwrap_err().to_string().contains("FIFO"));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        std::fs::write(dir.join("latin1.json"), [0xe9]).unwrap();
        assert!(read(&dir.join("latin1.json")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! CPU time and resident memory of a process, from Linux's `/proc`.
//!
//! A load benchmark charges the gateway only with the CPU its own process used (the deltas of
//! `utime + stime`), so the load generator and the upstream, which run elsewhere, never count.

use std::path::PathBuf;
use std::time::Duration;

/// Clock ticks per second in `/proc/<pid>/stat` (`USER_HZ`: 100 on every Linux target we run).
const USER_HZ: u64 = 100;

/// Reads a process's counters.
#[derive(Debug, Clone)]
pub struct ProcessProbe {
    pid: u32,
    dir: PathBuf,
}

/// One reading of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessSample {
    /// User plus system CPU time since the process started (all threads, live and exited).
    pub cpu: Duration,
    /// Resident set size (`VmRSS`), in bytes.
    pub rss_bytes: u64,
}

impl ProcessProbe {
    /// Watches process `pid`.
    pub fn new(pid: u32) -> Self {
        Self { pid, dir: PathBuf::from(format!("/proc/{pid}")) }
    }

    /// Watches this process.
    pub fn current() -> Self {
        Self::new(std::process::id())
    }

    /// The process watched.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Reads CPU time and RSS now.
    pub fn sample(&self) -> std::io::Result<ProcessSample> {
        let stat = std::fs::read_to_string(self.dir.join("stat"))?;
        let status = std::fs::read_to_string(self.dir.join("status"))?;
        let cpu = cpu_ticks(&stat)
            .map(|ticks| Duration::from_nanos(ticks.saturating_mul(1_000_000_000 / USER_HZ)))
            .ok_or_else(|| invalid(format!("unexpected /proc/{}/stat", self.pid)))?;
        let rss_bytes = rss_kib(&status)
            .map(|kib| kib * 1024)
            .ok_or_else(|| invalid(format!("no VmRSS in /proc/{}/status", self.pid)))?;
        Ok(ProcessSample { cpu, rss_bytes })
    }
}

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}

/// `utime + stime` (fields 14 and 15) of a `/proc/<pid>/stat` line. The command name (field 2)
/// may contain spaces and parentheses, so fields are counted from its closing parenthesis.
fn cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// The `VmRSS:   1234 kB` line of `/proc/<pid>/status`.
fn rss_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_stat_with_a_tricky_command_name() {
        let stat = "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 500 0 0 0 731 42 0 0 20 0 3 0";
        assert_eq!(cpu_ticks(stat), Some(773));
        assert_eq!(cpu_ticks("garbage"), None);
    }

    #[test]
    fn parses_rss() {
        assert_eq!(rss_kib("Name:\tx\nVmRSS:\t   12345 kB\nThreads:\t3\n"), Some(12345));
        assert_eq!(rss_kib("Name:\tx\n"), None);
    }

    #[test]
    fn samples_this_process() {
        let probe = ProcessProbe::current();
        let before = probe.sample().unwrap();
        let mut x = 0u64;
        let started = std::time::Instant::now();
        while started.elapsed() < Duration::from_millis(50) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let after = probe.sample().unwrap();
        assert!(after.cpu >= before.cpu);
        assert!(after.rss_bytes > 1024 * 1024, "{after:?}");
    }
}

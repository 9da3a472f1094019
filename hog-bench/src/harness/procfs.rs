//! What `/proc` says of a process: CPU time and resident memory, and a
//! sampler that keeps the peaks of the memory figures while a run lasts.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Whether some socket listens on TCP `port` (IPv4 or IPv6), read from
/// `/proc/net` without connecting: a connection that closes unused makes
/// the C++ receiver spin on it for good (it reads EOF as progress).
pub fn tcp_listening(port: u16) -> bool {
    let wanted = format!(":{port:04X}");
    ["/proc/net/tcp", "/proc/net/tcp6"].iter().any(|table| {
        std::fs::read_to_string(table)
            .unwrap_or_default()
            .lines()
            .skip(1)
            .any(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                fields.len() > 3 && fields[1].ends_with(&wanted) && fields[3] == "0A"
            })
    })
}

/// CPU seconds (user + system, every thread, live or exited) of `pid`.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / clock_ticks())
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as f64
    } else {
        100.0
    }
}

/// Resident memory of a process, bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Memory {
    /// All resident memory (`VmRSS`).
    pub rss: u64,
    /// Anonymous memory: heap, stacks (`RssAnon`).
    pub anon: u64,
    /// Mapped files and shared memory (`RssFile` + `RssShmem`).
    pub mapped: u64,
}

impl Memory {
    /// The figures of `pid` now.
    pub fn of(pid: u32) -> Option<Memory> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let kib = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|rest| {
                    rest.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
                .map_or(0, |k| k * 1024)
        };
        Some(Memory {
            rss: kib("VmRSS:"),
            anon: kib("RssAnon:"),
            mapped: kib("RssFile:") + kib("RssShmem:"),
        })
    }

    fn max(self, other: Memory) -> Memory {
        Memory {
            rss: self.rss.max(other.rss),
            anon: self.anon.max(other.anon),
            mapped: self.mapped.max(other.mapped),
        }
    }
}

/// Samples a process's memory every 10 ms, keeping each figure's peak.
pub struct MemorySampler {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Memory>,
}

impl MemorySampler {
    /// Starts sampling `pid`.
    pub fn start(pid: u32) -> MemorySampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut peak = Memory::default();
            loop {
                if let Some(m) = Memory::of(pid) {
                    peak = peak.max(m);
                }
                if flag.load(Ordering::Relaxed) {
                    return peak;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        MemorySampler { stop, thread }
    }

    /// Stops sampling; the peaks seen.
    pub fn finish(self) -> Memory {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_cpu_time_and_memory() {
        let me = std::process::id();
        assert!(cpu_seconds(me).is_some());
        let m = Memory::of(me).unwrap();
        assert!(m.rss > 0 && m.anon > 0);
    }
}

//! The machine a report was measured on, and how busy it was.

use std::fmt;

/// What the report says of the machine.
#[derive(Debug, Clone)]
pub struct Machine {
    /// CPUs this process may use.
    pub nproc: usize,
    /// `model name` of /proc/cpuinfo.
    pub cpu: String,
    /// MemTotal, bytes.
    pub memory: u64,
    /// Kernel release.
    pub kernel: String,
    /// 1-minute load average when the measurement started.
    pub load: f64,
    /// Other compilers (cargo, cargo-fuzz, rustc) running when it started.
    pub compilers: usize,
}

impl Machine {
    /// This machine, now.
    pub fn describe() -> Machine {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        let cpuinfo = read("/proc/cpuinfo");
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|l| l.split_once(':'))
            .map_or("unknown".into(), |(_, v)| v.trim().to_string());
        let memory = read("/proc/meminfo")
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |k| k * 1024);
        Machine {
            nproc: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu,
            memory,
            kernel: read("/proc/sys/kernel/osrelease").trim().to_string(),
            load: load(),
            compilers: compilers_running(),
        }
    }
}

/// Processes named `cargo`, `cargo-fuzz` or `rustc`, other than our
/// ancestors (a `cargo run` that started us).
pub fn compilers_running() -> usize {
    let ours = ancestors();
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .filter(|pid| !ours.contains(pid))
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).ok())
        .filter(|c| matches!(c.trim(), "cargo" | "cargo-fuzz" | "rustc"))
        .count()
}

fn ancestors() -> Vec<u32> {
    let mut out = Vec::new();
    let mut pid = std::process::id();
    while pid > 1 && out.len() < 64 {
        out.push(pid);
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        pid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
    }
    out
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} CPUs ({}), {:.1} GiB memory, Linux {}; load {:.2} at start, {} cargo/rustc processes running",
            self.nproc,
            self.cpu,
            self.memory as f64 / (1u64 << 30) as f64,
            self.kernel,
            self.load,
            self.compilers
        )
    }
}

/// The 1-minute load average now.
pub fn load() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

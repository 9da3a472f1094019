//! The report: the results table, the throughput plot, and where they go.

pub mod reference;
pub mod svg;
pub mod table;

use std::path::Path;
use std::process::Command;

use crate::figures::metric::Metrics;
use crate::harness::machine::Machine;
use crate::harness::options::Options;

/// File name of the results table written by `--out`.
pub const RESULTS: &str = "benchmark-results.md";
/// File name of the plot written by `--out`.
pub const PLOT: &str = "benchmark-throughput.svg";

/// What was measured, where and how, in one paragraph.
pub fn conditions(machine: &Machine, options: &Options) -> String {
    let records: Vec<String> = options
        .workloads
        .iter()
        .map(|&w| format!("{w} {}", options.records(w)))
        .collect();
    format!(
        "Measured {} at {} on {machine}. {} runs per figure{}; records per run: {}.",
        run(&["date", "-u", "+%Y-%m-%d %H:%M UTC"]),
        measured(options),
        options.runs,
        if options.quick { " (--quick)" } else { "" },
        records.join(", ")
    )
}

/// What was measured: `--label`, else the git commit here.
fn measured(options: &Options) -> String {
    options
        .label
        .clone()
        .unwrap_or_else(|| format!("commit {}", run(&["git", "rev-parse", "--short", "HEAD"])))
}

fn run(cmd: &[&str]) -> String {
    Command::new(cmd[0])
        .args(&cmd[1..])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or("unknown".into(), |o| {
            String::from_utf8_lossy(&o.stdout).trim().to_string()
        })
}

/// The results document: conditions, then the table.
pub fn results(metrics: &Metrics, conditions: &str) -> String {
    format!(
        "<!-- written by hog-bench --out; do not edit by hand -->\n\n{conditions}\n\n{}",
        table::table(&metrics.0)
    )
}

/// The plot's one-line caption: runs, what was built, the machine.
pub fn caption(machine: &Machine, options: &Options) -> String {
    format!(
        "Medians of {} runs; {}; {} CPUs ({}), Linux {}.",
        options.runs,
        measured(options),
        machine.nproc,
        machine.cpu,
        machine.kernel
    )
}

/// Writes the results and the plot into `dir`.
pub fn write(dir: &Path, metrics: &Metrics, conditions: &str, caption: &str) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let put = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    put(RESULTS, results(metrics, conditions))?;
    put(PLOT, svg::throughput(metrics, caption))
}

//! What every figure needs: the binaries, the options, fresh run
//! directories, and the metrics gathered so far.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::machine::compilers_running;
use super::options::Options;
use super::producer::{ProducerProcess, ProducerRun};
use crate::figures::metric::{Metrics, Unit};
use crate::workload::Workload;

/// The state of a benchmark session.
pub struct Bench {
    /// The hog binary.
    pub hog: PathBuf,
    /// The benchmark producer binary.
    pub producer: PathBuf,
    /// The options.
    pub options: Options,
    /// The storage group of every run (unique to this session, so that its
    /// shared-memory regions are easy to find and remove).
    pub group: String,
    /// Figures measured so far.
    pub metrics: Metrics,
    /// Per figure: runs started, and how many of them while other
    /// compilers were running.
    pub runs: BTreeMap<u8, (usize, usize)>,
    quiet_until: Instant,
    dirs: u32,
}

impl Bench {
    /// A session with binaries found next to this program unless given.
    pub fn new(options: Options) -> Result<Bench, String> {
        let here = std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        let find = |given: &Option<PathBuf>, name: &str| {
            let path = given.clone().unwrap_or_else(|| here.join(name));
            if path.is_file() {
                Ok(path)
            } else {
                Err(format!(
                    "{} not found: build it first (cargo build --release -p hog-host -p hog-bench) or pass its path",
                    path.display()
                ))
            }
        };
        Ok(Bench {
            hog: find(&options.hog, "hog")?,
            producer: find(&options.producer, "hog-bench-producer")?,
            group: format!("hb{}", std::process::id()),
            quiet_until: Instant::now() + Duration::from_secs(60 * options.wait_quiet),
            options,
            metrics: Metrics::default(),
            runs: BTreeMap::new(),
            dirs: 0,
        })
    }

    /// Waits until no other compiler runs (until `--wait-quiet` minutes
    /// after the start at most); returns how many still run.
    pub fn wait_quiet(&self) -> usize {
        loop {
            let busy = compilers_running();
            if busy == 0 || Instant::now() >= self.quiet_until {
                return busy;
            }
            self.say(&format!("{busy} cargo/rustc processes running; waiting"));
            std::thread::sleep(Duration::from_secs(5));
        }
    }

    /// Called before each run of figure `figure`: waits for quiet and
    /// counts the run, and whether others were compiling at its start.
    pub fn before_run(&mut self, figure: u8) {
        let busy = self.wait_quiet();
        let entry = self.runs.entry(figure).or_default();
        entry.0 += 1;
        if busy > 0 {
            entry.1 += 1;
        }
    }

    /// Which figures had runs started while others were compiling.
    pub fn disturbed(&self) -> Vec<String> {
        self.runs
            .iter()
            .filter(|(_, (_, busy))| *busy > 0)
            .map(|(f, (all, busy))| format!("figure {f}: {busy} of {all} runs"))
            .collect()
    }

    /// Records per run of `w`.
    pub fn records(&self, w: Workload) -> u64 {
        self.options.records(w)
    }

    /// A new, empty directory for one run.
    pub fn run_dir(&mut self, name: &str) -> Result<PathBuf, String> {
        self.dirs += 1;
        let dir = self.options.work.join(format!("{:03}-{name}", self.dirs));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(dir)
    }

    /// Removes a run directory and what it holds.
    pub fn clean(&self, dir: &Path) {
        if !self.options.keep {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    /// How long anything handling `records` records may take.
    pub fn timeout(&self, records: u64) -> Duration {
        Duration::from_secs(60) + Duration::from_micros(records * 5)
    }

    /// A producer run of `records` records of `w` in `dir`.
    pub fn producer_run(
        &self,
        dir: &Path,
        w: Workload,
        records: u64,
        flags: &[&str],
    ) -> ProducerRun {
        ProducerRun {
            dir: dir.to_path_buf(),
            group: self.group.clone(),
            workload: w,
            records,
            flags: flags.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Starts a producer.
    pub fn start_producer(&self, run: &ProducerRun) -> Result<ProducerProcess, String> {
        ProducerProcess::start(&self.producer, run)
    }

    /// Records one sample of a figure.
    pub fn record(&mut self, figure: u8, key: &str, label: &str, unit: Unit, value: f64) {
        self.metrics.add(figure, key, label, unit, value);
    }

    /// Prints progress on standard error.
    pub fn say(&self, what: &str) {
        eprintln!("hog-bench: {what}");
    }

    /// Removes shared-memory regions of this session's group left behind
    /// by a failed run.
    pub fn remove_stale_regions(&self) {
        let prefix = format!("{}.", self.group);
        for entry in std::fs::read_dir("/dev/shm")
            .into_iter()
            .flatten()
            .flatten()
        {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

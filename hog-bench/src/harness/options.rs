//! The command line of `hog-bench`.

use std::path::PathBuf;

use super::hog::Protocol;
use crate::workload::Workload;

/// What to measure and where.
#[derive(Debug, Clone)]
pub struct Options {
    /// Runs per figure and workload.
    pub runs: usize,
    /// Small record counts: a smoke run.
    pub quick: bool,
    /// Figures to measure (1–7).
    pub figures: Vec<u8>,
    /// Workloads to measure.
    pub workloads: Vec<Workload>,
    /// Batch protocols to measure (figures 3, 4, 5).
    pub protocols: Vec<Protocol>,
    /// Records per run for every workload, instead of the defaults.
    pub records: Option<u64>,
    /// The hog binary.
    pub hog: Option<PathBuf>,
    /// The benchmark producer binary.
    pub producer: Option<PathBuf>,
    /// A C++ hog to measure side by side (built from hobbes, never shipped
    /// with this project).
    pub cpp_hog: Option<PathBuf>,
    /// Scratch directory for run outputs.
    pub work: PathBuf,
    /// Where to write the results table and the plot.
    pub out: Option<PathBuf>,
    /// Minutes to wait for other compilers to finish before measuring.
    pub wait_quiet: u64,
    /// Keep run directories (outputs, hog logs) for inspection.
    pub keep: bool,
    /// What was built, when not the git HEAD of the current directory.
    pub label: Option<String>,
}

/// The usage text.
pub const USAGE: &str = "\
usage: hog-bench [--runs N] [--quick] [--figures 1,2,…] [--workloads p3,i64,s256] [--protocols gzip,v2]
                 [--records N] [--hog PATH] [--producer PATH] [--cpp-hog PATH] [--work DIR]
                 [--out DIR] [--wait-quiet MINUTES] [--keep] [--label TEXT]

Starts real producer, hog and receiver processes (build them first:
cargo build --release -p hog-host -p hog-bench), verifies every run's output
and prints median (min-max) per figure against the C++ hog.

  --runs N          runs per figure and workload (default 5; 2 with --quick)
  --quick           smoke run: small record counts, well under a minute
  --figures LIST    1 producer alone, 2 local mode, 3 batch shipping,
                    4 recovery, 5 idle CPU, 6 session start, 7 memory,
                    8 compressed storage (-z), 9 NATS JetStream (needs
                    nats-server; R1 and R3 clusters) (default: all)
  --workloads LIST  default p3,i64,s256
  --protocols LIST  batch protocols of figures 3-5: gzip (hobbes), v2; default both
  --records N       records per run for every workload (default: p3 and
                    i64 20 M, s256 2 M; with --quick a hundredth)
  --hog PATH        default: `hog` next to this program
  --producer PATH   default: `hog-bench-producer` next to this program
  --cpp-hog PATH    a C++ hog (hobbes bin/hog) to measure in the same runs:
                    figure 2 runs it in local mode after ours, figure 3
                    adds ours -> C++ receiver and C++ -> C++; ours are
                    then compared with its medians
  --work DIR        scratch directory (default: $TMPDIR/hog-bench-<pid>)
  --out DIR         write DIR/benchmark-results.md and DIR/benchmark-throughput.svg
  --wait-quiet MIN  first wait up to MIN minutes for cargo/rustc to finish
  --keep            keep every run's directory (outputs, hog logs) in --work
  --label TEXT      what was measured (default: the git commit of the current
                    directory)
";

impl Options {
    /// Reads the arguments after the program name.
    pub fn parse(args: &[String]) -> Result<Options, String> {
        let mut o = Options {
            runs: 0,
            quick: false,
            figures: (1..=9).collect(),
            workloads: Workload::ALL.to_vec(),
            protocols: Protocol::ALL.to_vec(),
            records: None,
            hog: None,
            producer: None,
            cpp_hog: None,
            work: std::env::temp_dir().join(format!("hog-bench-{}", std::process::id())),
            out: None,
            wait_quiet: 0,
            keep: false,
            label: None,
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
            let number = |s: &String| s.parse::<u64>().map_err(|e| format!("{flag} {s}: {e}"));
            match flag.as_str() {
                "--runs" => o.runs = number(value()?)?.max(1) as usize,
                "--quick" => o.quick = true,
                "--keep" => o.keep = true,
                "--label" => o.label = Some(value()?.clone()),
                "--figures" => {
                    o.figures = list(value()?, |s| {
                        s.parse::<u8>()
                            .ok()
                            .filter(|f| (1..=9).contains(f))
                            .ok_or_else(|| format!("no figure '{s}' (1-8)"))
                    })?
                }
                "--workloads" => o.workloads = list(value()?, str::parse)?,
                "--protocols" => {
                    o.protocols = list(value()?, |s| {
                        Protocol::ALL
                            .into_iter()
                            .find(|p| p.key() == s)
                            .ok_or_else(|| format!("no protocol '{s}' (gzip, v2)"))
                    })?
                }
                "--records" => o.records = Some(number(value()?)?.max(1)),
                "--hog" => o.hog = Some(value()?.into()),
                "--producer" => o.producer = Some(value()?.into()),
                "--cpp-hog" => o.cpp_hog = Some(value()?.into()),
                "--work" => o.work = value()?.into(),
                "--out" => o.out = Some(value()?.into()),
                "--wait-quiet" => o.wait_quiet = number(value()?)?,
                "-h" | "--help" => return Err(USAGE.to_string()),
                other => return Err(format!("unknown argument '{other}'\n{USAGE}")),
            }
        }
        if o.runs == 0 {
            o.runs = if o.quick { 2 } else { 5 };
        }
        Ok(o)
    }

    /// Records per run of `w`.
    pub fn records(&self, w: Workload) -> u64 {
        self.records.unwrap_or(if self.quick {
            w.full_records() / 100
        } else {
            w.full_records()
        })
    }
}

fn list<T>(s: &str, parse: impl Fn(&str) -> Result<T, String>) -> Result<Vec<T>, String> {
    s.split(',').filter(|p| !p.is_empty()).map(parse).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Options {
        Options::parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn quick_runs_fewer_smaller_runs() {
        let o = parse(&["--quick"]);
        assert_eq!(o.runs, 2);
        assert_eq!(o.records(Workload::P3), 200_000);
        let o = parse(&["--runs", "7", "--figures", "2,4", "--workloads", "s256"]);
        assert_eq!((o.runs, o.figures.clone()), (7, vec![2, 4]));
        assert_eq!(o.records(Workload::S256), 2_000_000);
    }
}

//! The export benchmark: `hog export` to Parquet and to Arrow IPC against
//! `hog cat` to JSON, on the same files, with a real `hog` binary.
//!
//! `export_bench --hog PATH [--runs N] FILE...` runs each command `N`
//! times (default 5) per file, output to a temporary directory, and prints
//! a Markdown table: median wall time (minimum – maximum), records/s and
//! input MB/s, and output sizes against the input file. `PATH` must be a
//! hog built with `--features export` (use a release build).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One command's timings and what it wrote.
struct Measured {
    times: Vec<Duration>,
    bytes: u64,
    records: u64,
}

impl Measured {
    fn median(&self) -> Duration {
        let mut t = self.times.clone();
        t.sort();
        t[t.len() / 2]
    }

    fn range(&self) -> String {
        let (min, max) = (self.times.iter().min(), self.times.iter().max());
        format!(
            "{:.3} s ({:.3} – {:.3})",
            self.median().as_secs_f64(),
            min.map_or(0.0, Duration::as_secs_f64),
            max.map_or(0.0, Duration::as_secs_f64)
        )
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut hog = None;
    let mut runs = 5;
    let mut files = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--hog" => {
                hog = args.get(i + 1).map(PathBuf::from);
                i += 1;
            }
            "--runs" => {
                runs = args
                    .get(i + 1)
                    .and_then(|n| n.parse().ok())
                    .expect("--runs N");
                i += 1;
            }
            file => files.push(PathBuf::from(file)),
        }
        i += 1;
    }
    let Some(hog) = hog.filter(|_| !files.is_empty()) else {
        eprintln!("usage: export_bench --hog PATH [--runs N] FILE...");
        std::process::exit(2);
    };
    let work = std::env::temp_dir().join(format!("hog-export-bench-{}", std::process::id()));
    println!(
        "| file | input | records | what | median (min – max) | records/s | input MB/s | output | output / input |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for file in &files {
        let input = std::fs::metadata(file).expect("the input file").len();
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        let cat = measure(runs, &work, |out| cat(&hog, file, out));
        let parquet = measure(runs, &work, |out| export(&hog, file, out, "parquet"));
        let arrow = measure(runs, &work, |out| export(&hog, file, out, "arrow"));
        for (what, m) in [
            ("hog cat → JSON", &cat),
            ("hog export → Parquet", &parquet),
            ("hog export → Arrow IPC", &arrow),
        ] {
            let secs = m.median().as_secs_f64();
            let records = parquet.records;
            println!(
                "| {name} | {} | {records} | {what} | {} | {:.2} M/s | {:.0} | {} | {:.2} |",
                mib(input),
                m.range(),
                records as f64 / secs / 1e6,
                input as f64 / secs / 1e6,
                mib(m.bytes),
                m.bytes as f64 / input as f64
            );
        }
    }
    let _ = std::fs::remove_dir_all(&work);
}

fn mib(n: u64) -> String {
    format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64)
}

/// Runs `once` `runs` times, each into a fresh `work` directory.
fn measure(runs: usize, work: &Path, once: impl Fn(&Path) -> u64) -> Measured {
    let mut m = Measured {
        times: Vec::new(),
        bytes: 0,
        records: 0,
    };
    for _ in 0..runs {
        let _ = std::fs::remove_dir_all(work);
        std::fs::create_dir_all(work).expect("a work directory");
        let start = Instant::now();
        m.records = once(work);
        m.times.push(start.elapsed());
        m.bytes = dir_size(work);
    }
    m
}

/// `hog cat FILE > out/cat.json`; the lines printed.
fn cat(hog: &Path, file: &Path, out: &Path) -> u64 {
    let json = out.join("cat.json");
    let status = Command::new(hog)
        .arg("cat")
        .arg(file)
        .stdout(std::fs::File::create(&json).expect("the JSON output"))
        .status()
        .expect("hog runs");
    assert!(status.success(), "hog cat failed");
    0
}

/// `hog export FILE --out out/x --format F`; the rows written.
fn export(hog: &Path, file: &Path, out: &Path, format: &str) -> u64 {
    let result = Command::new(hog)
        .arg("export")
        .arg(file)
        .arg("--out")
        .arg(out.join("x"))
        .args(["--format", format])
        .stderr(Stdio::inherit())
        .output()
        .expect("hog runs");
    assert!(result.status.success(), "hog export failed");
    String::from_utf8_lossy(&result.stdout)
        .lines()
        .filter_map(|l| {
            l.rsplit(": ")
                .next()?
                .strip_suffix(" rows")?
                .parse::<u64>()
                .ok()
        })
        .sum()
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

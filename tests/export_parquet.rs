//! `hog export` on the command line, read back by independent readers: the
//! file of a real local-mode run is exported, and the Parquet files are
//! read with DuckDB and pyarrow and compared, value for value and in
//! order, with what `hog cat` prints for the same file
//! (`support/export_check.py`); `--from/--to` keep what `hog cat` keeps.
//! The golden files are checked the same way by hog-export's own tests.
//! Skipped, with a message, where python3 lacks duckdb or pyarrow.

mod support;

#[path = "support/readback.rs"]
mod readback;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use hog_core::fregion::Reader;
use readback::{check_export, duckdb_row, p3log, readers_available};
use serde_json::Value as Json;
use support::{example_program, hog, wait_for_producers, wait_until};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/hobbes/fregion")
}

/// Runs `hog` with `args`; its stdout, or a panic with its stderr.
fn hog_ok(args: &[&std::ffi::OsStr]) -> String {
    let out = hog().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "hog {args:?}: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

/// Exports `file` into `dir/out` (with `extra` options), prints it with
/// `hog cat`, and has the checker compare them: its summary.
fn export_and_check(file: &Path, dir: &Path, extra: &[&str]) -> Json {
    let out = dir.join("out");
    let mut args = vec![
        "export".as_ref(),
        file.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    hog_ok(&args);
    let cat = dir.join("cat.jsonl");
    std::fs::write(&cat, hog_ok(&["cat".as_ref(), file.as_os_str()])).unwrap();
    check_export(&out, &cat)
}

/// hog in local mode for group P3, stopped (SIGTERM) when dropped.
struct LocalHog(Child);

impl Drop for LocalHog {
    fn drop(&mut self) {
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let _ = self.0.wait();
    }
}

/// The one data file under `dir/P3/<date>/`, if there is one yet.
fn data_file(dir: &Path) -> Option<PathBuf> {
    let date = std::fs::read_dir(dir.join("P3")).ok()?.next()?.ok()?.path();
    let file = std::fs::read_dir(date).ok()?.next()?.ok()?.path();
    Some(file)
}

fn p3_records(file: &Path) -> u64 {
    Reader::open(file)
        .ok()
        .and_then(|r| r.series("p3").and_then(|s| s.len()).ok())
        .unwrap_or(0)
}

#[test]
fn a_local_mode_run_reads_back_equal_in_duckdb_and_pyarrow() {
    if !readers_available() {
        return;
    }
    const RECORDS: u64 = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let template = format!("{}/$GROUP/$DATE/data", d.display());
    let running = LocalHog(
        hog()
            .args(["-g", "P3", "-m"])
            .arg(d)
            .args(["-d", &template])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_producers(d, "P3");
    p3log(&example_program("hog-export", "p3log"), "P3", d, RECORDS);
    wait_until(60, "every record on disk", || {
        data_file(d).is_some_and(|f| p3_records(&f) == RECORDS)
    });
    drop(running);
    let file = data_file(d).unwrap();
    let work = d.join("work");
    std::fs::create_dir(&work).unwrap();
    let summary = export_and_check(&file, &work, &[]);
    assert_eq!(summary["tables"], 2);
    assert_eq!(summary["rows"], RECORDS + RECORDS / 10);
    assert_eq!(summary["readers"], serde_json::json!(["pyarrow", "duckdb"]));
    let ipc = d.join("ipc");
    std::fs::create_dir(&ipc).unwrap();
    let summary = export_and_check(&file, &ipc, &["--format", "arrow"]);
    assert_eq!(summary["rows"], RECORDS + RECORDS / 10);
    assert_eq!(summary["readers"], serde_json::json!(["pyarrow"]));
    // What the producer logged, independently of hog cat.
    let p3 = work.join("out/p3.parquet");
    let row = duckdb_row(&format!(
        "SELECT count(*), sum(x), max(z), min(_seq), count(DISTINCT _seq) FROM '{}'",
        p3.display()
    ));
    let n = RECORDS as i64;
    assert_eq!(
        row,
        [
            RECORDS.to_string(),
            (n * (n - 1) / 2).to_string(),
            ((n - 1) >> 10).to_string(),
            "0".to_string(),
            RECORDS.to_string()
        ]
    );
    let quote = work.join("out/quote.parquet");
    let row = duckdb_row(&format!(
        "SELECT count(*), min(epoch_us(t)), count(*) FILTER (WHERE side.ctor = 'Buy'), \
         sum(len(levels)) FROM '{}'",
        quote.display()
    ));
    let quotes = n / 10;
    assert_eq!(
        row,
        [
            quotes.to_string(),
            (1_700_000_000_000_000i64 + 9_000).to_string(),
            (quotes / 2).to_string(),
            (0..quotes)
                .map(|q| (q * 10 + 9) % 4)
                .sum::<i64>()
                .to_string(),
        ]
    );
}

#[test]
fn from_and_to_keep_transactions_in_the_range_as_cat_does() {
    if !readers_available() {
        return;
    }
    let file = golden_dir().join("local_default_VecTxn.log");
    let times: Vec<i64> = hog_ok(&["cat".as_ref(), file.as_os_str()])
        .lines()
        .map(|l| {
            serde_json::from_str::<Json>(l).unwrap()["time"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(times.len(), 4);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (from, to) = (times[1].to_string(), times[3].to_string());
    let args: Vec<&std::ffi::OsStr> = vec![
        "export".as_ref(),
        file.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--from".as_ref(),
        from.as_ref(),
        "--to".as_ref(),
        to.as_ref(),
    ];
    hog_ok(&args);
    let row = duckdb_row(&format!(
        "SELECT count(*), min(_txn), max(_txn) FROM read_parquet('{}/*.parquet', union_by_name = true)",
        out.display()
    ));
    let cat = hog_ok(&[
        "cat".as_ref(),
        file.as_os_str(),
        "--from".as_ref(),
        from.as_ref(),
        "--to".as_ref(),
        to.as_ref(),
    ]);
    let entries: usize = cat
        .lines()
        .map(|l| {
            serde_json::from_str::<Json>(l).unwrap()["entries"]
                .as_array()
                .map_or(0, Vec::len)
        })
        .sum();
    // Transactions 1 and 2 are in the range; 1 is the empty commit.
    assert_eq!(entries, 3);
    assert_eq!(row, [entries.to_string(), "2".into(), "2".into()]);
}

#[test]
fn a_log_statement_without_a_datetime_cannot_be_filtered() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let file = golden_dir().join("local_default_VecAuto.log");
    let result = hog()
        .arg("export")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .args(["--from", "2020-01-01T00:00:00Z"])
        .output()
        .unwrap();
    assert!(!result.status.success());
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains("statement 'greet'") && stderr.contains("no datetime to filter on"),
        "{stderr}"
    );
    assert!(!out.exists() || std::fs::read_dir(&out).unwrap().next().is_none());
}

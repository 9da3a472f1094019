//! Helpers of the tests that read Parquet back with independent readers:
//! whether python3 has DuckDB and pyarrow, a DuckDB query, the p3-like
//! example producer, and the checker that compares an export with
//! `hog cat`'s output (`export_check.py`).

use std::path::Path;
use std::process::{Command, Stdio};

/// Whether python3 can import duckdb and pyarrow; says the test is
/// skipped if not.
pub fn readers_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import duckdb, pyarrow"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        println!("skipped: python3 cannot import duckdb and pyarrow (pip install duckdb pyarrow)");
    }
    ok
}

/// Runs `sql` in DuckDB (python3): its one row, each value as a string.
#[allow(dead_code)]
pub fn duckdb_row(sql: &str) -> Vec<String> {
    let code = format!(
        "import duckdb, json\nprint(json.dumps([str(x) for x in duckdb.connect().execute({sql:?}).fetchall()[0]]))"
    );
    let out = Command::new("python3")
        .args(["-c", &code])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs hog-export's `p3log` example (`program`): `records` p3 records
/// (and a quote after every tenth) into `group`, served by a hog whose
/// `-m` is `dir`.
#[allow(dead_code)]
pub fn p3log(program: &Path, group: &str, dir: &Path, records: u64) {
    let status = Command::new(program)
        .arg(group)
        .arg(dir)
        .arg(records.to_string())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "p3log failed");
}

/// Has `export_check.py` compare the export in `out` with `cat` (what
/// `hog cat` printed for the same file); its JSON summary.
#[allow(dead_code)]
pub fn check_export(out: &Path, cat: &Path) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/support/export_check.py");
    let check = Command::new("python3")
        .arg(script)
        .arg(out)
        .arg(cat)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}: {}",
        out.display(),
        String::from_utf8_lossy(&check.stderr)
    );
    serde_json::from_slice(&check.stdout).unwrap()
}

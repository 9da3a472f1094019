//! Every golden fregion file, exported and read back by independent
//! readers: DuckDB and pyarrow read each Parquet file (pyarrow each Arrow
//! IPC file), and every row is compared, value for value and in order,
//! with what `hog cat` (hog-host's library function) prints for the same
//! file (`tests/support/export_check.py`). Skipped, with a message, where
//! python3 lacks duckdb or pyarrow.

#[path = "../../tests/support/readback.rs"]
mod readback;

use std::io::Read;
use std::path::{Path, PathBuf};

use hog_export::{export, Options, OutputFormat};
use hog_host::inspect::{cat, CatArgs};
use readback::{check_export, readers_available};
use serde_json::{json, Value as Json};

/// Every golden data file: tables and rows its export holds.
const GOLDEN: &[(&str, u64, u64)] = &[
    ("fregion_h_writer.db", 3, 6600),
    ("hogstat_batchsend.db.gz", 6, 15),
    ("hogstat_local.db", 2, 3),
    ("local_compressed_VecZ.log", 4, 12600),
    ("local_consolidated_VecAuto.log", 40, 1296),
    ("local_consolidated_VecTxn.log", 5, 16),
    ("local_default_VecAuto.log", 40, 648),
    ("local_default_VecTxn.log", 5, 8),
    ("local_replay_ri_mid_transaction_VecMid.log", 2, 992),
];

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/hobbes/fregion")
}

/// Exports `file` into `dir/out` as `format`, writes `hog cat FILE` to
/// `dir/cat.jsonl`, and has the checker compare them.
fn export_and_check(file: &Path, dir: &Path, format: OutputFormat) -> Json {
    let out = dir.join("out");
    export(&Options {
        files: vec![file.to_path_buf()],
        out: out.clone(),
        format,
        ..Options::default()
    })
    .unwrap();
    let mut printed = Vec::new();
    let args = CatArgs {
        file: file.to_path_buf(),
        ..CatArgs::default()
    };
    cat(&args, &mut printed).unwrap();
    let jsonl = dir.join("cat.jsonl");
    std::fs::write(&jsonl, printed).unwrap();
    check_export(&out, &jsonl)
}

/// `name` from the golden directory, gunzipped into `dir` if it is `.gz`.
fn golden_file(name: &str, dir: &Path) -> PathBuf {
    let file = golden_dir().join(name);
    let Some(plain) = name.strip_suffix(".gz") else {
        return file;
    };
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&file).unwrap())
        .read_to_end(&mut bytes)
        .unwrap();
    let to = dir.join(plain);
    std::fs::write(&to, bytes).unwrap();
    to
}

#[test]
fn every_golden_file_reads_back_equal_in_duckdb_and_pyarrow() {
    let mut present: Vec<String> = std::fs::read_dir(golden_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".json"))
        .collect();
    present.sort();
    let listed: Vec<&str> = GOLDEN.iter().map(|g| g.0).collect();
    assert_eq!(present, listed, "a golden file this test does not cover");
    if !readers_available() {
        return;
    }
    for &(name, tables, rows) in GOLDEN {
        let dir = tempfile::tempdir().unwrap();
        let file = golden_file(name, dir.path());
        let summary = export_and_check(&file, dir.path(), OutputFormat::Parquet);
        assert_eq!(summary["tables"], tables, "{name}: {summary}");
        assert_eq!(summary["rows"], rows, "{name}: {summary}");
        assert_eq!(summary["readers"], json!(["pyarrow", "duckdb"]));
    }
}

#[test]
fn arrow_ipc_output_reads_back_equal_in_pyarrow() {
    if !readers_available() {
        return;
    }
    for name in ["fregion_h_writer.db", "local_default_VecTxn.log"] {
        let dir = tempfile::tempdir().unwrap();
        let file = golden_dir().join(name);
        let summary = export_and_check(&file, dir.path(), OutputFormat::Arrow);
        assert_eq!(summary["readers"], json!(["pyarrow"]), "{name}");
        let rows = GOLDEN.iter().find(|g| g.0 == name).unwrap().2;
        assert_eq!(summary["rows"], rows, "{name}");
    }
}

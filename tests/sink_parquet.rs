//! The parquet sink built into hog (feature `sink-parquet`), end to end: a
//! hog serving a real producer process writes rolls of Parquet files, one
//! file per statement, which hold every record once and in order; a hog
//! killed with SIGKILL mid-stream and restarted adds no duplicate.

mod support;

#[path = "support/readback.rs"]
mod readback;

use std::path::Path;

use readback::{duckdb_row, p3log, readers_available};
use sink_parquet::roll::Published;
use support::{example_program, wait_for_producers, wait_until, Hog};

/// Writes a config serving group `PQ` into the parquet sink under `dir`.
fn config(dir: &Path) -> std::path::PathBuf {
    let file = dir.join("hog.toml");
    std::fs::write(
        &file,
        format!(
            r#"groups = ["PQ"]
store_dir = "{d}"
sources = ["hstore"]
sinks = ["pq"]

[sink.pq]
kind = "parquet"
dir = "{d}/out"
roll_size = "64KB"
"#,
            d = dir.display()
        ),
    )
    .unwrap();
    file
}

/// Records published for every stream of group PQ (the `records` of each
/// stream's last roll), and the number of rolls.
fn published(dir: &Path) -> (u64, usize) {
    let group = dir.join("out/PQ");
    let mut streams = std::collections::BTreeSet::new();
    for e in std::fs::read_dir(&group).into_iter().flatten() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(id) = name.split('-').next().and_then(|s| s.parse::<u64>().ok()) {
            streams.insert(id);
        }
    }
    let mut records = 0;
    let mut rolls = 0;
    for id in streams {
        let all = Published::all(&group, id).unwrap();
        rolls += all.len();
        records += all.last().map_or(0, |p| p.records);
    }
    (records, rolls)
}

#[test]
fn hog_writes_rolled_parquet_files_that_hold_every_record_once() {
    const RECORDS: u64 = 30_000;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = config(d);
    let hog = Hog::start(&config, &d.join("hog.log"));
    wait_for_producers(d, "PQ");
    p3log(&example_program("hog-export", "p3log"), "PQ", d, RECORDS);
    // The producer has exited: its stream closes and its last roll is
    // published.
    let total = RECORDS + RECORDS / 10;
    wait_until(30, "every record published", || published(d).0 == total);
    assert!(published(d).1 > 1, "64KB rolls: more than one");

    // A second producer; hog is killed while its stream is open, then
    // restarted: it resumes from the sink's mark.
    let hog_log = hog.log.clone();
    assert!(
        hog.stop().success(),
        "{}",
        std::fs::read_to_string(&hog_log).unwrap()
    );
    let hog = Hog::start(&config, &d.join("hog.log"));
    wait_for_producers(d, "PQ");
    p3log(&example_program("hog-export", "p3log"), "PQ", d, RECORDS);
    hog.kill();
    let hog = Hog::start(&config, &d.join("hog.log"));
    wait_until(30, "the second producer's records published", || {
        published(d).0 == 2 * total
    });
    assert!(hog.stop().success());

    if !readers_available() {
        return;
    }
    let files = |name: &str| format!("{}/out/PQ/*/{name}.parquet", d.display());
    let row = duckdb_row(&format!(
        "SELECT count(*), count(DISTINCT (regexp_extract(filename, '/(\\d+)-\\d+-\\d+-\\d+/', 1), _seq)), \
         sum(x), max(z) FROM read_parquet('{}', filename = true, hive_partitioning = false)",
        files("p3")
    ));
    let n = RECORDS as i64;
    assert_eq!(
        row,
        [
            (2 * n).to_string(),
            (2 * n).to_string(),
            (n * (n - 1)).to_string(),
            ((n - 1) >> 10).to_string()
        ]
    );
    let row = duckdb_row(&format!(
        "SELECT count(*), count(*) FILTER (WHERE side.ctor = 'Buy'), min(epoch_us(t)) \
         FROM read_parquet('{}', hive_partitioning = false)",
        files("quote")
    ));
    assert_eq!(
        row,
        [
            (2 * n / 10).to_string(),
            (n / 10).to_string(),
            (1_700_000_000_000_000i64 + 9_000).to_string()
        ]
    );
}

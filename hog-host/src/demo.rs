//! `hog demo`: hog's main job end to end on an embedded configuration.
//!
//! hog serves group `demo` in local mode on a fresh directory; two producer
//! threads of this process log sequence numbers into shared-memory rings
//! with the producer library (the same protocol as hobbes `storage.H`); hog
//! drains them through the disk sink into hobbes fregion files, recording
//! progress in the SQLite stat store. The demo then reads the files back and
//! says where the records landed and how many there are.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hog_core::fregion::Reader;
use hog_producer::{CommitMethod, Group, Qos};
use serde_json::{json, Map};
use tokio::sync::watch;

use crate::config;
use crate::run::{run_until, RunError};

/// The demo's settings (also a readable example of a config file).
pub const DEMO_TOML: &str = include_str!("../../config/demo.toml");

const THREADS: u64 = 2;
const RECORDS: u64 = 100_000;
const LONG: &[u8] = b"\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00long\x00";

/// Runs the demo, writing into `out` (default: a fresh temporary directory).
pub async fn demo(out: Option<PathBuf>) -> Result<(), RunError> {
    let fail = |what: &str, e: &dyn std::fmt::Display| RunError(format!("{what}: {e}"));
    let out = match out {
        Some(dir) => dir,
        None => std::env::temp_dir().join(format!("hog-demo-{}", std::process::id())),
    };
    std::fs::create_dir_all(&out).map_err(|e| fail(&out.display().to_string(), &e))?;
    let file = out.join("demo.toml");
    std::fs::write(&file, DEMO_TOML).map_err(|e| fail(&file.display().to_string(), &e))?;
    let template = format!("{}/$GROUP/$DATE/data", out.display());
    let mut overrides = Map::new();
    overrides.insert("store_dir".into(), json!(out));
    overrides.insert("sink".into(), json!({"disk": {"dir": template}}));
    // Metrics and the status page, on a port of the system's choosing
    // (announced), while the demo runs.
    overrides.insert("metrics".into(), json!({"listen": "127.0.0.1:0"}));
    let config = config::load(Some(&file), &overrides).map_err(|e| RunError(e.to_string()))?;

    let (stop, shutdown) = watch::channel(false);
    let hog = tokio::spawn(run_until(config, shutdown));
    let socket = out.join("hstore.demo.sk");
    wait_for(Duration::from_secs(10), || {
        socket.exists() || hog.is_finished()
    })
    .await;
    if hog.is_finished() {
        return hog.await.map_err(|e| fail("hog", &e))?.map(|_| ());
    }
    let started = Instant::now();
    let dir = out.clone();
    tokio::task::spawn_blocking(move || produce(&dir))
        .await
        .map_err(|e| fail("producer", &e))??;
    let produced = started.elapsed();
    let expected = THREADS * RECORDS;
    let data = out.join("demo");
    wait_for(Duration::from_secs(60), || {
        count_records(&data).0 >= expected || hog.is_finished()
    })
    .await;
    // Once drained, the exited producers' streams close and their regions
    // are removed; stop then, so the stat store shows every stream finished.
    let prefix = format!("demo.{}.", std::process::id());
    wait_for(Duration::from_secs(5), || {
        !std::fs::read_dir("/dev/shm")
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(&prefix))
    })
    .await;
    let _ = stop.send(true);
    let summary = hog.await.map_err(|e| fail("hog", &e))??;
    for (sink, stats) in summary {
        println!(
            "sink '{sink}': {} transactions ({} bytes) received",
            stats.transactions, stats.bytes
        );
    }
    let (landed, files) = count_records(&data);
    println!(
        "{THREADS} producer threads logged {expected} records in {:.1} ms; {landed} landed in:",
        produced.as_secs_f64() * 1e3,
    );
    for file in &files {
        println!("  {}", file.display());
    }
    if let Some(file) = files.first() {
        println!("read them with: hog cat {} | head", file.display());
    }
    Ok(())
}

/// Two producer threads log `RECORDS` sequence numbers each.
fn produce(dir: &Path) -> Result<(), RunError> {
    let mut group = Group::new("demo", 32, Qos::Reliable, CommitMethod::Auto).with_store_dir(dir);
    let seq = group.statement("seq", LONG);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let group = &group;
                s.spawn(move || -> Result<(), RunError> {
                    let mut writer = group.writer().map_err(|e| RunError(e.to_string()))?;
                    for i in 0..RECORDS {
                        writer.record(seq, &((t * 1_000_000 + i) as i64).to_le_bytes());
                    }
                    writer.commit();
                    Ok(())
                })
            })
            .collect();
        workers.into_iter().try_for_each(|w| {
            w.join()
                .unwrap_or_else(|_| Err(RunError("producer panicked".into())))
        })
    })
}

/// Records in the data files under `dir` (the length of their `seq`
/// series), and the files.
fn count_records(dir: &Path) -> (u64, Vec<PathBuf>) {
    let mut files = Vec::new();
    for date in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(date.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            if file.path().extension().is_some_and(|x| x == "log") {
                files.push(file.path());
            }
        }
    }
    files.sort();
    let records = files
        .iter()
        .filter_map(|f| Reader::open(f).ok())
        .filter_map(|r| r.series("seq").and_then(|s| s.len()).ok())
        .sum();
    (records, files)
}

async fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() && start.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

//! `hog demo`: hog's pipeline end to end on an embedded configuration.
//!
//! Generated streams go through the stat store into the example sink
//! plugin, loaded dynamically from the plugin directory; the demo then says
//! where the records landed and how many there are.

use std::path::{Path, PathBuf};

use serde_json::{json, Map};

use crate::config;
use crate::run::{run, RunError};

/// The demo's settings (also a readable example of a config file).
pub const DEMO_TOML: &str = include_str!("../../config/demo.toml");

/// Runs the demo, writing into `out` (default: a fresh temporary directory).
pub async fn demo(out: Option<PathBuf>) -> Result<(), RunError> {
    let out = match out {
        Some(dir) => dir,
        None => std::env::temp_dir().join(format!("hog-demo-{}", std::process::id())),
    };
    std::fs::create_dir_all(&out)
        .map_err(|e| RunError(format!("cannot create {}: {e}", out.display())))?;
    let file = out.join("demo.toml");
    std::fs::write(&file, DEMO_TOML)
        .map_err(|e| RunError(format!("cannot write {}: {e}", file.display())))?;
    let records = out.join("records.jsonl");
    let mut overrides = Map::new();
    overrides.insert("store_dir".into(), json!(out));
    overrides.insert("sink".into(), json!({"example": {"path": records}}));
    let config = config::load(Some(&file), &overrides).map_err(|e| RunError(e.to_string()))?;
    let streams = config.generator.streams;
    let summary = run(config).await?;
    let lines = count_lines(&records)?;
    for (sink, stats) in summary {
        println!(
            "sink '{sink}': {} transactions ({} bytes) received",
            stats.transactions, stats.bytes
        );
    }
    println!(
        "{lines} records from {streams} streams landed in {}",
        records.display()
    );
    Ok(())
}

fn count_lines(path: &Path) -> Result<usize, RunError> {
    std::fs::read(path)
        .map(|bytes| bytes.iter().filter(|&&b| b == b'\n').count())
        .map_err(|e| RunError(format!("cannot read {}: {e}", path.display())))
}

//! Figure 7: hog's memory across producer sessions. One hog in local mode
//! serves 10 producer processes one after the other, each logging a tenth
//! of the p3 records; after each session is drained and its stream closed,
//! hog's resident memory is read. Growth per session is the slope from the
//! first session to the last. Every session's file is checked.

use std::time::Duration;

use crate::figures::metric::Unit;
use crate::harness::bench::Bench;
use crate::harness::hog::HogProcess;
use crate::harness::procfs::Memory;
use crate::harness::verify::{data_files, tally_files};
use crate::workload::Workload;

const SESSIONS: usize = 10;
const MIB: f64 = (1u64 << 20) as f64;

/// Measures figure 7.
pub fn measure(b: &mut Bench) -> Result<(), String> {
    for run in 0..b.options.runs {
        b.say(&format!(
            "figure 7, memory over {SESSIONS} sessions, run {}",
            run + 1
        ));
        one_run(b)?;
    }
    Ok(())
}

fn one_run(b: &mut Bench) -> Result<(), String> {
    let w = Workload::P3;
    let n = (b.records(w) / SESSIONS as u64).max(1);
    let dir = b.run_dir("memory")?;
    let hog = HogProcess::local(&b.hog, &dir, &b.group)?;
    let mut after = Vec::new();
    for s in 0..SESSIONS {
        let mut p = b.start_producer(&b.producer_run(&dir, w, n, &["--wait-drained"]))?;
        p.event("drained", b.timeout(n))?;
        p.finish(Duration::from_secs(60))?;
        hog.await_closed_streams(s + 1, Duration::from_secs(60))?;
        after.push(Memory::of(hog.pid()).ok_or("hog's memory")?);
    }
    hog.stop()?;
    let files = data_files(&dir);
    if files.len() != SESSIONS {
        return Err(format!("{} files for {SESSIONS} sessions", files.len()));
    }
    for f in &files {
        tally_files(std::slice::from_ref(f), w, n)?.exact(n)?;
    }
    let (first, last) = (after[0], after[SESSIONS - 1]);
    let growth = (last.rss as f64 - first.rss as f64) / (SESSIONS - 1) as f64 / MIB;
    b.record(
        7,
        "memory.first_rss_mib",
        "memory: hog RSS after session 1",
        Unit::MiB,
        first.rss as f64 / MIB,
    );
    b.record(
        7,
        "memory.last_rss_mib",
        "memory: hog RSS after session 10",
        Unit::MiB,
        last.rss as f64 / MIB,
    );
    b.record(
        7,
        "memory.last_anon_mib",
        "memory: hog anonymous RSS after session 10",
        Unit::MiB,
        last.anon as f64 / MIB,
    );
    b.record(
        7,
        "memory.growth_mib",
        "memory: RSS growth per later session",
        Unit::MiB,
        growth,
    );
    b.clean(&dir);
    Ok(())
}

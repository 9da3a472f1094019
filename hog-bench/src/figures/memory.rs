//! Figure 7: hog's memory across producer sessions. One hog in local mode
//! serves 30 producer processes one after the other, each logging a tenth
//! of the p3 records; after each session is drained and its stream closed,
//! hog's resident memory is read, and the session's file is checked and
//! removed. Growth per session is the slope from session 1 to session 10
//! (the figure reported), and from session 20 to 30 (whether it levels off).

use std::time::Duration;

use crate::figures::metric::Unit;
use crate::harness::bench::Bench;
use crate::harness::hog::HogProcess;
use crate::harness::procfs::Memory;
use crate::harness::verify::{data_files, tally_files};
use crate::workload::Workload;

const SESSIONS: usize = 30;
const MIB: f64 = (1u64 << 20) as f64;

/// Measures figure 7.
pub fn measure(b: &mut Bench) -> Result<(), String> {
    for run in 0..b.options.runs {
        b.before_run(7);
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
    let n = (b.records(w) / 10).max(1);
    let dir = b.run_dir("memory")?;
    let hog = HogProcess::local(&b.hog, &dir, &b.group)?;
    let mut after = Vec::new();
    for s in 0..SESSIONS {
        let mut p = b.start_producer(&b.producer_run(&dir, w, n, &["--wait-drained"]))?;
        p.event("drained", b.timeout(n))?;
        p.finish(Duration::from_secs(60))?;
        hog.await_closed_streams(s + 1, Duration::from_secs(60))?;
        after.push(Memory::of(hog.pid()).ok_or("hog's memory")?);
        let files = data_files(&dir);
        if files.len() != 1 {
            return Err(format!("{} files after session {}", files.len(), s + 1));
        }
        tally_files(&files, w, n)?.exact(n)?;
        std::fs::remove_file(&files[0]).map_err(|e| e.to_string())?;
    }
    hog.stop()?;
    let mib = |m: Memory| m.rss as f64 / MIB;
    let slope =
        |from: usize, to: usize| (mib(after[to - 1]) - mib(after[from - 1])) / (to - from) as f64;
    let rows = [
        (
            "memory.first_rss_mib",
            "memory: hog RSS after session 1",
            mib(after[0]),
        ),
        (
            "memory.rss10_mib",
            "memory: hog RSS after session 10",
            mib(after[9]),
        ),
        (
            "memory.rss30_mib",
            "memory: hog RSS after session 30",
            mib(after[29]),
        ),
        (
            "memory.anon30_mib",
            "memory: hog anonymous RSS after session 30",
            after[29].anon as f64 / MIB,
        ),
        (
            "memory.growth_mib",
            "memory: RSS growth per session, 1 → 10",
            slope(1, 10),
        ),
        (
            "memory.late_growth_mib",
            "memory: RSS growth per session, 20 → 30",
            slope(20, 30),
        ),
    ];
    for (key, label, value) in rows {
        b.record(7, key, label, Unit::MiB, value);
    }
    b.clean(&dir);
    Ok(())
}

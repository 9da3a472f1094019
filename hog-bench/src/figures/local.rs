//! Figure 2: local mode, `hog -g G -m DIR -d DIR/$GROUP/$DATE/data`.
//!
//! A fresh hog per run. The producer logs as fast as it can, commits, then
//! watches its own ring: hog moves the read index only once the disk sink
//! holds a batch durably, so "read index = write index" after the last
//! commit is the moment the file holds everything. Time to empty runs from
//! the first record to that moment; hog's CPU time is taken over the same
//! span; memory is sampled every 10 ms. The file is then read back and
//! checked record by record. The producer's slowdown is its logging time
//! here over its time alone (an in-process drainer, figure 1), measured
//! in the same run.

use crate::figures::metric::Unit;
use crate::figures::producer_alone::alone_seconds;
use crate::harness::bench::Bench;
use crate::harness::hog::HogProcess;
use std::path::PathBuf;

use crate::harness::procfs::{cpu_seconds, Memory, MemorySampler};
use crate::harness::verify::{output_bytes, tally};
use crate::workload::Workload;

/// Bytes of a mebibyte.
pub const MIB: f64 = (1u64 << 20) as f64;

/// Measures figure 2 for every workload.
pub fn measure(b: &mut Bench) -> Result<(), String> {
    for w in b.options.workloads.clone() {
        for run in 0..b.options.runs {
            b.before_run(2);
            b.say(&format!("figure 2, local mode, {w}, run {}", run + 1));
            one_run(b, w)?;
        }
    }
    Ok(())
}

/// What one local-mode run measured.
pub struct LocalRun {
    /// The run's directory (its output under it).
    pub dir: PathBuf,
    /// The producer's first record (ns, its clock).
    pub first: f64,
    /// The producer's last record (ns, its clock).
    pub last: f64,
    /// First record to the file holding the last, in seconds.
    pub seconds: f64,
    /// hog's CPU over that span, in seconds.
    pub hog_cpu: f64,
    /// hog's peak memory.
    pub peak: Memory,
}

/// A fresh local-mode hog (with `flags`) in a new run directory, the
/// producer logging the workload's records until hog has drained them all;
/// hog stopped and its output checked record by record.
pub fn local_run(b: &mut Bench, w: Workload, flags: &[&str]) -> Result<LocalRun, String> {
    let n = b.records(w);
    let dir = b.run_dir(&format!("local-{w}{}", flags.concat()))?;
    let hog = HogProcess::local_with(&b.hog, &dir, &b.group, flags)?;
    let memory = MemorySampler::start(hog.pid());
    let cpu0 = cpu_seconds(hog.pid()).ok_or("hog's CPU time")?;
    let mut p = b.start_producer(&b.producer_run(&dir, w, n, &["--wait-drained"]))?;
    let drained = p.event("drained", b.timeout(n))?;
    let cpu1 = cpu_seconds(hog.pid()).ok_or("hog's CPU time")?;
    let logged = p.event("logged", b.timeout(0))?;
    p.finish(b.timeout(0))?;
    hog.await_closed_streams(1, b.timeout(0))?;
    let peak = memory.finish();
    hog.stop()?;
    tally(&dir, w, n)?.exact(n)?;
    let first = logged.num("first")?;
    Ok(LocalRun {
        dir,
        first,
        last: logged.num("last")?,
        seconds: (drained.num("t")? - first) / 1e9,
        hog_cpu: cpu1 - cpu0,
        peak,
    })
}

fn one_run(b: &mut Bench, w: Workload) -> Result<(), String> {
    let n = b.records(w);
    let alone = alone_seconds(b, w, n, &["--drainer"])?;
    let run = local_run(b, w, &[])?;
    let (empty, peak, dir) = (run.seconds, run.peak, run.dir);
    let producing = (run.last - run.first) / 1e9;
    let k = |what: &str| format!("local.{w}.{what}");
    let l = |what: &str| format!("local {w}: {what}");
    b.record(
        2,
        &k("time_s"),
        &l("time to empty + file complete"),
        Unit::S,
        empty,
    );
    b.record(
        2,
        &k("records_per_s"),
        &l("records/s"),
        Unit::PerS,
        n as f64 / empty,
    );
    b.record(2, &k("hog_cpu_s"), &l("hog CPU"), Unit::S, run.hog_cpu);
    b.record(
        2,
        &k("peak_rss_mib"),
        &l("hog peak RSS"),
        Unit::MiB,
        peak.rss as f64 / MIB,
    );
    b.record(
        2,
        &k("peak_anon_mib"),
        &l("hog peak RSS, anonymous"),
        Unit::MiB,
        peak.anon as f64 / MIB,
    );
    b.record(
        2,
        &k("peak_mapped_mib"),
        &l("hog peak RSS, mapped (files, shm)"),
        Unit::MiB,
        peak.mapped as f64 / MIB,
    );
    b.record(
        2,
        &k("output_mib"),
        &l("output file bytes"),
        Unit::MiB,
        output_bytes(&dir) as f64 / MIB,
    );
    b.record(
        2,
        &k("slowdown"),
        &l("producer slowdown (with hog / alone)"),
        Unit::Factor,
        producing / alone,
    );
    b.clean(&dir);
    Ok(())
}

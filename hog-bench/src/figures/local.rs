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
//! in the same run. With `--cpp-hog`, the C++ hog runs the same way after
//! ours, and its medians are what ours are compared with.

use crate::figures::metric::Unit;
use crate::figures::producer_alone::alone_seconds;
use crate::harness::bench::Bench;
use crate::harness::hog::HogProcess;
use std::path::{Path, PathBuf};

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

/// Which hog a local-mode run measures.
#[derive(Clone, Copy)]
pub enum Local<'a> {
    /// Ours, with these flags.
    Ours(&'a [&'a str]),
    /// The C++ hog at this path.
    Cpp(&'a Path),
}

/// A fresh local-mode hog (with `flags`) in a new run directory, the
/// producer logging the workload's records until hog has drained them all;
/// hog stopped and its output checked record by record.
pub fn local_run(b: &mut Bench, w: Workload, flags: &[&str]) -> Result<LocalRun, String> {
    run_of(b, w, Local::Ours(flags))
}

/// [`local_run`] with ours or the C++ hog.
pub fn run_of(b: &mut Bench, w: Workload, which: Local<'_>) -> Result<LocalRun, String> {
    let n = b.records(w);
    let name = match which {
        Local::Ours(flags) => format!("local-{w}{}", flags.concat()),
        Local::Cpp(_) => format!("local-cpp-{w}"),
    };
    let dir = b.run_dir(&name)?;
    let hog = match which {
        Local::Ours(flags) => HogProcess::local_with(&b.hog, &dir, &b.group, flags)?,
        Local::Cpp(cpp) => HogProcess::cpp_local(cpp, &dir, &b.group)?,
    };
    let memory = MemorySampler::start(hog.pid());
    let cpu0 = cpu_seconds(hog.pid()).ok_or("hog's CPU time")?;
    let mut p = b.start_producer(&b.producer_run(&dir, w, n, &["--wait-drained"]))?;
    let drained = p.event("drained", b.timeout(n))?;
    let cpu1 = cpu_seconds(hog.pid()).ok_or("hog's CPU time")?;
    // Both hogs are measured over the same span: until the ring is empty.
    let peak = memory.finish();
    let logged = p.event("logged", b.timeout(0))?;
    p.finish(b.timeout(0))?;
    if let Local::Ours(_) = which {
        hog.await_closed_streams(1, b.timeout(0))?;
    }
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
    let run = run_of(b, w, Local::Ours(&[]))?;
    record(b, w, "", &run, alone, true);
    if let Some(cpp) = b.options.cpp_hog.clone() {
        let run = run_of(b, w, Local::Cpp(&cpp))?;
        record(b, w, "cpp.", &run, alone, false);
    }
    Ok(())
}

/// Records the figures of one run (`who`: "" for ours, "cpp." for the C++
/// hog), all of them or only those the C++ hog is compared on.
fn record(b: &mut Bench, w: Workload, who: &str, run: &LocalRun, alone: f64, all: bool) {
    let producing = (run.last - run.first) / 1e9;
    let k = |what: &str| format!("local.{who}{w}.{what}");
    let l = |what: &str| match who {
        "" => format!("local {w}: {what}"),
        _ => format!("local {w}, C++ hog: {what}"),
    };
    let n = b.records(w) as f64;
    let peak = run.peak;
    b.record(
        2,
        &k("time_s"),
        &l("time to empty + file complete"),
        Unit::S,
        run.seconds,
    );
    b.record(
        2,
        &k("records_per_s"),
        &l("records/s"),
        Unit::PerS,
        n / run.seconds,
    );
    b.record(2, &k("hog_cpu_s"), &l("hog CPU"), Unit::S, run.hog_cpu);
    let rss = peak.rss as f64 / MIB;
    b.record(2, &k("peak_rss_mib"), &l("hog peak RSS"), Unit::MiB, rss);
    let slowdown = producing / alone;
    let what = "producer slowdown (with hog / alone)";
    b.record(2, &k("slowdown"), &l(what), Unit::Factor, slowdown);
    if all {
        let anon = peak.anon as f64 / MIB;
        b.record(
            2,
            &k("peak_anon_mib"),
            &l("hog peak RSS, anonymous"),
            Unit::MiB,
            anon,
        );
        let mapped = peak.mapped as f64 / MIB;
        let what = "hog peak RSS, mapped (files, shm)";
        b.record(2, &k("peak_mapped_mib"), &l(what), Unit::MiB, mapped);
        let out = output_bytes(&run.dir) as f64 / MIB;
        b.record(2, &k("output_mib"), &l("output file bytes"), Unit::MiB, out);
    }
    b.clean(&run.dir);
}

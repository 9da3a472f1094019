//! Figure 1: the producer's own cost per record.
//!
//! The producer process drains its ring with an in-process thread that
//! stands in for hog (it accepts the registration, maps the region, checks
//! every record and releases slots at once, doing no I/O). So the ring
//! never holds the producer back and the figure is the cost of the log
//! call itself, not a drain rate. The drainer polls, as a busy-polling
//! consumer (the C++ hog) does. The producer logs through the typed API
//! (`Writer::log` with a tuple of values). Four passes per run: an untimed
//! one gives the mean over the run; one with every call bracketed by
//! `lfence; rdtsc` gives p50 and p99.9 (the bracket's own cost
//! subtracted); one through the untyped API (`Writer::record` with bytes
//! encoded beforehand); one with a drainer that sleeps on the ring's futex
//! when caught up, as hog does, gives the mean a producer pays for waking
//! its consumer.

use std::time::Duration;

use crate::figures::metric::Unit;
use crate::harness::bench::Bench;
use crate::workload::Workload;

/// Producer time alone for `records` of `w`, seconds: one untimed pass,
/// its output checked by the drainer (`--drainer` or `--drainer-futex`,
/// and any other producer flags).
pub fn alone_seconds(
    b: &mut Bench,
    w: Workload,
    records: u64,
    flags: &[&str],
) -> Result<f64, String> {
    let dir = b.run_dir(&format!("alone-{w}"))?;
    let run = b.producer_run(&dir, w, records, flags);
    let mut p = b.start_producer(&run)?;
    let logged = p.event("logged", b.timeout(records))?;
    p.event("verified", Duration::from_secs(60))?;
    p.finish(Duration::from_secs(60))?;
    b.clean(&dir);
    Ok((logged.num("last")? - logged.num("first")?) / 1e9)
}

/// Measures figure 1 for every workload.
pub fn measure(b: &mut Bench) -> Result<(), String> {
    for w in b.options.workloads.clone() {
        let n = b.records(w);
        for run in 0..b.options.runs {
            b.before_run(1);
            b.say(&format!("figure 1, producer alone, {w}, run {}", run + 1));
            let secs = alone_seconds(b, w, n, &["--drainer"])?;
            b.record(
                1,
                &format!("producer.{w}.mean_ns"),
                &format!("producer alone {w}: mean ns/record"),
                Unit::Ns,
                secs * 1e9 / n as f64,
            );

            let dir = b.run_dir(&format!("percall-{w}"))?;
            let run = b.producer_run(&dir, w, n, &["--drainer", "--per-call"]);
            let mut p = b.start_producer(&run)?;
            let cost = p.event("percall", b.timeout(n))?;
            p.event("verified", Duration::from_secs(60))?;
            p.finish(Duration::from_secs(60))?;
            b.clean(&dir);
            b.record(
                1,
                &format!("producer.{w}.p50_ns"),
                &format!("producer alone {w}: p50 ns/call"),
                Unit::Ns,
                cost.num("p50_ns")?,
            );
            b.record(
                1,
                &format!("producer.{w}.p999_ns"),
                &format!("producer alone {w}: p99.9 ns/call"),
                Unit::Ns,
                cost.num("p999_ns")?,
            );
            let secs = alone_seconds(b, w, n, &["--drainer", "--api", "bytes"])?;
            b.record(
                1,
                &format!("producer.{w}.bytes_mean_ns"),
                &format!("producer alone {w}, untyped record(&bytes): mean ns/record"),
                Unit::Ns,
                secs * 1e9 / n as f64,
            );
            let secs = alone_seconds(b, w, n, &["--drainer-futex"])?;
            b.record(
                1,
                &format!("producer.{w}.futex_mean_ns"),
                &format!("producer alone {w}, consumer sleeping on the futex: mean ns/record"),
                Unit::Ns,
                secs * 1e9 / n as f64,
            );
        }
    }
    Ok(())
}

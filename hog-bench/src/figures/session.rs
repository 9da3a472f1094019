//! Figure 6: session start. A fresh hog in local mode, ready; a new
//! producer creates its ring, registers, logs one record and commits.
//! Latency runs from just before registering (the producer's clock, which
//! is the machine's monotonic clock) until the harness sees the record in
//! the output file, polling it every millisecond with hog's reader. The
//! moment hog released the record in the ring (durable in the sink) is
//! reported too.

use std::time::Duration;

use crate::clock::monotonic_ns;
use crate::figures::metric::Unit;
use crate::harness::bench::Bench;
use crate::harness::hog::HogProcess;
use crate::harness::verify::{count, tally};
use crate::harness::wait::wait_every;
use crate::workload::Workload;

/// Measures figure 6.
pub fn measure(b: &mut Bench) -> Result<(), String> {
    for run in 0..b.options.runs {
        b.before_run(6);
        b.say(&format!("figure 6, session start, run {}", run + 1));
        one_run(b)?;
    }
    Ok(())
}

fn one_run(b: &mut Bench) -> Result<(), String> {
    let w = Workload::P3;
    let dir = b.run_dir("session")?;
    let hog = HogProcess::local(&b.hog, &dir, &b.group)?;
    let mut p = b.start_producer(&b.producer_run(&dir, w, 1, &["--wait-drained"]))?;
    let start = p.event("start", Duration::from_secs(30))?.num("t")?;
    let registered = p.event("registered", Duration::from_secs(30))?.num("t")?;
    wait_every(
        Duration::from_millis(1),
        Duration::from_secs(30),
        "the first record in the file",
        || count(&dir, w) >= 1,
    )?;
    let seen = monotonic_ns() as f64;
    let drained = p.event("drained", Duration::from_secs(30))?.num("t")?;
    p.finish(Duration::from_secs(30))?;
    hog.await_closed_streams(1, Duration::from_secs(30))?;
    hog.stop()?;
    tally(&dir, w, 1)?.exact(1)?;
    b.record(
        6,
        "session.start_ms",
        "session start: register → first record in the file",
        Unit::Ms,
        (seen - start) / 1e6,
    );
    b.record(
        6,
        "session.register_ms",
        "session start: ring created and registered (producer side)",
        Unit::Ms,
        (registered - start) / 1e6,
    );
    b.record(
        6,
        "session.released_ms",
        "session start: register → hog released it (durable)",
        Unit::Ms,
        (drained - start) / 1e6,
    );
    b.clean(&dir);
    Ok(())
}

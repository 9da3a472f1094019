//! One producer run: register a ring, log the workload's records as fast
//! as one thread can, commit, and report times on standard output as
//! `event key=value…` lines (see [`crate::harness::producer`]).

use std::io::Write;
use std::time::Duration;

use hog_producer::{CommitMethod, Group, Qos, WaitPolicy};

use super::args::ProducerArgs;
use super::drainer::Drainer;
use super::logging::{declare, log_all};
use super::percall::{bracket_overhead, stamp, CallCost, CallHistogram};
use crate::clock::monotonic_ns;
use hog_core::hstore::Region;

/// Runs the producer; an error message on failure.
pub fn run(args: &ProducerArgs) -> Result<(), String> {
    let mut group = Group::new(&args.group, args.pages, Qos::Reliable, CommitMethod::Auto)
        .with_store_dir(&args.dir);
    let id = declare(&mut group, args.workload, args.api)?;
    let drainer = if args.drainer {
        let wait = if args.drainer_futex {
            WaitPolicy::Futex
        } else {
            WaitPolicy::Spin
        };
        let d = Drainer::start(&args.dir, &args.group, args.workload, wait)
            .map_err(|e| format!("drainer socket: {e}"))?;
        Some(d)
    } else {
        None
    };
    say(&format!("start t={}", monotonic_ns()));
    let mut writer = group.writer().map_err(|e| format!("registering: {e}"))?;
    let region = region_name(&args.group);
    say(&format!("registered t={} region={region}", monotonic_ns()));

    let first = monotonic_ns();
    let tsc0 = stamp();
    let mut histogram = args.per_call.then(CallHistogram::new);
    let (w, n) = (args.workload, args.records);
    log_all(&mut writer, id, w, args.api, n, histogram.as_mut());
    writer.commit();
    let (last, tsc1) = (monotonic_ns(), stamp());
    say(&format!("logged first={first} last={last}"));

    if let Some(h) = histogram.as_mut() {
        let cycles_per_ns = (tsc1 - tsc0) as f64 / (last - first).max(1) as f64;
        let cost = CallCost::of(h, bracket_overhead(), cycles_per_ns);
        say(&format!(
            "percall p50_ns={:.2} p999_ns={:.2} overhead_ns={:.2}",
            cost.p50_ns, cost.p999_ns, cost.overhead_ns
        ));
    }
    if let Some(d) = drainer {
        let checked = d.finish()?;
        if checked.records() != args.records || !checked.at_boundary() {
            return Err(format!(
                "the drainer saw {} records of {}",
                checked.records(),
                args.records
            ));
        }
        say(&format!("verified records={}", checked.records()));
    }
    if args.wait_drained {
        let view = Region::attach(&region).map_err(|e| format!("{region}: {e}"))?;
        let ring = view.ring();
        while ring.ri() != ring.wi() {
            std::thread::sleep(Duration::from_micros(100));
        }
        say(&format!("drained t={}", monotonic_ns()));
    }
    if args.hold_ms > 0 {
        say(&format!("holding t={}", monotonic_ns()));
        std::thread::sleep(Duration::from_millis(args.hold_ms));
    }
    drop(writer);
    say("done");
    Ok(())
}

/// The name of the calling thread's region (hstore protocol: `/G.pid.tid`).
fn region_name(group: &str) -> String {
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::gettid() };
    format!("/{group}.{}.{tid}", std::process::id())
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

//! Figure 4: recovery of batch shipping. A batchsend hog is killed with
//! SIGKILL mid-production and restarted at once while the producer goes on
//! (held back by its full ring meanwhile). The kill comes 0, 40, 80, 120 or
//! 160 ms (by run) after the receiver first holds a quarter of the p3
//! records, so that it lands at different points of the send cycle (a kill
//! between the receiver applying a segment and the sender recording its
//! acknowledgement is the case a replay must survive). Measured: restart →
//! the receiver holds every record; then the receiver's files are read
//! back and records lost and duplicated are counted.

use std::time::Duration;

use crate::clock::monotonic_ns;
use crate::figures::metric::Unit;
use crate::figures::shipping::free_port;
use crate::harness::bench::Bench;
use crate::harness::hog::{HogProcess, Protocol};
use crate::harness::verify::{count, tally};
use crate::harness::wait::wait_every;
use crate::workload::Workload;

/// Measures figure 4 (p3).
pub fn measure(b: &mut Bench) -> Result<(), String> {
    for protocol in b.options.protocols.clone() {
        for run in 0..b.options.runs {
            let what = protocol.label();
            b.before_run(4);
            b.say(&format!(
                "figure 4, recovery after a sender kill ({what}), p3, run {}",
                run + 1
            ));
            let delay = Duration::from_millis(40 * (run as u64 % 5));
            one_run(b, Workload::P3, protocol, delay)?;
        }
    }
    Ok(())
}

fn one_run(b: &mut Bench, w: Workload, protocol: Protocol, delay: Duration) -> Result<(), String> {
    let n = b.records(w);
    let dir = b.run_dir(&format!("recovery-{}-{w}", protocol.key()))?;
    let (send_dir, recv_dir) = (dir.join("send"), dir.join("recv"));
    let port = free_port()?;
    let receiver = HogProcess::receiver(&b.hog, &recv_dir, port)?;
    let sender = HogProcess::sender(&b.hog, &send_dir, &b.group, port, protocol)?;
    let p = b.start_producer(&b.producer_run(&send_dir, w, n, &[]))?;
    let every = Duration::from_millis(20);
    wait_every(every, b.timeout(n), "a quarter of the records", || {
        count(&recv_dir, w) >= n / 4
    })?;
    std::thread::sleep(delay);
    sender.kill();
    let restart = monotonic_ns();
    let sender = HogProcess::sender(&b.hog, &send_dir, &b.group, port, protocol)?;
    // Every record must arrive: lost ones would keep the count below n
    // until the timeout, which fails the run and keeps its directory.
    let complete = wait_every(
        every,
        b.timeout(n),
        "every record after the restart",
        || count(&recv_dir, w) >= n,
    );
    let mut delivered = monotonic_ns();
    if let Err(e) = complete {
        let have = count(&recv_dir, w);
        return Err(format!(
            "{e}: {have} of {n} records at the receiver; kept {}",
            dir.display()
        ));
    }
    p.finish(b.timeout(0))?;
    // Duplicates can make the count reach n before every record is there:
    // then wait for the missing ones (a record still missing at the
    // deadline is lost).
    let deadline = std::time::Instant::now() + b.timeout(n);
    let t = loop {
        let t = tally(&recv_dir, w, n)?;
        if t.lost(n) == 0 || std::time::Instant::now() >= deadline {
            break t;
        }
        std::thread::sleep(Duration::from_secs(1));
        delivered = monotonic_ns();
    };
    sender.stop()?;
    receiver.stop()?;
    b.record(
        4,
        &format!("recovery.{}.time_s", protocol.key()),
        &format!(
            "recovery p3 ({}): sender restart → last record at the receiver",
            protocol.label()
        ),
        Unit::S,
        (delivered - restart) as f64 / 1e9,
    );
    b.record(
        4,
        &format!("recovery.{}.lost", protocol.key()),
        &format!("recovery p3 ({}): records lost", protocol.label()),
        Unit::Count,
        t.lost(n) as f64,
    );
    b.record(
        4,
        &format!("recovery.{}.duplicated", protocol.key()),
        &format!("recovery p3 ({}): records duplicated", protocol.label()),
        Unit::Count,
        t.duplicated() as f64,
    );
    if t.out_of_order > 0 || t.malformed > 0 {
        return Err(format!("recovery output out of order or malformed: {t:?}"));
    }
    if t.lost(n) > 0 || t.duplicated() > 0 {
        b.say(&format!(
            "kept {} ({} lost, {} duplicated) for inspection",
            dir.display(),
            t.lost(n),
            t.duplicated()
        ));
    } else {
        b.clean(&dir);
    }
    Ok(())
}

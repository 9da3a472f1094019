//! Figure 5: CPU of an idle hog with a live but quiet producer: the
//! producer logs a few records, waits until they are durable, and stays
//! registered without logging. After a second to settle (0.3 s with
//! `--quick`), each hog's CPU time is read over a window (5 s; 0.5 s with
//! `--quick`), in local mode and in batchsend mode (with its receiver),
//! with either protocol.

use std::time::Duration;

use crate::figures::metric::Unit;
use crate::figures::shipping::{await_records, free_port};
use crate::harness::bench::Bench;
use crate::harness::hog::{HogProcess, Protocol};
use crate::harness::procfs::cpu_seconds;
use crate::workload::Workload;

/// Measures figure 5.
pub fn measure(b: &mut Bench) -> Result<(), String> {
    for run in 0..b.options.runs {
        b.say(&format!("figure 5, idle CPU, run {}", run + 1));
        local(b)?;
        for protocol in b.options.protocols.clone() {
            batchsend(b, protocol)?;
        }
    }
    Ok(())
}

fn window(b: &Bench) -> Duration {
    Duration::from_millis(if b.options.quick { 500 } else { 5000 })
}

/// Per cent of a core each of `pids` used over the window.
fn idle_percent(b: &Bench, pids: &[u32]) -> Result<Vec<f64>, String> {
    std::thread::sleep(settle(b));
    let cpu = |pid: u32| cpu_seconds(pid).ok_or("hog's CPU time".to_string());
    let before: Vec<f64> = pids.iter().map(|&p| cpu(p)).collect::<Result<_, _>>()?;
    std::thread::sleep(window(b));
    let secs = window(b).as_secs_f64();
    pids.iter()
        .zip(before)
        .map(|(&p, c0)| Ok((cpu(p)? - c0) / secs * 100.0))
        .collect()
}

/// How long the quiet producer stays: settling, the window and a margin.
fn hold_ms(b: &Bench) -> String {
    (settle(b) + window(b) + Duration::from_millis(500))
        .as_millis()
        .to_string()
}

fn settle(b: &Bench) -> Duration {
    Duration::from_millis(if b.options.quick { 300 } else { 1000 })
}

fn local(b: &mut Bench) -> Result<(), String> {
    b.before_run(5);
    let dir = b.run_dir("idle-local")?;
    let hog = HogProcess::local(&b.hog, &dir, &b.group)?;
    let hold = hold_ms(b);
    let run = b.producer_run(
        &dir,
        Workload::P3,
        1000,
        &["--wait-drained", "--hold-ms", &hold],
    );
    let mut p = b.start_producer(&run)?;
    p.event("holding", Duration::from_secs(30))?;
    let used = idle_percent(b, &[hog.pid()])?;
    p.finish(Duration::from_secs(60))?;
    hog.stop()?;
    b.record(
        5,
        "idle.local.hog_cpu_pct",
        "idle local mode: hog CPU",
        Unit::Percent,
        used[0],
    );
    b.clean(&dir);
    Ok(())
}

fn batchsend(b: &mut Bench, protocol: Protocol) -> Result<(), String> {
    b.before_run(5);
    let dir = b.run_dir(&format!("idle-batchsend-{}", protocol.key()))?;
    let (send_dir, recv_dir) = (dir.join("send"), dir.join("recv"));
    let port = free_port()?;
    let receiver = HogProcess::receiver(&b.hog, &recv_dir, port)?;
    let sender = HogProcess::sender(&b.hog, &send_dir, &b.group, port, protocol)?;
    let hold = hold_ms(b);
    let run = b.producer_run(
        &send_dir,
        Workload::P3,
        1000,
        &["--wait-drained", "--hold-ms", &hold],
    );
    let mut p = b.start_producer(&run)?;
    p.event("holding", Duration::from_secs(30))?;
    await_records(b, &recv_dir, Workload::P3, 1000)?;
    let used = idle_percent(b, &[sender.pid(), receiver.pid()])?;
    p.finish(Duration::from_secs(60))?;
    sender.stop()?;
    receiver.stop()?;
    b.record(
        5,
        &format!("idle.batchsend.{}.sender_cpu_pct", protocol.key()),
        &format!("idle batchsend ({}): sender CPU", protocol.label()),
        Unit::Percent,
        used[0],
    );
    b.record(
        5,
        &format!("idle.batchsend.{}.receiver_cpu_pct", protocol.key()),
        &format!("idle batchsend ({}): receiver CPU", protocol.label()),
        Unit::Percent,
        used[1],
    );
    b.clean(&dir);
    Ok(())
}

//! Figure 9: shipping through NATS JetStream on 127.0.0.1, into a stream
//! of one replica on one node and of three replicas on a three-node
//! cluster (Debian's `nats-server`, fresh per run): a sending hog
//! (`-g G`, sink `jetstream`) and a reading hog (source `jetstream`, sink
//! `disk`), compared with figure 3's v2 hog-to-hog shipping.
//!
//! "Into the stream" runs from the producer's first record until the
//! sending hog's sink holds every record (JetStream acknowledged it: the
//! sink's `hog_sink_records_total`, polled every 20 ms); end to end until
//! the reading hog's files hold every record. Stored bytes are the
//! stream's size as the server reports it, per raw byte logged.

use std::time::Duration;

use crate::clock::monotonic_ns;
use crate::figures::metric::Unit;
use crate::figures::shipping::{await_records, free_port};
use crate::harness::bench::Bench;
use crate::harness::hog::HogProcess;
use crate::harness::http::get;
use crate::harness::nats::{self, Nats};
use crate::harness::procfs::cpu_seconds;
use crate::harness::verify::tally;
use crate::harness::wait::wait_every;
use crate::workload::Workload;

/// Measures figure 9 for every workload; says so and measures nothing
/// without `nats-server`.
pub fn measure(b: &mut Bench) -> Result<(), String> {
    if !nats::installed() {
        b.say("figure 9 skipped: nats-server is not installed");
        return Ok(());
    }
    for w in b.options.workloads.clone() {
        for run in 0..b.options.runs {
            for replicas in [1, 3] {
                b.before_run(9);
                b.say(&format!(
                    "figure 9, JetStream with {replicas} replica(s), {w}, run {}",
                    run + 1
                ));
                one_run(b, w, replicas)?;
            }
        }
    }
    Ok(())
}

/// Records the sending hog's jetstream sink holds, from its metrics.
fn sink_records(metrics: u16, group: &str) -> u64 {
    let series = format!("hog_sink_records_total{{sink=\"jetstream\",group=\"{group}\"}} ");
    get(metrics, "/metrics", None)
        .and_then(|(_, text)| {
            text.lines()
                .find_map(|l| l.strip_prefix(&series)?.trim().parse::<f64>().ok())
        })
        .map_or(0, |n| n as u64)
}

fn one_run(b: &mut Bench, w: Workload, replicas: usize) -> Result<(), String> {
    let n = b.records(w);
    let dir = b.run_dir(&format!("jetstream-r{replicas}-{w}"))?;
    let (send_dir, read_dir) = (dir.join("send"), dir.join("read"));
    let ports = || free_port().unwrap_or(0);
    let cluster = Nats::start(&dir.join("nats"), replicas, ports)?;
    let servers = cluster.servers_toml();
    let metrics = free_port()?;
    let reader = HogProcess::jetstream_reader(&b.hog, &read_dir, &servers)?;
    let sender =
        HogProcess::jetstream_sender(&b.hog, &send_dir, &b.group, &servers, replicas, metrics)?;
    let cpu = |h: &HogProcess| cpu_seconds(h.pid()).ok_or("hog's CPU time".to_string());
    let (s0, r0) = (cpu(&sender)?, cpu(&reader)?);
    let mut p = b.start_producer(&b.producer_run(&send_dir, w, n, &[]))?;
    wait_every(
        Duration::from_millis(20),
        b.timeout(n),
        "every record in JetStream",
        || sink_records(metrics, &b.group) >= n,
    )
    .map_err(|e| format!("{e}\n{}", sender.log_text()))?;
    let stored = monotonic_ns() as f64;
    let s1 = cpu(&sender)?;
    await_records(b, &read_dir, w, n).map_err(|e| format!("{e}\n{}", reader.log_text()))?;
    let done = monotonic_ns() as f64;
    let r1 = cpu(&reader)?;
    let bytes = cluster
        .stream_detail("HOG")
        .and_then(|d| d["state"]["bytes"].as_f64())
        .unwrap_or(0.0);
    let logged = p.event("logged", b.timeout(0))?;
    p.finish(b.timeout(0))?;
    sender.stop()?;
    reader.stop()?;
    tally(&read_dir, w, n)?.exact(n)?;

    let first = logged.num("first")?;
    let raw = (n * w.record_len() as u64) as f64;
    let k = |what: &str| format!("jetstream.r{replicas}.{w}.{what}");
    let l = |what: &str| format!("JetStream R{replicas} {w}: {what}");
    let into = (stored - first) / 1e9;
    let end_to_end = (done - first) / 1e9;
    b.record(
        9,
        &k("into_per_s"),
        &l("records/s into the stream (acknowledged)"),
        Unit::PerS,
        n as f64 / into,
    );
    b.record(
        9,
        &k("records_per_s"),
        &l("records/s end to end (reader's files)"),
        Unit::PerS,
        n as f64 / end_to_end,
    );
    b.record(9, &k("sender_cpu_s"), &l("sender CPU"), Unit::S, s1 - s0);
    b.record(9, &k("reader_cpu_s"), &l("reader CPU"), Unit::S, r1 - r0);
    b.record(
        9,
        &k("stored_ratio"),
        &l("stream bytes / raw bytes"),
        Unit::OneTo,
        bytes / raw,
    );
    drop(cluster);
    b.clean(&dir);
    Ok(())
}

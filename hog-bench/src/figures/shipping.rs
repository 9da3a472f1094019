//! Figure 3: batch shipping over 127.0.0.1, with the legacy hobbes protocol
//! (gzip level 6) and with v2 (zstd level 3): a batchsend hog (`-p 100ms
//! 10MB 127.0.0.1:PORT`, `protocol` set in its config) and a receiving hog
//! (`-s PORT`) writing files, both fresh per run. With `--cpp-hog`, each
//! legacy run is followed by the same run into a C++ receiver, from our
//! sender and from a C++ sender, so that the three are measured side by
//! side.
//!
//! End to end runs from the producer's first record until the receiver's
//! files hold every record (polled every 20 ms with hog's reader); CPU of
//! both hogs over that span; wire bytes are counted by a relay between
//! sender and receiver (TCP payload from the sender, framing included),
//! raw bytes are the records as the producer logged them (statement id +
//! payload).

use std::path::Path;
use std::time::Duration;

use crate::clock::monotonic_ns;
use crate::figures::metric::Unit;
use crate::harness::bench::Bench;
use crate::harness::hog::{HogProcess, Protocol};
use crate::harness::procfs::cpu_seconds;
use crate::harness::relay::Relay;
use crate::harness::verify::{count, tally};
use crate::harness::wait::wait_every;
use crate::workload::Workload;
use std::path::PathBuf;

/// A TCP port free now on 127.0.0.1.
pub fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// Waits until the files under `dir` hold `n` records of `w`.
pub fn await_records(b: &Bench, dir: &Path, w: Workload, n: u64) -> Result<(), String> {
    wait_every(
        Duration::from_millis(20),
        b.timeout(n),
        "every record at the receiver",
        || count(dir, w) >= n,
    )
}

/// Who sends to whom.
#[derive(Debug, Clone)]
enum Route {
    /// Our sender into our receiver.
    Ours(Protocol),
    /// Our sender into a C++ receiver (the hobbes protocol).
    OursToCpp(PathBuf),
    /// A C++ sender into a C++ receiver.
    Cpp(PathBuf),
}

impl Route {
    /// Its name in metric keys.
    fn key(&self) -> &'static str {
        match self {
            Route::Ours(p) => p.key(),
            Route::OursToCpp(_) => "gzip-to-cpp",
            Route::Cpp(_) => "cpp",
        }
    }

    /// Its name for people.
    fn label(&self) -> &'static str {
        match self {
            Route::Ours(p) => p.label(),
            Route::OursToCpp(_) => "ours -> C++ receiver",
            Route::Cpp(_) => "C++ -> C++",
        }
    }

    /// The routes measured for `protocol`.
    fn of(protocol: Protocol, cpp: Option<&PathBuf>) -> Vec<Route> {
        let mut routes = vec![Route::Ours(protocol)];
        if let (Protocol::Legacy, Some(cpp)) = (protocol, cpp) {
            routes.push(Route::OursToCpp(cpp.clone()));
            routes.push(Route::Cpp(cpp.clone()));
        }
        routes
    }
}

/// Measures figure 3 for every workload.
pub fn measure(b: &mut Bench) -> Result<(), String> {
    for w in b.options.workloads.clone() {
        for protocol in b.options.protocols.clone() {
            for run in 0..b.options.runs {
                for route in Route::of(protocol, b.options.cpp_hog.as_ref()) {
                    b.before_run(3);
                    b.say(&format!(
                        "figure 3, batch shipping ({}), {w}, run {}",
                        route.label(),
                        run + 1
                    ));
                    one_run(b, w, &route)?;
                }
            }
        }
    }
    Ok(())
}

fn one_run(b: &mut Bench, w: Workload, route: &Route) -> Result<(), String> {
    let n = b.records(w);
    let dir = b.run_dir(&format!("ship-{}-{w}", route.key()))?;
    let (send_dir, recv_dir) = (dir.join("send"), dir.join("recv"));
    let port = free_port()?;
    let receiver = match route {
        Route::Ours(_) => HogProcess::receiver(&b.hog, &recv_dir, port)?,
        Route::OursToCpp(cpp) | Route::Cpp(cpp) => HogProcess::cpp_receiver(cpp, &recv_dir, port)?,
    };
    let relay = Relay::start(port)?;
    let sender = match route {
        Route::Ours(protocol) => {
            HogProcess::sender(&b.hog, &send_dir, &b.group, relay.port(), *protocol)?
        }
        Route::OursToCpp(_) => {
            HogProcess::sender(&b.hog, &send_dir, &b.group, relay.port(), Protocol::Legacy)?
        }
        Route::Cpp(cpp) => HogProcess::cpp_sender(cpp, &send_dir, &b.group, relay.port())?,
    };
    let cpu = |h: &HogProcess| cpu_seconds(h.pid()).ok_or("hog's CPU time".to_string());
    let (s0, r0) = (cpu(&sender)?, cpu(&receiver)?);
    let mut p = b.start_producer(&b.producer_run(&send_dir, w, n, &[]))?;
    await_records(b, &recv_dir, w, n).map_err(|e| format!("{e}\n{}", sender.log_text()))?;
    let done = monotonic_ns() as f64;
    let (s1, r1) = (cpu(&sender)?, cpu(&receiver)?);
    let wire = relay.bytes();
    let logged = p.event("logged", b.timeout(0))?;
    p.finish(b.timeout(0))?;
    sender.stop()?;
    receiver.stop()?;
    tally(&recv_dir, w, n)?.exact(n)?;

    let secs = (done - logged.num("first")?) / 1e9;
    let raw = (n * w.record_len() as u64) as f64;
    let k = |what: &str| format!("shipping.{}.{w}.{what}", route.key());
    let l = |what: &str| format!("batchsend {w} ({}): {what}", route.label());
    b.record(
        3,
        &k("time_s"),
        &l("first record → last durable at the receiver"),
        Unit::S,
        secs,
    );
    b.record(
        3,
        &k("records_per_s"),
        &l("records/s end to end"),
        Unit::PerS,
        n as f64 / secs,
    );
    b.record(3, &k("sender_cpu_s"), &l("sender CPU"), Unit::S, s1 - s0);
    b.record(
        3,
        &k("receiver_cpu_s"),
        &l("receiver CPU"),
        Unit::S,
        r1 - r0,
    );
    b.record(
        3,
        &k("wire_ratio"),
        &l("wire bytes / raw bytes"),
        Unit::OneTo,
        wire as f64 / raw,
    );
    b.clean(&dir);
    Ok(())
}

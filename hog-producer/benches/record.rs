//! ns per record for the three workloads of the hot path — a packed
//! 3-int struct, an `i64`, a 256-byte string — logged through `group!`
//! statements (thread-local ring of 64 pages, AutoCommit, Reliable) while
//! a consumer thread empties the ring. Two measures:
//!
//! * *ring with room*: batches that fit in the ring are timed (logging,
//!   publishing full pages, the final commit); the consumer drains while
//!   they are written and empties the ring between batches.
//! * *… consumer paused*: the same, with the consumer holding off while a
//!   batch is timed (it still drains between batches): the producer's own
//!   cost without a second core reading the slots it writes.
//! * *sustained*: records are logged without pause while the consumer
//!   drains with hog's reader (reassembling and copying every transaction
//!   out); the producer waits whenever the ring is full, so this is the
//!   throughput of the pair on this machine.
//!
//! Prints the median, minimum and maximum of several runs.
//!
//! `cargo bench -p hog-producer` (`RECORD_BENCH_RUNS` sets the runs).

use std::os::unix::net::UnixListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use hog_core::hstore::{Drain, Region, WaitPolicy};
use hog_core::pipeline::Batch;
use hog_producer::{group, CommitMethod, Group, Qos, Store};

static DIR: LazyLock<tempfile::TempDir> = LazyLock::new(|| tempfile::tempdir().unwrap());

#[derive(Store, Clone, Copy)]
#[repr(C, packed)]
struct P3 {
    x: i32,
    y: i32,
    z: i32,
}

group! {
    static BENCH: Bench = Group::new("Bench", 64, Qos::Reliable, CommitMethod::Auto)
        .with_store_dir(DIR.path());
    fn point(p: P3);
    fn seq(i: i64);
    fn text(s: &str);
}

/// Drains region `name` with hog's reader until `stop`, except while
/// `hold`; returns the bytes it read.
fn consume(
    name: String,
    stop: Arc<AtomicBool>,
    hold: Arc<AtomicBool>,
) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let region = loop {
            match Region::attach(&name) {
                Ok(r) => break r,
                Err(_) => std::thread::sleep(Duration::from_millis(1)),
            }
        };
        let ring = region.ring();
        let mut drain = Drain::attach(&ring, 0);
        let mut bytes = 0u64;
        while !stop.load(Ordering::Relaxed) {
            if hold.load(Ordering::Relaxed) {
                std::thread::yield_now();
                continue;
            }
            let mut batch = Batch::new(0, drain.next_seq());
            drain.read(&ring, &mut batch, 1 << 20, |_| Ok(1)).unwrap();
            drain.release(&ring);
            bytes += batch.byte_len() as u64;
            if batch.is_empty() {
                ring.wait(ring.wi(), WaitPolicy::Futex, Duration::from_millis(1));
            }
        }
        bytes
    })
}

/// Logs the record numbered by its argument; `false` if dropped.
type Log<'a> = &'a dyn Fn(u64) -> bool;

/// One workload: `log` called with increasing numbers, `commit` ending a
/// batch, `empty` waiting until the consumer emptied the ring, `hold`
/// pausing the consumer.
struct Workload<'a> {
    log: Log<'a>,
    commit: &'a dyn Fn(),
    empty: &'a dyn Fn(),
    hold: &'a AtomicBool,
}

impl Workload<'_> {
    /// ns per record of `batches` batches of `n` records, timing only the
    /// logging and commits (the ring has room for a whole batch), with the
    /// consumer draining meanwhile or `paused`.
    fn with_room(&self, batches: u64, n: u64, paused: bool) -> f64 {
        let mut timed = Duration::ZERO;
        for b in 0..batches {
            (self.empty)();
            self.hold.store(paused, Ordering::Relaxed);
            let start = Instant::now();
            for i in 0..n {
                assert!((self.log)(b * n + i));
            }
            (self.commit)();
            timed += start.elapsed();
            self.hold.store(false, Ordering::Relaxed);
        }
        timed.as_nanos() as f64 / (batches * n) as f64
    }

    /// ns per record of `n` records logged without pause.
    fn sustained(&self, n: u64) -> f64 {
        let start = Instant::now();
        for i in 0..n {
            assert!((self.log)(i));
        }
        (self.commit)();
        start.elapsed().as_nanos() as f64 / n as f64
    }
}

/// Median, minimum and maximum of `runs` samples (after two warm-ups).
fn stats(runs: usize, sample: impl Fn() -> f64) -> [f64; 3] {
    sample();
    sample();
    let mut samples: Vec<f64> = (0..runs).map(|_| sample()).collect();
    samples.sort_by(f64::total_cmp);
    [samples[runs / 2], samples[0], samples[runs - 1]]
}

fn main() {
    let _hog = UnixListener::bind(DIR.path().join("hstore.Bench.sk")).unwrap();
    let runs: usize = std::env::var("RECORD_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(9);
    let g = &BENCH;
    assert!(g.seq(0)); // creates this thread's ring
    let name = g.thread_region_name();
    let stop = Arc::new(AtomicBool::new(false));
    let hold = Arc::new(AtomicBool::new(false));
    let consumer = consume(name.clone(), stop.clone(), hold.clone());
    let region = Region::attach(&name).unwrap();
    let empty = || {
        let ring = region.ring();
        while ring.ri() != ring.wi() {
            std::thread::yield_now();
        }
    };
    let commit = || {
        g.commit();
    };
    let text = "t".repeat(256);
    let point = |i: u64| {
        g.point(P3 {
            x: i as i32,
            y: 1,
            z: 2,
        })
    };
    let seq = |i: u64| g.seq(i as i64);
    let string = |_| g.text(&text);
    // (name, workload, records per batch filling ~60 of the 64 pages)
    let workloads: [(&str, Log, u64); 3] = [
        ("packed 3-int struct", &point, 60 * 4092 / 16),
        ("i64", &seq, 60 * 4092 / 12),
        ("256-byte string", &string, 60 * 4092 / 268),
    ];
    println!("ns/record, median [min, max] of {runs} runs");
    for (what, log, batch) in workloads {
        let w = Workload {
            log,
            commit: &commit,
            empty: &empty,
            hold: &hold,
        };
        println!("  {what}");
        let show = |label: &str, [median, min, max]: [f64; 3]| {
            println!("    {label:<36} {median:>6.1}  [{min:.1}, {max:.1}]");
        };
        show(
            "ring with room",
            stats(runs, || w.with_room(2_000_000 / batch, batch, false)),
        );
        show(
            "ring with room, consumer paused",
            stats(runs, || w.with_room(2_000_000 / batch, batch, true)),
        );
        show(
            "sustained, hog's reader draining",
            stats(runs, || w.sustained(1_000_000)),
        );
    }
    stop.store(true, Ordering::Relaxed);
    let bytes = consumer.join().unwrap();
    println!("(hog's reader drained {:.0} MB)", bytes as f64 / 1e6);
    let _ = std::fs::remove_file(Region::path_of(&name));
}

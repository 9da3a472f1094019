//! Exactly-once across a v2 hop, whatever is killed: a producer logs into
//! a batchsend hog that ships over v2 to a batchrecv hog writing fregion
//! files; at seeded random instants the sender, the receiver or both are
//! killed with SIGKILL and restarted. Every record must then be in the
//! files exactly once, in order per producer thread.
//!
//! `HOG_KILL_ITERATIONS` (default 10) sets the number of kills,
//! `HOG_KILL_SEED` the seed (printed, so that a failure can be replayed).

#[path = "support/shipping.rs"]
mod shipping;
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use shipping::*;
use support::{free_port, loadgen, wait_until, Hog};

/// A small, seedable generator (xorshift64*), so the test needs no crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

const THREADS: i64 = 2;
const BATCH: (&str, &str) = ("50ms", "16KB");

fn start_sender(s: &Path, port: u16) -> Hog {
    sender(
        s,
        "X",
        &[port],
        BATCH,
        "protocol = \"v2\"\nack_timeout = \"5s\"\nmax_backoff = \"500ms\"",
    )
}

fn total(r: &Path) -> usize {
    files(&r.join("X")).iter().map(Vec::len).sum()
}

#[test]
fn sigkill_of_sender_and_receiver_loses_and_duplicates_nothing() {
    let iterations = env_number("HOG_KILL_ITERATIONS").unwrap_or(10);
    let seed = env_number("HOG_KILL_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
            | 1
    });
    eprintln!("HOG_KILL_SEED={seed} HOG_KILL_ITERATIONS={iterations}");
    let mut rng = Rng(seed);
    // Enough records that the producer is still logging during most kills.
    let records = 25_000 * iterations.max(4) as i64;
    let dir = tempfile::tempdir().unwrap();
    let (s, r) = (dir.path().join("send"), dir.path().join("recv"));
    let port = free_port();
    let mut recv = Some(batchrecv(&r, port, ""));
    let mut send = Some(start_sender(&s, port));
    let mut producer = loadgen(
        &s,
        "X",
        &[
            &THREADS.to_string(),
            &records.to_string(),
            "manual",
            "16",
            "20",
        ],
    );
    let mut kills = (0, 0);
    for i in 0..iterations {
        std::thread::sleep(Duration::from_millis(100 + rng.below(700)));
        let victim = rng.below(3);
        if victim != 1 {
            send.take().expect("running").kill();
            kills.0 += 1;
        }
        if victim != 0 {
            recv.take().expect("running").kill();
            kills.1 += 1;
        }
        std::thread::sleep(Duration::from_millis(rng.below(300)));
        if victim != 0 {
            recv = Some(batchrecv(&r, port, ""));
        }
        if victim != 1 {
            send = Some(start_sender(&s, port));
        }
        eprintln!(
            "kill {i}: {} ({} records held so far)",
            ["sender", "receiver", "both"][victim as usize],
            total(&r)
        );
    }
    let started = Instant::now();
    assert!(producer.wait().unwrap().success());
    let want = (THREADS * records) as usize;
    wait_until(180, "every record in the files", || total(&r) >= want);
    // Anything duplicated would arrive after the last original: wait for
    // the sender to finish its streams before counting.
    let (send, recv) = (send.expect("running"), recv.expect("running"));
    wait_until(60, "the streams to end", || {
        recv.log().matches("stream ended after").count() >= THREADS as usize
    });
    std::thread::sleep(Duration::from_millis(500));
    eprintln!(
        "{} sender and {} receiver kills; drained {:.1}s after the producer",
        kills.0,
        kills.1,
        started.elapsed().as_secs_f64()
    );
    assert!(send.stop().success());
    assert!(recv.stop().success());
    let per_file = files(&r.join("X"));
    // Each stream resumes in its own file after a restart: per thread, the
    // values across files must be 0..records once each, each file in order.
    assert_exactly_once(&per_file, THREADS, records);
}

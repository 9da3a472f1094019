//! Stress test of the publish/consume protocol between our writers and
//! hog's reader: producer threads log into small rings (they wrap
//! hundreds of times, writers wait for room and readers for data, with
//! futex wakes both ways or with spinning) while a consumer thread per
//! ring drains it with hog's `Drain`. Every record arrives exactly once,
//! in order, with its bytes intact; rolled back records never arrive.

mod support;

use std::time::Duration;

use hog_core::hstore::{Drain, WaitPolicy};
use hog_producer::{group, CommitMethod, Group, Qos};
use support::{attach, drain, fresh_dir, remove_region, Listener};

group! {
    static AUTO: Auto = Group::new("StressAuto", 10, Qos::Reliable, CommitMethod::Auto)
        .with_store_dir(*DIR);
    fn rec(seq: i64, pad: &str);
}

group! {
    static MANUAL: Manual = Group::new("StressManual", 10, Qos::Reliable, CommitMethod::Manual)
        .with_store_dir(*DIR);
    fn rec(seq: i64, pad: &str);
}

group! {
    static SPIN: Spin = Group::new("StressSpin", 10, Qos::Reliable, CommitMethod::Auto)
        .with_store_dir(*DIR)
        .with_wait_policy(WaitPolicy::Spin);
    fn rec(seq: i64, pad: &str);
}

static DIR: std::sync::LazyLock<&'static std::path::Path> = std::sync::LazyLock::new(fresh_dir);

const THREADS: usize = 3;

/// The padding of record `seq`: mostly short, sometimes several slots.
fn pad(seq: i64) -> String {
    let len = match seq % 997 {
        0 => 9_000,
        n => (n as usize * 37) % 300,
    };
    "p".repeat(len)
}

/// Decodes `(seq, pad length)` records.
fn decode(transaction: &[u8]) -> Vec<(i64, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < transaction.len() {
        let seq = i64::from_le_bytes(transaction[at + 4..at + 12].try_into().unwrap());
        let len = u64::from_le_bytes(transaction[at + 12..at + 20].try_into().unwrap()) as usize;
        assert!(transaction[at + 20..at + 20 + len]
            .iter()
            .all(|&b| b == b'p'));
        out.push((seq, len));
        at += 20 + len;
    }
    out
}

/// Runs `produce` on `THREADS` threads; a consumer per thread's ring
/// drains it as it is written. Returns each ring's transactions.
fn run(
    group: &'static Group,
    policy: WaitPolicy,
    produce: impl Fn() + Send + Sync + Copy + 'static,
) -> Vec<Vec<Vec<(i64, usize)>>> {
    let _hog = Listener::bind(&DIR, group.name());
    let consumers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (tx, rx) = std::sync::mpsc::channel();
            let producer = std::thread::spawn(move || {
                tx.send(group.thread_region_name()).unwrap();
                produce();
            });
            let name = rx.recv().unwrap();
            std::thread::spawn(move || {
                let region = attach(&name);
                let ring = region.ring();
                let mut reader = Drain::attach(&ring, 0);
                let mut got = Vec::new();
                loop {
                    let finished = producer.is_finished();
                    let before = got.len();
                    got.extend(drain(&region, &mut reader).iter().map(|t| decode(t)));
                    if finished && got.len() == before {
                        break;
                    }
                    if got.len() == before {
                        ring.wait(ring.wi(), policy, Duration::from_millis(10));
                    }
                }
                producer.join().unwrap();
                remove_region(&name);
                got
            })
        })
        .collect();
    consumers.into_iter().map(|c| c.join().unwrap()).collect()
}

#[test]
fn auto_commit_records_arrive_once_and_in_order() {
    const N: i64 = 40_000;
    let rings = run(AUTO.group(), WaitPolicy::Futex, || {
        for seq in 0..N {
            assert!(AUTO.rec(seq, &pad(seq)));
        }
        AUTO.commit();
    });
    for transactions in rings {
        let got: Vec<(i64, usize)> = transactions.into_iter().flatten().collect();
        let want: Vec<(i64, usize)> = (0..N).map(|s| (s, pad(s).len())).collect();
        assert_eq!(got.len(), want.len());
        assert!(got == want, "records out of order, lost or repeated");
    }
}

#[test]
fn committed_transactions_arrive_once_and_in_order_and_rolled_back_ones_never() {
    const TXNS: i64 = 3_000;
    let size = |t: i64| (t % 7 + 1) * 3;
    let rings = run(MANUAL.group(), WaitPolicy::Futex, move || {
        for t in 0..TXNS {
            for i in 0..size(t) {
                let seq = t * 1000 + i;
                MANUAL.rec(seq, &pad(seq));
            }
            if t % 5 == 4 {
                MANUAL.rollback();
            } else {
                MANUAL.commit();
            }
        }
    });
    let want: Vec<Vec<(i64, usize)>> = (0..TXNS)
        .filter(|t| t % 5 != 4)
        .map(|t| {
            (0..size(t))
                .map(|i| t * 1000 + i)
                .map(|s| (s, pad(s).len()))
                .collect()
        })
        .collect();
    for transactions in rings {
        assert_eq!(transactions.len(), want.len());
        assert!(
            transactions == want,
            "transactions out of order, lost or repeated"
        );
    }
}

#[test]
fn spinning_writers_and_polling_readers_keep_order_too() {
    const N: i64 = 15_000;
    let rings = run(SPIN.group(), WaitPolicy::Spin, || {
        for seq in 0..N {
            assert!(SPIN.rec(seq, &pad(seq)));
        }
        SPIN.commit();
    });
    for transactions in rings {
        let got: Vec<(i64, usize)> = transactions.into_iter().flatten().collect();
        assert!(got == (0..N).map(|s| (s, pad(s).len())).collect::<Vec<_>>());
    }
}

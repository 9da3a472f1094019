//! An Unreliable group never blocks: with its ring full, log calls return
//! `false` and the group counts each dropped record; what was accepted is
//! exactly what hog reads, in order. A Reliable group drops nothing.

mod support;

use std::time::{Duration, Instant};

use hog_core::hstore::Drain;
use hog_producer::{CommitMethod, Declaration, Group, Qos, StatementId};
use support::{attach, drain, fresh_dir, records, remove_region};

const SEQ: StatementId = StatementId(0);

fn group(qos: Qos, commit: CommitMethod, dir: &std::path::Path) -> Group {
    let mut g = Group::new("Drops", 10, qos, commit).with_store_dir(dir);
    g.declare(Declaration::of::<(i64,)>("seq", &[]));
    g
}

fn values(region: &str) -> Vec<i64> {
    let attached = attach(region);
    let mut reader = Drain::attach(&attached.ring(), 0);
    drain(&attached, &mut reader)
        .iter()
        .flat_map(|t| records(t, |_| 8))
        .map(|(_, v)| i64::from_le_bytes(v.try_into().unwrap()))
        .collect()
}

#[test]
fn auto_commit_drops_what_does_not_fit_and_counts_it() {
    let g = group(Qos::Unreliable, CommitMethod::Auto, fresh_dir());
    let mut w = g.writer().unwrap();
    let start = Instant::now();
    let accepted: Vec<i64> = (0..10_000i64).filter(|&i| w.log(SEQ, &(i,))).collect();
    w.commit();
    assert!(start.elapsed() < Duration::from_secs(5), "never blocks");
    // 10 publishable slots of 340 twelve-byte records each.
    assert_eq!(accepted, (0..3400).collect::<Vec<_>>());
    assert_eq!(g.dropped(), 10_000 - 3400);
    assert_eq!(values(&g.thread_region_name()), accepted);
    remove_region(&g.thread_region_name());
}

#[test]
fn a_manual_transaction_that_cannot_fit_is_cancelled_and_its_records_dropped() {
    let g = group(Qos::Unreliable, CommitMethod::Manual, fresh_dir());
    let mut w = g.writer().unwrap();
    for i in 0..5i64 {
        assert!(w.log(SEQ, &(i,)));
        assert!(w.commit());
    }
    // 5 slots left to publish: a transaction of 6 pages cannot complete.
    let logged = (100..100 + 6 * 341i64)
        .filter(|&i| w.log(SEQ, &(i,)))
        .count();
    assert!(logged < 6 * 341, "logged {logged}, dropped {}", g.dropped());
    assert_eq!(g.dropped(), (6 * 341 - logged) as u64);
    assert!(!w.commit(), "no slot left to commit");
    assert!(!w.log(SEQ, &(999i64,)));
    assert_eq!(g.dropped(), (6 * 341 - logged) as u64 + 1);
    // hog reads the five committed transactions; the cancelled one is gone.
    assert_eq!(values(&g.thread_region_name()), [0, 1, 2, 3, 4]);
    // With room again, logging resumes at the next commit.
    assert!(!w.log(SEQ, &(5i64,)), "no slot until a commit takes one");
    w.commit();
    assert!(w.log(SEQ, &(6i64,)));
    w.commit();
    assert_eq!(values(&g.thread_region_name()), [6]);
    remove_region(&g.thread_region_name());
}

#[test]
fn a_reliable_group_drops_nothing() {
    let dir = fresh_dir();
    let _hog = support::Listener::bind(dir, "Drops");
    let g: &'static Group = Box::leak(Box::new(group(Qos::Reliable, CommitMethod::Auto, dir)));
    let (tx, rx) = std::sync::mpsc::channel();
    let producer = std::thread::spawn(move || {
        let mut w = g.writer().unwrap();
        tx.send(g.thread_region_name()).unwrap();
        for i in 0..20_000i64 {
            assert!(w.log(SEQ, &(i,)));
        }
        w.commit();
    });
    let name = rx.recv().unwrap();
    let region = attach(&name);
    let mut reader = Drain::attach(&region.ring(), 0);
    let mut seen = Vec::new();
    support::wait_until(20, "every record", || {
        for t in drain(&region, &mut reader) {
            let values = records(&t, |_| 8).into_iter();
            seen.extend(values.map(|(_, v)| i64::from_le_bytes(v.try_into().unwrap())));
        }
        seen.len() == 20_000
    });
    producer.join().unwrap();
    assert_eq!(seen, (0..20_000).collect::<Vec<_>>());
    assert_eq!(g.dropped(), 0);
    remove_region(&name);
}

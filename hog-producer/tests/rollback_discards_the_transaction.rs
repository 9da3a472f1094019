//! `rollback()` ends the open transaction with a ROLLBACK slot: hog drops
//! every byte of it — including slots already published as CONT and read
//! by a consumer — and the next transaction starts clean.

mod support;

use hog_core::hstore::Drain;
use hog_producer::{group, CommitMethod, Group, Qos};
use support::{attach, drain, records, remove_region, store_dir, Listener};

// A group per test: tests run at once, and two listeners on one group's
// socket collide.
group! {
    static ROLLED_BACK: RolledBack = Group::new("RolledBack", 10, Qos::Reliable, CommitMethod::Manual)
        .with_store_dir(store_dir());
    fn seq(i: i64);
}

group! {
    static ALIGNED: Aligned = Group::new("Aligned", 10, Qos::Reliable, CommitMethod::Manual)
        .with_store_dir(store_dir());
    fn text(s: &str);
}

fn longs(t: &[u8]) -> Vec<i64> {
    records(t, |_| 8)
        .into_iter()
        .map(|(_, v)| i64::from_le_bytes(v.try_into().unwrap()))
        .collect()
}

#[test]
fn rolled_back_transactions_never_reach_hog() {
    let _hog = Listener::bind(store_dir(), ROLLED_BACK.name());
    let (tx, rx) = std::sync::mpsc::channel();
    let producer = std::thread::spawn(move || {
        ROLLED_BACK.seq(1);
        ROLLED_BACK.commit();
        tx.send(ROLLED_BACK.thread_region_name()).unwrap();
        ROLLED_BACK.seq(2);
        ROLLED_BACK.rollback();
        // Many slots, larger than the ring: the consumer reads (and the
        // drain releases) CONT slots before the ROLLBACK arrives.
        for i in 0..5_000 {
            ROLLED_BACK.seq(1_000_000 + i);
        }
        ROLLED_BACK.rollback();
        ROLLED_BACK.rollback(); // nothing open: an empty ROLLBACK slot
        ROLLED_BACK.seq(3);
        ROLLED_BACK.seq(4);
        ROLLED_BACK.commit();
    });
    let name = rx.recv().unwrap();
    let region = attach(&name);
    let mut reader = Drain::attach(&region.ring(), 0);
    let mut seen = Vec::new();
    support::wait_until(20, "the last transaction", || {
        seen.extend(drain(&region, &mut reader).iter().map(|t| longs(t)));
        seen.last() == Some(&vec![3, 4])
    });
    producer.join().unwrap();
    assert_eq!(seen, [vec![1], vec![3, 4]]);
    remove_region(&name);
}

#[test]
fn a_rollback_of_a_multi_slot_string_keeps_the_ring_aligned() {
    let _hog = Listener::bind(store_dir(), ALIGNED.name());
    let (tx, rx) = std::sync::mpsc::channel();
    let producer = std::thread::spawn(move || {
        tx.send(ALIGNED.thread_region_name()).unwrap();
        ALIGNED.text(&"r".repeat(30_000));
        ALIGNED.rollback();
        ALIGNED.text("kept");
        ALIGNED.commit();
    });
    let name = rx.recv().unwrap();
    let region = attach(&name);
    let mut reader = Drain::attach(&region.ring(), 0);
    let mut seen = Vec::new();
    support::wait_until(20, "the committed transaction", || {
        seen.extend(drain(&region, &mut reader));
        !seen.is_empty()
    });
    producer.join().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(&seen[0][4..12], 4u64.to_le_bytes());
    assert_eq!(&seen[0][12..], b"kept");
    remove_region(&name);
}

//! `rollback()` ends the open transaction with a ROLLBACK slot: hog drops
//! every byte of it — including slots already published as CONT and read
//! by a consumer — and the next transaction starts clean.

mod support;

use hog_core::hstore::Drain;
use hog_producer::{group, CommitMethod, Group, Qos};
use support::{attach, drain, fresh_dir, records, remove_region, Listener};

group! {
    static TXN: Txn = Group::new("Txn", 10, Qos::Reliable, CommitMethod::Manual)
        .with_store_dir(*DIR);
    fn seq(i: i64);
    fn text(s: &str);
}

static DIR: std::sync::LazyLock<&'static std::path::Path> = std::sync::LazyLock::new(fresh_dir);

fn longs(t: &[u8]) -> Vec<i64> {
    records(t, |_| 8)
        .into_iter()
        .map(|(_, v)| i64::from_le_bytes(v.try_into().unwrap()))
        .collect()
}

#[test]
fn rolled_back_transactions_never_reach_hog() {
    let _hog = Listener::bind(&DIR, "Txn");
    let (tx, rx) = std::sync::mpsc::channel();
    let producer = std::thread::spawn(move || {
        TXN.seq(1);
        TXN.commit();
        tx.send(TXN.thread_region_name()).unwrap();
        TXN.seq(2);
        TXN.rollback();
        // Many slots, larger than the ring: the consumer reads (and the
        // drain releases) CONT slots before the ROLLBACK arrives.
        for i in 0..5_000 {
            TXN.seq(1_000_000 + i);
        }
        TXN.rollback();
        TXN.rollback(); // nothing open: an empty ROLLBACK slot
        TXN.seq(3);
        TXN.seq(4);
        TXN.commit();
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
    let _hog = Listener::bind(&DIR, "Txn");
    let (tx, rx) = std::sync::mpsc::channel();
    let producer = std::thread::spawn(move || {
        tx.send(TXN.thread_region_name()).unwrap();
        TXN.text(&"r".repeat(30_000));
        TXN.rollback();
        TXN.text("kept");
        TXN.commit();
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

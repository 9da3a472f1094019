//! Records and transactions larger than a slot, and larger than the whole
//! ring, are split across slots at any byte (as `storage.H` splits them)
//! and reach hog intact, while the producer waits for room.

mod support;

use hog_core::hstore::Drain;
use hog_core::types::{StatementTable, Value};
use hog_producer::{group, CommitMethod, Group, Qos, Store};
use support::{attach, drain, fresh_dir, pattern, remove_region, Listener};

#[derive(Store)]
struct Chunk {
    n: i64,
    body: String,
    tail: [u16; 3],
}

group! {
    static BIG: Big = Group::new("Big", 10, Qos::Reliable, CommitMethod::Auto)
        .with_store_dir(*DIR);
    fn chunk(c: &Chunk);
}

group! {
    static HUGE: Huge = Group::new("Huge", 10, Qos::Reliable, CommitMethod::Manual)
        .with_store_dir(*DIR);
    fn chunk(c: &Chunk);
}

static DIR: std::sync::LazyLock<&'static std::path::Path> = std::sync::LazyLock::new(fresh_dir);

fn chunk(n: i64) -> Chunk {
    let len = [0, 4091, 4092, 4093, 8184, 100_000][n as usize % 6];
    Chunk {
        n,
        body: pattern(len, n as usize),
        tail: [n as u16, 0xffff, 7],
    }
}

/// Drains region `name` until the producer is done; decodes every record
/// of every transaction with hog's decoder.
fn read_all(name: &str, producer: std::thread::JoinHandle<()>) -> Vec<Vec<Value>> {
    let region = attach(name);
    let table: &StatementTable = &region.meta().table;
    let mut reader = Drain::attach(&region.ring(), 0);
    let mut out = Vec::new();
    let mut done = false;
    support::wait_until(30, "every transaction", || {
        let finished = producer.is_finished();
        for t in drain(&region, &mut reader) {
            let records = table
                .records(&t)
                .map(|r| {
                    let r = r.unwrap();
                    Value::decode(&r.entry.ty, r.payload).unwrap()
                })
                .collect();
            out.push(records);
        }
        std::mem::replace(&mut done, finished)
    });
    producer.join().unwrap();
    out
}

fn expected(c: &Chunk) -> Value {
    let decoded = hog_core::types::Type::decode(&Chunk::hobbes_type().encode()).unwrap();
    Value::decode(&decoded, &hog_producer::encode(c)).unwrap()
}

#[test]
fn records_larger_than_a_slot_and_than_the_ring_arrive_whole() {
    let _hog = Listener::bind(&DIR, "Big");
    let (tx, rx) = std::sync::mpsc::channel();
    let producer = std::thread::spawn(move || {
        tx.send(BIG.thread_region_name()).unwrap();
        for n in 0..24 {
            assert!(BIG.chunk(&chunk(n)));
        }
        BIG.commit();
    });
    let name = rx.recv().unwrap();
    let got: Vec<Value> = read_all(&name, producer).into_iter().flatten().collect();
    let want: Vec<Value> = (0..24).map(|n| expected(&chunk(n))).collect();
    assert_eq!(got.len(), want.len());
    assert_eq!(got, want);
    remove_region(&name);
}

#[test]
fn a_transaction_larger_than_the_ring_arrives_whole() {
    let _hog = Listener::bind(&DIR, "Huge");
    let (tx, rx) = std::sync::mpsc::channel();
    let producer = std::thread::spawn(move || {
        tx.send(HUGE.thread_region_name()).unwrap();
        for n in 0..30 {
            HUGE.chunk(&chunk(n));
        }
        HUGE.commit();
        HUGE.chunk(&chunk(1));
        HUGE.commit();
    });
    let name = rx.recv().unwrap();
    let got = read_all(&name, producer);
    assert_eq!(got.len(), 2);
    let want: Vec<Value> = (0..30).map(|n| expected(&chunk(n))).collect();
    assert_eq!(got[0], want);
    assert_eq!(got[1], [expected(&chunk(1))]);
    remove_region(&name);
}

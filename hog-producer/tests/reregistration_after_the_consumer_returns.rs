//! When hog goes away and comes back, the producer registers its rings
//! again (`cmd` bit 0 set) exactly when the C++ producer does: while a
//! Reliable writer waits for room (every 10 ms), at an Unreliable commit
//! that has found no room for 10 ms, and on `reconnect()`. It registers
//! every ring of the process, and never while hog is still there.

mod support;

use std::time::Duration;

use hog_core::hstore::Drain;
use hog_producer::{CommitMethod, Declaration, Group, Qos, StatementId, Writer};
use support::{attach, drain, fresh_dir, remove_region, Listener};

const SEQ: StatementId = StatementId(0);

fn group(
    name: &str,
    dir: &'static std::path::Path,
    qos: Qos,
    commit: CommitMethod,
) -> &'static Group {
    let mut g = Group::new(name, 10, qos, commit).with_store_dir(dir);
    g.declare(Declaration::of::<(i64,)>("seq", &[]));
    Box::leak(Box::new(g))
}

fn tid_of(region: &str) -> u64 {
    region.rsplit('.').next().unwrap().parse().unwrap()
}

/// `(cmd, tid)` of each registration after the version.
fn registrations(bytes: &[u8]) -> Vec<(u8, u64)> {
    assert_eq!(bytes[..4], 0x0002_0000u32.to_le_bytes());
    bytes[4..]
        .chunks(17)
        .map(|m| (m[0], u64::from_le_bytes(m[9..17].try_into().unwrap())))
        .collect()
}

/// Logs until the ring is full: one record per slot, committed.
fn fill(writer: &mut Writer<'_>, slots: u32) {
    for i in 0..slots {
        writer.log(SEQ, &(i64::from(i),));
        writer.commit();
    }
}

#[test]
fn a_blocked_reliable_writer_registers_every_ring_when_hog_returns() {
    let dir = fresh_dir();
    let first = Listener::bind(dir, "Back");
    let g = group("Back", dir, Qos::Reliable, CommitMethod::Manual);
    let other = std::thread::spawn(move || {
        let mut w = g.writer().unwrap();
        w.log(SEQ, &(7i64,));
        w.commit();
        g.thread_region_name()
    })
    .join()
    .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let producer = std::thread::spawn(move || {
        let mut w = g.writer().unwrap();
        tx.send(g.thread_region_name()).unwrap();
        // 11 slots hold 10 published ones: the 11th commit waits.
        fill(&mut w, 11);
        w.commit();
    });
    let mine = rx.recv().unwrap();
    let before = first.wait_for(0, 4 + 2 * 17);
    assert_eq!(
        registrations(&before),
        [(0, tid_of(&other)), (0, tid_of(&mine))]
    );

    first.close();
    std::thread::sleep(Duration::from_millis(50)); // probes find nobody
    let second = Listener::bind(dir, "Back");
    let again = second.wait_for(0, 4 + 2 * 17);
    assert_eq!(
        registrations(&again),
        [(1, tid_of(&other)), (1, tid_of(&mine))]
    );

    // The returned consumer drains; the writer goes on.
    let region = attach(&mine);
    let mut reader = Drain::attach(&region.ring(), 0);
    let mut seen = 0;
    support::wait_until(10, "the producer to finish", || {
        seen += drain(&region, &mut reader).len();
        producer.is_finished()
    });
    seen += drain(&region, &mut reader).len();
    assert_eq!(seen, 12, "11 transactions and an empty one");
    producer.join().unwrap();
    assert_eq!(second.received().len(), 1);
    remove_region(&mine);
    remove_region(&other);
}

#[test]
fn nothing_is_registered_again_while_hog_is_there() {
    let dir = fresh_dir();
    let hog = Listener::bind(dir, "Stay");
    let g = group("Stay", dir, Qos::Reliable, CommitMethod::Manual);
    let (tx, rx) = std::sync::mpsc::channel();
    let producer = std::thread::spawn(move || {
        let mut w = g.writer().unwrap();
        tx.send(g.thread_region_name()).unwrap();
        fill(&mut w, 11);
    });
    let name = rx.recv().unwrap();
    let registration = hog.wait_for(0, 21);
    assert_eq!(registration.len(), 21);
    std::thread::sleep(Duration::from_millis(100)); // ~10 probes while blocked
    assert!(!producer.is_finished(), "the writer waits for room");
    assert_eq!(hog.received(), [registration], "no re-registration");
    let region = attach(&name);
    let mut reader = Drain::attach(&region.ring(), 0);
    support::wait_until(10, "the producer to finish", || {
        drain(&region, &mut reader);
        producer.is_finished()
    });
    producer.join().unwrap();
    remove_region(&name);
}

#[test]
fn an_unreliable_commit_without_room_probes_once_it_waited_10_ms() {
    let dir = fresh_dir();
    let first = Listener::bind(dir, "Unrel");
    let g = group("Unrel", dir, Qos::Unreliable, CommitMethod::Manual);
    let mut w = g.writer().unwrap();
    first.wait_for(0, 21);
    fill(&mut w, 10); // the last commit finds no room: the clock starts
    first.close();
    let second = Listener::bind(dir, "Unrel");
    assert!(!w.commit(), "no slot to publish");
    std::thread::sleep(Duration::from_millis(20));
    assert!(second.received().is_empty(), "no probe before a commit");
    assert!(!w.commit());
    let again = second.wait_for(0, 21);
    assert_eq!(
        registrations(&again),
        [(1, tid_of(&g.thread_region_name()))]
    );
    remove_region(&g.thread_region_name());
}

#[test]
fn reconnect_registers_again_only_after_hog_went_away() {
    let dir = fresh_dir();
    let first = Listener::bind(dir, "Ask");
    let g = group("Ask", dir, Qos::Reliable, CommitMethod::Auto);
    let _w = g.writer().unwrap();
    first.wait_for(0, 21);
    assert!(!g.reconnect(), "hog is there");
    first.close();
    assert!(!g.reconnect(), "nobody listens");
    let second = Listener::bind(dir, "Ask");
    assert!(g.reconnect());
    assert_eq!(
        registrations(&second.wait_for(0, 21)),
        [(1, tid_of(&g.thread_region_name()))]
    );
    assert!(!g.reconnect());
    remove_region(&g.thread_region_name());
}

#[test]
fn a_reliable_ring_made_before_hog_existed_registers_when_hog_appears() {
    use hog_producer::{group, hstore};
    group! {
        static EARLY: Early = Group::new("Early", 10, Qos::Reliable, CommitMethod::Manual)
            .with_store_dir(*EARLY_DIR);
        fn seq(i: i64);
    }
    static EARLY_DIR: std::sync::LazyLock<&std::path::Path> = std::sync::LazyLock::new(fresh_dir);

    let (tx, rx) = std::sync::mpsc::channel();
    let producer = std::thread::spawn(move || {
        // No hog yet: the records still go into this thread's ring.
        for i in 0..11 {
            assert!(hstore!(EARLY, seq, i));
            EARLY.commit();
            if i == 0 {
                tx.send(EARLY.thread_region_name()).unwrap();
            }
        }
    });
    let name = rx.recv().unwrap();
    assert!(!EARLY.connected());
    std::thread::sleep(Duration::from_millis(30));
    let hog = Listener::bind(&EARLY_DIR, "Early");
    assert_eq!(registrations(&hog.wait_for(0, 21)), [(1, tid_of(&name))]);
    let region = attach(&name);
    let mut reader = Drain::attach(&region.ring(), 0);
    let mut values = Vec::new();
    support::wait_until(10, "every record", || {
        for t in drain(&region, &mut reader) {
            values.push(i64::from_le_bytes(t[4..12].try_into().unwrap()));
        }
        values.len() == 11
    });
    assert_eq!(values, (0..11).collect::<Vec<_>>(), "nothing lost");
    producer.join().unwrap();
    remove_region(&name);
}

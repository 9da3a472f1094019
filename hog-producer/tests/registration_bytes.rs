//! What a producer sends on `hstore.<group>.sk`: the version once per
//! connection, then 17 bytes per ring — the layout of the golden
//! registrations, with this process's pid and each thread's tid.

mod support;

use hog_producer::{CommitMethod, Declaration, Group, ProducerError, Qos, WaitPolicy};
use support::{fresh_dir, golden, remove_region, Listener};

fn group(name: &str, dir: &std::path::Path, qos: Qos) -> Group {
    let mut g = Group::new(name, 10, qos, CommitMethod::Auto).with_store_dir(dir);
    g.declare(Declaration::of::<(i64,)>("seq", &[]));
    g
}

fn tid_of(region: &str) -> u64 {
    region.rsplit('.').next().unwrap().parse().unwrap()
}

fn registration(cmd: u8, tid: u64) -> Vec<u8> {
    let mut m = vec![cmd];
    m.extend_from_slice(&u64::from(std::process::id()).to_le_bytes());
    m.extend_from_slice(&tid.to_le_bytes());
    m
}

#[test]
fn a_ring_registers_with_the_golden_layout() {
    let dir = fresh_dir();
    let listener = Listener::bind(dir, "Reg");
    let g = group("Reg", dir, Qos::Reliable);
    let _writer = g.writer().unwrap();
    let got = listener.wait_for(0, 21);
    for vector in [
        "auto_reliable_alltypes",
        "manual_commit_rollback",
        "ring_wrapped",
    ] {
        let cpp = golden(&format!("{vector}.registration.bin"));
        assert_eq!(cpp.len(), got.len(), "{vector}");
        assert_eq!(cpp[..5], got[..5], "{vector}: version and cmd");
    }
    let region = g.thread_region_name();
    assert_eq!(got[5..], registration(0, tid_of(&region))[1..]);
    assert!(g.connected());
    remove_region(&region);
}

#[test]
fn the_spin_policy_is_announced_in_bit_one() {
    let dir = fresh_dir();
    let listener = Listener::bind(dir, "Spin");
    let g = group("Spin", dir, Qos::Reliable).with_wait_policy(WaitPolicy::Spin);
    let _writer = g.writer().unwrap();
    assert_eq!(listener.wait_for(0, 21)[4], 0b10);
    remove_region(&g.thread_region_name());
}

#[test]
fn threads_share_one_connection_and_register_their_own_rings() {
    let dir = fresh_dir();
    let listener = Listener::bind(dir, "Threads");
    let g = group("Threads", dir, Qos::Reliable);
    let regions: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..3)
            .map(|_| {
                s.spawn(|| {
                    let _writer = g.writer().unwrap();
                    g.thread_region_name()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let got = listener.wait_for(0, 4 + 3 * 17);
    assert_eq!(listener.received().len(), 1, "one connection per process");
    assert_eq!(got[..4], 0x0002_0000u32.to_le_bytes());
    let mut tids: Vec<u64> = got[4..]
        .chunks(17)
        .map(|m| {
            assert_eq!(
                m,
                registration(0, u64::from_le_bytes(m[9..].try_into().unwrap()))
            );
            u64::from_le_bytes(m[9..].try_into().unwrap())
        })
        .collect();
    let mut expected: Vec<u64> = regions.iter().map(|r| tid_of(r)).collect();
    tids.sort();
    expected.sort();
    assert_eq!(tids, expected);
    for r in &regions {
        remove_region(r);
    }
}

#[test]
fn without_hog_a_reliable_writer_fails_and_an_unreliable_one_does_not() {
    let dir = fresh_dir();
    let reliable = group("Nobody", dir, Qos::Reliable);
    assert!(matches!(reliable.writer(), Err(ProducerError::Register(_))));
    let unreliable = group("Nobody", dir, Qos::Unreliable);
    let mut writer = unreliable.writer().expect("an unregistered ring");
    assert!(writer.log(hog_producer::StatementId(0), &(1i64,)));
    assert!(!unreliable.connected());
    remove_region(&unreliable.thread_region_name());
}

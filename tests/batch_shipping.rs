//! Batch shipping end to end: a batchsend hog (hobbes flags, the tcp sink)
//! ships what producers log to receiving hogs over real TCP on loopback; a
//! destination that is down holds nobody back; receivers and senders killed
//! with SIGKILL lose nothing.

mod support;

use std::path::Path;

#[path = "support/shipping.rs"]
mod shipping;

use shipping::{assert_exactly_once, batchrecv, files, received, receiver, walk};
use support::{cpu_ticks, free_port, loadgen, wait_until, Hog};

/// A batchsend hog for `group`, started with hobbes' flags.
fn sender(dir: &Path, group: &str, destinations: &[u16]) -> Hog {
    sender_with(dir, group, destinations, "")
}

/// A batchsend hog with extra `[sink.tcp]` settings from a config file.
fn sender_with(dir: &Path, group: &str, destinations: &[u16], tcp: &str) -> Hog {
    shipping::sender(dir, group, destinations, ("100ms", "64KB"), tcp)
}

/// Values held by the receiver in `dir`, duplicates counted once.
fn distinct(dir: &Path) -> usize {
    let mut all: Vec<i64> = received(dir).into_values().flatten().collect();
    all.sort_unstable();
    all.dedup();
    all.len()
}

/// Every value of every producer thread arrived exactly once, in order.
fn assert_complete(dir: &Path, threads: i64, records: i64) {
    let streams: Vec<Vec<i64>> = received(dir).into_values().collect();
    assert_exactly_once(&streams, threads, records);
}

#[test]
fn a_batchsend_hog_ships_every_record_of_every_group_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (s, r) = (dir.path().join("send"), dir.path().join("recv"));
    let port = free_port();
    let recv = receiver(&r, port, "");
    let send = sender(&s, "S T", &[port]);
    let mut a = loadgen(&s, "S", &["2", "30000"]);
    let mut b = loadgen(&s, "T", &["1", "30000", "manual", "10", "7"]);
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    wait_until(30, "every record at the receiver", || {
        received(&r).values().map(Vec::len).sum::<usize>() == 90_000
    });
    let streams = received(&r);
    assert_eq!(streams.len(), 3, "one stream per producer thread");
    let mut bases: Vec<i64> = streams
        .values()
        .map(|values| {
            let base = values[0] - values[0] % 1_000_000;
            assert_eq!(
                *values,
                (base..base + 30_000).collect::<Vec<_>>(),
                "exact, in order"
            );
            base
        })
        .collect();
    bases.sort_unstable();
    assert_eq!(bases, [0, 0, 1_000_000], "S's two threads and T's one");
    let before = cpu_ticks(send.pid()) + cpu_ticks(recv.pid());
    std::thread::sleep(std::time::Duration::from_secs(2));
    let used = cpu_ticks(send.pid()) + cpu_ticks(recv.pid()) - before;
    assert!(
        used < 20,
        "idle sender and receiver used {used} ticks in 2 s"
    );
    assert!(send.stop().success());
    assert!(recv.stop().success());
    let spools = std::fs::read_dir(s.join("hog-tcp-spools"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(spools, 0, "delivered spools are removed");
}

/// A peer that accepts connections and reads, but never acknowledges.
fn silent_peer() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut conn = conn;
                let _ = std::io::copy(&mut conn, &mut std::io::sink());
            });
        }
    });
    port
}

#[test]
fn a_destination_that_is_down_or_silent_holds_nobody_back() {
    let dir = tempfile::tempdir().unwrap();
    let (s, r1, r2) = (
        dir.path().join("send"),
        dir.path().join("r1"),
        dir.path().join("r2"),
    );
    let (p1, p2, p3) = (free_port(), free_port(), silent_peer());
    let _up = receiver(&r1, p1, "");
    let send = sender_with(&s, "D", &[p2, p3, p1], "ack_timeout = \"1s\"\n");
    let mut producer = loadgen(&s, "D", &["1", "20000"]);
    assert!(producer.wait().unwrap().success());
    wait_until(20, "the live destination", || distinct(&r1) == 20_000);
    assert_complete(&r1, 1, 20_000);
    assert_eq!(distinct(&r2), 0);
    // The other destination comes up and gets the spooled backlog.
    let _late = receiver(&r2, p2, "");
    wait_until(30, "the late destination", || distinct(&r2) == 20_000);
    assert_complete(&r2, 1, 20_000);
    let silent = format!("127.0.0.1:{p3} (group D): handshake");
    wait_until(10, "the silent peer to be detected", || {
        send.log().contains(&silent)
    });
    assert!(send.stop().success());
}

#[test]
fn a_full_spool_holds_the_producer_back_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (s, r) = (dir.path().join("send"), dir.path().join("recv"));
    let port = free_port();
    // Spooled segments compress these sequence numbers about 50:1; a
    // limit below the 64 KB batch fills with the open batch alone.
    let send = sender_with(&s, "B", &[port], "spool_limit = \"32KB\"\n");
    let mut producer = loadgen(&s, "B", &["1", "200000"]);
    wait_until(20, "the spool to fill", || {
        send.log().contains("spool is full")
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        producer.try_wait().unwrap().is_none(),
        "the Reliable producer is held back"
    );
    let recv = receiver(&r, port, "");
    assert!(producer.wait().unwrap().success());
    wait_until(60, "every record", || distinct(&r) == 200_000);
    assert_complete(&r, 1, 200_000);
    assert!(send.stop().success());
    assert!(recv.stop().success());
}

#[test]
fn a_spool_that_drops_oldest_says_what_it_lost() {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("send");
    let port = free_port();
    let tcp = "spool_limit = \"16KB\"\nwhen_full = \"drop_oldest\"\n";
    let send = sender_with(&s, "X", &[port], tcp);
    let mut producer = loadgen(&s, "X", &["1", "100000"]);
    assert!(
        producer.wait().unwrap().success(),
        "the producer is never held back"
    );
    wait_until(20, "the loss report", || send.log().contains("DROPPED"));
    let bytes: u64 = walk(&s)
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum();
    assert!(
        bytes < 2 << 20,
        "the spool stays bounded: {bytes} bytes on disk"
    );
    assert!(send.stop().success());
}

#[test]
fn a_receiver_killed_mid_stream_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (s, r) = (dir.path().join("send"), dir.path().join("recv"));
    let port = free_port();
    let recv = receiver(&r, port, "");
    let send = sender(&s, "R", &[port]);
    let mut producer = loadgen(&s, "R", &["1", "300000", "manual", "10", "50"]);
    wait_until(30, "some records", || distinct(&r) > 20_000);
    recv.kill();
    let recv = receiver(&r, port, "");
    assert!(producer.wait().unwrap().success());
    wait_until(60, "every record", || distinct(&r) == 300_000);
    assert_complete(&r, 1, 300_000);
    assert!(send.stop().success());
    assert!(recv.stop().success());
}

#[test]
fn a_sender_killed_mid_stream_resumes_from_its_spool() {
    let dir = tempfile::tempdir().unwrap();
    let (s, r) = (dir.path().join("send"), dir.path().join("recv"));
    let port = free_port();
    let recv = receiver(&r, port, "");
    let send = sender(&s, "K", &[port]);
    let mut producer = loadgen(&s, "K", &["1", "300000", "manual", "10", "50"]);
    wait_until(30, "some records", || distinct(&r) > 20_000);
    send.kill();
    let send = sender(&s, "K", &[port]);
    assert!(producer.wait().unwrap().success());
    wait_until(60, "every record", || distinct(&r) == 300_000);
    assert_complete(&r, 1, 300_000);
    assert!(send.stop().success());
    assert!(recv.stop().success());
}

#[test]
fn batchrecv_writes_the_files_local_mode_writes() {
    for consolidate in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let (s, r) = (dir.path().join("send"), dir.path().join("recv"));
        let port = free_port();
        let recv = batchrecv(
            &r,
            port,
            if consolidate {
                "[sink.disk]\nconsolidate = true"
            } else {
                ""
            },
        );
        let send = sender(&s, "F", &[port]);
        let mut producer = loadgen(&s, "F", &["2", "20000"]);
        assert!(producer.wait().unwrap().success());
        let total = || files(&r.join("F")).iter().map(Vec::len).sum::<usize>();
        wait_until(30, "every record in files", || total() == 40_000);
        assert!(send.stop().success());
        assert!(recv.stop().success());
        let per_file = files(&r.join("F"));
        if consolidate {
            assert_eq!(per_file.len(), 1, "-c: one file for equally-typed streams");
            let mut threads: Vec<Vec<i64>> = vec![Vec::new(), Vec::new()];
            for v in &per_file[0] {
                threads[(v / 1_000_000) as usize].push(*v);
            }
            for (t, values) in threads.iter().enumerate() {
                let base = t as i64 * 1_000_000;
                assert_eq!(*values, (base..base + 20_000).collect::<Vec<_>>());
            }
        } else {
            assert_eq!(per_file.len(), 2, "one file per stream");
            let mut bases: Vec<i64> = per_file
                .iter()
                .map(|values| {
                    let base = values[0] - values[0] % 1_000_000;
                    assert_eq!(*values, (base..base + 20_000).collect::<Vec<_>>());
                    base
                })
                .collect();
            bases.sort_unstable();
            assert_eq!(bases, [0, 1_000_000]);
        }
    }
}

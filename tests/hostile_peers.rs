//! Hostile and slow peers, each against real hogs on loopback: a frame
//! begun and never finished, thousands of connections at once, a receiver
//! that never acknowledges and one that acknowledges slowly. hog's memory,
//! threads and file descriptors stay bounded, and the other peers are
//! served.

#[path = "support/shipping.rs"]
mod shipping;
mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hog_core::wire::legacy;
use shipping::{batchrecv, files, plain, sender};
use support::{free_port, loadgen, wait_until, Hog};

/// Records shipped by each test's real sender.
const RECORDS: usize = 20_000;

/// Threads, open files and resident bytes of process `pid`.
fn footprint(pid: u32) -> (usize, usize, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count();
    (field("Threads:") as usize, fds, field("VmRSS:") * 1024)
}

/// Ships `RECORDS` records of group `group` from a sender in `dir` to
/// `ports`, and waits until the receiver in `recv` holds all of them.
fn ship_through(dir: &Path, recv: &Path, group: &str, ports: &[u16], tcp: &str) -> Hog {
    let send = sender(dir, group, ports, ("50ms", "64KB"), tcp);
    loadgen(dir, group, &["1", &RECORDS.to_string()]).finish();
    wait_until(60, "every record at the receiver", || {
        files(recv).iter().map(Vec::len).sum::<usize>() >= RECORDS
    });
    send
}

#[test]
fn a_frame_begun_and_never_finished_is_dropped_and_others_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let recv = dir.path().join("recv");
    let port = free_port();
    let receiver = batchrecv(&recv, port, "frame_timeout = \"1s\"");
    // A group name, then an init frame that promises 1000 bytes and
    // delivers ten.
    let mut stalled = TcpStream::connect(("127.0.0.1", port)).unwrap();
    legacy::write_frame(&mut stalled, b"Stall").unwrap();
    stalled.write_all(&1000u64.to_le_bytes()).unwrap();
    stalled.write_all(&[0u8; 10]).unwrap();
    let started = Instant::now();
    let watcher = std::thread::spawn(move || {
        stalled
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut rest = Vec::new();
        let _ = stalled.read_to_end(&mut rest);
        (rest, started.elapsed())
    });
    let send = ship_through(&dir.path().join("send"), &recv, "X", &[port], "");
    let (rest, closed_after) = watcher.join().unwrap();
    assert!(rest.is_empty(), "nothing is acknowledged");
    assert!(
        closed_after < Duration::from_secs(5),
        "dropped after the frame timeout, not {closed_after:?}"
    );
    wait_until(10, "the drop in the log", || {
        plain(&receiver.log()).contains("a frame stalled for 1s")
    });
    assert!(send.stop().success());
    assert!(receiver.stop().success());
}

#[test]
fn five_thousand_connections_at_once_stay_bounded_and_a_real_sender_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let recv = dir.path().join("recv");
    let port = free_port();
    let receiver = batchrecv(
        &recv,
        port,
        "max_pending = 512\nhandshake_timeout = \"30s\"",
    );
    let (threads0, _, _) = footprint(receiver.pid());
    // Silent connections, and half a first frame each for some of them.
    let flood: Vec<TcpStream> = (0..5_000)
        .filter_map(|i| {
            let mut c = TcpStream::connect(("127.0.0.1", port)).ok()?;
            if i % 2 == 0 {
                let _ = c.write_all(&3u64.to_le_bytes()[..4]);
            }
            Some(c)
        })
        .collect();
    assert!(flood.len() >= 4_900, "the flood connected: {}", flood.len());
    let send = ship_through(&dir.path().join("send"), &recv, "X", &[port], "");
    let (threads, fds, rss) = footprint(receiver.pid());
    assert!(
        threads <= threads0 + 8,
        "threads grew from {threads0} to {threads} under the flood"
    );
    assert!(fds < 512 + 256 + 64, "{fds} file descriptors open");
    assert!(rss < 200 << 20, "{} MiB resident", rss >> 20);
    assert!(plain(&receiver.log()).contains("dropping the oldest"));
    drop(flood);
    assert!(send.stop().success());
    assert!(receiver.stop().success());
    shipping::assert_exactly_once(&files(&recv), 1, RECORDS as i64);
}

/// A hobbes-protocol receiver on a free port that acknowledges the init
/// and then each segment after `delay`, or never (`None`); counts the
/// segments it acknowledged.
fn slow_receiver(delay: Option<Duration>) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let acked = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&acked);
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let count = Arc::clone(&count);
            std::thread::spawn(move || {
                let mut c = conn;
                let frame = |c: &mut TcpStream| legacy::read_frame(c, 1 << 30, "frame").ok();
                if frame(&mut c).is_none() || frame(&mut c).is_none() {
                    return;
                }
                let _ = c.write_all(&[1]);
                while frame(&mut c).is_some() {
                    match delay {
                        Some(d) => {
                            std::thread::sleep(d);
                            if c.write_all(&[1]).is_err() {
                                return;
                            }
                            count.fetch_add(1, Ordering::Relaxed);
                        }
                        None => std::thread::sleep(Duration::from_secs(3600)),
                    }
                }
            });
        }
    });
    (port, acked)
}

#[test]
fn receivers_that_never_or_slowly_acknowledge_hold_back_only_themselves() {
    let dir = tempfile::tempdir().unwrap();
    let (send_dir, recv) = (dir.path().join("send"), dir.path().join("recv"));
    let port = free_port();
    let receiver = batchrecv(&recv, port, "");
    let (never, _) = slow_receiver(None);
    let (slow, slow_acks) = slow_receiver(Some(Duration::from_millis(200)));
    let tcp = "protocol = \"hobbes\"\nack_timeout = \"2s\"\n";
    let started = Instant::now();
    let send = ship_through(&send_dir, &recv, "X", &[never, slow, port], tcp);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the live receiver was held back"
    );
    wait_until(60, "the slow receiver to acknowledge segments", || {
        slow_acks.load(Ordering::Relaxed) >= 2
    });
    wait_until(20, "the silent receiver to be reported", || {
        plain(&send.log()).contains(&format!("127.0.0.1:{never}"))
    });
    let (threads, fds, _) = footprint(send.pid());
    assert!(threads < 64, "{threads} sender threads");
    assert!(fds < 128, "{fds} sender file descriptors");
    assert!(send.stop().success());
    assert!(receiver.stop().success());
    shipping::assert_exactly_once(&files(&recv), 1, RECORDS as i64);
}

/// A v2 probe on a fresh connection to `port`, its answer read.
fn probed(port: u16) -> TcpStream {
    use hog_core::wire::v2::Probe;
    let mut conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    legacy::write_frame(&mut conn, &Probe { tls: false }.encode()).unwrap();
    legacy::read_frame(&mut conn, 64, "answer").expect("the probe's answer");
    conn
}

/// Reads until the peer closes; how long that took.
fn closed_within(mut conn: TcpStream, started: Instant) -> Duration {
    let mut sink = Vec::new();
    let _ = conn.read_to_end(&mut sink);
    started.elapsed()
}

#[test]
fn a_trickled_hello_is_cut_at_the_handshake_deadline_and_a_huge_one_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let recv = dir.path().join("recv");
    let tokens = dir.path().join("tokens");
    std::fs::write(&tokens, "a-token-for-tests\n").unwrap();
    let port = free_port();
    let settings = format!(
        "handshake_timeout = \"2s\"\nframe_timeout = \"60s\"\nrequire_auth = true\ntoken_file = \"{}\"",
        tokens.display()
    );
    let receiver = batchrecv(&recv, port, &settings);
    let (_, _, rss_before) = footprint(receiver.pid());

    // A hello that promises 100 KB, then a byte every 300 ms: each byte
    // keeps the frame alive, the handshake deadline does not.
    let mut trickle = probed(port);
    let started = Instant::now();
    trickle.write_all(&100_000u64.to_le_bytes()).unwrap();
    let writer = trickle.try_clone().unwrap();
    std::thread::spawn(move || {
        let mut writer = writer;
        while writer.write_all(&[1]).is_ok() {
            std::thread::sleep(Duration::from_millis(300));
        }
    });
    let took = closed_within(trickle, started);
    assert!(
        took < Duration::from_secs(6),
        "cut at the 2 s handshake deadline, not after {took:?}"
    );

    // A hello that says it is 200 MB long: refused before a byte of it is
    // read or allocated.
    let mut huge = probed(port);
    let started = Instant::now();
    huge.write_all(&200_000_000u64.to_le_bytes()).unwrap();
    let took = closed_within(huge, started);
    assert!(
        took < Duration::from_secs(2),
        "refused at once, not after {took:?}"
    );
    let (_, _, rss_after) = footprint(receiver.pid());
    assert!(
        rss_after < rss_before + (50 << 20),
        "no memory taken: {rss_before} -> {rss_after} bytes"
    );
    // The receiver logs a refusal just after it closes the connection.
    for said in [
        "the handshake took longer than 2s",
        "hello of 200000000 bytes",
    ] {
        wait_until(10, said, || plain(&receiver.log()).contains(said));
    }
    assert!(receiver.stop().success());
}

//! hog's v2 transport end to end: two hogs deliver every record exactly
//! once; a v2 sender falls back to the hobbes protocol for a receiver that
//! speaks only that (a C++ hog, or ours configured so) without making it
//! create anything; a hobbes sender is served on the v2 port; corrupt,
//! lying or gapped segments are never acknowledged; duplicates are
//! acknowledged without being applied twice.

#[path = "support/shipping.rs"]
mod shipping;
mod support;

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hog_core::wire::legacy::{self, Init};
use hog_core::wire::v2::{self, ClientSettings, Codec, Hello, Negotiated, SegmentFrame};
use shipping::*;
use support::{free_port, loadgen, wait_until};

const BATCH: (&str, &str) = ("100ms", "64KB");

#[test]
fn v2_between_two_hogs_delivers_every_record_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let (s, r) = (dir.path().join("send"), dir.path().join("recv"));
    let port = free_port();
    let recv = receiver(&r, port, "");
    let send = sender(&s, "V", &[port], BATCH, "");
    let mut producer = loadgen(&s, "V", &["2", "30000"]);
    assert!(producer.wait().unwrap().success());
    wait_until(30, "every record", || count(&r) >= 60_000);
    // The sender ends a stream once it sees the producer gone; stopped
    // before that, it leaves the stream open for its next start.
    wait_until(20, "each stream's end", || {
        recv.log().matches("stream ended after").count() >= 2
    });
    assert!(send.stop().success());
    let streams: Vec<Vec<i64>> = received(&r).into_values().collect();
    assert_eq!(streams.len(), 2, "one receiving stream per producer thread");
    assert_exactly_once(&streams, 2, 30_000);
    let log = recv.log();
    assert!(log.contains("(v2), resuming at transaction 0"), "{log}");
    assert_eq!(
        log.matches("stream ended after").count(),
        2,
        "each stream's end is delivered: {log}"
    );
    assert!(recv.stop().success());
}

/// A stand-in for the C++ receiver (§3.6 of the behaviour spec): reads the
/// group name, rejects an invalid one (empty, leading '.', '/' or NUL) by
/// closing the connection before it creates anything; otherwise "creates
/// the group's directory", reads the gzip init, acknowledges, and then
/// acknowledges every gzip segment, keeping the transactions.
struct FakeCppReceiver {
    port: u16,
    events: Arc<Mutex<Vec<String>>>,
    transactions: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl FakeCppReceiver {
    fn start() -> FakeCppReceiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let events: Arc<Mutex<Vec<String>>> = Arc::default();
        let transactions: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let (e, t) = (Arc::clone(&events), Arc::clone(&transactions));
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (e, t) = (Arc::clone(&e), Arc::clone(&t));
                std::thread::spawn(move || serve_like_cpp(conn, &e, &t));
            }
        });
        FakeCppReceiver {
            port,
            events,
            transactions,
        }
    }

    fn values(&self) -> Vec<i64> {
        self.transactions
            .lock()
            .unwrap()
            .iter()
            .flat_map(|t| {
                t.chunks(12)
                    .map(|r| i64::from_le_bytes(r[4..].try_into().unwrap()))
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

fn serve_like_cpp(mut conn: TcpStream, events: &Mutex<Vec<String>>, txns: &Mutex<Vec<Vec<u8>>>) {
    use std::io::Write;
    let log = |e: String| events.lock().unwrap().push(e);
    let Ok(group) = legacy::read_frame(&mut conn, 1 << 20, "group") else {
        return;
    };
    if group.is_empty() || group[0] == b'.' || group.contains(&b'/') || group.contains(&0) {
        log(format!(
            "rejected group {:?}",
            String::from_utf8_lossy(&group)
        ));
        return;
    }
    log(format!(
        "created directory for {}",
        String::from_utf8_lossy(&group)
    ));
    let init = legacy::read_frame(&mut conn, 1 << 20, "init").unwrap();
    Init::decode(&legacy::gunzip(&init, 1 << 20, "init").unwrap()).unwrap();
    conn.write_all(&[legacy::ACK]).unwrap();
    while let Ok(seg) = legacy::read_frame(&mut conn, 1 << 26, "segment") {
        let payload = legacy::gunzip(&seg, 1 << 28, "segment").expect("gzip, as C++ expects");
        for t in legacy::transactions(&payload).unwrap() {
            txns.lock().unwrap().push(t.to_vec());
        }
        if conn.write_all(&[legacy::ACK]).is_err() {
            return;
        }
    }
}

#[test]
fn auto_falls_back_to_hobbes_for_a_cpp_receiver_that_rejects_the_probe() {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("send");
    let cpp = FakeCppReceiver::start();
    let send = sender(&s, "C", &[cpp.port], BATCH, "");
    let mut producer = loadgen(&s, "C", &["1", "20000"]);
    assert!(producer.wait().unwrap().success());
    wait_until(30, "every record at the C++ receiver", || {
        cpp.values().len() >= 20_000
    });
    assert!(send.stop().success());
    assert_exactly_once(&[cpp.values()], 1, 20_000);
    let events = cpp.events.lock().unwrap().clone();
    assert_eq!(
        events.first().map(String::as_str),
        Some("rejected group \".hog2\\u{1}\\0\""),
        "the probe is rejected before anything is created: {events:?}"
    );
    assert!(
        events
            .iter()
            .all(|e| !e.contains(".hog2") || e.starts_with("rejected")),
        "{events:?}"
    );
    assert!(events.contains(&"created directory for C".to_string()));
    let log = std::fs::read_to_string(s.join("hog.log")).unwrap();
    assert!(log.contains("speaking the hobbes protocol"), "{log}");
}

#[test]
fn auto_falls_back_to_hobbes_for_our_receiver_configured_hobbes_only() {
    let dir = tempfile::tempdir().unwrap();
    let (s, r) = (dir.path().join("send"), dir.path().join("recv"));
    let port = free_port();
    let recv = receiver(&r, port, "protocols = [\"hobbes\"]");
    let send = sender(&s, "H", &[port], BATCH, "");
    let mut producer = loadgen(&s, "H", &["1", "20000"]);
    assert!(producer.wait().unwrap().success());
    wait_until(30, "every record", || count(&r) >= 20_000);
    assert!(send.stop().success());
    assert_exactly_once(&received(&r).into_values().collect::<Vec<_>>(), 1, 20_000);
    let log = recv.log();
    assert!(
        log.contains("starts with '.'"),
        "the probe is refused: {log}"
    );
    assert!(log.contains("(hobbes protocol)"), "{log}");
    assert!(recv.stop().success());
}

#[test]
fn a_hobbes_sender_is_served_on_the_v2_port_and_a_v2_only_sender_refuses_to_fall_back() {
    let dir = tempfile::tempdir().unwrap();
    let (s, r) = (dir.path().join("send"), dir.path().join("recv"));
    let port = free_port();
    let recv = receiver(&r, port, "");
    let send = sender(&s, "L", &[port], BATCH, "protocol = \"hobbes\"");
    let mut producer = loadgen(&s, "L", &["1", "10000"]);
    assert!(producer.wait().unwrap().success());
    wait_until(30, "every record", || count(&r) >= 10_000);
    assert!(send.stop().success());
    assert_exactly_once(&received(&r).into_values().collect::<Vec<_>>(), 1, 10_000);
    assert!(recv.log().contains("(hobbes protocol)"));
    assert!(recv.stop().success());

    // protocol = "v2" against a C++ receiver: nothing is sent in hobbes.
    let s2 = dir.path().join("send2");
    let cpp = FakeCppReceiver::start();
    let send = sender(&s2, "W", &[cpp.port], BATCH, "protocol = \"v2\"");
    let mut producer = loadgen(&s2, "W", &["1", "1000"]);
    assert!(producer.wait().unwrap().success());
    let log = s2.join("hog.log");
    wait_until(20, "the refusal", || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("does not speak v2")
    });
    assert!(cpp.values().is_empty());
    assert!(cpp
        .events
        .lock()
        .unwrap()
        .iter()
        .all(|e| e.starts_with("rejected")));
    drop(send);
}

/// The init and transactions of the captured C++ conversation.
fn captured() -> (Init, Vec<Vec<u8>>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/hobbes/wire/batchsend_conn0_VecTxn.bin");
    let bytes = std::fs::read(path).unwrap();
    let mut r = &bytes[..];
    legacy::read_frame(&mut r, 64, "group").unwrap();
    let init = legacy::read_frame(&mut r, 1 << 20, "init").unwrap();
    let init = Init::decode(&legacy::gunzip(&init, 1 << 20, "init").unwrap()).unwrap();
    let mut txns = Vec::new();
    while let Ok(seg) = legacy::read_frame(&mut r, 1 << 20, "segment") {
        let payload = legacy::gunzip(&seg, 1 << 20, "segment").unwrap();
        txns.extend(
            legacy::transactions(&payload)
                .unwrap()
                .into_iter()
                .map(<[u8]>::to_vec),
        );
    }
    (init, txns)
}

/// When this test binary's streams started (one time for all, so that a
/// stream said hello to twice is the same stream).
static STARTED: std::sync::LazyLock<u64> = std::sync::LazyLock::new(hog_core::clock::now_ns);

/// A hello for stream `region` of the captured conversation.
fn hello(region: &str) -> Hello {
    Hello {
        token: Vec::new(),
        group: "VecTxn".into(),
        origin: "test-client".into(),
        region: region.into(),
        started_at_ns: *STARTED,
        pid: 1,
        tid: 1,
        init: captured().0,
    }
}

/// Connects a raw v2 client and says hello; returns it and the mark.
fn client(port: u16, settings: &ClientSettings, region: &str) -> Result<(v2::Client, u64), String> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    match v2::negotiate(tcp, settings).map_err(|e| e.to_string())? {
        Negotiated::V2(mut c) => {
            let mark = c.hello(&hello(region)).map_err(|e| e.to_string())?;
            Ok((c, mark))
        }
        Negotiated::Legacy(why) => Err(why.to_string()),
    }
}

fn segment(txns: &[Vec<u8>]) -> Vec<u8> {
    let mut p = Vec::new();
    for t in txns {
        legacy::push_transaction(&mut p, t);
    }
    p
}

fn lines(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("out.jsonl"))
        .unwrap_or_default()
        .lines()
        .count()
}

#[test]
fn corrupt_lying_and_gapped_segments_are_never_acknowledged_and_duplicates_apply_once() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("recv");
    let port = free_port();
    let recv = receiver(&r, port, "");
    let (_, txns) = captured();
    let plain = ClientSettings::default();
    assert_eq!(txns.len(), 4);
    let payload = segment(&txns[..2]);
    let z = Codec::Zstd.compress(&payload, 3);

    // A flipped payload byte: the CRC no longer matches.
    let (mut c, mark) = client(port, &plain, "/r1").unwrap();
    assert_eq!(mark, 0);
    let mut damaged = z.clone();
    damaged[z.len() / 2] ^= 0x10;
    let mut frame = SegmentFrame::new(0, 2, Codec::Zstd, &z);
    frame.payload = &damaged;
    let e = c.send_segment(&frame).unwrap_err().to_string();
    assert!(e.contains("checksum mismatch"), "{e}");

    // A damaged zstd frame with a CRC made to match: the codec's check.
    let (mut c, _) = client(port, &plain, "/r1").unwrap();
    let e = c
        .send_segment(&SegmentFrame::new(0, 2, Codec::Zstd, &damaged))
        .unwrap_err()
        .to_string();
    assert!(e.contains("corrupt or truncated zstd frame"), "{e}");

    // A segment that lies about its count.
    let (mut c, _) = client(port, &plain, "/r1").unwrap();
    let e = c
        .send_segment(&SegmentFrame::new(0, 3, Codec::Zstd, &z))
        .unwrap_err()
        .to_string();
    assert!(e.contains("holds 2"), "{e}");

    // A gap: the receiver holds nothing, the segment starts at 5.
    let (mut c, _) = client(port, &plain, "/r1").unwrap();
    let e = c
        .send_segment(&SegmentFrame::new(5, 2, Codec::Zstd, &z))
        .unwrap_err()
        .to_string();
    assert!(e.contains("a gap"), "{e}");
    assert_eq!(lines(&r), 0, "nothing damaged was stored");

    // A good segment, then the same again, then one straddling the mark.
    let (mut c, _) = client(port, &plain, "/r1").unwrap();
    assert_eq!(
        c.send_segment(&SegmentFrame::new(0, 2, Codec::Zstd, &z))
            .unwrap(),
        2
    );
    assert_eq!(
        c.send_segment(&SegmentFrame::new(0, 2, Codec::Zstd, &z))
            .unwrap(),
        2,
        "a duplicate is acknowledged"
    );
    let straddle = Codec::Gzip.compress(&segment(&txns[1..4]), 6);
    assert_eq!(
        c.send_segment(&SegmentFrame::new(1, 3, Codec::Gzip, &straddle))
            .unwrap(),
        4
    );
    drop(c);
    // A reconnecting sender learns the mark.
    let (mut c, mark) = client(port, &plain, "/r1").unwrap();
    assert_eq!(mark, 4);
    assert!(c
        .end(3)
        .unwrap_err()
        .to_string()
        .contains("cannot end at 3"));
    let (mut c, _) = client(port, &plain, "/r1").unwrap();
    assert_eq!(c.end(4).unwrap(), 4);
    wait_until(10, "the transactions", || lines(&r) == 4);
    std::thread::sleep(Duration::from_millis(300));
    let stored: Vec<String> = std::fs::read_to_string(r.join("out.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["hex"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let want: Vec<String> = txns[..4]
        .iter()
        .map(|t| t.iter().map(|b| format!("{b:02x}")).collect())
        .collect();
    assert_eq!(stored, want, "each transaction once, in order");
    let log = recv.log();
    assert!(log.contains("checksum mismatch"), "{log}");
    assert!(recv.stop().success());
}

#[test]
fn a_silent_or_hostile_v2_peer_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("recv");
    let port = free_port();
    let recv = receiver(&r, port, "max_frame = \"1MB\"\nhandshake_timeout = \"1s\"");
    // A probe, then silence: dropped after the handshake timeout.
    let mut t = TcpStream::connect(("127.0.0.1", port)).unwrap();
    legacy::write_frame(&mut t, &v2::Probe { tls: false }.encode()).unwrap();
    t.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let answer = legacy::read_frame(&mut t, 64, "answer").unwrap();
    assert!(v2::Answer::decode(&answer).unwrap().is_ok());
    let started = std::time::Instant::now();
    let mut rest = Vec::new();
    let _ = t.read_to_end(&mut rest);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "closed after the handshake timeout"
    );
    // An absurd frame length after the hello is refused before allocating.
    let (mut c, _) = client(port, &ClientSettings::default(), "/big").unwrap();
    let big = vec![0u8; 2 << 20];
    assert!(c
        .send_segment(&SegmentFrame::new(0, 1, Codec::None, &big))
        .is_err());
    // The receiver logs the refusal as it drops the connection.
    wait_until(10, "the refusal in the log", || {
        recv.log().contains("exceeds the limit")
    });
    assert_eq!(lines(&r), 0);
    assert!(recv.stop().success());
}

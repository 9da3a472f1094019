//! A v2 sender resumes where the receiver says it stands: segments at or
//! below the receiver's mark are not sent, a segment that straddles it is
//! sent from the mark on, and the stream's end follows the last segment.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::Duration;

use hog_core::pipeline::Batch;
use hog_core::plugin::{CommitMethod, Logger, Qos, Sink, StreamInfo};
use hog_core::wire::legacy;
use hog_core::wire::v2::{segment, Answer, Codec, Hello, Message, Probe, Status};
use sink_tcp::TcpSink;

/// What the fake receiver saw.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Hello(String),
    Segment(u64, Vec<u64>, Codec),
    End(u64),
}

fn send(conn: &mut TcpStream, m: &Message<'_>) {
    legacy::write_frame(conn, &m.encode()).unwrap();
    conn.flush().unwrap();
}

/// A v2 receiver that already holds transactions `0..mark` of the stream
/// and decodes the codecs of `codecs` (bits).
fn fake_v2_receiver(mark: u64, codecs: u8) -> (u16, mpsc::Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let probe = legacy::read_frame(&mut conn, 255, "probe").unwrap();
        assert!(!Probe::decode(&probe).unwrap().tls);
        let answer = Answer {
            status: Status::Plain,
            codecs,
        };
        legacy::write_frame(&mut conn, &answer.encode()).unwrap();
        let mut mark = mark;
        while let Ok(frame) = legacy::read_frame(&mut conn, 1 << 24, "message") {
            match Message::decode(&frame).unwrap() {
                Message::Hello(body) => {
                    let hello = Hello::decode(body).unwrap();
                    tx.send(Seen::Hello(hello.receiver_region())).unwrap();
                    send(&mut conn, &Message::Welcome { mark });
                }
                Message::Segment(seg) => {
                    let payload = seg.open(1 << 24).unwrap();
                    let values = legacy::transactions(&payload)
                        .unwrap()
                        .iter()
                        .map(|t| u64::from_le_bytes(t[..8].try_into().unwrap()))
                        .collect();
                    assert_eq!(segment::count_transactions(&payload).unwrap(), seg.count);
                    tx.send(Seen::Segment(seg.first_seq, values, seg.codec))
                        .unwrap();
                    mark = mark.max(seg.end_seq());
                    send(&mut conn, &Message::Ack { mark });
                }
                Message::End { end_seq } => {
                    tx.send(Seen::End(end_seq)).unwrap();
                    send(&mut conn, &Message::Ack { mark });
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    });
    (port, rx)
}

/// Ships transactions 0..25 in three segments to a receiver that holds
/// 0..13 and decodes `codecs`; what it saw.
fn ship_to_a_receiver_at_13(codecs: u8) -> Vec<Seen> {
    let (port, seen) = fake_v2_receiver(13, codecs);
    let dir = tempfile::tempdir().unwrap();
    let options = serde_json::json!({
        "dir": format!("{}/$GROUP/data", dir.path().display()),
        "batch_time": "1h",
        "batch_size": "100B",
        "destinations": [format!("127.0.0.1:{port}")],
        "protocol": "v2",
        "origin": "sender-a",
    });
    let mut sink = TcpSink::from_options(&options.to_string(), Logger::discard()).unwrap();
    let stream = StreamInfo {
        id: 7,
        group: "G".into(),
        pid: 1,
        tid: 2,
        region: "/G.1.2".into(),
        started_at_ns: 5,
        qos: Qos::Reliable,
        commit: CommitMethod::Auto,
        statements: vec![].into(),
    };
    assert_eq!(sink.open_stream(&stream).unwrap(), 0);
    // Three segments: 0..10 (held), 10..20 (held up to 13), 20..25.
    for (first, n) in [(0, 10), (10, 10), (20, 5)] {
        let mut b = Batch::new(7, first);
        for i in first..first + n {
            b.push(&i.to_le_bytes());
        }
        // The first two writes reach batch_size and are cut at once, the
        // last one when the stream closes.
        assert_eq!(sink.write(b.as_ref()).unwrap(), first + n);
    }
    sink.close_stream(7).unwrap();
    let mut got = Vec::new();
    while !matches!(got.last(), Some(Seen::End(_))) {
        got.push(
            seen.recv_timeout(Duration::from_secs(20))
                .expect("the sender goes on"),
        );
    }
    sink.shutdown().unwrap();
    got
}

#[test]
fn a_sender_skips_what_the_receiver_holds_even_inside_a_segment() {
    let got = ship_to_a_receiver_at_13(Codec::all_bits());
    let rows = Codec::ZstdRows;
    assert_eq!(got[0], Seen::Hello("sender-a:/G.1.2".into()));
    assert_eq!(
        got[1],
        Seen::Segment(13, (13..20).collect(), rows),
        "{got:?}"
    );
    assert_eq!(
        got[2],
        Seen::Segment(20, (20..25).collect(), rows),
        "{got:?}"
    );
    assert_eq!(got[3], Seen::End(25));
    assert_eq!(got.len(), 4);
}

#[test]
fn a_receiver_that_predates_zstd_rows_gets_plain_zstd() {
    let older = Codec::None.bit() | Codec::Gzip.bit() | Codec::Zstd.bit();
    let got = ship_to_a_receiver_at_13(older);
    assert_eq!(
        got[1],
        Seen::Segment(13, (13..20).collect(), Codec::Zstd),
        "{got:?}"
    );
    assert_eq!(
        got[2],
        Seen::Segment(20, (20..25).collect(), Codec::Zstd),
        "{got:?}"
    );
    assert_eq!(got[3], Seen::End(25));
}

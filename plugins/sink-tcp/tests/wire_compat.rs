//! What the tcp sink sends is what a C++ receiver expects: given the
//! statements and transactions of a captured C++ batchsend session, our
//! frames decompress to the same group, the same init bytes and the same
//! transactions, in order; every frame but the group is acknowledged.

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use hog_core::pipeline::Batch;
use hog_core::plugin::{Logger, Sink, StreamInfo};
use hog_core::wire::legacy::{self, Init, ACK};
use sink_tcp::TcpSink;

fn capture(name: &str) -> Vec<u8> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/hobbes/wire");
    std::fs::read(dir.join(name)).unwrap()
}

/// The group, the decompressed init and the transactions of a conversation.
fn parse(bytes: &[u8]) -> Conversation {
    let mut r = bytes;
    let group = legacy::read_frame(&mut r, 256, "group").unwrap();
    let init = legacy::read_frame(&mut r, 1 << 20, "init").unwrap();
    let init = legacy::gunzip(&init, 1 << 20, "init").unwrap();
    let mut txns = Vec::new();
    while !r.is_empty() {
        let seg = legacy::read_frame(&mut r, 1 << 20, "segment").unwrap();
        let payload = legacy::gunzip(&seg, 1 << 24, "segment").unwrap();
        txns.extend(
            legacy::transactions(&payload)
                .unwrap()
                .into_iter()
                .map(<[u8]>::to_vec),
        );
    }
    (group, init, txns)
}

/// A receiver that behaves as the C++ one: it drops a connection whose
/// group name is invalid (as a v2 hello is to it), acknowledges the init and
/// every segment, and hands back what it read.
fn fake_receiver() -> (u16, mpsc::Receiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = &conn;
            let Ok(group) = legacy::read_frame(&mut reader, 1 << 24, "group") else {
                continue;
            };
            if legacy::validate_group(&group).is_err() {
                continue;
            }
            let mut seen = Vec::new();
            legacy::write_frame(&mut seen, &group).unwrap();
            loop {
                let mut reader = &conn;
                let Ok(frame) = legacy::read_frame(&mut reader, 1 << 24, "frame") else {
                    break;
                };
                legacy::write_frame(&mut seen, &frame).unwrap();
                if conn.write_all(&[ACK]).is_err() {
                    break;
                }
                tx.send(seen.clone()).unwrap();
            }
        }
    });
    (port, rx)
}

#[test]
fn our_frames_carry_exactly_what_the_cpp_sender_sent() {
    let (group, init, txns) = parse(&capture("batchsend_conn0_VecTxn.bin"));
    let decoded = Init::decode(&init).unwrap();
    let (port, received) = fake_receiver();
    let dir = tempfile::tempdir().unwrap();
    let options = serde_json::json!({
        "dir": format!("{}/$GROUP/data", dir.path().display()),
        "batch_time": "20ms",
        "batch_size": "1MB",
        "destinations": [format!("127.0.0.1:{port}")],
        "state_dir": dir.path(),
    });
    let mut sink = TcpSink::from_options(&options.to_string(), Logger::discard()).unwrap();
    let stream = StreamInfo {
        id: 1,
        group: String::from_utf8(group.clone()).unwrap().into(),
        pid: 1,
        tid: 1,
        region: "/VecTxn.1.1".into(),
        started_at_ns: 1,
        qos: decoded.qos,
        commit: decoded.commit,
        statements: decoded.statements.clone().into(),
    };
    assert_eq!(sink.open_stream(&stream).unwrap(), 0);
    // Two batches, as two cuts would make them.
    let mut first = Batch::new(1, 0);
    first.push(&txns[0]);
    first.push(&txns[1]);
    assert_eq!(sink.write(first.as_ref()).unwrap(), 2);
    std::thread::sleep(Duration::from_millis(100));
    let mut rest = Batch::new(1, 2);
    for t in &txns[2..] {
        rest.push(t);
    }
    assert_eq!(sink.write(rest.as_ref()).unwrap(), txns.len() as u64);
    sink.close_stream(1).unwrap();

    let mut sent = Vec::new();
    while parse_all(&sent).is_none_or(|(_, _, t)| t.len() < txns.len()) {
        sent = received
            .recv_timeout(Duration::from_secs(20))
            .expect("frames arrive");
    }
    sink.shutdown().unwrap();
    let (our_group, our_init, our_txns) = parse(&sent);
    assert_eq!(our_group, group);
    assert_eq!(our_init, init, "the init message is byte-identical");
    assert_eq!(
        our_txns, txns,
        "the transactions are byte-identical, in order"
    );
}

/// A conversation's group, init and transactions.
type Conversation = (Vec<u8>, Vec<u8>, Vec<Vec<u8>>);

fn parse_all(bytes: &[u8]) -> Option<Conversation> {
    let mut r = bytes;
    legacy::read_frame(&mut r, 256, "group").ok()?;
    legacy::read_frame(&mut r, 1 << 20, "init").ok()?;
    Some(parse(bytes))
}

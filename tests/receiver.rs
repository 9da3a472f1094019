//! The receiver (batchrecv) against what the C++ hog sends and against
//! hostile peers: the captured C++ batchsend conversation is applied and
//! acknowledged exactly; corrupt, truncated, oversized and badly named
//! input is refused without an acknowledgement; silent or vanishing peers
//! cost nothing.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hog_core::wire::legacy;
use support::{cpu_ticks, free_port, plugin_library, wait_until, write, Hog};

fn capture(name: &str) -> (Vec<u8>, serde_json::Value) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/hobbes/wire");
    let bytes = std::fs::read(dir.join(format!("{name}.bin"))).unwrap();
    let json =
        serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.json"))).unwrap()).unwrap();
    (bytes, json)
}

fn start(dir: &Path) -> (Hog, u16) {
    let port = free_port();
    let text = format!(
        "store_dir = \"{d}\"\nsources = [\"receiver\"]\nsinks = [\"example\"]\n\
         [receiver]\nport = \"{port}\"\nlisten = \"127.0.0.1\"\nidle_timeout = \"2s\"\nmax_frame = \"1MB\"\n\
         [sink.example]\nplugin = \"{lib}\"\npath = \"{d}/out.jsonl\"\n",
        d = dir.display(),
        lib = plugin_library("example-sink").display(),
    );
    let hog = Hog::start(&write(dir, "hog.toml", &text), &dir.join("hog.log"));
    wait_until(20, "the receiver", || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    (hog, port)
}

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Reads acknowledgements until EOF; returns how many arrived.
fn acks_until_closed(s: &mut TcpStream) -> usize {
    let mut acks = Vec::new();
    let _ = s.read_to_end(&mut acks);
    assert!(
        acks.iter().all(|&b| b == 1),
        "only acknowledgement bytes: {acks:?}"
    );
    acks.len()
}

fn lines(dir: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("out.jsonl")).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_cpp_batchsend_conversation_is_applied_and_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let (hog, port) = start(dir.path());
    for (name, segments) in [
        ("batchsend_conn0_VecTxn", 4),
        ("batchsend_conn1_VecAuto", 2),
    ] {
        let (bytes, expected) = capture(name);
        let mut s = connect(port);
        s.write_all(&bytes).unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        assert_eq!(
            acks_until_closed(&mut s),
            1 + segments,
            "{name}: init and every segment"
        );
        let want: Vec<String> = expected["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                t["records"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| {
                        format!(
                            "{:08x}{}",
                            u32::from_be(r["id"].as_u64().unwrap() as u32),
                            r["hex"].as_str().unwrap()
                        )
                    })
                    .collect()
            })
            .collect();
        wait_until(10, "the transactions", || {
            lines(dir.path())
                .iter()
                .filter(|l| l["group"] == expected["group_name"])
                .count()
                == want.len()
        });
        let got: Vec<String> = lines(dir.path())
            .into_iter()
            .filter(|l| l["group"] == expected["group_name"])
            .map(|l| l["hex"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(got, want, "{name}: exact transaction bytes in order");
    }
    assert!(hog.stop().success());
}

/// Sends a group and the captured init, then `rest`; returns the acks.
fn session(port: u16, group: &[u8], rest: &[u8]) -> usize {
    let (bytes, _) = capture("batchsend_conn0_VecTxn");
    let mut r = &bytes[..];
    legacy::read_frame(&mut r, 64, "group").unwrap();
    let init = legacy::read_frame(&mut r, 1 << 20, "init").unwrap();
    let mut s = connect(port);
    let mut out = Vec::new();
    legacy::write_frame(&mut out, group).unwrap();
    legacy::write_frame(&mut out, &init).unwrap();
    out.extend_from_slice(rest);
    let _ = s.write_all(&out);
    let _ = s.shutdown(std::net::Shutdown::Write);
    acks_until_closed(&mut s)
}

#[test]
fn corrupt_truncated_oversized_and_misnamed_input_is_never_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let (hog, port) = start(dir.path());
    let mut segment = Vec::new();
    legacy::push_transaction(&mut segment, &[4, 0, 0, 0, 7, 0, 0, 0]);
    let good = legacy::gzip(&segment, 6);

    let mut corrupt = good.clone();
    let middle = corrupt.len() / 2;
    corrupt[middle] ^= 0x5a;
    let mut frames = Vec::new();
    legacy::write_frame(&mut frames, &corrupt).unwrap();
    assert_eq!(
        session(port, b"VecTxn", &frames),
        1,
        "init only: a corrupt segment is not acked"
    );

    let mut frames = Vec::new();
    legacy::write_frame(&mut frames, &good[..good.len() - 4]).unwrap();
    assert_eq!(
        session(port, b"VecTxn", &frames),
        1,
        "a truncated segment is not acked"
    );

    let huge = (u64::MAX / 2).to_le_bytes();
    assert_eq!(
        session(port, b"VecTxn", &huge),
        1,
        "an absurd length is refused before allocating"
    );

    let mut frames = Vec::new();
    legacy::write_frame(&mut frames, &legacy::gzip(&[9, 0, 0, 0, 0, 0, 0, 0, 1], 6)).unwrap();
    assert_eq!(
        session(port, b"VecTxn", &frames),
        1,
        "a transaction past its segment is refused"
    );

    let mut frames = Vec::new();
    legacy::write_frame(&mut frames, &good).unwrap();
    for bad in [&b""[..], b".hidden", b"a/b", b"nul\0", b"tab\t"] {
        assert_eq!(session(port, bad, &frames), 0, "group {bad:?} is refused");
    }
    assert_eq!(
        session(port, b"VecTxn", &frames),
        2,
        "a good segment is acked"
    );
    wait_until(10, "the good transaction", || lines(dir.path()).len() == 1);
    assert_eq!(lines(dir.path())[0]["hex"], "0400000007000000");
    let log = hog.log();
    assert!(log.contains("corrupt or truncated gzip stream"), "{log}");
    assert!(log.contains("exceeds the limit"), "{log}");
    assert!(log.contains("starts with '.'"), "{log}");
    assert!(hog.stop().success());
}

#[test]
fn silent_and_vanishing_peers_cost_nothing_and_block_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let (hog, port) = start(dir.path());
    // Peers that connect and close at once (scanners, health checks) and
    // peers that connect and say nothing.
    for _ in 0..20 {
        drop(TcpStream::connect(("127.0.0.1", port)).unwrap());
    }
    let silent: Vec<TcpStream> = (0..5).map(|_| connect(port)).collect();
    // Meanwhile a real session goes through.
    let (bytes, _) = capture("batchsend_conn0_VecTxn");
    let mut s = connect(port);
    s.write_all(&bytes).unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(acks_until_closed(&mut s), 5);
    let before = cpu_ticks(hog.pid());
    std::thread::sleep(Duration::from_secs(3));
    let used = cpu_ticks(hog.pid()) - before;
    assert!(
        used < 30,
        "an idle receiver with silent peers used {used} ticks in 3 s"
    );
    // Silent peers are dropped after the idle timeout (2 s).
    for mut peer in silent {
        let mut buf = [0u8; 1];
        assert_eq!(
            peer.read(&mut buf).unwrap_or(0),
            0,
            "closed by the receiver"
        );
    }
    assert!(hog.log().contains("idle for"));
    assert!(hog.stop().success());
}

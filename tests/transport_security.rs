//! TLS and authentication of the v2 transport, with certificates made by
//! the test: a server certificate, mutual TLS, a pre-shared token; senders
//! that are plaintext, unauthenticated, wrongly certified or carry a wrong
//! token are refused, learn nothing and store nothing; bad certificate and
//! key files are named in the error.

#[path = "support/shipping.rs"]
mod shipping;
mod support;

use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use hog_core::clock::now_ns;
use hog_core::wire::v2::{self, tls, ClientSettings, Negotiated};
use shipping::*;
use support::{free_port, hog, loadgen, run, stderr, write};

const BATCH: (&str, &str) = ("100ms", "64KB");

fn toml_path(p: &Path) -> String {
    format!("\"{}\"", p.display())
}

/// Ships `records` records of one producer thread from a sender with `tcp`
/// settings to a receiver with `settings`; returns whether they all
/// arrived, the sender's log and the receiver's log.
fn ship(dir: &Path, settings: &str, tcp: &str, records: usize) -> (bool, String, String) {
    let (s, r) = (dir.join("send"), dir.join("recv"));
    let port = free_port();
    let recv = receiver(&r, port, settings);
    let send = sender(&s, "T", &[port], BATCH, tcp);
    let mut producer = loadgen(&s, "T", &["1", &records.to_string()]);
    assert!(producer.wait().unwrap().success());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while count(&r) < records
        && !recv.log().contains("terminating log session")
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    // A refused sender keeps trying: give it the chance to slip through.
    std::thread::sleep(Duration::from_millis(500));
    let arrived = count(&r) >= records;
    if arrived {
        assert_exactly_once(
            &received(&r).into_values().collect::<Vec<_>>(),
            1,
            records as i64,
        );
    }
    let send_log = std::fs::read_to_string(s.join("hog.log")).unwrap_or_default();
    drop(send);
    let recv_log = plain(&recv.log());
    assert!(recv.stop().success());
    (arrived, plain(&send_log), recv_log)
}

#[test]
fn tls_with_a_server_certificate_carries_the_stream() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(&dir.path().join("pki"));
    let settings = format!(
        "require_tls = true\ntls = {{ cert = {}, key = {} }}",
        toml_path(&pki.server.0),
        toml_path(&pki.server.1)
    );
    let tcp = format!("tls = {{ ca = {} }}", toml_path(&pki.ca));
    let (arrived, send_log, recv_log) = ship(dir.path(), &settings, &tcp, 20_000);
    assert!(arrived, "sender: {send_log}\nreceiver: {recv_log}");
    assert!(recv_log.contains("tls=true"), "{recv_log}");
}

#[test]
fn mutual_tls_authenticates_and_strangers_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(&dir.path().join("pki"));
    let settings = format!(
        "require_tls = true\nrequire_auth = true\ntls = {{ cert = {}, key = {}, client_ca = {} }}",
        toml_path(&pki.server.0),
        toml_path(&pki.server.1),
        toml_path(&pki.ca)
    );
    let good = format!(
        "tls = {{ ca = {}, cert = {}, key = {} }}",
        toml_path(&pki.ca),
        toml_path(&pki.client.0),
        toml_path(&pki.client.1)
    );
    let (arrived, send_log, recv_log) = ship(&dir.path().join("good"), &settings, &good, 10_000);
    assert!(arrived, "sender: {send_log}\nreceiver: {recv_log}");

    // TLS but no client certificate: refused after the handshake.
    let anonymous = format!("tls = {{ ca = {} }}", toml_path(&pki.ca));
    let (arrived, send_log, recv_log) =
        ship(&dir.path().join("anon"), &settings, &anonymous, 1_000);
    assert!(!arrived);
    assert!(send_log.contains("refused by the receiver"), "{send_log}");
    assert!(
        recv_log.contains("refused: no client certificate and no token"),
        "{recv_log}"
    );
    assert!(
        !recv_log.contains("receiving group"),
        "nothing registered: {recv_log}"
    );

    // A certificate from another CA: the handshake fails.
    let stranger = format!(
        "tls = {{ ca = {}, cert = {}, key = {} }}",
        toml_path(&pki.ca),
        toml_path(&pki.stranger.0),
        toml_path(&pki.stranger.1)
    );
    let (arrived, _, recv_log) = ship(&dir.path().join("stranger"), &settings, &stranger, 1_000);
    assert!(!arrived);
    assert!(recv_log.contains("TLS handshake"), "{recv_log}");
    assert!(!recv_log.contains("receiving group"), "{recv_log}");
}

#[test]
fn a_token_authenticates_and_wrong_or_missing_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = write(
        dir.path(),
        "tokens",
        "# current and next\nold-token\nnew-token\n",
    );
    let right = write(dir.path(), "right.token", "new-token\n");
    let wrong = write(dir.path(), "wrong.token", "new-tokeN\n");
    let settings = format!("require_auth = true\ntoken_file = {}", toml_path(&tokens));
    let (arrived, send_log, recv_log) = ship(
        &dir.path().join("right"),
        &settings,
        &format!("token_file = {}", toml_path(&right)),
        10_000,
    );
    assert!(arrived, "sender: {send_log}\nreceiver: {recv_log}");

    for (name, tcp) in [
        ("wrong", format!("token_file = {}", toml_path(&wrong))),
        ("none", String::new()),
        ("hobbes", "protocol = \"hobbes\"".to_string()),
    ] {
        let (arrived, send_log, recv_log) = ship(&dir.path().join(name), &settings, &tcp, 1_000);
        assert!(!arrived, "{name}");
        assert!(!recv_log.contains("receiving group"), "{name}: {recv_log}");
        assert_eq!(
            count(&dir.path().join(name).join("recv")),
            0,
            "{name}: nothing stored"
        );
        if name != "hobbes" {
            assert!(
                send_log.contains("refused by the receiver"),
                "{name}: {send_log}"
            );
        }
    }
}

#[test]
fn an_unauthenticated_client_learns_nothing_and_a_plaintext_one_is_refused_when_tls_is_required() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(&dir.path().join("pki"));
    let tokens = write(dir.path(), "tokens", "t0ken\n");
    let r = dir.path().join("recv");
    let port = free_port();
    let recv = receiver(
        &r,
        port,
        &format!(
            "require_tls = true\nrequire_auth = true\ntoken_file = {}\ntls = {{ cert = {}, key = {} }}",
            toml_path(&tokens),
            toml_path(&pki.server.0),
            toml_path(&pki.server.1)
        ),
    );
    let connect = |settings: &ClientSettings| {
        let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        v2::negotiate(tcp, settings)
    };
    // Plaintext: refused at the probe.
    let e = connect(&ClientSettings::default()).err().expect("refused");
    assert_eq!(
        e.to_string(),
        "refused by the receiver (it may require TLS or authentication)"
    );
    // TLS without the token: the hello gets the bare refusal, no mark.
    let tls = Some((
        tls::client_config(&pki.ca, None).unwrap(),
        tls::server_name("localhost").unwrap(),
    ));
    let settings = ClientSettings {
        tls: tls.clone(),
        token: None,
    };
    let Negotiated::V2(mut c) = connect(&settings).unwrap() else {
        panic!("a v2 receiver");
    };
    assert!(c.is_tls());
    let hello = hello(now_ns());
    assert!(matches!(
        c.hello(&hello),
        Err(hog_core::wire::WireError::Refused)
    ));
    // With the token: welcomed at mark 0.
    let Negotiated::V2(mut c) = connect(&ClientSettings {
        tls,
        token: Some(b"t0ken".to_vec()),
    })
    .unwrap() else {
        panic!("a v2 receiver");
    };
    assert_eq!(c.hello(&hello).unwrap(), 0);
    let log = recv.log();
    assert!(
        log.contains("refused: the sender does not use TLS"),
        "{log}"
    );
    assert_eq!(
        log.matches("receiving group").count(),
        1,
        "only the authenticated one: {log}"
    );
    assert!(recv.stop().success());
}

/// A v2 hello for stream `/r` of group `G`, started at `started_at_ns`
/// (the client puts its token in).
fn hello(started_at_ns: u64) -> v2::Hello {
    v2::Hello {
        token: Vec::new(),
        group: "G".into(),
        origin: "o".into(),
        region: "/r".into(),
        started_at_ns,
        pid: 1,
        tid: 1,
        init: hog_core::wire::Init {
            qos: hog_core::plugin::Qos::Reliable,
            commit: hog_core::plugin::CommitMethod::Auto,
            statements: vec![],
        },
    }
}

/// A plaintext v2 client of the receiver on `port`, showing `token` (if
/// not empty) in its hellos.
fn client(port: u16, token: &[u8]) -> v2::Client {
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let settings = ClientSettings {
        tls: None,
        token: (!token.is_empty()).then(|| token.to_vec()),
    };
    match v2::negotiate(tcp, &settings).unwrap() {
        Negotiated::V2(c) => c,
        _ => panic!("a v2 receiver"),
    }
}

#[test]
fn a_stream_belongs_to_the_token_that_opened_it() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = write(dir.path(), "tokens", "alice\nbob\n");
    let port = free_port();
    let settings = format!("require_auth = true\ntoken_file = {}", toml_path(&tokens));
    let recv = receiver(&dir.path().join("recv"), port, &settings);
    let started = now_ns();
    let mut alice = client(port, b"alice");
    assert_eq!(alice.hello(&hello(started)).unwrap(), 0);
    // Bob holds a valid token too, and names Alice's stream: refused, and
    // Alice's connection is not cut.
    let mut bob = client(port, b"bob");
    assert!(bob.hello(&hello(started)).is_err());
    assert_eq!(alice.end(0).unwrap(), 0);
    let log = recv.log();
    assert!(
        log.contains("belongs to a sender with another token"),
        "{log}"
    );
    assert_eq!(log.matches("receiving group").count(), 1, "{log}");
    assert!(recv.stop().success());
}

#[test]
fn a_start_time_the_receivers_clock_rules_out_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("recv");
    let port = free_port();
    // Files named as hobbes names them: $GROUP/$DATE/data.
    let recv = batchrecv(&r, port, "");
    let day = 24 * 3600 * 1_000_000_000;
    for (started, why) in [
        (0, "before 2000"),
        (now_ns() + 2 * day, "more than a day ahead"),
    ] {
        let e = client(port, b"").hello(&hello(started)).unwrap_err();
        assert!(e.to_string().contains(why), "{e}");
    }
    // A sender whose clock is an hour ahead is served.
    let mut late = client(port, b"");
    assert_eq!(late.hello(&hello(now_ns() + day / 24)).unwrap(), 0);
    assert_eq!(late.end(0).unwrap(), 0);
    let log = recv.log();
    assert_eq!(log.matches("receiving group").count(), 1, "{log}");
    assert!(recv.stop().success());
    // One date directory: the served stream's, none for 1970 or two days
    // ahead.
    let dates: Vec<String> = std::fs::read_dir(r.join("G"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(dates.len(), 1, "{dates:?}");
    assert!(!dates[0].starts_with("1970"), "{dates:?}");
}

#[test]
fn bad_certificate_and_key_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(&dir.path().join("pki"));
    let junk = write(dir.path(), "junk.pem", "-----BEGIN NOTHING-----\n");
    let port = free_port().to_string();
    let cases = [
        (
            format!(
                "tls = {{ cert = {}, key = {} }}",
                toml_path(&junk),
                toml_path(&pki.server.1)
            ),
            "junk.pem",
        ),
        (
            format!(
                "tls = {{ cert = {}, key = {} }}",
                toml_path(&pki.server.0),
                toml_path(&dir.path().join("absent.key"))
            ),
            "absent.key",
        ),
        (
            format!(
                "tls = {{ cert = {}, key = {} }}",
                toml_path(&pki.server.0),
                toml_path(&pki.client.1)
            ),
            "do not make a usable pair",
        ),
        ("require_tls = true".to_string(), "receiver.require_tls"),
    ];
    for (settings, expected) in cases {
        let config = write(
            dir.path(),
            "recv.toml",
            &format!(
                "store_dir = \"{}\"\nsources = [\"receiver\"]\n[receiver]\nport = \"{port}\"\nlisten = \"127.0.0.1\"\n{settings}\n",
                dir.path().display()
            ),
        );
        let out = run(hog().arg("--config").arg(&config));
        assert!(!out.status.success(), "{settings}");
        assert!(
            stderr(&out).contains(expected),
            "{settings}: {}",
            stderr(&out)
        );
    }
    // The sender's files too, when the sink is created.
    let s = dir.path().join("send");
    std::fs::create_dir_all(&s).unwrap();
    let config = write(
        &s,
        "hog.toml",
        &format!("[sink.tcp]\ntls = {{ ca = {} }}\n", toml_path(&junk)),
    );
    let out = run(hog().arg("--config").arg(&config).arg("-m").arg(&s).args([
        "-g",
        "G",
        "-p",
        "1s",
        "1KB",
        "127.0.0.1:1",
    ]));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("junk.pem"), "{}", stderr(&out));
}

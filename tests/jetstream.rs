//! hog through NATS JetStream, against real `nats-server` processes on
//! loopback: producers log into a sending hog (hstore → jetstream sink), a
//! reading hog (jetstream source → disk sink) writes fregion files, and
//! every record is counted by (producer thread, sequence) in those files.
//!
//! - a three-node cluster with a stream of three replicas, through SIGKILL
//!   of the sending hog, of the reading hog, of the stream's leader node,
//!   of another node, and of the whole cluster: 0 lost, 0 duplicated,
//!   order kept per producer;
//! - one node with a stream that fills up (discard new): the sending hog
//!   holds, the producer waits, and once the limit is raised everything
//!   arrives exactly once.
//!
//! - credentials (a token, a user and password, mutual TLS): ones the
//!   server refuses stop the sink at its start with the reason, the right
//!   ones ship;
//! - the sink contract (hog-sink-conformance), the stored values read back
//!   from JetStream by decoding the messages as any consumer would.
//!
//! Skipped, saying so, where `nats-server` is not installed.

#[path = "support/shipping.rs"]
mod shipping;
mod support;

use std::path::Path;
use std::time::Duration;

use hog_bench::harness::nats::{self, Nats};
use hog_core::plugin::{Logger, StreamInfo};
use hog_core::wire::v2::Hello;
use shipping::{append, assert_exactly_once, files, plain};
use support::{free_port, hog, loadgen, wait_for_producers, wait_until, write, Hog, Producer};

/// Whether `nats-server` is installed; a test without it says it is
/// skipped.
fn nats_installed(test: &str) -> bool {
    let found = nats::installed();
    if !found {
        eprintln!("{test}: skipped, nats-server is not installed (apt-get install nats-server)");
    }
    found
}

const THREADS: i64 = 2;

/// A hog serving `groups` from `dir` into the jetstream sink, with extra
/// `[sink.jetstream]` settings, once it accepts producers.
fn sender(dir: &Path, nats: &Nats, groups: &[&str], settings: &str) -> Hog {
    std::fs::create_dir_all(dir).unwrap();
    let config = write(
        dir,
        "send.toml",
        &format!(
            "sinks = [\"jetstream\"]\n[sink.jetstream]\nservers = {}\ntimeout = \"2s\"\n{settings}\n",
            nats.servers_toml()
        ),
    );
    let mut cmd = hog();
    cmd.arg("--config")
        .arg(config)
        .arg("-m")
        .arg(dir)
        .arg("-g")
        .args(groups)
        .stdout(std::process::Stdio::null())
        .stderr(append(&dir.join("hog.log")));
    let h = Hog::spawn(cmd, &dir.join("hog.log"));
    for group in groups {
        wait_for_producers(dir, group);
    }
    h
}

/// A hog reading the JetStream stream into fregion files under `dir`.
fn reader(dir: &Path, nats: &Nats) -> Hog {
    std::fs::create_dir_all(dir).unwrap();
    let config = write(
        dir,
        "read.toml",
        &format!(
            "store_dir = \"{d}\"\nsources = [\"jetstream\"]\nsinks = [\"disk\"]\n\
             [sink.disk]\ndir = \"{d}/$GROUP/$DATE/data\"\n\
             [source.jetstream]\nservers = {}\nack_wait = \"3s\"\n",
            nats.servers_toml(),
            d = dir.display()
        ),
    );
    let mut cmd = hog();
    cmd.arg("--config")
        .arg(config)
        .stdout(std::process::Stdio::null())
        .stderr(append(&dir.join("hog.log")));
    Hog::spawn(cmd, &dir.join("hog.log"))
}

fn produce(dir: &Path, group: &str, records: i64) -> Producer {
    loadgen(
        dir,
        group,
        &[
            &THREADS.to_string(),
            &records.to_string(),
            "manual",
            "4",
            "20",
        ],
    )
}

fn held(read: &Path, group: &str) -> usize {
    files(&read.join(group)).iter().map(Vec::len).sum()
}

fn ended(read: &Path) -> usize {
    plain(&std::fs::read_to_string(read.join("hog.log")).unwrap_or_default())
        .matches("stream ended after")
        .count()
}

#[test]
fn a_replicated_stream_survives_kills_of_hogs_and_nodes_exactly_once() {
    if !nats_installed("jetstream cluster") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (send, read) = (dir.path().join("send"), dir.path().join("read"));
    let mut cluster = Nats::start(&dir.path().join("nats"), 3, free_port).unwrap();
    let groups = ["P0", "P1", "P2", "P3", "P4"];
    let records = 60_000;
    let mut sending = Some(sender(&send, &cluster, &groups, "replicas = 3"));
    let mut reading = Some(reader(&read, &cluster));
    let mut producers = Vec::new();
    for (i, group) in groups.iter().enumerate() {
        producers.push(produce(&send, group, records));
        // Into the run, while records are on their way.
        wait_until(60, "records to arrive", || held(&read, group) > 0);
        match i {
            0 => {
                sending.take().unwrap().kill();
                sending = Some(sender(&send, &cluster, &groups, "replicas = 3"));
            }
            1 => {
                reading.take().unwrap().kill();
                reading = Some(reader(&read, &cluster));
            }
            2 | 3 => {
                let leader = cluster.leader_of("HOG").expect("the stream has a leader");
                let victim = if i == 2 { leader } else { (leader + 1) % 3 };
                eprintln!(
                    "killing {} (leader: {})",
                    cluster.nodes[victim].name, cluster.nodes[leader].name
                );
                cluster.nodes[victim].kill();
                std::thread::sleep(Duration::from_secs(2));
                cluster.nodes[victim].start().unwrap();
                cluster.wait_healthy().unwrap();
            }
            _ => {
                for node in &mut cluster.nodes {
                    node.kill();
                }
                std::thread::sleep(Duration::from_millis(500));
                for node in &mut cluster.nodes {
                    node.start().unwrap();
                }
                cluster.wait_healthy().unwrap();
            }
        }
        eprintln!(
            "{group}: {} records held after the kill",
            held(&read, group)
        );
    }
    for p in &mut producers {
        p.finish();
    }
    let want = (THREADS * records) as usize;
    for group in groups {
        wait_until(180, &format!("every record of {group}"), || {
            held(&read, group) >= want
        });
    }
    // Anything duplicated would arrive after the last original.
    let streams = groups.len() * THREADS as usize;
    wait_until(120, "every stream to end", || ended(&read) >= streams);
    std::thread::sleep(Duration::from_millis(500));
    assert!(sending.take().unwrap().stop().success());
    assert!(reading.take().unwrap().stop().success());
    for group in groups {
        assert_exactly_once(&files(&read.join(group)), THREADS, records);
    }
}

#[test]
fn a_full_stream_holds_the_sender_and_loses_nothing() {
    if !nats_installed("jetstream full stream") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (send, read) = (dir.path().join("send"), dir.path().join("read"));
    let node = Nats::start(&dir.path().join("nats"), 1, free_port).unwrap();
    let records = 100_000;
    let sending = sender(
        &send,
        &node,
        &["F"],
        "max_bytes = \"16KB\"\nsegment_bytes = \"64KB\"",
    );
    let reading = reader(&read, &node);
    let mut producer = produce(&send, "F", records);
    let log = || plain(&std::fs::read_to_string(send.join("hog.log")).unwrap_or_default());
    wait_until(60, "the sender to hold", || {
        log().contains("holding this stream's data")
    });
    assert!(producer.running(), "the producer waits for room");
    let before = held(&read, "F");
    assert!(before < (THREADS * records) as usize);
    raise_max_bytes(&node.nodes[0].url(), "HOG", 1 << 30);
    producer.finish();
    wait_until(120, "every record", || {
        held(&read, "F") >= (THREADS * records) as usize
    });
    wait_until(60, "the streams to end", || {
        ended(&read) >= THREADS as usize
    });
    assert!(log().contains("recovered after"), "{}", log());
    assert!(sending.stop().success());
    assert!(reading.stop().success());
    assert_exactly_once(&files(&read.join("F")), THREADS, records);
}

/// Raises the size limit of JetStream stream `stream`, as an operator would.
fn raise_max_bytes(url: &str, stream: &str, max_bytes: i64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = async_nats::connect(url).await.unwrap();
        let js = async_nats::jetstream::new(client);
        let mut config = js
            .get_stream(stream)
            .await
            .unwrap()
            .cached_info()
            .config
            .clone();
        config.max_bytes = max_bytes;
        js.update_stream(config).await.unwrap();
    });
}

/// The jetstream sink on one node, for the conformance checks.
struct Conformance {
    node: Nats,
    _dir: tempfile::TempDir,
}

impl hog_sink_conformance::Subject for Conformance {
    type Sink = jetstream::JetStreamSink;

    fn start(&mut self) -> Self::Sink {
        let options = serde_json::json!({
            "servers": self.node.urls(),
            "origin": "conformance",
            "segment_bytes": "4KB",
        });
        jetstream::JetStreamSink::from_options(&options.to_string(), Logger::discard())
            .expect("the sink starts")
    }

    /// The values of every message on the stream's subject, decoded as a
    /// consumer other than hog would: the hello, then the segment.
    fn stored(&mut self, stream: &StreamInfo, _expected: usize) -> Vec<i64> {
        let hello = Hello::of_stream(stream, "conformance");
        let subject = jetstream::subject::of_stream("hog", &hello);
        let mut values = Vec::new();
        for body in messages(&self.node.nodes[0].url(), &subject) {
            let decoded = jetstream::message::decode(&body, 1 << 20).expect("a hog message");
            assert_eq!(decoded.hello.region, hello.region);
            if let jetstream::message::Body::Segment(seg) = decoded.body {
                let payload = seg.open(1 << 30).expect("a whole segment");
                for txn in hog_core::wire::legacy::each_transaction(&payload) {
                    let txn = txn.unwrap();
                    values.push(i64::from_le_bytes(txn[4..12].try_into().unwrap()));
                }
            }
        }
        values
    }
}

/// The bodies of every message on `subject`, in order.
fn messages(url: &str, subject: &str) -> Vec<Vec<u8>> {
    use async_nats::jetstream::consumer::{pull, AckPolicy};
    use futures_util::StreamExt;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let js = async_nats::jetstream::new(async_nats::connect(url).await.unwrap());
        let stream = js.get_stream("HOG").await.unwrap();
        let consumer = stream
            .create_consumer(pull::Config {
                filter_subject: subject.to_string(),
                ack_policy: AckPolicy::None,
                ..Default::default()
            })
            .await
            .unwrap();
        let mut batch = consumer
            .fetch()
            .max_messages(100_000)
            .messages()
            .await
            .unwrap();
        let mut out = Vec::new();
        while let Some(m) = batch.next().await {
            out.push(m.unwrap().payload.to_vec());
        }
        out
    })
}

#[test]
fn the_jetstream_sink_keeps_the_sink_contract() {
    if !nats_installed("jetstream conformance") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let node = Nats::start(dir.path(), 1, free_port).unwrap();
    hog_sink_conformance::run(&mut Conformance { node, _dir: dir });
}

#[test]
fn refused_credentials_stop_the_sink_at_start_and_the_right_ones_ship() {
    if !nats_installed("jetstream credentials") {
        return;
    }
    let pki_dir = tempfile::tempdir().unwrap();
    let pki = shipping::Pki::new(pki_dir.path());
    let mutual_tls = format!(
        "tls {{ cert_file: \"{}\", key_file: \"{}\", ca_file: \"{}\", verify: true }}",
        pki.server.0.display(),
        pki.server.1.display(),
        pki.ca.display()
    );
    let cases = [
        (
            "authorization { token: s3cret }".to_string(),
            serde_json::json!({"token": "wrong"}),
            "authorization violation",
            serde_json::json!({"token": "s3cret"}),
        ),
        (
            "authorization { users: [{user: hog, password: s3cret}] }".to_string(),
            serde_json::json!({"user": "hog", "password": "wrong"}),
            "authorization violation",
            serde_json::json!({"user": "hog", "password": "s3cret"}),
        ),
        (
            mutual_tls,
            // A CA that did not sign the server's certificate.
            serde_json::json!({"tls": {"ca": pki.client.0}}),
            "invalid peer certificate",
            serde_json::json!({"tls": {"ca": pki.ca, "cert": pki.client.0, "key": pki.client.1}}),
        ),
    ];
    for (n, (settings, wrong, why, right)) in cases.into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let node = Nats::start_with(dir.path(), 1, free_port, &settings).unwrap();
        let sink = |credentials: serde_json::Value| {
            let mut options = credentials;
            options["servers"] = serde_json::json!(node.urls());
            jetstream::JetStreamSink::from_options(&options.to_string(), Logger::discard())
        };
        let refused = sink(wrong).err().expect("wrong credentials are refused");
        assert!(
            refused.to_string().to_lowercase().contains(why),
            "{settings}: {refused}"
        );
        let mut sink = sink(right).expect("the right credentials connect");
        let stream = hog_sink_conformance::stream("Credentials", n as u64 + 1);
        use hog_core::plugin::Sink;
        assert_eq!(sink.open_stream(&stream).unwrap(), 0);
        let mut batch = hog_core::pipeline::Batch::new(stream.id, 0);
        for i in 0..10i64 {
            let mut record = 0u32.to_le_bytes().to_vec();
            record.extend_from_slice(&i.to_le_bytes());
            batch.push(&record);
        }
        assert_eq!(sink.write(batch.as_ref()).unwrap(), 10, "{settings}");
        sink.close_stream(stream.id).unwrap();
    }
}

//! The shared-memory source end to end: real producer processes (the Rust
//! producer library, speaking storage.H's protocol), a real hog, the example
//! sink loaded as a plugin; exact records and order; hog killed with SIGKILL
//! mid-stream and restarted; one hog per group and directory.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hog_core::plugin::StatStore;
use store_sqlite::SqliteStore;

use support::regions::{regions_of, remove_regions_of};
use support::{loadgen, plugin_library, wait_for_producers, wait_until, write, Hog};

/// A hog configuration: the hstore source for `groups` into the example sink.
fn config(dir: &Path, groups: &[&str]) -> PathBuf {
    let text = format!(
        "groups = {groups:?}\nstore_dir = \"{d}\"\nsources = [\"hstore\"]\nsinks = [\"example\"]\n\
         [hstore]\ntick = \"50ms\"\n\
         [sink.example]\nplugin = \"{lib}\"\npath = \"{d}/out.jsonl\"\n",
        d = dir.display(),
        lib = plugin_library("example-sink").display(),
    );
    write(dir, "hog.toml", &text)
}

/// What the example sink holds, per stream: its group and its transactions
/// as (seq, values) in file order.
type Streams = BTreeMap<u64, (String, Vec<(u64, Vec<i64>)>)>;

fn streams(dir: &Path) -> Streams {
    let text = std::fs::read_to_string(dir.join("out.jsonl")).unwrap_or_default();
    let mut out = Streams::new();
    // The sink may be appending: only whole lines count.
    let whole = text.rfind('\n').map_or("", |end| &text[..end]);
    for line in whole.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let hex = v["hex"].as_str().unwrap();
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        assert_eq!(bytes.len() % 12, 0, "whole (u32 id, i64) records");
        let values = bytes
            .chunks(12)
            .map(|r| {
                assert_eq!(&r[..4], &[0, 0, 0, 0], "statement 0");
                i64::from_le_bytes(r[4..].try_into().unwrap())
            })
            .collect();
        let entry = out
            .entry(v["stream"].as_u64().unwrap())
            .or_insert_with(|| (v["group"].as_str().unwrap().to_string(), Vec::new()));
        entry.1.push((v["seq"].as_u64().unwrap(), values));
    }
    out
}

fn record_count(dir: &Path) -> usize {
    streams(dir)
        .values()
        .flat_map(|(_, txns)| txns.iter().map(|(_, v)| v.len()))
        .sum()
}

/// Every stream holds one producer thread's values exactly once, in order,
/// with transaction sequence numbers 0, 1, 2, … in order.
fn assert_exact(streams: &Streams, records: i64) -> Vec<(String, i64)> {
    let mut threads = Vec::new();
    for (id, (group, txns)) in streams {
        for (i, (seq, _)) in txns.iter().enumerate() {
            assert_eq!(
                *seq, i as u64,
                "stream {id}: transactions in order, none twice"
            );
        }
        let values: Vec<i64> = txns.iter().flat_map(|(_, v)| v.iter().copied()).collect();
        let base = values[0] - values[0] % 1_000_000;
        let expected: Vec<i64> = (0..records).map(|i| base + i).collect();
        assert!(
            values == expected,
            "stream {id} of {group}: {} values, not exactly {records} in order",
            values.len()
        );
        threads.push((group.clone(), base / 1_000_000));
    }
    threads.sort();
    threads
}

#[test]
fn producer_threads_of_several_groups_arrive_exactly_and_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let hog = Hog::start(&config(d, &["A", "B"]), &d.join("hog.log"));
    wait_for_producers(d, "A");
    wait_for_producers(d, "B");
    let mut a = loadgen(d, "A", &["2", "20000"]);
    let mut b = loadgen(d, "B", &["2", "15000", "manual", "16", "7"]);
    let (pa, pb) = (a.id(), b.id());
    a.finish();
    b.finish();
    wait_until(30, "every record", || {
        record_count(d) == 2 * 20000 + 2 * 15000
    });
    // The streams close once their producers are gone and rings drained.
    wait_until(10, "closed streams", || {
        hog.log().matches("stream closed").count() == 4
    });
    assert!(hog.stop().success());

    let all = streams(d);
    let (a, b): (Streams, Streams) = all.into_iter().partition(|(_, (g, _))| g == "A");
    assert_eq!(assert_exact(&a, 20000), [("A".into(), 0), ("A".into(), 1)]);
    assert_eq!(assert_exact(&b, 15000), [("B".into(), 0), ("B".into(), 1)]);
    for (_, txns) in b.values() {
        // ManualCommit every 7 records: 2142 full transactions and the rest.
        assert_eq!(txns.len(), 15000 / 7 + 1);
        assert!(txns[..txns.len() - 1].iter().all(|(_, v)| v.len() == 7));
    }

    let store = SqliteStore::open(&d.join("hogstat.sqlite")).unwrap();
    assert!(store_unfinished(store).is_empty(), "every stream finished");
    for pid in [pa, pb] {
        let left = regions_of(pid);
        assert!(
            left.is_empty(),
            "drained regions of exited producers are unlinked: {left:?}"
        );
    }
}

fn store_unfinished(mut store: SqliteStore) -> Vec<u64> {
    store
        .unfinished_streams()
        .unwrap()
        .iter()
        .map(|s| s.stream.id)
        .collect()
}

#[test]
fn hog_killed_mid_stream_resumes_with_nothing_lost_or_duplicated() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = config(d, &["K"]);
    let log = d.join("hog.log");
    let records: i64 = 400_000;
    let mut hog = Hog::start(&cfg, &log);
    wait_for_producers(d, "K");
    let mut producer = loadgen(d, "K", &["1", &records.to_string(), "manual", "10", "50"]);
    for round in 1..=2 {
        let seen = record_count(d);
        wait_until(30, "progress before the kill", || {
            record_count(d) > seen + 20_000
        });
        hog.kill();
        std::thread::sleep(std::time::Duration::from_millis(100 * round));
        hog = Hog::start(&cfg, &log);
    }
    producer.finish();
    wait_until(60, "every record", || record_count(d) as i64 >= records);
    wait_until(10, "the stream closed", || {
        hog.log().contains("stream closed")
    });
    assert!(hog.stop().success());
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        text.matches("re-attaching a stream left unfinished")
            .count(),
        2,
        "{text}"
    );
    let all = streams(d);
    assert_eq!(all.len(), 1, "one stream, re-attached under the same id");
    assert_eq!(assert_exact(&all, records), [("K".into(), 0)]);
    // 50 records a transaction, then the final commit of an empty one.
    let txns = &all.values().next().unwrap().1;
    assert_eq!(txns.len() as i64, records / 50 + 1);
    assert!(txns.last().unwrap().1.is_empty());
}

#[test]
fn one_hog_per_group_and_directory_and_a_dead_hogs_lock_is_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let first = Hog::start(&config(d, &["L"]), &d.join("first.log"));
    wait_for_producers(d, "L");

    // A second hog for the same group refuses it, naming the first.
    let second = Hog::start(&config(d, &["L"]), &d.join("second.log"));
    let status = second.wait();
    assert_eq!(status.code(), Some(255));
    let log = std::fs::read_to_string(d.join("second.log")).unwrap();
    assert!(
        log.contains(&format!(
            "group 'L' is already served by hog pid {}",
            first.pid()
        )),
        "{log}"
    );

    // One for that group and another serves the other one.
    let both = Hog::start(&config(d, &["L", "M"]), &d.join("both.log"));
    wait_for_producers(d, "M");
    assert!(both.log().contains("already served by hog pid"));
    let mut producer = loadgen(d, "M", &["1", "1000"]);
    producer.finish();
    wait_until(20, "M's records", || record_count(d) == 1000);
    assert!(both.stop().success());

    // A killed hog leaves its lock file; the next hog takes the group over.
    first.kill();
    let third = Hog::start(&config(d, &["L"]), &d.join("third.log"));
    wait_until(20, "the takeover", || {
        third.log().contains("listening for producers")
    });
    let mut producer = loadgen(d, "L", &["1", "500"]);
    producer.finish();
    wait_until(20, "L's records", || record_count(d) == 1500);
    assert!(third.stop().success());
}

#[test]
fn the_demo_lands_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let out = support::run(support::hog().arg("demo").arg("--out").arg(dir.path()));
    assert!(out.status.success(), "{}", support::stderr(&out));
    let text = support::stdout(&out);
    assert!(
        text.contains("2 producer threads logged 200000 records"),
        "{text}"
    );
    assert!(text.contains("; 200000 landed in"), "{text}");

    // `hog stat` on the same directory: one ended session, nothing pending.
    let stat = support::run(
        support::hog()
            .args(["stat", "--json", "-m"])
            .arg(dir.path()),
    );
    assert!(stat.status.success(), "{}", support::stderr(&stat));
    let report: serde_json::Value = serde_json::from_slice(&stat.stdout).unwrap();
    assert_eq!(report["streams"], 2);
    assert_eq!(report["sessions"].as_array().unwrap().len(), 1);
    assert!(report["sessions"][0]["ended_at_ns"].is_i64());
    assert_eq!(report["unfinished"], serde_json::json!([]));
    let text = support::stdout(&support::run(
        support::hog().args(["stat", "-m"]).arg(dir.path()),
    ));
    assert!(text.contains("unfinished streams: 0"), "{text}");
}

#[test]
fn a_vanished_region_is_reported_once_and_never_again() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = config(d, &["V"]);
    let hog = Hog::start(&cfg, &d.join("first.log"));
    wait_for_producers(d, "V");
    let mut producer = loadgen(d, "V", &["1", "100000000"]);
    wait_until(30, "some records", || record_count(d) > 1000);
    hog.kill();
    let pid = producer.kill();
    // The machine "rebooted": the region is gone.
    assert!(!regions_of(pid).is_empty());
    remove_regions_of(pid);
    let hog = Hog::start(&cfg, &d.join("second.log"));
    wait_until(20, "the report", || {
        hog.log().contains("cannot resume an unfinished stream")
    });
    assert!(
        hog.log().contains("its region no longer exists"),
        "{}",
        hog.log()
    );
    assert!(hog.stop().success());
    let hog = Hog::start(&cfg, &d.join("third.log"));
    wait_until(20, "the socket", || {
        hog.log().contains("listening for producers")
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        !hog.log().contains("cannot resume"),
        "reported once only: {}",
        hog.log()
    );
    assert!(hog.stop().success());
    let stat = support::run(support::hog().args(["stat", "--json", "-m"]).arg(d));
    let report: serde_json::Value = serde_json::from_slice(&stat.stdout).unwrap();
    assert_eq!(report["recovered"].as_array().unwrap().len(), 1);
    assert_eq!(report["unfinished"], serde_json::json!([]));
}

#[test]
fn a_restarted_producer_follows_its_predecessor_in_every_sink() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let hog = Hog::start(&config(d, &["P"]), &d.join("hog.log"));
    wait_for_producers(d, "P");
    // The first instance exits with its ring still full of undrained data;
    // the second registers at once.
    let mut first = loadgen(d, "P", &["1", "100000", "auto", "64"]);
    first.finish();
    let mut second = loadgen(d, "P", &["1", "1000"]);
    second.finish();
    wait_until(30, "every record", || record_count(d) == 101_000);
    assert!(hog.stop().success());
    let text = std::fs::read_to_string(d.join("out.jsonl")).unwrap();
    let order: Vec<u64> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["stream"]
                .as_u64()
                .unwrap()
        })
        .collect();
    let first = order[0];
    let switch = order.iter().position(|&s| s != first).expect("two streams");
    assert!(
        order[switch..].iter().all(|&s| s != first),
        "the predecessor's data comes first, all of it"
    );
}

#[test]
fn without_recovery_a_returning_producer_still_resumes_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = config(d, &["N"]);
    let hog = Hog::start(&cfg, &d.join("first.log"));
    wait_for_producers(d, "N");
    let mut producer = loadgen(d, "N", &["1", "300000", "manual", "10", "50"]);
    wait_until(30, "some records", || record_count(d) > 20_000);
    hog.kill();
    let mut cmd = support::hog();
    cmd.arg("--config")
        .arg(&cfg)
        .arg("--no-recovery")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(d.join("second.log")).unwrap());
    let hog = Hog::spawn(cmd, &d.join("second.log"));
    wait_until(20, "the start", || hog.log().contains("recovery is off"));
    // Nothing is re-attached at start; the blocked producer re-registers
    // and its stream resumes where the sink stands.
    producer.finish();
    wait_until(60, "every record", || record_count(d) == 300_000);
    wait_until(10, "the stream closed", || {
        hog.log().contains("stream closed")
    });
    assert!(!hog.log().contains("re-attaching"), "{}", hog.log());
    assert!(hog.stop().success());
    assert_eq!(assert_exact(&streams(d), 300_000), [("N".into(), 0)]);
}

#[test]
fn a_registration_forged_by_another_process_is_refused_and_ends_nothing() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let hog = Hog::start(&config(d, &["F"]), &d.join("hog.log"));
    wait_for_producers(d, "F");
    // One thread logs 1000 records, then its process stays.
    let mut producer = loadgen(d, "F", &["1", "1000", "auto", "16", "1", "60000"]);
    let pid = producer.id();
    wait_until(20, "every record", || record_count(d) == 1000);
    let region = regions_of(pid).pop().expect("the producer's region");
    let tid: u64 = region
        .to_string_lossy()
        .rsplit('.')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // This process claims the producer's ring, then hangs up.
    let mut forger = std::os::unix::net::UnixStream::connect(d.join("hstore.F.sk")).unwrap();
    let mut message = hog_core::hstore::HSTORE_VERSION.to_le_bytes().to_vec();
    message.push(0);
    message.extend_from_slice(&u64::from(pid).to_le_bytes());
    message.extend_from_slice(&tid.to_le_bytes());
    forger.write_all(&message).unwrap();
    let refused = format!(
        "registration refused: process {} registered a ring of process {pid} (thread {tid})",
        std::process::id()
    );
    wait_until(10, "the refusal", || hog.log().contains(&refused));
    drop(forger);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(!hog.log().contains("stream closed"), "{}", hog.log());
    assert!(region.exists(), "the ring is still read");
    // The real producer's exit ends its stream, with every record once.
    producer.kill();
    wait_until(20, "the stream to close", || {
        hog.log().contains("stream closed")
    });
    assert!(hog.stop().success());
    assert_exact(&streams(d), 1000);
}

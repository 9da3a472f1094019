//! Faults other than kills, on real filesystems and processes: a full disk
//! under the data files, the stat store or a spool; a read-only data
//! directory; a sink that fails and comes back, or is detached; a region
//! truncated under hog. hog never dies of them, holds the data where it is
//! while the fault lasts, and resumes by itself with every record exactly
//! once.
//!
//! The filesystems are small tmpfs mounts made by the tests; where this
//! machine does not allow mounting, those tests say they are skipped.

#[path = "support/shipping.rs"]
mod shipping;
mod support;
#[path = "support/tmpfs.rs"]
mod tmpfs;

use std::path::Path;
use std::time::Duration;

use shipping::{files, plain};
use support::{
    free_port, hog, loadgen, plugin_library, stdout, wait_for_producers, wait_until, write, Hog,
};
use tmpfs::Tmpfs;

/// A local-mode hog of group `group` with sockets and stat store in
/// `store`, files under `data`, extra settings `toml`, and its config and
/// log in `logs` (which must not fill up: the log says what happened).
fn local(store: &Path, data: &Path, logs: &Path, toml: &str) -> Hog {
    let config = write(
        logs,
        "hog.toml",
        &format!(
            "groups = [\"X\"]\nstore_dir = \"{}\"\nsink.disk.dir = \"{}/$GROUP/data\"\n{toml}\n",
            store.display(),
            data.display()
        ),
    );
    let h = Hog::start(&config, &logs.join("hog.log"));
    wait_for_producers(store, "X");
    h
}

/// A receiving (`data` not `None`) or sending hog with hobbes' flags:
/// sockets, stat store and spool in `store`, files under `data`, its log in
/// `logs`.
fn shipping_hog(store: &Path, data: &Path, logs: &Path, flags: &[String]) -> Hog {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(logs.join("hog.log"))
        .unwrap();
    let mut cmd = hog();
    cmd.arg("-m")
        .arg(store)
        .arg("-d")
        .arg(format!("{}/$GROUP/data", data.display()))
        .args(flags)
        .stdout(std::process::Stdio::null())
        .stderr(log);
    Hog::spawn(cmd, &logs.join("hog.log"))
}

/// Asserts that `values` are thread 0's records `0..n` of loadgen, once
/// each and in order.
fn exactly(values: &[Vec<i64>], n: i64) {
    let all: Vec<i64> = values.iter().flatten().copied().collect();
    assert_eq!(all.len() as i64, n, "records stored");
    assert!(all.iter().copied().eq(0..n), "every record once, in order");
}

fn log(h: &Hog) -> String {
    plain(&h.log())
}

#[test]
fn a_full_disk_holds_the_stream_and_resumes_with_every_record_once() {
    let Some(fs) = Tmpfs::mount("8m", "a_full_disk") else {
        return;
    };
    let dir = fs.path();
    let logs = tempfile::tempdir().unwrap();
    // The data files, the stat store and the sockets share the small disk.
    fs.fill(3 << 20);
    let h = local(dir, dir, logs.path(), "");
    let mut producer = loadgen(dir, "X", &["1", "150000"]);
    wait_until(30, "the disk to fill", || log(&h).contains("No space left"));
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        producer.running(),
        "a Reliable producer waits while the disk is full"
    );
    let text = log(&h);
    assert!(
        text.contains("holding this stream's data in its source") && text.contains("/X/data-0.log"),
        "{text}"
    );
    fs.free();
    producer.finish();
    wait_until(30, "the stream to close", || {
        log(&h).contains("stream closed")
    });
    assert!(log(&h).contains("recovered after"), "{}", log(&h));
    assert!(h.stop().success());
    exactly(&files(&dir.join("X")), 150_000);
}

#[test]
fn a_read_only_data_directory_holds_the_stream_until_it_is_writable() {
    let Some(fs) = Tmpfs::mount("16m", "a_read_only_data_directory") else {
        return;
    };
    let store = tempfile::tempdir().unwrap();
    fs.remount("ro");
    let h = local(store.path(), fs.path(), store.path(), "");
    let mut producer = loadgen(store.path(), "X", &["1", "50000"]);
    wait_until(30, "the open to fail", || {
        log(&h).contains("Read-only file system")
    });
    assert!(producer.running());
    fs.remount("rw");
    producer.finish();
    wait_until(30, "the stream to close", || {
        log(&h).contains("stream closed")
    });
    assert!(h.stop().success());
    exactly(&files(&fs.path().join("X")), 50_000);
}

/// Settings adding a faulty sink that fails while `flag` exists, with
/// failure policy `on_error`, beside the disk sink.
fn faulty_beside_disk(flag: &Path, on_error: &str) -> String {
    format!(
        "sinks = [\"disk\", \"faulty\"]\n[sink.faulty]\nplugin = \"{}\"\nfail_while = \"{}\"\non_error = \"{on_error}\"\n",
        plugin_library("faulty-plugin").display(),
        flag.display()
    )
}

#[test]
fn a_failing_sink_holds_the_stream_for_every_sink_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let flag = write(d, "failing", "");
    let h = local(d, d, d, &faulty_beside_disk(&flag, "hold"));
    let mut producer = loadgen(d, "X", &["1", "100000"]);
    wait_until(30, "the sink to fail", || log(&h).contains("failing while"));
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        producer.running(),
        "the ring is not released past the failing sink"
    );
    let held = files(&d.join("X")).iter().map(Vec::len).sum::<usize>();
    assert!(held < 100_000, "the disk sink waits with the failing one");
    std::fs::remove_file(&flag).unwrap();
    producer.finish();
    wait_until(30, "the stream to close", || {
        log(&h).contains("stream closed")
    });
    assert!(log(&h).contains("recovered after"), "{}", log(&h));
    assert!(h.stop().success());
    exactly(&files(&d.join("X")), 100_000);
}

#[test]
fn a_detached_sink_is_reported_and_the_others_run_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let flag = write(d, "failing", "");
    let h = local(d, d, d, &faulty_beside_disk(&flag, "detach"));
    loadgen(d, "X", &["1", "100000"]).finish();
    wait_until(30, "the stream to close", || {
        log(&h).contains("stream closed")
    });
    let text = log(&h);
    assert!(text.contains("DETACHED"), "{text}");
    assert!(h.stop().success());
    exactly(&files(&d.join("X")), 100_000);
    let config = d.join("hog.toml");
    let stat = stdout(&support::run(
        hog().arg("stat").arg("--config").arg(&config),
    ));
    assert!(stat.contains("unfinished streams: 1"), "{stat}");
    assert!(stat.contains("sink faulty"), "{stat}");
}

#[test]
fn a_region_truncated_under_hog_ends_only_its_own_stream() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let h = local(d, d, d, "");
    // The victim waits for room in a small ring; the other logs on.
    let mut victim = loadgen(d, "X", &["1", "5000000", "auto", "4"]);
    let region = wait_for_region(victim.id());
    std::thread::sleep(Duration::from_millis(200));
    std::fs::OpenOptions::new()
        .write(true)
        .open(&region)
        .unwrap()
        .set_len(0)
        .unwrap();
    wait_until(30, "hog to end the stream", || {
        log(&h).contains("shrank or vanished")
    });
    let _ = victim.kill();
    let mut other = loadgen(d, "X", &["1", "100000"]);
    other.finish();
    wait_until(30, "the other stream to close", || {
        log(&h).contains("closed: the producer exited")
    });
    let text = log(&h);
    assert!(
        text.contains(&format!("producer_pid={}", victim.id())),
        "{text}"
    );
    assert!(h.stop().success(), "hog survives the truncated region");
    let per_file = files(&d.join("X"));
    let other_values: Vec<i64> = per_file
        .iter()
        .find(|f| f.len() == 100_000)
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "the other producer's file: {:?}",
                per_file.iter().map(Vec::len).collect::<Vec<_>>()
            )
        });
    assert!(other_values.iter().copied().eq(0..100_000));
}

/// The shared-memory region of producer `pid`, once it exists.
fn wait_for_region(pid: u32) -> std::path::PathBuf {
    let mut found = None;
    wait_until(20, "the producer's region", || {
        found = support::regions::regions_of(pid).into_iter().next();
        found.is_some()
    });
    found.expect("a region")
}

#[test]
fn a_receiver_on_a_full_disk_stops_acknowledging_and_its_sender_keeps_the_spool() {
    let Some(fs) = Tmpfs::mount("8m", "a_receiver_on_a_full_disk") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (send, recv) = (dir.path().join("send"), dir.path().join("recv"));
    std::fs::create_dir_all(&recv).unwrap();
    let port = free_port();
    fs.fill(1 << 20);
    let listen = ["-s".to_string(), port.to_string()];
    let receiver = shipping_hog(&recv, fs.path(), &recv, &listen);
    let sender = shipping::sender(&send, "X", &[port], ("50ms", "64KB"), "");
    let mut producer = loadgen(&send, "X", &["1", "150000"]);
    wait_until(30, "the receiver's disk to fill", || {
        log(&receiver).contains("No space left")
    });
    producer.finish();
    std::thread::sleep(Duration::from_millis(500));
    // Spooled segments not acknowledged yet (`seg-*` files).
    let spooled = shipping::walk(&send)
        .iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("seg-"))
        })
        .count();
    assert!(spooled > 0, "the sender keeps its unacknowledged segments");
    fs.free();
    wait_until(60, "every record at the receiver", || {
        files(fs.path()).iter().map(Vec::len).sum::<usize>() >= 150_000
    });
    assert!(sender.stop().success());
    assert!(receiver.stop().success());
    exactly(&files(fs.path()), 150_000);
}

#[test]
fn a_spool_on_a_full_disk_holds_and_ships_every_record_once() {
    let Some(fs) = Tmpfs::mount("8m", "a_spool_on_a_full_disk") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (send, recv) = (dir.path().join("send"), dir.path().join("recv"));
    std::fs::create_dir_all(&send).unwrap();
    let port = free_port();
    let receiver = shipping::batchrecv(&recv, port, "");
    fs.fill(256 << 10);
    let flags: Vec<String> = ["-g", "X", "-p", "50ms", "64KB"]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("127.0.0.1:{port}")])
        .collect();
    // The spool lives on the small disk (-d), the sockets and log beside.
    let sender = shipping_hog(&send, fs.path(), &send, &flags);
    wait_for_producers(&send, "X");
    // With the receiver up, the spool drains as it fills: pause the
    // receiver (no acknowledgements) so that the spool fills.
    // SAFETY: signalling our own child.
    unsafe { libc::kill(receiver.pid() as i32, libc::SIGSTOP) };
    let mut producer = loadgen(&send, "X", &["1", "1000000"]);
    wait_until(30, "the spool's disk to fill", || {
        log(&sender).contains("No space left")
    });
    assert!(producer.running());
    // SAFETY: signalling our own child.
    unsafe { libc::kill(receiver.pid() as i32, libc::SIGCONT) };
    fs.free();
    producer.finish();
    wait_until(60, "every record at the receiver", || {
        files(&recv).iter().map(Vec::len).sum::<usize>() >= 1_000_000
    });
    assert!(sender.stop().success());
    assert!(receiver.stop().success());
    exactly(&files(&recv), 1_000_000);
}

#[test]
fn two_thousand_producer_threads_on_one_group_are_all_drained() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Readers have threads of their own: more of them than tokio's blocking
    // pool holds (512) once starved the sinks and hung every stream.
    let h = local(d, d, d, "sink.disk.consolidate = true");
    let (threads, records) = (2_000, 500);
    let mut producer = loadgen(
        d,
        "X",
        &[&threads.to_string(), &records.to_string(), "auto", "4"],
    );
    producer.finish();
    wait_until(120, "every stream to close", || {
        log(&h).matches("stream closed").count() >= threads
    });
    assert!(h.stop().success());
    shipping::assert_exactly_once(&files(&d.join("X")), threads as i64, records);
}

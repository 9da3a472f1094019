//! Shared test helpers: the golden files, a registration listener standing
//! in for hog's socket, and a consumer draining a producer's region with
//! hog's own reader.

#![allow(dead_code)]

#[path = "../../../tests/support/regions.rs"]
mod regions;

use std::io::Read;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use hog_core::hstore::{Drain, Region};
use hog_core::pipeline::Batch;

/// A golden file of `testdata/hobbes/shm`.
pub fn golden(name: &str) -> Vec<u8> {
    std::fs::read(golden_path(name)).expect("a golden file")
}

/// The expected values of a golden file.
pub fn golden_json(name: &str) -> serde_json::Value {
    serde_json::from_slice(&golden(&format!("{name}.json"))).expect("golden JSON")
}

fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/hobbes/shm")
        .join(name)
}

/// This test binary's directory for registration sockets. Statics are
/// never dropped and a failing test skips its own clean-up, so the
/// directory, and every region this process created, are removed when the
/// binary exits.
pub fn store_dir() -> &'static Path {
    &BINARY_DIR
        .get_or_init(|| {
            let dir = tempfile::Builder::new()
                .prefix("hog-producer-test.")
                .tempdir()
                .expect("a temporary directory")
                .keep();
            // SAFETY: registers a function that takes no arguments.
            assert_eq!(unsafe { libc::atexit(clean_up_at_exit) }, 0);
            (std::process::id(), dir)
        })
        .1
}

/// A fresh directory for one test's sockets, inside [`store_dir`].
pub fn fresh_dir() -> &'static Path {
    let dir = tempfile::tempdir_in(store_dir())
        .expect("a temporary directory")
        .keep();
    Box::leak(dir.into_boxed_path())
}

/// The process that made [`store_dir`], and the directory.
static BINARY_DIR: OnceLock<(u32, PathBuf)> = OnceLock::new();

/// Removes [`store_dir`] and this process's regions; a forked child that
/// exits normally leaves them to its parent.
extern "C" fn clean_up_at_exit() {
    match BINARY_DIR.get() {
        Some((pid, dir)) if *pid == std::process::id() => {
            let _ = std::fs::remove_dir_all(dir);
            regions::remove_regions_of(*pid);
        }
        _ => {}
    }
}

/// Letters `A..Za..z` repeated from letter `from`: the golden producers'
/// bulk strings.
pub fn pattern(len: usize, from: usize) -> String {
    const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    (0..len)
        .map(|i| LETTERS[(i + from) % LETTERS.len()] as char)
        .collect()
}

/// The bytes of a region (`/G.pid.tid`) as they are now.
pub fn region_bytes(name: &str) -> Vec<u8> {
    std::fs::read(Region::path_of(name)).expect("the region exists")
}

/// Removes region `name` (nobody else does: regions outlive producers).
pub fn remove_region(name: &str) {
    let _ = std::fs::remove_file(Region::path_of(name));
}

/// Bytes as hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex as bytes.
pub fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Polls `done` every millisecond until it holds or `secs` pass.
pub fn wait_until(secs: u64, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The bytes received on one connection, shared with the listener thread.
type Received = Arc<Mutex<Vec<u8>>>;

/// Stands in for hog's registration socket: accepts connections and keeps
/// every byte each one sends.
pub struct Listener {
    path: PathBuf,
    connections: Arc<Mutex<Vec<Received>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl Listener {
    /// Listens on `<dir>/hstore.<group>.sk`, replacing a stale socket.
    pub fn bind(dir: &Path, group: &str) -> Listener {
        let path = dir.join(format!("hstore.{group}.sk"));
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).expect("bind the socket");
        listener.set_nonblocking(true).unwrap();
        let connections: Arc<Mutex<Vec<Received>>> = Arc::default();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (conns, halt) = (connections.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut open = Vec::new();
            while !halt.load(std::sync::atomic::Ordering::SeqCst) {
                if let Ok((stream, _)) = listener.accept() {
                    stream.set_nonblocking(true).unwrap();
                    let bytes = Received::default();
                    conns.lock().unwrap().push(bytes.clone());
                    open.push((stream, bytes));
                }
                for (stream, bytes) in &mut open {
                    let mut buf = [0u8; 256];
                    while let Ok(n @ 1..) = stream.read(&mut buf) {
                        bytes.lock().unwrap().extend_from_slice(&buf[..n]);
                    }
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            // Dropping the listener and every accepted stream: the
            // producers see EOF, as when hog dies.
        });
        Listener {
            path,
            connections,
            stop,
        }
    }

    /// What each connection sent so far, in accept order.
    pub fn received(&self) -> Vec<Vec<u8>> {
        let conns = self.connections.lock().unwrap();
        conns.iter().map(|c| c.lock().unwrap().clone()).collect()
    }

    /// Waits until connection `i` sent at least `n` bytes; returns them.
    pub fn wait_for(&self, i: usize, n: usize) -> Vec<u8> {
        let mut got = Vec::new();
        wait_until(10, "registration bytes", || {
            got = self.received().get(i).cloned().unwrap_or_default();
            got.len() >= n
        });
        got
    }

    /// Closes the socket and every connection (the consumer goes away).
    pub fn close(self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        wait_until(10, "the listener to stop", || {
            std::os::unix::net::UnixStream::connect(&self.path).is_err()
        });
    }
}

/// Attaches region `name` once its producer has made it ready.
pub fn attach(name: &str) -> Region {
    let mut region = None;
    wait_until(10, "the region", || {
        region = Region::attach(name).ok();
        region.is_some()
    });
    region.unwrap()
}

/// Reads every transaction committed to `region` so far with hog's
/// reader, releasing the slots read.
pub fn drain(region: &Region, drain: &mut Drain) -> Vec<Vec<u8>> {
    let ring = region.ring();
    let mut batch = Batch::new(0, drain.next_seq());
    drain
        .read(&ring, &mut batch, usize::MAX, |_| Ok(1))
        .expect("a valid ring");
    drain.release(&ring);
    if drain.must_release_partial(&ring) {
        drain.release_partial(&ring);
    }
    batch
        .as_ref()
        .transactions()
        .map(|(_, t)| t.to_vec())
        .collect()
}

/// Splits a transaction into records of 4-byte ids and payloads of the
/// given sizes per id.
pub fn records(transaction: &[u8], size_of: impl Fn(u32) -> usize) -> Vec<(u32, Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < transaction.len() {
        let id = u32::from_le_bytes(transaction[at..at + 4].try_into().unwrap());
        let n = size_of(id);
        out.push((id, transaction[at + 4..at + 4 + n].to_vec()));
        at += 4 + n;
    }
    out
}

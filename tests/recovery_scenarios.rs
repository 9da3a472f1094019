//! Issue 9's recovery scenarios end to end, with real processes and
//! SIGKILL: producers (`loadgen`) log into a batchsend hog that ships over
//! v2 on loopback to a receiving hog writing JSON lines (the example sink).
//! Every record is counted by (producer, value) at the receiver:
//!
//! 1. the sender killed mid-stream and restarted: nothing lost or repeated,
//!    order per producer kept;
//! 2. the producer killed: what it committed arrives exactly once as a
//!    gap-free prefix of whole transactions, and the successor's records
//!    all arrive exactly once, after the predecessor's;
//! 3. the receiver killed and restarted while the sender spools: nothing
//!    lost or repeated;
//! 4. producer and sender killed, the sender restarted, then a new producer:
//!    the killed producer's committed prefix exactly once, all of the new;
//! 5. the sender killed again during its own recovery, twice: nothing lost
//!    or repeated.
//!
//! Each test prints the time from the last restart to "every record
//! delivered". A seeded random soak kills producer, sender and receiver;
//! it runs one short iteration by default. Run it long with
//! `RECOVERY_SOAK_ITERATIONS=50 cargo test -p hog-host --test
//! recovery_scenarios soak -- --nocapture` (`RECOVERY_SOAK_SEED` replays a
//! printed seed).

#[path = "support/shipping.rs"]
mod shipping;
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use shipping::*;
use support::{free_port, loadgen, wait_until, Hog, Producer};

const BATCH: (&str, &str) = ("50ms", "16KB");
const TCP: &str = "protocol = \"v2\"\nack_timeout = \"5s\"\nmax_backoff = \"200ms\"";
/// Records per manual commit: a killed producer's prefix is whole ones.
const TXN: i64 = 10;
const THREADS: i64 = 2;

/// A sender, a receiver and the producers of one group.
struct Rig {
    _dir: tempfile::TempDir,
    s: PathBuf,
    r: PathBuf,
    port: u16,
    group: &'static str,
}

impl Rig {
    fn new(group: &'static str) -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let (s, r) = (dir.path().join("send"), dir.path().join("recv"));
        Rig {
            _dir: dir,
            s,
            r,
            port: free_port(),
            group,
        }
    }

    fn receiver(&self) -> Hog {
        receiver(&self.r, self.port, "")
    }

    fn sender(&self) -> Hog {
        sender(&self.s, self.group, &[self.port], BATCH, TCP)
    }

    /// A producer of `records` per thread, committing every `TXN`.
    fn producer(&self, records: i64) -> Producer {
        let producer = loadgen(
            &self.s,
            self.group,
            &[
                &THREADS.to_string(),
                &records.to_string(),
                "manual",
                "16",
                &TXN.to_string(),
            ],
        );
        let pid = producer.id();
        // Every thread registered: a sender killed from now on cannot make
        // the producer fail.
        let registered = format!("queue registered for group '{}' from {pid}:", self.group);
        let log = self.s.join("hog.log");
        wait_until(20, "the producer's registrations", || {
            plain(&std::fs::read_to_string(&log).unwrap_or_default())
                .matches(&registered)
                .count()
                >= THREADS as usize
        });
        producer
    }

    /// Values per producer pid and thread base, in the receiver's order.
    fn held(&self) -> Held {
        held(&self.r)
    }

    fn total(&self) -> usize {
        count(&self.r)
    }

    /// How many streams the receiver saw end.
    fn ended(&self) -> usize {
        recv_log(&self.r).matches("stream ended after").count()
    }

    /// Waits until the receiver holds `want` records and `streams` streams
    /// ended, then a little longer, so that a late duplicate would show.
    fn wait_delivered(&self, want: usize, streams: usize, since: Instant, what: &str) {
        wait_until(90, "every record delivered", || self.total() >= want);
        eprintln!(
            "{what}: every record delivered {:.2}s after the last restart",
            since.elapsed().as_secs_f64()
        );
        wait_until(60, "the streams to end", || self.ended() >= streams);
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Receiving stream → (producer pid, values in the sink's order), plus the
/// position in the sink's file of each stream's first and last line.
struct Held {
    streams: BTreeMap<u64, (u32, Vec<i64>)>,
    lines: BTreeMap<u64, (usize, usize)>,
    ends: BTreeMap<u64, u64>,
}

fn recv_log(r: &Path) -> String {
    plain(&std::fs::read_to_string(r.join("hog.log")).unwrap_or_default())
}

/// The number after `key=` in `line`.
fn field(line: &str, key: &str) -> Option<u64> {
    let at = line.find(&format!("{key}="))? + key.len() + 1;
    let digits: String = line[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn held(r: &Path) -> Held {
    // The receiver names each stream `<origin>:/<group>.<pid>.<tid>`.
    let log = recv_log(r);
    let mut pids = BTreeMap::new();
    let mut ends = BTreeMap::new();
    for line in log.lines() {
        if let (Some(from), Some(to)) = (line.find(" from "), line.find(" (v2), resuming")) {
            let region = &line[from + 6..to];
            let mut parts = region.rsplit('.');
            let _tid = parts.next();
            let pid: u32 = parts.next().unwrap().parse().expect("a pid in the region");
            let stream = field(line, "stream").expect("a stream id");
            let old = pids.insert(stream, pid);
            assert!(old.is_none() || old == Some(pid), "stream {stream} moved");
        }
        if let Some(at) = line.find("stream ended after ") {
            let n: String = line[at + 19..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            ends.insert(field(line, "stream").unwrap(), n.parse().unwrap());
        }
    }
    let values = received(r);
    let text = std::fs::read_to_string(r.join("out.jsonl")).unwrap_or_default();
    let whole = text.rfind('\n').map_or("", |end| &text[..end]);
    let mut lines: BTreeMap<u64, (usize, usize)> = BTreeMap::new();
    for (i, line) in whole.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let stream = v["stream"].as_u64().unwrap();
        lines.entry(stream).or_insert((i, i)).1 = i;
    }
    let streams = values
        .into_iter()
        .map(|(id, v)| {
            let pid = *pids
                .get(&id)
                .unwrap_or_else(|| panic!("stream {id}: no pid"));
            (id, (pid, v))
        })
        .collect();
    Held {
        streams,
        lines,
        ends,
    }
}

impl Held {
    /// The streams of producer `pid`, by thread base.
    fn of(&self, pid: u32) -> BTreeMap<i64, (u64, &Vec<i64>)> {
        let mut out = BTreeMap::new();
        for (id, (p, values)) in &self.streams {
            if *p == pid {
                let base = values[0] - values[0] % 1_000_000;
                assert!(
                    out.insert(base, (*id, values)).is_none(),
                    "producer {pid} thread {base}: two receiving streams"
                );
            }
        }
        out
    }

    /// Producer `pid` logged `records` per thread, all held exactly once,
    /// in order.
    fn assert_complete(&self, pid: u32, records: i64) {
        let threads = self.of(pid);
        assert_eq!(threads.len() as i64, THREADS, "producer {pid}'s threads");
        for (base, (_, values)) in threads {
            assert_exact(values, base, records as usize, pid);
        }
    }

    /// Killed producer `pid`: each thread's values are a gap-free prefix of
    /// whole transactions, held once, and its stream ended there. Returns
    /// the prefix lengths.
    fn assert_prefix(&self, pid: u32, records: i64) -> Vec<usize> {
        let mut out = Vec::new();
        for (base, (id, values)) in self.of(pid) {
            let n = values.len();
            assert_exact(values, base, n, pid);
            assert!(n as i64 <= records, "more than was logged");
            assert!(
                n as i64 % TXN == 0 || n as i64 == records,
                "producer {pid} thread {base}: {n} records is not whole transactions"
            );
            // A producer that finished before the kill ends with one more,
            // empty, commit.
            let whole = n as u64 / TXN as u64;
            let end = self.ends.get(&id).copied();
            assert!(
                end == Some(whole) || (n as i64 == records && end == Some(whole + 1)),
                "producer {pid} thread {base}: the stream ends after {end:?} transactions, holding {n} records"
            );
            out.push(n);
        }
        out
    }

    /// Every line of `before`'s streams precedes every line of `after`'s.
    fn assert_precedes(&self, before: u32, after: u32) {
        let last = self
            .of(before)
            .values()
            .map(|(id, _)| self.lines[id].1)
            .max();
        let first = self
            .of(after)
            .values()
            .map(|(id, _)| self.lines[id].0)
            .min();
        let (Some(last), Some(first)) = (last, first) else {
            panic!("producer {before} or its successor {after} delivered nothing");
        };
        assert!(
            last < first,
            "producer {after}'s data (line {first}) precedes its predecessor {before}'s (line {last})"
        );
    }
}

fn assert_exact(values: &[i64], base: i64, n: usize, pid: u32) {
    if values.len() != n || values.iter().zip(base..).any(|(v, want)| *v != want) {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let dups = values.len() - sorted.len();
        let first_bad = values.iter().zip(base..).position(|(v, want)| *v != want);
        panic!(
            "producer {pid} thread {base}: {} values, {} expected, {dups} duplicated, first wrong at {first_bad:?}",
            values.len(),
            n
        );
    }
}

#[test]
fn a_sender_killed_mid_stream_and_restarted_loses_and_repeats_nothing() {
    let rig = Rig::new("SEND");
    let records = 60_000;
    let recv = rig.receiver();
    let send = rig.sender();
    let mut producer = rig.producer(records);
    wait_until(30, "some records", || rig.total() > 2_000);
    assert!(producer.running(), "killed mid-stream");
    send.kill();
    let restarted = Instant::now();
    let send = rig.sender();
    let pid = producer.id();
    producer.finish();
    rig.wait_delivered(
        (THREADS * records) as usize,
        THREADS as usize,
        restarted,
        "send failure",
    );
    rig.held().assert_complete(pid, records);
    // The restarted sender says what it recovers, and when it is done.
    let log = plain(&send.log());
    let handed = format!(
        "recovery: {THREADS} stream(s) of earlier sessions are unfinished; hstore takes {THREADS}"
    );
    assert!(log.contains(&handed), "{log}");
    let finished = format!("recovery finished: {THREADS} stream(s)");
    wait_until(10, "recovery to finish", || {
        plain(&send.log()).contains(&finished)
    });
    assert!(send.stop().success());
    assert!(recv.stop().success());
}

#[test]
fn a_killed_producer_s_committed_prefix_and_all_of_its_successor_arrive_exactly_once() {
    let rig = Rig::new("ENGINE");
    let records = 200_000;
    let recv = rig.receiver();
    let send = rig.sender();
    let mut old = rig.producer(records);
    wait_until(30, "some records", || rig.total() > 2_000);
    assert!(old.running(), "killed mid-stream");
    let old = old.kill();
    let restarted = Instant::now();
    let mut new = rig.producer(20_000);
    let new_pid = new.id();
    new.finish();
    // The old streams end where the ring ended; count what they held.
    wait_until(60, "every stream to end", || {
        rig.ended() >= 2 * THREADS as usize
    });
    let prefix: usize = rig.held().assert_prefix(old, records).iter().sum();
    rig.wait_delivered(
        prefix + (THREADS * 20_000) as usize,
        2 * THREADS as usize,
        restarted,
        "engine failure",
    );
    let held = rig.held();
    held.assert_prefix(old, records);
    held.assert_complete(new_pid, 20_000);
    eprintln!("engine failure: the killed producer's committed prefix was {prefix} records");
    assert!(send.stop().success());
    assert!(recv.stop().success());
}

/// The order of a killed producer's data and its successor's across the
/// hop: each stream is shipped on its own connection, and the sender
/// starts a successor only once the earlier streams of its group have
/// reached the receiver, so the predecessor's data lands first.
#[test]
fn a_killed_producer_s_data_precedes_its_successor_s_at_the_receiver() {
    let rig = Rig::new("ORDER");
    let records = 200_000;
    let recv = rig.receiver();
    let send = rig.sender();
    let mut old = rig.producer(records);
    wait_until(30, "some records", || rig.total() > 2_000);
    // The predecessor's tail and its successor wait in the spool together.
    recv.kill();
    std::thread::sleep(Duration::from_millis(300));
    let old = old.kill();
    let mut new = rig.producer(20_000);
    let new_pid = new.id();
    new.finish();
    let recv = rig.receiver();
    wait_until(60, "every stream to end", || {
        rig.ended() >= 2 * THREADS as usize
    });
    let held = rig.held();
    held.assert_prefix(old, records);
    held.assert_complete(new_pid, 20_000);
    held.assert_precedes(old, new_pid);
    assert!(send.stop().success());
    assert!(recv.stop().success());
}

#[test]
fn a_receiver_killed_and_restarted_while_the_sender_spools_loses_and_repeats_nothing() {
    let rig = Rig::new("RECV");
    let records = 60_000;
    let recv = rig.receiver();
    let send = rig.sender();
    let mut producer = rig.producer(records);
    wait_until(30, "some records", || rig.total() > 2_000);
    assert!(producer.running(), "killed mid-stream");
    recv.kill();
    // The sender keeps draining the producer into its spool meanwhile.
    std::thread::sleep(Duration::from_millis(500));
    let restarted = Instant::now();
    let recv = rig.receiver();
    let pid = producer.id();
    producer.finish();
    rig.wait_delivered(
        (THREADS * records) as usize,
        THREADS as usize,
        restarted,
        "receive failure",
    );
    rig.held().assert_complete(pid, records);
    assert!(send.stop().success());
    assert!(recv.stop().success());
}

#[test]
fn producer_and_sender_killed_then_restarted_deliver_the_committed_prefix_once_and_all_new() {
    let rig = Rig::new("BOTH");
    let records = 200_000;
    let recv = rig.receiver();
    let send = rig.sender();
    let mut old = rig.producer(records);
    wait_until(30, "some records", || rig.total() > 2_000);
    assert!(old.running(), "killed mid-stream");
    send.kill();
    // What the producer commits now stays in its ring for the next hog.
    std::thread::sleep(Duration::from_millis(200));
    let old = old.kill();
    let restarted = Instant::now();
    let send = rig.sender();
    let mut new = rig.producer(20_000);
    let new_pid = new.id();
    new.finish();
    wait_until(60, "every stream to end", || {
        rig.ended() >= 2 * THREADS as usize
    });
    let prefix: usize = rig.held().assert_prefix(old, records).iter().sum();
    rig.wait_delivered(
        prefix + (THREADS * 20_000) as usize,
        2 * THREADS as usize,
        restarted,
        "logging process and send failure",
    );
    let held = rig.held();
    held.assert_prefix(old, records);
    held.assert_complete(new_pid, 20_000);
    eprintln!(
        "logging process and send failure: the killed producer's committed prefix was {prefix} records"
    );
    assert!(send.stop().success());
    assert!(recv.stop().success());
}

#[test]
fn a_sender_killed_twice_during_its_own_recovery_loses_and_repeats_nothing() {
    let rig = Rig::new("AGAIN");
    let records = 80_000;
    let recv = rig.receiver();
    let send = rig.sender();
    let mut producer = rig.producer(records);
    wait_until(30, "some records", || rig.total() > 2_000);
    assert!(producer.running(), "killed mid-stream");
    send.kill();
    // Killed again while it re-attaches the rings and resends its spool.
    for pause in [150, 60] {
        let send = rig.sender();
        std::thread::sleep(Duration::from_millis(pause));
        send.kill();
    }
    let restarted = Instant::now();
    let send = rig.sender();
    let pid = producer.id();
    producer.finish();
    rig.wait_delivered(
        (THREADS * records) as usize,
        THREADS as usize,
        restarted,
        "sender killed during recovery",
    );
    rig.held().assert_complete(pid, records);
    assert!(send.stop().success());
    assert!(recv.stop().success());
}

/// A small, seedable generator (xorshift64*), so the test needs no crate.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[test]
fn soak_random_kills_of_producer_sender_and_receiver_lose_and_repeat_nothing() {
    let iterations = env_number("RECOVERY_SOAK_ITERATIONS").unwrap_or(1);
    let seed = env_number("RECOVERY_SOAK_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
            | 1
    });
    eprintln!("RECOVERY_SOAK_SEED={seed} RECOVERY_SOAK_ITERATIONS={iterations}");
    let mut rng = Rng(seed);
    let records = 50_000;
    for iteration in 0..iterations {
        let rig = Rig::new("SOAK");
        let mut recv = Some(rig.receiver());
        let mut send = Some(rig.sender());
        let mut producer = rig.producer(records);
        let (mut killed, mut events) = (Vec::new(), Vec::new());
        for _ in 0..3 {
            std::thread::sleep(Duration::from_millis(rng.below(500)));
            // Sender, receiver, producer, sender and producer, sender and
            // receiver.
            let victim = rng.below(5);
            let (s, r, p) = (
                matches!(victim, 0 | 3 | 4),
                matches!(victim, 1 | 4),
                matches!(victim, 2 | 3),
            );
            events.push(
                [
                    "sender",
                    "receiver",
                    "producer",
                    "sender+producer",
                    "sender+receiver",
                ][victim as usize],
            );
            if s {
                send.take().unwrap().kill();
            }
            if r {
                recv.take().unwrap().kill();
            }
            if p {
                producer.kill();
            }
            std::thread::sleep(Duration::from_millis(rng.below(300)));
            if r {
                recv = Some(rig.receiver());
            }
            if s {
                send = Some(rig.sender());
            }
            if p {
                // Kept until the iteration ends: a restarted sender
                // re-attaches the killed producer's regions.
                killed.push(std::mem::replace(&mut producer, rig.producer(records)));
            }
        }
        let restarted = Instant::now();
        let last = producer.id();
        producer.finish();
        let streams = THREADS as usize * (killed.len() + 1);
        wait_until(90, "every stream to end", || rig.ended() >= streams);
        eprintln!(
            "soak {iteration} ({events:?}): every record delivered {:.2}s after the last event",
            restarted.elapsed().as_secs_f64()
        );
        std::thread::sleep(Duration::from_millis(300));
        let held = rig.held();
        let mut seen = held.of(last).len();
        held.assert_complete(last, records);
        for pid in killed.iter().map(|old| old.id()) {
            seen += held.of(pid).len();
            held.assert_prefix(pid, records);
        }
        assert_eq!(seen, held.streams.len(), "no stream of anybody else");
        assert!(send.take().unwrap().stop().success());
        assert!(recv.take().unwrap().stop().success());
    }
}

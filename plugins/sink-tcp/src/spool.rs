//! One stream's spool: transactions appended to `open.seg` (durable once
//! written), cut into numbered compressed segments (zstd when a destination
//! may speak v2, gzip when all speak hobbes), deleted once every
//! destination acknowledged them.
//!
//! `open.seg` always exists and starts with the sequence number of its first
//! transaction, so the spool knows its durable mark even when every segment
//! has been sent and deleted. A cut writes the segment first and replaces
//! `open.seg` second; a kill between the two is recognised on reopen (the
//! open file's first transaction is already in a segment).

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use hog_core::plugin::{BatchRef, PluginError, StreamInfo};
use hog_core::wire::legacy::{self, Init};
use hog_core::wire::v2::Codec;

use crate::net::HobbesPeers;

/// How a spool compresses its segments.
#[derive(Debug, Clone)]
pub(crate) struct Compression {
    /// The codec of new segments while no destination speaks only hobbes.
    pub codec: Codec,
    /// gzip level (the init message and gzip segments).
    pub gzip_level: u32,
    /// zstd level.
    pub zstd_level: i32,
    /// Destinations known to speak only hobbes: while there are any,
    /// segments are cut as gzip, which v2 carries too, so that no segment
    /// is compressed twice.
    pub hobbes_peers: HobbesPeers,
}

impl Compression {
    /// The codec of the next segment.
    pub(crate) fn codec(&self) -> Codec {
        if self.hobbes_peers.any() {
            Codec::Gzip
        } else {
            self.codec
        }
    }

    /// The level of `codec`.
    pub(crate) fn level(&self, codec: Codec) -> i32 {
        match codec {
            Codec::Zstd | Codec::ZstdRows => self.zstd_level,
            _ => self.gzip_level as i32,
        }
    }
}

/// A cut segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Segment {
    /// Position in send order.
    pub index: u64,
    /// Sequence number of its first transaction.
    pub first_seq: u64,
    /// Transactions in it.
    pub count: u64,
    /// Compressed size.
    pub bytes: u64,
    /// How it is compressed.
    pub codec: Codec,
}

impl Segment {
    /// Sequence number one past its last transaction.
    pub(crate) fn end_seq(&self) -> u64 {
        self.first_seq + self.count
    }
}

/// The mutable part of a spool.
pub(crate) struct State {
    open: File,
    open_first: u64,
    open_count: u64,
    open_bytes: u64,
    open_since: Option<Instant>,
    /// Cut segments not yet acknowledged by every destination.
    pub segments: BTreeMap<u64, Segment>,
    next_index: u64,
    /// Per destination, the highest index it acknowledged.
    pub acked: HashMap<String, u64>,
    /// No more transactions will come (the stream was closed).
    pub closed: bool,
    /// Set when the sink shuts down.
    pub stopping: bool,
}

impl State {
    /// The durable mark: transactions before it are in the spool or sent.
    pub(crate) fn durable_end(&self) -> u64 {
        self.open_first + self.open_count
    }

    /// Bytes on disk.
    pub(crate) fn bytes(&self) -> u64 {
        self.open_bytes + self.segments.values().map(|s| s.bytes).sum::<u64>()
    }

    /// Spooled segments destination `dest` has not acknowledged.
    pub(crate) fn waiting_for(&self, dest: &str) -> u64 {
        let acked = self.acked.get(dest).copied().unwrap_or(0);
        self.segments.range(acked + 1..).count() as u64
    }

    /// Whether a destination that acknowledged up to `acked` has everything.
    pub(crate) fn finished_for(&self, acked: u64) -> bool {
        self.closed && self.open_count == 0 && self.segments.range(acked + 1..).next().is_none()
    }

    /// Whether nothing is left to send to anyone.
    pub(crate) fn drained(&self) -> bool {
        self.closed && self.open_count == 0 && self.segments.is_empty()
    }
}

/// A stream's spool, shared by the sink and the stream's senders.
pub(crate) struct Spool {
    dir: PathBuf,
    /// The stream's group.
    pub group: String,
    /// The compressed init message.
    pub init: Vec<u8>,
    /// The stream, as it was opened.
    pub stream: StreamInfo,
    /// How segments are compressed.
    pub compression: Compression,
    fsync: bool,
    state: Mutex<State>,
    changed: Condvar,
}

fn io(dir: &Path, what: &str, e: std::io::Error) -> PluginError {
    PluginError::io(format!("spool {}: {what}: {e}", dir.display()))
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let written = File::create(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    });
    if written.is_err() {
        // A full disk must not keep the half-written copy.
        let _ = fs::remove_file(&tmp);
    }
    written
}

impl Spool {
    /// Opens the spool in `dir`, creating it for `stream` if new, salvaging
    /// what a killed hog left. `destinations` are the ones to serve.
    pub(crate) fn open(
        dir: &Path,
        stream: &StreamInfo,
        destinations: &[String],
        compression: Compression,
        fsync: bool,
    ) -> Result<Spool, PluginError> {
        let fail = |what: &str, e| io(dir, what, e);
        fs::create_dir_all(dir).map_err(|e| fail("cannot create", e))?;
        let description = dir.join("stream.json");
        if !description.exists() {
            let json = serde_json::to_vec(stream).expect("a stream serializes");
            write_atomic(&description, &json).map_err(|e| fail("cannot write stream.json", e))?;
        }
        let init_path = dir.join("init.gz");
        let init = match fs::read(&init_path) {
            Ok(bytes) => bytes,
            Err(_) => {
                let init = Init {
                    qos: stream.qos,
                    commit: stream.commit,
                    statements: stream.statements.to_vec(),
                };
                let gz = legacy::gzip(&init.encode(), compression.gzip_level);
                write_atomic(&init_path, &gz).map_err(|e| fail("cannot write init.gz", e))?;
                gz
            }
        };
        let mut segments = BTreeMap::new();
        for entry in fs::read_dir(dir).map_err(|e| fail("cannot list", e))? {
            let name = entry.map_err(|e| fail("cannot list", e))?.file_name();
            if let Some(seg) = parse_segment_name(&name.to_string_lossy()) {
                let bytes = fs::metadata(dir.join(segment_name(&seg)))
                    .map(|m| m.len())
                    .unwrap_or(0);
                segments.insert(seg.index, Segment { bytes, ..seg });
            }
        }
        let mut acked = HashMap::new();
        for d in destinations {
            let text = fs::read_to_string(dir.join(acked_name(d))).unwrap_or_default();
            acked.insert(d.clone(), text.trim().parse().unwrap_or(0));
        }
        // Segments every destination acknowledged are gone; numbering goes
        // on after the highest index anyone has seen.
        let highest = segments.keys().next_back().copied().unwrap_or(0);
        let next_index = highest.max(acked.values().copied().max().unwrap_or(0)) + 1;
        let cut_end = segments.values().map(|s| s.first_seq + s.count).max();
        let (open, open_first, open_count, open_bytes) = salvage(dir, cut_end)?;
        Ok(Spool {
            dir: dir.to_path_buf(),
            group: stream.group.to_string(),
            init,
            stream: stream.clone(),
            compression,
            fsync,
            state: Mutex::new(State {
                open,
                open_first,
                open_count,
                open_bytes,
                open_since: (open_count > 0).then(Instant::now),
                segments,
                next_index,
                acked,
                closed: dir.join("closed").exists(),
                stopping: false,
            }),
            changed: Condvar::new(),
        })
    }

    /// The spool's directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Locks the state.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for a change, at most `timeout`.
    pub(crate) fn wait<'a>(
        &self,
        guard: MutexGuard<'a, State>,
        timeout: Duration,
    ) -> MutexGuard<'a, State> {
        self.changed
            .wait_timeout(guard, timeout)
            .unwrap_or_else(PoisonError::into_inner)
            .0
    }

    /// Wakes everyone waiting for a change.
    pub(crate) fn notify(&self) {
        self.changed.notify_all();
    }

    /// Appends the part of `batch` the spool does not hold yet; returns the
    /// new durable mark.
    pub(crate) fn append(&self, batch: BatchRef<'_>) -> Result<u64, PluginError> {
        let mut state = self.lock();
        // Spooled transactions are numbered by position.
        let mut buf = Vec::with_capacity(batch.data.len() + 8 * batch.len());
        let mut n = 0;
        for (_, txn) in batch.after(state.durable_end(), self.dir.display())? {
            legacy::push_transaction(&mut buf, txn);
            n += 1;
        }
        if n == 0 {
            return Ok(state.durable_end());
        }
        if let Err(e) = state.open.write_all(&buf) {
            // Take back what a failed write (a full disk) left, so that the
            // next append follows whole transactions.
            let _ = state.open.set_len(8 + state.open_bytes);
            return Err(io(&self.dir, "cannot append", e));
        }
        if self.fsync {
            state
                .open
                .sync_data()
                .map_err(|e| io(&self.dir, "cannot sync", e))?;
        }
        state.open_count += n;
        state.open_bytes += buf.len() as u64;
        state.open_since.get_or_insert_with(Instant::now);
        Ok(state.durable_end())
    }

    /// Cuts the open transactions into a segment if there are any and
    /// `due` says so (given uncompressed bytes and age).
    pub(crate) fn cut_if(&self, due: impl Fn(u64, Duration) -> bool) -> Result<bool, PluginError> {
        let mut state = self.lock();
        let age = state.open_since.map_or(Duration::ZERO, |t| t.elapsed());
        if state.open_count == 0 || !due(state.open_bytes, age) {
            return Ok(false);
        }
        self.cut(&mut state)?;
        drop(state);
        self.notify();
        Ok(true)
    }

    fn cut(&self, state: &mut State) -> Result<(), PluginError> {
        let fail = |what: &str, e| io(&self.dir, what, e);
        let mut records = Vec::with_capacity(state.open_bytes as usize);
        state
            .open
            .seek(SeekFrom::Start(8))
            .and_then(|_| state.open.read_to_end(&mut records))
            .map_err(|e| fail("cannot read open.seg", e))?;
        let codec = self.compression.codec();
        let gz = codec.compress(&records, self.compression.level(codec));
        let seg = Segment {
            index: state.next_index,
            first_seq: state.open_first,
            count: state.open_count,
            bytes: gz.len() as u64,
            codec,
        };
        write_atomic(&self.dir.join(segment_name(&seg)), &gz)
            .map_err(|e| fail("cannot write a segment", e))?;
        let end = state.durable_end();
        state.open = new_open(&self.dir, end)?;
        state.open_first = end;
        state.open_count = 0;
        state.open_bytes = 0;
        state.open_since = None;
        state.next_index += 1;
        state.segments.insert(seg.index, seg);
        Ok(())
    }

    /// Records that `dest` acknowledged segment `index`; deletes segments
    /// every destination has.
    pub(crate) fn acknowledge(&self, dest: &str, index: u64) -> Result<(), PluginError> {
        write_atomic(
            &self.dir.join(acked_name(dest)),
            index.to_string().as_bytes(),
        )
        .map_err(|e| io(&self.dir, "cannot record an acknowledgement", e))?;
        let mut state = self.lock();
        state.acked.insert(dest.to_string(), index);
        let everyone = state.acked.values().copied().min().unwrap_or(0);
        let done: Vec<u64> = state.segments.range(..=everyone).map(|(i, _)| *i).collect();
        for i in done {
            if let Some(seg) = state.segments.remove(&i) {
                let _ = fs::remove_file(self.dir.join(segment_name(&seg)));
            }
        }
        drop(state);
        self.notify();
        Ok(())
    }

    /// Deletes the oldest segment regardless of acknowledgements; returns
    /// the transactions lost.
    pub(crate) fn drop_oldest(&self) -> Option<Segment> {
        let mut state = self.lock();
        let (&i, _) = state.segments.iter().next()?;
        let seg = state.segments.remove(&i)?;
        let _ = fs::remove_file(self.dir.join(segment_name(&seg)));
        for acked in state.acked.values_mut() {
            *acked = (*acked).max(i);
        }
        Some(seg)
    }

    /// Marks the stream closed: cuts what is open; senders finish and the
    /// spool is removed once drained.
    pub(crate) fn close(&self) -> Result<(), PluginError> {
        let mut state = self.lock();
        if state.open_count > 0 {
            self.cut(&mut state)?;
        }
        state.closed = true;
        File::create(self.dir.join("closed"))
            .map_err(|e| io(&self.dir, "cannot mark closed", e))?;
        drop(state);
        self.notify();
        Ok(())
    }

    /// The bytes of segment `seg`.
    pub(crate) fn read_segment(&self, seg: &Segment) -> std::io::Result<Vec<u8>> {
        fs::read(self.dir.join(segment_name(seg)))
    }

    /// Records that `dest` acknowledged the end of the stream.
    pub(crate) fn mark_ended(&self, dest: &str) -> Result<(), PluginError> {
        write_atomic(&self.dir.join(ended_name(dest)), b"")
            .map_err(|e| io(&self.dir, "cannot record the end", e))
    }

    /// Whether `dest` acknowledged the end of the stream.
    pub(crate) fn ended(&self, dest: &str) -> bool {
        self.dir.join(ended_name(dest)).exists()
    }
}

fn segment_name(seg: &Segment) -> String {
    format!(
        "seg-{:010}-{}-{}.{}",
        seg.index,
        seg.first_seq,
        seg.count,
        seg.codec.extension()
    )
}

fn parse_segment_name(name: &str) -> Option<Segment> {
    let (rest, ext) = name.strip_prefix("seg-")?.rsplit_once('.')?;
    let codec = Codec::from_extension(ext)?;
    let mut parts = rest.split('-');
    let index = parts.next()?.parse().ok()?;
    let first_seq = parts.next()?.parse().ok()?;
    let count = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some(Segment {
        index,
        first_seq,
        count,
        bytes: 0,
        codec,
    })
}

fn ended_name(dest: &str) -> String {
    format!("ended-{}", &acked_name(dest)["acked-".len()..])
}

/// The file recording what `dest` acknowledged.
pub(crate) fn acked_name(dest: &str) -> String {
    let safe: String = dest
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("acked-{safe}")
}

fn new_open(dir: &Path, first: u64) -> Result<File, PluginError> {
    let path = dir.join("open.seg");
    write_atomic(&path, &first.to_le_bytes()).map_err(|e| io(dir, "cannot start open.seg", e))?;
    OpenOptions::new()
        .read(true)
        .append(true)
        .open(&path)
        .map_err(|e| io(dir, "cannot open open.seg", e))
}

/// Reopens `open.seg`: keeps its whole transactions, drops a torn tail, and
/// starts afresh if a kill interrupted a cut (its first transaction is
/// already in a segment ending at `cut_end`).
fn salvage(dir: &Path, cut_end: Option<u64>) -> Result<(File, u64, u64, u64), PluginError> {
    let path = dir.join("open.seg");
    let bytes = fs::read(&path).unwrap_or_default();
    let first = bytes
        .get(..8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")));
    let Some(first) = first.filter(|&f| cut_end.is_none_or(|end| f >= end)) else {
        let start = cut_end.unwrap_or(0);
        return Ok((new_open(dir, start)?, start, 0, 0));
    };
    let mut at = 8usize;
    let mut count = 0u64;
    while let Some(len) = bytes.get(at..at + 8) {
        let len = u64::from_le_bytes(len.try_into().expect("8 bytes")) as usize;
        match at.checked_add(8 + len) {
            Some(end) if end <= bytes.len() => {
                at = end;
                count += 1;
            }
            _ => break,
        }
    }
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .open(&path)
        .map_err(|e| io(dir, "cannot open open.seg", e))?;
    if at < bytes.len() {
        file.set_len(at as u64)
            .map_err(|e| io(dir, "cannot drop a torn transaction", e))?;
    }
    Ok((file, first, count, (at - 8) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hog_core::pipeline::Batch;
    use hog_core::plugin::{CommitMethod, Qos};

    fn stream() -> StreamInfo {
        StreamInfo {
            id: 1,
            group: "G".into(),
            pid: 1,
            tid: 1,
            region: "/G.1.1".into(),
            started_at_ns: 1,
            qos: Qos::Reliable,
            commit: CommitMethod::Auto,
            statements: vec![].into(),
        }
    }

    fn zstd() -> Compression {
        Compression {
            codec: Codec::Zstd,
            gzip_level: 6,
            zstd_level: 3,
            hobbes_peers: HobbesPeers::default(),
        }
    }

    fn batch(first: u64, n: u64) -> Batch {
        let mut b = Batch::new(1, first);
        for i in first..first + n {
            b.push(&i.to_le_bytes());
        }
        b
    }

    #[test]
    fn marks_survive_cuts_reopens_and_torn_tails() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("s");
        let dests = vec!["a:1".to_string()];
        let spool = Spool::open(&d, &stream(), &dests, zstd(), false).unwrap();
        assert_eq!(spool.append(batch(0, 5).as_ref()).unwrap(), 5);
        assert_eq!(
            spool.append(batch(3, 4).as_ref()).unwrap(),
            7,
            "a replay is skipped"
        );
        assert!(spool.cut_if(|_, _| true).unwrap());
        assert_eq!(spool.append(batch(7, 2).as_ref()).unwrap(), 9);
        drop(spool);
        // A kill mid-append leaves a torn transaction.
        let mut f = OpenOptions::new()
            .append(true)
            .open(d.join("open.seg"))
            .unwrap();
        f.write_all(&[8, 0, 0, 0, 0, 0, 0, 0, 1, 2]).unwrap();
        let spool = Spool::open(&d, &stream(), &dests, zstd(), false).unwrap();
        let state = spool.lock();
        assert_eq!(state.durable_end(), 9);
        assert_eq!(state.segments.len(), 1);
        let seg = state.segments.values().next().unwrap().clone();
        assert_eq!((seg.index, seg.first_seq, seg.count), (1, 0, 7));
        drop(state);
        assert_eq!(seg.codec, Codec::Zstd);
        let payload = seg
            .codec
            .decompress(&spool.read_segment(&seg).unwrap(), 1 << 20, "seg")
            .unwrap();
        let txns = legacy::transactions(&payload).unwrap();
        assert_eq!(txns.len(), 7);
        assert_eq!(txns[6], 6u64.to_le_bytes());
        spool.acknowledge("a:1", 1).unwrap();
        assert!(spool.lock().segments.is_empty());
        drop(spool);
        let spool = Spool::open(&d, &stream(), &dests, zstd(), false).unwrap();
        spool.cut_if(|_, _| true).unwrap();
        let next = spool.lock().segments.keys().copied().collect::<Vec<_>>();
        assert_eq!(
            next,
            [2],
            "numbering continues after acknowledged, deleted segments"
        );
        drop(spool);
        assert_eq!(
            Spool::open(&d, &stream(), &dests, zstd(), false)
                .unwrap()
                .lock()
                .durable_end(),
            9,
            "the mark outlives every segment"
        );
    }

    #[test]
    fn a_kill_between_writing_a_segment_and_restarting_open_seg_is_recognised() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("s");
        let spool = Spool::open(&d, &stream(), &[], zstd(), false).unwrap();
        spool.append(batch(0, 3).as_ref()).unwrap();
        let stale = fs::read(d.join("open.seg")).unwrap();
        spool.cut_if(|_, _| true).unwrap();
        drop(spool);
        fs::write(d.join("open.seg"), stale).unwrap();
        let spool = Spool::open(&d, &stream(), &[], zstd(), false).unwrap();
        let state = spool.lock();
        assert_eq!(state.durable_end(), 3);
        assert_eq!(
            state.open_count, 0,
            "the cut transactions are not sent twice"
        );
    }
}

//! The commit record kept inside each file: every stream's durable mark and
//! the position of every series at the last commit.
//!
//! The binding `.hog.commit` (internal: hobbes' readers skip names starting
//! with `.` and records without a type) points at an 8-byte cell holding
//! the offset of the current record. Two record blocks alternate: a commit
//! writes the whole new record into the block not in use, then stores its
//! offset into the cell with one aligned 8-byte store. A writer killed at
//! any instant leaves the cell pointing at a complete record.
//!
//! Block: `magic, generation, flags (bit 0: closed cleanly), capacity,
//! sibling block, series count, stream count, body length, compressed
//! series count` (`u64` each), then `(root, head node, count)` per series,
//! `(mark, key length, key padded to 8)` per stream, `(root, node, count,
//! segment, low|high, roll|bit)` per compressed series, and an FNV-1a
//! checksum of all of it. Records of the first version (`hogmark1`) have
//! no compressed series and a 64-byte header.

use std::io;

use hog_core::fregion::cseq::CSeqPosition;
use hog_core::fregion::{Reader, Writer};

use crate::error::CommitError;

/// Name of the binding of the commit cell.
pub const COMMIT_BINDING: &str = ".hog.commit";

const MAGIC_V1: u64 = u64::from_le_bytes(*b"hogmark1");
const MAGIC: u64 = u64::from_le_bytes(*b"hogmark2");
const HEADER_V1: usize = 64;
const HEADER: usize = 72;
const CODED_ENTRY: u64 = 48;
const MIN_CAPACITY: u64 = 4096;

/// Where a series stood at a commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesPosition {
    /// Offset of the series' root cell.
    pub root: u64,
    /// The head node.
    pub node: u64,
    /// Values in the head node's batch.
    pub count: u64,
}

/// The content of a commit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitRecord {
    /// Increases with every commit.
    pub generation: u64,
    /// Whether the file was closed after this commit (nothing written
    /// after it was left half-done).
    pub clean: bool,
    /// Every series the sink writes.
    pub series: Vec<SeriesPosition>,
    /// Every stream's key and mark (transactions `0..mark` are in the file).
    pub streams: Vec<(String, u64)>,
    /// Every compressed series: its root and position.
    pub coded: Vec<(u64, CSeqPosition)>,
}

impl CommitRecord {
    /// The mark of the stream with `key`.
    pub fn mark(&self, key: &str) -> Option<u64> {
        self.streams.iter().find(|(k, _)| k == key).map(|&(_, m)| m)
    }

    fn encode(&self, capacity: u64, sibling: u64, out: &mut Vec<u8>) {
        out.clear();
        let mut put = |v: u64| out.extend_from_slice(&v.to_le_bytes());
        put(MAGIC);
        put(self.generation);
        put(u64::from(self.clean));
        put(capacity);
        put(sibling);
        put(self.series.len() as u64);
        put(self.streams.len() as u64);
        put(0); // body length, set below
        put(self.coded.len() as u64);
        for s in &self.series {
            out.extend_from_slice(&s.root.to_le_bytes());
            out.extend_from_slice(&s.node.to_le_bytes());
            out.extend_from_slice(&s.count.to_le_bytes());
        }
        for (key, mark) in &self.streams {
            out.extend_from_slice(&mark.to_le_bytes());
            out.extend_from_slice(&(key.len() as u64).to_le_bytes());
            out.extend_from_slice(key.as_bytes());
            out.resize(out.len().next_multiple_of(8), 0);
        }
        for (root, p) in &self.coded {
            for v in [*root, p.node, p.count, p.segment] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            for v in [p.low, p.high, p.roll, p.bit] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        let body = (out.len() - HEADER) as u64;
        out[56..64].copy_from_slice(&body.to_le_bytes());
        let sum = fnv1a(out);
        out.extend_from_slice(&sum.to_le_bytes());
    }

    /// Decodes the record block at `at` of `bytes`; returns it with its
    /// capacity and sibling block.
    fn decode(bytes: &[u8], at: u64) -> Result<(CommitRecord, u64, u64), CommitError> {
        let get = |off: u64| -> Result<u64, CommitError> {
            let s = at
                .checked_add(off)
                .and_then(|a| bytes.get(a as usize..a as usize + 8))
                .ok_or(CommitError::PastEnd(at))?;
            Ok(u64::from_le_bytes(s.try_into().expect("8 bytes")))
        };
        let header = match get(0)? {
            MAGIC => HEADER as u64,
            MAGIC_V1 => HEADER_V1 as u64,
            _ => return Err(CommitError::Missing(at)),
        };
        let body = get(56)?;
        let total = header
            .checked_add(body)
            .filter(|&t| {
                at.checked_add(t + 8)
                    .is_some_and(|e| e <= bytes.len() as u64)
            })
            .ok_or(CommitError::PastEnd(at))?;
        let block = &bytes[at as usize..(at + total) as usize];
        if fnv1a(block) != get(total)? {
            return Err(CommitError::Checksum(at));
        }
        let (series_n, streams_n) = (get(40)?, get(48)?);
        let coded_n = if header == HEADER as u64 { get(64)? } else { 0 };
        if series_n > body / 24 || streams_n > body / 16 || coded_n > body / CODED_ENTRY {
            return Err(CommitError::Counts(at));
        }
        let mut rec = CommitRecord {
            generation: get(8)?,
            clean: get(16)? & 1 == 1,
            ..Default::default()
        };
        let mut off = header;
        for _ in 0..series_n {
            rec.series.push(SeriesPosition {
                root: get(off)?,
                node: get(off + 8)?,
                count: get(off + 16)?,
            });
            off += 24;
        }
        for _ in 0..streams_n {
            let mark = get(off)?;
            let len = get(off + 8)?;
            if off
                .checked_add(16)
                .and_then(|start| total.checked_sub(start))
                .is_none_or(|room| len > room)
            {
                return Err(CommitError::KeyPastEnd(at));
            }
            let key = &block[(off + 16) as usize..(off + 16 + len) as usize];
            rec.streams
                .push((String::from_utf8_lossy(key).into_owned(), mark));
            off += 16 + len.next_multiple_of(8);
        }
        for _ in 0..coded_n {
            if off + CODED_ENTRY > total {
                return Err(CommitError::SeriesPastEnd(at));
            }
            let (a, b) = (get(off + 32)?, get(off + 40)?);
            let pos = CSeqPosition {
                node: get(off + 8)?,
                count: get(off + 16)?,
                segment: get(off + 24)?,
                low: a as u32,
                high: (a >> 32) as u32,
                roll: b as u32,
                bit: (b >> 32) as u32,
            };
            rec.coded.push((get(off)?, pos));
            off += CODED_ENTRY;
        }
        Ok((rec, get(24)?, get(32)?))
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The commit record of a file opened for reading, if it has one.
pub fn read_marks<B: AsRef<[u8]>>(reader: &Reader<B>) -> Option<Result<CommitRecord, CommitError>> {
    let b = reader.binding(COMMIT_BINDING)?;
    let bytes = reader.bytes();
    let cell = bytes.get(b.offset as usize..b.offset as usize + 8);
    Some(match cell {
        None => Err(CommitError::CellPastEnd),
        Some(cell) => {
            let at = u64::from_le_bytes(cell.try_into().expect("8 bytes"));
            CommitRecord::decode(bytes, at).map(|(r, _, _)| r)
        }
    })
}

/// A commit that failed, and whether its record had become current (then
/// it holds after a kill; only its durability is in doubt).
#[derive(Debug)]
pub(crate) struct StoreFailed {
    pub published: bool,
    pub error: io::Error,
}

/// The commit cell of a file open for writing.
#[derive(Debug)]
pub(crate) struct CommitCell {
    cell: u64,
    current: u64,
    other: u64,
    capacity: u64,
    buf: Vec<u8>,
}

impl CommitCell {
    /// Creates the cell and its first record, and binds it.
    pub(crate) fn create(w: &mut Writer, record: &CommitRecord) -> io::Result<CommitCell> {
        let cell = w.alloc(8, 8)?;
        let mut c = CommitCell {
            cell,
            current: 0,
            other: 0,
            capacity: 0,
            buf: Vec::new(),
        };
        c.store(w, record, false).map_err(|f| f.error)?;
        w.bind(COMMIT_BINDING, &[], cell)?;
        Ok(c)
    }

    /// The cell of a file written before, with its current record.
    pub(crate) fn load(w: &Writer) -> Option<Result<(CommitCell, CommitRecord), CommitError>> {
        let b = w.binding(COMMIT_BINDING)?;
        let cell = b.offset;
        let bytes = w.bytes();
        if cell.checked_add(8).is_none_or(|e| e > bytes.len() as u64) {
            return Some(Err(CommitError::CellPastEnd));
        }
        let current = w.read_u64(cell);
        Some(
            CommitRecord::decode(bytes, current).and_then(|(record, capacity, other)| {
                let sibling_ok = other
                    .checked_add(capacity)
                    .is_some_and(|e| e <= bytes.len() as u64 && other.is_multiple_of(8));
                if !sibling_ok {
                    return Err(CommitError::Sibling);
                }
                Ok((
                    CommitCell {
                        cell,
                        current,
                        other,
                        capacity,
                        buf: Vec::new(),
                    },
                    record,
                ))
            }),
        )
    }

    /// Writes `record` into the free block and makes it current (with
    /// `fsync`, forcing it to the disk before and after the switch). A
    /// failure says whether the record had become current.
    pub(crate) fn store(
        &mut self,
        w: &mut Writer,
        record: &CommitRecord,
        fsync: bool,
    ) -> Result<(), StoreFailed> {
        let before = |error| StoreFailed {
            published: false,
            error,
        };
        let mut buf = std::mem::take(&mut self.buf);
        record.encode(self.capacity, self.current, &mut buf);
        if buf.len() as u64 > self.capacity {
            let capacity = (buf.len() as u64 * 2).max(MIN_CAPACITY);
            self.other = w.alloc(capacity, 8).map_err(before)?;
            self.current = w.alloc(capacity, 8).map_err(before)?;
            self.capacity = capacity;
            record.encode(self.capacity, self.current, &mut buf);
        }
        w.write(self.other, &buf);
        self.buf = buf;
        if fsync {
            w.sync().map_err(before)?;
        }
        w.publish_u64(self.cell, self.other);
        std::mem::swap(&mut self.current, &mut self.other);
        if fsync {
            w.sync().map_err(|error| StoreFailed {
                published: true,
                error,
            })?;
        }
        Ok(())
    }
}

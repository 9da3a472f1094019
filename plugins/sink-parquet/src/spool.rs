//! A stream's spool: the transactions accepted since its last published
//! files, appended as they arrive, so that they are durable (and the mark
//! can move) long before the files roll.
//!
//! An entry is `u64 seq`, `i64 time` (µs since the epoch, when the sink
//! received it), `u32 len`, `u32 crc32` of the bytes, then the `len` bytes
//! of the transaction. A kill may cut the last entry short; reading stops
//! at the first entry that is not whole and correct, and the file is cut
//! there.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Bytes before an entry's transaction.
const HEADER: usize = 24;

/// A transaction read back from a spool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its sequence number.
    pub seq: u64,
    /// When the sink received it (µs since the epoch).
    pub time: i64,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// An open spool file.
#[derive(Debug)]
pub struct Spool {
    file: File,
    path: PathBuf,
}

impl Spool {
    /// Opens (or creates) the spool at `path` and reads its whole entries,
    /// cutting off a torn tail.
    pub fn open(path: &Path) -> io::Result<(Spool, Vec<Entry>)> {
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let (entries, whole) = parse(&bytes);
        if whole < bytes.len() {
            file.set_len(whole as u64)?;
        }
        file.seek(SeekFrom::End(0))?;
        let spool = Spool {
            file,
            path: path.to_path_buf(),
        };
        Ok((spool, entries))
    }

    /// Appends transactions `(seq, time, bytes)` with one write.
    pub fn append<'a>(
        &mut self,
        entries: impl IntoIterator<Item = (u64, i64, &'a [u8])>,
    ) -> io::Result<()> {
        let mut out = Vec::new();
        for (seq, time, bytes) in entries {
            let len = u32::try_from(bytes.len())
                .map_err(|_| io::Error::other("a transaction of 4 GiB or more"))?;
            out.extend_from_slice(&seq.to_le_bytes());
            out.extend_from_slice(&time.to_le_bytes());
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&crc32fast::hash(bytes).to_le_bytes());
            out.extend_from_slice(bytes);
        }
        self.file.write_all(&out)
    }

    /// Makes what was appended survive a crash of the machine.
    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }

    /// Empties the spool (its transactions are in published files).
    pub fn clear(&mut self) -> io::Result<()> {
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        self.file.sync_all()
    }

    /// Where the spool is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The whole, correct entries at the start of `bytes`, and their length.
fn parse(bytes: &[u8]) -> (Vec<Entry>, usize) {
    let mut entries = Vec::new();
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + HEADER) {
        let word = |i: usize| u64::from_le_bytes(header[i..i + 8].try_into().expect("8 bytes"));
        let half = |i: usize| u32::from_le_bytes(header[i..i + 4].try_into().expect("4 bytes"));
        let (seq, time, len, crc) = (word(0), word(8) as i64, half(16) as usize, half(20));
        let Some(body) = bytes.get(at + HEADER..at + HEADER + len) else {
            break;
        };
        if crc32fast::hash(body) != crc {
            break;
        }
        entries.push(Entry {
            seq,
            time,
            bytes: body.to_vec(),
        });
        at += HEADER + len;
    }
    (entries, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_or_corrupt_tail_is_cut_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let (mut spool, entries) = Spool::open(&path).unwrap();
        assert!(entries.is_empty());
        spool
            .append([
                (0, 10, &b"abc"[..]),
                (1, 11, &b""[..]),
                (2, 12, &b"xyz"[..]),
            ])
            .unwrap();
        drop(spool);
        let full = std::fs::read(&path).unwrap();
        // Cut inside the last entry, as a kill would.
        std::fs::write(&path, &full[..full.len() - 1]).unwrap();
        let (_, entries) = Spool::open(&path).unwrap();
        let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [0, 1]);
        assert_eq!(entries[0].bytes, b"abc");
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 2 * 24 + 3);
        // A flipped byte in the first entry's data ends the spool there.
        let mut bad = full.clone();
        bad[24] ^= 1;
        std::fs::write(&path, &bad).unwrap();
        assert!(Spool::open(&path).unwrap().1.is_empty());
    }
}

//! A stream's spool: the transactions accepted since its last published
//! files, appended as they arrive, so that they are durable (and the mark
//! can move) long before the files roll.
//!
//! An entry is `u64 seq`, `i64 time` (µs since the epoch, when the sink
//! received it), `u32 len`, `u32 crc32` of the bytes, then the `len` bytes
//! of the transaction. A kill may cut the last entry short; reading stops
//! at the first entry that is not whole and correct, and the file is cut
//! there. Entries are read one at a time, and a length is checked against
//! what is left of the file before anything is allocated for it.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
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
    /// Opens (or creates) the spool at `path` and passes each whole entry,
    /// in order, to `each`, one at a time; cuts off a torn tail. An error
    /// from `each` stops the reading and is returned.
    pub fn open(
        path: &Path,
        mut each: impl FnMut(Entry) -> Result<(), String>,
    ) -> Result<Spool, String> {
        let io = |e: io::Error| format!("{}: {e}", path.display());
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path)
            .map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let mut reader = BufReader::new(&file);
        let mut whole = 0;
        while let Some(entry) = next(&mut reader, len - whole).map_err(io)? {
            whole += (HEADER + entry.bytes.len()) as u64;
            each(entry)?;
        }
        drop(reader);
        if whole < len {
            file.set_len(whole).map_err(io)?;
        }
        file.seek(SeekFrom::End(0)).map_err(io)?;
        Ok(Spool {
            file,
            path: path.to_path_buf(),
        })
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

/// The next entry from `r`, if a whole and correct one is there within
/// the `left` bytes of the file.
fn next(r: &mut impl Read, left: u64) -> io::Result<Option<Entry>> {
    let mut header = [0u8; HEADER];
    if left < HEADER as u64 || !fill(r, &mut header)? {
        return Ok(None);
    }
    let word = |i: usize| u64::from_le_bytes(header[i..i + 8].try_into().expect("8 bytes"));
    let half = |i: usize| u32::from_le_bytes(header[i..i + 4].try_into().expect("4 bytes"));
    let (seq, time, len, crc) = (word(0), word(8) as i64, half(16), half(20));
    if u64::from(len) > left - HEADER as u64 {
        return Ok(None);
    }
    let mut bytes = vec![0; len as usize];
    if !fill(r, &mut bytes)? || crc32fast::hash(&bytes) != crc {
        return Ok(None);
    }
    Ok(Some(Entry { seq, time, bytes }))
}

/// Fills `buf` from `r`; `false` if the input ends first.
fn fill(r: &mut impl Read, buf: &mut [u8]) -> io::Result<bool> {
    match r.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The entries of the spool at `path`.
    fn read(path: &Path) -> Vec<Entry> {
        let mut entries = Vec::new();
        Spool::open(path, |e| {
            entries.push(e);
            Ok(())
        })
        .unwrap();
        entries
    }

    #[test]
    fn a_torn_or_corrupt_tail_is_cut_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        assert!(read(&path).is_empty());
        let mut spool = Spool::open(&path, |_| Ok(())).unwrap();
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
        let entries = read(&path);
        let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [0, 1]);
        assert_eq!((entries[0].time, &entries[0].bytes[..]), (10, &b"abc"[..]));
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 2 * 24 + 3);
        // A flipped byte in the first entry's data ends the spool there.
        let mut bad = full.clone();
        bad[24] ^= 1;
        std::fs::write(&path, &bad).unwrap();
        assert!(read(&path).is_empty());
        // A length past the end of the file is a torn entry, not an
        // allocation of that size.
        let mut huge = full;
        huge[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        std::fs::write(&path, &huge).unwrap();
        assert!(read(&path).is_empty());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    }
}

//! Errors of the fregion reader and writer.

use std::path::PathBuf;

/// A file that does not follow the format, with the byte where it was seen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at byte {offset}: {what}")]
pub struct FormatError {
    /// File offset of the problem.
    pub offset: u64,
    /// What is wrong.
    pub what: String,
}

impl FormatError {
    /// An error at `offset`.
    pub fn new(offset: u64, what: impl Into<String>) -> Self {
        Self {
            offset,
            what: what.into(),
        }
    }
}

/// A file that could not be opened or read, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened, mapped or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// The file is not a valid fregion file.
    #[error("{path}: {source}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: FormatError,
    },
}

impl ReadError {
    /// The I/O failure `source` on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// The format error `source` in `path`.
    pub fn format(path: impl Into<PathBuf>, source: FormatError) -> Self {
        Self::Format {
            path: path.into(),
            source,
        }
    }
}

/// Reads a little-endian `u64` at `at`, bounds-checked.
pub(crate) fn u64_at(bytes: &[u8], at: u64, what: &str) -> Result<u64, FormatError> {
    slice(bytes, at, 8, what).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
}

/// Reads a little-endian `u32` at `at`, bounds-checked.
pub(crate) fn u32_at(bytes: &[u8], at: u64, what: &str) -> Result<u32, FormatError> {
    slice(bytes, at, 4, what).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
}

/// Reads a little-endian `u16` at `at`, bounds-checked.
pub(crate) fn u16_at(bytes: &[u8], at: u64, what: &str) -> Result<u16, FormatError> {
    slice(bytes, at, 2, what).map(|b| u16::from_le_bytes(b.try_into().expect("2 bytes")))
}

/// The `len` bytes at `at`, or an error naming `what` if they are not all
/// inside `bytes` (checked arithmetic throughout).
pub(crate) fn slice<'a>(
    bytes: &'a [u8],
    at: u64,
    len: u64,
    what: &str,
) -> Result<&'a [u8], FormatError> {
    let end = at.checked_add(len).filter(|&end| end <= bytes.len() as u64);
    match end {
        Some(end) => Ok(&bytes[at as usize..end as usize]),
        None => Err(FormatError::new(
            at,
            format!(
                "{what}: {len} bytes at {at} run past the end of the file ({} bytes)",
                bytes.len()
            ),
        )),
    }
}

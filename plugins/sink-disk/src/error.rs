//! What the disk sink reports when a stream cannot be given a file, a file
//! cannot be appended to, or a commit record cannot be read. They cross
//! the plugin boundary as text.

use std::io;
use std::path::{Path, PathBuf};

use hog_core::fregion::cseq::SchemaError;
use hog_core::fregion::{FormatError, LayoutError, ReadError, SeriesTypeError};
use hog_core::types::DecodeError;

/// A commit record that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitError {
    /// The commit cell is not inside the file.
    #[error("commit cell past the end of the file")]
    CellPastEnd,
    /// The cell points at something that is not a commit record.
    #[error("no commit record at {0}")]
    Missing(u64),
    /// The record at this offset runs past the end of the file.
    #[error("commit record at {0} runs past the end of the file")]
    PastEnd(u64),
    /// The record at this offset fails its checksum.
    #[error("commit record at {0} is damaged (checksum)")]
    Checksum(u64),
    /// The record at this offset counts more entries than it can hold.
    #[error("commit record at {0} has impossible counts")]
    Counts(u64),
    /// A stream key of the record at this offset runs past its end.
    #[error("commit record at {0} has a key past its end")]
    KeyPastEnd(u64),
    /// A compressed series of the record at this offset runs past its end.
    #[error("commit record at {0} has a series past its end")]
    SeriesPastEnd(u64),
    /// The record's other block is not inside the file.
    #[error("commit record's sibling block is outside the file")]
    Sibling,
}

/// Why a stream's records cannot be stored.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StreamError {
    /// The group cannot be a path component.
    #[error("group name '{}' cannot name a directory: {why}", .name.escape_debug())]
    Group {
        /// The group.
        name: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A statement's type description does not decode.
    #[error("statement '{statement}': type description {source}")]
    TypeDescription {
        /// The statement.
        statement: String,
        /// What is wrong with it.
        source: DecodeError,
    },
    /// A statement's values cannot be compressed.
    #[error("statement '{statement}': {source}")]
    Compressed {
        /// The statement.
        statement: String,
        /// Why not.
        source: SchemaError,
    },
    /// A statement's values cannot be stored.
    #[error("statement '{statement}': {source}")]
    Stored {
        /// The statement.
        statement: String,
        /// Why not.
        source: LayoutError,
    },
    /// The `statements` table cannot be stored.
    #[error(transparent)]
    Table(#[from] LayoutError),
}

/// A data file that cannot be appended to or searched.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {fault}")]
pub(crate) struct FileError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong with it.
    #[source]
    pub fault: FileFault,
}

impl FileError {
    /// Names `path` in the fault it is given.
    pub(crate) fn at(path: &Path) -> impl FnOnce(FileFault) -> FileError + '_ {
        move |fault| FileError {
            path: path.to_path_buf(),
            fault,
        }
    }
}

impl From<ReadError> for FileError {
    fn from(e: ReadError) -> Self {
        let (path, fault) = match e {
            ReadError::Io { path, source } => (path, FileFault::Io(source)),
            ReadError::Format { path, source } => (path, FileFault::Format(source)),
        };
        FileError { path, fault }
    }
}

/// What is wrong with a data file.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FileFault {
    /// It cannot be opened, mapped, read or written.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// Another process holds its lock.
    #[error("another process is writing it")]
    Busy,
    /// It is not a valid fregion file.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// Its series are not those of the stream's statements.
    #[error("its series do not match the stream's statements")]
    Mismatch,
    /// Its commit record cannot be read.
    #[error(transparent)]
    Commit(#[from] CommitError),
    /// A compressed file without a commit record (the C++ hog's).
    #[error("a compressed file another hog wrote is not appended to")]
    Foreign,
    /// A statement's series is missing.
    #[error("no series '{0}'")]
    NoSeries(String),
    /// A binding that should be a series is not.
    #[error("'{0}' is not a series")]
    NotSeries(String),
    /// A binding that should be a compressed series is not.
    #[error("'{0}' is not a compressed series")]
    NotCompressed(String),
    /// A series type that cannot be read.
    #[error(transparent)]
    SeriesType(#[from] SeriesTypeError),
    /// A compressed series type that cannot be read.
    #[error(transparent)]
    CSeqType(#[from] SchemaError),
    /// The commit record has no position for a compressed series.
    #[error("no commit position for '{0}'")]
    NoPosition(String),
    /// A series cannot be reopened.
    #[error("series '{name}': {source}")]
    Series {
        /// The series.
        name: String,
        /// The failure.
        source: io::Error,
    },
}

impl FileFault {
    /// Names the series `name` in the failure it is given.
    pub(crate) fn series(name: &str) -> impl FnOnce(io::Error) -> FileFault + '_ {
        move |source| FileFault::Series {
            name: name.to_string(),
            source,
        }
    }
}

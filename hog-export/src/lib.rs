//! Export of hobbes fregion files (hog's data files) to Parquet or Arrow
//! IPC: one file per statement, columns typed from the hobbes types.
//!
//! Records are read in time order with hog-core's reader, as `hog cat`
//! reads them, and appended to typed Arrow columns ([`shape`] says which),
//! written out a row group at a time: memory is bounded by one row group
//! per statement, whatever the size of the input. Each output is written
//! under a temporary name and renamed into place only once every input has
//! been read, so a failed export leaves no partial file under a final name.
//! `docs/export.md` describes the mapping and the ordering columns.

#![warn(missing_docs, unreachable_pub)]

pub mod column;
mod export;
pub mod progress;
pub mod shape;
pub mod source;
pub mod table;

pub use export::{export, ExportError, Exported, Options};

/// The kind of file written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// Parquet, zstd-compressed (`.parquet`).
    #[default]
    Parquet,
    /// Arrow IPC file (`.arrow`).
    Arrow,
}

impl OutputFormat {
    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Parquet => "parquet",
            OutputFormat::Arrow => "arrow",
        }
    }
}

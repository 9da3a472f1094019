//! The hobbes "fregion" structured-data file format (version 2): what hog
//! writes in local mode and what hobbes' tools read.
//!
//! A file is an array of pages. Page 0 starts with the [header](toc) and a
//! page table (one `u16` descriptor per page: type and unused bytes, chained
//! over further table pages); [environment](env) pages bind names to typed
//! values stored in data pages. Values use the aligned [layout] of
//! their stored type, in which strings and arrays are `[T]@?` file
//! references. A [series] is a linked list of fixed-capacity
//! batches.
//!
//! [`Reader`] validates untrusted files completely and reads series in time
//! order whichever writer made them (hog lists batches newest-first,
//! fregion.H oldest-first). [`Writer`] creates or reopens a file and
//! allocates in it; [`SeriesAppender`] appends to a series the way hog does,
//! and [`RecordPlan`] turns a producer's packed record into its stored
//! layout without allocating. [`cseq`] reads and writes compressed series
//! (`hog -z`).

mod append;
mod convert;
pub mod cseq;
mod env;
mod error;
pub mod layout;
mod reader;
pub mod series;
pub mod toc;
mod value;
mod writer;

pub use append::SeriesAppender;
pub use convert::RecordPlan;
pub use cseq::{CSeqType, CSeries};
pub use env::Binding;
pub use error::{FormatError, LayoutError, ReadError, SeriesTypeError};
pub use layout::{stored_type, Layout};
pub use reader::{BindingKind, FileBytes, Reader, Series, SeriesIter, Values};
pub use series::{BatchOrder, SeriesType};
pub use toc::{PageKind, PageTable};
pub use writer::Writer;

/// The magic number at the start of every file (`0d db a1 10`).
pub const MAGIC: u32 = 0x10A1_DB0D;
/// The format version written and read.
pub const VERSION: u16 = 2;
/// The batch capacity hog gives every series.
pub const HOG_BATCH: u64 = 10_000;
/// Name of the shared empty-array cell every file has.
pub const EMPTY_ARRAY: &str = ".za";

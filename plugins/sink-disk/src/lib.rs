//! hog's disk sink: every stream into hobbes fregion files, as the C++ hog
//! writes them in local mode.
//!
//! Per file: one series per statement (`fseq(T, 10000)`, hog's byte-exact
//! type description), the `statements` table, and the `log` series
//! (AutoCommit producers: one entry per record, in arrival order) or the
//! `transactions` series (ManualCommit: one entry per committed
//! transaction, with its receive time). Files are named from the `dir`
//! template (`./$GROUP/$DATE/data` gives `./G/YYYY.MM.DD/data-N.log`),
//! prepared under a temporary name and published with an atomic link.
//! By default every stream (producer thread) gets its own file; with
//! `consolidate` streams with identical statements share one, and a new
//! hog appends to the matching file it finds.
//!
//! Exactly once: each file holds its own commit record (the internal
//! binding `.hog.commit`, which hobbes' readers ignore) with every stream's
//! durable mark and the position of every series. A batch is written, then
//! the record is replaced with one 8-byte store, so a hog killed at any
//! instant leaves a file that a restarted hog rolls back to its last commit
//! and continues: a replayed transaction is skipped, never written twice.
//!
//! Options (JSON, as the host passes them) are described by [`Options`].
//! The crate links into hog statically through [`module`]; with the feature
//! `export` it also exports that module for dynamic loading.

#![warn(missing_docs, unreachable_pub, unsafe_op_in_unsafe_fn)]
// Exporting the root module needs `#[no_mangle]`, which the lint counts as
// unsafe, and adds a static abi_stable generates without docs.

mod commit;
mod error;
mod file;
mod naming;
mod options;
mod sink;

pub use commit::{read_marks, CommitRecord, COMMIT_BINDING};
pub use error::CommitError;
pub use naming::{instantiate, stream_key};
pub use options::Options;
pub use sink::DiskSink;

hog_core::plugin_module! { name: "disk", sink: DiskSink::from_options }

#[cfg(feature = "export")]
hog_core::export_plugin!(module);

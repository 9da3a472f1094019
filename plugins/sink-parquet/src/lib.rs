//! hog's parquet sink: every stream into Parquet files, rolled per group
//! and statement, published whole, exactly once.
//!
//! Each transaction that arrives is appended to the stream's spool (a
//! hidden file beside its output), which makes it durable against a kill
//! of hog and moves the mark, and its records are added to the roll being
//! built: one Parquet file per statement, columns typed from the hobbes
//! types by `hog-export`, with `_seq` (record number in the stream), `_txn`
//! (transaction number) and `_txn_time` (when the sink received it). Once
//! the roll holds `roll_size` bytes of transactions or is `roll_age` old
//! (checked as batches arrive), and when the stream closes or hog stops,
//! its files are completed and synced in a hidden directory, which is then
//! renamed to `DIR/<group>/<stream>-<first>-<end>-<records>`: readers see
//! whole rolls only. The spool is then emptied.
//!
//! A restarted sink reads its mark from the published rolls and the spool:
//! it removes hidden directories a kill left, and rebuilds the current roll
//! from the spool entries past the last published roll (a torn last entry
//! is cut off). A replay from that mark is therefore written exactly once.
//!
//! Options (JSON, as the host passes them) are described by [`Options`].
//! The crate links into hog statically through [`module`] (hog-host's
//! `sink-parquet` feature); with the feature `export` it also exports that
//! module for dynamic loading.

#![warn(missing_docs, unreachable_pub, unsafe_op_in_unsafe_fn)]

mod options;
pub mod roll;
mod sink;
pub mod spool;

pub use options::{Options, Settings};
pub use sink::ParquetSink;

hog_core::plugin_module! { name: "parquet", sink: ParquetSink::from_options }

#[cfg(feature = "export")]
hog_core::export_plugin!(module);

//! Logging into hog from Rust, with the shared-memory protocol of hobbes
//! `storage.H`: a group is a set of statements; each thread that logs gets
//! its own ring, registered with hog over the group's Unix socket; records
//! are `u32` statement id + packed payload, committed in transactions.
//!
//! ```no_run
//! use hog_producer::{CommitMethod, Group, Qos};
//!
//! // A statement `seq` whose payload is a hobbes `long`.
//! const LONG: &[u8] = b"\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00long\x00";
//! let mut group = Group::new("Orders", 32, Qos::Reliable, CommitMethod::Auto);
//! let seq = group.statement("seq", LONG);
//! let mut writer = group.writer().expect("a ring for this thread");
//! for i in 0..1000i64 {
//!     writer.record(seq, &i.to_le_bytes());
//! }
//! writer.commit();
//! ```
//!
//! The crate depends on `libc`, `memmap2` and the ring protocol only, so
//! applications stay free of the daemon's dependencies.

mod group;
mod region;
mod registration;
mod writer;

pub use group::{default_store_dir, CommitMethod, Group, ProducerError, Qos, StatementId};
pub use hstore_shm::WaitPolicy;
pub use writer::Writer;

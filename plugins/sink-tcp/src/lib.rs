//! The tcp sink: hog's batchsend mode as a plugin.
//!
//! Every stream's transactions are appended to a spool on local disk
//! (durable as soon as they are written, so the ring can be released) and
//! cut into segments every `batch_time` or `batch_size`: zstd when any
//! destination may speak v2, gzip when all speak hobbes. Each destination
//! has its own sender thread and connection and receives the segments in
//! index order, in hog's v2 protocol (exactly-once: the receiver says what
//! it holds, the sender skips it) or the hobbes one (negotiated per
//! destination), so a destination that is down never slows the others or
//! the producer; a segment is deleted once every destination acknowledged
//! it. The spool is bounded: when full it blocks (backpressure to a
//! Reliable producer) or drops the oldest segments, loudly, as configured.
//!
//! ```text
//! <spool>/stream-<id>/stream.json   the stream's description
//!                     init.gz       the compressed init message (hobbes)
//!                     open.seg      u64 first seq, then (u64 len, bytes)*
//!                     seg-<index>-<first>-<count>.zst|.gz
//!                     acked-<dest>  the last index the destination acked
//!                     ended-<dest>  the destination knows the stream ended
//! ```

#![warn(missing_docs, unreachable_pub, unsafe_op_in_unsafe_fn)]
mod error;
mod link;
mod net;
mod options;
mod sender;
mod sink;
mod spool;

pub use options::{ClientTls, DestinationOptions, Options, Protocol, WhenFull};
pub use sink::TcpSink;

hog_core::plugin_module! { name: "tcp", sink: TcpSink::from_options }

#[cfg(feature = "export")]
hog_core::export_plugin!(module);

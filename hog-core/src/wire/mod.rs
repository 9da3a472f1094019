//! Batch protocols between hogs.
//!
//! [`legacy`] is the hobbes batchsend/batchrecv protocol, byte-compatible
//! with the C++ hog in both directions: length-prefixed frames, a group name,
//! a gzip-compressed statement list, then gzip-compressed segments of
//! transactions, each acknowledged with one byte.
//!
//! [`v2`] is hog's own: exactly-once (segments carry sequence numbers, the
//! receiver answers with its durable mark), zstd, a CRC per segment, TLS
//! and authentication. The receiver source (`crate::source::receiver`)
//! serves both on one port.

pub mod legacy;
pub mod v2;

pub use legacy::{validate_group, Init, WireError};

//! Batch protocols between hogs.
//!
//! [`legacy`] is the hobbes batchsend/batchrecv protocol, byte-compatible
//! with the C++ hog in both directions: length-prefixed frames, a group name,
//! a gzip-compressed statement list, then gzip-compressed segments of
//! transactions, each acknowledged with one byte.

pub mod legacy;
pub mod receiver;

pub use legacy::{validate_group, Init, WireError};
pub use receiver::{ReceiverConfig, ReceiverSource};

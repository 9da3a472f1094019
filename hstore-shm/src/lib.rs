//! The shared-memory ring of hobbes `storage.H` (`HSTORE_VERSION`
//! 0x00020000), both sides: the region layout, the lock-free ring
//! protocol a producer and a consumer run on it, and the type descriptions
//! a region's statement table carries ([`types`]).
//!
//! This crate has no dependency but `libc` (and, for hog's plugin
//! interface, optionally `abi_stable` and `serde`), so that both the hog
//! daemon and applications that log into it can share one implementation
//! of the protocol.

#![warn(missing_docs, unreachable_pub, unsafe_op_in_unsafe_fn)]
pub mod layout;
pub mod modes;
pub mod ring;
pub mod types;

pub use layout::{page_size, Layout, HEADER_SIZE, HSTORE_VERSION};
pub use modes::{CommitMethod, Qos};
pub use ring::{state, Footer, Ring, WaitPolicy};

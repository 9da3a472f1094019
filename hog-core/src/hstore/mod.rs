//! The shared-memory protocol of hobbes `storage.H` (`HSTORE_VERSION`
//! 0x00020000), consumer side: registrations over a Unix socket, regions
//! mapped from `/dev/shm`, and the ring drained into transactions.
//!
//! Layers, bottom up: [`region`] maps and validates a region, [`ring`] is the
//! lock-free protocol on it, [`drain`] reassembles transactions and releases
//! slots only once they are durable.

pub mod drain;
pub mod lock;
pub mod meta;
pub mod region;
pub mod registration;

pub use drain::{Drain, DrainError, Stop, TransactionFault};
pub use hstore_shm::ring;
pub use hstore_shm::{page_size, Footer, Ring, WaitPolicy};
pub use lock::{GroupLock, LockError};
pub use meta::{Meta, MetaError, HSTORE_VERSION};
pub use region::{Geometry, Region, RegionError};

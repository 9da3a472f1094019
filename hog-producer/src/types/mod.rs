//! hobbes type descriptions, as statements declare their payloads: the
//! description shared with hog ([`hstore_shm::types`]).
//!
//! A [`Type`] is built from Rust types by [`Store`](crate::Store) and
//! encoded in the binary form hog reads from a region's statement table
//! ([`Type::encode`]). Struct field offsets are `-1` ([`NO_OFFSET`]) for
//! records; tuples carry the offsets of hobbes' own in-memory layout
//! ([`Type::tuple`]), the only offsets the C++ hog accepts besides `-1`.

pub use hstore_shm::types::{Ctor, Field, MemoryLayout, Type, NO_OFFSET};

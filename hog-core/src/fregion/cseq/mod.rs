//! Compressed series (`cseq T M n`, what `hog -z` writes).
//!
//! A compressed series is a list of batches, oldest first, each a header
//! (`cbatch`: the offsets of its initial and live model states, the
//! arithmetic coder's state, the bit index in its last segment, its value
//! count and its first bit segment) and a chain of 4096-byte segments of
//! coded bits. Values are coded with adaptive per-leaf models
//! ([`model`]) by a binary arithmetic coder ([`coder`]); the models a batch
//! starts from are saved with it, so every batch decodes on its own.

mod append;
mod codec;
pub mod coder;
mod error;
pub mod model;
mod read;
pub mod schema;

pub use append::{CSeqAppender, CSeqPosition, Resume};
pub use codec::{Codec, Models};
pub use error::{CodingError, SchemaError};
pub use read::{replay, BatchValues, CSeqType, CSeries, CSeriesIter, Header, Replayed};
pub use schema::{cseq_type, element_type, model_type};

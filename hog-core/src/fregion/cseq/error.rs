//! Errors of compressed series: types that cannot be compressed or read,
//! and values that cannot be coded or decoded.

use crate::types::{Type, Value};

use super::super::error::LayoutError;
use super::model::ModelError;
use super::read::MAX_CAPACITY;
use super::schema::MAX_CTORS;

/// A type that cannot be compressed, or a `cseq T M n` that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// Nesting deeper than compression follows.
    #[error("type nested too deeply to compress")]
    TooDeep,
    /// Values of the type have no compressed form.
    #[error("values of type {0} cannot be compressed")]
    NotCompressible(Type),
    /// A variant with no constructors, or too many.
    #[error("a variant of {0} constructors cannot be compressed (1 to {MAX_CTORS})")]
    Ctors(usize),
    /// The model type is not the one the value type is coded with.
    #[error("{model} is not a compression model of {value}")]
    Mismatch {
        /// The value type.
        value: Type,
        /// The model type.
        model: Type,
    },
    /// A fixed array whose length is not a [`Type::Size`].
    #[error("fixed array length of {0} is not a number")]
    ArrayLength(Type),
    /// A `cseq` applied to the wrong arguments.
    #[error("{0}: a compressed series takes a value type, a model type and a batch size")]
    Arguments(Type),
    /// A batch size out of range.
    #[error("{ty}: batch size {capacity} (1 to {MAX_CAPACITY})")]
    BatchSize {
        /// The series type.
        ty: Type,
        /// Its batch size.
        capacity: u64,
    },
    /// A type without a stored layout.
    #[error(transparent)]
    Layout(#[from] LayoutError),
}

/// A value that cannot be coded, or bits that do not decode to one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CodingError {
    /// A persisted model block shorter than the codec's models.
    #[error("model block too short")]
    ModelBlock,
    /// A leaf model that cannot be used.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A packed record shorter than its value.
    #[error("record ends before byte {0}")]
    RecordEnds(usize),
    /// An array claiming more elements than its record holds.
    #[error("array of {0} elements longer than its record")]
    ArrayPastRecord(u64),
    /// An array longer than a compressed value may hold.
    #[error("array of {0} elements is too long to compress")]
    ArrayTooLong(u64),
    /// An array decoded with more elements than a value may hold.
    #[error("array of {0} elements is longer than allowed")]
    ArrayOverBudget(u64),
    /// A fixed array decoded with another length.
    #[error("fixed array of {fixed} elements holds {held}")]
    FixedLength {
        /// Its length.
        fixed: u64,
        /// The length decoded.
        held: u64,
    },
    /// A variant tag no constructor has.
    #[error("variant tag {0} names no constructor")]
    Tag(u32),
    /// A decoded constructor symbol no constructor has.
    #[error("constructor symbol {0} names no constructor")]
    Symbol(u32),
    /// A packed enum decoded as something other than an integer.
    #[error("packed enum represented by {0:?}")]
    PackedRep(Value),
    /// A packed enum value no constructor has.
    #[error("packed enum value {0} names no constructor")]
    PackedValue(u64),
}

//! Errors of the fregion reader and writer, and of the stored types they
//! work with.

use std::path::PathBuf;

use crate::types::Type;

/// A file that does not follow the format, with the byte where it was seen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at byte {offset}: {what}")]
pub struct FormatError {
    /// File offset of the problem.
    pub offset: u64,
    /// What is wrong.
    pub what: String,
}

impl FormatError {
    /// An error at `offset`.
    pub fn new(offset: u64, what: impl Into<String>) -> Self {
        Self {
            offset,
            what: what.into(),
        }
    }
}

/// A file that could not be opened or read, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened, mapped or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// The file is not a valid fregion file.
    #[error("{path}: {source}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: FormatError,
    },
}

impl ReadError {
    /// The I/O failure `source` on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// The format error `source` in `path`.
    pub fn format(path: impl Into<PathBuf>, source: FormatError) -> Self {
        Self::Format {
            path: path.into(),
            source,
        }
    }
}

/// A type that has no stored layout, or whose layout cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// A type that is not stored (a function, a recursive type, …).
    #[error("values of type {0} cannot be stored")]
    NotStorable(Type),
    /// A record whose fields or size do not fit in 32-bit offsets.
    #[error("record too large")]
    RecordTooLarge,
    /// A fixed array whose size overflows.
    #[error("fixed array too large")]
    ArrayTooLarge,
    /// A variant whose size overflows.
    #[error("variant too large")]
    VariantTooLarge,
    /// Nesting deeper than the layout follows.
    #[error("type nested too deeply")]
    TooDeep,
    /// A primitive the format does not know.
    #[error("unknown primitive type '{0}'")]
    UnknownPrimitive(String),
    /// A fixed array whose length is not a [`Type::Size`].
    #[error("fixed array length {0} is not a number")]
    ArrayLength(Type),
    /// A field whose recorded offset is not where the layout puts it.
    #[error("field '{field}' is recorded at offset {recorded} but its layout puts it at {actual}")]
    Offset {
        /// The field.
        field: String,
        /// The offset the type description gives.
        recorded: u32,
        /// The offset of the aligned layout.
        actual: u64,
    },
    /// A variable array outside a file reference.
    #[error("{0} cannot be stored inline (only behind a file reference)")]
    NotInline(Type),
    /// A type variable left unbound.
    #[error("unresolved type variable '{0}'")]
    Unresolved(String),
    /// A size or a type function where a value type belongs.
    #[error("{0} is not a value type")]
    NotValue(Type),
    /// A type function applied to the wrong number of arguments.
    #[error("{name} takes {params} type arguments, given {args}")]
    Arity {
        /// The type function.
        name: String,
        /// Parameters it takes.
        params: usize,
        /// Arguments it was given.
        args: usize,
    },
    /// A named primitive applied as if it were a type function.
    #[error("{0} is not a type function")]
    NotFunction(String),
    /// An application of something other than a named primitive.
    #[error("unsupported type application of {0}")]
    Application(Type),
    /// A stored type that should be an array reference and is not.
    #[error("{0} is not a stored array")]
    NotStoredArray(Type),
}

/// A series type (`fseq T n`) that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeriesTypeError {
    /// The type's arguments are not an element type and a batch size.
    #[error("{0}: a series takes an element type and a batch size")]
    Arguments(Type),
    /// The batch size is 0.
    #[error("{0}: batch size 0")]
    EmptyBatch(Type),
    /// The element type has no stored layout.
    #[error(transparent)]
    Layout(#[from] LayoutError),
}

/// Reads a little-endian `u64` at `at`, bounds-checked.
pub(crate) fn u64_at(bytes: &[u8], at: u64, what: &str) -> Result<u64, FormatError> {
    slice(bytes, at, 8, what).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
}

/// Reads a little-endian `u32` at `at`, bounds-checked.
pub(crate) fn u32_at(bytes: &[u8], at: u64, what: &str) -> Result<u32, FormatError> {
    slice(bytes, at, 4, what).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
}

/// Reads a little-endian `u16` at `at`, bounds-checked.
pub(crate) fn u16_at(bytes: &[u8], at: u64, what: &str) -> Result<u16, FormatError> {
    slice(bytes, at, 2, what).map(|b| u16::from_le_bytes(b.try_into().expect("2 bytes")))
}

/// The `len` bytes at `at`, or an error naming `what` if they are not all
/// inside `bytes` (checked arithmetic throughout).
pub(crate) fn slice<'a>(
    bytes: &'a [u8],
    at: u64,
    len: u64,
    what: &str,
) -> Result<&'a [u8], FormatError> {
    let end = at.checked_add(len).filter(|&end| end <= bytes.len() as u64);
    match end {
        Some(end) => Ok(&bytes[at as usize..end as usize]),
        None => Err(FormatError::new(
            at,
            format!(
                "{what}: {len} bytes at {at} run past the end of the file ({} bytes)",
                bytes.len()
            ),
        )),
    }
}

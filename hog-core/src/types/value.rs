//! Values of hobbes types, decoded from their packed encoding (storage.H
//! `store<T>`): little-endian, no padding, `u64` counts before arrays.

use super::Type;
use super::{Cursor, DecodeError};

/// Most zero-sized elements (`unit`, empty records) accepted in one value,
/// across all its arrays: they take no input bytes, so without a budget a
/// few bytes could claim unbounded memory.
const MAX_EMPTY_ELEMENTS: u64 = 1 << 16;

/// What one decode may still allocate for input-free elements.
struct Budget {
    empty: u64,
}

impl Budget {
    /// Takes `n` zero-sized elements from the budget.
    fn take_empty(&mut self, n: u64, c: &Cursor<'_>) -> Result<(), DecodeError> {
        if n > self.empty {
            return Err(c.error(format!(
                "{n} zero-sized elements exceed the limit of {MAX_EMPTY_ELEMENTS} per value"
            )));
        }
        self.empty -= n;
        Ok(())
    }
}

/// A decoded value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `unit`.
    Unit,
    /// `bool`.
    Bool(bool),
    /// `byte`.
    Byte(u8),
    /// `char`.
    Char(u8),
    /// `short`.
    Short(i16),
    /// `int`.
    Int(i32),
    /// `long` (and aliases of it such as `datetime`).
    Long(i64),
    /// `int128`.
    Int128(i128),
    /// `float`.
    Float(f32),
    /// `double`.
    Double(f64),
    /// `[char]` (`fixed` false) or `[:char|N:]` (`fixed` true), raw bytes.
    Chars {
        /// The characters.
        bytes: Vec<u8>,
        /// Whether the type is a fixed-length array.
        fixed: bool,
    },
    /// An array or fixed array of anything but `char`.
    Array(Vec<Value>),
    /// A record (or tuple), fields in order.
    Record(Vec<(String, Value)>),
    /// A variant, enum or packed enum.
    Variant {
        /// Constructor name.
        ctor: String,
        /// Constructor tag.
        tag: u32,
        /// Payload (`Unit` for enums).
        value: Box<Value>,
    },
}

impl Value {
    /// Decodes exactly one value of type `ty` from the whole of `bytes`.
    pub fn decode(ty: &Type, bytes: &[u8]) -> Result<Value, DecodeError> {
        let mut cursor = Cursor::new(bytes);
        let value = Self::read(ty, &mut cursor)?;
        if cursor.remaining() != 0 {
            return Err(cursor.error(format!("{} bytes after the value", cursor.remaining())));
        }
        Ok(value)
    }

    /// Reads one value of type `ty` from `cursor`.
    pub fn read(ty: &Type, cursor: &mut Cursor<'_>) -> Result<Value, DecodeError> {
        let mut budget = Budget {
            empty: MAX_EMPTY_ELEMENTS,
        };
        Self::read_in(ty, cursor, &mut budget)
    }

    fn read_in(
        ty: &Type,
        cursor: &mut Cursor<'_>,
        budget: &mut Budget,
    ) -> Result<Value, DecodeError> {
        Ok(match ty {
            Type::Prim(_, Some(rep)) => Self::read_in(rep, cursor, budget)?,
            Type::Prim(name, None) => read_prim(name, cursor)?,
            Type::FixedArray(elem, len) => {
                let n = fixed_len(len, cursor)?;
                if is_char(elem) {
                    let bytes = cursor.take(n, "fixed char array")?.to_vec();
                    Value::Chars { bytes, fixed: true }
                } else {
                    let min = fixed_size(elem).unwrap_or(1);
                    if min == 0 {
                        budget.take_empty(n as u64, cursor)?;
                    } else if n > cursor.remaining() / min {
                        return Err(cursor.error(format!("fixed array of {n} does not fit")));
                    }
                    let mut items = Vec::with_capacity(n.min(cursor.remaining().max(1)));
                    for _ in 0..n {
                        items.push(Self::read_in(elem, cursor, budget)?);
                    }
                    Value::Array(items)
                }
            }
            Type::Array(elem) => {
                if is_char(elem) {
                    let bytes = cursor.bytes("string")?.to_vec();
                    Value::Chars {
                        bytes,
                        fixed: false,
                    }
                } else {
                    let min = fixed_size(elem).unwrap_or(1);
                    let n = if min == 0 {
                        let at = cursor.offset();
                        let n = cursor.u64("array length")?;
                        budget
                            .take_empty(n, cursor)
                            .map_err(|e| DecodeError { offset: at, ..e })?;
                        n as usize
                    } else {
                        cursor.count("array length", min, u64::MAX)?
                    };
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(Self::read_in(elem, cursor, budget)?);
                    }
                    Value::Array(items)
                }
            }
            Type::Struct(fields) => Value::Record(
                fields
                    .iter()
                    .map(|f| Ok((f.name.clone(), Self::read_in(&f.ty, cursor, budget)?)))
                    .collect::<Result<_, DecodeError>>()?,
            ),
            Type::Variant(ctors) => {
                let at = cursor.offset();
                let tag = cursor.u32("variant tag")?;
                let ctor = ctors.iter().find(|c| c.id == tag).ok_or(DecodeError {
                    offset: at,
                    what: format!("variant tag {tag} names no constructor"),
                })?;
                Value::Variant {
                    ctor: ctor.name.clone(),
                    tag,
                    value: Box::new(Self::read_in(&ctor.ty, cursor, budget)?),
                }
            }
            Type::App(f, args) => read_app(f, args, cursor)?,
            other => return Err(cursor.error(format!("values of type {other} cannot be stored"))),
        })
    }
}

/// Length in bytes of the value of type `ty` at the start of `bytes`,
/// without building it (fixed-layout types cost nothing).
pub fn value_len(ty: &Type, bytes: &[u8]) -> Result<usize, DecodeError> {
    if let Some(n) = fixed_size(ty) {
        return if n <= bytes.len() {
            Ok(n)
        } else {
            Err(DecodeError {
                offset: 0,
                what: format!(
                    "value of type {ty} needs {n} bytes, only {} left",
                    bytes.len()
                ),
            })
        };
    }
    let mut cursor = Cursor::new(bytes);
    Value::read(ty, &mut cursor)?;
    Ok(cursor.offset())
}

/// The encoded size of every value of `ty`, if it is always the same.
pub fn fixed_size(ty: &Type) -> Option<usize> {
    match ty {
        Type::Prim(_, Some(rep)) => fixed_size(rep),
        Type::Prim(name, None) => prim_size(name),
        Type::FixedArray(elem, len) => match **len {
            Type::Size(n) => usize::try_from(n).ok()?.checked_mul(fixed_size(elem)?),
            _ => None,
        },
        Type::Struct(fields) => fields
            .iter()
            .try_fold(0usize, |sum, f| sum.checked_add(fixed_size(&f.ty)?)),
        Type::Variant(ctors) => {
            let first = fixed_size(&ctors.first()?.ty)?;
            if ctors.iter().all(|c| fixed_size(&c.ty) == Some(first)) {
                first.checked_add(4)
            } else {
                None
            }
        }
        Type::App(f, args) if f.is_penum() => args.first().and_then(fixed_size),
        _ => None,
    }
}

fn prim_size(name: &str) -> Option<usize> {
    hstore_shm::types::prim_size(name).map(|n| n as usize)
}

fn read_prim(name: &str, c: &mut Cursor<'_>) -> Result<Value, DecodeError> {
    Ok(match name {
        "unit" => Value::Unit,
        "bool" => Value::Bool(c.u8("bool")? != 0),
        "byte" => Value::Byte(c.u8("byte")?),
        "char" => Value::Char(c.u8("char")?),
        "short" => Value::Short(i16::from_le_bytes(c.array("short")?)),
        "int" => Value::Int(i32::from_le_bytes(c.array("int")?)),
        "long" => Value::Long(i64::from_le_bytes(c.array("long")?)),
        "int128" => Value::Int128(i128::from_le_bytes(c.array("int128")?)),
        "float" => Value::Float(f32::from_le_bytes(c.array("float")?)),
        "double" => Value::Double(f64::from_le_bytes(c.array("double")?)),
        other => return Err(c.error(format!("unknown primitive type '{other}'"))),
    })
}

fn is_char(ty: &Type) -> bool {
    matches!(ty, Type::Prim(name, None) if name == "char")
}

fn fixed_len(len: &Type, c: &Cursor<'_>) -> Result<usize, DecodeError> {
    match len {
        Type::Size(n) => usize::try_from(*n).map_err(|_| c.error("fixed array too long")),
        other => Err(c.error(format!("fixed array length {other} is not a size"))),
    }
}

/// `penum(R, |ctors|)`: a packed enum stored as an `R`-sized tag.
fn read_app(f: &Type, args: &[Type], c: &mut Cursor<'_>) -> Result<Value, DecodeError> {
    let [rep, Type::Variant(ctors)] = args else {
        return Err(c.error(format!("unsupported type application {f}")));
    };
    if !f.is_penum() {
        return Err(c.error(format!("unsupported type application {f}")));
    }
    let at = c.offset();
    let tag = match fixed_size(rep) {
        Some(1) => u32::from(c.u8("packed enum")?),
        Some(2) => u32::from(u16::from_le_bytes(c.array("packed enum")?)),
        Some(4) => c.u32("packed enum")?,
        Some(8) => u32::try_from(c.u64("packed enum")?)
            .map_err(|_| c.error("packed enum value out of range"))?,
        _ => {
            return Err(c.error(format!(
                "packed enum representation {rep} is not an integer"
            )))
        }
    };
    let ctor = ctors.iter().find(|k| k.id == tag).ok_or(DecodeError {
        offset: at,
        what: format!("packed enum value {tag} names no constructor"),
    })?;
    Ok(Value::Variant {
        ctor: ctor.name.clone(),
        tag,
        value: Box::new(Value::Unit),
    })
}

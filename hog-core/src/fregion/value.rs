//! Decoding stored values out of a file's bytes.
//!
//! Every offset is bounds-checked against the file; file references are
//! followed (0 is null and reads as unit); arrays are checked for overflow
//! before anything is allocated for them.

use crate::types::{Type, Value};

use super::error::{slice, u32_at, u64_at, FormatError};
use super::layout::{self, app_name, Layout};

/// Most elements accepted in one array of zero-sized elements.
const MAX_EMPTY_ELEMENTS: u64 = 1 << 20;
/// Deepest nesting of values followed.
const MAX_DEPTH: usize = 256;

fn err(at: u64, what: impl ToString) -> FormatError {
    FormatError::new(at, what.to_string())
}

/// The layout of `ty`, as a format error at `at`.
pub(crate) fn layout_of(ty: &Type, at: u64) -> Result<Layout, FormatError> {
    layout::layout(ty).map_err(|e| err(at, e))
}

/// Reads the value of stored type `ty` at `at`.
pub(crate) fn read(bytes: &[u8], ty: &Type, at: u64) -> Result<Value, FormatError> {
    read_at(bytes, ty, at, 0)
}

/// Reads an array block `{u64 count; elements}` at `at`.
pub(crate) fn read_array(bytes: &[u8], elem: &Type, at: u64) -> Result<Value, FormatError> {
    array_at(bytes, elem, at, 0)
}

fn read_at(bytes: &[u8], ty: &Type, at: u64, depth: usize) -> Result<Value, FormatError> {
    if depth > MAX_DEPTH {
        return Err(err(at, "value nested too deeply"));
    }
    Ok(match ty {
        Type::Prim(_, Some(rep)) => read_at(bytes, rep, at, depth + 1)?,
        Type::Prim(name, None) => prim(bytes, name, at)?,
        Type::FixedArray(elem, len) => {
            let Type::Size(n) = **len else {
                return Err(err(at, format!("fixed array length {len} is not a number")));
            };
            let l = layout_of(elem, at)?;
            let total = l
                .size
                .checked_mul(n)
                .ok_or_else(|| err(at, "fixed array too large"))?;
            let raw = slice(bytes, at, total, "fixed array")?;
            if is_char(elem) {
                Value::Chars {
                    bytes: raw.to_vec(),
                    fixed: true,
                }
            } else {
                if l.size == 0 && n > MAX_EMPTY_ELEMENTS {
                    return Err(err(at, format!("fixed array of {n} empty elements")));
                }
                let mut items = Vec::with_capacity(n.min(1 << 16) as usize);
                for i in 0..n {
                    items.push(read_at(bytes, elem, at + i * l.size, depth + 1)?);
                }
                Value::Array(items)
            }
        }
        Type::Struct(fields) => {
            let (offsets, _) = layout::struct_layout(fields, 0).map_err(|e| err(at, e))?;
            let mut out = Vec::with_capacity(fields.len());
            for (f, off) in fields.iter().zip(offsets) {
                out.push((f.name.clone(), read_at(bytes, &f.ty, at + off, depth + 1)?));
            }
            Value::Record(out)
        }
        Type::Variant(ctors) => {
            let (payload, _) = layout::variant_layout(ctors, 0).map_err(|e| err(at, e))?;
            let tag = u32_at(bytes, at, "variant tag")?;
            let ctor = ctors
                .iter()
                .find(|c| c.id == tag)
                .ok_or_else(|| err(at, format!("variant tag {tag} names no constructor")))?;
            Value::Variant {
                ctor: ctor.name.clone(),
                tag,
                value: Box::new(read_at(bytes, &ctor.ty, at + payload, depth + 1)?),
            }
        }
        Type::App(f, args) => match app_name(ty) {
            Some(("fileref", [target, ..])) => {
                let to = u64_at(bytes, at, "file reference")?;
                if to == 0 {
                    Value::Unit
                } else if let Type::Array(elem) = target {
                    array_at(bytes, elem, to, depth + 1)?
                } else {
                    read_at(bytes, target, to, depth + 1)?
                }
            }
            Some(("penum", [rep, Type::Variant(ctors)])) => {
                let tag = match layout_of(rep, at)?.size {
                    1 => u64::from(slice(bytes, at, 1, "packed enum")?[0]),
                    2 => u64::from(u16::from_le_bytes(
                        slice(bytes, at, 2, "packed enum")?.try_into().expect("2"),
                    )),
                    4 => u64::from(u32_at(bytes, at, "packed enum")?),
                    8 => u64_at(bytes, at, "packed enum")?,
                    n => return Err(err(at, format!("packed enum of {n} bytes"))),
                };
                let ctor = ctors
                    .iter()
                    .find(|c| u64::from(c.id) == tag)
                    .ok_or_else(|| {
                        err(at, format!("packed enum value {tag} names no constructor"))
                    })?;
                Value::Variant {
                    ctor: ctor.name.clone(),
                    tag: ctor.id,
                    value: Box::new(Value::Unit),
                }
            }
            Some(("fseq", _)) => return Err(err(at, "a series nested inside a value")),
            Some(("cseq", _)) => {
                return Err(err(at, "compressed series (cseq) are not supported yet"))
            }
            _ => {
                let expanded = layout::expand(f, args).map_err(|e| err(at, e))?;
                read_at(bytes, &expanded, at, depth + 1)?
            }
        },
        Type::Array(elem) => array_at(bytes, elem, at, depth + 1)?,
        other => return Err(err(at, format!("values of type {other} cannot be read"))),
    })
}

fn array_at(bytes: &[u8], elem: &Type, at: u64, depth: usize) -> Result<Value, FormatError> {
    let count = u64_at(bytes, at, "array length")?;
    let l = layout_of(elem, at)?;
    let start = at + 8;
    let left = (bytes.len() as u64).saturating_sub(start);
    let fits = match l.size {
        0 => count <= MAX_EMPTY_ELEMENTS,
        size => count <= left / size,
    };
    if !fits {
        return Err(err(
            at,
            format!("array of {count} elements does not fit in the {left} bytes left"),
        ));
    }
    if is_char(elem) {
        return Ok(Value::Chars {
            bytes: slice(bytes, start, count, "string")?.to_vec(),
            fixed: false,
        });
    }
    let mut items = Vec::with_capacity(count.min(1 << 16) as usize);
    for i in 0..count {
        items.push(read_at(bytes, elem, start + i * l.size, depth + 1)?);
    }
    Ok(Value::Array(items))
}

fn prim(bytes: &[u8], name: &str, at: u64) -> Result<Value, FormatError> {
    macro_rules! le {
        ($t:ty, $what:expr) => {
            <$t>::from_le_bytes(
                slice(bytes, at, std::mem::size_of::<$t>() as u64, $what)?
                    .try_into()
                    .expect("sized"),
            )
        };
    }
    Ok(match name {
        "unit" => Value::Unit,
        "bool" => Value::Bool(le!(u8, "bool") != 0),
        "byte" => Value::Byte(le!(u8, "byte")),
        "char" => Value::Char(le!(u8, "char")),
        "short" => Value::Short(le!(i16, "short")),
        "int" => Value::Int(le!(i32, "int")),
        "long" => Value::Long(le!(i64, "long")),
        "int128" => Value::Int128(le!(i128, "int128")),
        "float" => Value::Float(le!(f32, "float")),
        "double" => Value::Double(le!(f64, "double")),
        other => return Err(err(at, format!("unknown primitive type '{other}'"))),
    })
}

fn is_char(ty: &Type) -> bool {
    matches!(ty, Type::Prim(name, None) if name == "char")
}

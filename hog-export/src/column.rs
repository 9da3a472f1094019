//! Building one Arrow column from decoded values, shape by shape.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Decimal128Builder, DurationMicrosecondBuilder, Float32Builder, Float64Builder,
    Int16Builder, Int32Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
    UInt32Builder, UInt8Builder,
};
use arrow_array::{ArrayRef, FixedSizeListArray, ListArray, NullArray, StructArray};
use arrow_buffer::{NullBufferBuilder, OffsetBuffer, ScalarBuffer};
use arrow_schema::{FieldRef, Fields};
use hog_core::types::Value;

use crate::shape::{Shape, INT128_DIGITS};

/// Largest magnitude a 38-digit decimal holds.
const INT128_MAX: i128 = 10i128.pow(INT128_DIGITS as u32) - 1;

/// A column being built: typed builders, nested as the shape is.
#[derive(Debug)]
pub enum Column {
    /// `unit`: only a count.
    Null(usize),
    /// `bool`.
    Bool(BooleanBuilder),
    /// `byte`.
    Byte(UInt8Builder),
    /// `char` and strings.
    Text(StringBuilder),
    /// `short`.
    Short(Int16Builder),
    /// `int`.
    Int(Int32Builder),
    /// `long`.
    Long(Int64Builder),
    /// `int128`.
    Int128(Decimal128Builder),
    /// `float`.
    Float(Float32Builder),
    /// `double`.
    Double(Float64Builder),
    /// `datetime`.
    Datetime(TimestampMicrosecondBuilder),
    /// `timespan`.
    Timespan(DurationMicrosecondBuilder),
    /// A list: end offsets and the elements.
    List {
        /// The element field.
        field: FieldRef,
        /// Offsets, starting with 0.
        offsets: Vec<i32>,
        /// Which lists are null.
        nulls: NullBufferBuilder,
        /// The elements.
        elems: Box<Column>,
    },
    /// A fixed-size list.
    FixedList {
        /// The element field.
        field: FieldRef,
        /// Elements per list.
        len: i32,
        /// Which lists are null.
        nulls: NullBufferBuilder,
        /// The elements.
        elems: Box<Column>,
    },
    /// A record.
    Record {
        /// The struct's fields.
        fields: Fields,
        /// Which records are null.
        nulls: NullBufferBuilder,
        /// A column per field.
        children: Vec<Column>,
    },
    /// A variant.
    Variant {
        /// The struct's fields.
        fields: Fields,
        /// Which variants are null.
        nulls: NullBufferBuilder,
        /// Constructor names.
        ctor: StringBuilder,
        /// Constructor tags.
        tag: UInt32Builder,
        /// Each constructor's tag and payload column (if it has a payload).
        payloads: Vec<(u32, Option<Column>)>,
    },
}

impl Column {
    /// An empty column of `shape`.
    pub fn new(shape: &Shape) -> Column {
        match shape {
            Shape::Null => Column::Null(0),
            Shape::Bool => Column::Bool(BooleanBuilder::new()),
            Shape::Byte => Column::Byte(UInt8Builder::new()),
            Shape::Char | Shape::Text => Column::Text(StringBuilder::new()),
            Shape::Short => Column::Short(Int16Builder::new()),
            Shape::Int => Column::Int(Int32Builder::new()),
            Shape::Long => Column::Long(Int64Builder::new()),
            Shape::Int128 => {
                Column::Int128(Decimal128Builder::new().with_data_type(shape.data_type()))
            }
            Shape::Float => Column::Float(Float32Builder::new()),
            Shape::Double => Column::Double(Float64Builder::new()),
            Shape::Datetime => Column::Datetime(
                TimestampMicrosecondBuilder::new().with_data_type(shape.data_type()),
            ),
            Shape::Timespan => Column::Timespan(DurationMicrosecondBuilder::new()),
            Shape::List(elem) => Column::List {
                field: Arc::new(elem.field("item")),
                offsets: vec![0],
                nulls: NullBufferBuilder::new(0),
                elems: Box::new(Column::new(elem)),
            },
            Shape::FixedList(elem, len) => Column::FixedList {
                field: Arc::new(elem.field("item")),
                len: *len,
                nulls: NullBufferBuilder::new(0),
                elems: Box::new(Column::new(elem)),
            },
            Shape::Record(fields) => Column::Record {
                fields: shape.children(),
                nulls: NullBufferBuilder::new(0),
                children: fields.iter().map(|(_, s)| Column::new(s)).collect(),
            },
            Shape::Variant(ctors) => Column::Variant {
                fields: shape.children(),
                nulls: NullBufferBuilder::new(0),
                ctor: StringBuilder::new(),
                tag: UInt32Builder::new(),
                payloads: ctors
                    .iter()
                    .map(|c| (c.tag, c.payload.as_ref().map(Column::new)))
                    .collect(),
            },
        }
    }

    /// Appends `v` (`unit` appends a null); returns about how many bytes
    /// the column grew by. An error says how `v` does not fit.
    pub fn append(&mut self, v: &Value) -> Result<usize, String> {
        if matches!(v, Value::Unit) && !matches!(self, Column::Null(_)) {
            return Ok(self.append_null());
        }
        let mismatch = || format!("a value {} where the type says otherwise", kind(v));
        Ok(match (self, v) {
            (Column::Null(n), _) => {
                *n += 1;
                0
            }
            (Column::Bool(b), Value::Bool(x)) => {
                b.append_value(*x);
                1
            }
            (Column::Byte(b), Value::Byte(x)) => {
                b.append_value(*x);
                1
            }
            (Column::Text(b), v) => {
                let text = v.text().ok_or_else(mismatch)?;
                b.append_value(&text);
                text.len() + 4
            }
            (Column::Short(b), Value::Short(x)) => {
                b.append_value(*x);
                2
            }
            (Column::Int(b), Value::Int(x)) => {
                b.append_value(*x);
                4
            }
            (Column::Long(b), Value::Long(x)) => {
                b.append_value(*x);
                8
            }
            (Column::Datetime(b), Value::Long(x)) => {
                b.append_value(*x);
                8
            }
            (Column::Timespan(b), Value::Long(x)) => {
                b.append_value(*x);
                8
            }
            (Column::Int128(b), Value::Int128(x)) => {
                if x.unsigned_abs() > INT128_MAX as u128 {
                    return Err(format!(
                        "int128 value {x} has more than {INT128_DIGITS} digits"
                    ));
                }
                b.append_value(*x);
                16
            }
            (Column::Float(b), Value::Float(x)) => {
                b.append_value(*x);
                4
            }
            (Column::Double(b), Value::Double(x)) => {
                b.append_value(*x);
                8
            }
            (
                Column::List {
                    offsets,
                    nulls,
                    elems,
                    ..
                },
                Value::Array(items),
            ) => {
                let mut bytes = 4;
                for item in items {
                    bytes += elems.append(item)?;
                }
                let last = *offsets.last().unwrap_or(&0);
                let end = i32::try_from(items.len())
                    .ok()
                    .and_then(|n| last.checked_add(n))
                    .ok_or("a list column of more than 2^31 elements")?;
                offsets.push(end);
                nulls.append_non_null();
                bytes
            }
            (
                Column::FixedList {
                    len, nulls, elems, ..
                },
                Value::Array(items),
            ) => {
                if items.len() != *len as usize {
                    return Err(format!(
                        "a fixed array of {} elements where the type says {len}",
                        items.len()
                    ));
                }
                let mut bytes = 0;
                for item in items {
                    bytes += elems.append(item)?;
                }
                nulls.append_non_null();
                bytes
            }
            (
                Column::Record {
                    nulls, children, ..
                },
                Value::Record(fields),
            ) => {
                if fields.len() != children.len() {
                    return Err(mismatch());
                }
                let mut bytes = 0;
                for (c, (_, v)) in children.iter_mut().zip(fields) {
                    bytes += c.append(v)?;
                }
                nulls.append_non_null();
                bytes
            }
            (
                Column::Variant {
                    nulls,
                    ctor,
                    tag,
                    payloads,
                    ..
                },
                Value::Variant {
                    ctor: name,
                    tag: t,
                    value,
                },
            ) => {
                if !payloads.iter().any(|(id, _)| id == t) {
                    return Err(format!("variant tag {t} names no constructor"));
                }
                let mut bytes = name.len() + 8;
                for (id, column) in payloads.iter_mut() {
                    match column {
                        Some(c) if id == t => bytes += c.append(value)?,
                        Some(c) => bytes += c.append_null(),
                        None => {}
                    }
                }
                ctor.append_value(name);
                tag.append_value(*t);
                nulls.append_non_null();
                bytes
            }
            _ => return Err(mismatch()),
        })
    }

    /// Appends a null; returns about how many bytes the column grew by.
    pub fn append_null(&mut self) -> usize {
        match self {
            Column::Null(n) => *n += 1,
            Column::Bool(b) => b.append_null(),
            Column::Byte(b) => b.append_null(),
            Column::Text(b) => b.append_null(),
            Column::Short(b) => b.append_null(),
            Column::Int(b) => b.append_null(),
            Column::Long(b) => b.append_null(),
            Column::Int128(b) => b.append_null(),
            Column::Float(b) => b.append_null(),
            Column::Double(b) => b.append_null(),
            Column::Datetime(b) => b.append_null(),
            Column::Timespan(b) => b.append_null(),
            Column::List { offsets, nulls, .. } => {
                offsets.push(*offsets.last().unwrap_or(&0));
                nulls.append_null();
            }
            Column::FixedList {
                len, nulls, elems, ..
            } => {
                for _ in 0..*len {
                    elems.append_null();
                }
                nulls.append_null();
            }
            Column::Record {
                nulls, children, ..
            } => {
                children.iter_mut().for_each(|c| {
                    c.append_null();
                });
                nulls.append_null();
            }
            Column::Variant {
                nulls,
                ctor,
                tag,
                payloads,
                ..
            } => {
                ctor.append_null();
                tag.append_null();
                payloads.iter_mut().for_each(|(_, c)| {
                    c.as_mut().map(Column::append_null);
                });
                nulls.append_null();
            }
        }
        1
    }

    /// The values appended so far, as an array; the column starts over.
    pub fn finish(&mut self) -> Result<ArrayRef, String> {
        let e = |e: arrow_schema::ArrowError| e.to_string();
        Ok(match self {
            Column::Null(n) => Arc::new(NullArray::new(std::mem::take(n))),
            Column::Bool(b) => Arc::new(b.finish()),
            Column::Byte(b) => Arc::new(b.finish()),
            Column::Text(b) => Arc::new(b.finish()),
            Column::Short(b) => Arc::new(b.finish()),
            Column::Int(b) => Arc::new(b.finish()),
            Column::Long(b) => Arc::new(b.finish()),
            Column::Int128(b) => Arc::new(b.finish()),
            Column::Float(b) => Arc::new(b.finish()),
            Column::Double(b) => Arc::new(b.finish()),
            Column::Datetime(b) => Arc::new(b.finish()),
            Column::Timespan(b) => Arc::new(b.finish()),
            Column::List {
                field,
                offsets,
                nulls,
                elems,
            } => {
                let offsets = std::mem::replace(offsets, vec![0]);
                Arc::new(
                    ListArray::try_new(
                        field.clone(),
                        OffsetBuffer::new(ScalarBuffer::from(offsets)),
                        elems.finish()?,
                        nulls.finish(),
                    )
                    .map_err(e)?,
                )
            }
            Column::FixedList {
                field,
                len,
                nulls,
                elems,
            } => Arc::new(
                FixedSizeListArray::try_new(field.clone(), *len, elems.finish()?, nulls.finish())
                    .map_err(e)?,
            ),
            Column::Record {
                fields,
                nulls,
                children,
            } => {
                let arrays = children
                    .iter_mut()
                    .map(Column::finish)
                    .collect::<Result<Vec<_>, _>>()?;
                Arc::new(StructArray::try_new(fields.clone(), arrays, nulls.finish()).map_err(e)?)
            }
            Column::Variant {
                fields,
                nulls,
                ctor,
                tag,
                payloads,
            } => {
                let mut arrays: Vec<ArrayRef> =
                    vec![Arc::new(ctor.finish()), Arc::new(tag.finish())];
                for c in payloads.iter_mut().filter_map(|(_, c)| c.as_mut()) {
                    arrays.push(c.finish()?);
                }
                Arc::new(StructArray::try_new(fields.clone(), arrays, nulls.finish()).map_err(e)?)
            }
        })
    }
}

/// What kind of value `v` is, for errors.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Unit => "unit",
        Value::Bool(_) => "bool",
        Value::Byte(_) => "byte",
        Value::Char(_) => "char",
        Value::Short(_) => "short",
        Value::Int(_) => "int",
        Value::Long(_) => "long",
        Value::Int128(_) => "int128",
        Value::Float(_) => "float",
        Value::Double(_) => "double",
        Value::Chars { .. } => "string",
        Value::Array(_) => "array",
        Value::Record(_) => "record",
        Value::Variant { .. } => "variant",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Array, Int32Array};

    #[test]
    fn lists_keep_their_elements_and_nulls() {
        let shape = Shape::List(Box::new(Shape::Int));
        let mut c = Column::new(&shape);
        c.append(&Value::Array(vec![Value::Int(1), Value::Int(2)]))
            .unwrap();
        c.append(&Value::Unit).unwrap();
        c.append(&Value::Array(vec![Value::Int(3)])).unwrap();
        let a = c.finish().unwrap();
        let list = a.as_any().downcast_ref::<ListArray>().unwrap();
        assert_eq!(list.len(), 3);
        assert!(list.is_null(1));
        let values = list.values().as_any().downcast_ref::<Int32Array>().unwrap();
        assert_eq!(values.values(), &[1, 2, 3]);
        assert_eq!(list.value_offsets(), &[0, 2, 2, 3]);
    }

    #[test]
    fn mismatched_values_and_wide_int128_are_errors() {
        let mut c = Column::new(&Shape::Int);
        assert_eq!(
            c.append(&Value::Long(1)).unwrap_err(),
            "a value long where the type says otherwise"
        );
        let mut c = Column::new(&Shape::Int128);
        assert!(c.append(&Value::Int128(INT128_MAX)).is_ok());
        assert_eq!(
            c.append(&Value::Int128(i128::MIN)).unwrap_err(),
            format!("int128 value {} has more than 38 digits", i128::MIN)
        );
        let mut c = Column::new(&Shape::FixedList(Box::new(Shape::Int), 2));
        assert!(c.append(&Value::Array(vec![Value::Int(1)])).is_err());
    }
}

//! The column shape of a hobbes type: which Arrow type holds its values.
//!
//! Stored types are resolved the way hog-core's value reader resolves
//! them: aliases other than `datetime`/`timespan` by their representation,
//! file references by their target, packed enums as enums, other type
//! applications by expansion.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_schema::{DataType, Field, Fields, TimeUnit};
use hog_core::fregion::layout::{app_name, expand};
use hog_core::types::time::{is_datetime, is_timespan};
use hog_core::types::{Type, MAX_DEPTH};

/// Field metadata key marking a struct column that holds a variant.
pub const VARIANT_KEY: &str = "hog.variant";
/// Field name of a variant's constructor name.
pub const CTOR: &str = "ctor";
/// Field name of a variant's constructor tag.
pub const TAG: &str = "tag";
/// Name of the element field of list columns.
const ITEM: &str = "item";
/// Precision of the decimal that holds `int128` values.
pub const INT128_DIGITS: u8 = 38;

/// How the values of one hobbes type are laid out in Arrow.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// `unit`: a null column.
    Null,
    /// `bool`.
    Bool,
    /// `byte`: unsigned 8-bit.
    Byte,
    /// `char`: a one-character string.
    Char,
    /// `short`.
    Short,
    /// `int`.
    Int,
    /// `long`.
    Long,
    /// `int128`: a 38-digit decimal.
    Int128,
    /// `float`.
    Float,
    /// `double`.
    Double,
    /// `datetime`: a UTC timestamp in µs.
    Datetime,
    /// `timespan`: a duration in µs.
    Timespan,
    /// `[char]` or `[:char|N:]`: a string.
    Text,
    /// `[T]`: a list.
    List(Box<Shape>),
    /// `[:T|N:]`: a fixed-size list.
    FixedList(Box<Shape>, i32),
    /// A record or tuple: a struct.
    Record(Vec<(String, Shape)>),
    /// A variant, enum or packed enum: constructor name and tag, and a
    /// column for each constructor that has a payload.
    Variant(Vec<Ctor>),
}

/// A constructor of a [`Shape::Variant`].
#[derive(Debug, Clone, PartialEq)]
pub struct Ctor {
    /// Its name.
    pub name: String,
    /// Its tag.
    pub tag: u32,
    /// Its payload, `None` for `unit`.
    pub payload: Option<Shape>,
}

impl Shape {
    /// The shape of stored type `ty`; an error says what cannot be exported.
    pub fn of(ty: &Type) -> Result<Shape, String> {
        shape(ty, 0)
    }

    /// The Arrow type of the column.
    pub fn data_type(&self) -> DataType {
        match self {
            Shape::Null => DataType::Null,
            Shape::Bool => DataType::Boolean,
            Shape::Byte => DataType::UInt8,
            Shape::Char | Shape::Text => DataType::Utf8,
            Shape::Short => DataType::Int16,
            Shape::Int => DataType::Int32,
            Shape::Long => DataType::Int64,
            Shape::Int128 => DataType::Decimal128(INT128_DIGITS, 0),
            Shape::Float => DataType::Float32,
            Shape::Double => DataType::Float64,
            Shape::Datetime => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            Shape::Timespan => DataType::Duration(TimeUnit::Microsecond),
            Shape::List(elem) => DataType::List(Arc::new(elem.field(ITEM))),
            Shape::FixedList(elem, n) => DataType::FixedSizeList(Arc::new(elem.field(ITEM)), *n),
            Shape::Record(_) | Shape::Variant(_) => DataType::Struct(self.children()),
        }
    }

    /// A nullable field named `name` of this shape; variant fields carry
    /// [`VARIANT_KEY`] in their metadata.
    pub fn field(&self, name: &str) -> Field {
        let field = Field::new(name, self.data_type(), true);
        match self {
            Shape::Variant(_) => {
                field.with_metadata(HashMap::from([(VARIANT_KEY.into(), "true".into())]))
            }
            _ => field,
        }
    }

    /// The fields of a record or variant (none for other shapes).
    pub fn children(&self) -> Fields {
        match self {
            Shape::Record(fields) => fields.iter().map(|(n, s)| s.field(n)).collect(),
            Shape::Variant(ctors) => [
                Field::new(CTOR, DataType::Utf8, true),
                Field::new(TAG, DataType::UInt32, true),
            ]
            .into_iter()
            .chain(
                ctors
                    .iter()
                    .filter_map(|c| c.payload.as_ref().map(|p| p.field(&c.name))),
            )
            .collect(),
            _ => Fields::empty(),
        }
    }
}

fn shape(ty: &Type, depth: usize) -> Result<Shape, String> {
    if depth > MAX_DEPTH {
        return Err(format!("type nested deeper than {MAX_DEPTH} levels"));
    }
    let inner = |t: &Type| shape(t, depth + 1);
    Ok(match ty {
        t if is_datetime(t) => Shape::Datetime,
        t if is_timespan(t) => Shape::Timespan,
        Type::Prim(_, Some(rep)) => inner(rep)?,
        Type::Prim(name, None) => match name.as_str() {
            "unit" => Shape::Null,
            "bool" => Shape::Bool,
            "byte" => Shape::Byte,
            "char" => Shape::Char,
            "short" => Shape::Short,
            "int" => Shape::Int,
            "long" => Shape::Long,
            "int128" => Shape::Int128,
            "float" => Shape::Float,
            "double" => Shape::Double,
            other => return Err(format!("unknown primitive type '{other}'")),
        },
        Type::Array(elem) => match inner(elem)? {
            Shape::Char => Shape::Text,
            elem => Shape::List(Box::new(elem)),
        },
        Type::FixedArray(elem, len) => {
            let Type::Size(n) = **len else {
                return Err(format!("fixed array length {len} is not a number"));
            };
            match inner(elem)? {
                Shape::Char => Shape::Text,
                elem => {
                    let n = i32::try_from(n)
                        .map_err(|_| format!("fixed array of {n} elements is too long"))?;
                    Shape::FixedList(Box::new(elem), n)
                }
            }
        }
        Type::Struct(fields) if fields.is_empty() => {
            return Err("empty records cannot be exported".into())
        }
        Type::Struct(fields) => {
            let fields = fields
                .iter()
                .map(|f| Ok((f.name.clone(), inner(&f.ty)?)))
                .collect::<Result<Vec<_>, String>>()?;
            unique(fields.iter().map(|(n, _)| n.as_str()), "field")?;
            Shape::Record(fields)
        }
        Type::Variant(ctors) => {
            let ctors = ctors
                .iter()
                .map(|c| {
                    let payload = Some(inner(&c.ty)?).filter(|p| *p != Shape::Null);
                    Ok(Ctor {
                        name: c.name.clone(),
                        tag: c.id,
                        payload,
                    })
                })
                .collect::<Result<Vec<_>, String>>()?;
            variant(ctors)?
        }
        Type::App(f, args) => match app_name(ty) {
            Some(("fileref", [target, ..])) => inner(target)?,
            Some(("penum", [_, Type::Variant(ctors)])) => variant(
                ctors
                    .iter()
                    .map(|c| Ctor {
                        name: c.name.clone(),
                        tag: c.id,
                        payload: None,
                    })
                    .collect(),
            )?,
            Some((name @ ("fseq" | "cseq"), _)) => {
                return Err(format!("a series ({name}) nested inside a value"))
            }
            _ => inner(&expand(f, args).map_err(|e| e.to_string())?)?,
        },
        other => return Err(format!("values of type {other} cannot be exported")),
    })
}

/// A variant shape, once its column names are known to be distinct.
fn variant(ctors: Vec<Ctor>) -> Result<Shape, String> {
    let payloads = ctors
        .iter()
        .filter(|c| c.payload.is_some())
        .map(|c| c.name.as_str());
    unique([CTOR, TAG].into_iter().chain(payloads), "constructor")?;
    Ok(Shape::Variant(ctors))
}

/// An error naming the first name that repeats.
pub(crate) fn unique<'a>(names: impl Iterator<Item = &'a str>, what: &str) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for name in names {
        if !seen.insert(name) {
            return Err(format!("{what} name '{name}' is used twice"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hog_core::fregion::layout::{datetime, fileref, long};

    fn prim(name: &str) -> Type {
        Type::Prim(name.into(), None)
    }

    #[test]
    fn strings_lists_and_times_map_to_arrow_types() {
        let text = fileref(Type::Array(Box::new(prim("char"))));
        assert_eq!(Shape::of(&text).unwrap(), Shape::Text);
        let ints = Type::Array(Box::new(prim("int")));
        assert_eq!(
            Shape::of(&ints).unwrap().data_type(),
            DataType::List(Arc::new(Field::new("item", DataType::Int32, true)))
        );
        assert_eq!(Shape::of(&datetime()).unwrap(), Shape::Datetime);
        assert_eq!(Shape::of(&long()).unwrap(), Shape::Long);
        let farr = Type::FixedArray(Box::new(prim("short")), Box::new(Type::Size(4)));
        assert_eq!(
            Shape::of(&farr).unwrap(),
            Shape::FixedList(Box::new(Shape::Short), 4)
        );
    }

    #[test]
    fn variants_get_ctor_and_tag_and_a_column_per_payload() {
        let v = Type::Variant(vec![
            hog_core::types::Ctor {
                name: "none".into(),
                id: 0,
                ty: prim("unit"),
            },
            hog_core::types::Ctor {
                name: "some".into(),
                id: 1,
                ty: prim("double"),
            },
        ]);
        let names: Vec<String> = Shape::of(&v)
            .unwrap()
            .children()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names, ["ctor", "tag", "some"]);
    }

    #[test]
    fn clashing_names_and_series_in_values_are_refused() {
        let v = Type::Variant(vec![hog_core::types::Ctor {
            name: "tag".into(),
            id: 0,
            ty: prim("int"),
        }]);
        assert_eq!(
            Shape::of(&v).unwrap_err(),
            "constructor name 'tag' is used twice"
        );
        assert_eq!(
            Shape::of(&prim("quad")).unwrap_err(),
            "unknown primitive type 'quad'"
        );
    }
}

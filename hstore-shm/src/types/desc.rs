//! hobbes binary type descriptions (`reflect.H` encoding): decoding,
//! encoding, the hobbes notation (`{x:int, y:[char]}`), and the
//! constructors producers describe their statements with.
//!
//! Every node starts with a `u32` tag; strings and counts are `u64`-prefixed.
//! Decoding is bounded: nesting deeper than [`MAX_DEPTH`] and counts larger
//! than the input can hold are refused.

use std::fmt;

use super::cursor::{Cursor, DecodeError};
use super::layout::{self, MemoryLayout};

/// Deepest nesting of type nodes accepted.
pub const MAX_DEPTH: usize = 64;

const PRIM: u32 = 0;
const TVAR: u32 = 2;
const FIXEDARR: u32 = 4;
const ARR: u32 = 5;
const VARIANT: u32 = 6;
const STRUCT: u32 = 7;
const SIZE: u32 = 11;
const TAPP: u32 = 12;
const RECURSIVE: u32 = 13;
const TABS: u32 = 15;

/// A hobbes type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    /// A primitive, or an opaque alias (`datetime`) with its representation.
    Prim(String, Option<Box<Type>>),
    /// A type variable.
    Var(String),
    /// A fixed-length array: element type and length (a [`Type::Size`]).
    FixedArray(Box<Type>, Box<Type>),
    /// A variable-length array.
    Array(Box<Type>),
    /// A sum of constructors.
    Variant(Vec<Ctor>),
    /// A record of fields.
    Struct(Vec<Field>),
    /// A type-level natural number.
    Size(u64),
    /// A type application.
    App(Box<Type>, Vec<Type>),
    /// A recursive type binding a variable in its body.
    Recursive(String, Box<Type>),
    /// A type abstraction.
    Abs(Vec<String>, Box<Type>),
}

/// A constructor of a [`Type::Variant`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ctor {
    /// Constructor name (`.f0`… for anonymous sums).
    pub name: String,
    /// The tag that selects it.
    pub id: u32,
    /// Its payload type.
    pub ty: Type,
}

/// A field of a [`Type::Struct`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Field name (`.f0`… for tuples).
    pub name: String,
    /// The producer's in-memory offset, or `u32::MAX`; values are packed
    /// regardless.
    pub offset: u32,
    /// Its type.
    pub ty: Type,
}

/// The offset of a record field whose in-memory position is not given.
pub const NO_OFFSET: u32 = u32::MAX;

impl Type {
    /// A primitive type: `unit bool byte char short int long int128 float
    /// double`.
    pub fn prim(name: &str) -> Self {
        Type::Prim(name.to_string(), None)
    }

    /// The type of no value.
    pub fn unit() -> Type {
        Type::prim("unit")
    }

    /// Whether this is hobbes' `penum` alias, which applied to a
    /// representation and its units is a packed enumeration.
    pub fn is_penum(&self) -> bool {
        matches!(self, Type::Prim(name, Some(_)) if name == "penum")
    }

    /// An opaque alias `name` represented as `rep` (hobbes
    /// `DEFINE_TYPE_ALIAS_AS`), e.g. `datetime` over `long`.
    pub fn alias(name: &str, rep: Type) -> Type {
        Type::Prim(name.to_string(), Some(Box::new(rep)))
    }

    /// A variable-length array of `elem`.
    pub fn array(elem: Type) -> Type {
        Type::Array(Box::new(elem))
    }

    /// An array of exactly `len` `elem`s.
    pub fn fixed_array(elem: Type, len: u64) -> Type {
        Type::FixedArray(Box::new(elem), Box::new(Type::Size(len)))
    }

    /// A record with the given fields, in order, at offset `-1`; `unit`
    /// when there are none (as hobbes describes an empty record).
    pub fn record<N: Into<String>>(fields: impl IntoIterator<Item = (N, Type)>) -> Type {
        let fields: Vec<Field> = fields
            .into_iter()
            .map(|(name, ty)| Field {
                name: name.into(),
                offset: NO_OFFSET,
                ty,
            })
            .collect();
        if fields.is_empty() {
            Type::unit()
        } else {
            Type::Struct(fields)
        }
    }

    /// A tuple `.f0, .f1, …` of `elems`, with the offsets of hobbes' layout
    /// of it (`-1` for all fields if an element has no known layout);
    /// `unit` when there are none.
    pub fn tuple(elems: Vec<Type>) -> Type {
        if elems.is_empty() {
            return Type::unit();
        }
        let offsets = layout::field_offsets(&elems);
        Type::Struct(
            elems
                .into_iter()
                .enumerate()
                .map(|(i, ty)| Field {
                    name: format!(".f{i}"),
                    offset: offsets.as_ref().map_or(NO_OFFSET, |o| o[i]),
                    ty,
                })
                .collect(),
        )
    }

    /// A variant of `(name, tag, payload)` constructors.
    pub fn variant<N: Into<String>>(ctors: impl IntoIterator<Item = (N, u32, Type)>) -> Type {
        Type::Variant(
            ctors
                .into_iter()
                .map(|(name, id, ty)| Ctor {
                    name: name.into(),
                    id,
                    ty,
                })
                .collect(),
        )
    }

    /// An enumeration of `(name, value)` constructors stored as `rep`: a
    /// variant of units when `rep` has 4 bytes, else hobbes' packed enum
    /// `penum(rep, variant)`.
    pub fn enumeration<N: Into<String>>(
        rep: Type,
        ctors: impl IntoIterator<Item = (N, u32)>,
    ) -> Type {
        let units = Type::variant(ctors.into_iter().map(|(n, v)| (n, v, Type::unit())));
        if rep.layout().map(|l| l.size) == Some(4) {
            return units;
        }
        let penum = Type::alias(
            "penum",
            Type::Abs(
                vec!["r".to_string(), "v".to_string()],
                Box::new(Type::Var("r".to_string())),
            ),
        );
        Type::App(Box::new(penum), vec![rep, units])
    }

    /// Size and alignment of this type in hobbes' memory layout, if known.
    pub fn layout(&self) -> Option<MemoryLayout> {
        layout::of(self)
    }

    /// Decodes a whole type description; trailing bytes are an error.
    pub fn decode(bytes: &[u8]) -> Result<Type, DecodeError> {
        let mut cursor = Cursor::new(bytes);
        let ty = Self::read(&mut cursor, 0)?;
        if cursor.remaining() != 0 {
            return Err(cursor.error(format!(
                "{} bytes after the end of the type description",
                cursor.remaining()
            )));
        }
        Ok(ty)
    }

    /// Reads one type node (and its children) from `cursor`.
    pub fn read(cursor: &mut Cursor<'_>, depth: usize) -> Result<Type, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(cursor.error(format!("type nested deeper than {MAX_DEPTH}")));
        }
        let at = cursor.offset();
        let child = |c: &mut Cursor<'_>| Self::read(c, depth + 1).map(Box::new);
        Ok(match cursor.u32("type tag")? {
            PRIM => {
                let name = cursor.string("primitive name")?;
                let rep = match cursor.u8("primitive has-representation flag")? {
                    0 => None,
                    1 => Some(child(cursor)?),
                    b => return Err(cursor.error(format!("bad has-representation flag {b}"))),
                };
                Type::Prim(name, rep)
            }
            TVAR => Type::Var(cursor.string("type variable")?),
            FIXEDARR => Type::FixedArray(child(cursor)?, child(cursor)?),
            ARR => Type::Array(child(cursor)?),
            VARIANT => {
                let n = cursor.count("constructor count", 16, u64::MAX)?;
                let mut ctors = Vec::with_capacity(n);
                for _ in 0..n {
                    let name = cursor.string("constructor name")?;
                    let id = cursor.u32("constructor id")?;
                    ctors.push(Ctor {
                        name,
                        id,
                        ty: Self::read(cursor, depth + 1)?,
                    });
                }
                Type::Variant(ctors)
            }
            STRUCT => {
                let n = cursor.count("field count", 16, u64::MAX)?;
                let mut fields = Vec::with_capacity(n);
                for _ in 0..n {
                    let name = cursor.string("field name")?;
                    let offset = cursor.u32("field offset")?;
                    fields.push(Field {
                        name,
                        offset,
                        ty: Self::read(cursor, depth + 1)?,
                    });
                }
                Type::Struct(fields)
            }
            SIZE => Type::Size(cursor.u64("size")?),
            TAPP => {
                let f = child(cursor)?;
                let n = cursor.count("type argument count", 4, u64::MAX)?;
                let mut args = Vec::with_capacity(n);
                for _ in 0..n {
                    args.push(Self::read(cursor, depth + 1)?);
                }
                Type::App(f, args)
            }
            RECURSIVE => Type::Recursive(cursor.string("recursion variable")?, child(cursor)?),
            TABS => {
                let n = cursor.count("type parameter count", 8, u64::MAX)?;
                let mut names = Vec::with_capacity(n);
                for _ in 0..n {
                    names.push(cursor.string("type parameter")?);
                }
                Type::Abs(names, child(cursor)?)
            }
            tag => {
                return Err(DecodeError {
                    offset: at,
                    what: format!("invalid type tag {tag}"),
                })
            }
        })
    }

    /// The binary description of this type.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    /// Appends the binary description of this type to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        let tag = |out: &mut Vec<u8>, t: u32| out.extend_from_slice(&t.to_le_bytes());
        let string = |out: &mut Vec<u8>, s: &str| {
            out.extend_from_slice(&(s.len() as u64).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        };
        let count = |out: &mut Vec<u8>, n: usize| out.extend_from_slice(&(n as u64).to_le_bytes());
        match self {
            Type::Prim(name, rep) => {
                tag(out, PRIM);
                string(out, name);
                match rep {
                    None => out.push(0),
                    Some(rep) => {
                        out.push(1);
                        rep.write(out);
                    }
                }
            }
            Type::Var(name) => {
                tag(out, TVAR);
                string(out, name);
            }
            Type::FixedArray(elem, len) => {
                tag(out, FIXEDARR);
                elem.write(out);
                len.write(out);
            }
            Type::Array(elem) => {
                tag(out, ARR);
                elem.write(out);
            }
            Type::Variant(ctors) => {
                tag(out, VARIANT);
                count(out, ctors.len());
                for c in ctors {
                    string(out, &c.name);
                    out.extend_from_slice(&c.id.to_le_bytes());
                    c.ty.write(out);
                }
            }
            Type::Struct(fields) => {
                tag(out, STRUCT);
                count(out, fields.len());
                for f in fields {
                    string(out, &f.name);
                    out.extend_from_slice(&f.offset.to_le_bytes());
                    f.ty.write(out);
                }
            }
            Type::Size(n) => {
                tag(out, SIZE);
                out.extend_from_slice(&n.to_le_bytes());
            }
            Type::App(f, args) => {
                tag(out, TAPP);
                f.write(out);
                count(out, args.len());
                for a in args {
                    a.write(out);
                }
            }
            Type::Recursive(var, body) => {
                tag(out, RECURSIVE);
                string(out, var);
                body.write(out);
            }
            Type::Abs(names, body) => {
                tag(out, TABS);
                count(out, names.len());
                for n in names {
                    string(out, n);
                }
                body.write(out);
            }
        }
    }

    /// Whether this is a tuple (a struct whose fields are `.f0`, `.f1`, …).
    pub fn is_tuple(fields: &[Field]) -> bool {
        !fields.is_empty() && fields.iter().all(|f| f.name.starts_with('.'))
    }
}

impl fmt::Display for Type {
    /// The hobbes notation: `int`, `[char]`, `[:int|3:]`, `{x:int}`,
    /// `(int*double)`, `|A:(), B:int|`, `(int+[char])`, `[char]@?`,
    /// `penum(byte, |…|)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, items: Vec<String>, sep: &str| {
            f.write_str(&items.join(sep))
        };
        match self {
            Type::Prim(name, _) if name == "unit" => f.write_str("()"),
            Type::Prim(name, _) | Type::Var(name) => f.write_str(name),
            Type::FixedArray(elem, len) => write!(f, "[:{elem}|{len}:]"),
            Type::Array(elem) => write!(f, "[{elem}]"),
            Type::Variant(ctors) if ctors.iter().all(|c| c.name.starts_with('.')) => {
                f.write_str("(")?;
                list(f, ctors.iter().map(|c| c.ty.to_string()).collect(), "+")?;
                f.write_str(")")
            }
            Type::Variant(ctors) => {
                f.write_str("|")?;
                list(
                    f,
                    ctors
                        .iter()
                        .map(|c| format!("{}:{}", c.name, c.ty))
                        .collect(),
                    ", ",
                )?;
                f.write_str("|")
            }
            Type::Struct(fields) if Type::is_tuple(fields) => {
                f.write_str("(")?;
                list(f, fields.iter().map(|x| x.ty.to_string()).collect(), "*")?;
                f.write_str(")")
            }
            Type::Struct(fields) => {
                f.write_str("{")?;
                list(
                    f,
                    fields
                        .iter()
                        .map(|x| format!("{}:{}", x.name, x.ty))
                        .collect(),
                    ", ",
                )?;
                f.write_str("}")
            }
            Type::Size(n) => write!(f, "{n}"),
            Type::App(func, args) if matches!(&**func, Type::Prim(n, _) if n == "fileref") => {
                match args.as_slice() {
                    [target] => write!(f, "{target}@?"),
                    [target, file] => write!(f, "{target}@{file}"),
                    _ => f.write_str("fileref()"),
                }
            }
            Type::App(func, args) => {
                write!(f, "{func}(")?;
                list(f, args.iter().map(Type::to_string).collect(), ", ")?;
                f.write_str(")")
            }
            Type::Recursive(var, body) => write!(f, "^{var}.{body}"),
            Type::Abs(names, body) => write!(f, "\\{}.{body}", names.join(" ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn spec_examples_decode_and_encode_back() {
        let int = hex("00000000 0300000000000000 696e74 00");
        assert_eq!(Type::decode(&int).unwrap(), Type::prim("int"));
        let chars = hex("05000000 00000000 0400000000000000 63686172 00");
        let ty = Type::decode(&chars).unwrap();
        assert_eq!(ty.to_string(), "[char]");
        assert_eq!(ty.encode(), chars);
        let mut farr = hex("04000000");
        farr.extend(&int);
        farr.extend(hex("0b000000 0300000000000000"));
        let ty = Type::decode(&farr).unwrap();
        assert_eq!(ty.to_string(), "[:int|3:]");
        assert_eq!(ty.encode(), farr);
        let datetime = hex(
            "00000000 0800000000000000 6461746574696d65 01 00000000 0400000000000000 6c6f6e67 00",
        );
        let ty = Type::decode(&datetime).unwrap();
        assert_eq!(
            ty,
            Type::Prim("datetime".into(), Some(Box::new(Type::prim("long"))))
        );
        assert_eq!(ty.encode(), datetime);
    }

    #[test]
    fn malformed_descriptions_are_refused_with_the_offset() {
        let e = Type::decode(&hex("09000000")).unwrap_err();
        assert_eq!((e.offset, e.what.as_str()), (0, "invalid type tag 9"));
        assert!(Type::decode(&hex("00000000 ff00000000000000 69")).is_err());
        assert!(Type::decode(&hex("07000000 ffffffffffffffff"))
            .unwrap_err()
            .what
            .contains("count"));
        let e = Type::decode(&hex("00000000 0300000000000000 696e74 00 00")).unwrap_err();
        assert!(e.what.contains("after the end"));
        assert!(Type::decode(&hex("00000000 0300000000000000 696e74 07")).is_err());
        assert!(Type::decode(&[]).is_err());
    }

    #[test]
    fn constructors_encode_as_the_spec_shows() {
        let hex = |b: Vec<u8>| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(
            hex(Type::prim("int").encode()),
            "000000000300000000000000696e7400"
        );
        assert_eq!(
            hex(Type::array(Type::prim("char")).encode()),
            "050000000000000004000000000000006368617200"
        );
        assert_eq!(
            hex(Type::fixed_array(Type::prim("int"), 3).encode()),
            "04000000000000000300000000000000696e74000b0000000300000000000000"
        );
        let empty: [(&str, Type); 0] = [];
        assert_eq!(Type::record(empty), Type::unit(), "an empty record is unit");
        assert_eq!(Type::tuple(Vec::new()), Type::unit());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut bytes = Vec::new();
        for _ in 0..10_000 {
            bytes.extend(hex("05000000"));
        }
        bytes.extend(hex("00000000 0300000000000000 696e74 00"));
        assert!(Type::decode(&bytes).unwrap_err().what.contains("deeper"));
    }
}

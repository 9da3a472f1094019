//! hobbes type descriptions, as statements declare their payloads.
//!
//! A [`Type`] is built from Rust types by [`Store`](crate::Store) and
//! encoded in the binary form hog reads from a region's statement table
//! ([`Type::encode`]). Struct field offsets are `-1` ([`NO_OFFSET`]) for
//! records; tuples carry the offsets of hobbes' own in-memory layout
//! ([`Type::tuple`]), the only offsets the C++ hog accepts besides `-1`.

mod encode;
mod layout;

pub use layout::MemoryLayout;

/// The offset of a record field whose in-memory position is not given.
pub const NO_OFFSET: u32 = u32::MAX;

/// A hobbes type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    /// A primitive (`int`, `double`, …), or an opaque alias (`datetime`)
    /// with its representation.
    Prim(String, Option<Box<Type>>),
    /// A type variable.
    Var(String),
    /// A fixed-length array: element type and length.
    FixedArray(Box<Type>, u64),
    /// A variable-length array.
    Array(Box<Type>),
    /// A sum of constructors.
    Variant(Vec<Ctor>),
    /// A record of fields (encoded as `unit` when it has none).
    Struct(Vec<Field>),
    /// A type application.
    App(Box<Type>, Vec<Type>),
    /// A type abstraction over named arguments.
    Abs(Vec<String>, Box<Type>),
}

/// A field of a [`Type::Struct`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Field name (`.f0`, `.f1`, … for tuples).
    pub name: String,
    /// In-memory offset, or [`NO_OFFSET`].
    pub offset: u32,
    /// Field type.
    pub ty: Type,
}

/// A constructor of a [`Type::Variant`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ctor {
    /// Constructor name (`.f0`, `.f1`, … for anonymous sums).
    pub name: String,
    /// The tag that selects it.
    pub id: u32,
    /// Payload type (`unit` for none).
    pub ty: Type,
}

impl Type {
    /// A primitive type: `unit bool byte char short int long int128 float
    /// double`.
    pub fn prim(name: &str) -> Type {
        Type::Prim(name.to_string(), None)
    }

    /// The type of no value.
    pub fn unit() -> Type {
        Type::prim("unit")
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
        Type::FixedArray(Box::new(elem), len)
    }

    /// A record with the given fields, in order, at offset `-1`.
    pub fn record<N: Into<String>>(fields: impl IntoIterator<Item = (N, Type)>) -> Type {
        Type::Struct(
            fields
                .into_iter()
                .map(|(name, ty)| Field {
                    name: name.into(),
                    offset: NO_OFFSET,
                    ty,
                })
                .collect(),
        )
    }

    /// A tuple `.f0, .f1, …` of `elems`, with the offsets of hobbes' layout
    /// of it (`-1` for all fields if an element has no known layout).
    pub fn tuple(elems: Vec<Type>) -> Type {
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

    /// The binary type description (`reflect.H` encoding).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    /// Appends the binary type description to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        encode::write(self, out);
    }

    /// Size and alignment of this type in hobbes' memory layout, if known.
    pub fn layout(&self) -> Option<MemoryLayout> {
        layout::of(self)
    }
}

//! The types of a compressed series: `cseq T M n`, the model type `M`
//! hobbes derives from `T`, and the element type as hobbes records it.
//!
//! Every model is built from one leaf, `csmodel S` =
//! `{freqs:[:int|S:], activeFreqs:[:int|S:], c:int}`: `byte` has one leaf of
//! 256 symbols, wider scalars one per byte (`{pmodels:[:csmodel 256|k:]}`),
//! records and tuples the tuple of their fields' models, arrays a length
//! model and one element model, enums one leaf over their constructors and
//! other variants that leaf with the tuple of their payloads' models.

use crate::types::{Ctor, Field, Type};

use super::super::error::LayoutError;
use super::super::layout::{self, fileref, list_node, long, stored_type};
use super::error::SchemaError;

/// Bits of one bit-buffer segment: 4088 bytes, then the next segment's
/// offset.
pub const SEGMENT_BYTES: u64 = 4088;
/// Size of a segment.
pub const SEGMENT_SIZE: u64 = SEGMENT_BYTES + 8;
/// Size of a batch header (`cbatch`).
pub const BATCH_SIZE: u64 = 48;
/// Symbols of the leaf model of a byte.
pub const BYTE_SYMBOLS: u32 = 256;

/// `int`.
fn int() -> Type {
    Type::prim("int")
}

/// A struct whose field offsets follow hobbes' aligned layout.
pub fn record(fields: Vec<(String, Type)>) -> Result<Type, LayoutError> {
    let mut out: Vec<Field> = fields
        .into_iter()
        .map(|(name, ty)| Field {
            name,
            offset: 0,
            ty,
        })
        .collect();
    let (offsets, _) = layout::struct_layout(&out, 0)?;
    for (f, off) in out.iter_mut().zip(offsets) {
        f.offset = u32::try_from(off).map_err(|_| LayoutError::RecordTooLarge)?;
    }
    Ok(Type::Struct(out))
}

/// A tuple `(.f0 * .f1 * …)` with hobbes' offsets.
pub fn tuple(items: Vec<Type>) -> Result<Type, LayoutError> {
    record(
        items
            .into_iter()
            .enumerate()
            .map(|(i, t)| (format!(".f{i}"), t))
            .collect(),
    )
}

/// `csmodel S`: the persisted state of one leaf of `S` symbols.
pub fn csmodel(symbols: u32) -> Type {
    let freqs = || Type::FixedArray(Box::new(int()), Box::new(Type::Size(symbols.into())));
    let s = u32::try_from(u64::from(symbols) * 4).unwrap_or(u32::MAX);
    Type::Struct(vec![
        Field {
            name: "freqs".into(),
            offset: 0,
            ty: freqs(),
        },
        Field {
            name: "activeFreqs".into(),
            offset: s,
            ty: freqs(),
        },
        Field {
            name: "c".into(),
            offset: s.saturating_mul(2),
            ty: int(),
        },
    ])
}

/// `pcsmodel k`: one byte leaf per byte of a `k`-byte scalar.
pub fn pcsmodel(width: u64) -> Type {
    Type::Struct(vec![Field {
        name: "pmodels".into(),
        offset: 0,
        ty: Type::FixedArray(Box::new(csmodel(BYTE_SYMBOLS)), Box::new(Type::Size(width))),
    }])
}

/// Byte width of a scalar primitive hobbes models byte by byte.
pub fn scalar_width(name: &str) -> Option<u64> {
    Some(match name {
        "bool" | "char" => 1,
        "short" => 2,
        "int" | "float" => 4,
        "long" | "double" => 8,
        "int128" => 16,
        _ => return None,
    })
}

/// Whether every constructor of a variant carries nothing (an enum).
pub fn is_enum(ctors: &[Ctor]) -> bool {
    ctors.iter().all(|c| is_unit(&c.ty))
}

/// Whether `ty` is `()`.
pub fn is_unit(ty: &Type) -> bool {
    match ty {
        Type::Prim(n, None) => n == "unit",
        Type::Struct(fields) => fields.is_empty(),
        _ => false,
    }
}

/// The model type hobbes uses for values of the (unstored) type `t`.
pub fn model_type(t: &Type) -> Result<Type, SchemaError> {
    model_at(t, 0)
}

const MAX_DEPTH: usize = 64;

fn model_at(t: &Type, depth: usize) -> Result<Type, SchemaError> {
    if depth > MAX_DEPTH {
        return Err(SchemaError::TooDeep);
    }
    let next = |t: &Type| model_at(t, depth + 1);
    Ok(match t {
        t if is_unit(t) => int(),
        Type::Prim(name, None) if name == "byte" => csmodel(BYTE_SYMBOLS),
        Type::Prim(name, None) => match scalar_width(name) {
            Some(w) => pcsmodel(w),
            None => return Err(SchemaError::NotCompressible(t.clone())),
        },
        Type::Prim(_, Some(rep)) => next(rep)?,
        Type::Array(elem) | Type::FixedArray(elem, _) => tuple(vec![pcsmodel(8), next(elem)?])?,
        Type::Struct(fields) => tuple(
            fields
                .iter()
                .map(|f| next(&f.ty))
                .collect::<Result<_, _>>()?,
        )?,
        Type::Variant(ctors) => {
            let n = ctor_symbols(ctors)?;
            if is_enum(ctors) {
                csmodel(n)
            } else {
                let payloads = ctors
                    .iter()
                    .map(|c| next(&c.ty))
                    .collect::<Result<_, _>>()?;
                tuple(vec![csmodel(n), tuple(payloads)?])?
            }
        }
        Type::App(..) => match layout::app_name(t) {
            Some(("fileref", _)) => pcsmodel(8),
            Some(("penum", [rep, _])) => next(rep)?,
            _ => return Err(SchemaError::NotCompressible(t.clone())),
        },
        other => return Err(SchemaError::NotCompressible(other.clone())),
    })
}

/// Most constructors a compressed variant may have: symbols beyond this
/// would get no room in the coder's 16-bit range.
pub const MAX_CTORS: usize = 16384;

/// The number of symbols of a variant's tag model.
pub fn ctor_symbols(ctors: &[Ctor]) -> Result<u32, SchemaError> {
    if ctors.is_empty() || ctors.len() > MAX_CTORS {
        return Err(SchemaError::Ctors(ctors.len()));
    }
    Ok(ctors.len() as u32)
}

/// The element type as hobbes records it in `cseq T M n`: the value type
/// with record offsets of hobbes' in-memory layout (arrays are 8-byte
/// references).
pub fn element_type(wire: &Type) -> Result<Type, LayoutError> {
    let stored = stored_type(wire)?;
    Ok(with_offsets(wire, &stored))
}

fn with_offsets(wire: &Type, stored: &Type) -> Type {
    match (wire, stored) {
        (Type::Struct(fields), Type::Struct(sfields)) => Type::Struct(
            fields
                .iter()
                .zip(sfields)
                .map(|(f, sf)| Field {
                    name: f.name.clone(),
                    offset: sf.offset,
                    ty: with_offsets(&f.ty, &sf.ty),
                })
                .collect(),
        ),
        (Type::Variant(ctors), Type::Variant(sctors)) => Type::Variant(
            ctors
                .iter()
                .zip(sctors)
                .map(|(c, sc)| Ctor {
                    name: c.name.clone(),
                    id: c.id,
                    ty: with_offsets(&c.ty, &sc.ty),
                })
                .collect(),
        ),
        (Type::FixedArray(e, n), Type::FixedArray(se, _)) => {
            Type::FixedArray(Box::new(with_offsets(e, se)), n.clone())
        }
        (Type::Array(e), s) => match layout::fileref_target(s) {
            Some(Type::Array(se)) => Type::Array(Box::new(with_offsets(e, se))),
            _ => wire.clone(),
        },
        _ => wire.clone(),
    }
}

/// `cseq T M n` byte for byte as hog writes it, for values of the wire
/// type `wire` in batches of `capacity`.
pub fn cseq_type(wire: &Type, capacity: u64) -> Result<Type, SchemaError> {
    let elem = element_type(wire)?;
    let model = model_type(wire)?;
    Ok(cseq(elem, model, capacity))
}

fn cseq(elem: Type, model: Type, capacity: u64) -> Type {
    let var = |n: &str| Type::Var(n.into());
    let field = |name: &str, offset: u32, ty: Type| Field {
        name: name.into(),
        offset,
        ty,
    };
    let segment = fileref(Type::Recursive(
        "x".into(),
        Box::new(Type::Struct(vec![
            field(
                "bits",
                0,
                Type::FixedArray(
                    Box::new(Type::prim("byte")),
                    Box::new(Type::Size(SEGMENT_BYTES)),
                ),
            ),
            field("nextRef", SEGMENT_BYTES as u32, fileref(var("x"))),
        ])),
    ));
    let batch = Type::Struct(vec![
        field("initModel", 0, fileref(model.clone())),
        field("scratchModel", 8, fileref(model.clone())),
        field("low", 16, int()),
        field("high", 20, int()),
        field("roll", 24, int()),
        field("bitIndex", 28, int()),
        field("count", 32, long()),
        field("headBitBuffer", 40, segment),
    ]);
    let node = list_node(Type::Struct(vec![
        field(".f0", 0, fileref(batch)),
        field(".f1", 8, fileref(var("x"))),
    ]));
    let rep = Type::Abs(
        vec!["T".into(), "M".into(), "S".into()],
        Box::new(fileref(node)),
    );
    Type::App(
        Box::new(Type::Prim("cseq".into(), Some(Box::new(rep)))),
        vec![elem, model, Type::Size(capacity)],
    )
}

//! How values of one type are coded: a tree following the value type whose
//! leaves are the models of [`model`](super::model), placed where the model
//! type puts them in the persisted model block.
//!
//! Records and tuples code their fields in order; arrays (fixed ones too)
//! their length as a `long`, then each element with one shared element
//! model; scalars their bytes, least significant first, one model per byte;
//! enums their constructor; other variants their constructor, then the
//! payload with that constructor's model.

use crate::types::{Ctor, Type, Value};

use super::super::error::{slice, FormatError};
use super::super::layout::{self, app_name};
use super::coder::{BitSink, BitSource, Decoder, Encoder};
use super::error::{CodingError, SchemaError};
use super::model::{leaf_bytes, Leaf};
use super::schema::{is_enum, is_unit, scalar_width, BYTE_SYMBOLS, MAX_CTORS};

/// Most array elements one value may hold (a decoded value is at most this
/// many elements, however well its bits compress).
const MAX_ELEMENTS: u64 = 1 << 20;
/// Deepest type nesting followed.
const MAX_DEPTH: usize = 64;

/// A scalar coded byte by byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scalar {
    Bool,
    Char,
    Short,
    Int,
    Long,
    Int128,
    Float,
    Double,
}

impl Scalar {
    fn of(name: &str) -> Option<Scalar> {
        Some(match name {
            "bool" => Scalar::Bool,
            "char" => Scalar::Char,
            "short" => Scalar::Short,
            "int" => Scalar::Int,
            "long" => Scalar::Long,
            "int128" => Scalar::Int128,
            "float" => Scalar::Float,
            "double" => Scalar::Double,
            _ => return None,
        })
    }

    fn value(self, b: [u8; 16]) -> Value {
        let w = |n: usize| -> [u8; 8] {
            let mut out = [0; 8];
            out[..n].copy_from_slice(&b[..n]);
            out
        };
        match self {
            Scalar::Bool => Value::Bool(b[0] != 0),
            Scalar::Char => Value::Char(b[0]),
            Scalar::Short => Value::Short(i16::from_le_bytes([b[0], b[1]])),
            Scalar::Int => Value::Int(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            Scalar::Long => Value::Long(i64::from_le_bytes(w(8))),
            Scalar::Int128 => Value::Int128(i128::from_le_bytes(b)),
            Scalar::Float => Value::Float(f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            Scalar::Double => Value::Double(f64::from_le_bytes(w(8))),
        }
    }
}

/// A constructor: name, tag, and the symbol that codes it.
#[derive(Debug, Clone)]
struct CtorCode {
    name: String,
    id: u32,
    symbol: u32,
}

#[derive(Debug, Clone)]
enum Node {
    /// Nothing is coded.
    Unit,
    /// A `byte`, or a `bool` with a two-symbol model.
    Symbol { leaf: usize, bool: bool },
    /// A scalar of `width` bytes, one leaf each from `first`.
    Bytes {
        first: usize,
        width: usize,
        kind: Scalar,
    },
    /// A length, then elements.
    Seq {
        len: usize,
        elem: Box<Node>,
        fixed: Option<u64>,
        chars: bool,
    },
    /// Fields in order.
    Record(Vec<(String, Node)>),
    /// A constructor without payloads.
    Enum { leaf: usize, ctors: Vec<CtorCode> },
    /// A constructor, then its payload.
    Variant {
        leaf: usize,
        ctors: Vec<(CtorCode, Node)>,
    },
    /// A packed enum: its integer representation.
    Packed {
        rep: Box<Node>,
        ctors: Vec<CtorCode>,
    },
}

impl Node {
    /// The leaf of a value that is one byte coded as is (`char`, `byte`).
    fn byte_leaf(&self) -> Option<usize> {
        match self {
            Node::Bytes {
                first, width: 1, ..
            } => Some(*first),
            Node::Symbol { leaf, bool: false } => Some(*leaf),
            _ => None,
        }
    }

    /// Whether values of the node take no wire bytes.
    fn is_empty(&self) -> bool {
        match self {
            Node::Unit => true,
            Node::Record(fields) => fields.iter().all(|(_, f)| f.is_empty()),
            Node::Seq {
                elem,
                fixed: Some(n),
                ..
            } => *n == 0 || elem.is_empty(),
            _ => false,
        }
    }
}

/// The coding of one value type with its model type.
#[derive(Debug, Clone)]
pub struct Codec {
    root: Node,
    /// Symbols and block offset of every leaf.
    leaves: Vec<(u32, u64)>,
    model_size: u64,
}

/// The live models of a codec.
#[derive(Debug, Clone)]
pub struct Models(Vec<Leaf>);

impl Models {
    /// Codes symbol `s` with leaf `leaf` (replaying what a decoder heard).
    pub fn encode(&mut self, leaf: usize, s: u32, e: &mut Encoder, out: &mut impl BitSink) {
        self.0[leaf].encode(s, e, out);
    }
}

impl Codec {
    /// The codec of values of type `t` with models of type `m`, checking
    /// that `m` is a model of `t`.
    pub fn new(t: &Type, m: &Type) -> Result<Codec, SchemaError> {
        let model_size = layout::layout(m)?.size;
        let mut leaves = Vec::new();
        let root = build(t, m, 0, &mut leaves, 0)?;
        Ok(Codec {
            root,
            leaves,
            model_size,
        })
    }

    /// Bytes of a persisted model block.
    pub fn model_size(&self) -> u64 {
        self.model_size
    }

    /// Fresh models: nothing seen.
    pub fn fresh(&self) -> Models {
        Models(self.leaves.iter().map(|&(s, _)| Leaf::new(s)).collect())
    }

    /// Models loaded from a persisted block.
    pub fn load(&self, block: &[u8]) -> Result<Models, CodingError> {
        let mut models = self.fresh();
        for (leaf, &(s, at)) in models.0.iter_mut().zip(&self.leaves) {
            let bytes = block
                .get(at as usize..(at + leaf_bytes(s)) as usize)
                .ok_or(CodingError::ModelBlock)?;
            leaf.load(bytes)?;
        }
        Ok(models)
    }

    /// Writes `models` into a persisted block of `model_size` bytes.
    pub fn save(&self, models: &Models, block: &mut [u8]) {
        for (leaf, &(s, at)) in models.0.iter().zip(&self.leaves) {
            leaf.save(&mut block[at as usize..(at + leaf_bytes(s)) as usize]);
        }
    }

    /// Models loaded from the persisted block at `at` of a file's bytes
    /// (`what` names it in errors).
    pub fn load_at(&self, bytes: &[u8], at: u64, what: &str) -> Result<Models, FormatError> {
        let block = slice(bytes, at, self.model_size, what)?;
        self.load(block)
            .map_err(|e| FormatError::new(at, e.to_string()))
    }

    /// Codes the packed value at the start of `wire`; returns the bytes it
    /// took. A malformed value fails part way, with some of its symbols
    /// coded (the models have moved on: the caller takes the series back).
    pub fn encode(
        &self,
        wire: &[u8],
        models: &mut Models,
        e: &mut Encoder,
        out: &mut impl BitSink,
    ) -> Result<usize, CodingError> {
        let mut pos = 0;
        let leaves = &mut models.0;
        walk(&self.root, wire, &mut pos, &mut |leaf, s| {
            leaves[leaf].encode(s, e, out)
        })?;
        Ok(pos)
    }

    /// Decodes one value.
    pub fn decode(
        &self,
        models: &mut Models,
        d: &mut Decoder,
        input: &mut impl BitSource,
    ) -> Result<Value, CodingError> {
        self.decode_heard(models, d, input, |_, _| {})
    }

    /// Decodes one value, telling `on` every symbol with its leaf.
    pub fn decode_heard(
        &self,
        models: &mut Models,
        d: &mut Decoder,
        input: &mut impl BitSource,
        on: impl FnMut(usize, u32),
    ) -> Result<Value, CodingError> {
        Dec {
            leaves: &mut models.0,
            d,
            input,
            budget: MAX_ELEMENTS,
            on,
        }
        .value(&self.root)
    }
}

fn csmodel_symbols(m: &Type) -> Option<u32> {
    let Type::Struct(f) = m else { return None };
    let [freqs, active, c] = f.as_slice() else {
        return None;
    };
    let ints = |t: &Type| match t {
        Type::FixedArray(e, n) if matches!(&**e, Type::Prim(p, None) if p == "int") => match **n {
            Type::Size(s) if (1..=MAX_CTORS as u64).contains(&s) => Some(s as u32),
            _ => None,
        },
        _ => None,
    };
    let s = ints(&freqs.ty)?;
    let named = freqs.name == "freqs" && active.name == "activeFreqs" && c.name == "c";
    let c_int = matches!(&c.ty, Type::Prim(p, None) if p == "int");
    (named && c_int && ints(&active.ty) == Some(s)).then_some(s)
}

fn pcsmodel_width(m: &Type) -> Option<usize> {
    let Type::Struct(f) = m else { return None };
    let [p] = f.as_slice() else { return None };
    match &p.ty {
        Type::FixedArray(leaf, n) if p.name == "pmodels" => match **n {
            Type::Size(w) if w <= 16 && csmodel_symbols(leaf) == Some(BYTE_SYMBOLS) => {
                Some(w as usize)
            }
            _ => None,
        },
        _ => None,
    }
}

/// The fields of a tuple model with `n` members, with their offsets.
fn tuple_parts(m: &Type, n: usize) -> Option<Vec<(&Type, u64)>> {
    let Type::Struct(f) = m else { return None };
    if f.len() != n {
        return None;
    }
    let (offsets, _) = layout::struct_layout(f, 0).ok()?;
    Some(f.iter().map(|f| &f.ty).zip(offsets).collect())
}

fn mismatch(t: &Type, m: &Type) -> SchemaError {
    SchemaError::Mismatch {
        value: t.clone(),
        model: m.clone(),
    }
}

fn leaf(leaves: &mut Vec<(u32, u64)>, symbols: u32, at: u64) -> usize {
    leaves.push((symbols, at));
    leaves.len() - 1
}

fn bytes_leaves(leaves: &mut Vec<(u32, u64)>, width: usize, at: u64) -> usize {
    let first = leaves.len();
    for i in 0..width as u64 {
        leaf(leaves, BYTE_SYMBOLS, at + i * leaf_bytes(BYTE_SYMBOLS));
    }
    first
}

/// The symbol of each constructor: its tag when the tags are `0..n` (as
/// hobbes codes them), else its position.
fn ctor_codes(ctors: &[Ctor]) -> Vec<CtorCode> {
    let by_tag = ctors.iter().all(|c| (c.id as usize) < ctors.len());
    ctors
        .iter()
        .enumerate()
        .map(|(i, c)| CtorCode {
            name: c.name.clone(),
            id: c.id,
            symbol: if by_tag { c.id } else { i as u32 },
        })
        .collect()
}

fn build(
    t: &Type,
    m: &Type,
    at: u64,
    leaves: &mut Vec<(u32, u64)>,
    depth: usize,
) -> Result<Node, SchemaError> {
    if depth > MAX_DEPTH {
        return Err(SchemaError::TooDeep);
    }
    let bad = || mismatch(t, m);
    Ok(match t {
        t if is_unit(t) => match m {
            Type::Prim(p, None) if p == "int" || p == "unit" => Node::Unit,
            _ => return Err(bad()),
        },
        Type::Prim(name, None) => {
            if let Some(s) = csmodel_symbols(m) {
                match (name.as_str(), s) {
                    ("byte", BYTE_SYMBOLS) => Node::Symbol {
                        leaf: leaf(leaves, s, at),
                        bool: false,
                    },
                    ("bool", 2) => Node::Symbol {
                        leaf: leaf(leaves, s, at),
                        bool: true,
                    },
                    _ => return Err(bad()),
                }
            } else {
                let kind = Scalar::of(name).ok_or_else(bad)?;
                let width = pcsmodel_width(m).ok_or_else(bad)?;
                if scalar_width(name) != Some(width as u64) {
                    return Err(bad());
                }
                Node::Bytes {
                    first: bytes_leaves(leaves, width, at),
                    width,
                    kind,
                }
            }
        }
        Type::Prim(_, Some(rep)) => build(rep, m, at, leaves, depth + 1)?,
        Type::Array(elem) | Type::FixedArray(elem, _) => {
            let fixed = match t {
                Type::FixedArray(_, n) => match **n {
                    Type::Size(n) => Some(n),
                    _ => return Err(SchemaError::ArrayLength(t.clone())),
                },
                _ => None,
            };
            let parts = tuple_parts(m, 2).ok_or_else(bad)?;
            if pcsmodel_width(parts[0].0) != Some(8) {
                return Err(bad());
            }
            let len = bytes_leaves(leaves, 8, at + parts[0].1);
            let elem_node = build(elem, parts[1].0, at + parts[1].1, leaves, depth + 1)?;
            Node::Seq {
                len,
                elem: Box::new(elem_node),
                fixed,
                chars: matches!(&**elem, Type::Prim(p, None) if p == "char"),
            }
        }
        Type::Struct(fields) => {
            let parts = tuple_parts(m, fields.len()).ok_or_else(bad)?;
            let mut out = Vec::with_capacity(fields.len());
            for (f, (fm, off)) in fields.iter().zip(parts) {
                out.push((
                    f.name.clone(),
                    build(&f.ty, fm, at + off, leaves, depth + 1)?,
                ));
            }
            Node::Record(out)
        }
        Type::Variant(ctors) => {
            let codes = ctor_codes(ctors);
            let n = ctors.len();
            if csmodel_symbols(m) == Some(n as u32) && is_enum(ctors) {
                Node::Enum {
                    leaf: leaf(leaves, n as u32, at),
                    ctors: codes,
                }
            } else {
                let parts = tuple_parts(m, 2).ok_or_else(bad)?;
                if csmodel_symbols(parts[0].0) != Some(n as u32) {
                    return Err(bad());
                }
                let tag = leaf(leaves, n as u32, at + parts[0].1);
                let payloads = tuple_parts(parts[1].0, n).ok_or_else(bad)?;
                let base = at + parts[1].1;
                let mut out = Vec::with_capacity(n);
                for ((c, code), (pm, off)) in ctors.iter().zip(codes).zip(payloads) {
                    out.push((code, build(&c.ty, pm, base + off, leaves, depth + 1)?));
                }
                Node::Variant {
                    leaf: tag,
                    ctors: out,
                }
            }
        }
        Type::App(..) => match app_name(t) {
            Some(("fileref", _)) if pcsmodel_width(m) == Some(8) => Node::Bytes {
                first: bytes_leaves(leaves, 8, at),
                width: 8,
                kind: Scalar::Long,
            },
            Some(("penum", [rep, Type::Variant(ctors)])) => {
                match build(rep, m, at, leaves, depth + 1)? {
                    rep @ (Node::Symbol { bool: false, .. } | Node::Bytes { .. }) => Node::Packed {
                        rep: Box::new(rep),
                        ctors: ctor_codes(ctors),
                    },
                    _ => return Err(bad()),
                }
            }
            _ => return Err(bad()),
        },
        _ => return Err(bad()),
    })
}

fn take<'a>(wire: &'a [u8], pos: &mut usize, n: usize) -> Result<&'a [u8], CodingError> {
    let s = wire
        .get(*pos..*pos + n)
        .ok_or(CodingError::RecordEnds(*pos + n))?;
    *pos += n;
    Ok(s)
}

/// Hands each of `bytes` to `emit` with the leaves from `first` on.
#[inline]
fn emit_bytes(first: usize, bytes: &[u8], emit: &mut impl FnMut(usize, u32)) {
    for (i, &b) in bytes.iter().enumerate() {
        emit(first + i, u32::from(b));
    }
}

/// Walks the packed value at `wire[*pos..]`, checking it, and hands every
/// symbol to `emit` with its leaf.
fn walk(
    node: &Node,
    wire: &[u8],
    pos: &mut usize,
    emit: &mut impl FnMut(usize, u32),
) -> Result<(), CodingError> {
    match node {
        Node::Unit => {}
        Node::Symbol { leaf, bool } => {
            let b = take(wire, pos, 1)?[0];
            emit(
                *leaf,
                if *bool {
                    u32::from(b != 0)
                } else {
                    u32::from(b)
                },
            );
        }
        Node::Bytes { first, width, .. } => emit_bytes(*first, take(wire, pos, *width)?, emit),
        Node::Seq {
            len, elem, fixed, ..
        } => {
            let n = match fixed {
                Some(n) => *n,
                None => u64::from_le_bytes(take(wire, pos, 8)?.try_into().expect("8")),
            };
            // Every element takes a wire byte unless it is empty.
            if !elem.is_empty() && n > (wire.len() - *pos) as u64 {
                return Err(CodingError::ArrayPastRecord(n));
            }
            if n > MAX_ELEMENTS {
                return Err(CodingError::ArrayTooLong(n));
            }
            emit_bytes(*len, &n.to_le_bytes(), emit);
            if let Some(leaf) = elem.byte_leaf() {
                // Characters and bytes: one symbol each, straight from the wire.
                for &b in take(wire, pos, n as usize)? {
                    emit(leaf, u32::from(b));
                }
            } else {
                for _ in 0..n {
                    walk(elem, wire, pos, emit)?;
                }
            }
        }
        Node::Record(fields) => {
            for (_, f) in fields {
                walk(f, wire, pos, emit)?;
            }
        }
        Node::Enum { leaf, ctors } => {
            let tag = u32::from_le_bytes(take(wire, pos, 4)?.try_into().expect("4"));
            emit(*leaf, find(ctors.iter(), tag)?.symbol);
        }
        Node::Variant { leaf, ctors } => {
            let tag = u32::from_le_bytes(take(wire, pos, 4)?.try_into().expect("4"));
            let (c, payload) = ctors
                .iter()
                .find(|(c, _)| c.id == tag)
                .ok_or(CodingError::Tag(tag))?;
            emit(*leaf, c.symbol);
            walk(payload, wire, pos, emit)?;
        }
        Node::Packed { rep, .. } => walk(rep, wire, pos, emit)?,
    }
    Ok(())
}

fn find<'a>(
    mut ctors: impl Iterator<Item = &'a CtorCode>,
    tag: u32,
) -> Result<&'a CtorCode, CodingError> {
    ctors.find(|c| c.id == tag).ok_or(CodingError::Tag(tag))
}

/// A value being decoded: the models, the decoder and its bits, the
/// element budget left, and who hears of every symbol.
struct Dec<'x, S, F> {
    leaves: &'x mut [Leaf],
    d: &'x mut Decoder,
    input: &'x mut S,
    budget: u64,
    on: F,
}

impl<S: BitSource, F: FnMut(usize, u32)> Dec<'_, S, F> {
    fn symbol(&mut self, leaf: usize) -> Result<u32, CodingError> {
        let s = self.leaves[leaf].decode(self.d, self.input)?;
        (self.on)(leaf, s);
        Ok(s)
    }

    fn bytes(&mut self, first: usize, width: usize) -> Result<[u8; 16], CodingError> {
        let mut b = [0u8; 16];
        for (i, slot) in b.iter_mut().enumerate().take(width) {
            *slot = self.symbol(first + i)? as u8;
        }
        Ok(b)
    }

    fn ctor<'c>(
        &mut self,
        leaf: usize,
        ctors: impl Iterator<Item = &'c CtorCode>,
    ) -> Result<&'c CtorCode, CodingError> {
        let s = self.symbol(leaf)?;
        let mut ctors = ctors;
        ctors.find(|c| c.symbol == s).ok_or(CodingError::Symbol(s))
    }

    fn value(&mut self, node: &Node) -> Result<Value, CodingError> {
        Ok(match node {
            Node::Unit => Value::Unit,
            Node::Symbol { leaf, bool } => {
                let s = self.symbol(*leaf)? as u8;
                if *bool {
                    Value::Bool(s != 0)
                } else {
                    Value::Byte(s)
                }
            }
            Node::Bytes { first, width, kind } => kind.value(self.bytes(*first, *width)?),
            Node::Seq {
                len,
                elem,
                fixed,
                chars,
            } => {
                let b = self.bytes(*len, 8)?;
                let n = u64::from_le_bytes(b[..8].try_into().expect("8"));
                if fixed.is_some_and(|f| f != n) {
                    return Err(CodingError::FixedLength {
                        fixed: fixed.unwrap_or(0),
                        held: n,
                    });
                }
                if n > self.budget {
                    return Err(CodingError::ArrayOverBudget(n));
                }
                self.budget -= n;
                if let (true, Some(leaf)) = (*chars, elem.byte_leaf()) {
                    let mut bytes = Vec::with_capacity(n.min(1 << 16) as usize);
                    for _ in 0..n {
                        bytes.push(self.symbol(leaf)? as u8);
                    }
                    return Ok(Value::Chars {
                        bytes,
                        fixed: fixed.is_some(),
                    });
                }
                let mut items = Vec::with_capacity(n.min(4096) as usize);
                for _ in 0..n {
                    items.push(self.value(elem)?);
                }
                Value::Array(items)
            }
            Node::Record(fields) => {
                let mut out = Vec::with_capacity(fields.len());
                for (name, f) in fields {
                    out.push((name.clone(), self.value(f)?));
                }
                Value::Record(out)
            }
            Node::Enum { leaf, ctors } => {
                let c = self.ctor(*leaf, ctors.iter())?;
                Value::Variant {
                    ctor: c.name.clone(),
                    tag: c.id,
                    value: Box::new(Value::Unit),
                }
            }
            Node::Variant { leaf, ctors } => {
                let c = self.ctor(*leaf, ctors.iter().map(|(c, _)| c))?;
                let payload = &ctors
                    .iter()
                    .find(|(k, _)| k.symbol == c.symbol)
                    .expect("the constructor just found")
                    .1;
                Value::Variant {
                    ctor: c.name.clone(),
                    tag: c.id,
                    value: Box::new(self.value(payload)?),
                }
            }
            Node::Packed { rep, ctors } => {
                let tag = match self.value(rep)? {
                    Value::Byte(b) | Value::Char(b) => u64::from(b),
                    Value::Short(v) => u64::from(v as u16),
                    Value::Int(v) => u64::from(v as u32),
                    Value::Long(v) => v as u64,
                    other => return Err(CodingError::PackedRep(other)),
                };
                let c = ctors
                    .iter()
                    .find(|c| u64::from(c.id) == tag)
                    .ok_or(CodingError::PackedValue(tag))?;
                Value::Variant {
                    ctor: c.name.clone(),
                    tag: c.id,
                    value: Box::new(Value::Unit),
                }
            }
        })
    }
}

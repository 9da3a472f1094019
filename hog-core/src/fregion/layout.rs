//! Stored types and their layout.
//!
//! hobbes stores values aligned: a struct's fields at offsets aligned to
//! their own alignment, a variant's payload after its `u32` tag at the
//! payload's alignment (at least 4), strings and variable arrays out of line
//! as `[T]@?` file references to `{u64 count; elements}` blocks. A
//! producer's *wire* type becomes its *stored* type by [`stored_type`].
//!
//! This module also builds the well-known type expressions of the format
//! (file references, `carray`, series in hog's byte-exact form).

use crate::types::{Ctor, Field, Type, NO_OFFSET};

use super::error::LayoutError;

/// Size and alignment of a stored value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Size in bytes.
    pub size: u64,
    /// Alignment in bytes (a power of two).
    pub align: u64,
}

/// Rounds `n` up to a multiple of `a` (a power of two), `None` on overflow.
pub fn align_up(n: u64, a: u64) -> Option<u64> {
    n.checked_add(a - 1).map(|n| n & !(a - 1))
}

/// `long`.
pub fn long() -> Type {
    Type::prim("long")
}

/// `datetime` (µs since the Unix epoch, stored as a `long`).
pub fn datetime() -> Type {
    Type::Prim("datetime".into(), Some(Box::new(long())))
}

/// `T@?`: a file reference to a `T`.
pub fn fileref(t: Type) -> Type {
    Type::App(
        Box::new(Type::Prim(
            "fileref".into(),
            Some(Box::new(Type::Abs(vec!["x".into()], Box::new(long())))),
        )),
        vec![t],
    )
}

/// `carray T c`: a batch of capacity `c` (`{avail:long, buffer:[:T|c:]}`).
pub fn carray(t: Type, c: Type) -> Type {
    let field = |name: &str, ty: Type| Field {
        name: name.into(),
        offset: NO_OFFSET,
        ty,
    };
    let rep = Type::Abs(
        vec!["t".into(), "c".into()],
        Box::new(Type::Struct(vec![
            field("avail", long()),
            field(
                "buffer",
                Type::FixedArray(
                    Box::new(Type::Var("t".into())),
                    Box::new(Type::Var("c".into())),
                ),
            ),
        ])),
    );
    Type::App(
        Box::new(Type::Prim("carray".into(), Some(Box::new(rep)))),
        vec![t, c],
    )
}

/// `fseq T n` in hog's form (the form hobbes' series writer emits, with
/// type variables in the body): byte for byte what hog writes.
pub fn hog_series(elem: Type, capacity: u64) -> Type {
    let var = |n: &str| Type::Var(n.into());
    let tuple = |a: Type, b: Type| {
        Type::Struct(vec![
            Field {
                name: ".f0".into(),
                offset: NO_OFFSET,
                ty: a,
            },
            Field {
                name: ".f1".into(),
                offset: NO_OFFSET,
                ty: b,
            },
        ])
    };
    let node = list_node(tuple(
        fileref(carray(var("t"), var("c"))),
        fileref(var("x")),
    ));
    let rep = Type::Abs(vec!["t".into(), "c".into()], Box::new(fileref(node)));
    Type::App(
        Box::new(Type::Prim("fseq".into(), Some(Box::new(rep)))),
        vec![elem, Type::Size(capacity)],
    )
}

/// A node of a stored list, `^x.(() + cell)`: nil, or a `cell` (a batch
/// reference and the next node, `x@?`).
pub fn list_node(cell: Type) -> Type {
    Type::Recursive(
        "x".into(),
        Box::new(Type::Variant(vec![
            Ctor {
                name: ".f0".into(),
                id: 0,
                ty: Type::unit(),
            },
            Ctor {
                name: ".f1".into(),
                id: 1,
                ty: cell,
            },
        ])),
    )
}

/// The name of the type constructor applied in `ty`, if it is an
/// application of a named primitive (`fileref`, `fseq`, `penum`, …).
pub fn app_name(ty: &Type) -> Option<(&str, &[Type])> {
    match ty {
        Type::App(f, args) => match &**f {
            Type::Prim(name, _) => Some((name.as_str(), args.as_slice())),
            _ => None,
        },
        _ => None,
    }
}

/// The target of a file reference type `T@?`.
pub fn fileref_target(ty: &Type) -> Option<&Type> {
    match app_name(ty) {
        Some(("fileref", [t, ..])) => Some(t),
        _ => None,
    }
}

/// The stored type of a producer's wire type: strings and variable arrays
/// become `[T]@?`, struct offsets are those of the stored layout; everything
/// else is kept as it is.
pub fn stored_type(wire: &Type) -> Result<Type, LayoutError> {
    Ok(match wire {
        Type::Prim(..) => wire.clone(),
        Type::Array(elem) => fileref(Type::Array(Box::new(stored_type(elem)?))),
        Type::FixedArray(elem, len) => Type::FixedArray(Box::new(stored_type(elem)?), len.clone()),
        Type::Struct(fields) => {
            let mut out = Vec::with_capacity(fields.len());
            let mut at = 0u64;
            for f in fields {
                let ty = stored_type(&f.ty)?;
                let l = layout(&ty)?;
                at = align_up(at, l.align).ok_or(LayoutError::RecordTooLarge)?;
                out.push(Field {
                    name: f.name.clone(),
                    offset: u32::try_from(at).map_err(|_| LayoutError::RecordTooLarge)?,
                    ty,
                });
                at = at.checked_add(l.size).ok_or(LayoutError::RecordTooLarge)?;
            }
            Type::Struct(out)
        }
        Type::Variant(ctors) => Type::Variant(
            ctors
                .iter()
                .map(|c| {
                    Ok(Ctor {
                        name: c.name.clone(),
                        id: c.id,
                        ty: stored_type(&c.ty)?,
                    })
                })
                .collect::<Result<_, LayoutError>>()?,
        ),
        Type::App(..) if matches!(app_name(wire), Some(("penum" | "fileref", _))) => wire.clone(),
        other => return Err(LayoutError::NotStorable(other.clone())),
    })
}

/// The stored layout of `ty`.
pub fn layout(ty: &Type) -> Result<Layout, LayoutError> {
    layout_at(ty, 0)
}

const MAX_EXPANSION: usize = 256;

fn layout_at(ty: &Type, depth: usize) -> Result<Layout, LayoutError> {
    if depth > MAX_EXPANSION {
        return Err(LayoutError::TooDeep);
    }
    let fixed = |size, align| Ok(Layout { size, align });
    match ty {
        Type::Prim(name, None) => match prim_layout(name) {
            Some(l) => Ok(l),
            None => Err(LayoutError::UnknownPrimitive(name.clone())),
        },
        Type::Prim(_, Some(rep)) => layout_at(rep, depth + 1),
        Type::FixedArray(elem, len) => {
            let Type::Size(n) = **len else {
                return Err(LayoutError::ArrayLength((**len).clone()));
            };
            let l = layout_at(elem, depth + 1)?;
            let size = l.size.checked_mul(n).ok_or(LayoutError::ArrayTooLarge)?;
            fixed(size, l.align)
        }
        Type::Struct(fields) => {
            let (offsets, l) = struct_layout(fields, depth)?;
            for (f, at) in fields.iter().zip(offsets) {
                if f.offset != NO_OFFSET && u64::from(f.offset) != at {
                    return Err(LayoutError::Offset {
                        field: f.name.clone(),
                        recorded: f.offset,
                        actual: at,
                    });
                }
            }
            Ok(l)
        }
        Type::Variant(ctors) => variant_layout(ctors, depth).map(|(_, l)| l),
        Type::App(f, args) => match app_name(ty) {
            Some(("fileref" | "fseq" | "cseq", _)) => fixed(8, 8),
            Some(("penum", [rep, _])) => layout_at(rep, depth + 1),
            _ => layout_at(&expand(f, args)?, depth + 1),
        },
        Type::Recursive(_, body) => layout_at(body, depth + 1),
        Type::Array(_) => Err(LayoutError::NotInline(ty.clone())),
        Type::Var(v) => Err(LayoutError::Unresolved(v.clone())),
        Type::Size(_) | Type::Abs(..) => Err(LayoutError::NotValue(ty.clone())),
    }
}

fn prim_layout(name: &str) -> Option<Layout> {
    let size = hstore_shm::types::prim_size(name)?;
    Some(Layout {
        size,
        align: size.max(1),
    })
}

/// Field offsets and layout of a struct.
pub fn struct_layout(fields: &[Field], depth: usize) -> Result<(Vec<u64>, Layout), LayoutError> {
    let mut offsets = Vec::with_capacity(fields.len());
    let (mut at, mut align) = (0u64, 1u64);
    for f in fields {
        let l = layout_at(&f.ty, depth + 1)?;
        at = align_up(at, l.align).ok_or(LayoutError::RecordTooLarge)?;
        offsets.push(at);
        at = at.checked_add(l.size).ok_or(LayoutError::RecordTooLarge)?;
        align = align.max(l.align);
    }
    let size = align_up(at, align).ok_or(LayoutError::RecordTooLarge)?;
    Ok((offsets, Layout { size, align }))
}

/// Payload offset and layout of a variant.
pub fn variant_layout(ctors: &[Ctor], depth: usize) -> Result<(u64, Layout), LayoutError> {
    let (mut size, mut align) = (0u64, 4u64);
    for c in ctors {
        let l = layout_at(&c.ty, depth + 1)?;
        size = size.max(l.size);
        align = align.max(l.align);
    }
    let payload = align_up(4, align).ok_or(LayoutError::VariantTooLarge)?;
    let total = payload
        .checked_add(size)
        .and_then(|s| align_up(s, align))
        .ok_or(LayoutError::VariantTooLarge)?;
    Ok((payload, Layout { size: total, align }))
}

/// Applies a type function given as a primitive's representation
/// (`Prim(name, Abs(params, body))` applied to `args`).
pub fn expand(f: &Type, args: &[Type]) -> Result<Type, LayoutError> {
    match f {
        Type::Prim(name, Some(rep)) => match &**rep {
            Type::Abs(params, body) if params.len() == args.len() => {
                Ok(substitute(body, params, args))
            }
            Type::Abs(params, _) => Err(LayoutError::Arity {
                name: name.clone(),
                params: params.len(),
                args: args.len(),
            }),
            _ => Err(LayoutError::NotFunction(name.clone())),
        },
        other => Err(LayoutError::Application(other.clone())),
    }
}

fn substitute(ty: &Type, params: &[String], args: &[Type]) -> Type {
    let sub = |t: &Type| substitute(t, params, args);
    let boxed = |t: &Type| Box::new(sub(t));
    match ty {
        Type::Var(v) => match params.iter().position(|p| p == v) {
            Some(i) => args[i].clone(),
            None => ty.clone(),
        },
        Type::Prim(..) | Type::Size(_) => ty.clone(),
        Type::FixedArray(e, n) => Type::FixedArray(boxed(e), boxed(n)),
        Type::Array(e) => Type::Array(boxed(e)),
        Type::Variant(cs) => Type::Variant(
            cs.iter()
                .map(|c| Ctor {
                    name: c.name.clone(),
                    id: c.id,
                    ty: sub(&c.ty),
                })
                .collect(),
        ),
        Type::Struct(fs) => Type::Struct(
            fs.iter()
                .map(|f| Field {
                    name: f.name.clone(),
                    offset: f.offset,
                    ty: sub(&f.ty),
                })
                .collect(),
        ),
        Type::App(f, a) => Type::App(boxed(f), a.iter().map(sub).collect()),
        Type::Recursive(v, body) => {
            // The bound variable shadows a parameter of the same name.
            let keep: Vec<usize> = (0..params.len()).filter(|&i| &params[i] != v).collect();
            let ps: Vec<String> = keep.iter().map(|&i| params[i].clone()).collect();
            let xs: Vec<Type> = keep.iter().map(|&i| args[i].clone()).collect();
            Type::Recursive(v.clone(), Box::new(substitute(body, &ps, &xs)))
        }
        Type::Abs(names, body) => {
            let keep: Vec<usize> = (0..params.len())
                .filter(|&i| !names.contains(&params[i]))
                .collect();
            let ps: Vec<String> = keep.iter().map(|&i| params[i].clone()).collect();
            let xs: Vec<Type> = keep.iter().map(|&i| args[i].clone()).collect();
            Type::Abs(names.clone(), Box::new(substitute(body, &ps, &xs)))
        }
    }
}

/// Whether the type variable `v` occurs free in `ty` (the representations
/// of named primitives are their own scopes and are not looked into).
pub fn mentions(ty: &Type, v: &str) -> bool {
    match ty {
        Type::Var(x) => x == v,
        Type::Prim(..) | Type::Size(_) => false,
        Type::FixedArray(e, n) => mentions(e, v) || mentions(n, v),
        Type::Array(e) => mentions(e, v),
        Type::Variant(cs) => cs.iter().any(|c| mentions(&c.ty, v)),
        Type::Struct(fs) => fs.iter().any(|f| mentions(&f.ty, v)),
        Type::App(f, a) => mentions(f, v) || a.iter().any(|t| mentions(t, v)),
        Type::Recursive(x, b) => x != v && mentions(b, v),
        Type::Abs(xs, b) => !xs.iter().any(|x| x == v) && mentions(b, v),
    }
}

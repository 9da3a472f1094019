//! hobbes' in-memory layout of types, which the C++ hog recomputes for
//! every struct offset a producer declares (and aborts on a mismatch):
//! primitives at their natural size and alignment, variable-length arrays
//! as pointers, records as C structs, variants as a `u32` tag followed by
//! the payload at its alignment, aliases and packed enums as their
//! representation.

use super::Type;

/// Size and alignment in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryLayout {
    /// Size in bytes.
    pub size: u64,
    /// Alignment in bytes.
    pub align: u64,
}

const POINTER: MemoryLayout = MemoryLayout { size: 8, align: 8 };

/// The layout of `ty`, or `None` for type variables, abstractions,
/// recursive types and unknown primitives.
pub(super) fn of(ty: &Type) -> Option<MemoryLayout> {
    match ty {
        Type::Prim(_, Some(rep)) => of(rep),
        Type::Prim(name, None) => prim(name),
        Type::FixedArray(elem, len) => {
            let (e, Type::Size(n)) = (of(elem)?, &**len) else {
                return None;
            };
            Some(MemoryLayout {
                size: e.size.checked_mul(*n)?,
                align: e.align,
            })
        }
        Type::Array(_) => Some(POINTER),
        Type::Struct(fields) => record(fields.iter().map(|f| &f.ty)),
        Type::Variant(ctors) => variant(ctors.iter().map(|c| &c.ty)),
        Type::App(f, args) if f.is_penum() => of(args.first()?),
        Type::App(..) | Type::Var(_) | Type::Abs(..) | Type::Size(_) | Type::Recursive(..) => None,
    }
}

/// Offsets of `fields` laid out in order, each at its alignment.
pub(super) fn field_offsets(fields: &[Type]) -> Option<Vec<u32>> {
    let mut at = 0u64;
    let mut offsets = Vec::with_capacity(fields.len());
    for f in fields {
        let l = of(f)?;
        at = at.checked_next_multiple_of(l.align)?;
        offsets.push(u32::try_from(at).ok().filter(|&o| o != u32::MAX)?);
        at = at.checked_add(l.size)?;
    }
    Some(offsets)
}

/// The bytes of hobbes' primitive type `name` (aligned to its size, or 1).
pub fn prim_size(name: &str) -> Option<u64> {
    Some(match name {
        "unit" => 0,
        "bool" | "byte" | "char" => 1,
        "short" => 2,
        "int" | "float" => 4,
        "long" | "double" => 8,
        "int128" => 16,
        _ => return None,
    })
}

fn prim(name: &str) -> Option<MemoryLayout> {
    let size = prim_size(name)?;
    Some(MemoryLayout {
        size,
        align: size.max(1),
    })
}

fn record<'a>(fields: impl Iterator<Item = &'a Type>) -> Option<MemoryLayout> {
    let (mut at, mut align) = (0u64, 1u64);
    for f in fields {
        let l = of(f)?;
        at = at.checked_next_multiple_of(l.align)?.checked_add(l.size)?;
        align = align.max(l.align);
    }
    Some(MemoryLayout {
        size: at.checked_next_multiple_of(align)?,
        align,
    })
}

fn variant<'a>(payloads: impl Iterator<Item = &'a Type>) -> Option<MemoryLayout> {
    let (mut payload_at, mut payload_size, mut align) = (4u64, 0u64, 4u64);
    for p in payloads {
        let l = of(p)?;
        payload_at = payload_at.max(4u64.checked_next_multiple_of(l.align)?);
        payload_size = payload_size.max(l.size);
        align = align.max(l.align);
    }
    Some(MemoryLayout {
        size: payload_at
            .checked_add(payload_size)?
            .checked_next_multiple_of(align)?,
        align: if payload_at == 4 { 4 } else { 8 },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offsets(elems: &[&str]) -> Option<Vec<u32>> {
        let tys: Vec<Type> = elems
            .iter()
            .map(|&n| match n {
                "[char]" => Type::array(Type::prim("char")),
                n => Type::prim(n),
            })
            .collect();
        field_offsets(&tys)
    }

    #[test]
    fn tuple_offsets_follow_hobbes_layout() {
        assert_eq!(offsets(&["int", "double"]), Some(vec![0, 8]));
        assert_eq!(offsets(&["byte", "long", "double"]), Some(vec![0, 8, 16]));
        // A string is a pointer in hobbes' layout, so `.f2` follows at 16.
        assert_eq!(offsets(&["byte", "[char]", "long"]), Some(vec![0, 8, 16]));
        assert_eq!(offsets(&["int", "[char]"]), Some(vec![0, 8]));
        assert_eq!(offsets(&["mystery"]), None);
    }

    #[test]
    fn variants_put_the_payload_after_the_tag_at_its_alignment() {
        let v = |tys: Vec<Type>| {
            of(&Type::variant(
                tys.into_iter()
                    .enumerate()
                    .map(|(i, t)| (format!("c{i}"), i as u32, t)),
            ))
        };
        let l = v(vec![Type::prim("int"), Type::prim("byte")]).unwrap();
        assert_eq!((l.size, l.align), (8, 4));
        let l = v(vec![Type::prim("double"), Type::prim("int")]).unwrap();
        assert_eq!((l.size, l.align), (16, 8));
    }

    #[test]
    fn aliases_and_packed_enums_take_their_representation() {
        let dt = Type::alias("datetime", Type::prim("long"));
        assert_eq!(of(&dt), Some(MemoryLayout { size: 8, align: 8 }));
        let side = Type::enumeration(Type::prim("byte"), [("Buy", 0), ("Sell", 1)]);
        assert_eq!(of(&side), Some(MemoryLayout { size: 1, align: 1 }));
    }
}

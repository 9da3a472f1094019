//! One compressed batch decoded from arbitrary bytes: the first byte picks
//! the value type, the rest is the "file" with the batch header at offset
//! 0 (its model, segment and next-segment offsets point into it). Decoding
//! never panics, never reads out of bounds, and each value ends.

#![no_main]

use hog_core::fregion::cseq::{cseq_type, BatchValues};
use hog_core::fregion::CSeqType;
use hog_core::types::{Ctor, Field, Type};
use libfuzzer_sys::fuzz_target;

/// Values decoded per input at most: one value may expand to a million
/// elements from a few bits (as a well-compressed legitimate one can), so
/// the run stays short by decoding few.
const MAX_VALUES: usize = 4;

fn types() -> Vec<Type> {
    let prim = Type::prim;
    let arr = |t: Type| Type::Array(Box::new(t));
    let field = |n: &str, t: Type| Field {
        name: n.into(),
        offset: u32::MAX,
        ty: t,
    };
    let ctor = |n: &str, id: u32, t: Type| Ctor {
        name: n.into(),
        id,
        ty: t,
    };
    vec![
        prim("byte"),
        prim("int"),
        prim("bool"),
        prim("unit"),
        arr(prim("char")),
        Type::Struct(vec![
            field(".f0", prim("int")),
            field(".f1", arr(prim("char"))),
        ]),
        Type::Variant(vec![
            ctor("A", 0, prim("unit")),
            ctor("B", 1, prim("unit")),
            ctor("C", 2, prim("unit")),
        ]),
        Type::Variant(vec![
            ctor("n", 0, prim("double")),
            ctor("s", 1, arr(prim("char"))),
            ctor("v", 2, arr(arr(prim("short")))),
        ]),
        Type::FixedArray(Box::new(prim("long")), Box::new(Type::Size(3))),
        arr(prim("unit")),
    ]
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let all = types();
    let wire = &all[pick as usize % all.len()];
    let ty = cseq_type(wire, 64).expect("a compressible type");
    let ty: CSeqType = CSeqType::of(&ty).expect("cseq").expect("readable");
    let Ok(values) = BatchValues::new(bytes, std::sync::Arc::new(ty), 0) else {
        return;
    };
    for v in values.take(MAX_VALUES) {
        match v {
            Ok(v) => drop(v.to_json()),
            Err(_) => break,
        }
    }
});

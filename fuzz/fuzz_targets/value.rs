//! `Value::decode` and `value_len` on arbitrary bytes: never panic, and
//! agree with each other; what decodes converts to JSON.
//!
//! Input: a first byte below 13 selects one of the `fixed_types` below
//! and the rest is the value; any other first byte is followed by a type
//! description, and the value after it.

#![no_main]

use std::sync::OnceLock;

use hog_core::types::{value_len, Cursor, Type, Value};
use libfuzzer_sys::fuzz_target;

fn tag(t: u32) -> Vec<u8> {
    t.to_le_bytes().to_vec()
}

fn string(s: &str) -> Vec<u8> {
    [&(s.len() as u64).to_le_bytes()[..], s.as_bytes()].concat()
}

fn prim(name: &str) -> Vec<u8> {
    [tag(0), string(name), vec![0]].concat()
}

fn array(elem: Vec<u8>) -> Vec<u8> {
    [tag(5), elem].concat()
}

fn fixed_array(elem: Vec<u8>, n: u64) -> Vec<u8> {
    [tag(4), elem, tag(11), n.to_le_bytes().to_vec()].concat()
}

fn fields(kind: u32, items: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = [tag(kind), (items.len() as u64).to_le_bytes().to_vec()].concat();
    for (i, (name, ty)) in items.iter().enumerate() {
        let id = if kind == 6 { i as u32 } else { u32::MAX };
        out.extend([string(name), tag(id), ty.clone()].concat());
    }
    out
}

fn record(items: &[(&str, Vec<u8>)]) -> Vec<u8> {
    fields(7, items)
}

fn variant(items: &[(&str, Vec<u8>)]) -> Vec<u8> {
    fields(6, items)
}

fn penum() -> Vec<u8> {
    let abs = [
        tag(15),
        2u64.to_le_bytes().to_vec(),
        string("r"),
        string("v"),
    ]
    .concat();
    let abs = [abs, tag(2), string("r")].concat();
    let f = [tag(0), string("penum"), vec![1], abs].concat();
    let ctors = variant(&[("Buy", prim("unit")), ("Sell", prim("unit"))]);
    [tag(12), f, 2u64.to_le_bytes().to_vec(), prim("byte"), ctors].concat()
}

/// Types worth fuzzing values of, as the golden producers declare them.
fn fixed_types() -> &'static [Type] {
    static TYPES: OnceLock<Vec<Type>> = OnceLock::new();
    TYPES.get_or_init(|| {
        let chars = || array(prim("char"));
        let xyz = || record(&[("x", prim("int")), ("y", prim("int")), ("z", prim("int"))]);
        let datetime = [tag(0), string("datetime"), vec![1], prim("long")].concat();
        [
            prim("int"),
            chars(),
            array(chars()),
            record(&[
                ("id", prim("int")),
                ("pos", xyz()),
                ("label", chars()),
                (
                    "path",
                    array(record(&[("x", prim("int")), ("y", prim("int"))])),
                ),
                (
                    "shape",
                    variant(&[
                        ("circle", prim("double")),
                        ("rect", xyz()),
                        ("label", chars()),
                    ]),
                ),
            ]),
            variant(&[(".f0", prim("int")), (".f1", chars())]),
            penum(),
            array(prim("unit")),
            fixed_array(prim("short"), 4),
            array(array(prim("int"))),
            datetime,
            array(prim("bool")),
            fixed_array(chars(), 3),
            record(&[
                (".f0", prim("byte")),
                (".f1", prim("long")),
                (".f2", prim("int128")),
                (".f3", prim("float")),
            ]),
        ]
        .iter()
        .map(|d| Type::decode(d).expect("fixed type decodes"))
        .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let described;
    let (ty, bytes) = match fixed_types().get(usize::from(selector)) {
        Some(ty) => (ty, rest),
        None => {
            let mut cursor = Cursor::new(rest);
            let Ok(ty) = Type::read(&mut cursor, 0) else {
                return;
            };
            described = ty;
            (&described, &rest[cursor.offset()..])
        }
    };
    let decoded = Value::decode(ty, bytes);
    let len = value_len(ty, bytes);
    if let Ok(value) = decoded {
        assert_eq!(len.ok(), Some(bytes.len()), "value_len agrees with decode");
        let _ = value.to_json().to_string();
    }
});

//! Every kind of type a producer can log round-trips through the writer
//! and the reader: a packed record stored with its `RecordPlan` reads back
//! as the same value, across batches, in files with long page-table chains;
//! and so does it compressed (`hog -z`), whether the series was closed or
//! left open by a killed writer.

use hog_core::fregion::cseq::{cseq_type, CSeqAppender};
use hog_core::fregion::{layout, Reader, RecordPlan, SeriesAppender, Writer};
use hog_core::types::{Ctor, Field, Type, Value};

fn prim(n: &str) -> Type {
    Type::prim(n)
}

fn arr(t: Type) -> Type {
    Type::Array(Box::new(t))
}

fn farr(t: Type, n: u64) -> Type {
    Type::FixedArray(Box::new(t), Box::new(Type::Size(n)))
}

fn rec(fields: &[(&str, Type)]) -> Type {
    Type::Struct(
        fields
            .iter()
            .map(|(n, t)| Field {
                name: n.to_string(),
                offset: u32::MAX,
                ty: t.clone(),
            })
            .collect(),
    )
}

fn var(ctors: &[(&str, u32, Type)]) -> Type {
    Type::Variant(
        ctors
            .iter()
            .map(|(n, id, t)| Ctor {
                name: n.to_string(),
                id: *id,
                ty: t.clone(),
            })
            .collect(),
    )
}

fn string(s: &str) -> Value {
    Value::Chars {
        bytes: s.as_bytes().to_vec(),
        fixed: false,
    }
}

fn record(fields: Vec<(&str, Value)>) -> Value {
    Value::Record(
        fields
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect(),
    )
}

fn variant(ctor: &str, tag: u32, v: Value) -> Value {
    Value::Variant {
        ctor: ctor.into(),
        tag,
        value: Box::new(v),
    }
}

/// The packed (producer) encoding of `v` of type `ty`.
fn pack(ty: &Type, v: &Value, out: &mut Vec<u8>) {
    match (ty, v) {
        (Type::Prim(_, Some(rep)), v) => pack(rep, v, out),
        (_, Value::Unit) => {}
        (_, Value::Bool(b)) => out.push(u8::from(*b)),
        (_, Value::Byte(b) | Value::Char(b)) => out.push(*b),
        (_, Value::Short(x)) => out.extend(x.to_le_bytes()),
        (_, Value::Int(x)) => out.extend(x.to_le_bytes()),
        (_, Value::Long(x)) => out.extend(x.to_le_bytes()),
        (_, Value::Int128(x)) => out.extend(x.to_le_bytes()),
        (_, Value::Float(x)) => out.extend(x.to_le_bytes()),
        (_, Value::Double(x)) => out.extend(x.to_le_bytes()),
        (Type::Array(_), Value::Chars { bytes, .. }) => {
            out.extend((bytes.len() as u64).to_le_bytes());
            out.extend(bytes);
        }
        (Type::FixedArray(..), Value::Chars { bytes, .. }) => out.extend(bytes),
        (Type::Array(e), Value::Array(items)) => {
            out.extend((items.len() as u64).to_le_bytes());
            items.iter().for_each(|i| pack(e, i, out));
        }
        (Type::FixedArray(e, _), Value::Array(items)) => items.iter().for_each(|i| pack(e, i, out)),
        (Type::Struct(fields), Value::Record(vs)) => {
            for (f, (_, v)) in fields.iter().zip(vs) {
                pack(&f.ty, v, out);
            }
        }
        (Type::Variant(ctors), Value::Variant { tag, value, .. }) => {
            out.extend(tag.to_le_bytes());
            let c = ctors.iter().find(|c| c.id == *tag).unwrap();
            pack(&c.ty, value, out);
        }
        (Type::App(_, args), Value::Variant { tag, .. }) => {
            let n = hog_core::types::fixed_size(&args[0]).unwrap();
            out.extend(&u64::from(*tag).to_le_bytes()[..n]);
        }
        other => panic!("cannot pack {other:?}"),
    }
}

/// Stores `values` of wire type `wire` in a series with batches of
/// `capacity` in a file of `page`-byte pages, reads them back.
fn round_trip(wire: &Type, values: &[Value], capacity: u64, page: u64) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rt.db");
    let plan = RecordPlan::new(wire).unwrap_or_else(|e| panic!("{wire}: {e}"));
    let mut w = Writer::create(&path, page).unwrap();
    let mut s = SeriesAppender::create(&mut w, "x", plan.stored(), capacity).unwrap();
    let mut bytes = Vec::new();
    for v in values {
        bytes.clear();
        pack(wire, v, &mut bytes);
        assert_eq!(&Value::decode(wire, &bytes).unwrap(), v, "packing {wire}");
        let slot = s.next_slot(&mut w).unwrap();
        assert_eq!(plan.store(&bytes, &mut w, slot).unwrap(), bytes.len());
        s.publish(&mut w);
    }
    w.finish().unwrap();
    let r = Reader::open(&path).unwrap();
    let series = r.series("x").unwrap();
    assert_eq!(series.len().unwrap(), values.len() as u64);
    series.iter().map(|v| v.unwrap().1).collect()
}

/// Codes `values` of wire type `wire` into a compressed series with
/// batches of `capacity`; reads them back as a killed writer leaves them
/// (last batch open) and after closing.
fn compressed_round_trip(wire: &Type, values: &[Value], capacity: u64) -> [Vec<Value>; 2] {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("z.db");
    let ty = cseq_type(wire, capacity).unwrap_or_else(|e| panic!("{wire}: {e}"));
    let mut w = Writer::create(&path, 4096).unwrap();
    let mut s = CSeqAppender::create(&mut w, "x", &ty).unwrap();
    let mut bytes = Vec::new();
    for v in values {
        bytes.clear();
        pack(wire, v, &mut bytes);
        assert_eq!(s.append(&mut w, &bytes).unwrap(), bytes.len(), "{wire}");
    }
    let read = |bytes: Vec<u8>| -> Vec<Value> {
        let r = Reader::new(bytes).unwrap();
        let series = r.compressed("x").unwrap();
        assert_eq!(series.len().unwrap(), values.len() as u64);
        series.iter().map(|v| v.unwrap()).collect()
    };
    let open = read(w.bytes().to_vec());
    s.finish(&mut w).unwrap();
    w.finish().unwrap();
    [open, read(std::fs::read(&path).unwrap())]
}

fn check(wire: Type, values: Vec<Value>) {
    let back = round_trip(&wire, &values, 3, 4096);
    assert_eq!(back, values, "{wire}");
    for back in compressed_round_trip(&wire, &values, 3) {
        assert_eq!(back, values, "{wire} compressed");
    }
}

#[test]
fn primitives_and_aliases() {
    check(prim("unit"), vec![Value::Unit, Value::Unit]);
    check(prim("bool"), vec![Value::Bool(true), Value::Bool(false)]);
    check(prim("byte"), vec![Value::Byte(0), Value::Byte(255)]);
    check(prim("char"), vec![Value::Char(b'x')]);
    check(
        prim("short"),
        vec![Value::Short(-2), Value::Short(i16::MAX)],
    );
    check(prim("int"), (0..10).map(|i| Value::Int(i * -7)).collect());
    check(prim("long"), vec![Value::Long(i64::MIN), Value::Long(1)]);
    check(
        prim("int128"),
        vec![Value::Int128((1 << 100) + 7), Value::Int128(-1)],
    );
    check(prim("float"), vec![Value::Float(-0.1)]);
    check(
        prim("double"),
        vec![Value::Double(2.5e-300), Value::Double(f64::MAX)],
    );
    check(layout::datetime(), vec![Value::Long(1_700_000_000_000_000)]);
    check(
        Type::Prim("timespan".into(), Some(Box::new(prim("long")))),
        vec![Value::Long(5)],
    );
}

#[test]
fn strings_and_arrays_nested() {
    check(
        arr(prim("char")),
        vec![string("hello, hog"), string(""), string("héllo ✓")],
    );
    check(
        arr(prim("int")),
        vec![
            Value::Array(vec![]),
            Value::Array((0..1000).map(Value::Int).collect()),
        ],
    );
    check(
        arr(arr(prim("char"))),
        vec![
            Value::Array(vec![string("a"), string(""), string("ccc")]),
            Value::Array(vec![]),
        ],
    );
    check(
        arr(prim("bool")),
        vec![Value::Array(vec![Value::Bool(true), Value::Bool(false)])],
    );
    check(arr(prim("unit")), vec![Value::Array(vec![Value::Unit; 3])]);
    let p3 = rec(&[("x", prim("int")), ("y", prim("int")), ("z", prim("int"))]);
    let p = |i: i32| {
        record(vec![
            ("x", Value::Int(i)),
            ("y", Value::Int(2 * i)),
            ("z", Value::Int(3 * i)),
        ])
    };
    check(arr(p3), vec![Value::Array((0..5).map(p).collect())]);
    let padded = rec(&[
        ("b", prim("byte")),
        ("s", arr(prim("char"))),
        ("l", prim("long")),
    ]);
    check(
        arr(padded),
        vec![Value::Array(vec![
            record(vec![
                ("b", Value::Byte(1)),
                ("s", string("x")),
                ("l", Value::Long(-1)),
            ]),
            record(vec![
                ("b", Value::Byte(2)),
                ("s", string("")),
                ("l", Value::Long(7)),
            ]),
        ])],
    );
}

#[test]
fn fixed_arrays_flat_padded_and_of_strings() {
    check(
        farr(prim("short"), 4),
        vec![Value::Array((1..5).map(Value::Short).collect())],
    );
    check(
        farr(prim("char"), 4),
        vec![Value::Chars {
            bytes: b"lit\0".to_vec(),
            fixed: true,
        }],
    );
    check(
        farr(arr(prim("char")), 2),
        vec![Value::Array(vec![string("a"), string("bb")])],
    );
    // Long enough not to be unrolled, with padding in every element.
    let el = rec(&[("b", prim("byte")), ("l", prim("long"))]);
    let item = |i: i64| record(vec![("b", Value::Byte(i as u8)), ("l", Value::Long(i))]);
    check(
        farr(el, 100),
        vec![Value::Array((0..100).map(item).collect())],
    );
}

#[test]
fn records_tuples_variants_enums_and_packed_enums() {
    let t = rec(&[
        (".f0", prim("byte")),
        (".f1", prim("long")),
        (".f2", prim("double")),
    ]);
    check(
        t,
        vec![record(vec![
            (".f0", Value::Byte(7)),
            (".f1", Value::Long(-5)),
            (".f2", Value::Double(0.5)),
        ])],
    );
    let nested = rec(&[
        ("id", prim("int")),
        (
            "inner",
            rec(&[("code", prim("short")), ("label", arr(prim("char")))]),
        ),
        ("score", prim("double")),
    ]);
    check(
        nested,
        vec![record(vec![
            ("id", Value::Int(1)),
            (
                "inner",
                record(vec![("code", Value::Short(3)), ("label", string("in"))]),
            ),
            ("score", Value::Double(9.5)),
        ])],
    );
    let p3 = rec(&[("x", prim("int")), ("y", prim("int")), ("z", prim("int"))]);
    let shape = var(&[
        ("circle", 0, prim("double")),
        ("rect", 1, p3),
        ("label", 2, arr(prim("char"))),
    ]);
    check(
        shape,
        vec![
            variant("circle", 0, Value::Double(1.5)),
            variant(
                "rect",
                1,
                record(vec![
                    ("x", Value::Int(1)),
                    ("y", Value::Int(2)),
                    ("z", Value::Int(3)),
                ]),
            ),
            variant("label", 2, string("lbl")),
        ],
    );
    let color = var(&[
        ("Red", 0, prim("unit")),
        ("Green", 1, prim("unit")),
        ("Blue", 7, prim("unit")),
    ]);
    check(
        color.clone(),
        vec![
            variant("Blue", 7, Value::Unit),
            variant("Red", 0, Value::Unit),
        ],
    );
    let maybe = var(&[(".f0", 0, prim("unit")), (".f1", 1, prim("int128"))]);
    check(
        maybe,
        vec![
            variant(".f0", 0, Value::Unit),
            variant(".f1", 1, Value::Int128(-3)),
        ],
    );
    let penum = Type::App(
        Box::new(Type::Prim(
            "penum".into(),
            Some(Box::new(Type::Abs(
                vec!["r".into(), "v".into()],
                Box::new(Type::Var("r".into())),
            ))),
        )),
        vec![
            prim("byte"),
            var(&[("Buy", 0, prim("unit")), ("Sell", 1, prim("unit"))]),
        ],
    );
    check(
        penum,
        vec![
            variant("Sell", 1, Value::Unit),
            variant("Buy", 0, Value::Unit),
        ],
    );
    check(
        arr(color),
        vec![Value::Array(vec![
            variant("Green", 1, Value::Unit),
            variant("Blue", 7, Value::Unit),
        ])],
    );
}

#[test]
fn many_batches_and_long_page_table_chains_read_back_in_order() {
    // 256-byte pages: a table page holds at most 124 descriptors, so this
    // file has a long chain of them, some placed after multi-page batches.
    let values: Vec<Value> = (0..30_000).map(Value::Long).collect();
    let back = round_trip(&prim("long"), &values, 1_000, 256);
    assert_eq!(back, values);
    let strings: Vec<Value> = (0..3_000).map(|i| string(&"s".repeat(i % 300))).collect();
    let back = round_trip(&arr(prim("char")), &strings, 7, 256);
    assert_eq!(back, strings);
}

#[test]
fn records_of_fixed_layout_are_stored_with_one_copy() {
    let p3 = rec(&[("x", prim("int")), ("y", prim("int")), ("z", prim("int"))]);
    assert!(RecordPlan::new(&p3).unwrap().is_flat());
    assert!(RecordPlan::new(&prim("long")).unwrap().is_flat());
    assert!(RecordPlan::new(&farr(prim("double"), 2)).unwrap().is_flat());
    let padded = rec(&[("b", prim("byte")), ("l", prim("long"))]);
    assert!(!RecordPlan::new(&padded).unwrap().is_flat());
    assert!(!RecordPlan::new(&arr(prim("char"))).unwrap().is_flat());
}

#[test]
fn a_reopened_file_continues_its_page_table_past_what_a_killed_writer_left() {
    use hog_core::fregion::SeriesType;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("re.db");
    let mut w = Writer::create(&path, 256).unwrap();
    let mut s = SeriesAppender::create(&mut w, "x", &prim("long"), 10).unwrap();
    let put = |w: &mut Writer, s: &mut SeriesAppender, v: i64| {
        let slot = s.next_slot(w).unwrap();
        w.write(slot, &v.to_le_bytes());
        s.publish(w);
    };
    for v in 0..1_000 {
        put(&mut w, &mut s, v);
    }
    drop(w); // as if killed: the file is longer than its table
             // Leftovers of a writer killed while adding pages: descriptors after
             // the terminator and a link to a page that was never published.
    let mut bytes = std::fs::read(&path).unwrap();
    let table = Reader::new(bytes.clone()).unwrap().page_table().clone();
    let last = *table.toc_pages.last().unwrap();
    let (chain, byte) = hog_core::fregion::toc::descriptor_slot(256, table.len());
    assert_eq!(chain + 1, table.toc_pages.len());
    let at = (last * 256 + byte) as usize;
    bytes[at + 2..at + 4].copy_from_slice(&0xC000u16.to_le_bytes());
    let link = (last * 256 + 248) as usize;
    bytes[link..link + 8].copy_from_slice(&9_999u64.to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();

    let mut w = Writer::open(&path).unwrap();
    assert_eq!(
        &w.bytes()[at + 2..at + 4],
        [0, 0],
        "stale descriptor cleared"
    );
    assert_eq!(&w.bytes()[link..link + 8], [0; 8], "stale link cleared");
    let b = w.binding("x").unwrap().clone();
    let ty = SeriesType::of(b.ty.as_ref().unwrap()).unwrap().unwrap();
    let mut s = SeriesAppender::open(&mut w, b.offset, ty).unwrap();
    for v in 1_000..3_000 {
        put(&mut w, &mut s, v);
    }
    w.finish().unwrap();
    let r = Reader::open(&path).unwrap();
    let values: Vec<Value> = r
        .series("x")
        .unwrap()
        .iter()
        .map(|v| v.unwrap().1)
        .collect();
    assert_eq!(values, (0..3_000).map(Value::Long).collect::<Vec<_>>());
    assert!(r.page_table().toc_pages.len() > table.toc_pages.len());
}

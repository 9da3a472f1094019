//! Hostile input to every decoder of outside bytes: type descriptions,
//! values, statement tables, meta blocks, whole regions, ring footers and
//! registration messages. Each must be refused with an error that says what
//! was wrong and where, without panicking, looping or allocating more than
//! the input justifies.
//!
//! Regions are built by patching private copies of the golden regions of
//! `testdata/hobbes/shm` (offsets per §3.2 of the hstore protocol).
//! Tests marked `#[ignore = "... finding: ..."]` reproduce bugs found by
//! fuzzing or review that are not fixed yet: they fail until hog-core is.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::PathBuf;

use hog_core::hstore::registration::Registration;
use hog_core::hstore::{Drain, DrainError, Meta, MetaError, Region, RegionError, Stop, WaitPolicy};
use hog_core::pipeline::Batch;
use hog_core::plugin::Statement;
use hog_core::types::{value_len, DecodeError, StatementTable, TableError, Type, Value};

// ---------------------------------------------------------------------------
// Allocation accounting: a global allocator that tracks, per thread, the
// bytes live and their peak, so a test can bound what a decoder allocates.

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(delta: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is forwarded to the system allocator unchanged; the
// bookkeeping only touches const-initialised thread-locals, which never
// allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        System.dealloc(p, layout);
        note(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = System.realloc(p, layout, new_size);
        if !q.is_null() {
            note(new_size as isize - layout.size() as isize);
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f`, returning its result and the most bytes it had allocated at
/// once on this thread (beyond what was live before).
fn peak_alloc<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let r = f();
    let peak = PEAK.with(Cell::get);
    (r, (peak - start).max(0) as usize)
}

// ---------------------------------------------------------------------------
// Type descriptions and values, byte by byte (§7, §8).

fn u32le(v: u32) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

fn u64le(v: u64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn string(s: &str) -> Vec<u8> {
    cat(&[&u64le(s.len() as u64), s.as_bytes()])
}

fn prim(name: &str) -> Vec<u8> {
    cat(&[&u32le(0), &string(name), &[0]])
}

fn array(elem: &[u8]) -> Vec<u8> {
    cat(&[&u32le(5), elem])
}

fn fixed_array(elem: &[u8], n: u64) -> Vec<u8> {
    cat(&[&u32le(4), elem, &u32le(11), &u64le(n)])
}

fn variant(ctors: &[(&str, u32, Vec<u8>)]) -> Vec<u8> {
    let mut out = cat(&[&u32le(6), &u64le(ctors.len() as u64)]);
    for (name, id, ty) in ctors {
        out.extend(cat(&[&string(name), &u32le(*id), ty]));
    }
    out
}

fn record(fields: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = cat(&[&u32le(7), &u64le(fields.len() as u64)]);
    for (name, ty) in fields {
        out.extend(cat(&[&string(name), &u32le(u32::MAX), ty]));
    }
    out
}

/// `penum(rep, |ctors|)` as storage.H encodes it.
fn penum(rep: &[u8], ctors: &[(&str, u32)]) -> Vec<u8> {
    let abs = cat(&[
        &u32le(15),
        &u64le(2),
        &string("r"),
        &string("v"),
        &u32le(2),
        &string("r"),
    ]);
    let f = cat(&[&u32le(0), &string("penum"), &[1], &abs]);
    let units: Vec<_> = ctors
        .iter()
        .map(|(n, id)| (*n, *id, prim("unit")))
        .collect();
    cat(&[&u32le(12), &f, &u64le(2), rep, &variant(&units)])
}

fn ty(bytes: &[u8]) -> Type {
    Type::decode(bytes).unwrap_or_else(|e| panic!("test type does not decode: {e}"))
}

#[track_caller]
fn assert_decode_err(e: &DecodeError, offset: usize, what: &str) {
    assert_eq!(e.offset, offset, "offset of {e}");
    assert!(e.what.contains(what), "{e:?} does not say {what:?}");
}

#[test]
fn type_tags_that_name_no_kind_are_refused_where_they_are() {
    for tag in [1, 3, 8, 9, 10, 14, 16, 0x100, u32::MAX] {
        let e = Type::decode(&u32le(tag)).unwrap_err();
        assert_decode_err(&e, 0, &format!("invalid type tag {tag}"));
        // Nested: inside an array, a struct field, a variant, a type argument.
        let e = Type::decode(&array(&u32le(tag))).unwrap_err();
        assert_decode_err(&e, 4, &format!("invalid type tag {tag}"));
        let bad = record(&[("a", prim("int")), ("b", u32le(tag))]);
        let e = Type::decode(&bad).unwrap_err();
        let at = bad.len() - 4;
        assert_decode_err(&e, at, &format!("invalid type tag {tag}"));
        let bad = variant(&[("A", 0, u32le(tag))]);
        let e = Type::decode(&bad).unwrap_err();
        assert_decode_err(&e, bad.len() - 4, "invalid type tag");
    }
    let e = Type::decode(&[0, 0, 0]).unwrap_err();
    assert_decode_err(&e, 0, "type tag: needs 4 bytes, only 3 left");
}

#[test]
fn type_strings_and_counts_past_the_end_are_refused_before_allocating() {
    // A primitive whose name claims more bytes than there are.
    let bad = cat(&[&u32le(0), &u64le(4), b"int"]);
    let e = Type::decode(&bad).unwrap_err();
    assert_decode_err(
        &e,
        4,
        "primitive name: count 4 does not fit in the 3 bytes left",
    );
    for n in [u64::MAX, 1 << 60, u64::MAX / 16 + 1] {
        let (r, peak) = peak_alloc(|| Type::decode(&cat(&[&u32le(0), &u64le(n), b"int\0"])));
        assert_decode_err(&r.unwrap_err(), 4, &format!("primitive name: count {n}"));
        assert!(peak < 4096, "{peak} bytes allocated");
        for (tag, what) in [
            (6, "constructor count"),
            (7, "field count"),
            (15, "type parameter count"),
        ] {
            let (r, peak) = peak_alloc(|| Type::decode(&cat(&[&u32le(tag), &u64le(n), &[0; 12]])));
            assert_decode_err(
                &r.unwrap_err(),
                4,
                &format!("{what}: count {n} does not fit"),
            );
            assert!(peak < 4096, "{peak} bytes allocated");
        }
        let e = Type::decode(&cat(&[&u32le(12), &prim("f"), &u64le(n)])).unwrap_err();
        assert_decode_err(&e, 4 + prim("f").len(), "type argument count");
    }
    // Just too many: two fields claimed, room for one.
    let one = record(&[("a", prim("int"))]);
    let mut two = one.clone();
    two[4..12].copy_from_slice(&u64le(2));
    let e = Type::decode(&two).unwrap_err();
    assert_decode_err(&e, 4, "field count: count 2 does not fit");
    // A bad has-representation flag, and a representation that is missing.
    let e = Type::decode(&cat(&[&u32le(0), &string("int"), &[2]])).unwrap_err();
    assert_decode_err(&e, 16, "bad has-representation flag 2");
    let e = Type::decode(&cat(&[&u32le(0), &string("dt"), &[1]])).unwrap_err();
    assert_decode_err(&e, 15, "type tag: needs 4 bytes, only 0 left");
    // Trailing bytes.
    let e = Type::decode(&cat(&[&prim("int"), &[0, 0]])).unwrap_err();
    assert_decode_err(&e, 16, "2 bytes after the end of the type description");
}

#[test]
fn very_deep_types_are_refused_without_exhausting_the_stack() {
    for wrap in [array as fn(&[u8]) -> Vec<u8>, |t: &[u8]| {
        record(&[("a", t.to_vec())])
    }] {
        let mut t = prim("int");
        for _ in 0..100 {
            t = wrap(&t);
        }
        let e = Type::decode(&t).unwrap_err();
        assert!(e.what.contains("nested deeper than 64"), "{e}");
    }
    // 64 levels are fine.
    let mut t = prim("int");
    for _ in 0..64 {
        t = array(&t);
    }
    assert!(Type::decode(&t).is_ok());
}

#[test]
fn arrays_claiming_huge_counts_fail_fast_without_allocating() {
    // [int] claiming 2^60 elements in a 20-byte input.
    let ints = ty(&array(&prim("int")));
    let input = cat(&[&u64le(1 << 60), &[7; 12]]);
    assert_eq!(input.len(), 20);
    let (r, peak) = peak_alloc(|| Value::decode(&ints, &input));
    assert_decode_err(
        &r.unwrap_err(),
        0,
        "array length: count 1152921504606846976 does not fit in the 12 bytes left",
    );
    assert!(peak < 4096, "{peak} bytes allocated");
    let (r, peak) = peak_alloc(|| value_len(&ints, &input));
    assert_decode_err(&r.unwrap_err(), 0, "array length: count");
    assert!(peak < 4096, "{peak} bytes allocated");

    // Just too many: 4 ints claimed, 3 present.
    let e = Value::decode(&ints, &cat(&[&u64le(4), &[0; 12]])).unwrap_err();
    assert_decode_err(
        &e,
        0,
        "array length: count 4 does not fit in the 12 bytes left",
    );

    // Strings, arrays of strings, arrays of non-fixed records, nested.
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (array(&prim("char")), "string: count"),
        (array(&array(&prim("char"))), "array length: count"),
        (
            array(&record(&[("s", array(&prim("char"))), ("n", prim("int"))])),
            "array length: count",
        ),
        (array(&array(&prim("double"))), "array length: count"),
    ];
    for (desc, what) in cases {
        let t = ty(&desc);
        for n in [u64::MAX, 1 << 60, 13] {
            let input = cat(&[&u64le(n), &[0; 12]]);
            let (r, peak) = peak_alloc(|| Value::decode(&t, &input));
            assert_decode_err(&r.unwrap_err(), 0, what);
            assert!(peak < 4096, "{t}: {peak} bytes allocated for count {n}");
        }
    }
    // The inner array's count is wrong: the error names its offset.
    let t = ty(&array(&array(&prim("int"))));
    let input = cat(&[&u64le(2), &u64le(1), &u32le(5), &u64le(1 << 62), &[0; 4]]);
    let e = Value::decode(&t, &input).unwrap_err();
    assert_decode_err(&e, 20, "array length: count 4611686018427387904");
}

#[test]
fn fixed_arrays_longer_than_the_input_are_refused_up_front() {
    let t = ty(&fixed_array(&prim("int"), 1 << 60));
    let (r, peak) = peak_alloc(|| Value::decode(&t, &[0; 20]));
    assert_decode_err(
        &r.unwrap_err(),
        0,
        "fixed array of 1152921504606846976 does not fit",
    );
    assert!(peak < 4096, "{peak} bytes allocated");
    // value_len knows the fixed size without reading anything.
    let e = value_len(&t, &[0; 20]).unwrap_err();
    assert_decode_err(&e, 0, "needs 4611686018427387904 bytes, only 20 left");
    let t = ty(&fixed_array(&prim("char"), u64::MAX));
    let (r, peak) = peak_alloc(|| Value::decode(&t, &[0; 20]));
    assert_decode_err(&r.unwrap_err(), 0, "fixed char array: needs");
    assert!(peak < 4096, "{peak} bytes allocated");
    // Non-fixed elements: each takes at least a byte.
    let t = ty(&fixed_array(&array(&prim("char")), 1 << 40));
    let (r, peak) = peak_alloc(|| Value::decode(&t, &[0; 20]));
    assert_decode_err(&r.unwrap_err(), 0, "does not fit");
    assert!(peak < 4096, "{peak} bytes allocated");
    // A length that is not a size.
    let t = ty(&cat(&[&u32le(4), &prim("int"), &prim("int")]));
    let e = Value::decode(&t, &[0; 4]).unwrap_err();
    assert_decode_err(&e, 0, "fixed array length int is not a size");
}

#[test]
fn empty_elements_are_capped() {
    let units = ty(&array(&prim("unit")));
    let v = Value::decode(&units, &u64le(1 << 16)).unwrap();
    assert!(matches!(v, Value::Array(ref items) if items.len() == 1 << 16));
    let e = Value::decode(&units, &u64le((1 << 16) + 1)).unwrap_err();
    assert_decode_err(
        &e,
        0,
        "65537 zero-sized elements exceed the limit of 65536 per value",
    );
    let (r, peak) = peak_alloc(|| Value::decode(&units, &u64le(u64::MAX)));
    assert!(r.is_err());
    assert!(peak < 4096, "{peak} bytes allocated");
}

#[test]
fn variant_tags_that_name_no_constructor_are_refused_where_they_are() {
    let v = ty(&variant(&[
        ("I", 0, prim("int")),
        ("D", 1, prim("double")),
        ("S", 2, array(&prim("char"))),
    ]));
    for tag in [3, 7, u32::MAX] {
        let e = Value::decode(&v, &cat(&[&u32le(tag), &[0; 8]])).unwrap_err();
        assert_decode_err(&e, 0, &format!("variant tag {tag} names no constructor"));
        let e = value_len(&v, &cat(&[&u32le(tag), &[0; 8]])).unwrap_err();
        assert_decode_err(&e, 0, &format!("variant tag {tag} names no constructor"));
    }
    // Inside a record, after an int.
    let r = ty(&record(&[
        ("n", prim("int")),
        ("v", variant(&[("A", 5, prim("unit"))])),
    ]));
    let e = Value::decode(&r, &cat(&[&u32le(1), &u32le(4)])).unwrap_err();
    assert_decode_err(&e, 4, "variant tag 4 names no constructor");
    assert!(Value::decode(&r, &cat(&[&u32le(1), &u32le(5)])).is_ok());
    // A variant with no constructor at all.
    let empty = ty(&variant(&[]));
    let e = Value::decode(&empty, &u32le(0)).unwrap_err();
    assert_decode_err(&e, 0, "variant tag 0 names no constructor");
    // Packed enums: the value is checked too.
    let p = ty(&penum(&prim("byte"), &[("Buy", 0), ("Sell", 1)]));
    assert_eq!(p.to_string(), "penum(byte, |Buy:(), Sell:()|)");
    assert!(Value::decode(&p, &[1]).is_ok());
    let e = Value::decode(&p, &[7]).unwrap_err();
    assert_decode_err(&e, 0, "packed enum value 7 names no constructor");
    let p = ty(&penum(&prim("long"), &[("A", 0)]));
    let e = Value::decode(&p, &u64le(1 << 40)).unwrap_err();
    assert!(e.what.contains("packed enum value out of range"), "{e}");
    let p = ty(&penum(&prim("int128"), &[("A", 0)]));
    let e = Value::decode(&p, &[0; 16]).unwrap_err();
    assert!(e.what.contains("is not an integer"), "{e}");
}

#[test]
fn values_of_unstorable_or_unknown_types_are_refused() {
    for (desc, what) in [
        (prim("quaternion"), "unknown primitive type 'quaternion'"),
        (cat(&[&u32le(2), &string("a")]), "cannot be stored"),
        (cat(&[&u32le(11), &u64le(3)]), "cannot be stored"),
        (
            cat(&[&u32le(13), &string("x"), &prim("int")]),
            "cannot be stored",
        ),
        (
            cat(&[&u32le(12), &prim("list"), &u64le(1), &prim("int")]),
            "unsupported type application",
        ),
    ] {
        let e = Value::decode(&ty(&desc), &[0; 16]).unwrap_err();
        assert_decode_err(&e, 0, what);
    }
    // Truncated and trailing bytes.
    let t = ty(&record(&[("a", prim("long")), ("b", prim("int"))]));
    let e = Value::decode(&t, &[0; 11]).unwrap_err();
    assert_decode_err(&e, 8, "int: needs 4 bytes, only 3 left");
    let e = Value::decode(&t, &[0; 13]).unwrap_err();
    assert_decode_err(&e, 12, "1 bytes after the value");
}

#[test]
fn decoded_garbage_converts_to_json() {
    // NaN, infinities and invalid UTF-8 are representable.
    let t = ty(&record(&[
        ("f", prim("float")),
        ("d", prim("double")),
        ("s", array(&prim("char"))),
        ("c", fixed_array(&prim("char"), 2)),
    ]));
    let input = cat(&[
        &f32::NAN.to_le_bytes(),
        &f64::NEG_INFINITY.to_le_bytes(),
        &u64le(2),
        &[0xff, 0xfe],
        &[0x80, 0],
    ]);
    let json = Value::decode(&t, &input).unwrap().to_json();
    assert_eq!(json["f"], "NaN");
    assert_eq!(json["d"], "-inf");
    assert_eq!(json["s"], "\u{fffd}\u{fffd}");
}

// ---------------------------------------------------------------------------
// Statement tables and transactions.

fn statement(id: u32, name: &str, desc: &[u8]) -> Statement {
    Statement {
        id,
        name: name.into(),
        flags: 0,
        format: "".into(),
        file: "producer.C".into(),
        line: 1,
        type_desc: desc.to_vec().into(),
    }
}

#[test]
fn statement_ids_out_of_range_or_twice_are_refused() {
    let int = prim("int");
    match StatementTable::new(&[statement(65536, "big", &int)]) {
        Err(TableError::Id { name, id, why }) => {
            assert_eq!((name.as_str(), id, why), ("big", 65536, "too large"));
        }
        other => panic!("{other:?}"),
    }
    let e = StatementTable::new(&[statement(u32::MAX, "max", &int)]).unwrap_err();
    assert_eq!(e.to_string(), "statement 'max': id 4294967295 is too large");
    // The largest id accepted costs one table of 65536 entries, bounded.
    let (t, peak) = peak_alloc(|| StatementTable::new(&[statement(65535, "last", &int)]));
    assert!(t.unwrap().get(65535).is_some());
    assert!(peak < 64 << 20, "{peak} bytes allocated");
    let e = StatementTable::new(&[statement(3, "a", &int), statement(3, "b", &int)]).unwrap_err();
    assert_eq!(e.to_string(), "statement 'b': id 3 is used twice");
}

#[test]
fn statement_types_that_do_not_decode_name_the_statement() {
    let bad = array(&u32le(9));
    match StatementTable::new(&[statement(0, "ok", &prim("int")), statement(1, "bad", &bad)]) {
        Err(TableError::Type { name, id, source }) => {
            assert_eq!((name.as_str(), id), ("bad", 1));
            assert_decode_err(&source, 4, "invalid type tag 9");
        }
        other => panic!("{other:?}"),
    }
    let e = StatementTable::new(&[statement(0, "empty", &[])]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "statement 'empty' (id 0): type description at byte 0: type tag: needs 4 bytes, only 0 left"
    );
}

#[test]
fn records_naming_no_statement_or_cut_short_end_the_transaction() {
    let table = StatementTable::new(&[
        statement(0, "n", &prim("int")),
        statement(2, "s", &array(&prim("char"))),
    ])
    .unwrap();
    let ok = cat(&[&u32le(0), &u32le(42)]);
    // Id 1 is a hole in the table, 7 and u32::MAX past its end.
    for id in [1, 7, 65536, u32::MAX] {
        let txn = cat(&[&ok, &u32le(id), &u32le(0), &ok]);
        let records: Vec<_> = table.records(&txn).collect();
        assert_eq!(records.len(), 2, "stops at the first bad record");
        assert_eq!(records[0].as_ref().unwrap().payload, &u32le(42)[..]);
        let e = records[1].as_ref().unwrap_err();
        assert_decode_err(e, 8, &format!("record id {id} names no statement"));
    }
    // Trailing bytes that are not an id.
    let txn = cat(&[&ok, &[1, 0]]);
    let records: Vec<_> = table.records(&txn).collect();
    assert_decode_err(
        records[1].as_ref().unwrap_err(),
        8,
        "2 trailing bytes are not a record id",
    );
    // A fixed payload cut short, and a string whose length runs past the end.
    let txn = cat(&[&u32le(0), &[1, 2]]);
    let e = table.records(&txn).next().unwrap().unwrap_err();
    assert_decode_err(
        &e,
        0,
        "record of 'n' at byte 4: value of type int needs 4 bytes",
    );
    let txn = cat(&[&ok, &u32le(2), &u64le(u64::MAX), b"abc"]);
    let records: Vec<_> = table.records(&txn).collect();
    assert_eq!(records.len(), 2);
    assert_decode_err(
        records[1].as_ref().unwrap_err(),
        8,
        "record of 's' at byte 12: string: count 18446744073709551615 does not fit in the 3 bytes left",
    );
    // An empty transaction has no records.
    assert_eq!(table.records(&[]).count(), 0);
}

// ---------------------------------------------------------------------------
// Meta blocks (§6).

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/hobbes/shm")
}

const GOLDEN: [&str; 6] = [
    "auto_reliable_alltypes",
    "auto_tuple_with_string",
    "manual_commit_rollback",
    "manual_unreliable_overflow",
    "ri_mid_transaction",
    "ring_wrapped",
];

/// The small golden region every patch starts from: 11 slots of 4096
/// bytes, ring header at 4096, ri 0, wi 1, slot 0 COMMIT with 42 bytes.
const SMALL: &str = "auto_tuple_with_string";

fn golden(name: &str) -> Vec<u8> {
    std::fs::read(testdata().join(format!("{name}.shm"))).expect("golden region")
}

fn get_u64(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
}

fn put_u32(bytes: &mut [u8], at: usize, v: u32) {
    bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn put_u64(bytes: &mut [u8], at: usize, v: u64) {
    bytes[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

fn meta_of(region: &[u8]) -> Vec<u8> {
    let metasz = get_u64(region, 24) as usize;
    region[32..32 + metasz].to_vec()
}

/// Where the fields of one statement of a meta block are.
#[derive(Debug, Clone, Copy)]
struct StatementAt {
    name: usize,
    format: usize,
    file: usize,
    id: usize,
    type_len: usize,
    type_desc: usize,
}

/// Walks a well-formed meta block, independently of the decoder.
fn statements_at(meta: &[u8]) -> Vec<StatementAt> {
    let n = u32::from_le_bytes(meta[12..16].try_into().unwrap());
    let mut at = 16;
    let string = |at: &mut usize| {
        let start = *at;
        *at += 8 + get_u64(meta, start) as usize;
        start
    };
    (0..n)
        .map(|_| {
            let name = string(&mut at);
            at += 8;
            let format = string(&mut at);
            let file = string(&mut at);
            let id = at + 4;
            at += 8;
            let type_len = string(&mut at);
            StatementAt {
                name,
                format,
                file,
                id,
                type_len,
                type_desc: type_len + 8,
            }
        })
        .collect()
}

#[track_caller]
fn meta_decode_err(meta: &[u8]) -> DecodeError {
    match Meta::parse(meta) {
        Err(MetaError::Decode(e)) => e,
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[test]
fn golden_meta_blocks_parse_and_their_statement_types_are_found() {
    for name in GOLDEN {
        let meta = meta_of(&golden(name));
        let parsed = Meta::parse(&meta).unwrap();
        let at = statements_at(&meta);
        assert_eq!(parsed.statements.len(), at.len());
        for (s, at) in parsed.statements.iter().zip(at) {
            assert_eq!(
                &meta[at.type_desc..at.type_desc + s.type_desc.len()],
                &s.type_desc[..]
            );
        }
    }
}

#[test]
fn meta_blocks_of_another_version_or_empty_are_refused() {
    let meta = meta_of(&golden(SMALL));
    for version in [0, 1, 0x0001_0000, 0x0002_0001, 0x0000_0200, u32::MAX] {
        let mut m = meta.clone();
        put_u32(&mut m, 0, version);
        assert_eq!(
            Meta::parse(&m).unwrap_err(),
            MetaError::Version { found: version }
        );
    }
    // metasz 0: what a group without statements writes.
    let e = meta_decode_err(&[]);
    assert_decode_err(&e, 0, "version: needs 4 bytes, only 0 left");
    for len in 1..16 {
        assert!(matches!(
            Meta::parse(&meta[..len]),
            Err(MetaError::Decode(_) | MetaError::Version { .. })
        ));
    }
}

#[test]
fn bogus_qos_and_commit_methods_are_refused() {
    let meta = meta_of(&golden(SMALL));
    for v in [2, 3, 0x100, u32::MAX] {
        let mut m = meta.clone();
        put_u32(&mut m, 4, v);
        // The offset is where the cursor stands: just after the field.
        assert_decode_err(
            &meta_decode_err(&m),
            8,
            &format!("qos {v} is neither 0 nor 1"),
        );
        let mut m = meta.clone();
        put_u32(&mut m, 8, v);
        assert_decode_err(
            &meta_decode_err(&m),
            12,
            &format!("commit method {v} is neither 0 nor 1"),
        );
    }
}

#[test]
fn statement_counts_too_big_for_the_block_are_refused_up_front() {
    let meta = meta_of(&golden(SMALL));
    assert_eq!(meta.len(), 342);
    // 326 bytes after the count hold at most 6 statements of 48 bytes.
    for n in [7, 1000, u32::MAX] {
        let mut m = meta.clone();
        put_u32(&mut m, 12, n);
        let (r, peak) = peak_alloc(|| Meta::parse(&m));
        match r {
            Err(MetaError::Decode(e)) => {
                assert_decode_err(&e, 16, &format!("{n} statements do not fit"))
            }
            other => panic!("{other:?}"),
        }
        assert!(peak < 4096, "{peak} bytes allocated");
    }
    // 3 fit the bound but the third is not there.
    let mut m = meta.clone();
    put_u32(&mut m, 12, 3);
    let e = meta_decode_err(&m);
    assert_decode_err(&e, 342, "statement name: needs 8 bytes, only 0 left");
}

#[test]
fn statement_strings_running_past_the_block_are_refused() {
    let meta = meta_of(&golden(SMALL));
    let at = statements_at(&meta);
    let second = at[1];
    for (what, offset) in [
        ("statement name", second.name),
        ("statement format", second.format),
        ("statement file", second.file),
        ("statement type", second.type_len),
    ] {
        let left = meta.len() - offset - 8;
        for len in [left as u64 + 1, 1 << 40, u64::MAX] {
            let mut m = meta.clone();
            put_u64(&mut m, offset, len);
            let e = meta_decode_err(&m);
            assert_decode_err(
                &e,
                offset,
                &format!("{what}: count {len} does not fit in the {left} bytes left"),
            );
        }
    }
    // The block cut one byte short of its last statement's type.
    let e = meta_decode_err(&meta[..meta.len() - 1]);
    let left = meta.len() - 1 - second.type_desc;
    assert_decode_err(
        &e,
        second.type_len,
        &format!("does not fit in the {left} bytes left"),
    );
}

#[test]
fn statements_with_bad_ids_or_types_are_refused_with_their_name() {
    let meta = meta_of(&golden(SMALL));
    let parsed = Meta::parse(&meta).unwrap();
    let names: Vec<_> = parsed
        .statements
        .iter()
        .map(|s| s.name.to_string())
        .collect();
    assert_eq!(names, ["t_pair_str", "t_tuple_str"]);
    let at = statements_at(&meta);

    // Both ids 0: the second in block order is the duplicate.
    let mut m = meta.clone();
    put_u32(&mut m, at[0].id, 0);
    assert_eq!(
        Meta::parse(&m).unwrap_err().to_string(),
        "meta block: statement 't_tuple_str': id 0 is used twice"
    );
    for id in [65536, 1 << 24, u32::MAX] {
        let mut m = meta.clone();
        put_u32(&mut m, at[1].id, id);
        match Meta::parse(&m) {
            Err(MetaError::Table(TableError::Id { name, id: got, why })) => {
                assert_eq!((name.as_str(), got, why), ("t_tuple_str", id, "too large"));
            }
            other => panic!("{other:?}"),
        }
    }
    // A bogus tag in the second field of t_tuple_str's type: (byte*[char]*long).
    let desc = &parsed.statements[1].type_desc;
    let field1 = 12 + (8 + 3 + 4) + prim("byte").len() + (8 + 3 + 4);
    assert_eq!(&desc[field1..field1 + 4], &u32le(5)[..]);
    let mut m = meta.clone();
    put_u32(&mut m, at[1].type_desc + field1, 77);
    assert_eq!(
        Meta::parse(&m).unwrap_err().to_string(),
        format!(
            "meta block: statement 't_tuple_str' (id 0): type description at byte {field1}: \
             invalid type tag 77"
        )
    );
}

#[test]
fn every_single_byte_corruption_of_golden_meta_blocks_is_handled() {
    for name in GOLDEN {
        let meta = meta_of(&golden(name));
        let mut refused = 0;
        for i in 0..meta.len() {
            for v in [0x00, 0xff, meta[i] ^ 0x01, meta[i] ^ 0x80, 0x07] {
                let mut m = meta.clone();
                m[i] = v;
                match Meta::parse(&m) {
                    Err(e) => {
                        refused += 1;
                        assert!(!e.to_string().is_empty());
                    }
                    // What still parses still decodes every type.
                    Ok(parsed) => {
                        for s in &parsed.statements {
                            let t = Type::decode(&s.type_desc).unwrap();
                            let _ = t.to_string();
                        }
                    }
                }
            }
        }
        assert!(refused > 0, "{name}");
    }
}

// ---------------------------------------------------------------------------
// Whole regions (§3).

/// Maps `bytes` as a region (from a private temporary file).
fn open(bytes: &[u8]) -> Result<Region, RegionError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("region");
    std::fs::write(&path, bytes).unwrap();
    Region::open(&path, "/Test.1.1")
}

#[track_caller]
fn invalid(bytes: &[u8]) -> String {
    match open(bytes) {
        Err(RegionError::Invalid { name, what }) => {
            assert_eq!(name, "/Test.1.1");
            what
        }
        Err(other) => panic!("expected an invalid header, got {other}"),
        Ok(_) => panic!("region accepted"),
    }
}

#[track_caller]
fn meta_error(bytes: &[u8]) -> MetaError {
    match open(bytes) {
        Err(RegionError::Meta { source, .. }) => source,
        Err(other) => panic!("expected a meta error, got {other}"),
        Ok(_) => panic!("region accepted"),
    }
}

#[test]
fn golden_regions_open() {
    for name in GOLDEN {
        let region = open(&golden(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(region.geometry().valsz, 4096);
    }
}

#[test]
fn regions_shorter_than_a_header_are_refused() {
    let g = golden(SMALL);
    for len in [0, 1, 4, 8, 31] {
        assert_eq!(
            invalid(&g[..len]),
            format!("{len} bytes is too small for a header (not ready)")
        );
    }
}

#[test]
fn regions_shorter_than_their_meta_block_or_slots_are_refused() {
    let g = golden(SMALL);
    assert_eq!(g.len(), 53248);
    for len in [32, 33, 32 + 341, 32 + 342, 4095] {
        assert_eq!(
            invalid(&g[..len]),
            format!("meta block of 342 bytes runs past the {len}-byte region")
        );
    }
    // The ring header fits, but not the 11 slots (the last one ends at 49168).
    for len in [4096, 4112, 4112 + 4096 * 5, 49167] {
        assert_eq!(
            invalid(&g[..len]),
            format!("11 slots of 4096 bytes at offset 4112 run past the {len}-byte region")
        );
    }
    assert!(open(&g[..49168]).is_ok());
}

#[test]
fn regions_not_ready_are_refused() {
    let mut g = golden(SMALL);
    put_u32(&mut g, 0, 0);
    assert_eq!(
        invalid(&g),
        "not ready (the producer has not finished creating it)"
    );
    // Any other value means ready (the C++ checks ready != 0).
    put_u32(&mut g, 0, 0xdead_beef);
    assert!(open(&g).is_ok());
}

#[test]
fn bad_slot_sizes_are_refused_without_overflow() {
    let g = golden(SMALL);
    for valsz in [
        0,
        4,
        6,
        4097,
        4094,
        (1 << 24) + 4,
        1 << 32,
        u64::MAX - 3,
        u64::MAX,
    ] {
        let mut r = g.clone();
        put_u64(&mut r, 8, valsz);
        assert_eq!(
            invalid(&r),
            format!("slot size {valsz} is not a multiple of 4 in 8..=16777216")
        );
    }
    // Allowed sizes whose slots do not fit in the file.
    for (valsz, count) in [(1 << 24, 11), (4468, 11)] {
        let mut r = g.clone();
        put_u64(&mut r, 8, valsz);
        assert_eq!(
            invalid(&r),
            format!("{count} slots of {valsz} bytes at offset 4112 run past the 53248-byte region")
        );
    }
    // The largest that fits: 4112 + 11 * 4464 = 53216.
    let mut r = g.clone();
    put_u64(&mut r, 8, 4464);
    assert!(open(&r).is_ok());
}

#[test]
fn bad_slot_counts_are_refused_without_overflow() {
    let g = golden(SMALL);
    for count in [0, 1, 1 << 32, u64::MAX] {
        let mut r = g.clone();
        put_u64(&mut r, 16, count);
        assert_eq!(
            invalid(&r),
            format!("slot count {count} is not in 2..=2^32-1")
        );
    }
    // In range, but more than the file holds: 12 is one too many.
    for count in [12, 1 << 20, u64::from(u32::MAX)] {
        let mut r = g.clone();
        put_u64(&mut r, 16, count);
        assert_eq!(
            invalid(&r),
            format!("{count} slots of 4096 bytes at offset 4112 run past the 53248-byte region")
        );
    }
    // The biggest slots times the most slots still does not overflow.
    let mut r = g.clone();
    put_u64(&mut r, 8, 1 << 24);
    put_u64(&mut r, 16, u64::from(u32::MAX));
    assert!(invalid(&r).contains("run past the 53248-byte region"));
}

#[test]
fn meta_sizes_past_the_mapping_are_refused_without_overflow() {
    let g = golden(SMALL);
    // 32 + metasz overflows; rounding it up to a page overflows; it ends
    // past the file by a page or by a byte.
    for metasz in [
        u64::MAX,
        u64::MAX - 31,
        u64::MAX - 4096,
        1 << 40,
        53248 - 32 + 1,
    ] {
        let mut r = g.clone();
        put_u64(&mut r, 24, metasz);
        assert_eq!(
            invalid(&r),
            format!("meta block of {metasz} bytes runs past the 53248-byte region")
        );
    }
    // The ring header moves to the last page: the slots no longer fit.
    let mut r = g.clone();
    put_u64(&mut r, 24, 53248 - 32);
    assert_eq!(
        invalid(&r),
        "11 slots of 4096 bytes at offset 53264 run past the 53248-byte region"
    );
}

#[test]
fn meta_sizes_that_cut_the_block_are_refused() {
    let g = golden(SMALL);
    // metasz 0: the version is missing.
    let mut r = g.clone();
    put_u64(&mut r, 24, 0);
    match meta_error(&r) {
        MetaError::Decode(e) => assert_decode_err(&e, 0, "version: needs 4 bytes"),
        other => panic!("{other:?}"),
    }
    // One byte short: the last type description is cut.
    let mut r = g.clone();
    put_u64(&mut r, 24, 341);
    assert!(meta_error(&r).to_string().contains("statement type: count"));
    // Longer than the block (the bytes after it are zero): trailing bytes
    // inside the declared block are not checked, as in the C++.
    let mut r = g.clone();
    put_u64(&mut r, 24, 1000);
    assert!(open(&r).is_ok());
}

#[test]
fn a_golden_region_with_a_corrupted_meta_byte_is_refused_with_the_reason() {
    let g = golden(SMALL);
    let meta = meta_of(&g);
    let at = statements_at(&meta);
    let cases: Vec<(usize, u8, String)> = vec![
        (
            32 + 2,
            0x03,
            "meta block: protocol version 0x30000, hog speaks 0x20000".into(),
        ),
        (
            32 + 4,
            0x05,
            "meta block: at byte 8: qos 5 is neither 0 nor 1".into(),
        ),
        (
            32 + 8,
            0x02,
            "meta block: at byte 12: commit method 2 is neither 0 nor 1".into(),
        ),
        (
            32 + 15,
            0x01,
            "meta block: at byte 16: 16777218 statements do not fit".into(),
        ),
        (
            32 + at[0].name + 7,
            0x80,
            format!(
                "meta block: at byte {}: statement name: count 9223372036854775818 \
                 does not fit in the {} bytes left",
                at[0].name,
                342 - at[0].name - 8
            ),
        ),
        (
            32 + at[0].type_desc,
            0x09,
            "meta block: statement 't_pair_str' (id 1): type description at byte 0: \
             invalid type tag 9"
                .into(),
        ),
    ];
    for (offset, byte, want) in cases {
        let mut r = g.clone();
        r[offset] = byte;
        let e = meta_error(&r);
        // A prefix: some messages go on with details (bytes left).
        let got = e.to_string();
        assert!(
            got.starts_with(&want),
            "byte {offset} set to {byte:#x}: {got}"
        );
        let Err(e) = open(&r) else { unreachable!() };
        assert!(e
            .to_string()
            .starts_with(&format!("region /Test.1.1: {want}")));
    }
}

#[test]
fn every_single_byte_corruption_of_a_header_is_handled() {
    let g = golden(SMALL);
    for i in 0..32 {
        for v in [0x00, 0x01, 0x7f, 0x80, 0xff] {
            let mut r = g.clone();
            r[i] = v;
            if let Ok(region) = open(&r) {
                let _ = drain_fully(&region);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Ring footers (§3.2, §5.1).

const RING: usize = 4096;
const RI: usize = RING + 4;
const WI: usize = RING + 8;

fn footer_at(slot: usize) -> usize {
    RING + 16 + slot * 4096 + 4092
}

/// Drains everything published, in a bounded number of reads.
fn drain_fully(region: &Region) -> (Batch, Result<Stop, DrainError>) {
    let ring = region.ring();
    let mut drain = Drain::attach(&ring, 0);
    let mut batch = Batch::new(1, 0);
    for _ in 0..=ring.count() {
        match drain.read(&ring, &mut batch, usize::MAX, |_| Ok(1)) {
            Ok(Stop::BatchFull) => continue,
            other => return (batch, other),
        }
    }
    panic!("the drain did not stop after {} reads", ring.count() + 1)
}

#[test]
fn footers_of_unknown_state_stop_the_drain() {
    let g = golden(SMALL);
    for state in 4..=255u32 {
        let mut r = g.clone();
        let raw = (state << 24) | 42;
        put_u32(&mut r, footer_at(0), raw);
        let (batch, result) = drain_fully(&open(&r).unwrap());
        assert_eq!(
            result,
            Err(DrainError::Slot {
                slot: 0,
                footer: raw,
                why: "unknown state"
            })
        );
        assert!(batch.is_empty());
    }
}

#[test]
fn footers_using_more_than_the_slot_stop_the_drain() {
    let g = golden(SMALL);
    for used in [4093, 4096, 0x00ff_ffff] {
        let mut r = g.clone();
        let raw = (2 << 24) | used;
        put_u32(&mut r, footer_at(0), raw);
        let (_, result) = drain_fully(&open(&r).unwrap());
        assert_eq!(
            result,
            Err(DrainError::Slot {
                slot: 0,
                footer: raw,
                why: "used bytes exceed the slot"
            })
        );
        assert_eq!(
            result.unwrap_err().to_string(),
            format!("slot 0: footer {raw:#010x} is invalid (used bytes exceed the slot)")
        );
    }
    // A full slot is fine.
    let mut r = g.clone();
    put_u32(&mut r, footer_at(0), (2 << 24) | 4092);
    let (batch, result) = drain_fully(&open(&r).unwrap());
    assert_eq!(result, Ok(Stop::CaughtUp));
    assert_eq!(batch.byte_len(), 4092);
}

#[test]
fn a_bad_footer_after_good_ones_keeps_the_transactions_before_it() {
    let mut r = golden(SMALL);
    put_u32(&mut r, WI, 4);
    put_u32(&mut r, footer_at(1), (1 << 24) | 10); // CONT
    put_u32(&mut r, footer_at(2), (2 << 24) | 20); // COMMIT
    put_u32(&mut r, footer_at(3), 0xff00_0001);
    let (batch, result) = drain_fully(&open(&r).unwrap());
    assert_eq!(
        result,
        Err(DrainError::Slot {
            slot: 3,
            footer: 0xff00_0001,
            why: "unknown state"
        })
    );
    assert_eq!(batch.len(), 2);
    assert_eq!(batch.byte_len(), 42 + 30);
}

#[test]
fn garbage_indices_and_footers_never_hang_or_panic() {
    let g = golden(SMALL);
    let meta = Meta::parse(&meta_of(&g)).unwrap();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut outcomes = [0usize; 4];
    for _ in 0..300 {
        let mut r = g.clone();
        put_u32(&mut r, RI, next() as u32 % 16);
        put_u32(
            &mut r,
            WI,
            if next() % 4 == 0 {
                next() as u32
            } else {
                next() as u32 % 11
            },
        );
        for slot in 0..11 {
            let raw = match next() % 4 {
                0 => next() as u32,
                _ => (((next() % 4) as u32) << 24) | (next() % 4200) as u32,
            };
            put_u32(&mut r, footer_at(slot), raw);
        }
        let region = open(&r).unwrap();
        let (batch, result) = drain_fully(&region);
        assert!(batch.byte_len() <= 11 * 4092);
        outcomes[match result {
            Ok(Stop::CaughtUp) => 0,
            Ok(Stop::Tentative) => 1,
            Ok(Stop::BatchFull) => unreachable!(),
            Err(DrainError::Slot { .. }) => 2,
            Err(DrainError::Transaction { .. }) => 3,
        }] += 1;
        // The records of whatever was reassembled split without panicking.
        for (_, txn) in batch.as_ref().transactions() {
            for rec in meta.table.records(txn).flatten() {
                let _ = Value::decode(&rec.entry.ty, rec.payload).map(|v| v.to_json());
            }
        }
    }
    assert!(
        outcomes[0] > 0 && outcomes[1] > 0 && outcomes[2] > 0,
        "{outcomes:?}"
    );
}

// ---------------------------------------------------------------------------
// Registrations (§2.2).

#[test]
fn every_registration_command_byte_parses() {
    for cmd in 0..=255u8 {
        let mut m = [0u8; 17];
        m[0] = cmd;
        m[1..9].copy_from_slice(&u64::MAX.to_le_bytes());
        m[9..17].copy_from_slice(&7u64.to_le_bytes());
        let r = Registration::parse(&m);
        assert_eq!(r.reconnect, cmd & 1 != 0);
        assert_eq!(r.wait == WaitPolicy::Spin, cmd & 2 != 0);
        assert_eq!((r.pid, r.tid), (u64::MAX, 7));
        assert_eq!(r.region("G"), format!("/G.{}.7", u64::MAX));
    }
    for name in GOLDEN {
        let Ok(bin) = std::fs::read(testdata().join(format!("{name}.registration.bin"))) else {
            continue;
        };
        assert_eq!(bin.len(), 21);
        let r = Registration::parse(bin[4..].try_into().unwrap());
        assert!(r.pid > 0 && r.tid > 0);
    }
}

// ---------------------------------------------------------------------------
// Findings not fixed yet. Each fails today; run with `--ignored`.

/// `fixed_size` adds 4 to the size of a variant's payload unchecked
/// (`then_some(4 + first)` in value.rs): a variant whose payload is a fixed
/// array of 2^64-1 bytes overflows (a panic in debug builds, a bogus size of
/// 3 in release). Reached from any meta block through `StatementTable::new`.
#[test]
fn a_variant_of_a_huge_fixed_array_has_no_fixed_size() {
    let desc = variant(&[("A", 0, fixed_array(&prim("byte"), u64::MAX))]);
    let table = StatementTable::new(&[statement(0, "v", &desc)]);
    if let Ok(table) = table {
        assert_eq!(table.get(0).unwrap().fixed, None);
    }
    let e = value_len(&ty(&desc), &[0; 8]).unwrap_err();
    assert!(
        e.what.contains("does not fit") || e.what.contains("needs"),
        "{e}"
    );
}

/// A fixed array of zero-sized elements (`[:unit|N:]`, `[:{}|N:]`) is read
/// element by element with no cap, so `[:unit|2^60:]` from an empty input
/// loops for ever while its `Vec` grows until memory runs out. Arrays
/// (`[unit]`) cap such counts at 2^20; fixed arrays should too. Found by the
/// `value` fuzz target (a timeout, then an out-of-memory); minimized input
/// `ff 04000000 00000000 0400000000000000 756e6974 00 0b000000 0000000000000010`
/// (selector, then `[:unit|2^60:]` and no value bytes).
#[test]
fn fixed_arrays_of_empty_elements_are_capped() {
    let t = ty(&fixed_array(&prim("unit"), (1 << 20) + 1));
    let (r, peak) = peak_alloc(|| Value::decode(&t, &[]));
    assert!(
        r.is_err(),
        "2^20+1 units accepted from no input ({peak} bytes allocated)"
    );
    assert!(peak < 1 << 20, "{peak} bytes allocated for an empty input");
}

/// Arrays of empty elements may claim 2^20 elements per 8-byte count, and
/// each element is a `Value` (48 bytes): `[[unit]]` turns a 40-byte value
/// into ~200 MB of `Value`s, millions of times its size; a few KB exhaust
/// memory. Allocation should stay proportional to the input.
#[test]
fn nested_arrays_of_empty_elements_allocate_in_proportion_to_the_input() {
    let t = ty(&array(&array(&prim("unit"))));
    let input = cat(&[
        &u64le(4),
        &[
            u64le(1 << 20),
            u64le(1 << 20),
            u64le(1 << 20),
            u64le(1 << 20),
        ]
        .concat(),
    ]);
    let (r, peak) = peak_alloc(|| Value::decode(&t, &input).map(|_| ()));
    assert!(
        r.is_err() || peak < 1 << 20,
        "{peak} bytes allocated for a {}-byte input",
        input.len()
    );
}

/// `Ring::prev` computes `i + count - 1` in `u32`: with more than 2^31 slots
/// (a 16 GiB sparse file is enough; a region of `count` 2^32-1 slots of 8
/// bytes is 32 GiB) it overflows, and `Drain::attach` panics (debug) or
/// looks at the wrong slot (release). `Ring::distance` has the same bug.
#[test]
fn a_ring_of_2_pow_32_minus_1_slots_attaches() {
    use std::os::unix::fs::FileExt;
    let g = golden(SMALL);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("region");
    let file = std::fs::File::create(&path).unwrap();
    let count = u64::from(u32::MAX);
    file.set_len(4096 + 16 + 8 * count).unwrap(); // sparse
    let mut head = g[..4096 + 16].to_vec();
    put_u64(&mut head, 8, 8);
    put_u64(&mut head, 16, count);
    put_u32(&mut head, RI, 5);
    put_u32(&mut head, WI, 5);
    file.write_all_at(&head, 0).unwrap();
    let region = Region::open(&path, "/Huge.1.1").unwrap();
    let ring = region.ring();
    let mut drain = Drain::attach(&ring, 0);
    assert!(!drain.resyncing());
    let r = drain.read(&ring, &mut Batch::new(1, 0), usize::MAX, |_| Ok(1));
    assert_eq!(r, Ok(Stop::CaughtUp));
}

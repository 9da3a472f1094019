//! Every storable Rust type has the hobbes type the C++ producer gives its
//! C++ counterpart, and values encode as hog decodes them: hog's decoder
//! reads back our descriptions (re-encoding them identically) and our
//! bytes (to the values of the golden JSON conventions), and agrees on
//! which types have a fixed size.

use std::borrow::Cow;
use std::ffi::CString;
use std::rc::Rc;
use std::sync::Arc;

use hog_core::types::{fixed_size, Type as HogType, Value};
use hog_producer::{encode, Datetime, Store, Time, Timespan, Type};
use serde_json::json;

fn hog_type<T: Store + ?Sized>() -> HogType {
    let desc = T::hobbes_type().encode();
    let ty = HogType::decode(&desc).expect("hog decodes the description");
    assert_eq!(ty.encode(), desc, "hog re-encodes it identically");
    ty
}

/// `value`'s type shows as `shown` and its bytes decode to `expected`.
fn check<T: Store + ?Sized>(value: &T, shown: &str, expected: serde_json::Value) {
    let ty = hog_type::<T>();
    assert_eq!(ty.to_string(), shown);
    let bytes = encode(value);
    assert_eq!(bytes.len(), value.size(), "{shown}: size()");
    assert_eq!(fixed_size(&ty), T::FIXED_SIZE, "{shown}: fixed size");
    if let Some(n) = T::FIXED_SIZE {
        assert_eq!(bytes.len(), n, "{shown}: FIXED_SIZE");
    }
    let decoded = Value::decode(&ty, &bytes).expect("hog decodes the value");
    assert_eq!(decoded.to_json(), expected, "{shown}");
}

#[test]
fn integers_of_every_width_floats_bool_and_char() {
    check(&171u8, "byte", json!(171));
    check(&-1i8, "byte", json!(255));
    check(&-12345i16, "short", json!(-12345));
    check(&65000u16, "short", json!(-536));
    check(&-123456789i32, "int", json!(-123456789));
    check(&4_000_000_000u32, "int", json!(-294967296));
    check(&-5i64, "long", json!(-5));
    check(&u64::MAX, "long", json!(-1));
    check(&7usize, "long", json!(7));
    check(&-7isize, "long", json!(-7));
    check(
        &((1i128 << 100) + 7),
        "int128",
        json!("1267650600228229401496703205383"),
    );
    check(&7u128, "int128", json!("7"));
    check(&1.5f32, "float", json!(1.5));
    check(&-2.5e-300f64, "double", json!(-2.5e-300));
    check(&true, "bool", json!(true));
    check(&'h', "char", json!("h"));
    check(&'é', "char", json!("é"));
    check(&(), "()", json!(null));
}

#[test]
fn strings_sequences_and_arrays() {
    check("héllo", "[char]", json!("héllo"));
    check(&String::from("hog"), "[char]", json!("hog"));
    check(c"c-string", "[char]", json!("c-string"));
    check(&CString::new("owned").unwrap(), "[char]", json!("owned"));
    check(&vec![1i32, -2, 3], "[int]", json!([1, -2, 3]));
    check(
        &["alpha", "", "gamma"][..],
        "[[char]]",
        json!(["alpha", "", "gamma"]),
    );
    check(&vec![true, false], "[bool]", json!([true, false]));
    check(&vec![vec![1u8], vec![]], "[[byte]]", json!([[1], []]));
    check(
        &[1i16, -1, 256, -32768],
        "[:short|4:]",
        json!([1, -1, 256, -32768]),
    );
    check(&['l', 'i', 't', '\0'], "[:char|4:]", json!("lit\u{0}"));
    check(&[0.5f64, -0.25], "[:double|2:]", json!([0.5, -0.25]));
    check(&["a", "bc"], "[:[char]|2:]", json!(["a", "bc"]));
}

#[test]
fn references_and_owning_pointers_store_their_target() {
    check(&&5i32, "int", json!(5));
    check(&Box::new(5i32), "int", json!(5));
    check(&Rc::new(5i32), "int", json!(5));
    check(&Arc::<str>::from("arc"), "[char]", json!("arc"));
    check(&Cow::Borrowed("cow"), "[char]", json!("cow"));
}

#[test]
fn tuples_are_records_with_hobbes_offsets() {
    check(
        &(7i32, 0.125f64),
        "(int*double)",
        json!({".f0": 7, ".f1": 0.125}),
    );
    check(
        &(9u8, -9i64, 0.5f64),
        "(byte*long*double)",
        json!({".f0": 9, ".f1": -9, ".f2": 0.5}),
    );
    check(
        &(9u8, "tup", -9i64),
        "(byte*[char]*long)",
        json!({".f0": 9, ".f1": "tup", ".f2": -9}),
    );
    let HogType::Struct(fields) = hog_type::<(u8, &str, i64)>() else {
        panic!("a record");
    };
    let offsets: Vec<u32> = fields.iter().map(|f| f.offset).collect();
    assert_eq!(offsets, [0, 8, 16]);
}

#[test]
fn time_types_are_opaque_aliases_of_long() {
    check(
        &Datetime(1_700_000_000_123_456),
        "datetime",
        json!(1_700_000_000_123_456i64),
    );
    check(&Timespan(90_000_000), "timespan", json!(90_000_000));
    check(&Time(3_600_000_000), "time", json!(3_600_000_000i64));
    let HogType::Prim(_, Some(rep)) = hog_type::<Datetime>() else {
        panic!("an alias");
    };
    assert_eq!(rep.to_string(), "long");
}

#[derive(Store)]
struct Quote<'a> {
    bid: f64,
    #[hog(rename = "symbol")]
    sym: &'a str,
    #[hog(skip)]
    #[allow(dead_code)]
    cache: Vec<u8>,
    r#type: u8,
}

#[derive(Store)]
struct Point(i32, f64);

#[derive(Store)]
struct Nothing;

#[derive(Store)]
struct Pair<T> {
    left: T,
    right: T,
}

#[derive(Store)]
#[hog(alias = "price")]
struct Price(f64);

#[derive(Store)]
#[hog(transparent)]
struct Id {
    value: u64,
}

#[derive(Store, Clone, Copy)]
#[repr(C, packed)]
struct Packed {
    a: u8,
    b: u64,
}

#[test]
fn derived_structs_are_records_of_their_fields() {
    let quote = Quote {
        bid: 1.5,
        sym: "IBM",
        cache: vec![1, 2, 3],
        r#type: 2,
    };
    check(
        &quote,
        "{bid:double, symbol:[char], type:byte}",
        json!({"bid": 1.5, "symbol": "IBM", "type": 2}),
    );
    check(
        &Point(1, 2.0),
        "(int*double)",
        json!({".f0": 1, ".f1": 2.0}),
    );
    check(&Nothing, "()", json!(null));
    check(
        &Pair {
            left: 1i16,
            right: 2,
        },
        "{left:short, right:short}",
        json!({"left": 1, "right": 2}),
    );
    check(&Price(12.5), "price", json!(12.5));
    check(&Id { value: 9 }, "long", json!(9));
    check(
        &Packed { a: 1, b: 2 },
        "{a:byte, b:long}",
        json!({"a": 1, "b": 2}),
    );
    let HogType::Struct(fields) = hog_type::<Point>() else {
        panic!("a record");
    };
    assert!(
        fields.iter().all(|f| f.offset == u32::MAX),
        "derived records use -1"
    );
}

#[derive(Store)]
enum Color {
    Red,
    Green,
    Blue,
}

#[derive(Store)]
enum Code {
    Low = 5,
    High = 9,
}

#[derive(Store)]
#[repr(u16)]
enum Wide {
    A,
    B,
}

#[derive(Store)]
#[repr(i64)]
enum Long {
    Neg = -1,
    Pos = 1,
}

#[derive(Store)]
#[repr(u32)]
enum Four {
    Only,
}

#[derive(Store)]
enum Event {
    Start,
    Move(i32),
    Line(i32, i32),
    Named {
        x: f64,
        #[hog(rename = "text")]
        label: String,
    },
}

#[derive(Store)]
enum Either<L, R> {
    #[hog(rename = ".f0")]
    Left(L),
    #[hog(rename = ".f1")]
    Right(R),
}

#[derive(Store)]
enum Never {}

#[test]
fn derived_enums_are_variants_or_packed_enums() {
    let variant = |ctor: &str, tag: u32, value: serde_json::Value| json!({"ctor": ctor, "tag": tag, "value": value});
    check(
        &Color::Green,
        "|Red:(), Green:(), Blue:()|",
        variant("Green", 1, json!(null)),
    );
    let _ = (Color::Red, Color::Blue);
    check(
        &Code::High,
        "|Low:(), High:()|",
        variant("High", 9, json!(null)),
    );
    let _ = Code::Low;
    check(
        &Wide::B,
        "penum(short, |A:(), B:()|)",
        variant("B", 1, json!(null)),
    );
    let _ = Wide::A;
    assert_eq!(encode(&Long::Neg), (-1i64).to_le_bytes());
    assert_eq!(
        hog_type::<Long>().to_string(),
        "penum(long, |Neg:(), Pos:()|)"
    );
    let _ = Long::Pos;
    check(&Four::Only, "|Only:()|", variant("Only", 0, json!(null)));
    let shown = "|Start:(), Move:int, Line:(int*int), Named:{x:double, text:[char]}|";
    check(&Event::Start, shown, variant("Start", 0, json!(null)));
    check(&Event::Move(-3), shown, variant("Move", 1, json!(-3)));
    check(
        &Event::Line(1, 2),
        shown,
        variant("Line", 2, json!({".f0": 1, ".f1": 2})),
    );
    let named = Event::Named {
        x: 0.5,
        label: "hi".into(),
    };
    check(
        &named,
        shown,
        variant("Named", 3, json!({"x": 0.5, "text": "hi"})),
    );
    check(
        &Either::<i32, String>::Right("v".into()),
        "(int+[char])",
        variant(".f1", 1, json!("v")),
    );
    let _ = Either::<i32, String>::Left(0);
    assert_eq!(Never::hobbes_type(), Type::Variant(vec![]));
    assert_eq!(<Either<i32, i32>>::FIXED_SIZE, Some(8));
}

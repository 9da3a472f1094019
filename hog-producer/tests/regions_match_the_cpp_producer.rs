//! For the statements and inputs of the golden regions written by the C++
//! producer (`storage.H`), our producer writes the same region byte for
//! byte: header, meta block (statement table with every type description),
//! slots and their footers, ring indices — pids and tids aside, which only
//! appear in the region's name and in the registration.
//!
//! Each group is declared with `group!` and typed values, as an
//! application would; file and line come from the golden tables.

mod support;

use hog_core::hstore::{Drain, Meta};
use hog_producer::{group, hlog, hstore, CommitMethod, Datetime, Group, Qos, Store, Timespan};
use support::{
    attach, drain, golden, golden_json, hex, pattern, region_bytes, remove_region, store_dir, unhex,
};

// ---------------------------------------------------------------- VecAuto

#[derive(Store, Clone, Copy)]
#[repr(C, packed)]
struct P3 {
    x: i32,
    y: i32,
    z: i32,
}

#[derive(Store)]
struct Padded {
    a: f64,
    b: i32,
}

#[derive(Store)]
struct Inner<'a> {
    code: i16,
    label: &'a str,
}

#[derive(Store)]
struct Nested<'a> {
    id: i32,
    pos: P3,
    inner: Inner<'a>,
    path: Vec<P3>,
    score: f64,
}

#[derive(Store)]
enum Shape {
    #[hog(rename = "circle")]
    Circle(f64),
    #[hog(rename = "rect")]
    Rect(P3),
    #[hog(rename = "label")]
    Label(String),
}

#[derive(Store)]
enum Color {
    Red,
    Green,
    Blue,
}

#[derive(Store)]
#[repr(u8)]
enum Side {
    Buy,
    Sell,
}

/// `hobbes::variant<int32_t, std::string>`: an anonymous sum.
#[derive(Store)]
enum IntOrString {
    #[hog(rename = ".f0")]
    Int(i32),
    #[hog(rename = ".f1")]
    Str(String),
}

group! {
    static VEC_AUTO: VecAuto = Group::new("VecAuto", 32, Qos::Reliable, CommitMethod::Auto)
        .with_store_dir(store_dir());

    #[at("vecprod.C", 49)] fn t_bool(v: bool);
    #[at("vecprod.C", 51)] fn t_char(v: char);
    #[at("vecprod.C", 52)] fn t_byte(v: u8);
    #[at("vecprod.C", 53)] fn t_short(v: i16);
    #[at("vecprod.C", 54)] fn t_ushort(v: u16);
    #[at("vecprod.C", 55)] fn t_int(v: i32);
    #[at("vecprod.C", 56)] fn t_uint(v: u32);
    #[at("vecprod.C", 57)] fn t_long(v: i64);
    #[at("vecprod.C", 58)] fn t_ulong(v: u64);
    #[at("vecprod.C", 59)] fn t_int128(v: i128);
    #[at("vecprod.C", 60)] fn t_float(v: f32);
    #[at("vecprod.C", 62)] fn t_double(v: f64);
    #[at("vecprod.C", 64)] fn t_string(v: &String);
    #[at("vecprod.C", 68)] fn t_cstr(v: &std::ffi::CStr);
    #[at("vecprod.C", 69)] fn t_literal(v: [char; 4]);
    #[at("vecprod.C", 70)] fn t_vec_int(v: &[i32]);
    #[at("vecprod.C", 72)] fn t_vec_str(v: &[&str]);
    #[at("vecprod.C", 73)] fn t_vec_bool(v: Vec<bool>);
    #[at("vecprod.C", 74)] fn t_farr(v: [i16; 4]);
    #[at("vecprod.C", 76)] fn t_carr(v: [f64; 2]);
    #[at("vecprod.C", 77)] fn t_packed(v: P3);
    #[at("vecprod.C", 79)] fn t_padded(v: Padded);
    #[at("vecprod.C", 82)] fn t_nested(v: &Nested);
    #[at("vecprod.C", 83)] fn t_variant(v: Shape);
    #[at("vecprod.C", 86)] fn t_enum(v: Color);
    #[at("vecprod.C", 88)] fn t_penum(v: Side);
    #[at("vecprod.C", 89)] fn t_pair(v: (i32, f64));
    #[at("vecprod.C", 90)] fn t_tuple(v: (u8, i64, f64));
    #[at("vecprod.C", 91)] fn t_hvariant(v: IntOrString);
    #[at("vecprod.C", 92)] fn t_datetime(v: Datetime);
    #[at("vecprod.C", 93)] fn t_timespan(v: Timespan);
    #[at("vecprod.C", 94)] fn t_multi(a: i32, b: &str, c: f64);
    #[at("vecprod.C", 95)] fn t_named(#[named] px: f64, #[named] qty: i32);
    #[at("vecprod.C", 96)] fn t_mixnamed(#[named] sym: &str, qty: i32);
    #[at("vecprod.C", 97)] fn t_unit();
    #[at("vecprod.C", 98)]
    #[hlog("hello $0, you are $1 years old")]
    fn greet(name: &str, age: i32);
    #[at("vecprod.C", 99)]
    #[hlog("cost \\$$0 total")]
    fn t_logesc(cost: f64);
    #[at("vecprod.C", 103)] fn t_seq(i: i64);
    #[at("vecprod.C", 107)] fn t_big(s: &str);
    #[at("vecprod.C", 108)] fn t_after_big(v: i32);
}

#[test]
fn every_storable_type_in_auto_commit() {
    let listener = support::Listener::bind(store_dir(), "VecAuto");
    let g = &VEC_AUTO;
    assert!(hstore!(g, t_bool, true));
    hstore!(g, t_bool, false);
    hstore!(g, t_char, 'h');
    hstore!(g, t_byte, 171);
    hstore!(g, t_short, -12345);
    hstore!(g, t_ushort, 65000);
    hstore!(g, t_int, -123456789);
    hstore!(g, t_uint, 4_000_000_000);
    hstore!(g, t_long, -1234567890123456789);
    hstore!(g, t_ulong, u64::MAX);
    hstore!(g, t_int128, (1i128 << 100) + 7);
    hstore!(g, t_float, 1.5);
    hstore!(g, t_float, -0.1);
    hstore!(g, t_double, std::f64::consts::PI);
    hstore!(g, t_double, -2.5e-300);
    for s in ["hello, hog", "", "héllo ✓"] {
        hstore!(g, t_string, &s.to_string());
    }
    hstore!(g, t_cstr, c"c-string pointer");
    hstore!(g, t_literal, ['l', 'i', 't', '\0']);
    hstore!(g, t_vec_int, &[1, -2, 3, i32::MAX]);
    hstore!(g, t_vec_int, &[]);
    hstore!(g, t_vec_str, &["alpha", "", "gamma"]);
    hstore!(g, t_vec_bool, vec![true, false, true]);
    hstore!(g, t_farr, [1, -1, 256, -32768]);
    hstore!(g, t_carr, [0.5, -0.25]);
    hstore!(g, t_packed, P3 { x: 1, y: 2, z: 3 });
    hstore!(g, t_padded, Padded { a: 1.5, b: 7 });
    let p3 = |v| P3 { x: v, y: v, z: v };
    let nested = Nested {
        id: 77,
        pos: P3 {
            x: 10,
            y: 20,
            z: 30,
        },
        inner: Inner {
            code: -5,
            label: "inner",
        },
        path: vec![p3(1), p3(2)],
        score: 0.75,
    };
    hstore!(g, t_nested, &nested);
    hstore!(g, t_variant, Shape::Circle(2.5));
    hstore!(g, t_variant, Shape::Rect(P3 { x: 4, y: 5, z: 6 }));
    hstore!(g, t_variant, Shape::Label("tri".into()));
    hstore!(g, t_enum, Color::Green);
    hstore!(g, t_enum, Color::Blue);
    hstore!(g, t_penum, Side::Sell);
    hstore!(g, t_pair, (7, 0.125));
    hstore!(g, t_tuple, (9, -9, 0.5));
    hstore!(g, t_hvariant, IntOrString::Str("v".into()));
    hstore!(g, t_datetime, Datetime(1_700_000_000_123_456));
    hstore!(g, t_timespan, Timespan(90_000_000));
    hstore!(g, t_multi, 1, "two", 3.0);
    hstore!(g, t_named, 101.25, 300);
    hstore!(g, t_mixnamed, "ABC", 5);
    hstore!(g, t_unit);
    hlog!(g, greet, "world", 42);
    hlog!(g, t_logesc, 5.5);
    for i in 0..600 {
        hstore!(g, t_seq, i);
    }
    hstore!(g, t_big, &pattern(10_000, 0));
    hstore!(g, t_after_big, 12345);
    g.commit();
    // Colors and the Red constructor exist only in the type.
    let _ = Color::Red;
    let _ = (Side::Buy, IntOrString::Int(0));

    let name = g.thread_region_name();
    assert_same_region(&region_bytes(&name), &golden("auto_reliable_alltypes.shm"));
    assert_registration(&listener, "auto_reliable_alltypes", &name);
    assert_transactions(&name, "auto_reliable_alltypes");
    remove_region(&name);
}

// ----------------------------------------------------------------- VecTxn

#[derive(Store)]
enum Dir {
    Buy,
    Sell,
}

#[derive(Store)]
struct Order<'a> {
    oid: i64,
    sym: &'a str,
    px: f64,
    qty: i32,
    dir: Dir,
}

group! {
    static VEC_TXN: VecTxn = Group::new("VecTxn", 32, Qos::Reliable, CommitMethod::Manual)
        .with_store_dir(store_dir());

    #[at("vecprod.C", 115)] fn order(order: Order);
    #[at("vecprod.C", 116)] fn fill(oid: i64, qty: i32, px: f64);
    #[at("vecprod.C", 117)]
    #[hlog("note for $0: $1")]
    fn note(oid: i64, text: &str);
    #[at("vecprod.C", 130)] fn blob(bytes: &str);
    #[at("vecprod.C", 140)] fn cnt(n: i32);
}

#[test]
fn manual_commits_rollbacks_and_an_open_transaction() {
    let listener = support::Listener::bind(store_dir(), "VecTxn");
    let g = &VEC_TXN;
    let order = |oid, sym, px, qty, dir| Order {
        oid,
        sym,
        px,
        qty,
        dir,
    };
    g.order(order(1, "AAPL", 150.25, 100, Dir::Buy));
    g.fill(1, 100, 150.5);
    g.note(1, "first");
    g.commit();
    g.order(order(2, "MSFT", 300.0, 50, Dir::Sell));
    g.fill(2, 50, 301.0);
    g.rollback();
    g.commit();
    g.order(order(3, "IBM", 12.25, 7, Dir::Buy));
    g.blob(&pattern(9000, 3));
    g.fill(3, 7, 12.25);
    g.commit();
    g.blob(&pattern(9000, 4));
    g.note(4, "rolled back big");
    g.rollback();
    g.cnt(5);
    g.cnt(6);
    g.commit();
    g.cnt(7);

    let name = g.thread_region_name();
    assert_same_region(&region_bytes(&name), &golden("manual_commit_rollback.shm"));
    assert_registration(&listener, "manual_commit_rollback", &name);
    assert_transactions(&name, "manual_commit_rollback");
    remove_region(&name);
}

// --------------------------------------------------------------- VecUnrel

group! {
    static VEC_UNREL: VecUnrel = Group::new("VecUnrel", 10, Qos::Unreliable, CommitMethod::Manual)
        .with_store_dir(support::fresh_dir());

    #[at("vecprod.C", 181)] fn u_seq(i: i32);
    #[at("vecprod.C", 186)] fn u_blob(s: &str);
}

#[test]
fn an_unreliable_ring_without_room_cancels_and_drops() {
    // No consumer and no listener: the failed connect is ignored.
    let g = &VEC_UNREL;
    for i in 0..8 {
        assert!(g.u_seq(i));
        g.commit();
    }
    assert!(g.u_seq(8));
    assert!(!g.u_blob(&pattern(12_000, 8)), "the blob does not fit");
    assert!(!g.u_seq(9), "no slot until a commit finds one");
    g.commit();
    assert_eq!(g.dropped(), 2);
    assert!(!g.connected());

    let name = g.thread_region_name();
    assert_same_region(
        &region_bytes(&name),
        &golden("manual_unreliable_overflow.shm"),
    );
    remove_region(&name);
}

// ---------------------------------------------------------------- VecWrap

group! {
    static VEC_WRAP: VecWrap = Group::new("VecWrap", 10, Qos::Reliable, CommitMethod::Auto)
        .with_store_dir(store_dir());

    #[at("vecprod.C", 151)] fn w_seq(a: i32, b: i32);
    #[at("vecprod.C", 153)]
    #[hlog("slot $0")]
    fn w_note(n: i32);
    #[at("vecprod.C", 157)] fn w_big(s: &str);
}

#[test]
fn a_wrapped_ring_after_a_consumer_popped_seventeen_slots() {
    let _listener = support::Listener::bind(store_dir(), "VecWrap");
    let g = &VEC_WRAP;
    let name = g.thread_region_name();
    let consumer = {
        let name = name.clone();
        std::thread::spawn(move || {
            let region = attach(&name);
            let ring = region.ring();
            for _ in 0..17 {
                support::wait_until(10, "a published slot", || ring.wi() != ring.ri());
                ring.pop_to(ring.next(ring.ri()));
            }
        })
    };
    for k in 0..19 {
        g.w_seq(k, 0);
        g.w_seq(k, 1);
        g.w_note(k);
        g.commit();
    }
    g.w_big(&pattern(10_000, 19));
    g.w_seq(22, 0);
    g.commit();
    g.w_seq(23, 0);
    g.w_note(23);
    g.commit();
    consumer.join().unwrap();
    assert_same_region(&region_bytes(&name), &golden("ring_wrapped.shm"));
    remove_region(&name);
}

// ----------------------------------------------------------------- VecMid

group! {
    static VEC_MID: VecMid = Group::new("VecMid", 16, Qos::Reliable, CommitMethod::Manual)
        .with_store_dir(store_dir());

    #[at("vecprod.C", 166)] fn m_seq(i: i32);
    #[at("vecprod.C", 169)] fn m_tag(s: &str);
}

#[test]
fn a_consumer_that_stopped_inside_a_transaction() {
    let _listener = support::Listener::bind(store_dir(), "VecMid");
    let g = &VEC_MID;
    g.m_seq(0);
    g.commit();
    for i in 1..=1500 {
        g.m_seq(i);
    }
    g.m_tag("end of big transaction");
    g.commit();
    g.m_seq(100_000);
    g.commit();
    g.m_tag("after");
    g.m_seq(100_001);
    g.commit();
    let name = g.thread_region_name();
    attach(&name).ring().pop_to(2);
    assert_same_region(&region_bytes(&name), &golden("ri_mid_transaction.shm"));
    remove_region(&name);
}

// ------------------------------------------------------------ VecTupleStr

group! {
    static VEC_TUPLE_STR: VecTupleStr =
        Group::new("VecTupleStr", 10, Qos::Reliable, CommitMethod::Auto).with_store_dir(store_dir());

    #[at("vecprod.C", 197)] fn t_tuple_str(v: (u8, &str, i64));
    #[at("vecprod.C", 198)] fn t_pair_str(v: (i32, &str));
}

/// The one deliberate difference: a tuple whose string member is followed
/// by more fields. The C++ producer records `.f2` at 40 (a `std::string` is
/// 32 bytes in memory), which makes the C++ hog abort; we record hobbes'
/// own offset, 16. Everything else, values included, is identical.
#[test]
fn tuples_with_strings_carry_offsets_the_cpp_hog_accepts() {
    let _listener = support::Listener::bind(store_dir(), "VecTupleStr");
    let g = &VEC_TUPLE_STR;
    g.t_tuple_str((9, "tup", -9));
    g.t_pair_str((1, "ps"));
    g.commit();
    let name = g.thread_region_name();
    let ours = region_bytes(&name);
    remove_region(&name);
    let mut expected = golden("auto_tuple_with_string.shm");
    let cpp_f2 = hex(&40u32.to_le_bytes());
    let at = hex(&expected)
        .find(&format!("2e6632{cpp_f2}"))
        .expect("the .f2 offset")
        / 2
        + 3;
    expected[at..at + 4].copy_from_slice(&16u32.to_le_bytes());
    assert_same_region(&ours, &expected);
}

// ---------------------------------------------------------------- helpers

/// Compares two regions, reporting the first difference by section.
fn assert_same_region(ours: &[u8], golden: &[u8]) {
    assert_eq!(ours.len(), golden.len(), "region size");
    assert_eq!(hex(&ours[..32]), hex(&golden[..32]), "header");
    let metasz = u64::from_le_bytes(golden[24..32].try_into().unwrap()) as usize;
    let (a, b) = (&ours[32..32 + metasz], &golden[32..32 + metasz]);
    if a != b {
        let (ma, mb) = (Meta::parse(a), Meta::parse(b));
        assert_eq!(format!("{ma:#?}"), format!("{mb:#?}"), "meta block");
        panic!("meta blocks differ at byte {}", first_difference(a, b));
    }
    let ring_at = (32 + metasz).next_multiple_of(4096);
    assert_eq!(
        hex(&ours[ring_at..ring_at + 16]),
        hex(&golden[ring_at..ring_at + 16]),
        "wstate, ri, wi"
    );
    if ours != golden {
        let at = first_difference(ours, golden);
        let (slot, offset) = ((at - ring_at - 16) / 4096, (at - ring_at - 16) % 4096);
        panic!("slot {slot} differs at byte {offset}");
    }
}

fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()))
}

/// Our registration has the golden layout: version, `cmd` 0, then our pid
/// and this thread's tid where the golden file has the C++ producer's.
fn assert_registration(listener: &support::Listener, vector: &str, region: &str) {
    let expected = golden(&format!("{vector}.registration.bin"));
    let ours = listener.wait_for(0, 21);
    assert_eq!(ours.len(), 21, "a version and one registration");
    assert_eq!(ours[..5], expected[..5], "version and cmd");
    let word = |at: usize| u64::from_le_bytes(ours[at..at + 8].try_into().unwrap());
    assert_eq!(
        format!(
            "/{}.{}.{}",
            region.split('.').next().unwrap().trim_start_matches('/'),
            word(5),
            word(13)
        ),
        region
    );
    assert_eq!(word(5), u64::from(std::process::id()));
}

/// hog's reader finds in our region exactly the golden committed
/// transactions, each the concatenation of its records' id and payload.
fn assert_transactions(region: &str, vector: &str) {
    let json = golden_json(vector);
    let expected: Vec<String> = json["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            t["records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    let id = r["id"].as_u64().unwrap() as u32;
                    format!("{}{}", hex(&id.to_le_bytes()), r["hex"].as_str().unwrap())
                })
                .collect()
        })
        .collect();
    let attached = attach(region);
    let mut reader = Drain::attach(&attached.ring(), 0);
    let ours: Vec<String> = drain(&attached, &mut reader)
        .iter()
        .map(|t| hex(t))
        .collect();
    assert_eq!(ours.len(), expected.len(), "transaction count");
    for (i, (a, b)) in ours.iter().zip(&expected).enumerate() {
        assert_eq!(unhex(a), unhex(b), "transaction {i}");
    }
}

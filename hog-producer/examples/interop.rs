//! A producer for interoperability tests: deterministic records of many
//! types in two groups, so that two hogs fed the same run can be compared
//! record for record.
//!
//! `interop DIR auto|manual N [FROM] [PAUSE_US]` logs records (`auto`) or
//! transactions (`manual`) `FROM..N` (`FROM` defaults to 0, so that a
//! restarted producer can continue a run) into group `IAuto` (AutoCommit:
//! thirteen statement types, from scalars to nested records, variants and
//! vectors) or `ITxn` (ManualCommit: every 7th transaction empty, every
//! 50th holding a 200 KiB string, the others one to five pairs of records).
//! Every record's first field is its number `seq`, unique within a run.
//! `PAUSE_US` sleeps that long every 100 records or transactions, so that
//! a run lasts long enough to be interrupted. Prints `done` at the end.

use std::path::PathBuf;
use std::sync::LazyLock;
use std::time::Duration;

use hog_producer::{group, CommitMethod, Group, Qos, Store};

static DIR: LazyLock<PathBuf> = LazyLock::new(|| {
    std::env::args()
        .nth(1)
        .expect("usage: interop DIR ...")
        .into()
});

#[derive(Store, Clone, Copy)]
#[repr(C, packed)]
struct P3 {
    x: i32,
    y: i32,
    z: i32,
}

#[derive(Store)]
struct Fill<'a> {
    seq: i64,
    sym: &'a str,
    px: f64,
    legs: Vec<P3>,
}

#[derive(Store)]
enum Shape {
    Circle(f64),
    Rect(P3),
    Label(String),
}

#[derive(Store)]
enum Side {
    Buy,
    Sell,
}

group! {
    static AUTO: IAuto = Group::new("IAuto", 16, Qos::Reliable, CommitMethod::Auto)
        .with_store_dir(DIR.as_path());

    fn a_int(seq: i64, v: i32);
    fn a_double(seq: i64, v: f64);
    fn a_bool(seq: i64, v: bool);
    fn a_char(seq: i64, v: char);
    fn a_i128(seq: i64, v: i128);
    fn a_string(seq: i64, v: &str);
    fn a_vec(seq: i64, v: &[i32]);
    fn a_p3(seq: i64, v: P3);
    fn a_fill(fill: &Fill);
    fn a_shape(seq: i64, v: Shape);
    fn a_side(seq: i64, v: Side);
    fn a_pair(seq: i64, v: (i32, f64));
    #[hlog("record $0 says $1")]
    fn a_note(seq: i64, text: &str);
}

group! {
    static TXN: ITxn = Group::new("ITxn", 16, Qos::Reliable, CommitMethod::Manual)
        .with_store_dir(DIR.as_path());

    fn t_order(seq: i64, sym: &str, qty: i32);
    fn t_fill(seq: i64, px: f64);
    fn t_blob(seq: i64, bytes: &str);
}

const SYMBOLS: [&str; 5] = ["AAPL", "MSFT", "IBM", "", "BRK.B"];

/// One `IAuto` record, of a statement chosen by `seq`.
fn auto(seq: i64) {
    let k = seq as i32;
    let g = &AUTO;
    match seq % 13 {
        0 => g.a_int(seq, k.wrapping_mul(7919)),
        1 => g.a_double(seq, seq as f64 / 8.0),
        2 => g.a_bool(seq, seq % 3 == 0),
        3 => g.a_char(seq, (b'a' + (seq % 26) as u8) as char),
        4 => g.a_i128(seq, (i128::from(seq) << 70) - 1),
        5 => g.a_string(seq, &"s".repeat((seq % 40) as usize)),
        6 => g.a_vec(seq, &(0..k % 9).collect::<Vec<_>>()),
        7 => g.a_p3(
            seq,
            P3 {
                x: k,
                y: -k,
                z: k / 3,
            },
        ),
        8 => g.a_fill(&Fill {
            seq,
            sym: SYMBOLS[(seq % 5) as usize],
            px: 100.0 + seq as f64 / 100.0,
            legs: vec![P3 { x: k, y: 1, z: 2 }; (seq % 3) as usize],
        }),
        9 => g.a_shape(
            seq,
            match seq % 3 {
                0 => Shape::Circle(seq as f64),
                1 => Shape::Rect(P3 { x: 1, y: 2, z: k }),
                _ => Shape::Label(format!("shape {seq}")),
            },
        ),
        10 => g.a_side(seq, if seq % 2 == 0 { Side::Buy } else { Side::Sell }),
        11 => g.a_pair(seq, (k, -(seq as f64))),
        _ => g.a_note(seq, SYMBOLS[(seq % 5) as usize]),
    };
}

/// One `ITxn` transaction: `seq` numbers its records.
fn transaction(seq: &mut i64, i: i64) {
    let g = &TXN;
    if i % 7 == 3 {
        g.commit(); // an empty transaction
        return;
    }
    if i % 50 == 10 {
        g.t_blob(*seq, &"B".repeat(200 << 10));
        *seq += 1;
    }
    for _ in 0..=i % 5 {
        g.t_order(*seq, SYMBOLS[(*seq % 5) as usize], (*seq % 1000) as i32);
        g.t_fill(*seq + 1, *seq as f64 * 0.5);
        *seq += 2;
    }
    g.commit();
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: interop DIR auto|manual RECORDS [FROM] [PAUSE_US]");
        std::process::exit(2);
    }
    let number = |i: usize| {
        args.get(i)
            .map_or(0, |s| s.parse::<i64>().expect("a number"))
    };
    let (records, from, pause) = (number(2), number(3), number(4));
    let pause = |i: i64| {
        if pause > 0 && i % 100 == 99 {
            std::thread::sleep(Duration::from_micros(pause as u64));
        }
    };
    match args[1].as_str() {
        "auto" => {
            for seq in from..records {
                auto(seq);
                pause(seq);
            }
            AUTO.commit();
        }
        _ => {
            // Transaction i's records are numbered from 20 * i, so that a
            // restarted producer continues with the same numbers.
            for i in from..records {
                let mut seq = 20 * i;
                transaction(&mut seq, i);
                pause(i);
            }
        }
    }
    println!("done");
}

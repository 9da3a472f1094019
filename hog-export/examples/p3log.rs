//! A producer of p3-like records for the export tests and benchmark.
//!
//! `p3log GROUP DIR RECORDS`: one thread logs `RECORDS` records of statement
//! `p3` (`{x:int, y:int, z:int}` = `(i, i * 2654435761, i >> 10)`, as in
//! hog-bench's p3 workload) and, after every tenth, a `quote`
//! (`{t:datetime, sym:[char], px:double, side:|Buy, Sell|, lat:timespan,
//! levels:[int]}`), into group `GROUP` served by a hog whose `-m` is `DIR`.
//! Prints `done` when finished.

use hog_producer::{CommitMethod, Datetime, Declaration, Group, Qos, Store, Timespan};

/// A p3 record.
#[derive(Store)]
struct P3 {
    x: i32,
    y: i32,
    z: i32,
}

/// A side of a quote.
#[derive(Store)]
#[repr(u8)]
enum Side {
    Buy,
    Sell,
}

/// A quote: every type of column the export writes from a live run.
#[derive(Store)]
struct Quote {
    t: Datetime,
    sym: String,
    px: f64,
    side: Side,
    lat: Timespan,
    levels: Vec<i32>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [group, dir, records] = args.as_slice() else {
        eprintln!("usage: p3log GROUP DIR RECORDS");
        std::process::exit(2);
    };
    let records: i64 = records.parse().expect("a number of records");
    let mut group = Group::new(group, 64, Qos::Reliable, CommitMethod::Auto).with_store_dir(dir);
    let p3 = group.declare(Declaration::of::<(P3,)>("p3", &[]));
    let quote = group.declare(Declaration::of::<(Quote,)>("quote", &[]));
    let mut writer = group.writer().expect("register with hog");
    for i in 0..records {
        let x = i as i32;
        let record = P3 {
            x,
            y: x.wrapping_mul(2_654_435_761u32 as i32),
            z: x >> 10,
        };
        writer.log(p3, &(record,));
        if i % 10 == 9 {
            let q = Quote {
                t: Datetime(1_700_000_000_000_000 + i * 1_000),
                sym: format!("S{}", i % 7),
                px: 100.0 + i as f64 / 8.0,
                side: if i % 20 == 9 { Side::Buy } else { Side::Sell },
                lat: Timespan(i % 1000),
                levels: (0..(i % 4) as i32).collect(),
            };
            writer.log(quote, &(q,));
        }
    }
    writer.commit();
    println!("done");
}

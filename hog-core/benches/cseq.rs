//! Compressed series in process: values coded into a file (`CSeqAppender`)
//! and decoded back, against storing them raw (`RecordPlan`) and zstd
//! level 3 of the raw file, on values shaped like hog-bench's three workloads
//! (p3 as there; s256 20 digits and a fixed filler of letters). Prints the
//! median of 5 runs of each: values/s, ns per value and bytes.
//!
//! `cargo bench -p hog-core --bench cseq [-- RECORDS]`

use std::time::Instant;

use hog_core::fregion::cseq::{cseq_type, CSeqAppender};
use hog_core::fregion::{Reader, RecordPlan, SeriesAppender, Writer};
use hog_core::types::{Field, Type};
use hog_core::wire::v2::Codec;

const RUNS: usize = 5;

/// A workload: its name, value type, and the packed value number `i`.
type Workload = (&'static str, Type, fn(u64) -> Vec<u8>);

fn workloads() -> Vec<Workload> {
    let int = || Type::prim("int");
    let field = |n: &str| Field {
        name: n.into(),
        offset: u32::MAX,
        ty: int(),
    };
    vec![
        (
            "p3",
            Type::Struct(vec![field("x"), field("y"), field("z")]),
            |i| {
                let h = (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as u32 as i32;
                let mut v = (i as i32).to_le_bytes().to_vec();
                v.extend(h.to_le_bytes());
                v.extend(((i >> 10) as i32).to_le_bytes());
                v
            },
        ),
        ("i64", Type::prim("long"), |i| i.to_le_bytes().to_vec()),
        ("s256", Type::Array(Box::new(Type::prim("char"))), |i| {
            let mut s = format!("{i:020}").into_bytes();
            s.extend((0..236).map(|k| b'a' + (k % 26) as u8));
            let mut v = (s.len() as u64).to_le_bytes().to_vec();
            v.extend(s);
            v
        }),
    ]
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let n: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(500_000);
    let dir = tempfile::tempdir().unwrap();
    println!("{n} values per run, median of {RUNS} runs");
    println!("| workload | raw store | -z code | -z decode | zstd -3 of raw | raw bytes | -z bytes | zstd bytes |");
    println!("|---|---|---|---|---|---|---|---|");
    for (name, wire, value) in workloads() {
        let values: Vec<Vec<u8>> = (0..n).map(value).collect();
        let (mut raw_t, mut z_t, mut dec_t, mut zstd_t) = (vec![], vec![], vec![], vec![]);
        let (mut raw_b, mut z_b, mut zstd_b) = (0, 0, 0);
        for run in 0..RUNS {
            let raw = dir.path().join(format!("{name}-{run}.raw"));
            let t = Instant::now();
            let plan = RecordPlan::new(&wire).unwrap();
            let mut w = Writer::create(&raw, 4096).unwrap();
            let mut s = SeriesAppender::create(&mut w, "x", plan.stored(), 10_000).unwrap();
            for v in &values {
                let slot = s.next_slot(&mut w).unwrap();
                plan.store(v, &mut w, slot).unwrap();
                s.publish(&mut w);
            }
            w.finish().unwrap();
            raw_t.push(t.elapsed().as_secs_f64());

            let z = dir.path().join(format!("{name}-{run}.z"));
            let t = Instant::now();
            let mut w = Writer::create(&z, 4096).unwrap();
            let ty = cseq_type(&wire, 10_000).unwrap();
            let mut s = CSeqAppender::create(&mut w, "x", &ty).unwrap();
            for v in &values {
                s.append(&mut w, v).unwrap();
            }
            s.finish(&mut w).unwrap();
            w.finish().unwrap();
            z_t.push(t.elapsed().as_secs_f64());

            let t = Instant::now();
            let r = Reader::open(&z).unwrap();
            let back = r
                .compressed("x")
                .unwrap()
                .iter()
                .try_fold(0u64, |k, v| v.map(|_| k + 1))
                .unwrap();
            dec_t.push(t.elapsed().as_secs_f64());
            assert_eq!(back, n);

            let bytes = std::fs::read(&raw).unwrap();
            let t = Instant::now();
            zstd_b = Codec::Zstd.compress(&bytes, 3).len();
            zstd_t.push(t.elapsed().as_secs_f64());
            raw_b = bytes.len();
            z_b = std::fs::metadata(&z).unwrap().len() as usize;
            let _ = std::fs::remove_file(&raw);
            let _ = std::fs::remove_file(&z);
        }
        let rate = |t: Vec<f64>| {
            let m = median(t);
            format!(
                "{:.2} M/s ({:.0} ns)",
                n as f64 / m / 1e6,
                m * 1e9 / n as f64
            )
        };
        let mib = |b: usize| format!("{:.1} MiB", b as f64 / (1 << 20) as f64);
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} (1 : {:.1}) | {} (1 : {:.1}) |",
            rate(raw_t),
            rate(z_t),
            rate(dec_t),
            rate(zstd_t),
            mib(raw_b),
            mib(z_b),
            raw_b as f64 / z_b as f64,
            mib(zstd_b),
            raw_b as f64 / zstd_b as f64,
        );
    }
}

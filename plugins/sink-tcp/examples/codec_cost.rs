//! What compressing segments costs: gzip (the hobbes protocol) against zstd
//! (v2) on the same segments, and the CPU each spool strategy spends per
//! MiB shipped. Medians of several runs. Workloads: trading-like orders,
//! the test producer's counters, hog-bench's p3 (`{x, hash(x), x>>10}`)
//! and a mixed stream of quotes, trades and heartbeats in ring pages.
//!
//! `cargo run --release -p sink-tcp --example codec_cost [RUNS]`

use std::time::Instant;

use hog_core::wire::legacy;
use hog_core::wire::v2::Codec;

/// A deterministic generator, so every run sees the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// About `size` bytes of transactions like a trading log: statement id,
/// timestamp, symbol, side, price, quantity, order id.
fn orders(size: usize) -> Vec<u8> {
    const SYMBOLS: [&str; 12] = [
        "AAPL", "MSFT", "GOOG", "AMZN", "META", "NVDA", "TSLA", "JPM", "XOM", "BRK.B", "V", "KO",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut t, mut price, mut id) = (1_700_000_000_000_000_000i64, 10_000.0f64, 1u64);
    let mut out = Vec::with_capacity(size + 64);
    while out.len() < size {
        let mut txn = Vec::with_capacity(48);
        txn.extend_from_slice(&1u32.to_le_bytes());
        t += (rng.next() % 50_000) as i64;
        txn.extend_from_slice(&t.to_le_bytes());
        let sym = SYMBOLS[(rng.next() % SYMBOLS.len() as u64) as usize];
        txn.extend_from_slice(&(sym.len() as u64).to_le_bytes());
        txn.extend_from_slice(sym.as_bytes());
        txn.push((rng.next() % 2) as u8);
        price += ((rng.next() % 201) as f64 - 100.0) / 100.0;
        txn.extend_from_slice(&price.to_le_bytes());
        txn.extend_from_slice(&((rng.next() % 1000) as i32 * 100).to_le_bytes());
        id += 1 + rng.next() % 3;
        txn.extend_from_slice(&id.to_le_bytes());
        legacy::push_transaction(&mut out, &txn);
    }
    out
}

/// About `size` bytes of a mixed AutoCommit stream as a ring holds it:
/// pages of up to 4 KiB, each holding the records that fit, of three
/// statements in a trading-like proportion: quotes `{time, symbol, bid,
/// ask, size}` (70 %), trades `{time, symbol, price, quantity, id}` (25 %)
/// and heartbeats `{time, sequence}` (5 %), symbols of 1 to 5 characters.
fn mixed(size: usize) -> Vec<u8> {
    const SYMBOLS: [&str; 10] = [
        "A", "KO", "IBM", "MSFT", "GOOGL", "V", "JPM", "XOM", "T", "NVDA",
    ];
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let (mut t, mut mid, mut id, mut seq) = (1_700_000_000_000_000_000i64, 10_000.0f64, 1u64, 0u64);
    let mut out = Vec::with_capacity(size + 8192);
    let mut page = Vec::with_capacity(4096);
    while out.len() < size {
        let mut rec = Vec::with_capacity(64);
        t += (rng.next() % 20_000) as i64;
        let sym = SYMBOLS[(rng.next() % SYMBOLS.len() as u64) as usize];
        match rng.next() % 20 {
            0..=13 => {
                rec.extend_from_slice(&0u32.to_le_bytes());
                rec.extend_from_slice(&t.to_le_bytes());
                rec.extend_from_slice(&(sym.len() as u64).to_le_bytes());
                rec.extend_from_slice(sym.as_bytes());
                mid += ((rng.next() % 21) as f64 - 10.0) / 100.0;
                rec.extend_from_slice(&(mid - 0.01).to_le_bytes());
                rec.extend_from_slice(&(mid + 0.01).to_le_bytes());
                rec.extend_from_slice(&((rng.next() % 50 + 1) as i32 * 100).to_le_bytes());
            }
            14..=18 => {
                rec.extend_from_slice(&1u32.to_le_bytes());
                rec.extend_from_slice(&t.to_le_bytes());
                rec.extend_from_slice(&(sym.len() as u64).to_le_bytes());
                rec.extend_from_slice(sym.as_bytes());
                rec.extend_from_slice(&mid.to_le_bytes());
                rec.extend_from_slice(&((rng.next() % 1000 + 1) as i64).to_le_bytes());
                id += 1 + rng.next() % 3;
                rec.extend_from_slice(&id.to_le_bytes());
            }
            _ => {
                rec.extend_from_slice(&2u32.to_le_bytes());
                rec.extend_from_slice(&t.to_le_bytes());
                seq += 1;
                rec.extend_from_slice(&seq.to_le_bytes());
            }
        }
        if page.len() + rec.len() > 4092 {
            legacy::push_transaction(&mut out, &page);
            page.clear();
        }
        page.extend_from_slice(&rec);
    }
    out
}

/// About `size` bytes of what the test producer logs: a `long` counter.
fn counter(size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 32);
    let mut i = 0i64;
    while out.len() < size {
        let mut txn = 0u32.to_le_bytes().to_vec();
        txn.extend_from_slice(&i.to_le_bytes());
        legacy::push_transaction(&mut out, &txn);
        i += 1;
    }
    out
}

/// About `size` bytes of hog-bench's p3 records in AutoCommit pages.
fn p3(size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 4096);
    let mut i = 0u64;
    while out.len() < size {
        let mut txn = Vec::with_capacity(4096);
        for _ in 0..255 {
            let y = (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as u32;
            txn.extend_from_slice(&0u32.to_le_bytes());
            txn.extend_from_slice(&(i as u32).to_le_bytes());
            txn.extend_from_slice(&y.to_le_bytes());
            txn.extend_from_slice(&((i >> 10) as u32).to_le_bytes());
            i += 1;
        }
        legacy::push_transaction(&mut out, &txn);
    }
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Seconds `f` takes, median of `runs`.
fn time(runs: usize, mut f: impl FnMut()) -> f64 {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(7);
    let mib = (1 << 20) as f64;
    for (name, data) in [
        ("orders", orders(4 << 20)),
        ("counter", counter(4 << 20)),
        ("p3", p3(4 << 20)),
        ("mixed", mixed(4 << 20)),
    ] {
        let len = data.len() as f64;
        println!(
            "\n{name}: {:.1} MiB uncompressed, {runs} runs, medians",
            len / mib
        );
        println!(
            "{:<8} {:>7} {:>14} {:>16}",
            "codec", "ratio", "compress MiB/s", "decompress MiB/s"
        );
        let mut secs = std::collections::HashMap::new();
        for (codec, level) in [
            (Codec::Gzip, 1),
            (Codec::Gzip, 6),
            (Codec::Zstd, 1),
            (Codec::Zstd, 3),
            (Codec::ZstdRows, 1),
            (Codec::ZstdRows, 3),
            (Codec::Zstd, 9),
        ] {
            let z = codec.compress(&data, level);
            let c = time(runs, || drop(codec.compress(&data, level)));
            let d = time(runs, || drop(codec.decompress(&z, 1 << 30, "s").unwrap()));
            secs.insert((codec, level), (c, d));
            println!(
                "{:<8} {:>7.2} {:>14.1} {:>16.1}",
                format!("{}-{level}", codec.extension()),
                len / z.len() as f64,
                len / mib / c,
                len / mib / d
            );
        }
        // CPU per MiB on the sending hog for each spool strategy.
        let (gz_c, gz_d) = secs[&(Codec::Gzip, 6)];
        let (zs_c, zs_d) = secs[&(Codec::Zstd, 3)];
        let per = |s: f64| s * 1000.0 * mib / len;
        println!("sender CPU ms per MiB shipped:");
        println!(
            "  only v2 destinations, spool zstd (chosen): {:.2}",
            per(zs_c)
        );
        println!(
            "  a hobbes destination, spool gzip sent as it is to both kinds (chosen): {:.2}",
            per(gz_c)
        );
        println!(
            "  a hobbes destination, spool zstd re-gzipped per send (before): {:.2}",
            per(zs_c + zs_d + gz_c)
        );
        println!(
            "receiver CPU ms per MiB: zstd {:.2}, gzip {:.2}",
            per(zs_d),
            per(gz_d)
        );
    }
}

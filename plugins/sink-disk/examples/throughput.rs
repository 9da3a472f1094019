//! Writes records through the disk sink and prints the rate:
//! `throughput [RECORDS] [PER_TXN] [auto|manual]` (defaults 5000000, 1,
//! auto) into a temporary directory. Build with `--release`.

use std::time::Instant;

use hog_core::pipeline::Batch;
use hog_core::plugin::{CommitMethod, Logger, Qos, Sink, Statement, StreamInfo};
use sink_disk::{DiskSink, Options};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let records: u64 = args
        .first()
        .map_or(5_000_000, |s| s.parse().expect("a number"));
    let per: u64 = args
        .get(1)
        .map_or(1, |s| s.parse().expect("a number"))
        .max(1);
    let commit = match args.get(2).map(String::as_str) {
        Some("manual") => CommitMethod::Manual,
        _ => CommitMethod::Auto,
    };
    let dir = std::env::temp_dir().join(format!("hog-throughput-{}", std::process::id()));
    let options = Options {
        dir: format!("{}/$GROUP/data", dir.display()),
        ..Options::default()
    };
    let mut sink = DiskSink::new(options, Logger::discard()).expect("a sink");
    let stream = StreamInfo {
        id: 1,
        group: "bench".into(),
        pid: 1,
        tid: 1,
        region: "/bench.1.1".into(),
        started_at_ns: 1,
        qos: Qos::Reliable,
        commit,
        statements: vec![Statement {
            id: 0,
            name: "seq".into(),
            flags: 0,
            format: "".into(),
            file: "throughput.rs".into(),
            line: 1,
            type_desc: b"\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00long\x00"
                .to_vec()
                .into(),
        }]
        .into(),
    };
    sink.open_stream(&stream).expect("open");
    let txns = records / per;
    let per_batch = (4 << 20) / (12 * per);
    let start = Instant::now();
    let mut seq = 0;
    while seq < txns {
        let mut batch = Batch::new(1, seq);
        let n = per_batch.min(txns - seq);
        for t in seq..seq + n {
            batch.push_with(|out| {
                for i in 0..per {
                    out.extend_from_slice(&0u32.to_le_bytes());
                    out.extend_from_slice(&((t * per + i) as i64).to_le_bytes());
                }
            });
        }
        seq = sink.write(batch.as_ref()).expect("write");
    }
    sink.close_stream(1).expect("close");
    let secs = start.elapsed().as_secs_f64();
    let path = std::fs::read_dir(dir.join("bench"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let size = std::fs::metadata(&path).unwrap().len();
    println!(
        "{records} records ({txns} transactions, {commit:?}) in {secs:.3} s: {:.1} M records/s, file {} MB",
        records as f64 / secs / 1e6,
        size >> 20
    );
    let _ = std::fs::remove_dir_all(&dir);
}

//! Helpers shared by the disk sink's tests: golden producer streams, sinks
//! in temporary directories, and reading files back.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use hog_core::fregion::{BindingKind, FileBytes, Reader};
use hog_core::pipeline::Batch;
use hog_core::plugin::{CommitMethod, Logger, Qos, Sink, Statement, StreamInfo};
use serde_json::{json, Value as Json};
use sink_disk::{DiskSink, Options};

/// The shared test data directory.
pub fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/hobbes")
}

/// A golden JSON file.
pub fn golden(rel: &str) -> Json {
    let text = std::fs::read(testdata().join(rel)).expect("golden json");
    serde_json::from_slice(&text).unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A producer stream recorded in a golden shm file: its description and
/// its committed transactions.
pub fn golden_stream(name: &str, id: u64, pid: u64) -> (StreamInfo, Vec<Vec<u8>>) {
    let g = golden(&format!("shm/{name}.json"));
    let m = &g["meta"];
    let statements = m["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| Statement {
            id: s["id"].as_u64().unwrap() as u32,
            name: s["name"].as_str().unwrap().into(),
            flags: s["flags"].as_u64().unwrap(),
            format: s["fmt"].as_str().unwrap().into(),
            file: s["file"].as_str().unwrap().into(),
            line: s["line"].as_u64().unwrap() as u32,
            type_desc: unhex(s["type_hex"].as_str().unwrap()).into(),
        })
        .collect::<Vec<_>>();
    let group = g["group"].as_str().unwrap();
    let info = StreamInfo {
        id,
        group: group.into(),
        pid,
        tid: pid,
        region: format!("/{group}.{pid}.{pid}").into(),
        started_at_ns: 1_700_000_000_000_000_000 + pid,
        qos: Qos::Reliable,
        commit: if m["commit_method"] == 0 {
            CommitMethod::Auto
        } else {
            CommitMethod::Manual
        },
        statements: statements.into(),
    };
    let txns = g["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let mut bytes = Vec::new();
            for r in t["records"].as_array().unwrap() {
                bytes.extend_from_slice(&(r["id"].as_u64().unwrap() as u32).to_le_bytes());
                bytes.extend(unhex(r["hex"].as_str().unwrap()));
            }
            bytes
        })
        .collect();
    (info, txns)
}

/// A stream of `long` records (statement `seq`, id 0).
pub fn long_stream(group: &str, id: u64, pid: u64, commit: CommitMethod) -> StreamInfo {
    StreamInfo {
        id,
        group: group.into(),
        pid,
        tid: pid,
        region: format!("/{group}.{pid}.{pid}").into(),
        started_at_ns: 1_700_000_000_000_000_000 + pid,
        qos: Qos::Reliable,
        commit,
        statements: vec![Statement {
            id: 0,
            name: "seq".into(),
            flags: 0,
            format: "".into(),
            file: "test.rs".into(),
            line: 1,
            type_desc: b"\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00long\x00"
                .to_vec()
                .into(),
        }]
        .into(),
    }
}

/// Transactions `from..to` of a `long` stream, `per` records each.
pub fn long_txns(from: i64, to: i64, per: i64) -> Vec<Vec<u8>> {
    (from..to)
        .map(|t| {
            let mut bytes = Vec::new();
            for i in 0..per {
                bytes.extend_from_slice(&0u32.to_le_bytes());
                bytes.extend_from_slice(&(t * per + i).to_le_bytes());
            }
            bytes
        })
        .collect()
}

/// A disk sink writing under `dir` with `options` (JSON, `dir` added).
pub fn sink(dir: &Path, options: Json) -> DiskSink {
    let mut o = options;
    if o.get("dir").is_none() {
        o["dir"] = json!(format!("{}/$GROUP/data", dir.display()));
    }
    DiskSink::new(
        serde_json::from_value::<Options>(o).unwrap(),
        Logger::discard(),
    )
    .unwrap()
}

/// Writes `txns` as transactions `first..` of `stream` in one batch;
/// returns the sink's new mark.
pub fn write(sink: &mut DiskSink, stream: &StreamInfo, first: u64, txns: &[Vec<u8>]) -> u64 {
    let mut batch = Batch::new(stream.id, first);
    for t in txns {
        batch.push(t);
    }
    sink.write(batch.as_ref()).unwrap()
}

/// Opens a file for reading.
pub fn read(path: &Path) -> Reader<FileBytes> {
    Reader::open(path).unwrap_or_else(|e| panic!("{e}"))
}

/// The values of series `name` (compressed or not), in time order, as
/// JSON.
pub fn values<B: AsRef<[u8]>>(r: &Reader<B>, name: &str) -> Vec<Json> {
    let b = r
        .binding(name)
        .unwrap_or_else(|| panic!("no series {name}"));
    match r.kind(b).unwrap() {
        BindingKind::Compressed(_) => r
            .compressed(name)
            .unwrap()
            .iter()
            .map(|v| v.unwrap().to_json())
            .collect(),
        _ => r
            .series(name)
            .unwrap()
            .iter()
            .map(|v| v.unwrap().1.to_json())
            .collect(),
    }
}

/// The `long` values of series `seq`.
pub fn longs(path: &Path) -> Vec<i64> {
    values(&read(path), "seq")
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect()
}

/// The data files (`*.log`) under `dir`, recursively, sorted.
pub fn data_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "log") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// 9 990 `long` records written, hog killed, then `junk` (20 values that
/// cross into a new batch) appended without a commit, as a hog killed
/// between two commits leaves it: a restarted sink (with `options`) takes
/// the junk back and continues to 20 500. Returns the file.
pub fn junk_after_the_last_commit_is_taken_back(
    dir: &Path,
    options: Json,
    junk: impl Fn(&Path, std::ops::Range<i64>),
) -> PathBuf {
    let stream = long_stream("G", 1, 100, CommitMethod::Auto);
    let mut s = sink(dir, options.clone());
    s.open_stream(&stream).unwrap();
    assert_eq!(write(&mut s, &stream, 0, &long_txns(0, 9_990, 1)), 9_990);
    let path = s.file_of(1).unwrap().to_path_buf();
    s.abandon();
    junk(&path, -5_000..-4_980);
    assert_eq!(longs(&path).len(), 9_990 + 20, "the junk is visible");

    let mut s = sink(dir, options);
    assert_eq!(s.open_stream(&stream).unwrap(), 9_990);
    assert_eq!(longs(&path), (0..9_990).collect::<Vec<_>>(), "taken back");
    assert_eq!(
        write(&mut s, &stream, 9_990, &long_txns(9_990, 20_500, 1)),
        20_500
    );
    s.shutdown().unwrap();
    assert_eq!(longs(&path), (0..20_500).collect::<Vec<_>>());
    path
}

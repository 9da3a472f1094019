//! `compress = true` (hog -z): every statement becomes a compressed series
//! in hog's byte-exact `cseq` form, for every statement type (the C++ hog
//! aborts on any that is not a record), every value reads back, the last
//! batch is ended on close, and a file left by a killed hog is read up to
//! its last value and continued exactly.

mod common;

use common::{golden, golden_stream, long_stream, long_txns, longs, read, sink, values, write};
use hog_core::fregion::cseq::{CSeqAppender, Resume};
use hog_core::fregion::{BindingKind, CSeqType, Writer};
use hog_core::plugin::{CommitMethod, Sink};
use serde_json::{json, Value as Json};
use sink_disk::{read_marks, COMMIT_BINDING};

/// Writes the golden producer `shm` compressed and checks every series
/// against the values the C++ hog stored raw (`fregion`).
fn round_trip(shm: &str, fregion: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = sink(dir.path(), json!({"compress": true}));
    let (info, txns) = golden_stream(shm, 1, 1000);
    s.open_stream(&info).unwrap();
    assert_eq!(write(&mut s, &info, 0, &txns), txns.len() as u64);
    let path = s.file_of(1).unwrap().to_path_buf();
    s.shutdown().unwrap();

    let r = read(&path);
    let want = golden(&format!("fregion/{fregion}.json"));
    assert!(r.binding("log").is_none() && r.binding("transactions").is_none());
    assert_eq!(
        r.value(r.binding("statements").unwrap()).unwrap().to_json(),
        want["statements"]
    );
    let series = want["series"].as_object().unwrap();
    assert!(!series.is_empty());
    for (name, w) in series {
        let b = r.binding(name).unwrap();
        assert!(
            matches!(r.kind(b), Ok(BindingKind::Compressed(_))),
            "{name}"
        );
        assert_eq!(Json::Array(values(&r, name)), w["values"], "series {name}");
    }
    assert_eq!(
        r.bindings().len(),
        series.len() + 3,
        "series, statements, .za and the commit cell"
    );
    assert!(r.binding(COMMIT_BINDING).is_some());
}

#[test]
fn every_statement_type_round_trips_compressed() {
    round_trip("auto_reliable_alltypes", "local_default_VecAuto");
}

#[test]
fn manual_commit_statements_round_trip_compressed() {
    round_trip("manual_commit_rollback", "local_default_VecTxn");
}

#[test]
fn batches_end_on_close_and_a_killed_file_reads_to_its_last_value() {
    let dir = tempfile::tempdir().unwrap();
    let stream = long_stream("G", 1, 100, CommitMethod::Auto);
    let mut s = sink(dir.path(), json!({"compress": true}));
    s.open_stream(&stream).unwrap();
    assert_eq!(write(&mut s, &stream, 0, &long_txns(0, 25_000, 1)), 25_000);
    let path = s.file_of(1).unwrap().to_path_buf();
    s.abandon();

    // Killed: the open batch was never ended, and still reads whole.
    let r = read(&path);
    let c = r.compressed("seq").unwrap();
    assert_eq!(c.batch_counts().unwrap(), [10_000, 10_000, 5_000]);
    assert_eq!(longs(&path), (0..25_000).collect::<Vec<_>>());

    // Restarted and closed: the same file continues, in the open batch.
    let mut s = sink(dir.path(), json!({"compress": true}));
    assert_eq!(s.open_stream(&stream).unwrap(), 25_000);
    assert_eq!(s.file_of(1).unwrap(), path);
    assert_eq!(
        write(&mut s, &stream, 25_000, &long_txns(25_000, 31_000, 1)),
        31_000
    );
    s.shutdown().unwrap();
    let r = read(&path);
    assert_eq!(
        r.compressed("seq").unwrap().batch_counts().unwrap(),
        [10_000, 10_000, 10_000, 1_000]
    );
    assert!(read_marks(&r).unwrap().unwrap().clean);
    assert_eq!(longs(&path), (0..31_000).collect::<Vec<_>>());

    // A later hog appends to the cleanly closed file in a new batch.
    let mut s = sink(dir.path(), json!({"compress": true}));
    assert_eq!(s.open_stream(&stream).unwrap(), 31_000);
    assert_eq!(
        write(&mut s, &stream, 31_000, &long_txns(31_000, 31_010, 1)),
        31_010
    );
    s.shutdown().unwrap();
    assert_eq!(
        read(&path)
            .compressed("seq")
            .unwrap()
            .batch_counts()
            .unwrap(),
        [10_000, 10_000, 10_000, 1_000, 10]
    );
    assert_eq!(longs(&path), (0..31_010).collect::<Vec<_>>());
}

/// Codes `values` into series `seq` of the file without committing: what
/// a hog killed between two commits leaves.
fn append_uncommitted(path: &std::path::Path, values: std::ops::Range<i64>) {
    let mut w = Writer::open(path).unwrap();
    let b = w.binding("seq").unwrap().clone();
    let ty = CSeqType::of(b.ty.as_ref().unwrap()).unwrap().unwrap();
    let mut seq = CSeqAppender::open(&mut w, b.offset, ty, Resume::Open).unwrap();
    for v in values {
        seq.append(&mut w, &v.to_le_bytes()).unwrap();
    }
}

#[test]
fn appends_after_the_last_commit_are_taken_back_even_across_batches() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::junk_after_the_last_commit_is_taken_back(
        dir.path(),
        json!({"compress": true}),
        append_uncommitted,
    );
    assert_eq!(
        read(&path)
            .compressed("seq")
            .unwrap()
            .batch_counts()
            .unwrap(),
        [10_000, 10_000, 500]
    );
}

#[test]
fn compressed_files_are_smaller_than_raw_ones() {
    let size = |options: Json| {
        let dir = tempfile::tempdir().unwrap();
        let stream = long_stream("G", 1, 100, CommitMethod::Auto);
        let mut s = sink(dir.path(), options);
        s.open_stream(&stream).unwrap();
        write(&mut s, &stream, 0, &long_txns(0, 50_000, 1));
        let path = s.file_of(1).unwrap().to_path_buf();
        s.shutdown().unwrap();
        std::fs::metadata(path).unwrap().len()
    };
    let (raw, z) = (size(json!({})), size(json!({"compress": true})));
    assert!(z * 2 < raw, "compressed {z} bytes, raw {raw}");
}

#[test]
fn a_failed_batch_is_taken_back_and_its_transactions_written_again() {
    let dir = tempfile::tempdir().unwrap();
    let stream = long_stream("G", 1, 100, CommitMethod::Auto);
    let mut s = sink(dir.path(), json!({"compress": true}));
    s.open_stream(&stream).unwrap();
    assert_eq!(write(&mut s, &stream, 0, &long_txns(0, 100, 1)), 100);
    let path = s.file_of(1).unwrap().to_path_buf();

    // Transaction 105 names no statement: the batch fails part way.
    let mut bad = long_txns(100, 110, 1);
    bad[5] = [7u32.to_le_bytes(), [0; 4]].concat();
    let mut batch = hog_core::pipeline::Batch::new(1, 100);
    for t in &bad {
        batch.push(t);
    }
    let e = s.write(batch.as_ref()).unwrap_err();
    assert!(e.message.contains("transaction 105"), "{e}");
    assert_eq!(longs(&path), (0..100).collect::<Vec<_>>(), "taken back");

    // The stream continues where the file stands, not after what failed.
    assert_eq!(s.open_stream(&stream).unwrap(), 100);
    assert_eq!(write(&mut s, &stream, 100, &long_txns(100, 150, 1)), 150);
    s.shutdown().unwrap();
    assert_eq!(longs(&path), (0..150).collect::<Vec<_>>());
}

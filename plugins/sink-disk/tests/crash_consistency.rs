//! A file left by a killed hog is continued exactly: the mark inside the
//! file says how much of each stream it holds, whatever was appended after
//! the last commit is rolled back, and a replay is skipped, never written
//! twice.

mod common;

use common::{long_stream, long_txns, longs, read, sink, write};
use hog_core::fregion::{SeriesAppender, SeriesType, Writer};
use hog_core::pipeline::Batch;
use hog_core::plugin::{CommitMethod, Sink};
use serde_json::json;
use sink_disk::read_marks;

#[test]
fn the_mark_inside_the_file_survives_a_kill_and_the_stream_continues() {
    let dir = tempfile::tempdir().unwrap();
    let stream = long_stream("G", 7, 100, CommitMethod::Auto);
    let mut s = sink(dir.path(), json!({}));
    assert_eq!(s.open_stream(&stream).unwrap(), 0);
    assert_eq!(write(&mut s, &stream, 0, &long_txns(0, 100, 3)), 100);
    let path = s.file_of(7).unwrap().to_path_buf();
    s.abandon();

    let marks = read_marks(&read(&path)).unwrap().unwrap();
    assert!(!marks.clean);
    assert_eq!(marks.streams, [(sink_disk::stream_key(&stream), 100)]);

    // A restarted hog (the stream keeps its identity, maybe another id).
    let mut s = sink(dir.path(), json!({}));
    let stream = long_stream("G", 9, 100, CommitMethod::Auto);
    assert_eq!(s.open_stream(&stream).unwrap(), 100);
    assert_eq!(s.file_of(9).unwrap(), path, "the same file continues");
    assert_eq!(write(&mut s, &stream, 100, &long_txns(100, 150, 3)), 150);
    s.close_stream(9).unwrap();
    s.shutdown().unwrap();
    assert_eq!(longs(&path), (0..450).collect::<Vec<_>>());
    assert_eq!(common::data_files(dir.path()), std::slice::from_ref(&path));
    assert!(read_marks(&read(&path)).unwrap().unwrap().clean);
}

/// Appends `values` to series `seq` (and `log`) of the file without
/// committing: what a hog killed in the middle of a batch leaves.
fn append_uncommitted(path: &std::path::Path, values: std::ops::Range<i64>) {
    let mut w = Writer::open(path).unwrap();
    let open = |w: &mut Writer, name: &str| {
        let b = w.binding(name).unwrap().clone();
        let ty = SeriesType::of(b.ty.as_ref().unwrap()).unwrap().unwrap();
        SeriesAppender::open(w, b.offset, ty).unwrap()
    };
    let mut seq = open(&mut w, "seq");
    let mut log = open(&mut w, "log");
    for v in values {
        let slot = seq.next_slot(&mut w).unwrap();
        w.write(slot, &v.to_le_bytes());
        seq.publish(&mut w);
        let entry = log.next_slot(&mut w).unwrap();
        w.write_u32(entry, 0);
        w.write_u64(entry + 8, slot);
        log.publish(&mut w);
    }
    // Dropped, not finished: as if killed.
}

#[test]
fn appends_after_the_last_commit_are_rolled_back_even_across_batches() {
    let dir = tempfile::tempdir().unwrap();
    let path =
        common::junk_after_the_last_commit_is_taken_back(dir.path(), json!({}), append_uncommitted);
    let r = read(&path);
    assert_eq!(
        r.series("seq")
            .unwrap()
            .batch_counts_in_list_order()
            .unwrap(),
        [500, 10_000, 10_000]
    );
    let log = common::values(&r, "log");
    assert_eq!(log.len(), 20_500);
    assert!(log
        .iter()
        .enumerate()
        .all(|(i, e)| e["ctor"] == "seq" && e["value"] == json!(i)));
}

#[test]
fn a_replayed_batch_is_skipped_and_a_gap_refused() {
    let dir = tempfile::tempdir().unwrap();
    let stream = long_stream("G", 1, 100, CommitMethod::Manual);
    let mut s = sink(dir.path(), json!({}));
    s.open_stream(&stream).unwrap();
    assert_eq!(write(&mut s, &stream, 0, &long_txns(0, 10, 2)), 10);
    // The host resends 5..15: 5..10 are held already.
    assert_eq!(write(&mut s, &stream, 5, &long_txns(5, 15, 2)), 15);
    let mut gap = Batch::new(1, 20);
    gap.push(&long_txns(20, 21, 2)[0]);
    let e = s.write(gap.as_ref()).unwrap_err();
    assert!(e.message.contains("continues at transaction 20"), "{e}");
    let path = s.file_of(1).unwrap().to_path_buf();
    s.shutdown().unwrap();
    assert_eq!(longs(&path), (0..30).collect::<Vec<_>>());
    let txns = common::values(&read(&path), "transactions");
    assert_eq!(txns.len(), 15);
    assert!(txns
        .iter()
        .all(|t| t["entries"].as_array().unwrap().len() == 2));
}

#[test]
fn consolidated_streams_each_resume_at_their_own_mark() {
    let dir = tempfile::tempdir().unwrap();
    let a = long_stream("G", 1, 100, CommitMethod::Auto);
    let b = long_stream("G", 2, 200, CommitMethod::Auto);
    let mut s = sink(dir.path(), json!({"consolidate": true}));
    s.open_stream(&a).unwrap();
    s.open_stream(&b).unwrap();
    assert_eq!(s.file_of(1), s.file_of(2));
    write(&mut s, &a, 0, &long_txns(0, 10, 1));
    write(&mut s, &b, 0, &long_txns(100, 105, 1));
    let path = s.file_of(1).unwrap().to_path_buf();
    s.abandon();

    let mut s = sink(dir.path(), json!({"consolidate": true}));
    assert_eq!(s.open_stream(&b).unwrap(), 5);
    assert_eq!(s.open_stream(&a).unwrap(), 10);
    write(&mut s, &a, 10, &long_txns(10, 12, 1));
    write(&mut s, &b, 5, &long_txns(105, 106, 1));
    s.shutdown().unwrap();
    let mut want: Vec<i64> = (0..10).collect();
    want.extend(100..105);
    want.extend([10, 11, 105]);
    assert_eq!(longs(&path), want);
}

#[test]
fn a_kill_while_preparing_a_file_leaves_no_data_file_behind() {
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("G");
    std::fs::create_dir_all(&g).unwrap();
    // A half-prepared temporary file of a killed hog.
    std::fs::write(g.join(".tmp.-0.db"), [0u8; 100]).unwrap();
    let stream = long_stream("G", 1, 100, CommitMethod::Auto);
    let mut s = sink(dir.path(), json!({}));
    s.open_stream(&stream).unwrap();
    write(&mut s, &stream, 0, &long_txns(0, 3, 1));
    s.shutdown().unwrap();
    assert_eq!(common::data_files(dir.path()), [g.join("data-0.log")]);
    assert_eq!(longs(&g.join("data-0.log")), [0, 1, 2]);
}

//! The exact semantics of the stat-store calls: which streams are
//! unfinished, that marks never move backwards, that a progress call (marks
//! and cursor) is all or nothing, how the last two cursors are kept, that a
//! stream keeps its id, and how unknown ids are refused.

mod common;

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use abi_stable::std_types::{RNone, ROption, RSome, RVec};
use hog_core::plugin::{
    progress, ErrorKind, SinkProgress, SourceCursor, StatStore, StreamInfo, UnfinishedStream,
};
use store_sqlite::SqliteStore;
use tempfile::TempDir;

use common::{int, session, stream};

/// A fresh store with sessions 1 and 2, and its file.
fn store() -> (TempDir, PathBuf, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hogstat.db");
    let mut store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.begin_session(&session(100)).unwrap(), 1);
    assert_eq!(store.begin_session(&session(200)).unwrap(), 2);
    (dir, path, store)
}

fn record(store: &mut SqliteStore, stream_id: u64, marks: &[(&str, u64)]) {
    record_at(store, stream_id, marks, RNone);
}

fn record_at(
    store: &mut SqliteStore,
    stream_id: u64,
    marks: &[(&str, u64)],
    cursor: ROption<SourceCursor>,
) {
    let marks: Vec<SinkProgress> = marks.iter().map(|&(s, m)| progress(s, m)).collect();
    store
        .record_progress(stream_id, RVec::from(marks).as_rslice(), cursor)
        .unwrap();
}

fn at(seq: u64, position: u64) -> SourceCursor {
    SourceCursor { seq, position }
}

/// The `(cursor, prev_cursor)` of unfinished stream `stream_id`.
fn cursors(
    store: &mut SqliteStore,
    stream_id: u64,
) -> (ROption<SourceCursor>, ROption<SourceCursor>) {
    let streams = store.unfinished_streams().unwrap();
    let entry = streams
        .iter()
        .find(|u| u.stream.id == stream_id)
        .unwrap_or_else(|| panic!("stream {stream_id} is not unfinished"));
    (entry.cursor, entry.prev_cursor)
}

fn marks(entry: &UnfinishedStream) -> Vec<(String, u64)> {
    entry
        .progress
        .iter()
        .map(|p| (p.sink.to_string(), p.durable_end))
        .collect()
}

fn ids(store: &mut SqliteStore) -> Vec<u64> {
    let streams = store.unfinished_streams().unwrap();
    streams.iter().map(|u| u.stream.id).collect()
}

fn now_ns() -> i64 {
    let ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    i64::try_from(ns).unwrap()
}

#[test]
fn a_fresh_store_has_no_unfinished_streams() {
    let (_dir, _path, mut store) = store();
    assert_eq!(store.unfinished_streams().unwrap().len(), 0);
}

#[test]
fn open_stream_returns_the_existing_id_for_the_same_identity() {
    let (_dir, path, mut store) = store();
    let first = stream("g", "ring-a", 1_000);
    assert_eq!(store.open_stream(1, &first).unwrap(), 1);

    // Same group, region and start: the same stream, whatever else differs.
    let again = StreamInfo {
        id: 77,
        pid: 1,
        tid: 2,
        statements: RVec::new(),
        ..first.clone()
    };
    assert_eq!(store.open_stream(2, &again).unwrap(), 1);
    assert_eq!(store.open_stream(1, &first).unwrap(), 1);

    // Any of the three differing makes another stream.
    assert_eq!(
        store.open_stream(1, &stream("g", "ring-a", 1_001)).unwrap(),
        2
    );
    assert_eq!(
        store.open_stream(1, &stream("g", "ring-b", 1_000)).unwrap(),
        3
    );
    assert_eq!(
        store.open_stream(2, &stream("h", "ring-a", 1_000)).unwrap(),
        4
    );
    assert_eq!(int(&path, "SELECT count(*) FROM streams"), 4);

    let unfinished = store.unfinished_streams().unwrap();
    assert_eq!(
        unfinished.iter().map(|u| u.stream.id).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    assert_eq!(
        unfinished.iter().map(|u| u.session_id).collect::<Vec<_>>(),
        [1, 1, 1, 2]
    );
    // The first registration is what is kept, with the id the store gave.
    assert_eq!(
        unfinished[0],
        UnfinishedStream {
            stream: StreamInfo { id: 1, ..first },
            session_id: 1,
            end_seq: RNone,
            progress: RVec::new(),
            cursor: RNone,
            prev_cursor: RNone,
        }
    );
}

#[test]
fn record_progress_never_moves_a_mark_backwards() {
    let (_dir, path, mut store) = store();
    let id = store.open_stream(1, &stream("g", "r", 1)).unwrap();

    record(&mut store, id, &[("disk", 10), ("tcp", 5)]);
    assert_eq!(
        marks(&store.unfinished_streams().unwrap()[0]),
        [("disk".into(), 10), ("tcp".into(), 5)]
    );

    record(&mut store, id, &[("disk", 3), ("tcp", 7)]);
    assert_eq!(
        marks(&store.unfinished_streams().unwrap()[0]),
        [("disk".into(), 10), ("tcp".into(), 7)]
    );

    // Twice in one call: the higher stands, in either order.
    record(&mut store, id, &[("tcp", 9), ("tcp", 8), ("archive", 1)]);
    assert_eq!(
        marks(&store.unfinished_streams().unwrap()[0]),
        [
            ("archive".into(), 1),
            ("disk".into(), 10),
            ("tcp".into(), 9)
        ]
    );

    // An empty call changes nothing.
    record(&mut store, id, &[]);
    assert_eq!(int(&path, "SELECT sum(durable_end) FROM sink_progress"), 20);
}

#[test]
fn record_progress_is_all_or_nothing() {
    let (_dir, path, mut store) = store();
    let id = store.open_stream(1, &stream("g", "r", 1)).unwrap();
    record(&mut store, id, &[("disk", 4)]);

    let too_far = RVec::from(vec![progress("disk", 6), progress("tcp", u64::MAX)]);
    let error = store
        .record_progress(id, too_far.as_rslice(), RSome(at(6, 6)))
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::State);
    assert!(error.message.contains("\"tcp\""), "{}", error.message);
    assert!(
        error.message.contains(&u64::MAX.to_string()),
        "{}",
        error.message
    );

    assert_eq!(
        marks(&store.unfinished_streams().unwrap()[0]),
        [("disk".into(), 4)]
    );
    assert_eq!(int(&path, "SELECT count(*) FROM sink_progress"), 1);
    assert_eq!(cursors(&mut store, id), (RNone, RNone));
}

#[test]
fn record_progress_stamps_the_time() {
    let (_dir, path, mut store) = store();
    let id = store.open_stream(1, &stream("g", "r", 1)).unwrap();
    let before = now_ns();
    record(&mut store, id, &[("disk", 1)]);
    let after = now_ns();
    let at = int(&path, "SELECT updated_at_ns FROM sink_progress");
    assert!(before <= at && at <= after, "{before} <= {at} <= {after}");
}

#[test]
fn a_closed_stream_is_unfinished_until_every_sink_reaches_its_end() {
    let (_dir, _path, mut store) = store();
    let id = store.open_stream(1, &stream("g", "r", 1)).unwrap();
    record(&mut store, id, &[("disk", 10), ("tcp", 7)]);
    store.close_stream(id, 10).unwrap();

    let unfinished = store.unfinished_streams().unwrap();
    assert_eq!(unfinished.len(), 1);
    assert_eq!(unfinished[0].end_seq, RSome(10));
    assert_eq!(unfinished[0].session_id, 1);
    assert_eq!(
        marks(&unfinished[0]),
        [("disk".into(), 10), ("tcp".into(), 7)]
    );

    record(&mut store, id, &[("tcp", 9)]);
    assert_eq!(ids(&mut store), [id]);
    record(&mut store, id, &[("tcp", 10)]);
    assert_eq!(ids(&mut store), Vec::<u64>::new());
}

#[test]
fn an_open_stream_is_unfinished_even_with_every_sink_caught_up() {
    let (_dir, _path, mut store) = store();
    let id = store.open_stream(1, &stream("g", "r", 1)).unwrap();
    record(&mut store, id, &[("disk", 10), ("tcp", 10)]);
    let unfinished = store.unfinished_streams().unwrap();
    assert_eq!(unfinished.len(), 1);
    assert_eq!(unfinished[0].end_seq, RNone);
}

#[test]
fn a_closed_stream_with_no_progress_rows_or_marks_past_its_end_is_finished() {
    let (_dir, _path, mut store) = store();
    let bare = store.open_stream(1, &stream("g", "bare", 1)).unwrap();
    let past = store.open_stream(1, &stream("g", "past", 1)).unwrap();
    let open = store.open_stream(1, &stream("g", "open", 1)).unwrap();
    store.close_stream(bare, 5).unwrap();
    record(&mut store, past, &[("disk", 12)]);
    store.close_stream(past, 10).unwrap();
    assert_eq!(ids(&mut store), [open]);
}

#[test]
fn unfinished_streams_come_in_id_order_with_their_own_progress() {
    let (_dir, _path, mut store) = store();
    let a = store.open_stream(2, &stream("g", "a", 1)).unwrap();
    let b = store.open_stream(1, &stream("g", "b", 1)).unwrap();
    let c = store.open_stream(2, &stream("g", "c", 1)).unwrap();
    record(&mut store, c, &[("disk", 3)]);
    record(&mut store, a, &[("disk", 1), ("tcp", 2)]);
    store.close_stream(b, 0).unwrap();
    record(&mut store, b, &[("disk", 0)]);

    let unfinished = store.unfinished_streams().unwrap();
    assert_eq!(
        unfinished.iter().map(|u| u.stream.id).collect::<Vec<_>>(),
        [a, c]
    );
    assert_eq!(
        unfinished
            .iter()
            .map(|u| u.stream.region.to_string())
            .collect::<Vec<_>>(),
        ["a", "c"]
    );
    assert_eq!(
        unfinished.iter().map(|u| u.session_id).collect::<Vec<_>>(),
        [2, 2]
    );
    assert_eq!(
        marks(&unfinished[0]),
        [("disk".into(), 1), ("tcp".into(), 2)]
    );
    assert_eq!(marks(&unfinished[1]), [("disk".into(), 3)]);
}

#[test]
fn mark_recovered_removes_a_stream_and_records_who_and_when() {
    let (_dir, path, mut store) = store();
    let a = store.open_stream(1, &stream("g", "a", 1)).unwrap();
    let b = store.open_stream(1, &stream("g", "b", 1)).unwrap();
    record(&mut store, a, &[("disk", 3)]);
    store.close_stream(a, 9).unwrap();

    let before = now_ns();
    store.mark_recovered(a, 2).unwrap();
    let after = now_ns();
    assert_eq!(ids(&mut store), [b]);
    assert_eq!(
        int(
            &path,
            &format!("SELECT recovered_by FROM streams WHERE id = {a}")
        ),
        2
    );
    let at = int(
        &path,
        &format!("SELECT recovered_at_ns FROM streams WHERE id = {a}"),
    );
    assert!(before <= at && at <= after, "{before} <= {at} <= {after}");
    assert_eq!(
        int(
            &path,
            &format!("SELECT count(*) FROM streams WHERE id = {b} AND recovered_by IS NULL")
        ),
        1
    );

    store.mark_recovered(b, 2).unwrap();
    assert_eq!(ids(&mut store), Vec::<u64>::new());
}

#[test]
fn end_session_records_the_end() {
    let (_dir, path, mut store) = store();
    assert_eq!(
        int(
            &path,
            "SELECT count(*) FROM sessions WHERE ended_at_ns IS NULL"
        ),
        2
    );
    let before = now_ns();
    store.end_session(2).unwrap();
    let after = now_ns();
    let at = int(&path, "SELECT ended_at_ns FROM sessions WHERE id = 2");
    assert!(before <= at && at <= after, "{before} <= {at} <= {after}");
    assert_eq!(
        int(
            &path,
            "SELECT count(*) FROM sessions WHERE ended_at_ns IS NULL"
        ),
        1
    );
    assert_eq!(int(&path, "SELECT pid FROM sessions WHERE id = 2"), 200);
    let version: String = common::raw(&path)
        .query_row("SELECT version FROM sessions WHERE id = 2", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(version, "0.1.0");
}

#[test]
fn unknown_ids_are_state_errors_naming_the_id_and_change_nothing() {
    let (_dir, path, mut store) = store();
    let id = store.open_stream(1, &stream("g", "r", 1)).unwrap();
    let one = RVec::from(vec![progress("disk", 1)]);
    let file = path.display().to_string();

    let errors = [
        store.end_session(99).unwrap_err(),
        store.open_stream(99, &stream("g", "other", 1)).unwrap_err(),
        store
            .record_progress(99, one.as_rslice(), RNone)
            .unwrap_err(),
        store
            .record_progress(99, one.as_rslice(), RSome(at(1, 1)))
            .unwrap_err(),
        store.close_stream(99, 5).unwrap_err(),
        store.mark_recovered(99, 1).unwrap_err(),
        store.mark_recovered(id, 99).unwrap_err(),
    ];
    for error in errors {
        assert_eq!(error.kind, ErrorKind::State, "{}", error.message);
        assert!(error.message.contains("99"), "{}", error.message);
        assert!(
            error.message.starts_with(&format!("stat store {file}: ")),
            "{}",
            error.message
        );
    }
    // Ids no row can have (past i64::MAX) are unknown too, not a panic.
    let error = store.end_session(u64::MAX).unwrap_err();
    assert_eq!(error.kind, ErrorKind::State);
    assert!(
        error.message.contains(&u64::MAX.to_string()),
        "{}",
        error.message
    );
    let error = store
        .record_progress(u64::MAX, one.as_rslice(), RSome(at(1, 1)))
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::State);

    assert_eq!(int(&path, "SELECT count(*) FROM streams"), 1);
    assert_eq!(int(&path, "SELECT count(*) FROM sink_progress"), 0);
    assert_eq!(
        int(
            &path,
            "SELECT count(*) FROM streams WHERE cursor_seq IS NOT NULL"
        ),
        0
    );
    assert_eq!(ids(&mut store), [id]);
}

#[test]
fn a_cursor_is_recorded_with_the_marks_and_read_back() {
    let (_dir, path, mut store) = store();
    let id = store.open_stream(1, &stream("g", "r", 1)).unwrap();
    let other = store.open_stream(1, &stream("g", "other", 1)).unwrap();
    assert_eq!(cursors(&mut store, id), (RNone, RNone));

    record_at(&mut store, id, &[("disk", 5), ("tcp", 3)], RSome(at(5, 17)));
    let unfinished = store.unfinished_streams().unwrap();
    assert_eq!(
        marks(&unfinished[0]),
        [("disk".into(), 5), ("tcp".into(), 3)]
    );
    assert_eq!(unfinished[0].cursor, RSome(at(5, 17)));
    assert_eq!(unfinished[0].prev_cursor, RNone);
    // Each stream has its own cursors.
    assert_eq!(cursors(&mut store, other), (RNone, RNone));
    assert_eq!(
        int(
            &path,
            &format!("SELECT cursor_pos FROM streams WHERE id = {id}")
        ),
        17
    );

    // A cursor needs no marks with it.
    record_at(&mut store, other, &[], RSome(at(0, 0)));
    assert_eq!(cursors(&mut store, other), (RSome(at(0, 0)), RNone));
    assert_eq!(
        int(
            &path,
            &format!("SELECT count(*) FROM sink_progress WHERE stream_id = {other}")
        ),
        0
    );
}

#[test]
fn a_second_cursor_moves_the_first_to_prev_cursor() {
    let (_dir, _path, mut store) = store();
    let id = store.open_stream(1, &stream("g", "r", 1)).unwrap();

    record_at(&mut store, id, &[("disk", 1)], RSome(at(1, 100)));
    assert_eq!(cursors(&mut store, id), (RSome(at(1, 100)), RNone));
    record_at(&mut store, id, &[("disk", 2)], RSome(at(2, 101)));
    assert_eq!(
        cursors(&mut store, id),
        (RSome(at(2, 101)), RSome(at(1, 100)))
    );
    record_at(&mut store, id, &[("disk", 3)], RSome(at(3, 0)));
    assert_eq!(
        cursors(&mut store, id),
        (RSome(at(3, 0)), RSome(at(2, 101)))
    );
    // A cursor is taken as given, even one behind the last (unlike marks).
    record_at(&mut store, id, &[], RSome(at(1, 7)));
    assert_eq!(cursors(&mut store, id), (RSome(at(1, 7)), RSome(at(3, 0))));
}

#[test]
fn recording_without_a_cursor_keeps_both_cursors() {
    let (_dir, path, mut store) = store();
    let id = store.open_stream(1, &stream("g", "r", 1)).unwrap();
    record_at(&mut store, id, &[("disk", 1)], RSome(at(1, 10)));
    record_at(&mut store, id, &[("disk", 2)], RSome(at(2, 20)));

    record_at(&mut store, id, &[("disk", 9), ("tcp", 4)], RNone);
    record_at(&mut store, id, &[], RNone);
    assert_eq!(
        cursors(&mut store, id),
        (RSome(at(2, 20)), RSome(at(1, 10)))
    );
    assert_eq!(
        marks(&store.unfinished_streams().unwrap()[0]),
        [("disk".into(), 9), ("tcp".into(), 4)]
    );

    // And the store still has them after a reopen.
    drop(store);
    let mut store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        cursors(&mut store, id),
        (RSome(at(2, 20)), RSome(at(1, 10)))
    );
}

#[test]
fn cursor_values_round_trip_exactly_and_values_past_i64_max_are_refused() {
    let (_dir, path, mut store) = store();
    let id = store.open_stream(1, &stream("g", "r", 1)).unwrap();
    let max = i64::MAX as u64;
    for (seq, position) in [(0, 0), (max, max), (max - 1, 1), (1 << 40, (1 << 33) + 5)] {
        record_at(&mut store, id, &[], RSome(at(seq, position)));
        let (cursor, _) = cursors(&mut store, id);
        assert_eq!(cursor, RSome(at(seq, position)));
    }
    let kept = cursors(&mut store, id);
    assert_eq!(
        kept,
        (RSome(at(1 << 40, (1 << 33) + 5)), RSome(at(max - 1, 1)))
    );

    // Past i64::MAX: a state error naming the value, and the whole call,
    // marks included, is refused.
    let one = RVec::from(vec![progress("disk", 1)]);
    for (bad, field) in [
        (at(max + 1, 0), "seq"),
        (at(0, u64::MAX), "position"),
        (at(u64::MAX, u64::MAX), "seq"),
    ] {
        let error = store
            .record_progress(id, one.as_rslice(), RSome(bad))
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::State, "{}", error.message);
        let value = if field == "seq" {
            bad.seq
        } else {
            bad.position
        };
        assert!(
            error
                .message
                .contains(&format!("cursor {field} {value} is beyond")),
            "{}",
            error.message
        );
        assert!(
            error.message.contains(&format!("stream {id}")),
            "{}",
            error.message
        );
    }
    assert_eq!(cursors(&mut store, id), kept);
    assert_eq!(int(&path, "SELECT count(*) FROM sink_progress"), 0);
}

#[test]
fn marks_and_cursor_commit_together_or_not_at_all() {
    let (_dir, path, mut store) = store();
    let id = store.open_stream(1, &stream("g", "r", 1)).unwrap();
    record_at(&mut store, id, &[("disk", 1)], RSome(at(1, 1)));
    let before = (
        marks(&store.unfinished_streams().unwrap()[0]),
        cursors(&mut store, id),
    );
    let after = |store: &mut SqliteStore| {
        (
            marks(&store.unfinished_streams().unwrap()[0]),
            cursors(store, id),
        )
    };
    let two = RVec::from(vec![progress("disk", 2)]);

    // Writing the cursor fails after the marks were written: the marks are
    // rolled back with it.
    common::raw(&path)
        .execute_batch(
            "CREATE TRIGGER no_cursor BEFORE UPDATE OF cursor_seq ON streams
             BEGIN SELECT RAISE(ABORT, 'cursor refused'); END",
        )
        .unwrap();
    let error = store
        .record_progress(id, two.as_rslice(), RSome(at(2, 2)))
        .unwrap_err();
    assert!(
        error.message.contains("cursor refused"),
        "{}",
        error.message
    );
    assert_eq!(after(&mut store), before);

    // Writing a mark fails: the cursor does not move either.
    common::raw(&path)
        .execute_batch(
            "DROP TRIGGER no_cursor;
             CREATE TRIGGER no_marks BEFORE UPDATE ON sink_progress
             BEGIN SELECT RAISE(ABORT, 'mark refused'); END",
        )
        .unwrap();
    let error = store
        .record_progress(id, two.as_rslice(), RSome(at(2, 2)))
        .unwrap_err();
    assert!(error.message.contains("mark refused"), "{}", error.message);
    assert_eq!(after(&mut store), before);

    // Nothing in the way: both move in the one call.
    common::raw(&path)
        .execute_batch("DROP TRIGGER no_marks")
        .unwrap();
    store
        .record_progress(id, two.as_rslice(), RSome(at(2, 2)))
        .unwrap();
    assert_eq!(
        after(&mut store),
        (vec![("disk".into(), 2)], (RSome(at(2, 2)), RSome(at(1, 1))))
    );
}

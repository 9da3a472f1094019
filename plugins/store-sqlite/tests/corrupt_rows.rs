//! A damaged or hand-edited row makes `unfinished_streams` fail with an
//! error naming the stream, never a panic, and the store works again once
//! the row is repaired.

mod common;

use abi_stable::std_types::{RSome, RVec};
use hog_core::plugin::{progress, ErrorKind, SourceCursor, StatStore};
use store_sqlite::SqliteStore;

use common::{raw, session, stream};

#[test]
fn a_corrupt_stream_or_progress_row_is_an_error_naming_the_stream() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hogstat.db");
    let mut store = SqliteStore::open(&path).unwrap();
    store.begin_session(&session(1)).unwrap();
    assert_eq!(store.open_stream(1, &stream("g", "a", 1)).unwrap(), 1);
    assert_eq!(store.open_stream(1, &stream("g", "b", 1)).unwrap(), 2);
    let cursor = |seq| SourceCursor { seq, position: 40 };
    let two = RVec::from(vec![progress("disk", 4)]);
    store
        .record_progress(2, two.as_rslice(), RSome(cursor(3)))
        .unwrap();
    store
        .record_progress(2, two.as_rslice(), RSome(cursor(4)))
        .unwrap();
    let good: String = raw(&path)
        .query_row("SELECT info FROM streams WHERE id = 2", [], |r| r.get(0))
        .unwrap();

    let damage = [
        (
            "UPDATE streams SET info = '{\"id\": 0, \"group\": ' WHERE id = 2",
            "info",
        ),
        ("UPDATE streams SET info = 'null' WHERE id = 2", "info"),
        (
            "UPDATE streams SET info = '{\"id\": 0}' WHERE id = 2",
            "info",
        ),
        ("UPDATE streams SET info = 5 WHERE id = 2", "info"),
        ("UPDATE streams SET info = x'00ff' WHERE id = 2", "info"),
        // Still listed (a sink is behind its end), so it must be decoded.
        (
            "UPDATE streams SET end_seq = -1 WHERE id = 2;
             UPDATE sink_progress SET durable_end = -5 WHERE stream_id = 2",
            "end_seq",
        ),
        ("UPDATE streams SET end_seq = 'ten' WHERE id = 2", "end_seq"),
        (
            "UPDATE sink_progress SET durable_end = -5 WHERE stream_id = 2",
            "durable_end",
        ),
        (
            "UPDATE sink_progress SET durable_end = 'x' WHERE stream_id = 2",
            "durable_end",
        ),
        (
            "UPDATE sink_progress SET sink = x'ff' WHERE stream_id = 2",
            "sink",
        ),
        (
            "UPDATE streams SET cursor_seq = -1 WHERE id = 2",
            "cursor_seq",
        ),
        (
            "UPDATE streams SET cursor_pos = 'x' WHERE id = 2",
            "cursor_pos",
        ),
        (
            "UPDATE streams SET prev_cursor_pos = -40 WHERE id = 2",
            "prev_cursor_pos",
        ),
        (
            "UPDATE streams SET prev_cursor_seq = 2.5 WHERE id = 2",
            "prev_cursor_seq",
        ),
        // Half a cursor: one column set, the other NULL.
        (
            "UPDATE streams SET cursor_pos = NULL WHERE id = 2",
            "cursor_seq is set but cursor_pos is NULL",
        ),
        (
            "UPDATE streams SET prev_cursor_seq = NULL WHERE id = 2",
            "prev_cursor_pos is set but prev_cursor_seq is NULL",
        ),
    ];
    for (sql, column) in damage {
        raw(&path).execute_batch(sql).unwrap();
        let error = store.unfinished_streams().expect_err(sql);
        assert_eq!(error.kind, ErrorKind::Other, "{sql}: {}", error.message);
        assert!(
            error.message.contains("stream 2"),
            "{sql}: {}",
            error.message
        );
        assert!(error.message.contains(column), "{sql}: {}", error.message);

        // Repaired, the store reads both streams again.
        raw(&path)
            .execute_batch(&format!(
                "UPDATE streams SET info = '{good}', end_seq = NULL,
                     cursor_seq = 4, cursor_pos = 40, prev_cursor_seq = 3, prev_cursor_pos = 40
                 WHERE id = 2;
                 UPDATE sink_progress SET sink = 'disk', durable_end = 4 WHERE stream_id = 2;"
            ))
            .unwrap();
        let unfinished = store.unfinished_streams().unwrap();
        assert_eq!(
            unfinished.iter().map(|u| u.stream.id).collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!(
            unfinished[1].progress,
            RVec::from(vec![progress("disk", 4)])
        );
        assert_eq!(unfinished[1].cursor, RSome(cursor(4)));
        assert_eq!(unfinished[1].prev_cursor, RSome(cursor(3)));
    }
}

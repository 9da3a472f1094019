//! The file's settings and schema versioning: a fresh file is in WAL mode at
//! schema version 3, a version 1 file is migrated keeping its data, data
//! survives a reopen, and a file from a newer hog, a foreign file or bad
//! options are refused with messages that say why.

mod common;

use std::path::PathBuf;
use std::sync::Mutex;

use abi_stable::std_types::{RNone, RSome, RStr, RVec};
use hog_core::plugin::{
    progress, ErrorKind, LogLevel, Logger, SourceCursor, StatStore, StreamInfo, UnfinishedStream,
};
use hog_core::units::Span;
use store_sqlite::{
    Options, SqliteStore, Synchronous, DEFAULT_BUSY_TIMEOUT_MS, DEFAULT_RETENTION, SCHEMA_VERSION,
};

use common::{int, raw, session, stream};

#[test]
fn fresh_file_is_wal_at_schema_version_2_in_a_created_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/hog/hogstat.db");
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.path(), path);
    assert!(path.is_file());

    assert_eq!(SCHEMA_VERSION, 3);
    let mode: String = raw(&path)
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(int(&path, "SELECT version FROM schema_version"), 3);
    assert_eq!(int(&path, "SELECT count(*) FROM schema_version"), 1);
    for table in ["sessions", "streams", "sink_progress"] {
        let sql =
            format!("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'");
        assert_eq!(int(&path, &sql), 1, "table {table}");
    }
    assert_eq!(
        int(
            &path,
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'streams_identity'"
        ),
        1
    );
    assert_eq!(cursor_columns(&path), 4);
}

/// How many of the four cursor columns `streams` has.
fn cursor_columns(path: &std::path::Path) -> i64 {
    int(
        path,
        "SELECT count(*) FROM pragma_table_info('streams') WHERE type = 'INTEGER'
         AND name IN ('cursor_seq', 'cursor_pos', 'prev_cursor_seq', 'prev_cursor_pos')",
    )
}

#[test]
fn reopening_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hogstat.db");
    let registered = stream("g", "region-a", 10);
    let cursor = SourceCursor {
        seq: 3,
        position: 12,
    };
    {
        let mut store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.begin_session(&session(1)).unwrap(), 1);
        assert_eq!(store.open_stream(1, &registered).unwrap(), 1);
        store
            .record_progress(
                1,
                RVec::from(vec![progress("disk", 3)]).as_rslice(),
                RSome(cursor),
            )
            .unwrap();
    }
    let mut store = SqliteStore::open(&path).unwrap();
    assert_eq!(int(&path, "SELECT version FROM schema_version"), 3);
    assert_eq!(
        store.unfinished_streams().unwrap().into_vec(),
        vec![UnfinishedStream {
            stream: hog_core::plugin::StreamInfo {
                id: 1,
                ..registered.clone()
            },
            session_id: 1,
            end_seq: RNone,
            progress: RVec::from(vec![progress("disk", 3)]),
            cursor: RSome(cursor),
            prev_cursor: RNone,
        }]
    );
    assert_eq!(store.begin_session(&session(2)).unwrap(), 2);
    assert_eq!(store.open_stream(2, &registered).unwrap(), 1);
}

#[test]
fn newer_schema_version_is_refused_naming_both_versions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hogstat.db");
    drop(SqliteStore::open(&path).unwrap());
    raw(&path)
        .execute("UPDATE schema_version SET version = 999", [])
        .unwrap();

    let error = SqliteStore::open(&path).expect_err("a newer schema is refused");
    assert_eq!(error.kind, ErrorKind::State);
    let message = error.message.as_str();
    assert!(message.contains("999"), "{message}");
    assert!(
        message.contains(&format!("version {SCHEMA_VERSION}")),
        "{message}"
    );
    assert!(message.contains(&path.display().to_string()), "{message}");
    // Refusing leaves the file alone.
    assert_eq!(int(&path, "SELECT version FROM schema_version"), 999);
}

#[test]
fn a_file_with_other_tables_is_not_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    raw(&path)
        .execute_batch("CREATE TABLE customers (name TEXT)")
        .unwrap();

    let error = SqliteStore::open(&path).expect_err("a foreign file is refused");
    assert!(
        error.message.contains("not a hog stat store"),
        "{}",
        error.message
    );
    assert_eq!(
        int(
            &path,
            "SELECT count(*) FROM sqlite_master WHERE name = 'streams'"
        ),
        0
    );
}

#[test]
fn a_file_that_cannot_be_opened_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, b"x").unwrap();
    let path = blocker.join("hogstat.db");

    let error = SqliteStore::open(&path).expect_err("cannot create the file");
    assert_eq!(error.kind, ErrorKind::Io);
    let message = error.message.as_str();
    assert!(
        message.starts_with(&format!("stat store {}: ", path.display())),
        "{message}"
    );
    assert!(message.contains("cannot create directory"), "{message}");

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![0x5a; 8192]).unwrap();
    let error = SqliteStore::open(&garbage).expect_err("not a database");
    let message = error.message.as_str();
    assert!(
        message.starts_with(&format!("stat store {}: cannot open: ", garbage.display())),
        "{message}"
    );
}

#[test]
fn options_parse_with_defaults_and_every_key() {
    assert_eq!(
        Options::from_json(r#"{"path": "/var/lib/hog/hogstat.db"}"#).unwrap(),
        Options {
            path: PathBuf::from("/var/lib/hog/hogstat.db"),
            synchronous: Synchronous::Normal,
            busy_timeout: DEFAULT_BUSY_TIMEOUT_MS,
            retention: Span(DEFAULT_RETENTION),
        }
    );
    assert_eq!(
        Options::from_json(
            r#"{"path": "s.db", "synchronous": "full", "busy_timeout": 250, "retention": "2h"}"#
        )
        .unwrap(),
        Options {
            path: PathBuf::from("s.db"),
            synchronous: Synchronous::Full,
            busy_timeout: 250,
            retention: Span(std::time::Duration::from_secs(7200)),
        }
    );
    assert_eq!(Synchronous::Normal.pragma(), "NORMAL");
    assert_eq!(Synchronous::Full.pragma(), "FULL");
}

#[test]
fn options_with_an_unknown_key_are_rejected_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hogstat.db");
    let json = serde_json::json!({ "path": path, "journal": "delete" }).to_string();

    let error =
        SqliteStore::from_options(&json, Logger::discard()).expect_err("an unknown key is refused");
    assert_eq!(error.kind, ErrorKind::Config);
    assert!(error.message.contains("journal"), "{}", error.message);
    assert!(!path.exists(), "nothing is created for rejected options");
}

#[test]
fn options_missing_path_or_with_bad_values_are_rejected() {
    for (json, expect) in [
        (r#"{}"#, "path"),
        (r#"{"path": ""}"#, "path"),
        (r#"{"path": "x.db", "synchronous": "off"}"#, "off"),
        (r#"{"path": "x.db", "busy_timeout": -1}"#, "-1"),
        ("not json", "expected"),
    ] {
        let error = Options::from_json(json).expect_err(json);
        assert_eq!(error.kind, ErrorKind::Config, "{json}");
        assert!(error.message.contains(expect), "{json}: {}", error.message);
    }
}

#[test]
fn options_synchronous_full_opens_a_working_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("full.db");
    let json = serde_json::json!({ "path": path, "synchronous": "full", "busy_timeout": 100 });
    let mut store = SqliteStore::from_options(&json.to_string(), Logger::discard()).unwrap();
    assert_eq!(store.begin_session(&session(1)).unwrap(), 1);
    assert_eq!(int(&path, "SELECT count(*) FROM sessions"), 1);
}

/// Migration 1's SQL as version 1 of the store shipped it, to build a
/// version 1 file by hand.
const SCHEMA_V1: &str = "
    CREATE TABLE schema_version (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL
    );
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        pid INTEGER NOT NULL,
        started_at_ns INTEGER NOT NULL,
        version TEXT NOT NULL,
        mode TEXT NOT NULL,
        config TEXT NOT NULL,
        ended_at_ns INTEGER
    );
    CREATE TABLE streams (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions (id),
        grp TEXT NOT NULL,
        pid INTEGER NOT NULL,
        tid INTEGER NOT NULL,
        region TEXT NOT NULL,
        started_at_ns INTEGER NOT NULL,
        info TEXT NOT NULL,
        end_seq INTEGER,
        recovered_by INTEGER REFERENCES sessions (id),
        recovered_at_ns INTEGER
    );
    CREATE UNIQUE INDEX streams_identity ON streams (grp, region, started_at_ns);
    CREATE INDEX streams_unrecovered ON streams (id) WHERE recovered_by IS NULL;
    CREATE TABLE sink_progress (
        stream_id INTEGER NOT NULL REFERENCES streams (id),
        sink TEXT NOT NULL,
        durable_end INTEGER NOT NULL,
        updated_at_ns INTEGER NOT NULL,
        PRIMARY KEY (stream_id, sink)
    ) WITHOUT ROWID;
    INSERT INTO schema_version (id, version) VALUES (1, 1);
";

static LOGGED: Mutex<Vec<(LogLevel, String)>> = Mutex::new(Vec::new());

extern "C" fn capture(level: LogLevel, _name: RStr<'_>, message: RStr<'_>) {
    LOGGED.lock().unwrap().push((level, message.to_string()));
}

#[test]
fn a_version_1_file_is_migrated_to_the_current_version_keeping_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hogstat.db");
    let registered = stream("g", "ring", 77);
    let info = serde_json::to_string(&registered).unwrap();
    raw(&path).execute_batch(SCHEMA_V1).unwrap();
    raw(&path)
        .execute_batch(&format!(
            "INSERT INTO sessions (id, pid, started_at_ns, version, mode, config)
                 VALUES (1, 4242, 5, '0.1.0', 'local', '{{}}');
             INSERT INTO streams (id, session_id, grp, pid, tid, region, started_at_ns, info)
                 VALUES (1, 1, 'g', 4242, 4243, 'ring', 77, '{info}');
             INSERT INTO sink_progress (stream_id, sink, durable_end, updated_at_ns)
                 VALUES (1, 'disk', 6, 1);"
        ))
        .unwrap();
    assert_eq!(cursor_columns(&path), 0);

    let mut store =
        SqliteStore::open_with(&Options::new(&path), Logger::new(capture, "stat-store")).unwrap();
    assert_eq!(int(&path, "SELECT version FROM schema_version"), 3);
    assert_eq!(int(&path, "SELECT count(*) FROM schema_version"), 1);
    assert_eq!(cursor_columns(&path), 4);
    let migrated = format!(
        "migrated stat store {} from schema version 1 to {SCHEMA_VERSION}",
        path.display()
    );
    assert!(
        LOGGED
            .lock()
            .unwrap()
            .iter()
            .any(|(level, message)| *level == LogLevel::Info && *message == migrated),
        "{:?}",
        LOGGED.lock().unwrap()
    );

    // The data is kept, with no cursors yet.
    assert_eq!(
        store.unfinished_streams().unwrap().into_vec(),
        vec![UnfinishedStream {
            stream: StreamInfo {
                id: 1,
                ..registered.clone()
            },
            session_id: 1,
            end_seq: RNone,
            progress: RVec::from(vec![progress("disk", 6)]),
            cursor: RNone,
            prev_cursor: RNone,
        }]
    );
    assert_eq!(int(&path, "SELECT pid FROM sessions WHERE id = 1"), 4242);

    // The migrated file works like a new one.
    assert_eq!(store.open_stream(1, &registered).unwrap(), 1);
    let cursor = SourceCursor {
        seq: 7,
        position: 3,
    };
    store
        .record_progress(
            1,
            RVec::from(vec![progress("disk", 7)]).as_rslice(),
            RSome(cursor),
        )
        .unwrap();
    let unfinished = store.unfinished_streams().unwrap();
    assert_eq!(unfinished[0].cursor, RSome(cursor));
    assert_eq!(
        unfinished[0].progress,
        RVec::from(vec![progress("disk", 7)])
    );

    // A second open finds nothing to migrate.
    drop(store);
    drop(SqliteStore::open(&path).unwrap());
    assert_eq!(int(&path, "SELECT version FROM schema_version"), 3);
}

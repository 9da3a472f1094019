//! The file's settings and schema versioning: a fresh file is in WAL mode at
//! schema version 1, data survives a reopen, and a file from a newer hog, a
//! foreign file or bad options are refused with messages that say why.

mod common;

use std::path::PathBuf;

use abi_stable::std_types::{RNone, RVec};
use hog_core::plugin::{progress, ErrorKind, Logger, StatStore, UnfinishedStream};
use store_sqlite::{Options, SqliteStore, Synchronous, DEFAULT_BUSY_TIMEOUT_MS, SCHEMA_VERSION};

use common::{int, raw, session, stream};

#[test]
fn fresh_file_is_wal_at_schema_version_1_in_a_created_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/hog/hogstat.db");
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.path(), path);
    assert!(path.is_file());

    assert_eq!(SCHEMA_VERSION, 1);
    let mode: String = raw(&path)
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(int(&path, "SELECT version FROM schema_version"), 1);
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
}

#[test]
fn reopening_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hogstat.db");
    let registered = stream("g", "region-a", 10);
    {
        let mut store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.begin_session(&session(1)).unwrap(), 1);
        assert_eq!(store.open_stream(1, &registered).unwrap(), 1);
        store
            .record_progress(1, RVec::from(vec![progress("disk", 3)]).as_rslice())
            .unwrap();
    }
    let mut store = SqliteStore::open(&path).unwrap();
    assert_eq!(int(&path, "SELECT version FROM schema_version"), 1);
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
    assert!(message.contains("version 1"), "{message}");
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
        }
    );
    assert_eq!(
        Options::from_json(r#"{"path": "s.db", "synchronous": "full", "busy_timeout": 250}"#)
            .unwrap(),
        Options {
            path: PathBuf::from("s.db"),
            synchronous: Synchronous::Full,
            busy_timeout: 250,
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

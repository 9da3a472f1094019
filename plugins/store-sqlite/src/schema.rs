//! The versioned schema and its migrations.
//!
//! The one row of `schema_version` holds the number of migrations applied.
//! Opening the store applies the missing ones in order, each in a
//! transaction of its own, so a kill mid-way leaves a file at a known
//! version. A file at a version newer than this code knows is refused.

use hog_core::plugin::PluginError;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::error::Place;

/// Migration `n` (from 1) is `MIGRATIONS[n - 1]`; only ever append.
const MIGRATIONS: &[&str] = &[
    // 1: sessions, streams and sink progress.
    "
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
    ",
    // 2: the source's last two cursors of each stream (NULL until recorded).
    "
    ALTER TABLE streams ADD COLUMN cursor_seq INTEGER;
    ALTER TABLE streams ADD COLUMN cursor_pos INTEGER;
    ALTER TABLE streams ADD COLUMN prev_cursor_seq INTEGER;
    ALTER TABLE streams ADD COLUMN prev_cursor_pos INTEGER;
    ",
    // 3: when a stream closed, for retention.
    "
    ALTER TABLE streams ADD COLUMN closed_at_ns INTEGER;
    ",
];

/// The schema version this code writes: the number of migrations it knows.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Brings the file to [`SCHEMA_VERSION`]; returns the version it was at.
pub(crate) fn migrate(conn: &mut Connection, place: &Place) -> Result<u32, PluginError> {
    let found = version(conn, place)?;
    let mut at = found;
    while at < SCHEMA_VERSION {
        let next = at + 1;
        let fail = |e| place.sql(format!("migration {next}"), e);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        // Another process may have migrated since the version was read.
        at = version(&tx, place)?;
        if at < SCHEMA_VERSION {
            tx.execute_batch(MIGRATIONS[at as usize]).map_err(fail)?;
            at += 1;
            tx.execute(
                "INSERT INTO schema_version (id, version) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET version = excluded.version",
                [at],
            )
            .map_err(fail)?;
        }
        tx.commit().map_err(fail)?;
    }
    Ok(found)
}

/// The file's schema version: 0 for an empty file. Refuses a version newer
/// than [`SCHEMA_VERSION`] and a file that holds other tables but no version.
fn version(conn: &Connection, place: &Place) -> Result<u32, PluginError> {
    let fail = |e| place.sql("cannot read the schema version", e);
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'",
            [],
            |row| row.get(0),
        )
        .map_err(fail)?;
    if tables == 0 {
        return Ok(0);
    }
    let has_version: bool = conn
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_master
             WHERE type = 'table' AND name = 'schema_version'",
            [],
            |row| row.get(0),
        )
        .map_err(fail)?;
    if !has_version {
        return Err(
            place.state("not a hog stat store: the file has tables but no schema_version table")
        );
    }
    let version: Option<i64> = conn
        .query_row(
            "SELECT version FROM schema_version WHERE id = 1",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(fail)?;
    let version = version.ok_or_else(|| place.state("the schema_version table has no row"))?;
    let version = u32::try_from(version)
        .map_err(|_| place.state(format!("invalid schema version {version}")))?;
    if version > SCHEMA_VERSION {
        return Err(place.state(format!(
            "schema version {version} is newer than this hog knows (version {SCHEMA_VERSION}); \
             it was written by a newer hog: run that hog, or point this one at another file"
        )));
    }
    Ok(version)
}

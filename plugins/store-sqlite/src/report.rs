//! The store's report for people (`hog stat`), as JSON.

use std::path::Path;

use hog_core::plugin::PluginError;
use rusqlite::{Connection, Row};
use serde_json::{json, Value};

use crate::error::Place;

/// Sessions and recoveries shown, newest first.
const RECENT: i64 = 20;

/// Sessions, unfinished streams with each sink's backlog, recent recoveries.
pub(crate) fn report(conn: &Connection, place: &Place, path: &Path) -> Result<String, PluginError> {
    let fail = |e| place.sql("report", e);
    let rows = |sql: &str,
                f: &dyn Fn(&Row<'_>) -> rusqlite::Result<Value>|
     -> Result<Vec<Value>, PluginError> {
        let mut stmt = conn.prepare(sql).map_err(fail)?;
        let out = stmt
            .query_map([], |row| f(row))
            .map_err(fail)?
            .collect::<rusqlite::Result<Vec<Value>>>()
            .map_err(fail)?;
        Ok(out)
    };
    let sessions = rows(
        &format!(
            "SELECT id, pid, started_at_ns, ended_at_ns, mode, version
             FROM sessions ORDER BY id DESC LIMIT {RECENT}"
        ),
        &|r| {
            Ok(json!({
                "id": r.get::<_, i64>(0)?, "pid": r.get::<_, i64>(1)?,
                "started_at_ns": r.get::<_, i64>(2)?, "ended_at_ns": r.get::<_, Option<i64>>(3)?,
                "mode": r.get::<_, String>(4)?, "version": r.get::<_, String>(5)?,
            }))
        },
    )?;
    let mut unfinished = rows(
        "SELECT id, grp, region, pid, tid, started_at_ns, end_seq, cursor_seq, session_id
         FROM streams AS s
         WHERE recovered_by IS NULL
           AND (end_seq IS NULL OR EXISTS (SELECT 1 FROM sink_progress AS p
                WHERE p.stream_id = s.id AND p.durable_end < s.end_seq))
         ORDER BY id",
        &|r| {
            Ok(json!({
                "id": r.get::<_, i64>(0)?, "group": r.get::<_, String>(1)?,
                "region": r.get::<_, String>(2)?, "pid": r.get::<_, i64>(3)?,
                "tid": r.get::<_, i64>(4)?, "started_at_ns": r.get::<_, i64>(5)?,
                "end_seq": r.get::<_, Option<i64>>(6)?, "read_seq": r.get::<_, Option<i64>>(7)?,
                "session": r.get::<_, i64>(8)?,
            }))
        },
    )?;
    let mut progress = conn
        .prepare("SELECT sink, durable_end FROM sink_progress WHERE stream_id = ?1 ORDER BY sink")
        .map_err(fail)?;
    for stream in &mut unfinished {
        let id = stream["id"].as_i64().unwrap_or(0);
        let end = stream["end_seq"].as_i64().or(stream["read_seq"].as_i64());
        let sinks = progress
            .query_map([id], |r| {
                let mark: i64 = r.get(1)?;
                Ok(json!({
                    "sink": r.get::<_, String>(0)?,
                    "durable_end": mark,
                    "backlog": end.map(|e| (e - mark).max(0)),
                }))
            })
            .map_err(fail)?
            .collect::<rusqlite::Result<Vec<Value>>>()
            .map_err(fail)?;
        stream["sinks"] = Value::Array(sinks);
    }
    let recovered = rows(
        &format!(
            "SELECT id, grp, region, recovered_by, recovered_at_ns FROM streams
             WHERE recovered_by IS NOT NULL ORDER BY recovered_at_ns DESC LIMIT {RECENT}"
        ),
        &|r| {
            Ok(json!({
                "stream": r.get::<_, i64>(0)?, "group": r.get::<_, String>(1)?,
                "region": r.get::<_, String>(2)?, "by_session": r.get::<_, i64>(3)?,
                "at_ns": r.get::<_, i64>(4)?,
            }))
        },
    )?;
    let count = |sql: &str| {
        conn.query_row(sql, [], |r| r.get::<_, i64>(0))
            .map_err(fail)
    };
    let report = json!({
        "file": path.display().to_string(),
        "schema_version": crate::schema::SCHEMA_VERSION,
        "streams": count("SELECT count(*) FROM streams")?,
        "sessions": sessions,
        "unfinished": unfinished,
        "recovered": recovered,
    });
    Ok(report.to_string())
}

//! [`SqliteStore`]: the [`StatStore`] implementation.

use std::path::{Path, PathBuf};

use abi_stable::std_types::{ROption, RSlice, RVec};
use hog_core::plugin::{
    ErrorKind, Logger, PluginError, SessionInfo, SinkProgress, SourceCursor, StatStore, StreamInfo,
    UnfinishedStream,
};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::error::Place;
use crate::options::Options;
use crate::{connection, decode, report, retention, schema};

/// Streams that are not recovered and either still open or behind at some
/// sink that recorded progress, in registration order.
const UNFINISHED: &str = "
    SELECT s.id, s.session_id, s.info, s.end_seq,
           s.cursor_seq, s.cursor_pos, s.prev_cursor_seq, s.prev_cursor_pos
    FROM streams AS s
    WHERE s.recovered_by IS NULL
      AND (s.end_seq IS NULL
           OR EXISTS (SELECT 1 FROM sink_progress AS p
                      WHERE p.stream_id = s.id AND p.durable_end < s.end_seq))
    ORDER BY s.id";

/// A stat store kept in one SQLite file.
///
/// Each call runs in its own transaction and has committed when it returns.
/// Several processes may open the same file; writes wait for each other up
/// to the busy timeout.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    place: Place,
    path: PathBuf,
    logger: Logger,
}

impl SqliteStore {
    /// Opens (creating and migrating if needed) the store at `path` with
    /// default options, logging nowhere: for tools and tests.
    pub fn open(path: &Path) -> Result<Self, PluginError> {
        Self::open_with(&Options::new(path), Logger::discard())
    }

    /// The plugin constructor: parses the host's JSON `options` (see
    /// [`Options`]) and opens the store.
    pub fn from_options(options: &str, logger: Logger) -> Result<Self, PluginError> {
        Self::open_with(&Options::from_json(options)?, logger)
    }

    /// Opens (creating and migrating if needed) the store `options` describe.
    pub fn open_with(options: &Options, logger: Logger) -> Result<Self, PluginError> {
        let place = Place::new(&options.path);
        let mut conn = connection::open(options, &place)?;
        let found = schema::migrate(&mut conn, &place)?;
        let path = options.path.display();
        let to = schema::SCHEMA_VERSION;
        if found == 0 {
            logger.info(&format!("created stat store {path} (schema version {to})"));
        } else if found < to {
            logger.info(&format!(
                "migrated stat store {path} from schema version {found} to {to}"
            ));
        } else {
            logger.debug(&format!("opened stat store {path}"));
        }
        let cutoff =
            now_ns().saturating_sub(options.retention.0.as_nanos().min(i64::MAX as u128) as i64);
        let (streams, sessions) = retention::prune(&mut conn, &place, cutoff)?;
        if streams + sessions > 0 {
            logger.info(&format!(
                "stat store {path}: pruned {streams} finished streams and {sessions} sessions older than {}",
                hog_core::units::format_timespan(options.retention.0)
            ));
        }
        Ok(Self {
            conn,
            place,
            path: options.path.clone(),
            logger,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl StatStore for SqliteStore {
    fn begin_session(&mut self, session: &SessionInfo) -> Result<u64, PluginError> {
        self.conn
            .prepare_cached(
                "INSERT INTO sessions (pid, started_at_ns, version, mode, config)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut insert| {
                insert.insert(params![
                    bits(session.pid),
                    bits(session.started_at_ns),
                    session.version.as_str(),
                    session.mode.as_str(),
                    session.config.as_str(),
                ])
            })
            .map(|id| id as u64)
            .map_err(|e| self.place.sql("begin_session", e))
    }

    fn end_session(&mut self, session_id: u64) -> Result<(), PluginError> {
        let what = format!("end_session {session_id}");
        let changed = match key(session_id) {
            None => 0,
            Some(id) => self
                .conn
                .prepare_cached("UPDATE sessions SET ended_at_ns = ?2 WHERE id = ?1")
                .and_then(|mut update| update.execute(params![id, now_ns()]))
                .map_err(|e| self.place.sql(&what, e))?,
        };
        if changed == 0 {
            return Err(self.place.state(format!("{what}: no such session")));
        }
        Ok(())
    }

    fn open_stream(&mut self, session_id: u64, stream: &StreamInfo) -> Result<u64, PluginError> {
        let what = format!(
            "open_stream {}/{} started at {} ns",
            stream.group, stream.region, stream.started_at_ns
        );
        let place = &self.place;
        let fail = |e| place.sql(&what, e);
        let session = key(session_id)
            .ok_or_else(|| place.state(format!("{what}: no session {session_id}")))?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        if !exists(&tx, "SELECT 1 FROM sessions WHERE id = ?1", session).map_err(fail)? {
            return Err(place.state(format!("{what}: no session {session_id}")));
        }
        let identity = params![
            stream.group.as_str(),
            stream.region.as_str(),
            bits(stream.started_at_ns)
        ];
        let known: Option<i64> = tx
            .prepare_cached(
                "SELECT id FROM streams WHERE grp = ?1 AND region = ?2 AND started_at_ns = ?3",
            )
            .and_then(|mut find| find.query_row(identity, |row| row.get(0)).optional())
            .map_err(fail)?;
        let id = match known {
            Some(id) => id,
            None => {
                // The id lives in its column; the stored description has 0.
                let info = serde_json::to_string(&StreamInfo {
                    id: 0,
                    ..stream.clone()
                })
                .map_err(|e| {
                    place.error(
                        ErrorKind::Other,
                        format!("{what}: cannot encode the stream: {e}"),
                    )
                })?;
                tx.prepare_cached(
                    "INSERT INTO streams
                         (session_id, grp, pid, tid, region, started_at_ns, info)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .and_then(|mut insert| {
                    insert.insert(params![
                        session,
                        stream.group.as_str(),
                        bits(stream.pid),
                        bits(stream.tid),
                        stream.region.as_str(),
                        bits(stream.started_at_ns),
                        info,
                    ])
                })
                .map_err(fail)?
            }
        };
        tx.commit().map_err(fail)?;
        Ok(id as u64)
    }

    fn record_progress(
        &mut self,
        stream_id: u64,
        progress: RSlice<'_, SinkProgress>,
        cursor: ROption<SourceCursor>,
    ) -> Result<(), PluginError> {
        let what = format!("record_progress for stream {stream_id}");
        let place = &self.place;
        let fail = |e| place.sql(&what, e);
        let no_stream = || place.state(format!("{what}: no such stream"));
        let stream = key(stream_id).ok_or_else(no_stream)?;
        let marks = progress
            .iter()
            .map(|p| {
                let mark = seq(p.durable_end).ok_or_else(|| {
                    place.state(format!(
                        "{what}: durable_end {} of sink {:?} is beyond what the store holds",
                        p.durable_end, p.sink
                    ))
                })?;
                Ok((p.sink.as_str(), mark))
            })
            .collect::<Result<Vec<_>, PluginError>>()?;
        let cursor = cursor
            .into_option()
            .map(|c| -> Result<_, PluginError> {
                // Refused like marks, not wrapped: the cursor is read back
                // exactly as given, or not kept.
                let beyond = |field: &str, value: u64| {
                    place.state(format!(
                        "{what}: cursor {field} {value} is beyond what the store holds"
                    ))
                };
                Ok((
                    seq(c.seq).ok_or_else(|| beyond("seq", c.seq))?,
                    seq(c.position).ok_or_else(|| beyond("position", c.position))?,
                ))
            })
            .transpose()?;
        let now = now_ns();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        if !exists(&tx, "SELECT 1 FROM streams WHERE id = ?1", stream).map_err(fail)? {
            return Err(no_stream());
        }
        {
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO sink_progress (stream_id, sink, durable_end, updated_at_ns)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (stream_id, sink) DO UPDATE SET
                         durable_end = MAX(durable_end, excluded.durable_end),
                         updated_at_ns = excluded.updated_at_ns",
                )
                .map_err(fail)?;
            for (sink, mark) in marks {
                upsert
                    .execute(params![stream, sink, mark, now])
                    .map_err(fail)?;
            }
        }
        if let Some((cursor_seq, cursor_pos)) = cursor {
            // SQLite evaluates every new value from the row as it was.
            tx.prepare_cached(
                "UPDATE streams SET
                     prev_cursor_seq = cursor_seq, prev_cursor_pos = cursor_pos,
                     cursor_seq = ?2, cursor_pos = ?3
                 WHERE id = ?1",
            )
            .and_then(|mut update| update.execute(params![stream, cursor_seq, cursor_pos]))
            .map_err(fail)?;
        }
        tx.commit().map_err(fail)
    }

    fn close_stream(&mut self, stream_id: u64, end_seq: u64) -> Result<(), PluginError> {
        let what = format!("close_stream {stream_id} at {end_seq}");
        let end = seq(end_seq).ok_or_else(|| {
            self.place
                .state(format!("{what}: end_seq is beyond what the store holds"))
        })?;
        let changed = match key(stream_id) {
            None => 0,
            Some(id) => self
                .conn
                .prepare_cached("UPDATE streams SET end_seq = ?2, closed_at_ns = ?3 WHERE id = ?1")
                .and_then(|mut update| update.execute(params![id, end, now_ns()]))
                .map_err(|e| self.place.sql(&what, e))?,
        };
        if changed == 0 {
            return Err(self.place.state(format!("{what}: no such stream")));
        }
        Ok(())
    }

    fn unfinished_streams(&mut self) -> Result<RVec<UnfinishedStream>, PluginError> {
        let place = &self.place;
        let fail = |e| place.sql("unfinished_streams", e);
        // One read transaction: streams and progress from the same snapshot.
        let tx = self.conn.transaction().map_err(fail)?;
        let mut unfinished = RVec::new();
        {
            let mut select = tx.prepare_cached(UNFINISHED).map_err(fail)?;
            let mut rows = select.query([]).map_err(fail)?;
            while let Some(row) = rows.next().map_err(fail)? {
                unfinished.push(decode::stream(row, place)?);
            }
        }
        {
            let mut select = tx
                .prepare_cached(
                    "SELECT sink, durable_end FROM sink_progress
                     WHERE stream_id = ?1 ORDER BY sink",
                )
                .map_err(fail)?;
            for stream in unfinished.iter_mut() {
                let id = stream.stream.id;
                let mut rows = select.query([id as i64]).map_err(fail)?;
                while let Some(row) = rows.next().map_err(fail)? {
                    stream.progress.push(decode::progress(row, place, id)?);
                }
            }
        }
        tx.commit().map_err(fail)?;
        self.logger.debug(&format!(
            "stat store {}: {} unfinished streams",
            self.path.display(),
            unfinished.len()
        ));
        Ok(unfinished)
    }

    fn report(&mut self) -> Result<String, PluginError> {
        report::report(&self.conn, &self.place, &self.path)
    }

    fn mark_recovered(&mut self, stream_id: u64, session_id: u64) -> Result<(), PluginError> {
        let what = format!("mark_recovered {stream_id} by session {session_id}");
        let place = &self.place;
        let fail = |e| place.sql(&what, e);
        let no_session = || place.state(format!("{what}: no such session"));
        let no_stream = || place.state(format!("{what}: no such stream"));
        let session = key(session_id).ok_or_else(no_session)?;
        let stream = key(stream_id).ok_or_else(no_stream)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        if !exists(&tx, "SELECT 1 FROM sessions WHERE id = ?1", session).map_err(fail)? {
            return Err(no_session());
        }
        let changed = tx
            .prepare_cached(
                "UPDATE streams SET recovered_by = ?2, recovered_at_ns = ?3 WHERE id = ?1",
            )
            .and_then(|mut update| update.execute(params![stream, session, now_ns()]))
            .map_err(fail)?;
        if changed == 0 {
            return Err(no_stream());
        }
        tx.commit().map_err(fail)
    }
}

/// Whether the one-parameter query `sql` finds a row for `id`.
fn exists(conn: &Connection, sql: &str, id: i64) -> rusqlite::Result<bool> {
    conn.prepare_cached(sql)?.exists([id])
}

/// A row id as SQLite holds it; `None` for one no row can have.
fn key(id: u64) -> Option<i64> {
    i64::try_from(id).ok()
}

/// A sequence number or source position as SQLite holds it, if it fits
/// (marks are compared, so they must keep their order; cursors are read back
/// as they were given).
fn seq(n: u64) -> Option<i64> {
    i64::try_from(n).ok()
}

/// The bit pattern of a value that is only stored and matched, never
/// ordered (pids, thread ids, start times), so that every `u64` fits.
fn bits(n: u64) -> i64 {
    n as i64
}

/// The wall clock as SQLite stores it (a signed 64-bit integer).
fn now_ns() -> i64 {
    i64::try_from(hog_core::clock::now_ns()).unwrap_or(i64::MAX)
}

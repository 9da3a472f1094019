//! Pruning finished history, so the file and start-up time stay bounded.
//!
//! A stream is finished when it is closed and no sink is behind its end, or
//! when a later session recovered it. Finished streams older than the
//! retention go with their progress rows; so do ended sessions that no
//! remaining stream refers to. Unfinished streams are never pruned.

use hog_core::plugin::PluginError;
use rusqlite::{Connection, TransactionBehavior};

use crate::error::Place;

const FINISHED_BEFORE: &str = "
    (COALESCE(closed_at_ns, recovered_at_ns) < ?1)
    AND (recovered_by IS NOT NULL
         OR (end_seq IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM sink_progress AS p
                             WHERE p.stream_id = streams.id AND p.durable_end < streams.end_seq)))";

/// Deletes finished streams and ended sessions older than `cutoff_ns`;
/// returns how many of each went.
pub(crate) fn prune(
    conn: &mut Connection,
    place: &Place,
    cutoff_ns: i64,
) -> Result<(usize, usize), PluginError> {
    let fail = |e| place.sql("pruning finished history", e);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(fail)?;
    tx.execute(
        &format!(
            "DELETE FROM sink_progress WHERE stream_id IN
             (SELECT id FROM streams WHERE {FINISHED_BEFORE})"
        ),
        [cutoff_ns],
    )
    .map_err(fail)?;
    let streams = tx
        .execute(
            &format!("DELETE FROM streams WHERE {FINISHED_BEFORE}"),
            [cutoff_ns],
        )
        .map_err(fail)?;
    let sessions = tx
        .execute(
            "DELETE FROM sessions
             WHERE ended_at_ns IS NOT NULL AND ended_at_ns < ?1
               AND id NOT IN (SELECT session_id FROM streams)
               AND id NOT IN (SELECT recovered_by FROM streams WHERE recovered_by IS NOT NULL)",
            [cutoff_ns],
        )
        .map_err(fail)?;
    tx.commit().map_err(fail)?;
    Ok((streams, sessions))
}

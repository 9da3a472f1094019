//! Opening the database file with the settings the store relies on.

use std::time::Duration;

use hog_core::plugin::{ErrorKind, PluginError};
use rusqlite::Connection;

use crate::error::Place;
use crate::options::Options;

/// Statements the store keeps prepared (it uses about a dozen).
const STATEMENT_CACHE: usize = 32;

/// Opens (creating if needed) the file of `options` in WAL mode with its
/// `synchronous` and busy timeout, and foreign keys enforced.
pub(crate) fn open(options: &Options, place: &Place) -> Result<Connection, PluginError> {
    let cannot = |e| place.sql("cannot open", e);
    if let Some(dir) = options.path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            place.error(
                ErrorKind::Io,
                format!("cannot create directory {}: {e}", dir.display()),
            )
        })?;
    }
    let conn = Connection::open(&options.path).map_err(cannot)?;
    conn.busy_timeout(Duration::from_millis(options.busy_timeout))
        .map_err(cannot)?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(cannot)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(place.error(
            ErrorKind::Io,
            format!("cannot open: SQLite refused WAL journal mode (it kept {mode:?})"),
        ));
    }
    conn.pragma_update(None, "synchronous", options.synchronous.pragma())
        .map_err(cannot)?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(cannot)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

//! Errors that name the database file and what failed.

use std::fmt::Display;
use std::path::Path;

use hog_core::plugin::{ErrorKind, PluginError};
use rusqlite::ErrorCode;

/// The store's file, as error messages name it.
#[derive(Clone, Debug)]
pub(crate) struct Place(String);

impl Place {
    /// The place of the database file `path`.
    pub(crate) fn new(path: &Path) -> Self {
        Self(path.display().to_string())
    }

    /// An error of `kind`: "stat store PATH: WHAT".
    pub(crate) fn error(&self, kind: ErrorKind, what: impl Display) -> PluginError {
        PluginError::new(kind, format!("stat store {}: {what}", self.0))
    }

    /// A state error (unknown id, newer schema, ...).
    pub(crate) fn state(&self, what: impl Display) -> PluginError {
        self.error(ErrorKind::State, what)
    }

    /// SQLite failing at `what`, with a kind chosen from its error code.
    pub(crate) fn sql(&self, what: impl Display, e: rusqlite::Error) -> PluginError {
        self.error(kind_of(&e), format!("{what}: {e}"))
    }
}

/// The error kind of a SQLite failure: I/O (retrying may help) unless the
/// call itself or the file's contents are at fault.
fn kind_of(e: &rusqlite::Error) -> ErrorKind {
    match e.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) => ErrorKind::State,
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => ErrorKind::Other,
        Some(_) => ErrorKind::Io,
        None => ErrorKind::Other,
    }
}

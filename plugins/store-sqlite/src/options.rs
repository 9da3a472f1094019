//! The store's options, parsed from the JSON the host passes.

use std::path::{Path, PathBuf};

use hog_core::plugin::PluginError;
use hog_core::units::Span;
use serde::{Deserialize, Serialize};

/// `busy_timeout` when the options leave it out: 5 s.
pub const DEFAULT_BUSY_TIMEOUT_MS: u64 = 5_000;

/// How the store is opened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// The database file; its directory is created if missing.
    pub path: PathBuf,
    /// When SQLite waits for the disk.
    #[serde(default)]
    pub synchronous: Synchronous,
    /// How long a call waits for another process's lock, in ms.
    #[serde(default = "default_busy_timeout")]
    pub busy_timeout: u64,
    /// Finished history older than this is pruned when the store opens.
    #[serde(default = "default_retention")]
    pub retention: Span,
}

/// SQLite's `synchronous` setting, as far as the store allows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    /// No fsync per commit: committed data survives a kill of hog, and the
    /// file stays consistent through a machine crash, which may lose the last
    /// commits.
    #[default]
    Normal,
    /// Fsync every commit: committed data also survives a machine crash.
    Full,
}

impl Synchronous {
    /// The value of SQLite's `PRAGMA synchronous`.
    pub fn pragma(self) -> &'static str {
        match self {
            Self::Normal => "NORMAL",
            Self::Full => "FULL",
        }
    }
}

fn default_busy_timeout() -> u64 {
    DEFAULT_BUSY_TIMEOUT_MS
}

/// Finished history is kept a week by default.
pub const DEFAULT_RETENTION: std::time::Duration = std::time::Duration::from_secs(7 * 86_400);

fn default_retention() -> Span {
    Span(DEFAULT_RETENTION)
}

impl Options {
    /// The default options for the database file `path`.
    pub fn new(path: impl AsRef<Path>) -> Self {
        Self {
            path: path.as_ref().to_path_buf(),
            synchronous: Synchronous::default(),
            busy_timeout: DEFAULT_BUSY_TIMEOUT_MS,
            retention: default_retention(),
        }
    }

    /// Parses the options from the host's JSON; unknown keys are refused.
    pub fn from_json(json: &str) -> Result<Self, PluginError> {
        let options: Self = serde_json::from_str(json)
            .map_err(|e| PluginError::config(format!("stat store options: {e}")))?;
        if options.path.as_os_str().is_empty() {
            return Err(PluginError::config("stat store options: `path` is empty"));
        }
        Ok(options)
    }
}

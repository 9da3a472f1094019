//! The sink's options, as hog's configuration passes them (JSON).

use std::path::PathBuf;
use std::time::Duration;

use hog_core::plugin::PluginError;
use hog_core::units::{Size, Span};
use serde::Deserialize;

/// Options of the parquet sink.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// Directory of the output: one subdirectory per group.
    pub dir: PathBuf,
    /// Roll a stream's files once they hold this many transaction bytes
    /// (`B`, `KB`, `MB`, `GB`). Default `64MB`.
    #[serde(default = "default_size")]
    pub roll_size: Size,
    /// Roll a stream's files once they are this old (`ms`, `s`, `m`, `h`).
    /// Default `5m`.
    #[serde(default = "default_age")]
    pub roll_age: Span,
}

fn default_size() -> Size {
    Size(64 << 20)
}

fn default_age() -> Span {
    Span(Duration::from_secs(300))
}

/// The options, checked.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Output directory.
    pub dir: PathBuf,
    /// Bytes that roll the files.
    pub roll_size: u64,
    /// Age that rolls the files.
    pub roll_age: Duration,
}

impl Settings {
    /// Reads the JSON options.
    pub fn from_json(json: &str) -> Result<Settings, PluginError> {
        let o: Options = serde_json::from_str(json)
            .map_err(|e| PluginError::config(format!("parquet sink: {e}")))?;
        Ok(Settings {
            dir: o.dir,
            roll_size: o.roll_size.0.max(1),
            roll_age: o.roll_age.0,
        })
    }
}

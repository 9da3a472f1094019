//! The sink's options, as hog's configuration passes them (JSON).

use std::path::PathBuf;
use std::time::Duration;

use hog_core::plugin::PluginError;
use hog_core::units::{parse_size, parse_timespan};
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
    pub roll_size: String,
    /// Roll a stream's files once they are this old (`ms`, `s`, `m`, `h`).
    /// Default `5m`.
    #[serde(default = "default_age")]
    pub roll_age: String,
}

fn default_size() -> String {
    "64MB".into()
}

fn default_age() -> String {
    "5m".into()
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
        let bad = |e: &dyn std::fmt::Display| PluginError::config(format!("parquet sink: {e}"));
        let o: Options = serde_json::from_str(json).map_err(|e| bad(&e))?;
        Ok(Settings {
            dir: o.dir,
            roll_size: parse_size(&o.roll_size).map_err(|e| bad(&e))?.max(1),
            roll_age: parse_timespan(&o.roll_age).map_err(|e| bad(&e))?,
        })
    }
}

//! The sink's options, parsed from the JSON the host passes.

use std::time::Duration;

use hog_core::plugin::PluginError;
use hog_core::units;
use serde::{Deserialize, Serialize};

/// The default file template of hobbes' hog.
pub(crate) const DEFAULT_DIR: &str = "./$GROUP/$DATE/data";

/// How the disk sink writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// File template (`-d`): `$GROUP` and `$DATE` (local `YYYY.MM.DD` of
    /// the stream's start) are replaced; the last component is the file
    /// name prefix, files are `<prefix>-N.log`.
    #[serde(default = "default_dir")]
    pub dir: String,
    /// `-c`: streams with identical statements share a file, and a new hog
    /// appends to the matching file it finds.
    #[serde(default)]
    pub consolidate: bool,
    /// `-z`: store each statement as a compressed series (`cseq`, as hog
    /// -z), with no `log`/`transactions` series.
    #[serde(default)]
    pub compress: bool,
    /// Start a new file once one reaches this size (`B KB MB GB`); unset:
    /// never, as hobbes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotate_size: Option<String>,
    /// Start a new file once one is this old (`us ms s m h d`); unset:
    /// never, as hobbes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotate_time: Option<String>,
    /// Force every batch to the disk before acknowledging it (survives a
    /// machine crash, not only a kill of hog).
    #[serde(default)]
    pub fsync: bool,
}

fn default_dir() -> String {
    DEFAULT_DIR.to_string()
}

impl Default for Options {
    fn default() -> Self {
        Self {
            dir: default_dir(),
            consolidate: false,
            compress: false,
            rotate_size: None,
            rotate_time: None,
            fsync: false,
        }
    }
}

/// Options checked and converted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Settings {
    pub dir: String,
    pub consolidate: bool,
    pub compress: bool,
    pub rotate_size: Option<u64>,
    pub rotate_time: Option<Duration>,
    pub fsync: bool,
}

impl Options {
    /// Parses the options from the host's JSON; unknown keys are refused.
    pub fn from_json(json: &str) -> Result<Self, PluginError> {
        serde_json::from_str(json)
            .map_err(|e| PluginError::config(format!("disk sink options: {e}")))
    }

    pub(crate) fn settings(&self) -> Result<Settings, PluginError> {
        let bad = |m: String| Err(PluginError::config(format!("disk sink options: {m}")));
        if self.dir.is_empty() || self.dir.ends_with('/') {
            return bad(format!(
                "dir '{}' must end with a file name prefix (like ./$GROUP/$DATE/data)",
                self.dir
            ));
        }
        let rotate_size = match &self.rotate_size {
            None => None,
            Some(s) => match units::parse_size(s) {
                Ok(0) => return bad("rotate_size must be more than 0".into()),
                Ok(n) => Some(n),
                Err(e) => return bad(format!("rotate_size: {e}")),
            },
        };
        let rotate_time = match &self.rotate_time {
            None => None,
            Some(s) => match units::parse_timespan(s) {
                Ok(d) if d.is_zero() => return bad("rotate_time must be more than 0".into()),
                Ok(d) => Some(d),
                Err(e) => return bad(format!("rotate_time: {e}")),
            },
        };
        Ok(Settings {
            dir: self.dir.clone(),
            consolidate: self.consolidate,
            compress: self.compress,
            rotate_size,
            rotate_time,
            fsync: self.fsync,
        })
    }
}

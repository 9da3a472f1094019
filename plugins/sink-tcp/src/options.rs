//! Options of the tcp sink, as hog's settings give them (`[sink.tcp]`).

use std::time::Duration;

use hog_core::plugin::PluginError;
use hog_core::units::{Size, Span};
use serde::{Deserialize, Serialize};

/// What to do when the spool is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhenFull {
    /// Wait for room: the sink stops accepting, the ring fills, a Reliable
    /// producer waits. Nothing is lost.
    Block,
    /// Delete the oldest segments, counting and logging every loss.
    DropOldest,
}

/// The tcp sink's options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// Spool directory template (`-d`); `$GROUP` and `$DATE` are replaced.
    pub dir: String,
    /// Cut a segment this long after its first transaction (`-p t`).
    pub batch_time: Span,
    /// Cut a segment at this many uncompressed bytes (`-p s`).
    pub batch_size: Size,
    /// `host:port` of every receiving hog (`-p … host:port…`).
    pub destinations: Vec<String>,
    /// gzip level of segments (hobbes: 6).
    #[serde(default = "default_level")]
    pub compression: u32,
    /// Most bytes the spool of all streams may hold.
    #[serde(default = "default_spool_limit")]
    pub spool_limit: Size,
    /// What to do when the spool is full.
    #[serde(default = "default_when_full")]
    pub when_full: WhenFull,
    /// Connect timeout.
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout: Span,
    /// How long a destination may take to acknowledge a segment.
    #[serde(default = "default_ack_timeout")]
    pub ack_timeout: Span,
    /// Longest wait between reconnection attempts.
    #[serde(default = "default_backoff")]
    pub max_backoff: Span,
    /// fsync the spool after every batch (survives a machine crash, not
    /// only a crash of hog).
    #[serde(default)]
    pub fsync: bool,
    /// Where the sink keeps the list of its spools, to resume sending after
    /// a restart (hog sets it to its store directory).
    #[serde(default)]
    pub state_dir: Option<String>,
}

fn default_level() -> u32 {
    6
}
fn default_spool_limit() -> Size {
    Size(4 << 30)
}
fn default_when_full() -> WhenFull {
    WhenFull::Block
}
fn default_connect_timeout() -> Span {
    Span(Duration::from_secs(5))
}
fn default_ack_timeout() -> Span {
    Span(Duration::from_secs(60))
}
fn default_backoff() -> Span {
    Span(Duration::from_secs(30))
}

impl Options {
    /// Parses and checks the JSON options.
    pub fn from_json(json: &str) -> Result<Options, PluginError> {
        let options: Options = serde_json::from_str(json)
            .map_err(|e| PluginError::config(format!("tcp sink options: {e}")))?;
        if options.destinations.is_empty() {
            return Err(PluginError::config(
                "tcp sink options: no destinations (give -p t s host:port…)",
            ));
        }
        for d in &options.destinations {
            if d.rsplit_once(':')
                .and_then(|(_, p)| p.parse::<u16>().ok())
                .is_none()
            {
                return Err(PluginError::config(format!(
                    "tcp sink options: destination '{d}' is not host:port"
                )));
            }
        }
        if options.compression > 9 {
            return Err(PluginError::config(
                "tcp sink options: compression is 0..=9",
            ));
        }
        Ok(options)
    }
}

//! Options of the tcp sink, as hog's settings give them (`[sink.tcp]`).

use std::collections::BTreeMap;
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

/// The protocol spoken to a destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// Try v2; speak hobbes to a peer that closes the connection on the
    /// probe or answers nothing v2-like (a C++ hog). Never falls back when
    /// TLS or a token is configured.
    Auto,
    /// v2 only.
    V2,
    /// The hobbes protocol only (a C++ receiver).
    Hobbes,
}

/// TLS towards v2 destinations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientTls {
    /// PEM file with the CA that signs the receivers' certificates.
    pub ca: String,
    /// PEM file with this hog's client certificate (mutual TLS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<String>,
    /// PEM file with the client certificate's private key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// Settings of one destination that differ from the sink's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DestinationOptions {
    /// The protocol for this destination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// The name the destination's certificate carries, if not its host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
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
    /// gzip level of segments for hobbes destinations, 0..=12 (hobbes: 6;
    /// 10..=12 compress more, several times slower).
    #[serde(default = "default_level")]
    pub compression: u32,
    /// zstd level of segments for v2 destinations (1..=19).
    #[serde(default = "default_zstd_level")]
    pub zstd_level: i32,
    /// The protocol spoken to every destination (see `destination` for
    /// exceptions).
    #[serde(default = "default_protocol")]
    pub protocol: Protocol,
    /// Per-destination settings, keyed by `host:port`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub destination: BTreeMap<String, DestinationOptions>,
    /// TLS towards v2 destinations; unset: plaintext.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<ClientTls>,
    /// File whose first line is the token sent to v2 destinations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_file: Option<String>,
    /// This hog's name in v2 stream identities (receivers tell senders'
    /// streams apart by it); default: the host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
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
    /// Longest wait between reconnection attempts: a destination back
    /// from an outage of any length is found within about this long.
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
fn default_zstd_level() -> i32 {
    3
}
fn default_protocol() -> Protocol {
    Protocol::Auto
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
    Span(Duration::from_secs(2))
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
        if options.compression > 12 {
            return Err(PluginError::config(
                "tcp sink options: compression is 0..=12",
            ));
        }
        if !(1..=19).contains(&options.zstd_level) {
            return Err(PluginError::config(
                "tcp sink options: zstd_level is 1..=19",
            ));
        }
        if let Some(d) = options
            .destination
            .keys()
            .find(|d| !options.destinations.contains(d))
        {
            return Err(PluginError::config(format!(
                "tcp sink options: destination.\"{d}\" is not one of the destinations"
            )));
        }
        if let Some(tls) = &options.tls {
            if tls.cert.is_some() != tls.key.is_some() {
                return Err(PluginError::config(
                    "tcp sink options: tls.cert and tls.key go together (mutual TLS)",
                ));
            }
        }
        if options
            .origin
            .as_deref()
            .is_some_and(|o| o.is_empty() || o.len() > 255 || o.chars().any(char::is_control))
        {
            return Err(PluginError::config(
                "tcp sink options: origin must have 1 to 255 characters, none a control character",
            ));
        }
        Ok(options)
    }

    /// The protocol spoken to `dest`.
    pub fn protocol_of(&self, dest: &str) -> Protocol {
        self.destination
            .get(dest)
            .and_then(|d| d.protocol)
            .unwrap_or(self.protocol)
    }

    /// Whether any destination may be sent v2 (then segments are spooled
    /// as zstd; otherwise as gzip, ready for hobbes receivers).
    pub fn any_v2(&self) -> bool {
        self.destinations
            .iter()
            .any(|d| self.protocol_of(d) != Protocol::Hobbes)
    }
}

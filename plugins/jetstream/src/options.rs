//! Options of the sink (`[sink.jetstream]`) and of the source
//! (`[source.jetstream]`), as hog's settings give them: the connection keys
//! of [`Connection`] beside each one's own.

use std::time::Duration;

use hog_core::units::{Size, Span};
use hog_core::wire::v2::Codec;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::connection::Connection;
use crate::subject::check_prefix;

/// The keys that belong to [`Connection`].
const CONNECTION_KEYS: &[&str] = &[
    "servers",
    "token",
    "user",
    "password",
    "nkey",
    "credentials",
    "tls",
];

/// Splits `json` into the connection settings and the rest, each checked
/// for unknown keys; `what` names the options in errors.
pub fn parse<T: DeserializeOwned>(json: &str, what: &str) -> Result<(Connection, T), String> {
    let all: Map<String, Value> =
        serde_json::from_str(json).map_err(|e| format!("{what} options: {e}"))?;
    let (connection, rest): (Map<_, _>, Map<_, _>) = all
        .into_iter()
        .partition(|(k, _)| CONNECTION_KEYS.contains(&k.as_str()));
    let connection: Connection = serde_json::from_value(Value::Object(connection))
        .map_err(|e| format!("{what} options: {e}"))?;
    connection.check(what).map_err(|e| e.to_string())?;
    let rest =
        serde_json::from_value(Value::Object(rest)).map_err(|e| format!("{what} options: {e}"))?;
    Ok((connection, rest))
}

/// Where messages are stored and how the JetStream stream is created when
/// it does not exist (an existing stream is used as it is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SinkOptions {
    /// The JetStream stream's name.
    pub stream: String,
    /// Subjects are `<subject_prefix>.<group>.<stream token>`; the stream
    /// is created to hold `<subject_prefix>.>`.
    pub subject_prefix: String,
    /// Copies of every message in the cluster (1, 3 or 5).
    pub replicas: usize,
    /// `file` or `memory`.
    pub storage: Storage,
    /// The stream's size limit; unset: none.
    pub max_bytes: Option<Size>,
    /// How long messages are kept; unset: for ever.
    pub max_age: Option<Span>,
    /// What a full stream does: `new` refuses publishes (hog holds the data
    /// and retries, nothing is lost), `old` deletes the oldest messages.
    pub discard: Discard,
    /// The server's window for deduplicating `Nats-Msg-Id`s.
    pub duplicate_window: Span,
    /// The name this hog gives its streams (its host name by default).
    pub origin: Option<String>,
    /// Uncompressed transactions per message, at most (less while they do
    /// not compress enough to fit the server's `max_payload`).
    pub segment_bytes: Size,
    /// How transactions are compressed: `zstd-rows` (smallest and fastest
    /// for fixed-size records), `zstd`, or `none`.
    pub codec: MessageCodec,
    /// zstd level of messages (1..=19).
    pub zstd_level: i32,
    /// How long a publish or a stream lookup may wait for the cluster.
    pub timeout: Span,
}

impl Default for SinkOptions {
    fn default() -> Self {
        Self {
            stream: "HOG".into(),
            subject_prefix: "hog".into(),
            replicas: 1,
            storage: Storage::File,
            max_bytes: None,
            max_age: None,
            discard: Discard::New,
            duplicate_window: Span(Duration::from_secs(120)),
            origin: None,
            segment_bytes: Size(8 << 20),
            codec: MessageCodec::ZstdRows,
            zstd_level: 3,
            timeout: Span(Duration::from_secs(5)),
        }
    }
}

impl SinkOptions {
    /// Checks values serde cannot.
    pub fn check(&self) -> Result<(), String> {
        check_prefix(&self.subject_prefix)?;
        check_stream_name(&self.stream)?;
        if !(1..=5).contains(&self.replicas) {
            return Err(format!("replicas must be 1 to 5, not {}", self.replicas));
        }
        if !(1..=19).contains(&self.zstd_level) {
            return Err(format!(
                "zstd_level must be 1 to 19, not {}",
                self.zstd_level
            ));
        }
        if self.segment_bytes.0 == 0 {
            return Err("segment_bytes must be above 0".into());
        }
        if let Some(origin) = &self.origin {
            if origin.is_empty() || origin.len() > 255 || origin.chars().any(char::is_control) {
                return Err(
                    "origin must have 1 to 255 characters, none a control character".into(),
                );
            }
        }
        Ok(())
    }
}

/// How a message's transactions are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessageCodec {
    /// zstd over the leading fixed-size transactions stored column by
    /// column.
    ZstdRows,
    /// zstd over the transactions as they are.
    Zstd,
    /// Uncompressed.
    None,
}

impl MessageCodec {
    /// The segment codec.
    pub fn codec(self) -> Codec {
        match self {
            MessageCodec::ZstdRows => Codec::ZstdRows,
            MessageCodec::Zstd => Codec::Zstd,
            MessageCodec::None => Codec::None,
        }
    }
}

/// Where the stream keeps messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Storage {
    /// On disk: survives a restart of the servers.
    File,
    /// In memory.
    Memory,
}

/// What a full stream does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Discard {
    /// Refuse new messages.
    New,
    /// Delete the oldest messages.
    Old,
}

/// What the source reads and how it keeps its place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourceOptions {
    /// The JetStream stream's name.
    pub stream: String,
    /// The subject prefix the sinks publish under.
    pub subject_prefix: String,
    /// Groups to read; empty: all.
    pub groups: Vec<String>,
    /// The durable consumer's name (one per group, `<consumer>-<group>`,
    /// when `groups` lists some), read by one hog at a time; hogs with
    /// different names each read everything.
    pub consumer: String,
    /// How long a message may wait for its acknowledgement (every sink
    /// holding it) before the server delivers it again.
    pub ack_wait: Span,
    /// Largest uncompressed segment accepted.
    pub max_segment: Size,
}

impl Default for SourceOptions {
    fn default() -> Self {
        Self {
            stream: "HOG".into(),
            subject_prefix: "hog".into(),
            groups: Vec::new(),
            consumer: "hog".into(),
            ack_wait: Span(Duration::from_secs(30)),
            max_segment: Size(256 << 20),
        }
    }
}

impl SourceOptions {
    /// Checks values serde cannot.
    pub fn check(&self) -> Result<(), String> {
        check_prefix(&self.subject_prefix)?;
        check_stream_name(&self.stream)?;
        check_stream_name(&self.consumer).map_err(|e| e.replace("stream", "consumer"))
    }
}

/// A stream or consumer name: NATS allows no white space, `.`, `*`, `>`,
/// or path separators.
fn check_stream_name(name: &str) -> Result<(), String> {
    let bad = |c: char| c.is_whitespace() || matches!(c, '.' | '*' | '>' | '/' | '\\');
    if name.is_empty() || name.len() > 255 || name.chars().any(bad) {
        return Err(format!(
            "stream name '{name}' must have 1 to 255 characters, without spaces, '.', '*', '>', '/' or '\\'"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_keys_and_the_rest_are_parsed_apart() {
        let (connection, sink): (Connection, SinkOptions) = parse(
            r#"{"servers": ["nats://127.0.0.1:4222"], "token": "t", "stream": "LOGS",
                "replicas": 3, "max_bytes": "1GB", "max_age": "7d", "codec": "zstd"}"#,
            "jetstream sink",
        )
        .unwrap();
        assert_eq!(connection.servers, ["nats://127.0.0.1:4222"]);
        assert_eq!(connection.token.as_deref(), Some("t"));
        assert_eq!(sink.stream, "LOGS");
        assert_eq!(sink.replicas, 3);
        assert_eq!(sink.max_bytes, Some(Size(1 << 30)));
        assert_eq!(sink.discard, Discard::New);
        assert_eq!(sink.codec.codec(), Codec::Zstd);
        assert!(sink.check().is_ok());
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let e = parse::<SinkOptions>(
            r#"{"servers": ["nats://a:1"], "strem": "X"}"#,
            "jetstream sink",
        )
        .unwrap_err();
        assert!(e.contains("strem"), "{e}");
        let e = parse::<SinkOptions>(r#"{"stream": "X"}"#, "jetstream sink").unwrap_err();
        assert!(e.contains("servers"), "{e}");
        let (_, sink): (Connection, SinkOptions) =
            parse(r#"{"servers": ["nats://a:1"], "stream": "a.b"}"#, "s").unwrap();
        assert!(sink.check().unwrap_err().contains("a.b"));
        let (_, sink): (Connection, SinkOptions) = parse(
            r#"{"servers": ["nats://a:1"], "replicas": 2, "subject_prefix": "x"}"#,
            "s",
        )
        .unwrap();
        assert!(sink.check().is_ok());
        let (_, source): (Connection, SourceOptions) =
            parse(r#"{"servers": ["nats://a:1"], "consumer": "a b"}"#, "s").unwrap();
        assert!(source.check().unwrap_err().contains("consumer name"));
    }
}

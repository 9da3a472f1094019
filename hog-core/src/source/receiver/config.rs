//! The receiver's settings and what is prepared from them at start
//! (certificates, keys and tokens read, contradictions refused).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::units::{Size, Span};
use crate::wire::v2::tls::{self, TlsError};
use crate::wire::v2::token::{self, TokenError};

/// A batch protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// hog's own protocol: exactly-once, zstd, TLS, authentication.
    V2,
    /// The hobbes protocol, as the C++ hog speaks it.
    Hobbes,
}

/// The receiver's TLS certificate, key and (for mutual TLS) client CA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerTls {
    /// PEM file with the receiver's certificate chain.
    pub cert: PathBuf,
    /// PEM file with the receiver's private key.
    pub key: PathBuf,
    /// PEM file with the CA that signs client certificates; a sender that
    /// shows one it signed is authenticated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ca: Option<PathBuf>,
}

/// Settings of the receiver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReceiverConfig {
    /// TCP port, a number or a service name (`-s`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    /// Address to listen on; hobbes listens on every IPv4 address. Use
    /// `127.0.0.1` to accept only local peers.
    pub listen: String,
    /// Protocols accepted on the port: `v2` and/or `hobbes` (told apart by
    /// the first frame).
    pub protocols: Vec<Protocol>,
    /// Refuse senders that do not use TLS (hobbes senders included).
    pub require_tls: bool,
    /// Refuse senders that do not authenticate with a client certificate
    /// or a token (hobbes senders cannot).
    pub require_auth: bool,
    /// TLS offered to v2 senders; unset: plaintext only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<ServerTls>,
    /// File of accepted tokens, one per line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_file: Option<PathBuf>,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: u32,
    /// Connections accepted but not yet past their first frame (the group
    /// name or the v2 probe), which cost a socket and no thread; beyond
    /// this many the oldest is dropped, so a flood of silent connections
    /// cannot lock out a real sender.
    pub max_pending: u32,
    /// A connection idle this long is closed.
    pub idle_timeout: Span,
    /// How long a sender may take from connecting to its hello (TLS
    /// handshake included) before it is dropped.
    pub handshake_timeout: Span,
    /// How long a frame, once begun, may go without a byte arriving.
    pub frame_timeout: Span,
    /// Largest compressed frame accepted.
    pub max_frame: Size,
    /// Largest decompressed init message or segment accepted.
    pub max_segment: Size,
    /// Largest stream description a sender may send before its stream is
    /// open: a v2 hello (read before the token in it is checked), or a
    /// hobbes init message once decompressed.
    pub max_init: Size,
    /// Memory every connection together may hold for segments being
    /// inflated and delivered; past it, connections wait for each other.
    pub max_memory: Size,
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        Self {
            port: None,
            listen: "0.0.0.0".into(),
            protocols: vec![Protocol::V2, Protocol::Hobbes],
            require_tls: false,
            require_auth: false,
            tls: None,
            token_file: None,
            max_connections: 256,
            max_pending: 1024,
            idle_timeout: Span(Duration::from_secs(600)),
            handshake_timeout: Span(Duration::from_secs(10)),
            frame_timeout: Span(Duration::from_secs(60)),
            max_frame: Size(256 << 20),
            max_segment: Size(256 << 20),
            max_init: Size(1 << 20),
            max_memory: Size(1 << 30),
        }
    }
}

/// A receiver setting that cannot be used, naming the setting at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No protocol is accepted.
    #[error("receiver.protocols: accept at least one of \"v2\", \"hobbes\"")]
    NoProtocol,
    /// The certificate, key or client CA cannot be used.
    #[error("receiver.tls: {0}")]
    Tls(#[source] TlsError),
    /// The token file cannot be used.
    #[error("receiver.token_file: {0}")]
    TokenFile(#[source] TokenError),
    /// TLS is required but not offered.
    #[error("receiver.require_tls: set receiver.tls (cert and key) to offer TLS")]
    TlsRequired,
    /// Authentication is required but no sender could authenticate.
    #[error(
        "receiver.require_auth: set receiver.token_file or receiver.tls.client_ca so that senders can authenticate"
    )]
    AuthRequired,
    /// TLS or authentication is required of hobbes senders only.
    #[error(
        "receiver: require_tls and require_auth need protocol \"v2\" (hobbes senders have neither)"
    )]
    HobbesOnly,
    /// The port is not a valid C string.
    #[error("invalid port '{0}'")]
    Port(String),
    /// The port is neither a number nor a service name.
    #[error("'{0}' is neither a port number nor a known service")]
    Service(String),
}

/// The receiver's settings with their files read.
pub struct Prepared {
    /// The settings.
    pub config: ReceiverConfig,
    /// TLS, if offered.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Accepted tokens (empty: none).
    pub tokens: Vec<Vec<u8>>,
}

impl Prepared {
    /// Whether the receiver speaks `protocol`.
    pub fn accepts(&self, protocol: Protocol) -> bool {
        self.config.protocols.contains(&protocol)
    }

    /// Whether hobbes senders may deliver: spoken, and neither TLS nor
    /// authentication is required (a hobbes sender has neither).
    pub fn accepts_hobbes(&self) -> bool {
        self.accepts(Protocol::Hobbes) && !self.config.require_tls && !self.config.require_auth
    }
}

impl ReceiverConfig {
    /// Reads the certificate, key and token files and checks the settings
    /// agree; errors name the setting or file at fault.
    pub fn prepare(&self) -> Result<Prepared, ConfigError> {
        if self.protocols.is_empty() {
            return Err(ConfigError::NoProtocol);
        }
        let tls = self
            .tls
            .as_ref()
            .map(|t| tls::server_config(&t.cert, &t.key, t.client_ca.as_deref()))
            .transpose()
            .map_err(ConfigError::Tls)?;
        let tokens = self
            .token_file
            .as_deref()
            .map(token::load_tokens)
            .transpose()
            .map_err(ConfigError::TokenFile)?
            .unwrap_or_default();
        if self.require_tls && tls.is_none() {
            return Err(ConfigError::TlsRequired);
        }
        let client_ca = self.tls.as_ref().is_some_and(|t| t.client_ca.is_some());
        if self.require_auth && tokens.is_empty() && !client_ca {
            return Err(ConfigError::AuthRequired);
        }
        let v2 = self.protocols.contains(&Protocol::V2);
        if !v2 && (self.require_tls || self.require_auth) {
            return Err(ConfigError::HobbesOnly);
        }
        Ok(Prepared {
            config: self.clone(),
            tls,
            tokens,
        })
    }
}

//! Connecting to a NATS cluster: the servers and credentials the sink and
//! the source share (`servers`, `token`, `user`/`password`, `nkey`,
//! `credentials`, `tls`).

use std::path::PathBuf;
use std::time::Duration;

use async_nats::{Client, ConnectErrorKind, ConnectOptions};
use serde::{Deserialize, Serialize};

/// How to reach the cluster and who to be there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// `nats://host:port` (or `tls://`) of one or more servers; the client
    /// learns the rest of the cluster from them.
    pub servers: Vec<String>,
    /// A token (server `authorization { token }`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// A user name, with `password`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The user's password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// A file holding an nkey seed (`SU…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nkey: Option<PathBuf>,
    /// A `.creds` file (a user JWT and its nkey seed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<PathBuf>,
    /// TLS towards the servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<Tls>,
}

/// TLS settings, as NATS clients name them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    /// PEM file of the CA that signs the servers' certificates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<PathBuf>,
    /// PEM file of this client's certificate (mutual TLS), with `key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<PathBuf>,
    /// PEM file of the client certificate's private key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<PathBuf>,
}

/// Why the connection settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// The settings contradict each other or miss something.
    #[error("{0}")]
    Settings(String),
    /// A credentials or key file cannot be read.
    #[error("cannot read {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl Connection {
    /// Checks the settings; `what` names them in errors (`jetstream sink`).
    pub fn check(&self, what: &str) -> Result<(), ConnectionError> {
        let bad = |m: &str| Err(ConnectionError::Settings(format!("{what}: {m}")));
        if self.servers.is_empty() {
            return bad("servers names no NATS server (servers = [\"nats://127.0.0.1:4222\"])");
        }
        let methods = [
            self.token.is_some(),
            self.user.is_some(),
            self.nkey.is_some(),
            self.credentials.is_some(),
        ];
        if methods.iter().filter(|m| **m).count() > 1 {
            return bad("token, user, nkey and credentials exclude each other");
        }
        if self.user.is_some() != self.password.is_some() {
            return bad("user and password go together");
        }
        if let Some(tls) = &self.tls {
            if tls.cert.is_some() != tls.key.is_some() {
                return bad("tls.cert and tls.key go together");
            }
        }
        Ok(())
    }

    /// Starts a client named `name`. Credentials or TLS settings a server
    /// refuses are an error at once; a cluster that cannot be reached is
    /// not: the client connects in the background and reconnects forever,
    /// so a cluster down at start or later fails the calls made meanwhile
    /// (which hog holds and retries) rather than hog.
    pub async fn connect(&self, name: &str) -> Result<Client, ConnectionError> {
        let servers: Vec<async_nats::ServerAddr> = self
            .servers
            .iter()
            .map(|s| {
                s.parse()
                    .map_err(|e| ConnectionError::Settings(format!("server address '{s}': {e}")))
            })
            .collect::<Result<_, _>>()?;
        match self.options(name)?.connect(servers.clone()).await {
            Ok(client) => Ok(client),
            Err(e) if refused(&e) => Err(ConnectionError::Settings(format!(
                "{}: {e}",
                self.servers.join(", ")
            ))),
            Err(e) => {
                tracing::warn!(
                    "{name}: cannot reach {} yet ({e}); connecting in the background",
                    self.servers.join(", ")
                );
                self.options(name)?
                    .retry_on_initial_connect()
                    .connect(servers)
                    .await
                    .map_err(|e| ConnectionError::Settings(format!("cannot connect: {e}")))
            }
        }
    }

    /// The client's options: name, credentials, TLS, reconnecting forever.
    fn options(&self, name: &str) -> Result<ConnectOptions, ConnectionError> {
        let read = |path: &PathBuf| {
            std::fs::read_to_string(path).map_err(|source| ConnectionError::File {
                path: path.clone(),
                source,
            })
        };
        let mut options = ConnectOptions::new()
            .name(name)
            .max_reconnects(None)
            .connection_timeout(Duration::from_secs(5))
            .reconnect_delay_callback(|attempts| {
                Duration::from_millis((100 * attempts as u64).min(2_000))
            });
        if let Some(token) = &self.token {
            options = options.token(token.clone());
        }
        if let (Some(user), Some(password)) = (&self.user, &self.password) {
            options = options.user_and_password(user.clone(), password.clone());
        }
        if let Some(path) = &self.nkey {
            options = options.nkey(read(path)?.trim().to_string());
        }
        if let Some(path) = &self.credentials {
            options =
                options
                    .credentials(&read(path)?)
                    .map_err(|source| ConnectionError::File {
                        path: path.clone(),
                        source,
                    })?;
        }
        if let Some(tls) = &self.tls {
            options = options.require_tls(true);
            if let Some(ca) = &tls.ca {
                options = options.add_root_certificates(ca.clone());
            }
            if let (Some(cert), Some(key)) = (&tls.cert, &tls.key) {
                options = options.add_client_certificate(cert.clone(), key.clone());
            }
        }
        Ok(options)
    }
}

/// Whether a failed connection was refused for its settings (credentials,
/// TLS: a certificate either side does not accept), not for the network.
fn refused(e: &async_nats::ConnectError) -> bool {
    let text = e.to_string();
    matches!(
        e.kind(),
        ConnectErrorKind::AuthorizationViolation
            | ConnectErrorKind::Authentication
            | ConnectErrorKind::Tls
    ) || text.contains("certificate")
        || text.contains("handshake")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Connection {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn contradictory_settings_are_named() {
        let cases = [
            (r#"{"servers": []}"#, "names no NATS server"),
            (
                r#"{"servers": ["nats://a:1"], "token": "t", "user": "u", "password": "p"}"#,
                "exclude each other",
            ),
            (r#"{"servers": ["nats://a:1"], "user": "u"}"#, "go together"),
            (
                r#"{"servers": ["nats://a:1"], "tls": {"cert": "c.pem"}}"#,
                "tls.cert and tls.key",
            ),
        ];
        for (json, why) in cases {
            let e = parse(json).check("jetstream sink").unwrap_err().to_string();
            assert!(
                e.starts_with("jetstream sink: ") && e.contains(why),
                "{json}: {e}"
            );
        }
        assert!(parse(r#"{"servers": ["nats://a:1"], "token": "t"}"#)
            .check("x")
            .is_ok());
        assert!(serde_json::from_str::<Connection>(r#"{"servers": [], "pasword": "p"}"#).is_err());
    }
}

//! What the senders need to reach destinations, prepared once from the
//! options: TLS configuration, token, this hog's origin name, each
//! destination's protocol and certificate name.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use hog_core::plugin::PluginError;
use hog_core::wire::v2::hello::default_origin;
use hog_core::wire::v2::{self, tls, ClientSettings};

use crate::options::{Options, Protocol};

/// One destination, as its senders reach it (shared by every stream's
/// sender).
pub(crate) struct Destination {
    /// `host:port`.
    pub address: String,
    /// The protocol configured for it.
    pub protocol: Protocol,
    /// How v2 connections are made (TLS with this destination's name).
    pub v2: ClientSettings,
    /// Whether it speaks only the hobbes protocol, as configured or as
    /// learned by the last negotiation.
    hobbes: AtomicBool,
    /// How many destinations of this sink speak only hobbes.
    hobbes_peers: HobbesPeers,
    /// Held by a sender from writing a hobbes-protocol frame (the init or
    /// a segment) to reading its acknowledgement: one frame of this hog at
    /// a time in a hobbes receiver (see [`Destination::hobbes_turn`]).
    turn: Mutex<()>,
    /// What its senders did, for the metrics.
    pub counts: DestinationCounts,
}

/// Counts of one destination's traffic (all streams together).
#[derive(Default)]
pub(crate) struct DestinationCounts {
    /// Segments it acknowledged.
    pub acked: AtomicU64,
    /// Segments sent again (after a lost connection or a timeout).
    pub resent: AtomicU64,
    /// Connections that failed (refused, timed out, broken).
    pub failures: AtomicU64,
    /// 1 while the last attempt to reach it succeeded.
    pub up: AtomicU64,
}

/// How many destinations of a sink speak only the hobbes protocol: while
/// any does, spools cut gzip segments, which both protocols carry as they
/// are, so that a segment is compressed once.
#[derive(Debug, Clone, Default)]
pub(crate) struct HobbesPeers(Arc<AtomicUsize>);

impl HobbesPeers {
    /// Whether some destination speaks only hobbes.
    pub(crate) fn any(&self) -> bool {
        self.0.load(Ordering::Relaxed) > 0
    }
}

impl Destination {
    /// Records what a negotiation learned: the destination speaks only
    /// hobbes (`true`) or v2 (`false`).
    pub(crate) fn learned_hobbes(&self, hobbes: bool) {
        if self.hobbes.swap(hobbes, Ordering::Relaxed) != hobbes {
            if hobbes {
                self.hobbes_peers.0.fetch_add(1, Ordering::Relaxed);
            } else {
                self.hobbes_peers.0.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    /// Waits for this hog's turn to have a frame in flight to a hobbes
    /// receiver, and holds it until the guard is dropped.
    ///
    /// The C++ hog compiles a session's write functions with LLVM when the
    /// init arrives, and lazily again when a statement is first written;
    /// its compiler is shared by all connections and not thread-safe. Two
    /// connections compiling at once (an init beside another stream's first
    /// segment) crash it (SIGSEGV, or glibc "corrupted size"). Its own
    /// sender rarely meets this only because it sends on a timer; this hog
    /// never lets two of its frames be processed by such a receiver at once.
    pub(crate) fn hobbes_turn(&self) -> MutexGuard<'_, ()> {
        self.turn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the destination must be reached over v2: asked for, or
    /// implied by TLS or a token (never given up for plaintext hobbes).
    pub(crate) fn v2_only(&self) -> bool {
        self.protocol == Protocol::V2
            || (self.protocol == Protocol::Auto
                && (self.v2.tls.is_some() || self.v2.token.is_some()))
    }
}

/// The prepared destinations and this hog's origin name.
pub(crate) struct Net {
    /// Every destination, in the configured order.
    pub destinations: Vec<Arc<Destination>>,
    /// How many of them speak only hobbes.
    pub hobbes_peers: HobbesPeers,
    /// The name receivers know this hog by.
    pub origin: String,
}

fn config_error(e: String) -> PluginError {
    PluginError::config(format!("tcp sink options: {e}"))
}

/// The host part of `host:port` (brackets of an IPv6 address removed).
fn host_of(address: &str) -> &str {
    let host = address.rsplit_once(':').map_or(address, |(h, _)| h);
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

impl Net {
    /// Reads the TLS and token files the options name.
    pub(crate) fn prepare(options: &Options) -> Result<Net, PluginError> {
        let tls = options
            .tls
            .as_ref()
            .map(|t| {
                let identity = t
                    .cert
                    .as_deref()
                    .zip(t.key.as_deref())
                    .map(|(c, k)| (Path::new(c), Path::new(k)));
                tls::client_config(Path::new(&t.ca), identity)
            })
            .transpose()
            .map_err(|e| config_error(format!("tls: {e}")))?;
        let token = options
            .token_file
            .as_deref()
            .map(|f| v2::token::load_token(Path::new(f)))
            .transpose()
            .map_err(|e| config_error(format!("token_file: {e}")))?;
        let mut destinations = Vec::new();
        let hobbes_peers = HobbesPeers::default();
        for address in &options.destinations {
            let protocol = options.protocol_of(address);
            let tls = match &tls {
                Some(config) if protocol != Protocol::Hobbes => {
                    let name = options
                        .destination
                        .get(address)
                        .and_then(|d| d.server_name.as_deref())
                        .unwrap_or_else(|| host_of(address));
                    let name = tls::server_name(name)
                        .map_err(|e| config_error(format!("destination {address}: {e}")))?;
                    Some((Arc::clone(config), name))
                }
                _ => None,
            };
            let hobbes = protocol == Protocol::Hobbes;
            if hobbes {
                hobbes_peers.0.fetch_add(1, Ordering::Relaxed);
            }
            destinations.push(Arc::new(Destination {
                address: address.clone(),
                protocol,
                v2: ClientSettings {
                    tls,
                    token: token.clone().filter(|_| protocol != Protocol::Hobbes),
                },
                hobbes: AtomicBool::new(hobbes),
                hobbes_peers: hobbes_peers.clone(),
                turn: Mutex::new(()),
                counts: DestinationCounts::default(),
            }));
        }
        let origin = options.origin.clone().unwrap_or_else(default_origin);
        Ok(Net {
            destinations,
            hobbes_peers,
            origin,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(json: &str) -> Net {
        Net::prepare(&Options::from_json(json).unwrap()).unwrap()
    }

    #[test]
    fn segments_are_cut_as_gzip_while_a_destination_speaks_only_hobbes() {
        use crate::spool::Compression;
        use hog_core::wire::v2::Codec;
        let auto = net(r#"{"dir": "d", "batch_time": "1s", "batch_size": "1MB",
                "destinations": ["a:1", "b:2"]}"#);
        let compression = Compression {
            codec: Codec::Zstd,
            gzip_level: 6,
            zstd_level: 3,
            hobbes_peers: auto.hobbes_peers.clone(),
        };
        assert_eq!(compression.codec(), Codec::Zstd, "both may speak v2");
        let [a, b] = &auto.destinations[..] else {
            panic!("two destinations")
        };
        a.learned_hobbes(true);
        b.learned_hobbes(true);
        a.learned_hobbes(true);
        assert_eq!(compression.codec(), Codec::Gzip);
        a.learned_hobbes(false);
        assert_eq!(compression.codec(), Codec::Gzip, "b still speaks hobbes");
        b.learned_hobbes(false);
        assert_eq!(compression.codec(), Codec::Zstd);

        let configured = net(r#"{"dir": "d", "batch_time": "1s", "batch_size": "1MB",
                "destinations": ["a:1"], "protocol": "hobbes"}"#);
        assert!(configured.hobbes_peers.any());
    }

    #[test]
    fn hosts_are_taken_from_addresses() {
        assert_eq!(host_of("recv.example:9000"), "recv.example");
        assert_eq!(host_of("127.0.0.1:9000"), "127.0.0.1");
        assert_eq!(host_of("[::1]:9000"), "::1");
    }
}

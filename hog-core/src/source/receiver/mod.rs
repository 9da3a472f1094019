//! The receiver source (batchrecv): accepts batch connections from remote
//! hogs (ours or the C++ one) and delivers each connection's stream to the
//! sinks, acknowledging a segment only once every sink holds it durably.
//!
//! One port serves both protocols: a first frame that starts with the v2
//! magic (`.hog2`, never a valid group name) opens a v2 conversation,
//! anything else is a hobbes group name. The first frame is awaited
//! asynchronously (see `pending`, bounded by `max_pending`); then each
//! connection runs on a blocking thread, bounded by `max_connections`. A
//! peer that stays silent is dropped after `idle_timeout` (before its first
//! frame: `handshake_timeout`, if shorter); a peer that closes ends its
//! stream (a hobbes one) or leaves it to be resumed (a v2 one); nothing
//! spins.

mod budget;
mod config;
mod conn;
mod error;
mod legacy;
mod pending;
mod streams;
mod v2;

use std::collections::HashMap;
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use tokio::net::TcpListener;
use tokio::runtime::Handle;
use tokio::sync::{watch, Semaphore};

use crate::pipeline::{stopped, Fanout, PipelineError};
use crate::plugin::UnfinishedStream;
use crate::recovery::{Adopted, Tracker};
use crate::source::{Source, SourceContext};
use crate::wire::v2::Probe;

use crate::clock::now_ns;
pub use config::{ConfigError, Prepared, Protocol, ReceiverConfig, ServerTls};
use conn::Conn;
use error::ConnError;
use pending::{first_frame, Pending};
use streams::ActiveStreams;

/// The receiver source.
pub struct ReceiverSource {
    config: ReceiverConfig,
    adopted: HashMap<u64, Tracker>,
}

impl ReceiverSource {
    /// A receiver with `config`.
    pub fn new(config: ReceiverConfig) -> Self {
        Self {
            config,
            adopted: HashMap::new(),
        }
    }
}

/// Resolves a port number or a service name (`/etc/services`, tcp).
pub fn resolve_port(port: &str) -> Result<u16, ConfigError> {
    if let Ok(n) = port.parse::<u16>() {
        return Ok(n);
    }
    let name = std::ffi::CString::new(port).map_err(|_| ConfigError::Port(port.to_string()))?;
    // SAFETY: both arguments are valid NUL-terminated strings; the result
    // is read at once, before any other call could reuse its storage.
    let entry = unsafe { libc::getservbyname(name.as_ptr(), c"tcp".as_ptr()) };
    if entry.is_null() {
        return Err(ConfigError::Service(port.to_string()));
    }
    // SAFETY: a non-null servent from getservbyname.
    Ok(u16::from_be(unsafe { (*entry).s_port } as u16))
}

/// What every connection shares.
struct Shared {
    prepared: Prepared,
    /// Memory the connections may hold together.
    budget: budget::Budget,
    fanout: Fanout,
    active: Arc<ActiveStreams>,
    /// v2 streams earlier sessions left unfinished, by stream id: their
    /// senders resume them; `End` finishes their recovery.
    adopted: Mutex<HashMap<u64, Tracker>>,
}

impl Shared {
    /// Takes from the memory budget what a frame of `frame_len` bytes that
    /// says it inflates to `declared` needs (itself, the payload and the
    /// batch made of it), waiting up to `frame_timeout`; returns the hold
    /// and the bound to inflate to: the declaration, at most `max_segment`.
    fn hold_for(
        &self,
        frame_len: usize,
        declared: Option<u64>,
    ) -> Result<(budget::Held<'_>, u64), ConnError> {
        let config = &self.prepared.config;
        let max = config.max_segment.0;
        let bound = declared.unwrap_or(max).min(max);
        let need = frame_len as u64 + 2 * bound;
        Ok((self.budget.take(need, config.frame_timeout.0)?, bound))
    }

    /// Says a stream ended, if it was one being recovered.
    fn ended(&self, stream_id: u64) {
        let tracker = self
            .adopted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&stream_id);
        if let Some(t) = tracker {
            t.finished();
        }
    }
}

#[async_trait]
impl Source for ReceiverSource {
    fn name(&self) -> &str {
        "receiver"
    }

    /// A v2 stream (filed under `<origin>:<region>`): its sender resumes it
    /// from this receiver's marks when it reconnects. A hobbes stream
    /// (`<peer>#<start>`) cannot be resumed: its sender starts a new one.
    fn owns(&self, stream: &UnfinishedStream) -> bool {
        let region = stream.stream.region.as_str();
        region.contains(':') && !region.contains('#')
    }

    fn adopt(&mut self, streams: Vec<Adopted>) {
        for a in streams {
            a.tracker.bytes_left(0);
            self.adopted.insert(a.stream.stream.id, a.tracker);
        }
    }

    async fn run(self: Box<Self>, context: SourceContext) -> Result<(), PipelineError> {
        let fail = |message: String| PipelineError::Source {
            source_name: "receiver".into(),
            message,
        };
        let prepared = self.config.prepare().map_err(|e| fail(e.to_string()))?;
        let port = resolve_port(self.config.port.as_deref().unwrap_or(""))
            .map_err(|e| fail(e.to_string()))?;
        let address = format!("{}:{port}", self.config.listen);
        let listener = TcpListener::bind(&address)
            .await
            .map_err(|e| fail(format!("cannot listen on {address}: {e}")))?;
        tracing::info!(
            tls = prepared.tls.is_some(),
            require_tls = self.config.require_tls,
            require_auth = self.config.require_auth,
            "receiving batches on {address} ({})",
            self.config
                .protocols
                .iter()
                .map(|p| format!("{p:?}").to_lowercase())
                .collect::<Vec<_>>()
                .join(", ")
        );
        if !prepared.tokens.is_empty() && prepared.tls.is_none() {
            tracing::warn!("receiver.token_file without receiver.tls: tokens arrive in plaintext");
        }
        let shared = Arc::new(Shared {
            budget: budget::Budget::new(prepared.config.max_memory.0),
            prepared,
            fanout: context.fanout.clone(),
            active: Arc::default(),
            adopted: Mutex::new(self.adopted),
        });
        let slots = Arc::new(Semaphore::new(self.config.max_connections.max(1) as usize));
        let pending = Arc::new(Pending::new(self.config.max_pending));
        let first_wait = self
            .config
            .handshake_timeout
            .0
            .min(self.config.idle_timeout.0);
        let mut shutdown = context.shutdown.clone();
        let mut connections = Vec::new();
        loop {
            let (mut socket, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        tracing::error!("accepting a connection failed: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
                _ = stopped(&mut shutdown) => break,
            };
            crate::metrics::global().receiver_connections.add(1);
            let (shared, slots, waiting) = (
                Arc::clone(&shared),
                Arc::clone(&slots),
                Arc::clone(&pending),
            );
            let mut stop = context.shutdown.clone();
            connections.retain(|c: &tokio::task::JoinHandle<()>| !c.is_finished());
            connections.push(pending.admit(move |id| async move {
                let first = first_frame(&mut socket, first_wait).await;
                waiting.done(id);
                let first = match first {
                    Ok(Some(first)) => first,
                    Ok(None) => return,
                    Err(e) => {
                        tracing::info!(%peer, "connection dropped: {e}");
                        return;
                    }
                };
                let permit = tokio::select! {
                    permit = slots.acquire_owned() => permit.expect("never closed"),
                    _ = stopped(&mut stop) => return,
                };
                let socket = match socket
                    .into_std()
                    .and_then(|s| s.set_nonblocking(false).map(|_| s))
                {
                    Ok(socket) => socket,
                    Err(e) => {
                        tracing::error!(%peer, "cannot serve the connection: {e}");
                        return;
                    }
                };
                let handle = Handle::current();
                let _ = tokio::task::spawn_blocking(move || {
                    serve(socket, peer, first, &shared, stop, &handle);
                    drop(permit);
                })
                .await;
            }));
        }
        for c in connections {
            let _ = c.await;
        }
        Ok(())
    }
}

/// Serves one connection, whose `first` frame was read: tells the
/// protocol from it.
fn serve(
    socket: TcpStream,
    peer: SocketAddr,
    first: Vec<u8>,
    shared: &Shared,
    shutdown: watch::Receiver<bool>,
    handle: &Handle,
) {
    let config = &shared.prepared.config;
    let m = crate::metrics::global();
    m.receiver_open.add(1);
    let result = Conn::new(
        socket,
        peer,
        shutdown,
        config.idle_timeout.0,
        config.frame_timeout.0,
    )
    .map_err(ConnError::from)
    .and_then(|mut conn| {
        if Probe::is_probe(&first) && shared.prepared.accepts(Protocol::V2) {
            v2::serve(&mut conn, &first, shared, handle)
        } else if shared.prepared.accepts_hobbes() {
            legacy::serve(&mut conn, &first, shared, handle)
        } else if shared.prepared.accepts(Protocol::Hobbes) {
            Err(ConnError::HobbesRefused(
                "TLS or authentication is required",
            ))
        } else {
            Err(ConnError::HobbesRefused(
                "receiver.protocols excludes \"hobbes\"",
            ))
        }
    });
    m.receiver_open.sub(1);
    match result {
        Ok(n) => tracing::info!(%peer, "connection ended after {n} transactions"),
        Err(e) => {
            match e {
                ConnError::HobbesRefused(_) => m.refused("protocol"),
                ConnError::Refused(_) => m.refused("auth"),
                _ => {}
            }
            tracing::warn!(%peer, "terminating log session with error: {e}")
        }
    }
}

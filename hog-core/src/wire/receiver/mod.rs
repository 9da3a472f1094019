//! The receiver source (batchrecv): accepts batch connections from remote
//! hogs (ours or the C++ one) and delivers each connection's stream to the
//! sinks, acknowledging a segment only once every sink holds it durably.
//!
//! Each connection runs on a blocking thread, bounded by
//! `max_connections`. A peer that stays silent is dropped after
//! `idle_timeout`; a peer that closes ends its stream; nothing spins.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::runtime::Handle;
use tokio::sync::{watch, Semaphore};

use crate::pipeline::{stopped, Batch, Fanout, PipelineError, Source, SourceContext};
use crate::plugin::StreamInfo;
use crate::types::StatementTable;
use crate::units::{Size, Span};

use super::legacy::{self, Init, WireError, ACK, MAX_GROUP};

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
    /// Connections served at once; more wait to be accepted.
    pub max_connections: u32,
    /// A connection idle this long is closed.
    pub idle_timeout: Span,
    /// Largest compressed frame accepted.
    pub max_frame: Size,
    /// Largest decompressed init message or segment accepted.
    pub max_segment: Size,
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        Self {
            port: None,
            listen: "0.0.0.0".into(),
            max_connections: 256,
            idle_timeout: Span(Duration::from_secs(600)),
            max_frame: Size(256 << 20),
            max_segment: Size(1 << 30),
        }
    }
}

/// The receiver source.
pub struct ReceiverSource {
    config: ReceiverConfig,
}

impl ReceiverSource {
    /// A receiver with `config`.
    pub fn new(config: ReceiverConfig) -> Self {
        Self { config }
    }
}

/// Resolves a port number or a service name (`/etc/services`, tcp).
pub fn resolve_port(port: &str) -> Result<u16, String> {
    if let Ok(n) = port.parse::<u16>() {
        return Ok(n);
    }
    let name = std::ffi::CString::new(port).map_err(|_| format!("invalid port '{port}'"))?;
    // SAFETY: both arguments are valid NUL-terminated strings; the result
    // is read at once, before any other call could reuse its storage.
    let entry = unsafe { libc::getservbyname(name.as_ptr(), c"tcp".as_ptr()) };
    if entry.is_null() {
        return Err(format!(
            "'{port}' is neither a port number nor a known service"
        ));
    }
    // SAFETY: a non-null servent from getservbyname.
    Ok(u16::from_be(unsafe { (*entry).s_port } as u16))
}

#[async_trait]
impl Source for ReceiverSource {
    fn name(&self) -> &str {
        "receiver"
    }

    async fn run(self: Box<Self>, context: SourceContext) -> Result<(), PipelineError> {
        let fail = |message: String| PipelineError::Source {
            source_name: "receiver".into(),
            message,
        };
        let port = resolve_port(self.config.port.as_deref().unwrap_or("")).map_err(fail)?;
        let address = format!("{}:{port}", self.config.listen);
        let listener = TcpListener::bind(&address)
            .await
            .map_err(|e| fail(format!("cannot listen on {address}: {e}")))?;
        tracing::info!("receiving batches on {address}");
        let slots = Arc::new(Semaphore::new(self.config.max_connections.max(1) as usize));
        let mut shutdown = context.shutdown.clone();
        let mut connections = Vec::new();
        loop {
            let permit = tokio::select! {
                permit = Arc::clone(&slots).acquire_owned() => permit.expect("never closed"),
                _ = stopped(&mut shutdown) => break,
            };
            let (socket, peer) = tokio::select! {
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
            let socket = match socket
                .into_std()
                .and_then(|s| s.set_nonblocking(false).map(|_| s))
            {
                Ok(socket) => socket,
                Err(e) => {
                    tracing::error!(%peer, "cannot serve the connection: {e}");
                    continue;
                }
            };
            let connection = Connection {
                socket,
                peer,
                fanout: context.fanout.clone(),
                shutdown: context.shutdown.clone(),
                config: self.config.clone(),
            };
            let handle = Handle::current();
            connections.retain(|c: &tokio::task::JoinHandle<()>| !c.is_finished());
            connections.push(tokio::task::spawn_blocking(move || {
                connection.serve(&handle);
                drop(permit);
            }));
        }
        for c in connections {
            let _ = c.await;
        }
        Ok(())
    }
}

struct Connection {
    socket: TcpStream,
    peer: SocketAddr,
    fanout: Fanout,
    shutdown: watch::Receiver<bool>,
    config: ReceiverConfig,
}

/// How long a started frame may take to arrive whole.
const FRAME_TIMEOUT: Duration = Duration::from_secs(60);
/// How often a waiting connection looks for a stop.
const TICK: Duration = Duration::from_millis(500);

impl Connection {
    fn serve(mut self, handle: &Handle) {
        let peer = self.peer;
        match self.run(handle) {
            Ok(n) => tracing::info!(%peer, "connection ended after {n} transactions"),
            Err(e) => tracing::warn!(%peer, "terminating log session with error: {e}"),
        }
    }

    fn run(&mut self, handle: &Handle) -> Result<u64, String> {
        let text = |e: WireError| e.to_string();
        let max_frame = self.config.max_frame.0;
        let max_segment = self.config.max_segment.0;
        if !self.wait_for_frame()? {
            return Ok(0);
        }
        let group = legacy::read_frame(&mut self.socket, MAX_GROUP, "group name").map_err(text)?;
        let group = legacy::validate_group(&group).map_err(text)?;
        self.wait_for_frame()?;
        let init = legacy::read_frame(&mut self.socket, max_frame, "init message").map_err(text)?;
        let init = Init::decode(&legacy::gunzip(&init, max_segment, "init message").map_err(text)?)
            .map_err(text)?;
        let table = StatementTable::new(&init.statements).map_err(|e| e.to_string())?;
        let info = StreamInfo {
            id: 0,
            group: group.as_str().into(),
            pid: 0,
            tid: 0,
            region: format!("{}#{}", self.peer, now_ns()).into(),
            started_at_ns: now_ns(),
            qos: init.qos,
            commit: init.commit,
            statements: init.statements.clone().into(),
        };
        let mut delivery = handle
            .block_on(self.fanout.open_stream(info, None))
            .map_err(|e| e.to_string())?;
        let stream_id = delivery.stream().id;
        tracing::info!(peer = %self.peer, stream = stream_id, "receiving group '{group}'");
        self.socket.write_all(&[ACK]).map_err(|e| e.to_string())?;
        let mut seq = 0u64;
        while self.wait_for_frame()? {
            let frame = match legacy::read_frame(&mut self.socket, max_frame, "segment") {
                Ok(frame) => frame,
                Err(WireError::Closed) => break,
                Err(e) => return Err(e.to_string()),
            };
            let payload = legacy::gunzip(&frame, max_segment, "segment").map_err(text)?;
            let mut batch = Batch::new(stream_id, seq);
            for txn in legacy::transactions(&payload).map_err(text)? {
                if let Some(Err(e)) = table.records(txn).find(|r| r.is_err()) {
                    return Err(format!("transaction {}: {e}", seq + batch.len() as u64));
                }
                batch.push(txn);
            }
            seq = batch.end_seq();
            if !batch.is_empty() {
                handle
                    .block_on(delivery.deliver(batch, None))
                    .map_err(|e| e.to_string())?;
            }
            self.socket.write_all(&[ACK]).map_err(|e| e.to_string())?;
        }
        handle
            .block_on(delivery.close(seq))
            .map_err(|e| e.to_string())?;
        Ok(seq)
    }

    /// Waits until a frame starts; `false` on a clean EOF or a stop.
    fn wait_for_frame(&mut self) -> Result<bool, String> {
        let started = Instant::now();
        let mut byte = [0u8; 1];
        self.socket
            .set_read_timeout(Some(TICK))
            .map_err(|e| e.to_string())?;
        loop {
            if *self.shutdown.borrow() {
                return Ok(false);
            }
            match self.socket.peek(&mut byte) {
                Ok(0) => return Ok(false),
                Ok(_) => break,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    if started.elapsed() >= self.config.idle_timeout.0 {
                        return Err(format!("idle for {:?}", self.config.idle_timeout.0));
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        self.socket
            .set_read_timeout(Some(FRAME_TIMEOUT))
            .map_err(|e| e.to_string())?;
        Ok(true)
    }
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

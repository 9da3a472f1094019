//! A receiver's side of one connection: frames read patiently (a silent
//! peer costs a wake-up per tick, is dropped after the idle timeout, and a
//! stop is noticed within a tick), optional TLS on top.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::{ServerConfig, ServerConnection, StreamOwned};
use tokio::sync::watch;

use crate::wire::legacy::{self, WireError};
use crate::wire::v2::Transport;

/// How often a waiting connection looks for a stop.
const TICK: Duration = Duration::from_millis(500);

/// One accepted connection.
pub(super) struct Conn {
    transport: Transport,
    /// The peer's address.
    pub peer: SocketAddr,
    shutdown: watch::Receiver<bool>,
    idle: Duration,
    frame: Duration,
    /// Until the stream is open (the handshake, the hello or init), when
    /// the sender must be done, however it trickles its bytes.
    deadline: Option<(Instant, Duration)>,
}

impl Conn {
    /// Wraps an accepted socket; a peer silent for `idle` between frames,
    /// or for `frame` inside one, is dropped.
    pub(super) fn new(
        socket: TcpStream,
        peer: SocketAddr,
        shutdown: watch::Receiver<bool>,
        idle: Duration,
        frame: Duration,
    ) -> std::io::Result<Conn> {
        socket.set_read_timeout(Some(TICK))?;
        socket.set_write_timeout(Some(frame))?;
        let _ = socket.set_nodelay(true);
        Ok(Conn {
            transport: Transport::Plain(socket),
            peer,
            shutdown,
            idle,
            frame,
            deadline: None,
        })
    }

    /// From now, the sender has `limit` to finish its handshake (probe
    /// answer, TLS, hello or init), bytes trickling or not; [`opened`]
    /// lifts it.
    ///
    /// [`opened`]: Self::opened
    pub(super) fn handshake_within(&mut self, limit: Duration) {
        self.deadline = Some((Instant::now() + limit, limit));
    }

    /// The stream is open: no handshake deadline any more.
    pub(super) fn opened(&mut self) {
        self.deadline = None;
    }

    /// An error if the handshake deadline passed.
    fn check_deadline(&self) -> Result<(), WireError> {
        match self.deadline {
            Some((at, limit)) if Instant::now() >= at => Err(WireError::Invalid(format!(
                "the handshake took longer than {limit:?} (receiver.handshake_timeout)"
            ))),
            _ => Ok(()),
        }
    }

    /// The transport (to ask about TLS and client certificates).
    pub(super) fn transport(&self) -> &Transport {
        &self.transport
    }

    fn stopping(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Fills `buf`, allowing `patience` without progress; `Ok(false)` when
    /// nothing was read because the peer closed or hog is stopping and
    /// `at_boundary` allows it.
    fn fill(
        &mut self,
        buf: &mut [u8],
        patience: Duration,
        at_boundary: bool,
    ) -> Result<bool, WireError> {
        let mut at = 0;
        let mut progress = Instant::now();
        while at < buf.len() {
            self.check_deadline()?;
            if self.stopping() {
                if at == 0 && at_boundary {
                    return Ok(false);
                }
                return Err(WireError::Invalid("hog is stopping".into()));
            }
            match self.transport.read(&mut buf[at..]) {
                Ok(0) if at == 0 && at_boundary => return Ok(false),
                Ok(0) => return Err(WireError::Closed),
                Ok(n) => {
                    at += n;
                    progress = Instant::now();
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    if progress.elapsed() >= patience {
                        return Err(WireError::Invalid(if at == 0 && at_boundary {
                            format!("idle for {patience:?}")
                        } else {
                            format!("a frame stalled for {patience:?}")
                        }));
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(WireError::Io(e)),
            }
        }
        Ok(true)
    }

    /// Reads one frame of at most `max` bytes; `None` if the peer closed
    /// (or hog is stopping) before it began.
    pub(super) fn read_frame(
        &mut self,
        max: u64,
        what: &'static str,
    ) -> Result<Option<Vec<u8>>, WireError> {
        let mut len = [0u8; 8];
        if !self.fill(&mut len[..1], self.idle, true)? {
            return Ok(None);
        }
        self.fill(&mut len[1..], self.frame, false)?;
        let len = u64::from_le_bytes(len);
        if len > max {
            return Err(WireError::TooLarge { what, len, max });
        }
        let mut payload = vec![0u8; len as usize];
        self.fill(&mut payload, self.frame, false)?;
        Ok(Some(payload))
    }

    /// Writes one frame.
    pub(super) fn write_frame(&mut self, payload: &[u8]) -> Result<(), WireError> {
        legacy::write_frame(&mut self.transport, payload)?;
        self.transport.flush()?;
        Ok(())
    }

    /// Writes raw bytes (the legacy acknowledgement).
    pub(super) fn write_raw(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        self.transport.write_all(bytes)?;
        self.transport.flush()?;
        Ok(())
    }

    /// Runs the TLS handshake as the server (within the handshake
    /// deadline).
    pub(super) fn start_tls(&mut self, config: &Arc<ServerConfig>) -> Result<(), WireError> {
        let Transport::Plain(tcp) = &self.transport else {
            return Err(WireError::Invalid("TLS is already on".into()));
        };
        let tcp = tcp.try_clone()?;
        let conn = ServerConnection::new(Arc::clone(config))
            .map_err(|e| WireError::Invalid(format!("TLS: {e}")))?;
        let mut stream = StreamOwned::new(conn, tcp);
        while stream.conn.is_handshaking() {
            self.check_deadline()?;
            if self.stopping() {
                return Err(WireError::Invalid("hog is stopping".into()));
            }
            match stream.conn.complete_io(&mut stream.sock) {
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(WireError::Invalid(format!("TLS handshake: {e}"))),
            }
        }
        self.transport = Transport::Server(Box::new(stream));
        Ok(())
    }
}

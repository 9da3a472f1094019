//! The sending end of v2, blocking: probe, optional TLS, hello, then
//! segments and their acknowledgements. Timeouts are the socket's (the
//! caller sets them before [`negotiate`]).

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};

use crate::wire::legacy::{self, WireError};

use super::frame::{Answer, Message, Probe, Status};
use super::hello::Hello;
use super::segment::{Codec, SegmentFrame};
use super::transport::Transport;

/// Longest reply a receiver may send.
const MAX_REPLY: u64 = 64 << 10;

/// How a sender reaches a v2 receiver.
#[derive(Clone, Default)]
pub struct ClientSettings {
    /// TLS: the client configuration and the name the receiver's
    /// certificate must carry.
    pub tls: Option<(Arc<ClientConfig>, ServerName<'static>)>,
    /// The pre-shared token sent in the hello.
    pub token: Option<Vec<u8>>,
}

/// What the peer turned out to be.
pub enum Negotiated {
    /// A v2 receiver, ready for the hello.
    V2(Client),
    /// Not a v2 receiver (it closed the connection or answered something
    /// else): speak the legacy protocol on a new connection.
    Legacy(NotV2),
}

/// How a peer showed it does not speak v2.
#[derive(Debug, thiserror::Error)]
pub enum NotV2 {
    /// It closed the connection on the probe.
    #[error("the peer closed the connection after the probe")]
    Closed,
    /// It reset the connection on the probe.
    #[error("the peer reset the connection after the probe")]
    Reset,
    /// It answered something that is not a v2 answer.
    #[error("the peer answered the probe with something not v2")]
    Answer,
    /// It began an answer, then the connection failed.
    #[error("the peer answered the probe with something not v2 ({0})")]
    Broken(#[source] std::io::Error),
}

/// Sends the probe on `tcp` and, if the peer is a v2 receiver, agrees on
/// plaintext or TLS (never falling back to plaintext when TLS is set).
pub fn negotiate(mut tcp: TcpStream, settings: &ClientSettings) -> Result<Negotiated, WireError> {
    let probe = Probe {
        tls: settings.tls.is_some(),
    };
    legacy::write_frame(&mut tcp, &probe.encode())?;
    tcp.flush()?;
    let answer = match read_answer(&mut tcp)? {
        Ok(answer) => answer,
        Err(why) => return Ok(Negotiated::Legacy(why)),
    };
    let transport = match (answer.status, &settings.tls) {
        (Status::Refused, _) => return Err(WireError::Refused),
        (Status::Plain, None) => Transport::Plain(tcp),
        (Status::Tls, Some((config, name))) => {
            let conn = ClientConnection::new(Arc::clone(config), name.clone())
                .map_err(|e| WireError::Invalid(format!("TLS: {e}")))?;
            let mut stream = StreamOwned::new(conn, tcp);
            while stream.conn.is_handshaking() {
                stream
                    .conn
                    .complete_io(&mut stream.sock)
                    .map_err(|e| WireError::Invalid(format!("TLS handshake: {e}")))?;
            }
            Transport::Client(Box::new(stream))
        }
        (Status::Plain, Some(_)) => {
            return Err(WireError::Invalid(
                "the receiver offers no TLS; refusing to send in plaintext".into(),
            ))
        }
        (Status::Tls, None) => {
            return Err(WireError::Invalid(
                "the receiver answered TLS to a plaintext probe".into(),
            ))
        }
    };
    Ok(Negotiated::V2(Client {
        transport,
        codecs: answer.codecs,
        token: settings.token.clone().unwrap_or_default(),
    }))
}

/// Reads the answer to a probe: `Err(why)` when the peer is not v2.
fn read_answer(tcp: &mut TcpStream) -> Result<Result<Answer, NotV2>, WireError> {
    let mut len = [0u8; 8];
    let mut got = 0;
    while got < len.len() {
        match tcp.read(&mut len[got..]) {
            Ok(0) if got == 0 => return Ok(Err(NotV2::Closed)),
            Ok(0) => return Ok(Err(NotV2::Answer)),
            Ok(n) => got += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return Ok(Err(NotV2::Reset)),
            Err(e) if got > 0 => return Ok(Err(NotV2::Broken(e))),
            Err(e) => return Err(WireError::Io(e)),
        }
    }
    let len = u64::from_le_bytes(len);
    if len > 64 {
        return Ok(Err(NotV2::Answer));
    }
    let mut payload = vec![0u8; len as usize];
    if tcp.read_exact(&mut payload).is_err() {
        return Ok(Err(NotV2::Answer));
    }
    match Answer::decode(&payload) {
        None => Ok(Err(NotV2::Answer)),
        Some(answer) => answer.map(Ok),
    }
}

/// A v2 connection, past the probe.
pub struct Client {
    transport: Transport,
    codecs: u8,
    token: Vec<u8>,
}

impl Client {
    /// Whether the receiver accepts segments compressed with `codec`.
    pub fn accepts(&self, codec: Codec) -> bool {
        self.codecs & codec.bit() != 0
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.transport.is_tls()
    }

    /// The TCP socket (to interrupt the client from another thread).
    pub fn tcp(&self) -> &TcpStream {
        self.transport.tcp()
    }

    /// Announces the stream (with the token, if any); returns the
    /// receiver's mark: it holds transactions `0..mark`.
    pub fn hello(&mut self, hello: &Hello) -> Result<u64, WireError> {
        let hello = Hello {
            token: self.token.clone(),
            ..hello.clone()
        };
        self.send(&Message::Hello(&hello.encode()).encode())?;
        match self.reply()? {
            Reply::Welcome(mark) => Ok(mark),
            Reply::Ack(_) => Err(unexpected("an ack", "hello")),
        }
    }

    /// Sends a segment; returns the receiver's new mark.
    pub fn send_segment(&mut self, seg: &SegmentFrame<'_>) -> Result<u64, WireError> {
        let header = seg.header();
        let len = (header.len() + seg.payload.len()) as u64;
        let w = &mut self.transport;
        w.write_all(&len.to_le_bytes())?;
        w.write_all(&header)?;
        w.write_all(seg.payload)?;
        w.flush()?;
        self.ack("segment")
    }

    /// Says the stream ended after `end_seq` transactions; returns the
    /// receiver's mark.
    pub fn end(&mut self, end_seq: u64) -> Result<u64, WireError> {
        self.send(&Message::End { end_seq }.encode())?;
        self.ack("end")
    }

    fn send(&mut self, payload: &[u8]) -> Result<(), WireError> {
        legacy::write_frame(&mut self.transport, payload)?;
        self.transport.flush()?;
        Ok(())
    }

    fn ack(&mut self, after: &str) -> Result<u64, WireError> {
        match self.reply()? {
            Reply::Ack(mark) => Ok(mark),
            Reply::Welcome(_) => Err(unexpected("a welcome", after)),
        }
    }

    fn reply(&mut self) -> Result<Reply, WireError> {
        let frame = legacy::read_frame(&mut self.transport, MAX_REPLY, "v2 reply")?;
        match Message::decode(&frame)? {
            Message::Welcome { mark } => Ok(Reply::Welcome(mark)),
            Message::Ack { mark } => Ok(Reply::Ack(mark)),
            Message::Error(text) => Err(WireError::Invalid(format!("the receiver says: {text}"))),
            Message::Refused => Err(WireError::Refused),
            other => Err(unexpected(other.name(), "a request")),
        }
    }
}

enum Reply {
    Welcome(u64),
    Ack(u64),
}

fn unexpected(what: &str, after: &str) -> WireError {
    WireError::Invalid(format!("v2: the receiver answered {what} to the {after}"))
}

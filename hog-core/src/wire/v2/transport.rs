//! A connection that is plain TCP or TLS over it, read and written alike.

use std::io::{Read, Write};
use std::net::TcpStream;

use rustls::{ClientConnection, ServerConnection, StreamOwned};

/// A plain or TLS connection.
pub enum Transport {
    /// Plaintext.
    Plain(TcpStream),
    /// TLS, this end the client (a sender).
    Client(Box<StreamOwned<ClientConnection, TcpStream>>),
    /// TLS, this end the server (a receiver).
    Server(Box<StreamOwned<ServerConnection, TcpStream>>),
}

impl Transport {
    /// The TCP socket underneath (for timeouts and shutdown).
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Transport::Plain(s) => s,
            Transport::Client(s) => &s.sock,
            Transport::Server(s) => &s.sock,
        }
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        !matches!(self, Transport::Plain(_))
    }

    /// Whether the peer showed a client certificate that the configured CA
    /// signed (rustls refuses the handshake for one it did not).
    pub fn client_certified(&self) -> bool {
        self.client_certificate().is_some()
    }

    /// The client certificate the peer showed (DER), if any.
    pub fn client_certificate(&self) -> Option<&[u8]> {
        match self {
            Transport::Server(s) => s.conn.peer_certificates()?.first().map(|c| c.as_ref()),
            _ => None,
        }
    }
}

impl Read for Transport {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Transport::Plain(s) => s.read(buf),
            Transport::Client(s) => s.read(buf),
            Transport::Server(s) => s.read(buf),
        }
    }
}

impl Write for Transport {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Transport::Plain(s) => s.write(buf),
            Transport::Client(s) => s.write(buf),
            Transport::Server(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Transport::Plain(s) => s.flush(),
            Transport::Client(s) => s.flush(),
            Transport::Server(s) => s.flush(),
        }
    }
}

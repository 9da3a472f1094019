//! A counting TCP relay between a sender and its receiver on 127.0.0.1:
//! the bytes the sender put on the wire (TCP payload, framing included),
//! whatever happens to the connections. Shipped bytes are compressed, a
//! few MB/s, so the copy costs the measured processes next to nothing.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// A relay listening on its own port and forwarding to a target port.
pub struct Relay {
    port: u16,
    upstream: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Relay {
    /// Starts relaying connections on a free port to 127.0.0.1:`target`.
    pub fn start(target: u16) -> Result<Relay, String> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("relay: {e}"))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let upstream = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, stopping) = (Arc::clone(&upstream), Arc::clone(&stop));
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopping.load(Ordering::Acquire) {
                    return;
                }
                let Ok(client) = conn else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let (c2, s2) = match (client.try_clone(), server.try_clone()) {
                    (Ok(c), Ok(s)) => (c, s),
                    _ => continue,
                };
                let count = Arc::clone(&count);
                std::thread::spawn(move || pump(client, server, Some(&count)));
                std::thread::spawn(move || pump(s2, c2, None));
            }
        });
        Ok(Relay {
            port,
            upstream,
            stop,
        })
    }

    /// The port senders connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Bytes relayed from senders to the receiver so far.
    pub fn bytes(&self) -> u64 {
        self.upstream.load(Ordering::Acquire)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wake the accepting thread so that it sees the stop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Copies `from` to `to` until either side closes, counting into `count`.
fn pump(mut from: TcpStream, mut to: TcpStream, count: Option<&AtomicU64>) {
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if let Some(c) = count {
                    c.fetch_add(n as u64, Ordering::AcqRel);
                }
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
    let _ = from.shutdown(Shutdown::Read);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_what_the_sender_sends_and_relays_replies() {
        let server = TcpListener::bind("127.0.0.1:0").unwrap();
        let target = server.local_addr().unwrap().port();
        let echo = std::thread::spawn(move || {
            let (mut c, _) = server.accept().unwrap();
            let mut got = Vec::new();
            c.read_to_end(&mut got).unwrap();
            c.write_all(b"ok").unwrap();
            got.len()
        });
        let relay = Relay::start(target).unwrap();
        let mut c = TcpStream::connect(("127.0.0.1", relay.port())).unwrap();
        c.write_all(&[7u8; 100_000]).unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        let mut reply = Vec::new();
        c.read_to_end(&mut reply).unwrap();
        assert_eq!(reply, b"ok");
        assert_eq!(echo.join().unwrap(), 100_000);
        assert_eq!(relay.bytes(), 100_000);
    }
}

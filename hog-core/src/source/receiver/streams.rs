//! The v2 streams being received, so that one stream is never fed by two
//! connections at once: a sender that reconnects (after a timeout, say)
//! takes the stream over, and the old connection is cut and waited for.
//!
//! A stream belongs to the identity that first opened it here (the token
//! it showed, or its client certificate): another identity presenting the
//! same group, region and start time is refused, and the holder is left
//! alone.

use std::collections::HashMap;
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::error::ConnError;

/// A stream's identity at the receiver: group, region, start time.
pub(super) type StreamKey = (String, String, u64);

#[derive(Default)]
struct Slot {
    /// The socket of the connection holding the stream, and its turn.
    holder: Option<(u64, TcpStream)>,
}

/// The streams that connections currently hold.
#[derive(Default)]
pub(super) struct ActiveStreams {
    slots: Mutex<HashMap<StreamKey, Slot>>,
    /// Who opened each stream first, until it ends: the identity a
    /// takeover must show.
    owners: Mutex<HashMap<StreamKey, Vec<u8>>>,
    released: Condvar,
    turns: std::sync::atomic::AtomicU64,
}

/// A connection's hold on a stream; released when dropped.
pub(super) struct Claim {
    streams: Arc<ActiveStreams>,
    key: StreamKey,
    turn: u64,
}

impl ActiveStreams {
    /// Takes `key` for the connection on `socket`: cuts the connection that
    /// holds it, if any, and waits up to `patience` for it to let go.
    pub(super) fn claim(
        self: &Arc<Self>,
        key: StreamKey,
        identity: &[u8],
        socket: TcpStream,
        patience: Duration,
    ) -> Result<Claim, ConnError> {
        {
            let mut owners = self.owners.lock().unwrap_or_else(PoisonError::into_inner);
            let owner = owners
                .entry(key.clone())
                .or_insert_with(|| identity.to_vec());
            if owner.as_slice() != identity {
                return Err(ConnError::Refused(
                    "the stream belongs to a sender with another token or certificate",
                ));
            }
        }
        let turn = self
            .turns
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let deadline = Instant::now() + patience;
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            let slot = slots.entry(key.clone()).or_default();
            match &slot.holder {
                None => {
                    slot.holder = Some((turn, socket));
                    return Ok(Claim {
                        streams: Arc::clone(self),
                        key,
                        turn,
                    });
                }
                Some((_, old)) => {
                    let _ = old.shutdown(Shutdown::Both);
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(ConnError::Held {
                    group: key.0,
                    region: key.1,
                });
            }
            slots = self
                .released
                .wait_timeout(slots, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

impl Claim {
    /// The stream ended: it belongs to no one any more (so that the owners
    /// of streams long ended do not pile up).
    pub(super) fn ended(&self) {
        self.streams
            .owners
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.key);
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut slots = self
            .streams
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if slots
            .get(&self.key)
            .and_then(|s| s.holder.as_ref())
            .is_some_and(|(turn, _)| *turn == self.turn)
        {
            slots.remove(&self.key);
        }
        drop(slots);
        self.streams.released.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_connection_cuts_the_first_and_waits_for_it() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let a = TcpStream::connect(addr).unwrap();
        let (mut a_server, _) = listener.accept().unwrap();
        let b = TcpStream::connect(addr).unwrap();
        let streams = Arc::new(ActiveStreams::default());
        let key: StreamKey = ("G".into(), "h:/r".into(), 1);
        let first = streams
            .claim(
                key.clone(),
                b"",
                a_server.try_clone().unwrap(),
                Duration::from_secs(1),
            )
            .unwrap();
        let s = Arc::clone(&streams);
        let k = key.clone();
        let waiter =
            std::thread::spawn(move || s.claim(k, b"", b, Duration::from_secs(5)).map(|_| ()));
        // The first connection is cut: its reads end.
        let mut buf = [0u8; 1];
        use std::io::Read;
        assert_eq!(a_server.read(&mut buf).unwrap_or(0), 0);
        drop(first);
        waiter.join().unwrap().unwrap();
        drop(a);
        let c = TcpStream::connect(addr).unwrap();
        let held = streams
            .claim(
                key.clone(),
                b"",
                c.try_clone().unwrap(),
                Duration::from_secs(1),
            )
            .unwrap();
        assert!(
            streams
                .claim(key, b"", c, Duration::from_millis(50))
                .is_err(),
            "a holder that does not let go times the newcomer out"
        );
        drop(held);
    }

    #[test]
    fn another_identity_is_refused_and_the_holder_keeps_the_stream() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let _a = TcpStream::connect(addr).unwrap();
        let (mut held, _) = listener.accept().unwrap();
        let streams = Arc::new(ActiveStreams::default());
        let key: StreamKey = ("G".into(), "h:/r".into(), 1);
        let _claim = streams
            .claim(
                key.clone(),
                b"token-a",
                held.try_clone().unwrap(),
                Duration::from_secs(1),
            )
            .unwrap();
        let intruder = TcpStream::connect(addr).unwrap();
        let refused = streams.claim(key, b"token-b", intruder, Duration::from_secs(1));
        assert!(matches!(refused, Err(ConnError::Refused(_))));
        held.set_nonblocking(true).unwrap();
        let mut byte = [0u8; 1];
        let still_open = matches!(
            std::io::Read::read(&mut held, &mut byte),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock
        );
        assert!(still_open, "the holder's connection is not cut");
    }

    #[test]
    fn an_ended_stream_belongs_to_no_one() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let streams = Arc::new(ActiveStreams::default());
        let key: StreamKey = ("G".into(), "h:/r".into(), 1);
        let claim = |identity: &[u8]| {
            let socket = TcpStream::connect(addr).unwrap();
            streams.claim(key.clone(), identity, socket, Duration::from_secs(1))
        };
        let first = claim(b"token-a").unwrap();
        first.ended();
        drop(first);
        assert_eq!(owners(&streams), 0);
        assert!(claim(b"token-b").is_ok());
    }

    /// Streams with an owner.
    fn owners(streams: &ActiveStreams) -> usize {
        streams.owners.lock().unwrap().len()
    }
}

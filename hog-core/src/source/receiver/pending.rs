//! Connections accepted but not yet past their first frame (the group name
//! or the v2 probe). They are read asynchronously, a socket each and no
//! thread, within the handshake timeout; at most `max_pending` wait at once
//! and the oldest is dropped to make room, so a flood of connections that
//! say nothing (a scan, a hostile peer) costs bounded memory and file
//! descriptors and cannot keep a real sender from its first frame.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::task::{AbortHandle, JoinHandle};

use crate::wire::legacy::MAX_GROUP;

use super::error::ConnError;

/// The connections waiting for their first frame.
pub(super) struct Pending {
    max: usize,
    state: Mutex<State>,
}

struct State {
    next_id: u64,
    waiting: VecDeque<(u64, AbortHandle)>,
    dropped: u64,
    reported: Option<Instant>,
}

impl Pending {
    /// At most `max` connections wait at once.
    pub(super) fn new(max: u32) -> Pending {
        Pending {
            max: (max as usize).max(1),
            state: Mutex::new(State {
                next_id: 0,
                waiting: VecDeque::new(),
                dropped: 0,
                reported: None,
            }),
        }
    }

    /// Spawns `work(id)` as a waiting connection, first dropping the oldest
    /// waiting one if there is no room. `work` must call [`Pending::done`]
    /// with its id once its first frame arrived (or it gave up).
    pub(super) fn admit<F>(&self, work: impl FnOnce(u64) -> F) -> JoinHandle<()>
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        // Held across the spawn, so `done` cannot run before the entry exists.
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if s.waiting.len() >= self.max {
            if let Some((_, oldest)) = s.waiting.pop_front() {
                oldest.abort();
                s.dropped += 1;
                crate::metrics::global().refused("limit");
            }
            if s.reported
                .is_none_or(|t| t.elapsed() >= Duration::from_secs(60))
            {
                tracing::warn!(
                    "{} connections are waiting for their first frame (max_pending); dropping the oldest ({} dropped so far)",
                    self.max,
                    s.dropped
                );
                s.reported = Some(Instant::now());
            }
        }
        let id = s.next_id;
        s.next_id += 1;
        let task = tokio::spawn(work(id));
        s.waiting.push_back((id, task.abort_handle()));
        task
    }

    /// The connection `id` no longer waits for its first frame.
    pub(super) fn done(&self, id: u64) {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(i) = s.waiting.iter().position(|(w, _)| *w == id) {
            s.waiting.remove(i);
        }
    }
}

/// Reads the first frame of `socket` (at most [`MAX_GROUP`] bytes) within
/// `timeout`; `Ok(None)` if the peer closed before sending anything.
pub(super) async fn first_frame(
    socket: &mut TcpStream,
    timeout: Duration,
) -> Result<Option<Vec<u8>>, ConnError> {
    let read = async {
        let mut len = [0u8; 8];
        let n = socket.read(&mut len[..1]).await?;
        if n == 0 {
            return Ok(None);
        }
        socket
            .read_exact(&mut len[1..])
            .await
            .map_err(ConnError::FirstFrame)?;
        let len = u64::from_le_bytes(len);
        if len > MAX_GROUP {
            return Err(ConnError::FirstFrameTooLarge(len));
        }
        let mut frame = vec![0u8; len as usize];
        socket
            .read_exact(&mut frame)
            .await
            .map_err(ConnError::FirstFrame)?;
        Ok(Some(frame))
    };
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or_else(|_| Err(ConnError::Silent(timeout)))
}

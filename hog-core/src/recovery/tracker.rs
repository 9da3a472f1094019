//! How a source reports on a stream it resumes.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;

use crate::plugin::UnfinishedStream;

const RUNNING: u8 = 0;
const FINISHED: u8 = 1;
const FAILED: u8 = 2;

/// A stream left unfinished by an earlier hog, handed to the source that
/// resumes it.
pub struct Adopted {
    /// The stream as the stat store knows it (cursors, each sink's mark).
    pub stream: UnfinishedStream,
    /// Where the source reports how far it got.
    pub tracker: Tracker,
}

/// Progress of one resumed stream, shared by its source and the
/// orchestrator.
#[derive(Debug, Clone)]
pub struct Tracker(Arc<State>);

#[derive(Debug)]
struct State {
    stream_id: u64,
    bytes_left: AtomicU64,
    bytes_at_start: AtomicU64,
    state: AtomicU8,
}

impl Tracker {
    /// A tracker for stream `stream_id`.
    pub(crate) fn new(stream_id: u64) -> Tracker {
        Tracker(Arc::new(State {
            stream_id,
            bytes_left: AtomicU64::new(0),
            bytes_at_start: AtomicU64::new(u64::MAX),
            state: AtomicU8::new(RUNNING),
        }))
    }

    /// The stream.
    pub fn stream_id(&self) -> u64 {
        self.0.stream_id
    }

    /// Says how many bytes the stream still holds to deliver.
    pub fn bytes_left(&self, bytes: u64) {
        self.0.bytes_left.store(bytes, Ordering::Relaxed);
        let _ = self.0.bytes_at_start.compare_exchange(
            u64::MAX,
            bytes,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }

    /// Says the stream was delivered to its end.
    pub fn finished(&self) {
        self.0.bytes_left.store(0, Ordering::Relaxed);
        self.0.state.store(FINISHED, Ordering::Release);
    }

    /// Says the stream cannot be resumed (its source logged why); what it
    /// still held is lost.
    pub fn failed(&self) {
        self.0.state.store(FAILED, Ordering::Release);
    }

    /// Whether the stream was delivered to its end.
    pub fn is_finished(&self) -> bool {
        self.0.state.load(Ordering::Acquire) == FINISHED
    }

    /// Whether the stream ended, one way or the other.
    pub fn ended(&self) -> bool {
        self.0.state.load(Ordering::Acquire) != RUNNING
    }

    /// Bytes left, and bytes left when first reported (0 if never).
    pub(crate) fn bytes(&self) -> (u64, u64) {
        let start = self.0.bytes_at_start.load(Ordering::Relaxed);
        let left = self.0.bytes_left.load(Ordering::Relaxed);
        (left, if start == u64::MAX { left } else { start })
    }
}

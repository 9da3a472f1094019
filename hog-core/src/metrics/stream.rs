//! The live state of one open stream and of each sink on it.

use std::sync::atomic::{AtomicU8, Ordering};

use super::Counter;
use crate::plugin::StreamInfo;

/// Where a sink stands with a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkState {
    /// Taking every batch.
    Writing,
    /// Failing; the stream's data is held in its source and retried.
    Holding,
    /// Failed and detached: misses the rest of the stream.
    Detached,
}

impl SinkState {
    fn from_u8(v: u8) -> SinkState {
        match v {
            1 => SinkState::Holding,
            2 => SinkState::Detached,
            _ => SinkState::Writing,
        }
    }

    /// The state's name, as the status page and metrics show it.
    pub fn name(self) -> &'static str {
        match self {
            SinkState::Writing => "writing",
            SinkState::Holding => "holding",
            SinkState::Detached => "detached",
        }
    }
}

/// One sink's progress on a stream.
#[derive(Debug)]
pub struct SinkMark {
    /// The sink's name.
    pub sink: String,
    /// Its durable mark (transactions `0..mark` held).
    pub mark: Counter,
    state: AtomicU8,
}

impl SinkMark {
    /// The sink's state.
    pub fn state(&self) -> SinkState {
        SinkState::from_u8(self.state.load(Ordering::Relaxed))
    }
}

/// An open stream: who produces it, how full its ring is, how far the
/// source and each sink got.
#[derive(Debug)]
pub struct StreamStatus {
    /// The stream's id in the stat store.
    pub id: u64,
    /// Its group.
    pub group: String,
    /// Its region (shared-memory name, or the remote stream's name).
    pub region: String,
    /// The producer's process id.
    pub pid: u64,
    /// The producer's thread id.
    pub tid: u64,
    /// Bytes waiting in the producer's ring (or 0 where there is none).
    pub ring_fill: Counter,
    /// Transactions the source has read (one past the last).
    pub source_end: Counter,
    sinks: Vec<SinkMark>,
}

impl StreamStatus {
    /// The status of `stream`, delivered to `sinks`.
    pub fn new(stream: &StreamInfo, sinks: &[&str]) -> StreamStatus {
        StreamStatus {
            id: stream.id,
            group: stream.group.to_string(),
            region: stream.region.to_string(),
            pid: stream.pid,
            tid: stream.tid,
            ring_fill: Counter::default(),
            source_end: Counter::default(),
            sinks: sinks
                .iter()
                .map(|s| SinkMark {
                    sink: s.to_string(),
                    mark: Counter::default(),
                    state: AtomicU8::new(0),
                })
                .collect(),
        }
    }

    /// Each sink's progress.
    pub fn sinks(&self) -> &[SinkMark] {
        &self.sinks
    }

    /// Records `sink`'s mark.
    pub fn set_mark(&self, sink: &str, mark: u64) {
        if let Some(s) = self.sinks.iter().find(|s| s.sink == sink) {
            s.mark.set(mark);
        }
    }

    /// Records `sink`'s state.
    pub fn set_state(&self, sink: &str, state: SinkState) {
        if let Some(s) = self.sinks.iter().find(|s| s.sink == sink) {
            s.state.store(state as u8, Ordering::Relaxed);
        }
    }

    /// Transactions the source read that `sink` does not hold yet.
    pub fn backlog(&self, sink: &SinkMark) -> u64 {
        self.source_end.get().saturating_sub(sink.mark.get())
    }
}

//! In-memory stand-ins of a sink and a stat store, for tests of what sits
//! between them (hog's fan-out, recovery): they keep the contracts of
//! [`Sink`] and [`StatStore`] (the sink passes this crate's checks), and
//! a test can look inside them and make them fail.
//!
//! Each is a handle on shared state: clone it before handing the sink or
//! store to the host, and the clone sees what the host did. A sink built
//! from the same state again is a restarted sink that kept what it made
//! durable.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use hog_plugin_api::abi_stable::std_types::{ROption, RSlice, RVec};
use hog_plugin_api::{
    BatchRef, PluginError, SessionInfo, Sink, SinkProgress, SinkStats, SourceCursor, StatStore,
    StreamInfo, UnfinishedStream,
};

/// How a stand-in fails its next calls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Fault {
    /// Every call succeeds.
    #[default]
    None,
    /// The next `n` writes (sink) or progress records (store) fail with
    /// an I/O error, then calls succeed again.
    Fail(u32),
    /// Every write fails with an I/O error until the fault is changed.
    FailAlways,
    /// The next write panics.
    Panic,
}

impl Fault {
    /// Takes one call's share of the fault: what that call does.
    fn take(&mut self) -> Fault {
        match *self {
            Fault::Fail(n) => {
                *self = if n > 1 {
                    Fault::Fail(n - 1)
                } else {
                    Fault::None
                };
                Fault::Fail(1)
            }
            Fault::Panic => {
                *self = Fault::None;
                Fault::Panic
            }
            other => other,
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Default)]
struct SinkState {
    /// The durable transactions of each stream, from sequence 0.
    stored: BTreeMap<u64, Vec<Vec<u8>>>,
    /// Streams open in the current instance.
    open: Vec<u64>,
    /// Each batch written, as (stream, first sequence written, count).
    writes: Vec<(u64, u64, usize)>,
    fault: Fault,
}

/// A sink that keeps transactions in memory. Clones share the state.
#[derive(Debug, Clone, Default)]
pub struct MemorySink {
    state: Arc<Mutex<SinkState>>,
}

impl MemorySink {
    /// An empty sink.
    pub fn new() -> MemorySink {
        MemorySink::default()
    }

    /// A new instance on the same state, as a restarted sink: nothing is
    /// open, everything stored is kept.
    pub fn restarted(&self) -> MemorySink {
        lock(&self.state).open.clear();
        self.clone()
    }

    /// Makes the next calls fail as `fault` says.
    pub fn set_fault(&self, fault: Fault) {
        lock(&self.state).fault = fault;
    }

    /// Stores `txns` as the first transactions of `stream_id`, as if an
    /// earlier run had written them.
    pub fn preload(&self, stream_id: u64, txns: Vec<Vec<u8>>) {
        lock(&self.state).stored.insert(stream_id, txns);
    }

    /// The transactions stored for `stream_id`, in order.
    pub fn stored(&self, stream_id: u64) -> Vec<Vec<u8>> {
        lock(&self.state)
            .stored
            .get(&stream_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Every batch written so far: (stream, first sequence, count).
    pub fn writes(&self) -> Vec<(u64, u64, usize)> {
        lock(&self.state).writes.clone()
    }
}

impl Sink for MemorySink {
    fn open_stream(&mut self, stream: &StreamInfo) -> Result<u64, PluginError> {
        let mut s = lock(&self.state);
        s.open.push(stream.id);
        Ok(s.stored.entry(stream.id).or_default().len() as u64)
    }

    fn write(&mut self, batch: BatchRef<'_>) -> Result<u64, PluginError> {
        let mut s = lock(&self.state);
        if !s.open.contains(&batch.stream_id) {
            return Err(PluginError::state(format!(
                "stream {} is not open",
                batch.stream_id
            )));
        }
        match s.fault.take() {
            Fault::Fail(_) | Fault::FailAlways => {
                return Err(PluginError::io("injected write failure"))
            }
            Fault::Panic => {
                drop(s);
                panic!("injected panic in write");
            }
            Fault::None => {}
        }
        let mark = s.stored[&batch.stream_id].len() as u64;
        let new: Vec<Vec<u8>> = batch
            .after(mark, "the memory sink")?
            .map(|(_, t)| t.to_vec())
            .collect();
        s.writes.push((batch.stream_id, mark, new.len()));
        let stored = s.stored.get_mut(&batch.stream_id).expect("opened");
        stored.extend(new);
        Ok(stored.len() as u64)
    }

    fn flush(&mut self, stream_id: u64) -> Result<u64, PluginError> {
        let s = lock(&self.state);
        match (s.open.contains(&stream_id), s.stored.get(&stream_id)) {
            (true, Some(stored)) => Ok(stored.len() as u64),
            _ => Err(PluginError::state(format!(
                "stream {stream_id} is not open"
            ))),
        }
    }

    fn close_stream(&mut self, stream_id: u64) -> Result<(), PluginError> {
        lock(&self.state).open.retain(|&id| id != stream_id);
        Ok(())
    }

    fn stats(&self) -> SinkStats {
        let s = lock(&self.state);
        SinkStats {
            open_streams: s.open.len() as u64,
            transactions: s.stored.values().map(|t| t.len() as u64).sum(),
            ..SinkStats::default()
        }
    }

    fn shutdown(&mut self) -> Result<(), PluginError> {
        lock(&self.state).open.clear();
        Ok(())
    }
}

#[derive(Debug, Default)]
struct StoreState {
    sessions: u64,
    streams: Vec<StoredStream>,
    fault: Fault,
    failures: u64,
}

#[derive(Debug, Clone)]
struct StoredStream {
    unfinished: UnfinishedStream,
    recovered: bool,
}

/// A stat store that keeps its records in memory. Clones share the state.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<StoreState>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// Makes the next progress records fail as `fault` says (`Panic`
    /// fails one call, without a panic).
    pub fn set_fault(&self, fault: Fault) {
        lock(&self.state).fault = fault;
    }

    /// How many calls failed by an injected fault.
    pub fn failures(&self) -> u64 {
        lock(&self.state).failures
    }

    /// The recorded marks of stream `stream_id`, by sink name.
    pub fn marks(&self, stream_id: u64) -> BTreeMap<String, u64> {
        self.stream(stream_id)
            .map(|s| {
                s.progress
                    .iter()
                    .map(|p| (p.sink.to_string(), p.durable_end))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The recorded end of stream `stream_id`, if its source ended it.
    pub fn end(&self, stream_id: u64) -> Option<u64> {
        self.stream(stream_id).and_then(|s| Option::from(s.end_seq))
    }

    fn stream(&self, stream_id: u64) -> Option<UnfinishedStream> {
        lock(&self.state)
            .streams
            .iter()
            .find(|s| s.unfinished.stream.id == stream_id)
            .map(|s| s.unfinished.clone())
    }

    fn with_stream<T>(
        &self,
        stream_id: u64,
        f: impl FnOnce(&mut StoredStream) -> T,
    ) -> Result<T, PluginError> {
        lock(&self.state)
            .streams
            .iter_mut()
            .find(|s| s.unfinished.stream.id == stream_id)
            .map(f)
            .ok_or_else(|| PluginError::state(format!("no stream {stream_id}")))
    }
}

impl StatStore for MemoryStore {
    fn begin_session(&mut self, _session: &SessionInfo) -> Result<u64, PluginError> {
        let mut s = lock(&self.state);
        s.sessions += 1;
        Ok(s.sessions)
    }

    fn end_session(&mut self, _session_id: u64) -> Result<(), PluginError> {
        Ok(())
    }

    fn open_stream(&mut self, session_id: u64, stream: &StreamInfo) -> Result<u64, PluginError> {
        let mut s = lock(&self.state);
        let same = |o: &StoredStream| {
            let o = &o.unfinished.stream;
            (o.group.as_str(), o.region.as_str(), o.started_at_ns)
                == (
                    stream.group.as_str(),
                    stream.region.as_str(),
                    stream.started_at_ns,
                )
        };
        if let Some(known) = s.streams.iter().find(|o| same(o)) {
            return Ok(known.unfinished.stream.id);
        }
        let id = s.streams.len() as u64 + 1;
        let mut stream = stream.clone();
        stream.id = id;
        s.streams.push(StoredStream {
            unfinished: UnfinishedStream {
                stream,
                session_id,
                end_seq: ROption::RNone,
                progress: RVec::new(),
                cursor: ROption::RNone,
                prev_cursor: ROption::RNone,
            },
            recovered: false,
        });
        Ok(id)
    }

    fn record_progress(
        &mut self,
        stream_id: u64,
        progress: RSlice<'_, SinkProgress>,
        cursor: ROption<SourceCursor>,
    ) -> Result<(), PluginError> {
        {
            let mut s = lock(&self.state);
            if s.fault.take() != Fault::None {
                s.failures += 1;
                return Err(PluginError::io("injected stat store failure"));
            }
        }
        self.with_stream(stream_id, |s| {
            let u = &mut s.unfinished;
            for p in progress.iter() {
                match u.progress.iter_mut().find(|q| q.sink == p.sink) {
                    Some(q) => q.durable_end = p.durable_end,
                    None => u.progress.push(p.clone()),
                }
            }
            if let ROption::RSome(c) = cursor {
                u.prev_cursor = u.cursor;
                u.cursor = ROption::RSome(c);
            }
        })
    }

    fn close_stream(&mut self, stream_id: u64, end_seq: u64) -> Result<(), PluginError> {
        self.with_stream(stream_id, |s| {
            s.unfinished.end_seq = ROption::RSome(end_seq)
        })
    }

    fn unfinished_streams(&mut self) -> Result<RVec<UnfinishedStream>, PluginError> {
        let s = lock(&self.state);
        Ok(s.streams
            .iter()
            .filter(|o| !o.recovered)
            .filter(|o| match o.unfinished.end_seq {
                ROption::RNone => true,
                ROption::RSome(end) => o.unfinished.progress.iter().any(|p| p.durable_end < end),
            })
            .map(|o| o.unfinished.clone())
            .collect())
    }

    fn mark_recovered(&mut self, stream_id: u64, _session_id: u64) -> Result<(), PluginError> {
        self.with_stream(stream_id, |s| s.recovered = true)
    }
}

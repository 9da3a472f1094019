//! Fan-out: one stream delivered to every configured sink.
//!
//! Each sink has its own durable mark per stream. A batch goes to every
//! healthy sink concurrently, trimmed to what that sink does not hold yet
//! (so a replay after a crash is skipped, never written twice); the marks
//! are then recorded in the stat store in one call, and the lowest mark is
//! what the source may release (e.g. the ring's read index).
//!
//! A sink that fails a call is held by default (see [`OnError`]): the batch
//! stays in the source and the sink is retried with back-off until it
//! takes it, the stream waiting meanwhile; the other sinks already hold the
//! batch and are not written again. A sink configured to detach stops
//! receiving the stream instead (its mark stays in the stat store, for
//! recovery to resume from), and a sink that panics is fenced off for every
//! stream; neither stalls the other sinks. A stat store that fails to
//! record progress is held the same way.
//!
//! [`OnError`]: super::OnError

use std::future::Future;
use std::sync::Arc;

use tokio::sync::watch;

use crate::metrics::{self, SinkCounters, SinkState, SourceCounters, StreamStatus};
use crate::plugin::{progress, ErrorKind, PluginError, SourceCursor, StreamInfo};

use super::batch::Batch;
use super::hold::{Held, OnError};
use super::sink::SinkHandle;
use super::store::StatStoreHandle;
use super::PipelineError;

/// The sinks and stat store every stream of a session is delivered to.
#[derive(Clone)]
pub struct Fanout {
    sinks: Vec<Arc<SinkHandle>>,
    store: StatStoreHandle,
    session_id: u64,
    shutdown: watch::Receiver<bool>,
    source: Arc<str>,
}

impl Fanout {
    /// Delivers to `sinks`, recording in `store` under `session_id`; a held
    /// failure gives up when `shutdown` turns true.
    pub fn new(
        sinks: Vec<Arc<SinkHandle>>,
        store: StatStoreHandle,
        session_id: u64,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self {
            sinks,
            store,
            session_id,
            shutdown,
            source: Arc::from("source"),
        }
    }

    /// The same fan-out for source `name`, which its streams are counted
    /// under in the metrics.
    pub fn for_source(&self, name: &str) -> Self {
        Self {
            source: Arc::from(name),
            ..self.clone()
        }
    }

    /// The configured sinks.
    pub fn sinks(&self) -> &[Arc<SinkHandle>] {
        &self.sinks
    }

    /// The session streams are recorded under.
    pub fn session_id(&self) -> u64 {
        self.session_id
    }

    /// The stat store.
    pub fn store(&self) -> &StatStoreHandle {
        &self.store
    }

    /// Registers `stream` and opens it on every sink; `cursor`, if given,
    /// is recorded as where the source starts.
    pub async fn open_stream(
        &self,
        mut stream: StreamInfo,
        cursor: Option<SourceCursor>,
    ) -> Result<StreamDelivery, PipelineError> {
        let mut shutdown = self.shutdown.clone();
        let shared = Arc::new(stream.clone());
        stream.id = store_call(&mut shutdown, &stream, "register the stream", || {
            self.store.open_stream(self.session_id, Arc::clone(&shared))
        })
        .await?;
        let stream = Arc::new(stream);
        let m = metrics::global();
        let names: Vec<&str> = self.sinks.iter().map(|s| s.name()).collect();
        let status = Arc::new(StreamStatus::new(&stream, &names));
        m.group(&stream.group).opened.add(1);
        m.track(Arc::clone(&status));
        let mut targets = Vec::with_capacity(self.sinks.len());
        // A sink that cannot take the stream is recorded as holding none of
        // it, so that the stream counts as unfinished for that sink.
        let mut marks = Vec::with_capacity(self.sinks.len());
        for sink in &self.sinks {
            let mut held: Option<Held> = None;
            let mark = loop {
                match sink.open_stream(Arc::clone(&stream)).await {
                    Ok(mark) => {
                        resumed(sink.name(), &stream, held.as_ref());
                        status.set_mark(sink.name(), mark);
                        status.set_state(sink.name(), SinkState::Writing);
                        targets.push(Target {
                            sink: Arc::clone(sink),
                            mark,
                            counters: m.sink(sink.name(), &stream.group),
                        });
                        break mark;
                    }
                    Err(e) if holds(sink, &e) => {
                        m.sink(sink.name(), &stream.group).errors.add(1);
                        status.set_state(sink.name(), SinkState::Holding);
                        failing(sink.name(), &stream, "open", &e, &mut held);
                        let held = held.as_mut().expect("just set");
                        if !held.pause(&mut shutdown).await {
                            return Err(PipelineError::Stopping {
                                stream_id: stream.id,
                            });
                        }
                    }
                    Err(e) => {
                        m.sink(sink.name(), &stream.group).errors.add(1);
                        status.set_state(sink.name(), SinkState::Detached);
                        detached(sink, &stream, "open", &e);
                        break 0;
                    }
                }
            };
            marks.push(progress(sink.name(), mark));
        }
        status
            .source_end
            .set(targets.iter().map(|t| t.mark).min().unwrap_or(0));
        let delivery = StreamDelivery {
            source: m.source(&self.source, &stream.group),
            stream,
            targets,
            store: self.store.clone(),
            shutdown,
            status,
        };
        delivery.record_marks(marks, cursor).await?;
        Ok(delivery)
    }
}

struct Target {
    sink: Arc<SinkHandle>,
    mark: u64,
    counters: Arc<SinkCounters>,
}

/// One open stream: delivers its batches to the sinks that accepted it.
pub struct StreamDelivery {
    stream: Arc<StreamInfo>,
    targets: Vec<Target>,
    store: StatStoreHandle,
    shutdown: watch::Receiver<bool>,
    status: Arc<StreamStatus>,
    source: Arc<SourceCounters>,
}

impl StreamDelivery {
    /// The stream, with the id the stat store gave it.
    pub fn stream(&self) -> &StreamInfo {
        &self.stream
    }

    /// The stream's live status (a source sets its ring fill there).
    pub fn status(&self) -> &StreamStatus {
        &self.status
    }

    /// The lowest durable mark among the sinks still receiving the stream:
    /// every transaction before it is held by all of them.
    pub fn durable_end(&self) -> Option<u64> {
        self.targets.iter().map(|t| t.mark).min()
    }

    /// Delivers `batch` to every sink and records their marks together with
    /// the source's `cursor` (where the source will resume after the batch);
    /// returns the new [`durable_end`]. A failing sink that holds is retried
    /// until it takes the batch, so this waits as long as the failure lasts
    /// (or until hog stops: [`PipelineError::Stopping`]).
    ///
    /// [`durable_end`]: Self::durable_end
    pub async fn deliver(
        &mut self,
        batch: Batch,
        cursor: Option<SourceCursor>,
    ) -> Result<u64, PipelineError> {
        let batch = Arc::new(batch);
        let end = batch.end_seq();
        self.source.transactions.add(batch.len() as u64);
        self.source.records.add(batch.records_from(0));
        self.source.bytes.add(batch.byte_len() as u64);
        self.status.source_end.set(end);
        let mut pending: Vec<Arc<SinkHandle>> = self
            .targets
            .iter()
            .filter(|t| t.mark < end)
            .map(|t| Arc::clone(&t.sink))
            .collect();
        let mut held: Option<Held> = None;
        while !pending.is_empty() {
            let failed = self.write_to(&pending, &batch, end).await;
            pending = Vec::new();
            for (sink, e) in failed {
                if let Some(t) = self.target(&sink) {
                    t.counters.errors.add(1);
                }
                if holds(&sink, &e) {
                    self.status.set_state(sink.name(), SinkState::Holding);
                    failing(sink.name(), &self.stream, "write", &e, &mut held);
                    pending.push(sink);
                } else {
                    self.status.set_state(sink.name(), SinkState::Detached);
                    detached(&sink, &self.stream, "write", &e);
                    self.targets.retain(|t| !Arc::ptr_eq(&t.sink, &sink));
                }
            }
            if let Some(h) = held.as_mut() {
                if pending.is_empty() {
                    resumed("sinks", &self.stream, Some(h));
                } else if h.pause(&mut self.shutdown).await {
                    for sink in &pending {
                        if let Some(t) = self.target(sink) {
                            t.counters.retries.add(1);
                        }
                    }
                } else {
                    return Err(PipelineError::Stopping {
                        stream_id: self.stream.id,
                    });
                }
            }
        }
        self.record(cursor).await?;
        self.durable_end().ok_or(PipelineError::NoSinks {
            stream_id: self.stream.id,
        })
    }

    /// Writes `batch` to each of `sinks` at once (from the sink's mark),
    /// moving the marks of those that succeed; returns those that failed.
    async fn write_to(
        &mut self,
        sinks: &[Arc<SinkHandle>],
        batch: &Arc<Batch>,
        end: u64,
    ) -> Vec<(Arc<SinkHandle>, PluginError)> {
        let writes: Vec<_> = sinks
            .iter()
            .map(|sink| {
                let from = self.mark_of(sink);
                let (task_sink, batch) = (Arc::clone(sink), Arc::clone(batch));
                let stream_id = self.stream.id;
                let task = tokio::spawn(async move {
                    let mark = task_sink.write(batch, from).await?;
                    if mark < end {
                        task_sink.flush(stream_id).await
                    } else {
                        Ok(mark)
                    }
                });
                (Arc::clone(sink), task)
            })
            .collect();
        let mut failed = Vec::new();
        for (sink, task) in writes {
            let result = task
                .await
                .unwrap_or_else(|e| Err(PluginError::other(format!("sink task failed: {e}"))));
            match result {
                Ok(mark) => {
                    if let Some(t) = self
                        .targets
                        .iter_mut()
                        .find(|t| Arc::ptr_eq(&t.sink, &sink))
                    {
                        let new = t.mark.max(mark.min(end));
                        // What the sink newly holds: records of the
                        // transactions from its old mark to its new one.
                        t.counters.transactions.add(new - t.mark);
                        t.counters
                            .records
                            .add(batch.records_from(t.mark) - batch.records_from(new));
                        t.counters
                            .bytes
                            .add(batch.bytes_from(t.mark) - batch.bytes_from(new));
                        t.mark = new;
                        self.status.set_mark(sink.name(), new);
                        self.status.set_state(sink.name(), SinkState::Writing);
                    }
                }
                Err(e) => failed.push((sink, e)),
            }
        }
        failed
    }

    fn target(&self, sink: &Arc<SinkHandle>) -> Option<&Target> {
        self.targets.iter().find(|t| Arc::ptr_eq(&t.sink, sink))
    }

    fn mark_of(&self, sink: &Arc<SinkHandle>) -> u64 {
        self.target(sink).map_or(0, |t| t.mark)
    }

    /// Ends the stream after `end_seq` transactions: closes it on every sink
    /// and records the end in the stat store.
    pub async fn close(mut self, end_seq: u64) -> Result<(), PipelineError> {
        for t in &self.targets {
            if let Err(e) = t.sink.close_stream(self.stream.id).await {
                tracing::error!(
                    sink = t.sink.name(),
                    stream = self.stream.id,
                    "close failed: {e}; its data is durable up to its mark"
                );
            }
        }
        let (stream, store) = (Arc::clone(&self.stream), self.store.clone());
        store_call(&mut self.shutdown, &stream, "close the stream", || {
            store.close_stream(stream.id, end_seq)
        })
        .await?;
        metrics::global().group(&stream.group).closed.add(1);
        Ok(())
    }

    async fn record(&mut self, cursor: Option<SourceCursor>) -> Result<(), PipelineError> {
        let marks = self
            .targets
            .iter()
            .map(|t| progress(t.sink.name(), t.mark))
            .collect();
        self.record_marks(marks, cursor).await
    }

    /// Records `marks` and `cursor`, holding while the stat store fails.
    async fn record_marks(
        &self,
        marks: Vec<crate::plugin::SinkProgress>,
        cursor: Option<SourceCursor>,
    ) -> Result<(), PipelineError> {
        let mut shutdown = self.shutdown.clone();
        store_call(&mut shutdown, &self.stream, "record progress", || {
            self.store
                .record_progress(self.stream.id, marks.clone(), cursor)
        })
        .await
    }
}

impl Drop for StreamDelivery {
    /// The stream is no longer shown as open.
    fn drop(&mut self) {
        metrics::global().forget(self.stream.id);
    }
}

/// Calls the stat store until it succeeds, holding with back-off while it
/// fails (a full or read-only disk under the stat file); gives up only when
/// hog stops.
async fn store_call<T, F: Future<Output = Result<T, PluginError>>>(
    shutdown: &mut watch::Receiver<bool>,
    stream: &StreamInfo,
    what: &str,
    mut call: impl FnMut() -> F,
) -> Result<T, PipelineError> {
    let mut held: Option<Held> = None;
    loop {
        match call().await {
            Ok(value) => {
                resumed("stat_store", stream, held.as_ref());
                return Ok(value);
            }
            Err(e) if e.kind == ErrorKind::Panicked => return Err(PipelineError::Store(e)),
            Err(e) => {
                failing("stat_store", stream, what, &e, &mut held);
                let h = held.as_mut().expect("just set");
                if !h.pause(shutdown).await {
                    return Err(PipelineError::Stopping {
                        stream_id: stream.id,
                    });
                }
            }
        }
    }
}

/// Whether a failure of `sink` is held (retried) rather than detaching it.
fn holds(sink: &SinkHandle, e: &PluginError) -> bool {
    sink.on_error() == OnError::Hold && e.kind != ErrorKind::Panicked && !sink.is_fenced()
}

/// Logs a held failure: at once the first time, then every so often.
fn failing(who: &str, stream: &StreamInfo, what: &str, e: &PluginError, held: &mut Option<Held>) {
    match held {
        None => {
            tracing::error!(
                sink = who,
                stream = stream.id,
                group = %stream.group,
                region = %stream.region,
                "{what} failed: {e}; holding this stream's data in its source (nothing is released or skipped) and retrying until it succeeds"
            );
            *held = Some(Held::new());
        }
        Some(h) => {
            if h.due_report() {
                tracing::warn!(
                    sink = who,
                    stream = stream.id,
                    group = %stream.group,
                    "{what} still failing after {:.0}s and {} attempts: {e}; still holding",
                    h.elapsed().as_secs_f64(),
                    h.attempts()
                );
            }
        }
    }
}

/// Logs the end of a held failure, if there was one.
fn resumed(who: &str, stream: &StreamInfo, held: Option<&Held>) {
    if let Some(h) = held {
        tracing::info!(
            sink = who,
            stream = stream.id,
            group = %stream.group,
            "recovered after {:.1}s and {} attempts; delivery goes on",
            h.elapsed().as_secs_f64(),
            h.attempts()
        );
    }
}

/// Logs a sink that stops receiving a stream, loudly.
fn detached(sink: &SinkHandle, stream: &StreamInfo, what: &str, e: &PluginError) {
    tracing::error!(
        sink = sink.name(),
        stream = stream.id,
        group = %stream.group,
        region = %stream.region,
        "{what} failed: {e}; the sink is DETACHED from this stream (on_error = \"detach\", or it panicked) and misses the rest of it until recovery at the next start; `hog stat` lists what it lacks"
    );
}

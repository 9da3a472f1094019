//! Fan-out: one stream delivered to every configured sink.
//!
//! Each sink has its own durable mark per stream. A batch goes to every
//! healthy sink concurrently, trimmed to what that sink does not hold yet
//! (so a replay after a crash is skipped, never written twice); the marks
//! are then recorded in the stat store in one call, and the lowest mark is
//! what the source may release (e.g. the ring's read index).
//!
//! A sink that fails a call stops receiving this stream (its mark stays in
//! the stat store, for recovery to resume from); a sink that panics is
//! fenced off for every stream. Neither stalls the other sinks.

use std::sync::Arc;

use crate::plugin::{progress, PluginError, SourceCursor, StreamInfo};

use super::batch::Batch;
use super::sink::SinkHandle;
use super::store::StatStoreHandle;
use super::PipelineError;

/// The sinks and stat store every stream of a session is delivered to.
#[derive(Clone)]
pub struct Fanout {
    sinks: Vec<Arc<SinkHandle>>,
    store: StatStoreHandle,
    session_id: u64,
}

impl Fanout {
    /// Delivers to `sinks`, recording in `store` under `session_id`.
    pub fn new(sinks: Vec<Arc<SinkHandle>>, store: StatStoreHandle, session_id: u64) -> Self {
        Self {
            sinks,
            store,
            session_id,
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
        stream.id = self
            .store
            .open_stream(self.session_id, Arc::new(stream.clone()))
            .await
            .map_err(PipelineError::Store)?;
        let stream = Arc::new(stream);
        let mut targets = Vec::with_capacity(self.sinks.len());
        // A sink that cannot take the stream is recorded as holding none of
        // it, so that the stream counts as unfinished for that sink.
        let mut marks = Vec::with_capacity(self.sinks.len());
        for sink in &self.sinks {
            let mark = match sink.open_stream(Arc::clone(&stream)).await {
                Ok(mark) => {
                    targets.push(Target {
                        sink: Arc::clone(sink),
                        mark,
                    });
                    mark
                }
                Err(e) => {
                    report(sink, &stream, "open", &e);
                    0
                }
            };
            marks.push(progress(sink.name(), mark));
        }
        self.store
            .record_progress(stream.id, marks, cursor)
            .await
            .map_err(PipelineError::Store)?;
        Ok(StreamDelivery {
            stream,
            targets,
            store: self.store.clone(),
        })
    }
}

struct Target {
    sink: Arc<SinkHandle>,
    mark: u64,
}

/// One open stream: delivers its batches to the sinks that accepted it.
pub struct StreamDelivery {
    stream: Arc<StreamInfo>,
    targets: Vec<Target>,
    store: StatStoreHandle,
}

impl StreamDelivery {
    /// The stream, with the id the stat store gave it.
    pub fn stream(&self) -> &StreamInfo {
        &self.stream
    }

    /// The lowest durable mark among the sinks still receiving the stream:
    /// every transaction before it is held by all of them.
    pub fn durable_end(&self) -> Option<u64> {
        self.targets.iter().map(|t| t.mark).min()
    }

    /// Delivers `batch` to every sink and records their marks together with
    /// the source's `cursor` (where the source will resume after the batch);
    /// returns the new [`durable_end`].
    ///
    /// [`durable_end`]: Self::durable_end
    pub async fn deliver(
        &mut self,
        batch: Batch,
        cursor: Option<SourceCursor>,
    ) -> Result<u64, PipelineError> {
        let batch = Arc::new(batch);
        let end = batch.end_seq();
        let writes: Vec<_> = self
            .targets
            .iter()
            .filter(|t| t.mark < end)
            .map(|t| {
                let sink = Arc::clone(&t.sink);
                let (batch, from) = (Arc::clone(&batch), t.mark);
                let stream_id = self.stream.id;
                (
                    Arc::clone(&t.sink),
                    tokio::spawn(async move {
                        let mark = sink.write(batch, from).await?;
                        if mark < end {
                            sink.flush(stream_id).await
                        } else {
                            Ok(mark)
                        }
                    }),
                )
            })
            .collect();
        for (sink, write) in writes {
            let result = write
                .await
                .unwrap_or_else(|e| Err(PluginError::other(format!("sink task failed: {e}"))));
            match result {
                Ok(mark) => {
                    if let Some(t) = self
                        .targets
                        .iter_mut()
                        .find(|t| Arc::ptr_eq(&t.sink, &sink))
                    {
                        t.mark = t.mark.max(mark.min(end));
                    }
                }
                Err(e) => {
                    report(&sink, &self.stream, "write", &e);
                    self.targets.retain(|t| !Arc::ptr_eq(&t.sink, &sink));
                }
            }
        }
        self.record(cursor).await?;
        self.durable_end().ok_or(PipelineError::NoSinks {
            stream_id: self.stream.id,
        })
    }

    /// Ends the stream after `end_seq` transactions: closes it on every sink
    /// and records the end in the stat store.
    pub async fn close(self, end_seq: u64) -> Result<(), PipelineError> {
        for t in &self.targets {
            if let Err(e) = t.sink.close_stream(self.stream.id).await {
                report(&t.sink, &self.stream, "close", &e);
            }
        }
        self.store
            .close_stream(self.stream.id, end_seq)
            .await
            .map_err(PipelineError::Store)
    }

    async fn record(&self, cursor: Option<SourceCursor>) -> Result<(), PipelineError> {
        let marks = self
            .targets
            .iter()
            .map(|t| progress(t.sink.name(), t.mark))
            .collect();
        self.store
            .record_progress(self.stream.id, marks, cursor)
            .await
            .map_err(PipelineError::Store)
    }
}

fn report(sink: &SinkHandle, stream: &StreamInfo, what: &str, e: &PluginError) {
    tracing::error!(
        sink = sink.name(),
        stream = stream.id,
        group = %stream.group,
        "{what} failed: {e}; the sink stops receiving this stream, its progress stays recorded for recovery"
    );
}

//! The host's handle on one sink instance, static or dynamic alike.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::plugin::{ErrorKind, PluginError, SinkObject, SinkStats, StreamInfo};

use super::batch::Batch;
use super::call::blocking;
use super::hold::OnError;

/// A configured sink: a plugin object with a name and a failure policy,
/// fenced after a panic.
pub struct SinkHandle {
    name: String,
    object: Arc<Mutex<SinkObject>>,
    fenced: AtomicBool,
    on_error: OnError,
}

impl SinkHandle {
    /// Wraps a sink object created by a plugin under the name `name`; a
    /// failed write is held and retried ([`OnError::Hold`]).
    pub fn new(name: impl Into<String>, object: SinkObject) -> Self {
        Self {
            name: name.into(),
            object: Arc::new(Mutex::new(object)),
            fenced: AtomicBool::new(false),
            on_error: OnError::Hold,
        }
    }

    /// The same sink with failure policy `on_error`.
    pub fn with_on_error(mut self, on_error: OnError) -> Self {
        self.on_error = on_error;
        self
    }

    /// The sink's configured name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What happens when a write fails.
    pub fn on_error(&self) -> OnError {
        self.on_error
    }

    /// Whether the sink panicked and no longer receives anything.
    pub fn is_fenced(&self) -> bool {
        self.fenced.load(Ordering::Acquire)
    }

    /// Opens `stream` on the sink; returns the sink's durable mark for it.
    pub async fn open_stream(&self, stream: Arc<StreamInfo>) -> Result<u64, PluginError> {
        self.call(move |s| s.open_stream(&stream).into()).await
    }

    /// Writes the part of `batch` from `from_seq` on; returns the new mark.
    pub async fn write(&self, batch: Arc<Batch>, from_seq: u64) -> Result<u64, PluginError> {
        self.call(move |s| s.write(batch.from_seq(from_seq)).into())
            .await
    }

    /// Makes everything written for `stream_id` durable; returns the mark.
    pub async fn flush(&self, stream_id: u64) -> Result<u64, PluginError> {
        self.call(move |s| s.flush(stream_id).into()).await
    }

    /// Ends `stream_id` on the sink.
    pub async fn close_stream(&self, stream_id: u64) -> Result<(), PluginError> {
        self.call(move |s| s.close_stream(stream_id).into()).await
    }

    /// The sink's counters.
    pub async fn stats(&self) -> Result<SinkStats, PluginError> {
        self.call(|s| s.stats().into()).await
    }

    /// Shuts the sink down; nothing is sent to it afterwards.
    pub async fn shutdown(&self) -> Result<(), PluginError> {
        self.call(|s| s.shutdown().into()).await
    }

    async fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut SinkObject) -> Result<R, PluginError> + Send + 'static,
    ) -> Result<R, PluginError> {
        if self.is_fenced() {
            return Err(PluginError::new(
                ErrorKind::Panicked,
                format!("sink '{}' is fenced off after a panic", self.name),
            ));
        }
        let result = blocking(&self.object, f).await;
        if let Err(e) = &result {
            if e.kind == ErrorKind::Panicked && !self.fenced.swap(true, Ordering::AcqRel) {
                tracing::error!(sink = %self.name, "{e}; the sink is fenced off, hog goes on without it");
            }
        }
        result
    }
}

//! The sink interface: what a plugin implements to receive streams.

// `#[sabi_trait]` expands to impls the compiler considers non-local.
#![allow(non_local_definitions)]

use abi_stable::{
    sabi_trait,
    std_types::{RBox, RResult, RStr},
};

use super::fence::Fenced;
use super::log::Logger;
use super::types::{BatchRef, PluginError, SinkStats, StreamInfo};

/// A destination for streams of transactions, implemented by sink plugins.
///
/// Sequence marks are exclusive ends: a mark of `n` means transactions
/// `0..n` of the stream are durable in the sink (would survive a kill of
/// hog). The host never sends a sink a transaction below the mark the sink
/// reported, so a sink that keeps its mark atomically with its data is
/// exactly-once across crashes. Calls arrive per batch, from one thread at a
/// time. `hog-sink-conformance` checks a sink against this contract.
pub trait Sink: Send + 'static {
    /// Starts (or resumes) `stream`; returns the sink's durable mark for it,
    /// 0 for a stream it has never seen.
    fn open_stream(&mut self, stream: &StreamInfo) -> Result<u64, PluginError>;

    /// Accepts a batch of consecutive transactions starting at the sink's
    /// mark (should one start below, the sink skips what it holds); returns
    /// the new durable mark (at most `batch.end_seq()`). A batch that
    /// starts above the mark would leave a gap and is refused with an
    /// error, as is a batch of a stream that is not open
    /// ([`BatchRef::after`] does both for a sink).
    fn write(&mut self, batch: BatchRef<'_>) -> Result<u64, PluginError>;

    /// Makes everything accepted for `stream_id` durable; returns the mark.
    fn flush(&mut self, stream_id: u64) -> Result<u64, PluginError>;

    /// Ends a stream: no more batches follow for it in this run.
    fn close_stream(&mut self, stream_id: u64) -> Result<(), PluginError>;

    /// Current counters.
    fn stats(&self) -> SinkStats;

    /// Flushes and releases everything; no call follows.
    fn shutdown(&mut self) -> Result<(), PluginError>;
}

/// The FFI-safe form of [`Sink`], as a plugin library exports it.
#[sabi_trait]
pub trait FfiSink: Send {
    /// See [`Sink::open_stream`].
    fn open_stream(&mut self, stream: &StreamInfo) -> RResult<u64, PluginError>;
    /// See [`Sink::write`].
    fn write(&mut self, batch: BatchRef<'_>) -> RResult<u64, PluginError>;
    /// See [`Sink::flush`].
    fn flush(&mut self, stream_id: u64) -> RResult<u64, PluginError>;
    /// See [`Sink::close_stream`].
    fn close_stream(&mut self, stream_id: u64) -> RResult<(), PluginError>;
    /// See [`Sink::stats`].
    fn stats(&self) -> RResult<SinkStats, PluginError>;
    /// See [`Sink::shutdown`].
    #[sabi(last_prefix_field)]
    fn shutdown(&mut self) -> RResult<(), PluginError>;
}

/// A boxed sink object that crosses the plugin boundary.
pub type SinkObject = FfiSink_TO<'static, RBox<()>>;

impl<S: Sink> FfiSink for Fenced<S> {
    fn open_stream(&mut self, stream: &StreamInfo) -> RResult<u64, PluginError> {
        self.call(|s| s.open_stream(stream))
    }
    fn write(&mut self, batch: BatchRef<'_>) -> RResult<u64, PluginError> {
        self.call(|s| s.write(batch))
    }
    fn flush(&mut self, stream_id: u64) -> RResult<u64, PluginError> {
        self.call(|s| s.flush(stream_id))
    }
    fn close_stream(&mut self, stream_id: u64) -> RResult<(), PluginError> {
        self.call(|s| s.close_stream(stream_id))
    }
    fn stats(&self) -> RResult<SinkStats, PluginError> {
        self.inspect(|s| s.stats())
    }
    fn shutdown(&mut self) -> RResult<(), PluginError> {
        self.call(|s| s.shutdown())
    }
}

/// Builds a fenced [`SinkObject`] with `make`, catching a panic in `make`.
pub fn sink_object<S: Sink>(
    config: RStr<'_>,
    logger: Logger,
    make: fn(&str, Logger) -> Result<S, PluginError>,
) -> RResult<SinkObject, PluginError> {
    super::fence::construct(|| make(config.as_str(), logger))
        .map(|sink| SinkObject::from_value(Fenced::new(sink), sabi_trait::TD_Opaque))
        .into()
}

//! The pipeline: sources (`crate::source`) produce streams of
//! sequence-numbered transactions, a [`Fanout`] hands each batch to every
//! sink and records progress in the stat store.

mod batch;
mod call;
mod fanout;
mod hold;
mod shutdown;
mod sink;
mod store;

pub use batch::{Batch, SegmentError};
pub use fanout::{Fanout, StreamDelivery};
pub use hold::OnError;
pub use shutdown::stopped;
pub use sink::SinkHandle;
pub use store::StatStoreHandle;

use crate::plugin::PluginError;

/// Why the pipeline could not go on with a stream.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The stat store failed; without it progress cannot be recorded.
    #[error("stat store: {0}")]
    Store(PluginError),
    /// Every sink of the stream failed or was fenced off.
    #[error("stream {stream_id}: no sink is left to receive it")]
    NoSinks {
        /// The stream.
        stream_id: u64,
    },
    /// hog began stopping while the stream waited for a failing sink or
    /// stat store; the stream stays open for recovery.
    #[error("stream {stream_id}: hog is stopping while a failure holds it")]
    Stopping {
        /// The stream.
        stream_id: u64,
    },
    /// A source failed.
    #[error("source {source_name}: {message}")]
    Source {
        /// The source's name.
        source_name: String,
        /// What went wrong.
        message: String,
    },
}

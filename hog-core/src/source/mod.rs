//! Sources: what produces streams and feeds them through a [`Fanout`].
//!
//! - [`hstore`]: producers logging into shared-memory rings (the protocol
//!   itself is in `crate::hstore`);
//! - [`receiver`]: remote hogs shipping batches (the protocols are in
//!   `crate::wire`);
//! - [`generator`]: synthetic records, for the demo and tests.

use async_trait::async_trait;
use tokio::sync::watch;

use crate::pipeline::{Fanout, PipelineError};
use crate::plugin::UnfinishedStream;
use crate::recovery::Adopted;

pub mod generator;
pub mod hstore;
pub mod receiver;

pub use generator::{Generator, GeneratorConfig, LONG_TYPE};
pub use hstore::{HstoreConfig, HstoreSource};
pub use receiver::{Protocol, ReceiverConfig, ReceiverSource, ServerTls};

/// What a running source is given.
#[derive(Clone)]
pub struct SourceContext {
    /// Where the source's streams are delivered.
    pub fanout: Fanout,
    /// Turns `true` when hog is shutting down.
    pub shutdown: watch::Receiver<bool>,
}

/// A producer of streams.
#[async_trait]
pub trait Source: Send {
    /// A short name for logs (`hstore`, `receiver`, `generator`).
    fn name(&self) -> &str;

    /// Whether `stream`, left unfinished by an earlier hog, is this
    /// source's to resume (see `crate::recovery`); none by default.
    fn owns(&self, _stream: &UnfinishedStream) -> bool {
        false
    }

    /// Takes the unfinished streams this source owns, oldest first per
    /// group, before it runs; it resumes them and reports through each
    /// one's tracker.
    fn adopt(&mut self, _streams: Vec<Adopted>) {}

    /// Runs until the source is exhausted or shutdown is signalled.
    async fn run(self: Box<Self>, context: SourceContext) -> Result<(), PipelineError>;
}

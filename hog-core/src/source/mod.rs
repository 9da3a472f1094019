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

    /// Runs until the source is exhausted or shutdown is signalled.
    async fn run(self: Box<Self>, context: SourceContext) -> Result<(), PipelineError>;
}

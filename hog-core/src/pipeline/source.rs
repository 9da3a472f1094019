//! Sources: what produces streams (shared-memory producers, remote hogs,
//! generators) and feeds them through a [`Fanout`].

use async_trait::async_trait;
use tokio::sync::watch;

use super::fanout::Fanout;
use super::PipelineError;

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

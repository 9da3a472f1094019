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

/// Resolves once `shutdown` is `true` (never, if its sender is gone while
/// it is `false`).
pub async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow_and_update() {
            return;
        }
        if shutdown.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

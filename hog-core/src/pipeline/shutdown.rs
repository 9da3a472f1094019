//! Waiting for hog to stop.

use tokio::sync::watch;

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

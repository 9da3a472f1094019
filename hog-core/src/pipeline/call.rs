//! Running synchronous plugin calls from async code.
//!
//! Plugin calls may block (fsync, network); they run on tokio's blocking
//! pool, one at a time per plugin instance.

use std::sync::{Arc, Mutex, PoisonError};

use crate::plugin::{ErrorKind, PluginError};

/// Runs `f` on the object behind `object` on a blocking thread.
pub(crate) async fn blocking<T, R>(
    object: &Arc<Mutex<T>>,
    f: impl FnOnce(&mut T) -> Result<R, PluginError> + Send + 'static,
) -> Result<R, PluginError>
where
    T: Send + 'static,
    R: Send + 'static,
{
    let object = Arc::clone(object);
    tokio::task::spawn_blocking(move || {
        let mut guard = object.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    })
    .await
    .unwrap_or_else(|e| {
        Err(PluginError::new(
            ErrorKind::Other,
            format!("plugin call did not complete: {e}"),
        ))
    })
}

//! Panic fencing at the plugin boundary.
//!
//! A panic must never unwind across `extern "C"` (abi_stable would abort the
//! whole process). Every call into plugin code goes through [`Fenced::call`],
//! which catches the panic, reports it as [`ErrorKind::Panicked`] and refuses
//! every later call: state left behind by a panic cannot be trusted.

use std::panic::{catch_unwind, AssertUnwindSafe};

use abi_stable::std_types::RResult;

use super::types::{ErrorKind, PluginError};

/// A plugin value that turns panics into errors and stays fenced after one.
pub struct Fenced<T> {
    inner: T,
    panicked: bool,
}

impl<T> Fenced<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            panicked: false,
        }
    }

    /// Runs `f` on the inner value, catching a panic.
    pub fn call<R>(
        &mut self,
        f: impl FnOnce(&mut T) -> Result<R, PluginError>,
    ) -> RResult<R, PluginError> {
        if self.panicked {
            return RResult::RErr(fenced_error());
        }
        match catch_unwind(AssertUnwindSafe(|| f(&mut self.inner))) {
            Ok(result) => result.into(),
            Err(payload) => {
                self.panicked = true;
                RResult::RErr(panic_error(payload))
            }
        }
    }

    /// Runs `f` on a shared reference to the inner value, catching a panic.
    pub fn inspect<R>(&self, f: impl FnOnce(&T) -> R) -> RResult<R, PluginError> {
        if self.panicked {
            return RResult::RErr(fenced_error());
        }
        catch_unwind(AssertUnwindSafe(|| f(&self.inner)))
            .map_err(panic_error)
            .into()
    }
}

/// Runs a plugin constructor, turning a panic into an error.
pub(crate) fn construct<T>(f: impl FnOnce() -> Result<T, PluginError>) -> Result<T, PluginError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| Err(panic_error(payload)))
}

fn fenced_error() -> PluginError {
    PluginError::new(
        ErrorKind::Panicked,
        "the plugin panicked earlier and is fenced off",
    )
}

fn panic_error(payload: Box<dyn std::any::Any + Send>) -> PluginError {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string panic payload".to_string());
    PluginError::new(ErrorKind::Panicked, format!("the plugin panicked: {what}"))
}

//! Logging across the plugin boundary.
//!
//! `tracing` and `log` keep their globals per dynamic library, so a plugin's
//! log calls would never reach the host's subscriber. Instead the host hands
//! every plugin instance a [`Logger`]: a C callback plus the instance name.

use abi_stable::{
    std_types::{RStr, RString},
    StableAbi,
};

/// Severity of a log message.
#[repr(u8)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Something failed and data or service may be affected.
    Error = 0,
    /// Something unexpected that hog handled.
    Warn = 1,
    /// A notable event in normal operation.
    Info = 2,
    /// Detail for diagnosing problems.
    Debug = 3,
}

/// The host's log callback: level, instance name, message.
pub type LogCallback = extern "C" fn(LogLevel, RStr<'_>, RStr<'_>);

/// A handle a plugin instance logs through; cheap to clone.
#[repr(C)]
#[derive(StableAbi, Clone, Debug)]
pub struct Logger {
    callback: extern "C" fn(LogLevel, RStr<'_>, RStr<'_>),
    name: RString,
}

impl Logger {
    /// A logger that sends messages for instance `name` to `callback`.
    pub fn new(callback: LogCallback, name: impl Into<String>) -> Self {
        Self {
            callback,
            name: name.into().into(),
        }
    }

    /// A logger that discards everything (for tests and tools).
    pub fn discard() -> Self {
        extern "C" fn discard(_: LogLevel, _: RStr<'_>, _: RStr<'_>) {}
        Self::new(discard, "")
    }

    /// The instance name messages are attributed to.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Logs `message` at `level`.
    pub fn log(&self, level: LogLevel, message: &str) {
        (self.callback)(level, self.name.as_rstr(), message.into());
    }

    /// Logs at [`LogLevel::Error`].
    pub fn error(&self, message: &str) {
        self.log(LogLevel::Error, message);
    }

    /// Logs at [`LogLevel::Warn`].
    pub fn warn(&self, message: &str) {
        self.log(LogLevel::Warn, message);
    }

    /// Logs at [`LogLevel::Info`].
    pub fn info(&self, message: &str) {
        self.log(LogLevel::Info, message);
    }

    /// Logs at [`LogLevel::Debug`].
    pub fn debug(&self, message: &str) {
        self.log(LogLevel::Debug, message);
    }
}

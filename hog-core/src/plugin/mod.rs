//! The plugin interface: what a sink or stat-store plugin implements and how
//! it crosses the ABI boundary.
//!
//! A plugin implements the plain Rust trait [`Sink`] or [`StatStore`] and
//! declares itself with [`plugin_module!`](crate::plugin_module). The macro
//! wraps the implementation in [`Fenced`] (panics become errors and fence the
//! instance off) and exposes it through the `#[sabi_trait]` objects
//! [`SinkObject`] and [`StatStoreObject`], which the host calls once per
//! batch. The same crate can be linked into hog statically or built as a
//! `cdylib` and loaded with [`load`].

mod fence;
mod log;
mod module;
mod sink;
mod store;
mod types;

pub use abi_stable;

pub use fence::Fenced;
pub use log::{LogCallback, LogLevel, Logger};
pub use module::{
    load, no_sink, no_stat_store, LoadError, NewSink, NewStatStore, PluginModule, PluginModuleRef,
    API_VERSION,
};
pub use sink::{sink_object, FfiSink, Sink, SinkObject};
pub use store::{
    progress, stat_store_object, FfiStatStore, SessionInfo, SinkProgress, StatStore,
    StatStoreObject, UnfinishedStream,
};
pub use types::{
    BatchRef, CommitMethod, Counter, ErrorKind, PluginError, Qos, SinkStats, SourceCursor,
    Statement, StreamInfo,
};

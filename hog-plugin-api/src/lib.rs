//! hog's plugin interface: what a sink or stat-store plugin implements and
//! how it crosses the ABI boundary. A third-party sink depends on this crate
//! alone (with `abi_stable` and `serde`), not on hog's runtime, network or
//! storage code; hog itself re-exports it as `hog_core::plugin`.
//!
//! A plugin implements the plain Rust trait [`Sink`] or [`StatStore`] and
//! declares itself with [`plugin_module!`]; a `cdylib` also calls
//! [`export_plugin!`]. The macro wraps the implementation in [`Fenced`]
//! (panics become errors and fence the instance off) and exposes it through
//! the `#[sabi_trait]` objects [`SinkObject`] and [`StatStoreObject`], which
//! the host calls once per batch. The same crate can be linked into hog
//! statically or built as a `cdylib` and loaded with [`load`].
//!
//! # Stability
//!
//! [`API_VERSION`] names the interface. Within one version, a plugin built
//! against an older release of this crate loads into a newer hog: the root
//! module is an abi_stable prefix type, so fields are only ever appended,
//! and the traits' methods and the types crossing the boundary keep their
//! layout (abi_stable checks it at load and refuses a mismatch, naming it).
//! A change that cannot keep that promise raises [`API_VERSION`], and hog
//! refuses plugins of another version with a message saying to rebuild
//! them. The Rust-level API (the traits, [`BatchRef`], [`StreamInfo`],
//! [`PluginError`]) follows semantic versioning.

#![warn(missing_docs, unreachable_pub, unsafe_op_in_unsafe_fn)]
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

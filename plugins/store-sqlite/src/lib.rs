//! hog's default stat store: sessions, streams, each sink's durable
//! progress and each source's last two cursors, kept in one SQLite file.
//!
//! The file is in WAL mode with `synchronous=NORMAL` by default: every call
//! commits before it returns and survives a kill of hog (`synchronous=full`
//! also survives a crash of the machine). Its schema is versioned and
//! migrated forward on open; a file written by a newer hog is refused.
//!
//! Options (JSON, as the host passes them): `path` (the database file,
//! required), `synchronous` (`"normal"` or `"full"`), `busy_timeout` (ms).
//!
//! The crate links into hog statically through [`module`]; with the feature
//! `export` it also exports that module for dynamic loading
//! (`cargo rustc -p store-sqlite --features export --crate-type cdylib`).

#![warn(missing_docs, unreachable_pub, unsafe_op_in_unsafe_fn)]
// Exporting the root module needs `#[no_mangle]`, which the lint counts as
// unsafe, and adds a static abi_stable generates without docs; everything
// else is safe and documented.
#![cfg_attr(not(feature = "export"), forbid(unsafe_code))]

mod connection;
mod decode;
mod error;
mod options;
mod report;
mod retention;
mod schema;
mod store;

pub use options::{Options, Synchronous, DEFAULT_BUSY_TIMEOUT_MS, DEFAULT_RETENTION};
pub use schema::SCHEMA_VERSION;
pub use store::SqliteStore;

hog_core::plugin_module! { name: "sqlite", stat_store: SqliteStore::from_options }

#[cfg(feature = "export")]
hog_core::export_plugin!(module);

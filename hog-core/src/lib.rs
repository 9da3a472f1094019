//! The core of hog: the plugin interface that sinks and stat stores implement,
//! the pipeline that carries streams of transactions from sources to sinks,
//! and the value units hog's configuration speaks.
//!
//! The plugin interface lives in its own small crate, `hog-plugin-api`,
//! which third-party plugins depend on; it is re-exported here as
//! [`plugin`] for the host and the built-in plugins.

#![warn(missing_docs, unreachable_pub, unsafe_op_in_unsafe_fn)]
pub mod clock;
pub mod fregion;
pub mod hstore;
pub mod metrics;
pub mod paths;
pub mod pipeline;
pub use hog_plugin_api as plugin;
pub mod recovery;
pub use hog_plugin_api::{export_plugin, plugin_module};
pub mod sigbus;
pub mod source;
pub mod types;
pub mod units;
pub mod wire;

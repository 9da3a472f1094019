//! The core of hog: the plugin interface that sinks and stat stores implement,
//! the pipeline that carries streams of transactions from sources to sinks,
//! and the value units hog's configuration speaks.
//!
//! Third-party plugins depend on this crate for [`plugin`] alone; the host
//! uses all of it.

pub mod fregion;
pub mod hstore;
pub mod paths;
pub mod pipeline;
pub mod plugin;
pub mod sigbus;
pub mod types;
pub mod units;
pub mod wire;

//! hog on NATS JetStream: the `jetstream` sink publishes every stream to
//! a replicated JetStream stream exactly once, and the `jetstream` source
//! reads it back into any sink (fregion files with the disk sink).
//!
//! Each producer stream has a subject of its own,
//! `<subject_prefix>.<group>.<stream token>` ([`subject`]), and each
//! message is self-describing: the stream's identity and type descriptions,
//! then a compressed, checksummed run of transactions or the stream's end
//! ([`message`], written down for other consumers in docs/jetstream.md).
//! The sink's durable mark is the last message on the stream's subject, so
//! it lives in JetStream, replicated, and survives a kill of hog; every
//! publish is conditional on it. The source acknowledges a message once
//! every sink holds it, and every sink's own mark decides what a
//! redelivered message still adds.

#![warn(missing_docs, unreachable_pub, unsafe_op_in_unsafe_fn)]
pub mod connection;
pub mod message;
pub mod options;
mod sink;
mod source;
pub mod subject;

pub use sink::JetStreamSink;
pub use source::JetStreamSource;

hog_core::plugin_module! { name: "jetstream", sink: JetStreamSink::from_options }

#[cfg(feature = "export")]
hog_core::export_plugin!(module);

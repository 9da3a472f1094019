//! Why a sender could not deliver to its destination (logged, then the
//! sender backs off and retries; segments stay spooled).

use std::io;
use std::net::SocketAddr;

use hog_core::plugin::PluginError;
use hog_core::wire::legacy::WireError;
use hog_core::wire::v2::NotV2;

/// What went wrong between a sender and its destination.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LinkError {
    /// The destination's name does not resolve.
    #[error("cannot resolve: {0}")]
    Resolve(#[source] io::Error),
    /// The destination resolves to no address.
    #[error("no address")]
    NoAddress,
    /// No address of the destination accepted the connection (the last
    /// one tried is named).
    #[error("cannot connect to {address}: {source}")]
    Connect {
        /// The address.
        address: SocketAddr,
        /// The failure.
        source: io::Error,
    },
    /// The socket failed.
    #[error(transparent)]
    Socket(#[from] io::Error),
    /// The protocol handshake failed.
    #[error("handshake: {0}")]
    Handshake(#[source] WireError),
    /// The destination must speak v2 and does not.
    #[error(
        "handshake: {0}: the destination does not speak v2, which this sink requires for it (protocol = \"v2\", TLS or a token)"
    )]
    NotV2(#[source] NotV2),
    /// A spooled segment cannot be read.
    #[error("cannot read segment {index}: {source}")]
    ReadSegment {
        /// The segment.
        index: u64,
        /// The failure.
        source: io::Error,
    },
    /// A spooled segment does not decompress.
    #[error("segment {index}: {source}")]
    Decompress {
        /// The segment.
        index: u64,
        /// What is wrong with it.
        source: WireError,
    },
    /// A spooled segment's transactions do not split.
    #[error("spooled segment {index}: {source}")]
    Skip {
        /// The segment.
        index: u64,
        /// What is wrong with it.
        source: WireError,
    },
    /// A hobbes segment could not be sent.
    #[error("sending: {0}")]
    Send(#[source] io::Error),
    /// A hobbes segment was not acknowledged.
    #[error("waiting for the acknowledgement: {0}")]
    Ack(#[source] WireError),
    /// The destination lacks transactions the spool no longer holds.
    #[error(
        "the destination holds this stream only up to transaction {mark}, but the spool starts at {first}: transactions {mark}..{first} were acknowledged earlier and are no longer spooled (was the receiver's data reset?); cannot resend them"
    )]
    Lost {
        /// The destination's mark.
        mark: u64,
        /// The spool's first transaction.
        first: u64,
    },
    /// The receiver takes no codec this hog compresses with.
    #[error("the receiver accepts none of this hog's codecs")]
    NoCodec,
    /// A v2 segment failed.
    #[error("segment {first}..{end}: {source}")]
    Segment {
        /// Its first transaction.
        first: u64,
        /// The transaction after its last.
        end: u64,
        /// The failure.
        source: WireError,
    },
    /// The receiver's mark decreased.
    #[error("the receiver's mark went back from {from} to {to}")]
    MarkBack {
        /// The mark before.
        from: u64,
        /// The mark acknowledged.
        to: u64,
    },
    /// The receiver acknowledged none of a segment.
    #[error("the receiver took none of transactions {first}..{end}")]
    NoProgress {
        /// The first transaction sent.
        first: u64,
        /// The transaction after the last.
        end: u64,
    },
    /// The end of the stream was not acknowledged.
    #[error("end of stream: {0}")]
    End(#[source] WireError),
    /// The spool could not record the progress.
    #[error(transparent)]
    Spool(#[from] PluginError),
}

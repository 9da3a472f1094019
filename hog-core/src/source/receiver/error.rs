//! Why a receiver connection ended with an error (logged with the peer;
//! a v2 sender past authentication is told too).

use std::io;
use std::time::Duration;

use crate::pipeline::{PipelineError, SegmentError};
use crate::types::TableError;
use crate::wire::legacy::{WireError, MAX_GROUP};

/// What ended a connection.
#[derive(Debug, thiserror::Error)]
pub(super) enum ConnError {
    /// Reading, writing or decoding the conversation failed.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// The socket could not be set up.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The sinks or the stat store failed the stream.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// The first frame broke off.
    #[error("first frame: {0}")]
    FirstFrame(#[source] io::Error),
    /// The first frame announced more than a group name or a probe.
    #[error("first frame of {0} bytes exceeds the limit of {MAX_GROUP} (a group name or a probe)")]
    FirstFrameTooLarge(u64),
    /// The peer sent nothing in time.
    #[error("idle for {0:?} before its first frame")]
    Silent(Duration),
    /// A hobbes sender the settings exclude.
    #[error("refused a hobbes sender: {0}")]
    HobbesRefused(&'static str),
    /// A v2 sender refused before it was told why (the reason is logged).
    #[error("refused: {0}")]
    Refused(&'static str),
    /// The sender's statements do not make a statement table.
    #[error("init message: {0}")]
    Init(#[source] TableError),
    /// A segment that is not whole, valid transactions.
    #[error(transparent)]
    Segment(#[from] SegmentError),
    /// Another connection still holds the stream.
    #[error("stream {group}/{region} is still held by an earlier connection")]
    Held {
        /// The stream's group.
        group: String,
        /// Its region.
        region: String,
    },
    /// No sink opened the stream.
    #[error("no sink accepted the stream")]
    NoSink,
    /// The receiver's memory budget stayed spent for too long.
    #[error("waited too long for {bytes} bytes of the receiver's memory budget of {limit} (receiver.max_memory)")]
    Memory {
        /// Bytes the connection needed.
        bytes: u64,
        /// The budget.
        limit: u64,
    },
    /// A start time that cannot be right; it would name the stream's
    /// `$DATE` directory.
    #[error(
        "the stream's start time ({started_at_ns} ns since 1970) is {why} by this receiver's clock"
    )]
    StartTime {
        /// What the sender said.
        started_at_ns: u64,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A segment that starts past what the receiver holds.
    #[error("a gap: this receiver holds transactions 0..{mark} and the segment starts at {first}")]
    Gap {
        /// Transactions held.
        mark: u64,
        /// The segment's first transaction.
        first: u64,
    },
    /// An end that is not where the receiver's stream ends.
    #[error("the stream cannot end at {end}: this receiver holds transactions 0..{mark}")]
    End {
        /// The end the sender gave.
        end: u64,
        /// Transactions held.
        mark: u64,
    },
    /// A message a sender does not send.
    #[error("v2: unexpected {0} from a sender")]
    Unexpected(&'static str),
}

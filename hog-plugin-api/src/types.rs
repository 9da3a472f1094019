//! Values that cross the plugin boundary: stream descriptions, batches,
//! progress and errors. Every type here is `#[repr(C)]` and `StableAbi`, so a
//! plugin built separately sees the same layout as the host (checked at load).

use abi_stable::{
    std_types::{RSlice, RString, RVec},
    StableAbi,
};
use serde::{Deserialize, Serialize};

pub use hstore_shm::{CommitMethod, Qos};

/// One statement a producer declared: what a record with this id holds.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// Statement id, the `u32` that prefixes each of its records.
    pub id: u32,
    /// Statement name (the series name in output files).
    pub name: RString,
    /// Producer flags (hobbes: bit 0 set for `HLOG` statements).
    pub flags: u64,
    /// Format string of an `HLOG` statement, empty otherwise.
    pub format: RString,
    /// Source file of the statement.
    pub file: RString,
    /// Source line of the statement.
    pub line: u32,
    /// The hobbes binary type description of the statement's payload.
    pub type_desc: RVec<u8>,
}

/// What a stream is: where it comes from and how to read its transactions.
///
/// A stream is what one producer ring yields (or one remote stream). Its
/// `id` is assigned by the stat store and is stable across hog restarts.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamInfo {
    /// Stable identity given by the stat store.
    pub id: u64,
    /// Storage group the producer logs into.
    pub group: RString,
    /// Producer process id.
    pub pid: u64,
    /// Producer thread id.
    pub tid: u64,
    /// Name of the region (shared-memory name, or remote stream name).
    pub region: RString,
    /// When the stream started, ns since the Unix epoch.
    pub started_at_ns: u64,
    /// Quality of service of the producer.
    pub qos: Qos,
    /// Commit method of the producer.
    pub commit: CommitMethod,
    /// Statements the producer declared.
    pub statements: RVec<Statement>,
}

/// A borrowed run of consecutive transactions of one stream.
///
/// Transaction `i` has sequence number `first_seq + i` and occupies
/// `data[ends[i-1]..ends[i]]`, where `ends[-1]` is `start`. Sequence numbers
/// start at 0 for the first transaction of a stream and never repeat.
#[repr(C)]
#[derive(StableAbi, Clone, Copy, Debug)]
pub struct BatchRef<'a> {
    /// Stream the transactions belong to.
    pub stream_id: u64,
    /// Sequence number of the first transaction.
    pub first_seq: u64,
    /// Concatenated transaction bytes.
    pub data: RSlice<'a, u8>,
    /// Offset in `data` where the first transaction starts.
    pub start: u64,
    /// End offset in `data` of each transaction.
    pub ends: RSlice<'a, u64>,
}

impl<'a> BatchRef<'a> {
    /// Number of transactions in the batch.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the batch holds no transaction.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Sequence number one past the last transaction.
    pub fn end_seq(&self) -> u64 {
        self.first_seq + self.ends.len() as u64
    }

    /// The transactions from sequence `mark` on, for a sink that holds
    /// `..mark` of the stream (`holder` names it in the error): a batch
    /// that starts past `mark` is refused, since a gap would give every
    /// later transaction the wrong sequence number.
    pub fn after(
        &self,
        mark: u64,
        holder: impl std::fmt::Display,
    ) -> Result<impl Iterator<Item = (u64, &'a [u8])> + 'a, PluginError> {
        if self.first_seq > mark {
            return Err(PluginError::state(format!(
                "{holder}: stream {} continues at transaction {} but holds up to {mark}",
                self.stream_id, self.first_seq
            )));
        }
        let skip = (mark - self.first_seq) as usize;
        Ok(self.transactions().skip(skip))
    }

    /// The transactions with their sequence numbers, in order.
    ///
    /// Offsets that are out of order or past `data` yield empty transactions
    /// rather than a panic; batches built by hog's pipeline never
    /// have them.
    pub fn transactions(&self) -> impl Iterator<Item = (u64, &'a [u8])> + 'a {
        let data: &'a [u8] = self.data.as_slice();
        let ends: &'a [u64] = self.ends.as_slice();
        let first = self.first_seq;
        let base = self.start;
        ends.iter().enumerate().map(move |(i, &end)| {
            let start = if i == 0 { base } else { ends[i - 1] };
            let bytes = usize::try_from(start)
                .ok()
                .zip(usize::try_from(end).ok())
                .and_then(|(s, e)| data.get(s..e))
                .unwrap_or(&[]);
            (first + i as u64, bytes)
        })
    }
}

/// Where a source stands in a stream: transaction `seq` starts at source
/// position `position` (for a shared-memory ring, the slot index). Recorded
/// with the sinks' marks, so that a source re-attaching after a crash knows
/// which sequence number its read position has.
#[repr(C)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceCursor {
    /// Sequence number of the next transaction.
    pub seq: u64,
    /// The source's position of that transaction.
    pub position: u64,
}

/// Counters a sink reports about itself.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SinkStats {
    /// Streams currently open.
    pub open_streams: u64,
    /// Transactions accepted since the sink started.
    pub transactions: u64,
    /// Payload bytes accepted since the sink started.
    pub bytes: u64,
    /// Free-form extra counters, name and value.
    pub extra: RVec<Counter>,
}

/// A named counter in [`SinkStats`].
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counter {
    /// Counter name.
    pub name: RString,
    /// Counter value.
    pub value: u64,
}

/// Why a plugin call failed.
#[repr(u8)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The plugin's configuration was rejected.
    Config = 0,
    /// An I/O operation failed; retrying later may succeed.
    Io = 1,
    /// The call was invalid for the plugin's state (unknown stream, ...).
    State = 2,
    /// The plugin panicked; it is fenced and refuses further calls.
    Panicked = 3,
    /// Anything else.
    Other = 4,
}

/// An error returned across the plugin boundary.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq)]
pub struct PluginError {
    /// Category of the failure.
    pub kind: ErrorKind,
    /// Human-readable message.
    pub message: RString,
}

impl PluginError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into().into(),
        }
    }

    /// A configuration error.
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }

    /// An I/O error.
    pub fn io(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Io, message)
    }

    /// A state error.
    pub fn state(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::State, message)
    }

    /// Any other error.
    pub fn other(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Other, message)
    }
}

impl std::fmt::Display for PluginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            ErrorKind::Config => "configuration error",
            ErrorKind::Io => "I/O error",
            ErrorKind::State => "invalid state",
            ErrorKind::Panicked => "plugin panicked",
            ErrorKind::Other => "error",
        };
        write!(f, "{kind}: {}", self.message)
    }
}

impl std::error::Error for PluginError {}

impl From<std::io::Error> for PluginError {
    fn from(e: std::io::Error) -> Self {
        Self::io(e.to_string())
    }
}

//! The stat-store interface: the durable record of sessions, streams and
//! each sink's progress, which recovery reads to find unfinished work.

// `#[sabi_trait]` expands to impls the compiler considers non-local.
#![allow(non_local_definitions)]

use abi_stable::{
    sabi_trait,
    std_types::{RBox, ROption, RResult, RSlice, RStr, RString, RVec},
    StableAbi,
};
use serde::{Deserialize, Serialize};

use super::fence::Fenced;
use super::log::Logger;
use super::types::{PluginError, SourceCursor, StreamInfo};

/// One run of hog, as recorded at its start.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Process id of the hog.
    pub pid: u64,
    /// Start time, ns since the Unix epoch.
    pub started_at_ns: u64,
    /// hog's version.
    pub version: RString,
    /// The run mode line (`local`, `batchsend`, ...).
    pub mode: RString,
    /// The whole merged configuration, as JSON.
    pub config: RString,
}

/// How far one sink got with one stream.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SinkProgress {
    /// Name of the sink (its configuration name).
    pub sink: RString,
    /// The sink's durable mark: transactions `0..durable_end` are held.
    pub durable_end: u64,
}

/// A stream that has not been delivered to every sink yet.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnfinishedStream {
    /// The stream as it was registered.
    pub stream: StreamInfo,
    /// The session that registered it.
    pub session_id: u64,
    /// The stream's length once its source ended it; absent while open
    /// (or when hog died before the end was known).
    pub end_seq: ROption<u64>,
    /// Each sink's recorded progress.
    pub progress: RVec<SinkProgress>,
    /// The source's last recorded cursor.
    pub cursor: ROption<SourceCursor>,
    /// The cursor recorded before it (the source may have died between
    /// recording a cursor and moving its read position there).
    pub prev_cursor: ROption<SourceCursor>,
}

/// A durable record of hog's sessions, streams and sink progress.
///
/// Every method commits before it returns: a kill of hog right after a call
/// leaves what the call recorded, and a kill during it leaves the state
/// before it.
pub trait StatStore: Send + 'static {
    /// Records the start of a hog session; returns its id.
    fn begin_session(&mut self, session: &SessionInfo) -> Result<u64, PluginError>;

    /// Records a clean end of a session.
    fn end_session(&mut self, session_id: u64) -> Result<(), PluginError>;

    /// Registers a stream (its `id` is ignored); returns the id assigned.
    /// A stream with the same group, region and start time registered
    /// earlier keeps its id, so a re-attached stream is recognised.
    fn open_stream(&mut self, session_id: u64, stream: &StreamInfo) -> Result<u64, PluginError>;

    /// Records the sinks' durable marks for a stream and, if given, the
    /// source's new cursor (the old one becomes `prev_cursor`), all in one
    /// commit.
    fn record_progress(
        &mut self,
        stream_id: u64,
        progress: RSlice<'_, SinkProgress>,
        cursor: ROption<SourceCursor>,
    ) -> Result<(), PluginError>;

    /// Records that a stream's source ended it after `end_seq` transactions.
    fn close_stream(&mut self, stream_id: u64, end_seq: u64) -> Result<(), PluginError>;

    /// Streams that are still open or that some sink has not finished, in
    /// registration order.
    fn unfinished_streams(&mut self) -> Result<RVec<UnfinishedStream>, PluginError>;

    /// Records that `session_id` recovered the stream: no later start
    /// repeats it.
    fn mark_recovered(&mut self, stream_id: u64, session_id: u64) -> Result<(), PluginError>;

    /// A JSON report for people (`hog stat`): sessions, open and unfinished
    /// streams with each sink's backlog, recovery history. Its shape is the
    /// store's own.
    fn report(&mut self) -> Result<String, PluginError> {
        Ok("{}".into())
    }
}

/// The FFI-safe form of [`StatStore`], as a plugin library exports it.
#[sabi_trait]
pub trait FfiStatStore: Send {
    /// See [`StatStore::begin_session`].
    fn begin_session(&mut self, session: &SessionInfo) -> RResult<u64, PluginError>;
    /// See [`StatStore::end_session`].
    fn end_session(&mut self, session_id: u64) -> RResult<(), PluginError>;
    /// See [`StatStore::open_stream`].
    fn open_stream(&mut self, session_id: u64, stream: &StreamInfo) -> RResult<u64, PluginError>;
    /// See [`StatStore::record_progress`].
    fn record_progress(
        &mut self,
        stream_id: u64,
        progress: RSlice<'_, SinkProgress>,
        cursor: ROption<SourceCursor>,
    ) -> RResult<(), PluginError>;
    /// See [`StatStore::close_stream`].
    fn close_stream(&mut self, stream_id: u64, end_seq: u64) -> RResult<(), PluginError>;
    /// See [`StatStore::unfinished_streams`].
    fn unfinished_streams(&mut self) -> RResult<RVec<UnfinishedStream>, PluginError>;
    /// See [`StatStore::mark_recovered`].
    #[sabi(last_prefix_field)]
    fn mark_recovered(&mut self, stream_id: u64, session_id: u64) -> RResult<(), PluginError>;
    /// See [`StatStore::report`].
    fn report(&mut self) -> RResult<RString, PluginError>;
}

/// A boxed stat-store object that crosses the plugin boundary.
pub type StatStoreObject = FfiStatStore_TO<'static, RBox<()>>;

impl<S: StatStore> FfiStatStore for Fenced<S> {
    fn begin_session(&mut self, session: &SessionInfo) -> RResult<u64, PluginError> {
        self.call(|s| s.begin_session(session))
    }
    fn end_session(&mut self, session_id: u64) -> RResult<(), PluginError> {
        self.call(|s| s.end_session(session_id))
    }
    fn open_stream(&mut self, session_id: u64, stream: &StreamInfo) -> RResult<u64, PluginError> {
        self.call(|s| s.open_stream(session_id, stream))
    }
    fn record_progress(
        &mut self,
        stream_id: u64,
        progress: RSlice<'_, SinkProgress>,
        cursor: ROption<SourceCursor>,
    ) -> RResult<(), PluginError> {
        self.call(|s| s.record_progress(stream_id, progress, cursor))
    }
    fn close_stream(&mut self, stream_id: u64, end_seq: u64) -> RResult<(), PluginError> {
        self.call(|s| s.close_stream(stream_id, end_seq))
    }
    fn unfinished_streams(&mut self) -> RResult<RVec<UnfinishedStream>, PluginError> {
        self.call(|s| s.unfinished_streams())
    }
    fn mark_recovered(&mut self, stream_id: u64, session_id: u64) -> RResult<(), PluginError> {
        self.call(|s| s.mark_recovered(stream_id, session_id))
    }
    fn report(&mut self) -> RResult<RString, PluginError> {
        self.call(|s| s.report().map(RString::from))
    }
}

/// Builds a fenced [`StatStoreObject`] with `make`, catching a panic in it.
pub fn stat_store_object<S: StatStore>(
    config: RStr<'_>,
    logger: Logger,
    make: fn(&str, Logger) -> Result<S, PluginError>,
) -> RResult<StatStoreObject, PluginError> {
    super::fence::construct(|| make(config.as_str(), logger))
        .map(|store| StatStoreObject::from_value(Fenced::new(store), sabi_trait::TD_Opaque))
        .into()
}

/// A sink progress entry, for building the slice `record_progress` takes.
pub fn progress(sink: &str, durable_end: u64) -> SinkProgress {
    SinkProgress {
        sink: RString::from(sink),
        durable_end,
    }
}

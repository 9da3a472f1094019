//! The host's handle on the stat store, static or dynamic alike.

use std::sync::{Arc, Mutex};

use abi_stable::std_types::{RSlice, RVec};

use crate::plugin::{
    PluginError, SessionInfo, SinkProgress, SourceCursor, StatStoreObject, StreamInfo,
    UnfinishedStream,
};

use super::call::blocking;

/// The configured stat store.
#[derive(Clone)]
pub struct StatStoreHandle {
    object: Arc<Mutex<StatStoreObject>>,
}

impl StatStoreHandle {
    /// Wraps a stat-store object created by a plugin.
    pub fn new(object: StatStoreObject) -> Self {
        Self {
            object: Arc::new(Mutex::new(object)),
        }
    }

    /// Records the start of a session; returns its id.
    pub async fn begin_session(&self, session: SessionInfo) -> Result<u64, PluginError> {
        blocking(&self.object, move |s| s.begin_session(&session).into()).await
    }

    /// Records a clean end of a session.
    pub async fn end_session(&self, session_id: u64) -> Result<(), PluginError> {
        blocking(&self.object, move |s| s.end_session(session_id).into()).await
    }

    /// Registers a stream; returns its stable id.
    pub async fn open_stream(
        &self,
        session_id: u64,
        stream: Arc<StreamInfo>,
    ) -> Result<u64, PluginError> {
        blocking(&self.object, move |s| {
            s.open_stream(session_id, &stream).into()
        })
        .await
    }

    /// Records the sinks' marks for a stream, and the source's cursor.
    pub async fn record_progress(
        &self,
        stream_id: u64,
        progress: Vec<SinkProgress>,
        cursor: Option<SourceCursor>,
    ) -> Result<(), PluginError> {
        let started = std::time::Instant::now();
        let result = blocking(&self.object, move |s| {
            s.record_progress(stream_id, RSlice::from_slice(&progress), cursor.into())
                .into()
        })
        .await;
        crate::metrics::global()
            .store_commit
            .observe(started.elapsed());
        result
    }

    /// Records that a stream ended after `end_seq` transactions.
    pub async fn close_stream(&self, stream_id: u64, end_seq: u64) -> Result<(), PluginError> {
        blocking(&self.object, move |s| {
            s.close_stream(stream_id, end_seq).into()
        })
        .await
    }

    /// Streams not yet delivered to every sink.
    pub async fn unfinished_streams(&self) -> Result<RVec<UnfinishedStream>, PluginError> {
        blocking(&self.object, |s| s.unfinished_streams().into()).await
    }

    /// The store's report for people, as JSON.
    pub async fn report(&self) -> Result<String, PluginError> {
        blocking(&self.object, |s| s.report().map(|r| r.to_string()).into()).await
    }

    /// Records that `session_id` recovered a stream.
    pub async fn mark_recovered(&self, stream_id: u64, session_id: u64) -> Result<(), PluginError> {
        blocking(&self.object, move |s| {
            s.mark_recovered(stream_id, session_id).into()
        })
        .await
    }
}

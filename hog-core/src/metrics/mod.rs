//! What hog is doing, live: counters that move once per batch, the state
//! of every open stream and of each sink on it, recent errors and
//! recoveries, and throughput over the last minutes.
//!
//! One [`Metrics`] per process ([`global`]). The pipeline, the sources and
//! recovery update it; the host renders it for Prometheus
//! ([`Metrics::render`], the text exposition format) and for the status
//! page ([`Metrics::status`], JSON). Nothing here costs anything per
//! record: counters are relaxed atomics added to per batch, and per-stream
//! gauges are read only when someone asks.

mod counters;
mod events;
mod history;
mod process;
mod render;
mod status;
mod stream;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Instant;

pub use counters::{Counter, Histogram, SinkCounters, SourceCounters};
pub use events::Event;
pub use status::Status;
pub use stream::{SinkState, StreamStatus};

use crate::plugin::SinkStats;
use counters::Family;

/// The process's metrics.
pub fn global() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// Everything hog counts and the state of what it runs.
pub struct Metrics {
    started: Instant,
    started_at_s: f64,
    streams: Mutex<BTreeMap<u64, Arc<StreamStatus>>>,
    recovering: Mutex<BTreeSet<u64>>,
    sinks: Family<SinkCounters>,
    sources: Family<SourceCounters>,
    groups: Family<GroupCounters>,
    /// Connections a receiver accepted.
    pub receiver_connections: Counter,
    /// Connections a receiver is serving now.
    pub receiver_open: Counter,
    refused: Family<Counter>,
    /// Unfinished streams recovery handed to sources.
    pub recoveries_started: Counter,
    /// Recovered streams that reached their end.
    pub recoveries_finished: Counter,
    /// Bytes recovering streams still hold to deliver.
    pub recovery_bytes_left: Counter,
    /// How long the stat store takes to record a batch's progress.
    pub store_commit: Histogram,
    plugin_stats: Mutex<Vec<(String, SinkStats)>>,
    events: events::Events,
    history: history::History,
}

/// Per group: streams opened and closed. (Records an Unreliable producer
/// drops are not seen here: the shared-memory protocol tells only the
/// producer.)
#[derive(Default)]
pub struct GroupCounters {
    /// Streams opened.
    pub opened: Counter,
    /// Streams closed (their source ended them).
    pub closed: Counter,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Metrics {
    fn new() -> Metrics {
        Metrics {
            started: Instant::now(),
            started_at_s: crate::clock::now_ns() as f64 / 1e9,
            streams: Mutex::default(),
            recovering: Mutex::default(),
            sinks: Family::default(),
            sources: Family::default(),
            groups: Family::default(),
            receiver_connections: Counter::default(),
            receiver_open: Counter::default(),
            refused: Family::default(),
            recoveries_started: Counter::default(),
            recoveries_finished: Counter::default(),
            recovery_bytes_left: Counter::default(),
            store_commit: Histogram::default(),
            plugin_stats: Mutex::default(),
            events: events::Events::default(),
            history: history::History::default(),
        }
    }

    /// The counters of `sink` for streams of `group`.
    pub fn sink(&self, sink: &str, group: &str) -> Arc<SinkCounters> {
        self.sinks.get(&[sink, group])
    }

    /// The counters of `source` for streams of `group`.
    pub fn source(&self, source: &str, group: &str) -> Arc<SourceCounters> {
        self.sources.get(&[source, group])
    }

    /// The counters of `group`.
    pub fn group(&self, group: &str) -> Arc<GroupCounters> {
        self.groups.get(&[group])
    }

    /// Counts a connection a receiver refused, and why (a short word:
    /// `token`, `tls`, `limit`, `protocol`).
    pub fn refused(&self, reason: &str) {
        self.refused.get(&[reason]).add(1);
    }

    /// Makes `stream` visible until [`Metrics::forget`].
    pub fn track(&self, stream: Arc<StreamStatus>) {
        lock(&self.streams).insert(stream.id, stream);
    }

    /// Recovery handed stream `id` (left unfinished by an earlier hog) to
    /// a source.
    pub fn recovering(&self, id: u64) {
        self.recoveries_started.add(1);
        lock(&self.recovering).insert(id);
    }

    /// Recovery followed stream `id` to its end.
    pub fn recovered(&self, id: u64) {
        self.recoveries_finished.add(1);
        lock(&self.recovering).remove(&id);
    }

    /// Whether recovery is resuming stream `id` (left by an earlier hog).
    pub fn is_recovering(&self, id: u64) -> bool {
        lock(&self.recovering).contains(&id)
    }

    /// Stops showing stream `id`.
    pub fn forget(&self, id: u64) {
        lock(&self.streams).remove(&id);
    }

    /// The open streams.
    pub fn streams(&self) -> Vec<Arc<StreamStatus>> {
        lock(&self.streams).values().cloned().collect()
    }

    /// Replaces the sinks' own counters (asked of them before rendering).
    pub fn set_plugin_stats(&self, stats: Vec<(String, SinkStats)>) {
        *lock(&self.plugin_stats) = stats;
    }

    /// Remembers a notable event for the status page.
    pub fn event(&self, level: &str, message: String) {
        self.events.push(level, message);
    }

    /// Samples throughput (records the sources took); the host calls it
    /// once a second.
    pub fn sample(&self) {
        let records = self
            .sources
            .all()
            .iter()
            .map(|(_, c)| c.records.get())
            .sum();
        self.history.sample(records);
    }

    /// Seconds since the process started.
    pub fn uptime_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}

//! A snapshot of everything the status page shows, as JSON.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Event, Metrics};

/// What hog is doing now.
#[derive(Debug, Serialize)]
pub struct Status {
    /// hog's version.
    pub version: &'static str,
    /// Seconds since the process started.
    pub uptime_s: f64,
    /// Groups, with their open streams.
    pub groups: Vec<GroupView>,
    /// Records the sources took per second, one value a second, oldest
    /// first (the last ten minutes at most).
    pub throughput: Vec<u64>,
    /// Recent errors, warnings and recoveries, oldest first.
    pub events: Vec<Event>,
    /// Streams recovery started and finished; bytes it has left.
    pub recovery: RecoveryView,
}

/// One group.
#[derive(Debug, Serialize)]
pub struct GroupView {
    /// Its name.
    pub group: String,
    /// Records its sources read.
    pub source_records: u64,
    /// Records each sink holds, by sink.
    pub sink_records: BTreeMap<String, u64>,
    /// Its open streams.
    pub streams: Vec<StreamView>,
}

/// One open stream.
#[derive(Debug, Serialize)]
pub struct StreamView {
    /// Its id.
    pub id: u64,
    /// Its region.
    pub region: String,
    /// The producer's process.
    pub pid: u64,
    /// The producer's thread.
    pub tid: u64,
    /// Bytes waiting in its ring.
    pub ring_fill: u64,
    /// Transactions the source read.
    pub source_end: u64,
    /// Whether recovery resumes it.
    pub recovering: bool,
    /// Each sink on it.
    pub sinks: Vec<SinkView>,
}

/// One sink on one stream.
#[derive(Debug, Serialize)]
pub struct SinkView {
    /// The sink.
    pub sink: String,
    /// Its durable mark.
    pub mark: u64,
    /// Transactions read that it does not hold yet.
    pub backlog: u64,
    /// `writing`, `holding` or `detached`.
    pub state: &'static str,
}

/// Recovery's counters.
#[derive(Debug, Serialize)]
pub struct RecoveryView {
    /// Streams handed to sources.
    pub started: u64,
    /// Streams that reached their end.
    pub finished: u64,
    /// Bytes left to deliver.
    pub bytes_left: u64,
}

impl Metrics {
    /// The status page's snapshot.
    pub fn status(&self) -> Status {
        let mut groups: BTreeMap<String, GroupView> = BTreeMap::new();
        let view = |g: &str| GroupView {
            group: g.to_string(),
            source_records: 0,
            sink_records: BTreeMap::new(),
            streams: Vec::new(),
        };
        for (key, _) in self.groups.all() {
            groups
                .entry(key[0].clone())
                .or_insert_with(|| view(&key[0]));
        }
        for (key, c) in self.sources.all() {
            groups
                .entry(key[1].clone())
                .or_insert_with(|| view(&key[1]))
                .source_records += c.records.get();
        }
        for (key, c) in self.sinks.all() {
            *groups
                .entry(key[1].clone())
                .or_insert_with(|| view(&key[1]))
                .sink_records
                .entry(key[0].clone())
                .or_default() += c.records.get();
        }
        for s in self.streams() {
            let stream = StreamView {
                id: s.id,
                region: s.region.clone(),
                pid: s.pid,
                tid: s.tid,
                ring_fill: s.ring_fill.get(),
                source_end: s.source_end.get(),
                recovering: self.is_recovering(s.id),
                sinks: s
                    .sinks()
                    .iter()
                    .map(|m| SinkView {
                        sink: m.sink.clone(),
                        mark: m.mark.get(),
                        backlog: s.backlog(m),
                        state: m.state().name(),
                    })
                    .collect(),
            };
            groups
                .entry(s.group.clone())
                .or_insert_with(|| view(&s.group))
                .streams
                .push(stream);
        }
        Status {
            version: env!("CARGO_PKG_VERSION"),
            uptime_s: self.uptime_s(),
            groups: groups.into_values().collect(),
            throughput: self.history.rates(),
            events: self.events.all(),
            recovery: RecoveryView {
                started: self.recoveries_started.get(),
                finished: self.recoveries_finished.get(),
                bytes_left: self.recovery_bytes_left.get(),
            },
        }
    }
}

//! Counters, a latency histogram, and families of them keyed by labels.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A number that moves by batches: a counter (only added to) or a gauge
/// (set). Relaxed atomics: readers see each update eventually, in no
/// particular order with others.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// Takes `n` away (a gauge going down), stopping at 0.
    pub fn sub(&self, n: u64) {
        let _ = self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                Some(v.saturating_sub(n))
            });
    }

    /// Sets the value (a gauge).
    pub fn set(&self, v: u64) {
        self.0.store(v, Ordering::Relaxed);
    }

    /// The value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Upper bounds of [`Histogram`]'s buckets, in seconds.
pub(crate) const BUCKETS: [f64; 12] = [
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// A latency histogram with fixed buckets, from 100 µs to 1 s.
#[derive(Debug, Default)]
pub struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_ns: AtomicU64,
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|&b| s <= b) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_ns.fetch_add(
            d.as_nanos().min(u128::from(u64::MAX)) as u64,
            Ordering::Relaxed,
        );
    }

    /// Cumulative counts per bucket (as Prometheus wants them), the total
    /// count and the sum in seconds.
    pub(crate) fn snapshot(&self) -> (Vec<u64>, u64, f64) {
        let mut acc = 0;
        let cumulative = self
            .counts
            .iter()
            .map(|c| {
                acc += c.load(Ordering::Relaxed);
                acc
            })
            .collect();
        (
            cumulative,
            self.count.load(Ordering::Relaxed),
            self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9,
        )
    }
}

/// What a sink did with the streams of one group.
#[derive(Debug, Default)]
pub struct SinkCounters {
    /// Records the sink holds durably.
    pub records: Counter,
    /// Transactions the sink holds durably.
    pub transactions: Counter,
    /// Payload bytes the sink holds durably.
    pub bytes: Counter,
    /// Calls that failed.
    pub errors: Counter,
    /// Calls retried after a failure.
    pub retries: Counter,
}

/// What a source took from the producers or senders of one group.
#[derive(Debug, Default)]
pub struct SourceCounters {
    /// Records read.
    pub records: Counter,
    /// Transactions read.
    pub transactions: Counter,
    /// Payload bytes read.
    pub bytes: Counter,
}

/// Values of `T` by label values, made on first use.
pub(crate) struct Family<T> {
    members: Mutex<BTreeMap<Vec<String>, Arc<T>>>,
}

impl<T> Default for Family<T> {
    fn default() -> Self {
        Family {
            members: Mutex::default(),
        }
    }
}

impl<T: Default> Family<T> {
    /// The member with `labels`.
    pub(crate) fn get(&self, labels: &[&str]) -> Arc<T> {
        let key: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
        let mut members = super::lock(&self.members);
        Arc::clone(members.entry(key).or_default())
    }

    /// Every member, by labels.
    pub(crate) fn all(&self) -> Vec<(Vec<String>, Arc<T>)> {
        super::lock(&self.members)
            .iter()
            .map(|(k, v)| (k.clone(), Arc::clone(v)))
            .collect()
    }
}

//! Throughput over the last minutes: one sample a second of the records
//! the sources took.

use std::collections::VecDeque;
use std::sync::Mutex;

/// How many one-second samples are kept (ten minutes).
const KEEP: usize = 600;

#[derive(Default)]
pub(crate) struct History(Mutex<Inner>);

#[derive(Default)]
struct Inner {
    last: Option<u64>,
    rates: VecDeque<u64>,
}

impl History {
    /// Records the running total `records`; the rate is the difference
    /// from the previous sample.
    pub(crate) fn sample(&self, records: u64) {
        let mut h = super::lock(&self.0);
        if let Some(last) = h.last {
            if h.rates.len() == KEEP {
                h.rates.pop_front();
            }
            h.rates.push_back(records.saturating_sub(last));
        }
        h.last = Some(records);
    }

    /// Records per second, one value a second, oldest first.
    pub(crate) fn rates(&self) -> Vec<u64> {
        super::lock(&self.0).rates.iter().copied().collect()
    }
}

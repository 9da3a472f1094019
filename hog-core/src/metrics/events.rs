//! The last notable events (errors, warnings, recoveries), for the status
//! page.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Serialize;

/// How many events are kept.
const KEEP: usize = 50;

/// One event.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// When, in seconds since the Unix epoch.
    pub at_s: f64,
    /// `error`, `warn` or `info`.
    pub level: String,
    /// What happened.
    pub message: String,
}

/// The last [`KEEP`] events, oldest first.
#[derive(Default)]
pub(crate) struct Events(Mutex<VecDeque<Event>>);

impl Events {
    pub(crate) fn push(&self, level: &str, message: String) {
        let mut events = super::lock(&self.0);
        if events.len() == KEEP {
            events.pop_front();
        }
        events.push_back(Event {
            at_s: crate::clock::now_ns() as f64 / 1e9,
            level: level.to_string(),
            message,
        });
    }

    pub(crate) fn all(&self) -> Vec<Event> {
        super::lock(&self.0).iter().cloned().collect()
    }
}

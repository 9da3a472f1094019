//! What the pipeline does when a sink or the stat store fails: hold the data
//! where it is and retry with back-off until the cause goes away (the
//! default), or detach the sink from the stream.
//!
//! Holding keeps the durability rule whatever fails: nothing is released
//! from a source (a ring's read index, a receiver's acknowledgement) that a
//! sink does not hold, so a Reliable producer waits, an Unreliable one
//! drops and counts, and a sender keeps its spool. A full disk, a read-only
//! remount or a destination that is down heals by itself, with every record
//! exactly once and no restart.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

/// What happens to a stream's data when one of its sinks fails a write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    /// Keep the data in the source and retry the sink with back-off until
    /// it takes it; the stream waits (and with it the producer, if
    /// Reliable). Nothing is lost or skipped in any sink.
    #[default]
    Hold,
    /// Stop delivering this stream to the sink and go on with the others;
    /// the sink misses the rest of the stream (reported in the log and in
    /// `hog stat`, and resumed by recovery at the next start).
    Detach,
}

/// The first retry's delay; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// The longest delay between retries.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How often a failure that lasts is logged again.
const REPORT_EVERY: Duration = Duration::from_secs(30);

/// The state of one held failure: when it began, how often it was tried,
/// when it was last reported.
#[derive(Debug)]
pub(crate) struct Held {
    since: Instant,
    attempts: u64,
    reported: Instant,
    backoff: Duration,
}

impl Held {
    /// A failure just seen.
    pub(crate) fn new() -> Held {
        let now = Instant::now();
        Held {
            since: now,
            attempts: 1,
            reported: now,
            backoff: FIRST_BACKOFF,
        }
    }

    /// How long the failure has lasted.
    pub(crate) fn elapsed(&self) -> Duration {
        self.since.elapsed()
    }

    /// Attempts so far.
    pub(crate) fn attempts(&self) -> u64 {
        self.attempts
    }

    /// Whether a still-failing retry should be logged again now.
    pub(crate) fn due_report(&mut self) -> bool {
        if self.reported.elapsed() >= REPORT_EVERY {
            self.reported = Instant::now();
            true
        } else {
            false
        }
    }

    /// Waits before the next attempt (longer each time); `false` if hog
    /// began stopping meanwhile.
    pub(crate) async fn pause(&mut self, shutdown: &mut watch::Receiver<bool>) -> bool {
        let delay = self.backoff;
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        self.attempts += 1;
        if *shutdown.borrow_and_update() {
            return false;
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => !*shutdown.borrow(),
            _ = super::stopped(shutdown) => false,
        }
    }
}
